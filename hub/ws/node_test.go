package ws_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/tourhub/tourhub/hub"
	"github.com/tourhub/tourhub/hub/api"
	"github.com/tourhub/tourhub/hub/clientip"
	"github.com/tourhub/tourhub/hub/command"
	"github.com/tourhub/tourhub/hub/memstore"
	"github.com/tourhub/tourhub/hub/view"
	"github.com/tourhub/tourhub/hub/ws"
	"github.com/tourhub/tourhub/match"
)

// nodeServer serves a whole node (hub.New) on a memory store, over real HTTP.
func nodeServer(t *testing.T, a api.Config, w ws.Config) (*hub.Node, *httptest.Server) {
	t.Helper()
	st := memstore.New()
	t.Cleanup(func() { st.Close() })
	w.Origins = []string{"app.example"}
	node, err := hub.New(hub.Config{Store: st, Due: memstore.NewDueSet(), API: a, WS: w,
		Tokens: command.NewTokens([]byte(wsTestSecret), time.Hour, nil)})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(node)
	t.Cleanup(hs.Close)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		if err := node.Drain(ctx); err != nil {
			t.Errorf("drain: %v", err)
		}
	})
	return node, hs
}

// nodePost POSTs body to a node's API as JSON (with a bearer token unless it is empty) and
// decodes a 2xx answer into out; any other status fails the test.
func nodePost(t *testing.T, hs *httptest.Server, path, token string, body, out any) {
	t.Helper()
	if status, b := nodePostStatus(t, hs, path, token, body, out); status >= 300 {
		t.Fatalf("POST %s: %d %s", path, status, b)
	}
}

// nodePostStatus is nodePost that answers the status and, when it is not 2xx, the body.
func nodePostStatus(t *testing.T, hs *httptest.Server, path, token string, body, out any) (int, string) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", hs.URL+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		var e bytes.Buffer
		e.ReadFrom(resp.Body)
		return resp.StatusCode, e.String()
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, ""
}

// nodeDial opens a socket to a node's /ws with the protocol and these subprotocols.
func nodeDial(t *testing.T, hs *httptest.Server, protocols ...string) *wsClient {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, strings.Replace(hs.URL, "http", "ws", 1)+"/ws", &websocket.DialOptions{
		Subprotocols: append([]string{ws.Subprotocol}, protocols...),
		HTTPHeader:   http.Header{"Origin": {wsTestOrigin}},
	})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { c.CloseNow() })
	return &wsClient{t: t, c: c}
}

// TestWSThroughServer runs the WebSocket side as the node wires it (GET /ws, its tokens and its
// command service): players join over HTTP, then report over their sockets.
func TestWSThroughServer(t *testing.T) {
	t.Parallel()
	node, hs := nodeServer(t, api.Config{RatePerSec: 1000, Burst: 1000}, ws.Config{})

	post := func(path, token string, body, out any) { nodePost(t, hs, path, token, body, out) }
	var created struct {
		Tournament     view.View `json:"tournament"`
		OrganiserToken string    `json:"organiser_token"`
	}
	post("/api/tournaments", "", map[string]any{"name": "Cup", "format": "single_elimination", "best_of": 3}, &created)
	id := created.Tournament.ID
	type joined struct {
		PlayerID int    `json:"player_id"`
		Token    string `json:"token"`
	}
	var ada, grace joined
	post("/api/tournaments/"+id+"/players", "", map[string]any{"name": "Ada"}, &ada)
	post("/api/tournaments/"+id+"/players", "", map[string]any{"name": "Grace"}, &grace)

	dial := func(protocols ...string) *wsClient { return nodeDial(t, hs, protocols...) }
	ca := dial("token." + ada.Token)
	ca.expect("auth_ok")
	cg := dial("token." + grace.Token)
	cg.expect("auth_ok")
	ca.subscribe(id)
	cg.subscribe(id)

	var started struct {
		Version int64 `json:"version"`
	}
	post("/api/tournaments/"+id+"/start", created.OrganiserToken, map[string]any{}, &started)
	ca.send(map[string]any{"type": "report", "ref": "r", "tournament": id, "match": 1, "scores": [2]int{2, 0}, "submission_id": "a1"})
	_, am := wsCollect(t, ca, started.Version+1, "reported")
	if r := am["reported"]; r.Ref != "r" || r.Version != started.Version+1 {
		t.Errorf("reported %+v; want ref r at %d", r, started.Version+1)
	}
	var m match.Match
	if err := json.Unmarshal(am["reported"].Match, &m); err != nil || m.ID != 1 {
		t.Errorf("reported match %s (%v); want match 1", am["reported"].Match, err)
	}
	gk, _ := wsCollect(t, cg, started.Version+1)
	if strings.Join(gk, ",") != "match_ready,reported" {
		t.Errorf("Grace's notices %v; want match_ready, reported", gk)
	}
	if got := node.Sockets.Sockets(); got != 2 {
		t.Errorf("%d sockets; want 2", got)
	}
}

// TestWSPerAddressThroughProxies: as the Server wires it, the per-address socket cap counts the
// client address found through the trusted proxies (as the API's rate limit does), not the
// proxy's own: behind a proxy, two clients each get their own sockets.
func TestWSPerAddressThroughProxies(t *testing.T) {
	t.Parallel()
	proxies, err := clientip.Parse("127.0.0.1, ::1")
	if err != nil {
		t.Fatal(err)
	}
	_, hs := nodeServer(t, api.Config{TrustedProxies: proxies}, ws.Config{MaxPerAddr: 1})
	dial := func(client string) int {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c, resp, err := websocket.Dial(ctx, strings.Replace(hs.URL, "http", "ws", 1)+"/ws", &websocket.DialOptions{
			Subprotocols: []string{ws.Subprotocol},
			HTTPHeader:   http.Header{"Origin": {wsTestOrigin}, "X-Forwarded-For": {client}},
		})
		if err == nil {
			t.Cleanup(func() { c.CloseNow() })
			return http.StatusSwitchingProtocols
		}
		if resp == nil {
			t.Fatalf("dial as %s: %v", client, err)
		}
		return resp.StatusCode
	}
	for _, tc := range []struct {
		client string
		want   int
	}{
		{"203.0.113.7", http.StatusSwitchingProtocols},
		{"198.51.100.9", http.StatusSwitchingProtocols},
		{"203.0.113.7", http.StatusTooManyRequests},
	} {
		if got := dial(tc.client); got != tc.want {
			t.Errorf("socket of %s: %d; want %d", tc.client, got, tc.want)
		}
	}
}
