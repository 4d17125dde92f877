// Package cluster runs several real hub processes (the cmd/hub binary) on one real
// redis-server and checks the cluster guarantees of docs/redis.md and docs/protocol.md from the
// outside: over HTTP and WebSocket, as clients see them.
package cluster

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/tourhub/tourhub/internal/proctest"
	"github.com/tourhub/tourhub/internal/redistest"
	"github.com/tourhub/tourhub/match"
)

func TestMain(m *testing.M) {
	code := m.Run()
	proctest.Cleanup()
	os.Exit(code)
}

// node is one hub process (or the balancer in front of them).
type node struct {
	i    int
	addr string // 127.0.0.1:port
	p    *proctest.Proc
}

// base is the node's http:// URL.
func (n *node) base() string { return "http://" + n.addr }

// kill ends the process with SIGKILL (no drain) and waits for it.
func (n *node) kill() { n.p.Kill() }

// out is what the process printed.
func (n *node) out() string { return n.p.Out.String() }

// cluster is one redis-server (or a Redis Cluster) and the hub nodes sharing it.
type cluster struct {
	t      *testing.T
	redis  *redistest.Server  // nil on a Redis Cluster
	rc     *redistest.Cluster // nil on one redis-server
	secret string
	flags  []string // more flags for every node, after (so over) startNode's own
	nodes  []*node
}

const secret = "clustertest-secret-0123456789abcdef"

// newCluster starts redis (with opts) and n hub nodes, all ready. Everything is stopped when the
// test ends; the nodes' output goes to the test log if the test failed.
func newCluster(t *testing.T, n int, opts redistest.Options) *cluster {
	t.Helper()
	c := &cluster{t: t, redis: redistest.StartWith(t, opts), secret: secret}
	for range n {
		c.startNode()
	}
	return c
}

// newClusterOnRedisCluster starts a Redis Cluster of masters with replicas replicas each and n
// hub nodes on it (--redis-cluster, sharded pub/sub, and flags), all ready.
func newClusterOnRedisCluster(t *testing.T, n, masters, replicas int, flags ...string) *cluster {
	t.Helper()
	c := &cluster{t: t, rc: redistest.StartClusterWith(t, masters, replicas), secret: secret, flags: flags}
	for range n {
		c.startNode()
	}
	return c
}

func (c *cluster) startNode() *node {
	t := c.t
	t.Helper()
	i := len(c.nodes) + 1
	redisFlags := []string{"--redis", c.redisURL()}
	if c.rc != nil {
		redisFlags = append(redisFlags, "--redis-cluster")
	}
	p := proctest.StartListening(t, fmt.Sprintf("node %d", i), proctest.Build(t, proctest.Hub), append(append(redisFlags,
		"--addr", "127.0.0.1:0",
		"--secret", c.secret,
		"--http-rate", "100000", "--http-burst", "100000",
		"--ws-rate", "10000", "--ws-burst", "10000",
		"--drain-timeout", "2s",
	), c.flags...)...)
	n := &node{i: i, addr: p.Addr, p: p}
	c.nodes = append(c.nodes, n)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c.waitReady(ctx, n, http.StatusOK)
	return n
}

// redisURL is the URL the nodes are given: the server's, or the cluster's seed nodes.
func (c *cluster) redisURL() string {
	if c.rc != nil {
		return c.rc.URL()
	}
	return c.redis.URL()
}

// waitReady polls /readyz until it answers want.
func (c *cluster) waitReady(ctx context.Context, n *node, want int) {
	c.t.Helper()
	last := 0
	for {
		if code := probe(ctx, n.base()+"/readyz"); code == want {
			return
		} else {
			last = code
		}
		select {
		case <-ctx.Done():
			c.t.Fatalf("node %d /readyz: got %d; want %d", n.i, last, want)
		case <-time.After(25 * time.Millisecond):
		}
	}
}

func probe(ctx context.Context, url string) int {
	rctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(rctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// apiError is the body of every API error.
type apiError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// call sends one API request and returns the status and body. A transport error fails the test.
func call(ctx context.Context, t testing.TB, method, url, token string, body any) (int, []byte) {
	t.Helper()
	status, b, err := tryCall(ctx, method, url, token, body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	return status, b
}

func tryCall(ctx context.Context, method, url, token string, body any) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(b)
	}
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, method, url, rd)
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// mustCall is call that wants status want and decodes the answer into out (if not nil).
func mustCall(ctx context.Context, t testing.TB, method, url, token string, body any, want int, out any) {
	t.Helper()
	status, b := call(ctx, t, method, url, token, body)
	if status != want {
		t.Fatalf("%s %s: got %d %s; want %d", method, url, status, b, want)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: decode %s: %v", method, url, b, err)
		}
	}
}

// state is the part of GET /api/tournaments/{id} the tests read.
type state struct {
	ID           string              `json:"id"`
	Status       match.Status        `json:"status"`
	Epoch        string              `json:"epoch"`
	Version      int64               `json:"version"`
	Rev          string              `json:"rev"`
	Settings     match.Settings      `json:"settings"`
	Participants []match.Participant `json:"participants"`
	Matches      []match.Match       `json:"matches"`
	Standings    []match.Standing    `json:"standings"`
}

func getState(ctx context.Context, t testing.TB, n *node, id string) state {
	t.Helper()
	var s state
	mustCall(ctx, t, http.MethodGet, n.base()+"/api/tournaments/"+id, "", nil, http.StatusOK, &s)
	return s
}

// metricValue reads the unlabelled metric name from n's /metrics.
func metricValue(ctx context.Context, t testing.TB, n *node, name string) float64 {
	t.Helper()
	v, ok := proctest.Metric(ctx, t, n.base(), name)
	if !ok {
		t.Fatalf("node %d: no %s in /metrics", n.i, name)
	}
	return v
}

// eventLog is GET /api/tournaments/{id}/events.
type eventLog struct {
	Epoch    string `json:"epoch"`
	Version  int64  `json:"version"`
	Rev      string `json:"rev"`
	Complete bool   `json:"complete"`
	Entries  []struct {
		Version int64         `json:"version"`
		Rev     string        `json:"rev"`
		Prev    string        `json:"prev"`
		Events  []match.Event `json:"events"`
	} `json:"entries"`
}

func getEvents(ctx context.Context, t testing.TB, n *node, id string) eventLog {
	t.Helper()
	var l eventLog
	mustCall(ctx, t, http.MethodGet, n.base()+"/api/tournaments/"+id+"/events?after=0", "", nil, http.StatusOK, &l)
	return l
}

// countEvents counts the events of type typ about match mid (0: any match) in the log.
func (l eventLog) count(typ match.EventType, mid match.MatchID) int {
	n := 0
	for _, e := range l.Entries {
		for _, ev := range e.Events {
			if ev.Type == typ && (mid == 0 || (ev.Match != nil && ev.Match.ID == mid)) {
				n++
			}
		}
	}
	return n
}

// tourney is a tournament under test, with the commands that made it (for the local replay).
type tourney struct {
	id        string
	orgToken  string
	settings  match.Settings
	name      string
	players   map[match.PlayerID]string // token by player id
	names     map[match.PlayerID]string
	cmds      []match.Command // every accepted command, in commit order (when issued one at a time)
	createdAt time.Time
}

// create creates a tournament on n with the given settings (Format required).
func create(ctx context.Context, t testing.TB, n *node, name string, s match.Settings) *tourney {
	t.Helper()
	body := map[string]any{"name": name}
	raw, _ := json.Marshal(s)
	if err := json.Unmarshal(raw, &body); err != nil {
		t.Fatal(err)
	}
	body["name"] = name
	var resp struct {
		Tournament     state  `json:"tournament"`
		OrganiserToken string `json:"organiser_token"`
	}
	mustCall(ctx, t, http.MethodPost, n.base()+"/api/tournaments", "", body, http.StatusCreated, &resp)
	tr := &tourney{id: resp.Tournament.ID, orgToken: resp.OrganiserToken, settings: s, name: name,
		players: map[match.PlayerID]string{}, names: map[match.PlayerID]string{}}
	sc := s
	tr.cmds = append(tr.cmds, match.Command{Type: match.CmdCreate, Tournament: tr.id, Name: name, Settings: &sc})
	return tr
}

func (tr *tourney) join(ctx context.Context, t testing.TB, n *node, name string) match.PlayerID {
	t.Helper()
	var resp struct {
		PlayerID match.PlayerID `json:"player_id"`
		Token    string         `json:"token"`
	}
	mustCall(ctx, t, http.MethodPost, n.base()+"/api/tournaments/"+tr.id+"/players", "", map[string]any{"name": name}, http.StatusCreated, &resp)
	tr.players[resp.PlayerID] = resp.Token
	tr.names[resp.PlayerID] = name
	tr.cmds = append(tr.cmds, match.Command{Type: match.CmdJoin, Name: name})
	return resp.PlayerID
}

func (tr *tourney) start(ctx context.Context, t testing.TB, n *node) {
	t.Helper()
	mustCall(ctx, t, http.MethodPost, n.base()+"/api/tournaments/"+tr.id+"/start", tr.orgToken, nil, http.StatusOK, nil)
	tr.cmds = append(tr.cmds, match.Command{Type: match.CmdStart})
}

// resultAnswer is the answer to a result report (HTTP) or the `reported` reply (WebSocket).
type resultAnswer struct {
	Version   int64        `json:"version"`
	Duplicate bool         `json:"duplicate"`
	Match     *match.Match `json:"match"`
}

// reportHTTP reports a result on n with token (the organiser's when by is 0).
func (tr *tourney) reportHTTP(ctx context.Context, t testing.TB, n *node, mid match.MatchID, by match.PlayerID, scores [2]int, sub string) resultAnswer {
	t.Helper()
	token := tr.orgToken
	if by != 0 {
		token = tr.players[by]
	}
	var a resultAnswer
	mustCall(ctx, t, http.MethodPost, fmt.Sprintf("%s/api/tournaments/%s/matches/%d/result", n.base(), tr.id, mid), token,
		map[string]any{"scores": scores, "submission_id": sub}, http.StatusOK, &a)
	tr.cmds = append(tr.cmds, match.Command{Type: match.CmdReport, Match: mid, Scores: scores, By: by})
	return a
}

// replay applies tr's commands to a fresh local tournament with the engine, as the memory store
// would.
func (tr *tourney) replay(t testing.TB) *match.Tournament {
	t.Helper()
	local := &match.Tournament{}
	for i, c := range tr.cmds {
		if _, err := match.Apply(local, c); err != nil {
			t.Fatalf("replay command %d %+v: %v", i, c, err)
		}
	}
	return local
}

// checkStandings compares the hub's standings with those of the local replay, rank per player.
func checkStandings(t testing.TB, got []match.Standing, local *match.Tournament) {
	t.Helper()
	want := match.Standings(local)
	type rk struct{ rank, to int }
	g, w := map[match.PlayerID]rk{}, map[match.PlayerID]rk{}
	for _, s := range got {
		g[s.Player] = rk{s.Rank, s.RankTo}
	}
	for _, s := range want {
		w[s.Player] = rk{s.Rank, s.RankTo}
	}
	if len(g) != len(w) || len(got) != len(want) {
		t.Errorf("standings: got %d lines; want %d", len(got), len(want))
	}
	for p, wr := range w {
		if gr, ok := g[p]; !ok || gr != wr {
			t.Errorf("standing of player %d: got rank %d-%d; want %d-%d (local replay)", p, gr.rank, gr.to, wr.rank, wr.to)
		}
	}
}

// finished reads the state of tr on n, which must be finished, and checks that every client
// caught up with it, each event once and in order.
func finished(ctx context.Context, t *testing.T, n *node, tr *tourney, all []*client) state {
	t.Helper()
	final := getState(ctx, t, n, tr.id)
	if final.Status != match.StatusFinished {
		t.Fatalf("status %s; want finished", final.Status)
	}
	for _, cl := range all {
		cl.waitVersion(ctx, final.Version)
	}
	for _, cl := range all {
		cl.check(final.Version)
	}
	return final
}

// waitStatus polls the state of tr on n until its status is no longer from, and returns it.
func waitStatus(ctx context.Context, t *testing.T, n *node, tr *tourney, from match.Status) state {
	t.Helper()
	for {
		st := getState(ctx, t, n, tr.id)
		if st.Status != from {
			return st
		}
		select {
		case <-ctx.Done():
			t.Fatalf("tournament still %s: %+v", from, st)
		case <-time.After(200 * time.Millisecond):
		}
	}
}
