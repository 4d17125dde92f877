package browser

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserDeflate: Chromium offers permessage-deflate, the hub accepts it without context
// takeover, and the snapshot it sends compressed (over 2 KiB) is read by the browser as the
// whole state.
func TestBrowserDeflate(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	base := startHub(ctx, t)
	var cr struct {
		Tournament struct {
			ID string `json:"id"`
		} `json:"tournament"`
		OrganiserToken string `json:"organiser_token"`
	}
	mustAPI(ctx, t, http.MethodPost, base+"/api/tournaments", "", map[string]any{"name": "Deflate Cup", "format": "single_elimination"}, &cr)
	tid := cr.Tournament.ID
	for i := 1; i <= 16; i++ {
		mustAPI(ctx, t, http.MethodPost, base+"/api/tournaments/"+tid+"/players", "", map[string]any{"name": fmt.Sprintf("Player %d", i)}, nil)
	}
	mustAPI(ctx, t, http.MethodPost, base+"/api/tournaments/"+tid+"/start", cr.OrganiserToken, struct{}{}, nil)

	browser := newBrowser(ctx, t)
	page := newTab(t, browser, "deflate")
	page.do("open a page of the hub", chromedp.Navigate(base+"/"))
	got := page.eval("subscribe over a socket of its own", `new Promise((resolve, reject) => {
		const ws = new WebSocket(location.origin.replace('http', 'ws') + '/ws', 'tourhub.v1');
		ws.onerror = () => reject('socket error');
		ws.onopen = () => ws.send(JSON.stringify({type: 'subscribe', tournament: `+q(tid)+`}));
		ws.onmessage = (e) => {
			const m = JSON.parse(e.data);
			if (m.type !== 'snapshot') return;
			resolve(JSON.stringify({ext: ws.extensions, bytes: e.data.length, matches: m.state.matches.length, players: m.state.participants.length}));
			ws.close();
		};
	})`)
	var r struct {
		Ext     string `json:"ext"`
		Bytes   int    `json:"bytes"`
		Matches int    `json:"matches"`
		Players int    `json:"players"`
	}
	if err := json.Unmarshal([]byte(got), &r); err != nil {
		t.Fatalf("page answered %q: %v", got, err)
	}
	if !strings.Contains(r.Ext, "permessage-deflate") || !strings.Contains(r.Ext, "server_no_context_takeover") {
		t.Errorf("negotiated extensions %q; want permessage-deflate without server context takeover", r.Ext)
	}
	if r.Bytes < 2048 || r.Matches != 15 || r.Players != 16 {
		t.Errorf("snapshot of %d characters with %d matches and %d players; want over 2 KiB (compressed on the wire), 15 and 16", r.Bytes, r.Matches, r.Players)
	}
}
