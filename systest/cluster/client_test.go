package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/tourhub/tourhub/match"
)

// wsMsg is any server message; each type uses some of the fields.
type wsMsg struct {
	Type       string          `json:"type"`
	Ref        string          `json:"ref"`
	Tournament string          `json:"tournament"`
	Epoch      string          `json:"epoch"`
	Version    int64           `json:"version"`
	Rev        string          `json:"rev"`
	Recovered  bool            `json:"recovered"`
	Events     []match.Event   `json:"events"`
	Kind       string          `json:"kind"`
	Match      json.RawMessage `json:"match"`
	Code       string          `json:"code"`
	Message    string          `json:"message"`
	Duplicate  bool            `json:"duplicate"`
	State      *state          `json:"state"`
}

// received is one `event` message as a client got it.
type received struct {
	epoch   string
	version int64
	rev     string
	events  []match.Event
}

// client is a WebSocket client of one tournament that records everything it receives and checks,
// as it goes, that versions arrive exactly once and in order after its snapshot.
type client struct {
	t     testing.TB
	name  string
	tid   string
	token string // player token, or empty for a spectator

	mu        sync.Mutex
	conn      *websocket.Conn // current connection
	gen       int             // connection generation; readers of older ones stop
	epoch     string          // of the last snapshot or event applied
	version   int64           // last version applied
	rev       string          // of the last version applied
	haveState bool
	events    []received
	notices   []wsMsg
	subs      []wsMsg // `subscribed` messages
	ended     []wsMsg // errors without ref: the node ended a subscription
	snapshots []int64 // versions of the snapshots received
	// lastSnapshot is how many events had come before the last snapshot: what the client holds is
	// that snapshot and the events from there.
	lastSnapshot int
	snapshotRev  string // the rev of the last snapshot
	replies      map[string]wsMsg
	problems     []string // order violations: gaps, duplicates, events before a snapshot
	readErr      error    // why the current connection's reader stopped
	changed      chan struct{}
	refN         int
	// allowResync accepts a snapshot (recovered:false) after the first one, as after a lost epoch.
	allowResync bool
}

func newClient(t testing.TB, name, tid, token string) *client {
	return &client{t: t, name: name, tid: tid, token: token, replies: map[string]wsMsg{}, changed: make(chan struct{})}
}

// connect dials n, authenticates (players) and subscribes: the first time from scratch, later
// with the remembered (epoch, version). It returns the `subscribed` reply.
func (c *client) connect(ctx context.Context, n *node) wsMsg {
	c.t.Helper()
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(dctx, "ws://"+n.addr+"/ws", nil)
	if err != nil {
		c.t.Fatalf("%s: dial node %d: %v", c.name, n.i, err)
	}
	conn.SetReadLimit(16 << 20)
	c.mu.Lock()
	if c.conn != nil {
		_ = c.conn.CloseNow()
	}
	c.gen++
	gen := c.gen
	c.conn, c.readErr = conn, nil
	c.mu.Unlock()
	go c.read(conn, gen)
	c.t.Cleanup(func() { _ = conn.CloseNow() })

	if c.token != "" {
		r := c.request(ctx, map[string]any{"type": "auth", "token": c.token})
		if r.Type != "auth_ok" {
			c.t.Fatalf("%s: auth on node %d: got %+v", c.name, n.i, r)
		}
	}
	sub := map[string]any{"type": "subscribe", "tournament": c.tid}
	c.mu.Lock()
	if c.haveState {
		sub["epoch"], sub["version"], sub["rev"] = c.epoch, c.version, c.rev
	}
	c.mu.Unlock()
	r := c.request(ctx, sub)
	if r.Type != "subscribed" {
		c.t.Fatalf("%s: subscribe on node %d: got %+v", c.name, n.i, r)
	}
	return r
}

// read is the reader of one connection; it exits when the connection ends.
func (c *client) read(conn *websocket.Conn, gen int) {
	for {
		_, b, err := conn.Read(context.Background())
		c.mu.Lock()
		if c.gen != gen {
			c.mu.Unlock()
			return
		}
		if err != nil {
			c.readErr = err
			c.broadcast()
			c.mu.Unlock()
			return
		}
		var m wsMsg
		if err := json.Unmarshal(b, &m); err != nil {
			c.problems = append(c.problems, fmt.Sprintf("undecodable message %s: %v", b, err))
		} else {
			c.handle(m)
		}
		c.broadcast()
		c.mu.Unlock()
	}
}

// handle records m; c.mu is held.
func (c *client) handle(m wsMsg) {
	switch m.Type {
	case "event":
		switch {
		case !c.haveState:
			c.problems = append(c.problems, fmt.Sprintf("event v%d before any snapshot", m.Version))
		case m.Epoch != "" && m.Epoch != c.epoch:
			c.problems = append(c.problems, fmt.Sprintf("event v%d of epoch %s; have epoch %s", m.Version, m.Epoch, c.epoch))
		case m.Version != c.version+1:
			c.problems = append(c.problems, fmt.Sprintf("event v%d after v%d (gap or duplicate)", m.Version, c.version))
		}
		c.events = append(c.events, received{epoch: m.Epoch, version: m.Version, rev: m.Rev, events: m.Events})
		if m.Version > c.version || m.Epoch != c.epoch {
			c.version, c.epoch, c.rev = m.Version, m.Epoch, m.Rev
		}
	case "snapshot":
		if c.haveState && !c.allowResync {
			c.problems = append(c.problems, fmt.Sprintf("unexpected snapshot v%d (had v%d)", m.Version, c.version))
		}
		c.snapshots = append(c.snapshots, m.Version)
		c.lastSnapshot, c.snapshotRev = len(c.events), m.Rev
		c.epoch, c.version, c.rev, c.haveState = m.Epoch, m.Version, m.Rev, true
	case "notice":
		c.notices = append(c.notices, m)
	case "subscribed":
		c.subs = append(c.subs, m)
		if m.Ref != "" {
			c.replies[m.Ref] = m
		}
	default:
		if m.Ref != "" {
			c.replies[m.Ref] = m
		} else if m.Type == "error" && m.Tournament != "" {
			c.ended = append(c.ended, m)
		}
	}
}

func (c *client) broadcast() {
	close(c.changed)
	c.changed = make(chan struct{})
}

// waitFor waits until cond (called with c.mu held) holds, or fails the test when ctx ends.
func (c *client) waitFor(ctx context.Context, what string, cond func() bool) {
	c.t.Helper()
	for {
		c.mu.Lock()
		ok, ch, rerr, v := cond(), c.changed, c.readErr, c.version
		c.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-ch:
		case <-ctx.Done():
			c.t.Fatalf("%s: waiting for %s: %v (at v%d, reader: %v)", c.name, what, ctx.Err(), v, rerr)
		}
	}
}

// send writes one message; it sets a fresh ref and returns it.
func (c *client) send(ctx context.Context, m map[string]any) string {
	c.t.Helper()
	c.mu.Lock()
	c.refN++
	ref := c.name + "-" + strconv.Itoa(c.refN)
	conn := c.conn
	c.mu.Unlock()
	m["ref"] = ref
	b, _ := json.Marshal(m)
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := conn.Write(wctx, websocket.MessageText, b); err != nil {
		c.t.Fatalf("%s: write %s: %v", c.name, b, err)
	}
	return ref
}

// request sends m and waits for the reply with its ref.
func (c *client) request(ctx context.Context, m map[string]any) wsMsg {
	c.t.Helper()
	ref := c.send(ctx, m)
	var r wsMsg
	c.waitFor(ctx, "reply to "+fmt.Sprint(m["type"]), func() bool {
		var ok bool
		r, ok = c.replies[ref]
		return ok
	})
	return r
}

// report sends a result over the socket and wants `reported`.
func (c *client) report(ctx context.Context, mid match.MatchID, scores [2]int, sub string) wsMsg {
	c.t.Helper()
	r := c.request(ctx, map[string]any{"type": "report", "tournament": c.tid, "match": mid, "scores": scores, "submission_id": sub})
	if r.Type != "reported" {
		c.t.Fatalf("%s: report match %d %v: got %+v", c.name, mid, scores, r)
	}
	return r
}

// waitVersion waits until the client has applied version v.
func (c *client) waitVersion(ctx context.Context, v int64) {
	c.t.Helper()
	c.waitFor(ctx, fmt.Sprintf("version %d", v), func() bool { return c.haveState && c.version >= v })
}

// check reports every ordering problem seen, and that the events after the first snapshot are
// exactly first+1..final.
func (c *client) check(final int64) {
	c.t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range c.problems {
		c.t.Errorf("%s: %s", c.name, p)
	}
	if len(c.snapshots) == 0 {
		c.t.Errorf("%s: no snapshot", c.name)
		return
	}
	if c.version != final {
		c.t.Errorf("%s: at version %d; want %d", c.name, c.version, final)
	}
	if c.allowResync {
		return
	}
	first := c.snapshots[0]
	if got, want := len(c.events), int(final-first); got != want {
		c.t.Errorf("%s: got %d events after snapshot v%d; want %d", c.name, got, first, want)
	}
	for i, e := range c.events {
		if e.version != first+int64(i)+1 {
			c.t.Errorf("%s: event %d is v%d; want v%d", c.name, i, e.version, first+int64(i)+1)
			break
		}
	}
}

// settled waits until the client is at final, then reports its ordering problems (check) and
// whatever it holds that is not on the stored history log (onHistory).
func (c *client) settled(ctx context.Context, final int64, log eventLog) {
	c.t.Helper()
	c.waitVersion(ctx, final)
	c.check(final)
	for _, p := range c.onHistory(log) {
		c.t.Errorf("%s: %s", c.name, p)
	}
}

// onHistory reports what the client holds that is not on the stored history log: its last
// snapshot must be a version of it with the same rev, and every event since too.
func (c *client) onHistory(log eventLog) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	revs := map[int64]string{}
	for _, e := range log.Entries {
		revs[e.Version] = e.Rev
	}
	var off []string
	if v := c.snapshots[len(c.snapshots)-1]; revs[v] != c.snapshotRev {
		off = append(off, fmt.Sprintf("snapshot v%d rev %s; the stored history has rev %q", v, c.snapshotRev, revs[v]))
	}
	for _, e := range c.events[c.lastSnapshot:] {
		if revs[e.version] != e.rev {
			off = append(off, fmt.Sprintf("event v%d rev %s; the stored history has rev %q", e.version, e.rev, revs[e.version]))
		}
	}
	return off
}

// noticeKinds counts the notices by kind.
func (c *client) noticeKinds() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := map[string]int{}
	for _, n := range c.notices {
		k[n.Kind]++
	}
	return k
}

// sawEvent reports whether the client received an event of type typ about match mid.
func (c *client) sawEvent(typ match.EventType, mid match.MatchID) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, r := range c.events {
		for _, e := range r.events {
			if e.Type == typ && e.Match != nil && e.Match.ID == mid {
				return true
			}
		}
	}
	return false
}

// close ends the current connection.
func (c *client) close() {
	c.mu.Lock()
	conn := c.conn
	c.mu.Unlock()
	if conn != nil {
		_ = conn.CloseNow()
	}
}

// waitDown waits until the current connection's reader has stopped (the node went away).
func (c *client) waitDown(ctx context.Context) {
	c.t.Helper()
	c.waitFor(ctx, "connection to end", func() bool { return c.readErr != nil })
}
