package ws_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/coder/websocket"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/tourhub/tourhub/hub/command"
	"github.com/tourhub/tourhub/hub/fanout"
	"github.com/tourhub/tourhub/hub/memstore"
	"github.com/tourhub/tourhub/hub/sock"
	"github.com/tourhub/tourhub/hub/store"
	"github.com/tourhub/tourhub/hub/view"
	"github.com/tourhub/tourhub/hub/ws"
	"github.com/tourhub/tourhub/match"
)

// TestMain fails the package when a goroutine (a socket's, the broker's, the store's) outlives
// the tests.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const (
	wsTestOrigin = "http://app.example"
	wsTestSecret = "test secret, not for production"
)

// node is one hub node's WebSocket side on a real HTTP server over a real memory store.
type wsNode struct {
	ws     *ws.Server
	topics *fanout.Table // the store's Handler
	store  store.Store
	tokens *command.Tokens
	srv    *httptest.Server
	slow   chan struct{} // receives once per socket marked slow
	reg    *prometheus.Registry
}

type wsNodeOpts struct {
	cfg   ws.Config
	store []memstore.Option
	// newStore makes the node's store (a memory store with the options above if nil).
	newStore func(t *testing.T) store.Store
	// handler, if set, stands between the store and the node's table of topics: it gets the table
	// and returns the Handler registered with the store.
	handler func(ws store.Handler) store.Handler
	// report, if set, is the node's report func instead of its own (n.report).
	report func(ctx context.Context, c command.Claims, tournament string, m match.MatchID, res match.Report, sub string) (store.Applied, error)
}

func newWSNode(t *testing.T, o wsNodeOpts) *wsNode {
	t.Helper()
	n := &wsNode{slow: make(chan struct{}, 16)}
	if o.newStore != nil {
		n.store = o.newStore(t)
	} else {
		n.store = memstore.New(o.store...)
	}
	n.tokens = command.NewTokens([]byte(wsTestSecret), time.Hour, nil)
	cmds, err := command.New(command.Config{Store: n.store, Due: memstore.NewDueSet(), Tokens: n.tokens})
	if err != nil {
		t.Fatal(err)
	}
	n.reg = prometheus.NewRegistry()
	n.topics = fanout.New(fanout.Config{Store: n.store, QueueLen: o.cfg.QueueLen, Registerer: n.reg})
	cfg := o.cfg
	cfg.Topics = n.topics
	cfg.Commands = cmds
	cfg.Origins = []string{"app.example"}
	cfg.Registerer = n.reg
	if o.report != nil {
		cfg.Commands = reportOverride{Commands: cmds, report: o.report}
	}
	n.ws = ws.New(cfg)
	if o.handler != nil {
		n.store.Register(o.handler(n.topics))
	} else {
		n.store.Register(n.topics)
	}
	ws.SetOnSlow(n.ws, func() {
		select {
		case n.slow <- struct{}{}:
		default:
		}
	})
	n.srv = httptest.NewServer(n.ws)
	t.Cleanup(func() { n.store.Close() })
	t.Cleanup(n.srv.Close)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		if err := n.ws.Drain(ctx); err != nil {
			t.Errorf("drain: %v", err)
		}
		n.topics.Close()
	})
	return n
}

// report is the node's report func: the claims' tournament must match, a player reports as
// themself, the organiser's word is final (as the HTTP API does it).
// reportOverride is the node's command service with its Report replaced.
type reportOverride struct {
	ws.Commands
	report func(ctx context.Context, c command.Claims, tournament string, m match.MatchID, res match.Report, sub string) (store.Applied, error)
}

func (r reportOverride) Report(ctx context.Context, c command.Claims, tournament string, m match.MatchID, res match.Report, sub string) (store.Applied, error) {
	return r.report(ctx, c, tournament, m, res, sub)
}

// tourney creates a single-elimination tournament with the named players; it returns the
// players' ids in join order.
func (n *wsNode) tourney(t *testing.T, id string, names ...string) []match.PlayerID {
	t.Helper()
	return n.tourneyWith(t, id, match.Settings{Format: match.SingleElimination}, names...)
}

func (n *wsNode) tourneyWith(t *testing.T, id string, set match.Settings, names ...string) []match.PlayerID {
	t.Helper()
	ctx := context.Background()
	_, err := n.store.Create(ctx, id, match.Command{Type: match.CmdCreate, Tournament: id, Name: "Cup " + id,
		Settings: &set}, time.Now())
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	var ids []match.PlayerID
	for _, name := range names {
		a, err := n.store.Apply(ctx, id, match.Command{Type: match.CmdJoin, Name: name}, "")
		if err != nil {
			t.Fatalf("join %s: %v", name, err)
		}
		for _, ev := range a.Events {
			if ev.Participant != nil {
				ids = append(ids, ev.Participant.ID)
			}
		}
	}
	return ids
}

func (n *wsNode) apply(t *testing.T, id string, cmd match.Command) store.Applied {
	t.Helper()
	a, err := n.store.Apply(context.Background(), id, cmd, "")
	if err != nil {
		t.Fatalf("apply %s: %v", cmd.Type, err)
	}
	return a
}

// load is the node's stored state of id.
func (n *wsNode) load(t *testing.T, id string) *match.Tournament {
	t.Helper()
	st, _, err := n.store.Load(context.Background(), id)
	if err != nil {
		t.Fatalf("load %s: %v", id, err)
	}
	return st
}

func (n *wsNode) token(t *testing.T, c command.Claims) string {
	t.Helper()
	tok, err := n.tokens.Issue(c)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// wsMsg is any server message; each type fills its own fields.
type wsMsg struct {
	Type       string          `json:"type"`
	Ref        string          `json:"ref"`
	Tournament string          `json:"tournament"`
	Epoch      string          `json:"epoch"`
	Version    int64           `json:"version"`
	Rev        string          `json:"rev"`
	Recovered  bool            `json:"recovered"`
	Duplicate  bool            `json:"duplicate"`
	Code       string          `json:"code"`
	Message    string          `json:"message"`
	Role       string          `json:"role"`
	PlayerID   int             `json:"player_id"`
	Token      string          `json:"token"`
	Kind       string          `json:"kind"`
	Match      json.RawMessage `json:"match"`
	Opponent   *struct {
		ID   int
		Name string
	} `json:"opponent"`
	Placement *struct{ Rank, RankTo int } `json:"placement"`
	Text      string                      `json:"text"`
	Events    []match.Event               `json:"events"`
	State     *view.View                  `json:"state"`
}

type wsClient struct {
	t *testing.T
	c *websocket.Conn
	v int64 // the version of the last event or snapshot read
}

func (n *wsNode) dial(t *testing.T, protocols ...string) *wsClient {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, resp, err := websocket.Dial(ctx, n.srv.URL, &websocket.DialOptions{
		Subprotocols: append([]string{ws.Subprotocol}, protocols...),
		HTTPHeader:   http.Header{"Origin": {wsTestOrigin}},
	})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	if resp.Header.Get("Sec-WebSocket-Protocol") != ws.Subprotocol {
		t.Fatalf("subprotocol %q; want %q", resp.Header.Get("Sec-WebSocket-Protocol"), ws.Subprotocol)
	}
	c.SetReadLimit(1 << 24)
	t.Cleanup(func() { c.CloseNow() })
	return &wsClient{t: t, c: c}
}

func (c *wsClient) send(v any) {
	c.t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		c.t.Fatal(err)
	}
	c.sendRaw(b)
}

func (c *wsClient) sendRaw(b []byte) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.c.Write(ctx, websocket.MessageText, b); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

func (c *wsClient) read() wsMsg {
	c.t.Helper()
	m, err := c.tryRead()
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	return m
}

func (c *wsClient) tryRead() (wsMsg, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, b, err := c.c.Read(ctx)
	if err != nil {
		return wsMsg{}, err
	}
	var m wsMsg
	if err := json.Unmarshal(b, &m); err != nil {
		return wsMsg{}, fmt.Errorf("decode %s: %w", b, err)
	}
	if m.Type == "event" || m.Type == "snapshot" {
		c.v = m.Version
	}
	return m, nil
}

// expect reads the next message and checks its type.
func (c *wsClient) expect(typ string) wsMsg {
	c.t.Helper()
	m := c.read()
	if m.Type != typ {
		c.t.Fatalf("got %s %+v; want %s", m.Type, m, typ)
	}
	return m
}

// subscribe subscribes to id and returns the subscribed reply and the snapshot.
func (c *wsClient) subscribe(id string) (wsMsg, wsMsg) {
	c.t.Helper()
	c.send(map[string]any{"type": "subscribe", "ref": "s-" + id, "tournament": id})
	sub := c.expect("subscribed")
	if sub.Ref != "s-"+id || sub.Recovered {
		c.t.Fatalf("subscribed %+v; want ref s-%s, recovered false", sub, id)
	}
	snap := c.expect("snapshot")
	if snap.Version != sub.Version || snap.State == nil || snap.State.Version != sub.Version {
		c.t.Fatalf("snapshot at %d (state %+v); want version %d", snap.Version, snap.State, sub.Version)
	}
	return sub, snap
}

// closeStatus reads until the socket closes and returns the close code.
func (c *wsClient) closeStatus() websocket.StatusCode {
	c.t.Helper()
	for {
		_, err := c.tryRead()
		if err != nil {
			return websocket.CloseStatus(err)
		}
	}
}

func TestWSSubscribeSnapshot(t *testing.T) {
	t.Parallel()
	n := newWSNode(t, wsNodeOpts{})
	n.tourney(t, "t1", "Ada", "Grace", "Linus", "Ken")
	a := n.apply(t, "t1", match.Command{Type: match.CmdStart})

	c := n.dial(t)
	sub, snap := c.subscribe("t1")
	if sub.Version != a.Version || sub.Epoch != a.Epoch {
		t.Errorf("subscribed at (%s, %d); want (%s, %d)", sub.Epoch, sub.Version, a.Epoch, a.Version)
	}
	if got := len(snap.State.Participants); got != 4 {
		t.Errorf("snapshot has %d participants; want 4", got)
	}
	if snap.State.Status != match.StatusRunning || len(snap.State.Matches) == 0 {
		t.Errorf("snapshot status %s with %d matches; want running with matches", snap.State.Status, len(snap.State.Matches))
	}

	// Unknown tournament: an error with the ref, and the socket goes on.
	c.send(map[string]any{"type": "subscribe", "ref": "x", "tournament": "nope"})
	if e := c.expect("error"); e.Ref != "x" || e.Code != command.CodeNotFound {
		t.Errorf("got %+v; want not_found with ref x", e)
	}
	c.send(map[string]any{"type": "unsubscribe", "ref": "u", "tournament": "t1"})
	if u := c.expect("unsubscribed"); u.Ref != "u" || u.Tournament != "t1" {
		t.Errorf("got %+v; want unsubscribed t1 with ref u", u)
	}
	n.apply(t, "t1", match.Command{Type: match.CmdReport, Match: 1, Scores: [2]int{1, 0}})
	c.send(map[string]any{"type": "ping", "ref": "p"})
	if p := c.expect("pong"); p.Ref != "p" {
		t.Errorf("pong ref %q; want p (no event after unsubscribe)", p.Ref)
	}
}

// readEvents reads events (skipping notices) until version to, checking that versions go up by
// one from after.
func wsReadEvents(t *testing.T, c *wsClient, after, to int64) []wsMsg {
	t.Helper()
	var got []wsMsg
	for v := after; v < to; {
		m := c.read()
		if m.Type == "notice" {
			continue
		}
		if m.Type != "event" {
			t.Fatalf("got %s %+v; want event %d", m.Type, m, v+1)
		}
		if m.Version != v+1 {
			t.Fatalf("got event %d; want %d", m.Version, v+1)
		}
		v = m.Version
		got = append(got, m)
	}
	return got
}

func TestWSEventsInOrderToSeveralSubscribers(t *testing.T) {
	t.Parallel()
	n := newWSNode(t, wsNodeOpts{})
	n.tourney(t, "t2")
	clients := make([]*wsClient, 3)
	var from int64
	for i := range clients {
		clients[i] = n.dial(t)
		sub, _ := clients[i].subscribe("t2")
		from = sub.Version
	}
	names := []string{"A", "B", "C", "D", "E", "F", "G", "H"}
	var last store.Applied
	for _, name := range names {
		last = n.apply(t, "t2", match.Command{Type: match.CmdJoin, Name: name})
	}
	last = n.apply(t, "t2", match.Command{Type: match.CmdStart})
	for _, m := range n.load(t, "t2").Matches {
		if m.Round == 1 {
			last = n.apply(t, "t2", match.Command{Type: match.CmdReport, Match: m.ID, Scores: [2]int{1, 0}})
		}
	}
	for i, c := range clients {
		evs := wsReadEvents(t, c, from, last.Version)
		if evs[0].Events[0].Type != match.EvPlayerJoined {
			t.Errorf("client %d: first event %s; want player_joined", i, evs[0].Events[0].Type)
		}
		if evs[len(evs)-1].Epoch != last.Epoch {
			t.Errorf("client %d: epoch %s; want %s", i, evs[len(evs)-1].Epoch, last.Epoch)
		}
	}
}

func TestWSResume(t *testing.T) {
	t.Parallel()
	n := newWSNode(t, wsNodeOpts{store: []memstore.Option{memstore.WithMaxEvents(5)}})
	n.tourney(t, "t3", "Ada", "Grace")
	c := n.dial(t)
	sub, _ := c.subscribe("t3")
	c.c.Close(websocket.StatusNormalClosure, "")

	n.apply(t, "t3", match.Command{Type: match.CmdJoin, Name: "Linus"})
	n.apply(t, "t3", match.Command{Type: match.CmdJoin, Name: "Ken"})
	a := n.apply(t, "t3", match.Command{Type: match.CmdJoin, Name: "Rob"})

	t.Run("missed events", func(t *testing.T) {
		c := n.dial(t)
		c.send(map[string]any{"type": "subscribe", "ref": "r", "tournament": "t3", "epoch": sub.Epoch, "version": sub.Version, "rev": sub.Rev})
		got := c.expect("subscribed")
		if !got.Recovered || got.Version != a.Version || got.Ref != "r" {
			t.Fatalf("got %+v; want recovered at %d", got, a.Version)
		}
		evs := wsReadEvents(t, c, sub.Version, a.Version)
		if len(evs) != 3 || evs[2].Events[0].Participant.Name != "Rob" {
			t.Fatalf("got %d events; want the 3 joins", len(evs))
		}
		// Then live ones, without a gap.
		b := n.apply(t, "t3", match.Command{Type: match.CmdJoin, Name: "Dennis"})
		wsReadEvents(t, c, a.Version, b.Version)
	})
	t.Run("nothing missed", func(t *testing.T) {
		cur, head, err := n.store.Load(context.Background(), "t3")
		if err != nil {
			t.Fatal(err)
		}
		c := n.dial(t)
		c.send(map[string]any{"type": "subscribe", "tournament": "t3", "epoch": head.Epoch, "version": cur.Version, "rev": head.Rev})
		if got := c.expect("subscribed"); !got.Recovered || got.Version != cur.Version {
			t.Fatalf("got %+v; want recovered at %d", got, cur.Version)
		}
		c.send(map[string]any{"type": "ping"})
		c.expect("pong")
	})

	// A position the store's history does not pass through is never patched: a snapshot.
	for _, tc := range []struct {
		name    string
		epoch   string
		version any
		rev     string
	}{
		{"too old", sub.Epoch, 0, sub.Rev},
		{"wrong epoch", "e_other", sub.Version, sub.Rev},
		{"future version", sub.Epoch, 1000, sub.Rev},
		{"no epoch", "", sub.Version, sub.Rev},
		{"no rev", sub.Epoch, sub.Version, ""},
		{"a lost history's rev", sub.Epoch, sub.Version, "lost"},
		{"a lost history at the head", sub.Epoch, a.Version, "lost"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := n.dial(t)
			m := map[string]any{"type": "subscribe", "ref": "r", "tournament": "t3", "version": tc.version}
			if tc.epoch != "" {
				m["epoch"] = tc.epoch
			}
			if tc.rev != "" {
				m["rev"] = tc.rev
			}
			c.send(m)
			got := c.expect("subscribed")
			if got.Recovered {
				t.Fatalf("got %+v; want recovered false", got)
			}
			snap := c.expect("snapshot")
			if snap.Version != got.Version || snap.Epoch != got.Epoch || snap.Rev != got.Rev || snap.Rev == "" || snap.State.Rev != snap.Rev {
				t.Fatalf("snapshot at (%s, %d, %s), state rev %s; want (%s, %d, %s)", snap.Epoch, snap.Version, snap.Rev, snap.State.Rev, got.Epoch, got.Version, got.Rev)
			}
			c.send(map[string]any{"type": "ping"})
			c.expect("pong") // and nothing before it: one snapshot
		})
	}
}

func TestWSNotices(t *testing.T) {
	t.Parallel()
	n := newWSNode(t, wsNodeOpts{})
	ids := n.tourneyWith(t, "t4", match.Settings{Format: match.SingleElimination, BestOf: 3}, "Ada", "Grace")
	ada, grace := ids[0], ids[1]
	// Ada authenticates with the subprotocol, Grace with a message, the third socket spectates.
	ca := n.dial(t, "token."+n.token(t, command.Claims{Tournament: "t4", Role: command.RolePlayer, Player: int(ada)}))
	if ok := ca.expect("auth_ok"); ok.PlayerID != int(ada) || ok.Role != "player" {
		t.Fatalf("got %+v; want auth_ok for player %d", ok, ada)
	}
	cg := n.dial(t)
	cg.send(map[string]any{"type": "auth", "ref": "a", "token": n.token(t, command.Claims{Tournament: "t4", Role: command.RolePlayer, Player: int(grace)})})
	if ok := cg.expect("auth_ok"); ok.Ref != "a" || ok.PlayerID != int(grace) {
		t.Fatalf("got %+v; want auth_ok for player %d", ok, grace)
	}
	cs := n.dial(t)
	for _, c := range []*wsClient{ca, cg, cs} {
		c.subscribe("t4")
	}
	// A second socket of Ada's authenticates after subscribing.
	ca2 := n.dial(t)
	ca2.subscribe("t4")
	ca2.send(map[string]any{"type": "auth", "ref": "late", "token": n.token(t, command.Claims{Tournament: "t4", Role: command.RolePlayer, Player: int(ada)})})
	ca2.expect("auth_ok")

	start := n.apply(t, "t4", match.Command{Type: match.CmdStart})
	var final match.MatchID
	for _, m := range n.load(t, "t4").Matches {
		if m.Status == match.MatchReady {
			final = m.ID
		}
	}
	// Ada reports over her socket; Grace is told, then confirms over hers.
	ca.send(map[string]any{"type": "report", "ref": "r1", "tournament": "t4", "match": final, "scores": [2]int{2, 1}, "submission_id": "ada-1"})
	reported := start.Version + 1

	ak, am := wsCollect(t, ca, reported, "reported")
	if r := am["reported"]; r.Ref != "r1" || r.Duplicate || r.Version != reported {
		t.Errorf("reported %+v; want ref r1 at version %d", r, reported)
	}
	if strings.Join(ak, ",") != "match_ready" || am["match_ready"].Opponent == nil || am["match_ready"].Opponent.Name != "Grace" {
		t.Errorf("Ada's notices %v (%+v); want match_ready against Grace", ak, am["match_ready"])
	}
	gk, gm := wsCollect(t, cg, reported)
	if strings.Join(gk, ",") != "match_ready,reported" || gm["match_ready"].Opponent.Name != "Ada" {
		t.Errorf("Grace's notices %v; want match_ready against Ada, reported", gk)
	}
	if !strings.Contains(gm["reported"].Text, "1-2") {
		t.Errorf("reported notice %q; want Grace's score first (1-2)", gm["reported"].Text)
	}

	// Grace confirms: the match completes and the tournament finishes.
	cg.send(map[string]any{"type": "report", "ref": "r2", "tournament": "t4", "match": final, "scores": [2]int{2, 1}, "submission_id": "grace-1"})
	done := reported + 1
	gk, gm = wsCollect(t, cg, done, "reported")
	if r := gm["reported"]; r.Ref != "r2" || r.Version != done {
		t.Errorf("reported %+v; want ref r2 at version %d", r, done)
	}
	if strings.Join(gk, ",") != "eliminated,finished" || gm["finished"].Placement.Rank != 2 {
		t.Errorf("Grace's notices %v; want eliminated, finished 2nd", gk)
	}
	if !strings.Contains(gm["eliminated"].Text, "Ada (1-2)") {
		t.Errorf("eliminated notice %q; want by Ada (1-2)", gm["eliminated"].Text)
	}
	ak, am = wsCollect(t, ca, done)
	if strings.Join(ak, ",") != "match_won,finished" || am["finished"].Placement == nil || am["finished"].Placement.Rank != 1 {
		t.Errorf("Ada's notices %v (%+v); want match_won, finished 1st", ak, am["finished"])
	}
	if k, _ := wsCollect(t, ca2, done); strings.Join(k, ",") != "match_ready,match_won,finished" {
		t.Errorf("Ada's second socket got %v; want match_ready, match_won, finished", k)
	}
	if sk, _ := wsCollect(t, cs, done); len(sk) != 0 {
		t.Errorf("the spectator got notices %v; want none", sk)
	}

	// A repeated submission id answers the first outcome; reporting as a spectator is refused.
	cg.send(map[string]any{"type": "report", "ref": "r3", "tournament": "t4", "match": final, "scores": [2]int{2, 1}, "submission_id": "grace-1"})
	if _, m := wsCollect(t, cg, done, "reported"); !m["reported"].Duplicate || m["reported"].Version != done {
		t.Errorf("repeat: %+v; want duplicate at %d", m["reported"], done)
	}
	cs.send(map[string]any{"type": "report", "ref": "r4", "tournament": "t4", "match": final, "scores": [2]int{0, 2}, "submission_id": "s-1"})
	if _, m := wsCollect(t, cs, done, "error"); m["error"].Code != command.CodeUnauthorized || m["error"].Ref != "r4" {
		t.Errorf("spectator report: %+v; want unauthorized with ref r4", m["error"])
	}
}

// collect reads until the client has seen event version until and one reply of each type in
// replies; it returns the notice kinds in order and the last message of each kind or type.
func wsCollect(t *testing.T, c *wsClient, until int64, replies ...string) (kinds []string, byKind map[string]wsMsg) {
	t.Helper()
	byKind = map[string]wsMsg{}
	want := map[string]bool{}
	for _, r := range replies {
		want[r] = true
	}
	// The notices of an event are queued with it: a pong answered after the event was read
	// comes after them.
	sent, answered := false, false
	for !answered {
		if c.v >= until && len(want) == 0 && !sent {
			c.send(map[string]any{"type": "ping", "ref": "barrier"})
			sent = true
		}
		m := c.read()
		switch m.Type {
		case "pong":
			if m.Ref != "barrier" {
				t.Fatalf("unexpected pong %q", m.Ref)
			}
			answered = true
		case "event":
		case "notice":
			kinds = append(kinds, m.Kind)
			byKind[m.Kind] = m
		default:
			if !want[m.Type] {
				t.Fatalf("unexpected %s %+v", m.Type, m)
			}
			delete(want, m.Type)
			byKind[m.Type] = m
		}
	}
	return kinds, byKind
}

// TestWSSubscribeDuringCommits subscribes and resumes while commands are being committed: every
// client gets, after its catch-up, each later version exactly once and in order.
func TestWSSubscribeDuringCommits(t *testing.T) {
	t.Parallel()
	n := newWSNode(t, wsNodeOpts{})
	n.tourney(t, "tc")
	first := n.dial(t)
	base, _ := first.subscribe("tc")
	first.c.Close(websocket.StatusNormalClosure, "")

	const joins = 200
	progress := make(chan int, joins)
	final := make(chan int64, 1)
	go func() {
		defer close(final)
		defer close(progress)
		var last int64
		for i := range joins {
			a, err := n.store.Apply(context.Background(), "tc", match.Command{Type: match.CmdJoin, Name: "p" + wsItoa(i)}, "")
			if err != nil {
				t.Errorf("join %d: %v", i, err)
				return
			}
			last = a.Version
			progress <- i
		}
		final <- last
	}()

	type result struct {
		c    *wsClient
		from int64
	}
	var clients []result
	for i := 0; i < 8; i++ {
		// Wait for some commits, then subscribe while the rest are still coming.
		for j := 0; j < 20; j++ {
			if _, ok := <-progress; !ok {
				break
			}
		}
		c := n.dial(t)
		if i%2 == 0 {
			sub, _ := c.subscribe("tc")
			clients = append(clients, result{c, sub.Version})
			continue
		}
		c.send(map[string]any{"type": "subscribe", "tournament": "tc", "epoch": base.Epoch, "version": base.Version, "rev": base.Rev})
		sub := c.expect("subscribed")
		if !sub.Recovered {
			t.Fatalf("resume from %d: %+v; want recovered", base.Version, sub)
		}
		// The replay is checked like live events: consecutive from the client's version.
		clients = append(clients, result{c, base.Version})
	}
	for range progress {
	}
	last, ok := <-final
	if !ok {
		t.Fatal("the commits failed")
	}
	for _, r := range clients {
		wsReadEvents(t, r.c, r.from, last)
	}
}

// metric returns the value of a counter or gauge (or a histogram's count) with the given labels.
func (n *wsNode) metric(t *testing.T, name string, labels ...string) float64 {
	t.Helper()
	mfs, err := n.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			for i := 0; i+1 < len(labels); i += 2 {
				found := false
				for _, lp := range m.GetLabel() {
					if lp.GetName() == labels[i] && lp.GetValue() == labels[i+1] {
						found = true
					}
				}
				if !found {
					continue next
				}
			}
			switch {
			case m.Counter != nil:
				return m.GetCounter().GetValue()
			case m.Gauge != nil:
				return m.GetGauge().GetValue()
			case m.Histogram != nil:
				return float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return 0
}

// TestWSLateDeliveryAfterSnapshot holds the store's delivery of a commit until a new subscriber's
// snapshot already contains it (on Redis the pub/sub message can arrive after a Load on another
// connection saw the commit): that subscriber must not get the entry again, only what follows.
// The subscriber is the topic's first (its last one unsubscribed), so that its catch-up reads the
// store rather than being served the snapshot a socket holds (TestWSHeldReadThenLateDelivery).
func TestWSLateDeliveryAfterSnapshot(t *testing.T) {
	t.Parallel()
	n, holdDeliveries := newHeldNode(t)
	n.tourney(t, "late")
	a := n.dial(t)
	a.subscribe("late")

	release := holdDeliveries()
	ctx := context.Background()
	held, err := n.store.Apply(ctx, "late", match.Command{Type: match.CmdJoin, Name: "held"}, "")
	if err != nil {
		t.Fatal(err)
	}
	a.send(map[string]any{"type": "unsubscribe", "ref": "u", "tournament": "late"})
	a.expect("unsubscribed")
	b := n.dial(t)
	subB, _ := b.subscribe("late")
	if subB.Version != held.Version {
		t.Fatalf("snapshot at v%d; want v%d (the held commit)", subB.Version, held.Version)
	}
	release()
	next, err := n.store.Apply(ctx, "late", match.Command{Type: match.CmdJoin, Name: "next"}, "")
	if err != nil {
		t.Fatal(err)
	}
	wsReadEvents(t, b, held.Version, next.Version)
}

// TestWSHeldReadThenLateDelivery: a socket that subscribes to a topic that has delivered no
// entry yet is sent the snapshot the topic's first catch-up read while a socket still holds it
// (or, if that one was collected meanwhile, a snapshot read again); a commit made since but
// delivered late then comes to it live, once and in order, with what follows. Which snapshot it
// gets depends on the garbage collector; TestSubscribersOfANewTopicLoadOnce (hub/fanout) holds
// the snapshot and asserts the read is not repeated.
func TestWSHeldReadThenLateDelivery(t *testing.T) {
	t.Parallel()
	n, holdDeliveries := newHeldNode(t)
	n.tourney(t, "late")
	a := n.dial(t)
	subA, _ := a.subscribe("late")

	release := holdDeliveries()
	ctx := context.Background()
	held, err := n.store.Apply(ctx, "late", match.Command{Type: match.CmdJoin, Name: "held"}, "")
	if err != nil {
		t.Fatal(err)
	}
	b := n.dial(t)
	subB, _ := b.subscribe("late")
	if subB.Version != subA.Version && subB.Version != held.Version {
		t.Fatalf("snapshot at v%d; want v%d (the one the topic read for the first subscriber) or v%d (read again)",
			subB.Version, subA.Version, held.Version)
	}
	release()
	next, err := n.store.Apply(ctx, "late", match.Command{Type: match.CmdJoin, Name: "next"}, "")
	if err != nil {
		t.Fatal(err)
	}
	wsReadEvents(t, b, subB.Version, next.Version) // each version after the snapshot once, in order
	wsReadEvents(t, a, subA.Version, next.Version)
}

// newHeldNode is a node whose store deliveries can be held: holdDeliveries starts holding them
// and returns the function that lets them through (also called at the test's end).
func newHeldNode(t *testing.T) (n *wsNode, holdDeliveries func() (release func())) {
	var holding atomic.Bool
	gate := make(chan struct{})
	n = newWSNode(t, wsNodeOpts{handler: func(ws store.Handler) store.Handler {
		return store.HandlerFunc(func(id, epoch string, e store.Entry, lost bool) {
			if holding.Load() {
				<-gate
			}
			ws.Deliver(id, epoch, e, lost)
		})
	}})
	var once sync.Once
	let := func() {
		once.Do(func() {
			holding.Store(false)
			close(gate)
		})
	}
	t.Cleanup(let)
	return n, func() func() {
		holding.Store(true)
		return let
	}
}

// TestWSFanOutWritesTogether: a fan-out's writes to the sockets of one tournament go to the
// kernel together through io_uring (tourhub_ws_uring_writes_total counts them) and every
// subscriber reads every event in order; with NoURing the same fan-out writes each socket with a
// system call of its own, and counts none.
func TestWSFanOutWritesTogether(t *testing.T) {
	t.Parallel()
	for _, noURing := range []bool{false, true} {
		t.Run(fmt.Sprintf("NoURing=%v", noURing), func(t *testing.T) {
			t.Parallel()
			if !noURing && !uringOK(t) {
				t.Skip("io_uring cannot be used here")
			}
			n := newWSNode(t, wsNodeOpts{cfg: ws.Config{NoURing: noURing}})
			n.tourney(t, "t")
			clients := make([]*wsClient, 6)
			var from int64
			for i := range clients {
				clients[i] = n.dial(t)
				sub, _ := clients[i].subscribe("t")
				from = sub.Version
			}
			var last store.Applied
			for _, name := range []string{"A", "B", "C", "D", "E", "F", "G", "H"} {
				last = n.apply(t, "t", match.Command{Type: match.CmdJoin, Name: name})
			}
			for i, c := range clients {
				evs := wsReadEvents(t, c, from, last.Version)
				if len(evs) != int(last.Version-from) {
					t.Errorf("client %d read %d events; want %d", i, len(evs), last.Version-from)
				}
			}
			writes := n.metric(t, "tourhub_ws_uring_writes_total")
			calls := n.metric(t, "tourhub_ws_uring_calls_total")
			switch {
			case noURing && (writes != 0 || calls != 0):
				t.Errorf("NoURing: %v writes in %v io_uring calls; want none", writes, calls)
			case !noURing && (writes < 2 || calls < 1 || writes <= calls):
				t.Errorf("%v writes in %v io_uring calls; want several sockets per call", writes, calls)
			}
		})
	}
}

// uringOK reports whether the node can write through io_uring here. On Linux it must (the node
// does by default), unless TOURHUB_TEST_NO_URING is set for a machine whose seccomp profile or
// kernel.io_uring_disabled refuses it; then it reports false.
func uringOK(t *testing.T) bool {
	t.Helper()
	rs, err := sock.NewRings(1)
	if err == nil {
		rs.Close()
		return true
	}
	if runtime.GOOS == "linux" && os.Getenv("TOURHUB_TEST_NO_URING") == "" {
		t.Fatalf("io_uring cannot be used here (%v); set TOURHUB_TEST_NO_URING=1 where a seccomp profile or kernel.io_uring_disabled refuses it", err)
	}
	return false
}
