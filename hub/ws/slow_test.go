package ws_test

import (
	"context"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/tourhub/tourhub/hub/command"
	"github.com/tourhub/tourhub/hub/store"
	"github.com/tourhub/tourhub/hub/ws"
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
	n := newWSNode(t, wsNodeOpts{cfg: ws.Config{QueueLen: 8, PingEvery: time.Hour, WriteTimeout: time.Hour}})
	n.tourney(t, "ts", "Ada", "Grace")
	slow, fast := n.dial(t), n.dial(t)
	slow.subscribe("ts")
	sub, _ := fast.subscribe("ts")

	big := strings.Repeat("x", 64<<10)
	v, rev := sub.Version, sub.Rev
	// next is the entry after the last one delivered, on its history.
	next := func(ev match.Event) store.Entry {
		v++
		e := store.Entry{Version: v, Rev: "r" + strconv.FormatInt(v, 10), Prev: rev, Events: []match.Event{ev}}
		rev = e.Rev
		return e
	}
	marked := false
	// In lockstep with the fast client, so that only the slow one can fall behind.
	for i := 0; i < 2000 && !marked; i++ {
		n.topics.Deliver("ts", sub.Epoch, next(match.Event{Type: match.EvCheckedIn, Player: 1, Reason: big}), false)
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
	n.topics.Deliver("ts", sub.Epoch, next(match.Event{Type: match.EvCheckedIn, Player: 2}), false)
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

	n.topics.Deliver("tl", a.Epoch, store.Entry{}, true)
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
	n := newWSNode(t, wsNodeOpts{cfg: ws.Config{PingEvery: 20 * time.Millisecond, PongWait: 20 * time.Millisecond}})
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

// dialSmall dials a client socket with a small receive buffer, so that a client that stops
// reading fills what is between it and the node soon. (Smaller than a segment, it would crawl
// once it reads again: the kernel would wait for its window to open by a whole segment.)
func (n *wsNode) dialSmall(t *testing.T) *wsClient {
	t.Helper()
	dialer := &net.Dialer{}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, n.srv.URL, &websocket.DialOptions{
		Subprotocols: []string{ws.Subprotocol},
		HTTPHeader:   http.Header{"Origin": {wsTestOrigin}},
		HTTPClient: &http.Client{Transport: &http.Transport{
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				c, err := dialer.DialContext(ctx, network, addr)
				if err == nil {
					err = c.(*net.TCPConn).SetReadBuffer(64 << 10)
				}
				return c, err
			},
		}},
	})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	c.SetReadLimit(1 << 24)
	t.Cleanup(func() { c.CloseNow() })
	return &wsClient{t: t, c: c}
}

// TestWSSlowClientReadsThenClose: a client that stops reading is closed as slow (its queue
// overflows in messages or in bytes, or a write does not finish within the write timeout), and
// when it reads again it gets the messages it was sent, in order and whole, and then the close
// frame with 4001, not a connection cut without one.
func TestWSSlowClientReadsThenClose(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  ws.Config
	}{
		{"queue full of messages", ws.Config{QueueLen: 8, WriteTimeout: time.Hour}},
		{"queue full of bytes", ws.Config{QueueLen: 1 << 20, QueueBytes: 128 << 10, WriteTimeout: time.Hour}},
		// Long enough for the client to start reading again once it learns it was marked slow:
		// closeBy is WriteTimeout after that.
		{"write timeout", ws.Config{WriteTimeout: 2 * time.Second}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.cfg.SendBuffer = 32 << 10 // a client that stops reading fills it soon
			// The client answers no ping while it does not read: only what the case tests may
			// close it (see TestWSSlowConsumer).
			tc.cfg.PingEvery = time.Hour
			n := newWSNode(t, wsNodeOpts{cfg: tc.cfg})
			n.tourney(t, "ts", "Ada")
			c := n.dialSmall(t)
			sub, _ := c.subscribe("ts")
			pad := strings.Repeat("x", 8<<10)
			v, rev := sub.Version, sub.Rev
			marked := false
			for i := 0; i < 2000 && !marked; i++ {
				v++
				e := store.Entry{Version: v, Rev: "r" + strconv.FormatInt(v, 10), Prev: rev,
					Events: []match.Event{{Type: match.EvCheckedIn, Player: 1, Reason: pad}}}
				rev = e.Rev
				n.topics.Deliver("ts", sub.Epoch, e, false)
				select {
				case <-n.slow:
					marked = true
				default:
				}
				if i == 100 && !marked {
					// Enough to fill the buffers: wait for the write timeout, if that is the case.
					select {
					case <-n.slow:
						marked = true
					case <-time.After(30 * time.Second):
						t.Fatal("the client was not marked slow within 30s")
					}
				}
			}
			if !marked {
				t.Fatal("the client was never marked slow")
			}
			want := sub.Version + 1
			for {
				m, err := c.tryRead()
				if err != nil {
					if got := websocket.CloseStatus(err); got != 4001 {
						t.Fatalf("after events up to %d the read failed with %v; want close 4001", want-1, err)
					}
					break
				}
				if m.Type != "event" || m.Version != want || len(m.Events) != 1 || m.Events[0].Reason != pad {
					t.Fatalf("got %s %d; want event %d whole", m.Type, m.Version, want)
				}
				want++
			}
			t.Logf("the client read %d events of %d, then 4001", want-sub.Version-1, v-sub.Version)
		})
	}
}

// TestWSDrainNotHeldUp: clients that neither read nor answer their close frame do not hold up
// the others' 1001: every client that reads gets it within the drain time.
func TestWSDrainNotHeldUp(t *testing.T) {
	t.Parallel()
	const readers, silent = 220, 20
	n := newWSNode(t, wsNodeOpts{})
	n.tourney(t, "td", "Ada")
	var quiet []*silentSocket
	for range silent {
		s := dialSilent(t, n.srv.URL)
		s.subscribe("td")
		quiet = append(quiet, s)
	}
	closed := make(chan websocket.StatusCode, readers)
	for range readers {
		c := n.dial(t)
		c.subscribe("td")
		go func() {
			for {
				if _, _, err := c.c.Read(context.Background()); err != nil {
					closed <- websocket.CloseStatus(err)
					return
				}
			}
		}()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	drained := make(chan error, 1)
	go func() { drained <- n.ws.Drain(ctx) }()
	for i := range readers {
		select {
		case got := <-closed:
			if got != websocket.StatusGoingAway {
				t.Fatalf("client %d of %d closed with %d; want 1001", i+1, readers, got)
			}
		case <-ctx.Done():
			t.Fatalf("%d of %d reading clients got their 1001 within the drain time", i, readers)
		}
	}
	for _, s := range quiet {
		s.c.Close()
	}
	if err := <-drained; err != nil {
		t.Errorf("drain: %v", err)
	}
}

// TestWSDrainReportInFlight: a report still being applied when the node drains is answered with
// unavailable (retryable: the same submission_id is safe), before the 1001.
func TestWSDrainReportInFlight(t *testing.T) {
	t.Parallel()
	started := make(chan struct{})
	n := newWSNode(t, wsNodeOpts{report: func(ctx context.Context, c command.Claims, _ string, _ match.MatchID, _ match.Report, _ string) (store.Applied, error) {
		close(started)
		<-ctx.Done() // a store that has not answered yet
		return store.Applied{}, ctx.Err()
	}})
	ids := n.tourney(t, "tr", "Ada", "Grace")
	n.apply(t, "tr", match.Command{Type: match.CmdStart})
	c := n.dial(t, "token."+n.token(t, command.Claims{Tournament: "tr", Role: command.RolePlayer, Player: int(ids[0])}))
	c.expect("auth_ok")
	c.send(map[string]any{"type": "report", "ref": "r1", "tournament": "tr", "match": 1, "scores": [2]int{1, 0}, "submission_id": "ada-1"})
	<-started
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	drained := make(chan error, 1)
	go func() { drained <- n.ws.Drain(ctx) }()
	if e := c.expect("error"); e.Code != command.CodeUnavailable || e.Ref != "r1" || !strings.Contains(e.Message, "submission_id") {
		t.Errorf("got %+v; want unavailable for r1, saying to send it again", e)
	}
	if got := c.closeStatus(); got != websocket.StatusGoingAway {
		t.Errorf("closed with %d; want 1001", got)
	}
	if err := <-drained; err != nil {
		t.Errorf("drain: %v", err)
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
	n.topics.Deliver("tn", sub.Epoch, store.Entry{Version: sub.Version + 1, Rev: "x", Prev: sub.Rev,
		Events: []match.Event{{Type: match.EvPlayerJoined, Player: 3, Participant: &bad}}}, false)
	if snap := c.expect("snapshot"); snap.Version != sub.Version || snap.Rev != sub.Rev {
		t.Errorf("after an unencodable entry: snapshot v%d %s; want the stored v%d %s", snap.Version, snap.Rev, sub.Version, sub.Rev)
	}
	c.send(map[string]any{"type": "ping"})
	c.expect("pong")
}

func TestApplyCommandRecovers(t *testing.T) {
	t.Parallel()
	events, err := store.ApplyCommand(nil, match.Command{Type: match.CmdJoin, Name: "Ada"})
	if err == nil || events != nil || !strings.Contains(err.Error(), "engine panic") {
		t.Fatalf("ApplyCommand on a nil tournament: events %v err %v; want an engine panic error", events, err)
	}
	if status, code, _ := command.ErrorBody(err); status != 500 || code != command.CodeInternal {
		t.Errorf("answered %d %s; want 500 internal", status, code)
	}
}

// TestWSHandlerPanic: a panic while handling one socket's message (here in the report it makes)
// closes that socket with 1011 and leaves the node and its other sockets as they were.
func TestWSHandlerPanic(t *testing.T) {
	t.Parallel()
	n := newWSNode(t, wsNodeOpts{report: func(context.Context, command.Claims, string, match.MatchID, match.Report, string) (store.Applied, error) {
		panic("a bug a message reaches")
	}})
	n.tourney(t, "tp", "Ada", "Grace")
	other := n.dial(t)
	other.subscribe("tp")
	c := n.dial(t)
	c.send(map[string]any{"type": "auth", "token": n.token(t, command.Claims{Tournament: "tp", Role: command.RoleOrganiser})})
	c.expect("auth_ok")
	c.send(map[string]any{"type": "report", "tournament": "tp", "match": 1, "scores": []int{1, 0}, "submission_id": "s1"})
	if got := c.closeStatus(); got != websocket.StatusInternalError {
		t.Errorf("closed with %d; want 1011", got)
	}
	other.send(map[string]any{"type": "ping"})
	other.expect("pong")
}

// TestWSBulkPaced: snapshots of 32 KiB or more are written at the node's bulk pace (BulkCPU):
// every subscriber of a big tournament gets its whole snapshot, the pauses between the writes are
// counted, and they do not count against the sockets' write timeout.
func TestWSBulkPaced(t *testing.T) {
	t.Parallel()
	n := newWSNode(t, wsNodeOpts{cfg: ws.Config{BulkCPU: 0.05, WriteTimeout: 2 * time.Second}})
	names := make([]string, 256)
	for i := range names {
		names[i] = "Player " + strconv.Itoa(i+1)
	}
	n.tourney(t, "big", names...)
	// Pauses come between turns that follow each other closely: the sockets are dialled first and
	// then subscribe together, in batches until one is paced (a loaded machine may spread a
	// batch's catch-ups wider than a pause; without the pace no batch ever is).
	paused, total := 0.0, 0
	for batch := 0; batch < 5 && !(paused > 0); batch++ {
		clients := make([]*wsClient, 24)
		for i := range clients {
			clients[i] = n.dial(t)
		}
		for _, c := range clients {
			c.send(map[string]any{"type": "subscribe", "ref": "s", "tournament": "big"})
		}
		for i, c := range clients {
			c.expect("subscribed")
			snap := c.expect("snapshot")
			if got := len(snap.State.Participants); got != len(names) {
				t.Fatalf("client %d: snapshot with %d participants; want %d", i, got, len(names))
			}
		}
		total += len(clients)
		paused = n.metric(t, "tourhub_ws_bulk_paused_seconds_total")
	}
	if !(paused > 0) {
		t.Errorf("tourhub_ws_bulk_paused_seconds_total = %v after %d big snapshots at 5%% of a CPU; want the pauses counted", paused, total)
	}
	if got := n.metric(t, "tourhub_ws_slow_consumer_closes_total"); got != 0 {
		t.Errorf("%v sockets closed as slow; the wait for a turn is not theirs", got)
	}
}
