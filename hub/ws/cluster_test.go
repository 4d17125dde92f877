package ws_test

import (
	"context"
	"encoding/json"
	"sync/atomic"
	"testing"

	"github.com/coder/websocket"

	"github.com/tourhub/tourhub/hub/redisstore"
	"github.com/tourhub/tourhub/hub/store"
	"github.com/tourhub/tourhub/hub/wire"
	"github.com/tourhub/tourhub/internal/redistest"
	"github.com/tourhub/tourhub/match"
)

// TestWSAcrossNodes runs two nodes on one real redis-server: commands committed on either node
// reach the sockets of both, in order (a tourhub.v2 socket the same events, compact, whether its
// node committed them or followed another's commit), and a client resumes on the other node with
// exactly the events it missed.
func TestWSAcrossNodes(t *testing.T) {
	t.Parallel()
	rs := redistest.Start(t)
	onRedis := wsNodeOpts{newStore: func(t *testing.T) store.Store {
		s, err := redisstore.New(context.Background(), redisstore.Options{URL: rs.URL()})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}}
	n1, n2 := newWSNode(t, onRedis), newWSNode(t, onRedis)
	n1.tourney(t, "tx", "Ada")
	c1, c2 := n1.dial(t), n2.dial(t)
	s1, _ := c1.subscribe("tx")
	s2, _ := c2.subscribe("tx")
	var read atomic.Int64
	v2, _ := dialOffering(t, n2, []string{wire.Protocol}, websocket.CompressionDisabled, &read)
	subscribeV2(t, v2, "tx")
	if s1.Epoch != s2.Epoch || s1.Version != s2.Version {
		t.Fatalf("nodes disagree: (%s, %d) and (%s, %d)", s1.Epoch, s1.Version, s2.Epoch, s2.Version)
	}

	var last store.Applied
	for i := range 20 {
		n := []*wsNode{n1, n2}[i%2]
		last = n.apply(t, "tx", match.Command{Type: match.CmdJoin, Name: "p" + wsItoa(i)})
	}
	evs := wsReadEvents(t, c1, s1.Version, last.Version)
	wsReadEvents(t, c2, s2.Version, last.Version)
	for _, want := range evs {
		b := readRaw(t, v2)
		got, err := wire.Decode(b)
		if err != nil || got.Version != want.Version || got.Rev != want.Rev {
			t.Fatalf("v2 socket read %.100s (%v); want the event %d rev %s", b, err, want.Version, want.Rev)
		}
		gj, _ := json.Marshal(got.Events)
		wj, _ := json.Marshal(want.Events)
		if string(gj) != string(wj) {
			t.Fatalf("v2 event %d decodes as %s; want %s", want.Version, gj, wj)
		}
	}

	// c2 drops; commands go on; it resumes on node 1.
	c2.c.Close(websocket.StatusNormalClosure, "")
	missed, missedRev := last.Version, last.Rev
	for i := range 5 {
		last = n2.apply(t, "tx", match.Command{Type: match.CmdJoin, Name: "q" + wsItoa(i)})
	}
	r := n1.dial(t)
	r.send(map[string]any{"type": "subscribe", "ref": "again", "tournament": "tx", "epoch": s2.Epoch, "version": missed, "rev": missedRev})
	if sub := r.expect("subscribed"); !sub.Recovered || sub.Version != last.Version {
		t.Fatalf("resume: %+v; want recovered at %d", sub, last.Version)
	}
	wsReadEvents(t, r, missed, last.Version)
	wsReadEvents(t, c1, last.Version-5, last.Version)
}
