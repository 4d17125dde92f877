package hub_test

import (
	"context"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/tourhub/tourhub/hub"
	"github.com/tourhub/tourhub/match"
)

// TestWSSlowConsumer delivers big entries while one client reads nothing: its queue overflows and
// it is closed with 4001, while a client that reads gets every entry.
func TestWSSlowConsumer(t *testing.T) {
	t.Parallel()
	// Only the queue may close the slow client. It answers no ping, so with the default ping (20s,
	// then 10s for the pong) a loaded machine that took over 30s to fill the sockets' buffers
	// (about 170 entries) closed it for that first, and it was never marked slow; a write
	// deadline would do the same. Neither comes within the test.
	n := newWSNode(t, wsNodeOpts{cfg: hub.WSConfig{QueueLen: 8, PingEvery: time.Hour, WriteTimeout: time.Hour}})
	n.tourney(t, "ts", "Ada", "Grace")
	slow, fast := n.dial(t), n.dial(t)
	slow.subscribe("ts")
	sub, _ := fast.subscribe("ts")

	big := strings.Repeat("x", 64<<10)
	v, rev := sub.Version, sub.Rev
	// next is the entry after the last one delivered, on its history.
	next := func(ev match.Event) hub.Entry {
		v++
		e := hub.Entry{Version: v, Rev: "r" + strconv.FormatInt(v, 10), Prev: rev, Events: []match.Event{ev}}
		rev = e.Rev
		return e
	}
	marked := false
	// In lockstep with the fast client, so that only the slow one can fall behind.
	for i := 0; i < 2000 && !marked; i++ {
		n.ws.Deliver("ts", sub.Epoch, next(match.Event{Type: match.EvCheckedIn, Player: 1, Reason: big}), false)
		if m := fast.expect("event"); m.Version != v {
			t.Fatalf("fast client got event %d; want %d", m.Version, v)
		}
		select {
		case <-n.slow:
			marked = true
		default:
		}
	}
	if !marked {
		t.Fatal("the slow client was never marked slow")
	}
	if got := slow.closeStatus(); got != 4001 {
		t.Errorf("slow client closed with %d; want 4001", got)
	}
	// The fast client goes on.
	n.ws.Deliver("ts", sub.Epoch, next(match.Event{Type: match.EvCheckedIn, Player: 2}), false)
	if m := fast.expect("event"); m.Version != v {
		t.Errorf("fast client got event %d; want %d", m.Version, v)
	}

	for _, c := range []struct {
		name   string
		labels []string
		min    float64
	}{
		{"tourhub_ws_slow_consumer_closes_total", nil, 1},
		{"tourhub_ws_server_closes_total", []string{"code", "4001"}, 1},
		{"tourhub_ws_messages_in_total", []string{"type", "subscribe"}, 2},
		{"tourhub_ws_messages_out_total", []string{"type", "event"}, float64(v - sub.Version)},
		{"tourhub_ws_messages_out_total", []string{"type", "snapshot"}, 2},
		{"tourhub_ws_fanout_lag_seconds", nil, float64(v - sub.Version)},
		{"tourhub_ws_sockets", nil, 1},
	} {
		if got := n.metric(t, c.name, c.labels...); got < c.min {
			t.Errorf("%s%v = %v; want at least %v", c.name, c.labels, got, c.min)
		}
	}
}

// TestWSLostDelivery checks that a lost delivery sends every subscriber a fresh snapshot, and that
// live events continue after it.
func TestWSLostDelivery(t *testing.T) {
	t.Parallel()
	n := newWSNode(t, wsNodeOpts{})
	n.tourney(t, "tl", "Ada")
	c := n.dial(t)
	c.subscribe("tl")
	a := n.apply(t, "tl", match.Command{Type: match.CmdJoin, Name: "Grace"})
	wsReadEvents(t, c, a.Version-1, a.Version)

	n.ws.Deliver("tl", a.Epoch, hub.Entry{}, true)
	snap := c.expect("snapshot")
	if snap.Version != a.Version || snap.State == nil || len(snap.State.Participants) != 2 {
		t.Fatalf("snapshot %+v; want version %d with 2 participants", snap, a.Version)
	}
	b := n.apply(t, "tl", match.Command{Type: match.CmdJoin, Name: "Linus"})
	wsReadEvents(t, c, a.Version, b.Version)
}

func TestWSDrain(t *testing.T) {
	t.Parallel()
	n := newWSNode(t, wsNodeOpts{})
	n.tourney(t, "td", "Ada")
	var cs []*wsClient
	for range 5 {
		c := n.dial(t)
		c.subscribe("td")
		cs = append(cs, c)
	}
	if got := n.ws.Sockets(); got != 5 {
		t.Fatalf("%d sockets; want 5", got)
	}
	closed := make(chan websocket.StatusCode, len(cs))
	for _, c := range cs {
		go func() {
			for {
				_, _, err := c.c.Read(context.Background())
				if err != nil {
					closed <- websocket.CloseStatus(err)
					return
				}
			}
		}()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := n.ws.Drain(ctx); err != nil {
		t.Fatalf("drain: %v", err)
	}
	for range cs {
		if got := <-closed; got != websocket.StatusGoingAway {
			t.Errorf("closed with %d; want %d", got, websocket.StatusGoingAway)
		}
	}
	if got := n.ws.Sockets(); got != 0 {
		t.Errorf("%d sockets after drain; want 0", got)
	}
	if got := n.metric(t, "tourhub_ws_sockets"); got != 0 {
		t.Errorf("tourhub_ws_sockets = %v after drain; want 0", got)
	}
	if got := n.metric(t, "tourhub_ws_server_closes_total", "code", "1001"); got != 5 {
		t.Errorf("%v closes with 1001; want 5", got)
	}
	dctx, dcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer dcancel()
	if _, resp, err := websocket.Dial(dctx, n.srv.URL, nil); err == nil || resp == nil || resp.StatusCode != 503 {
		t.Errorf("dial after drain: %v %v; want 503", resp, err)
	}
}

// TestWSPingTimeout checks that a client that answers no ping is closed.
func TestWSPingTimeout(t *testing.T) {
	t.Parallel()
	n := newWSNode(t, wsNodeOpts{cfg: hub.WSConfig{PingEvery: 20 * time.Millisecond, PongWait: 20 * time.Millisecond}})
	c := n.dial(t) // never reads, so never answers a ping
	_ = c
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for n.ws.Sockets() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the socket that answers no ping is still open")
		}
		<-tick.C
	}
}

// TestWSUnencodableEntry: an entry that cannot be encoded (here a NaN, which JSON cannot hold)
// does not bring the node down: the error is logged, the subscribers are resynced with a snapshot of
// the stored state, and the socket goes on.
func TestWSUnencodableEntry(t *testing.T) {
	t.Parallel()
	n := newWSNode(t, wsNodeOpts{})
	n.tourney(t, "tn", "Ada", "Grace")
	c := n.dial(t)
	sub, _ := c.subscribe("tn")
	bad := match.Participant{ID: 3, Name: "NaN", Rating: math.NaN()}
	n.ws.Deliver("tn", sub.Epoch, hub.Entry{Version: sub.Version + 1, Rev: "x", Prev: sub.Rev,
		Events: []match.Event{{Type: match.EvPlayerJoined, Player: 3, Participant: &bad}}}, false)
	if snap := c.expect("snapshot"); snap.Version != sub.Version || snap.Rev != sub.Rev {
		t.Errorf("after an unencodable entry: snapshot v%d %s; want the stored v%d %s", snap.Version, snap.Rev, sub.Version, sub.Rev)
	}
	c.send(map[string]any{"type": "ping"})
	c.expect("pong")
}

func TestApplyCommandRecovers(t *testing.T) {
	t.Parallel()
	events, err := hub.ApplyCommand(nil, match.Command{Type: match.CmdJoin, Name: "Ada"})
	if err == nil || events != nil || !strings.Contains(err.Error(), "engine panic") {
		t.Fatalf("ApplyCommand on a nil tournament: events %v err %v; want an engine panic error", events, err)
	}
	if status, code, _ := hub.ErrorBody(err); status != 500 || code != hub.CodeInternal {
		t.Errorf("answered %d %s; want 500 internal", status, code)
	}
}
