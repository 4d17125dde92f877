package main

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"math/bits"
	"net/http"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/tourhub/tourhub/match"
)

// env is what every scenario shares.
type env struct {
	cfg config
	d   *dialer
	api *api
	st  *stats
	rec *recorder
	// runID tells this run's --relay channels from those of other runs on the same floor.
	runID string
	// stopSending is set once --max-events results were sent or the run is ending.
	stopSending atomic.Bool
}

// group is one tournament slot of the latency scenario: size player sockets (socket i on node
// (idx+i) mod nodes) and some spectators, playing one single-elimination tournament after another
// until the run ends. Each cycle creates a tournament, registers the players and starts it (see
// setup and --join), and then reports every ready match from both sides over the players'
// sockets.
type group struct {
	e     *env
	idx   int
	limit *pacer  // paces its reports (shared by all groups with --pace shared); static after construction
	socks []*conn // static after setup
	specs []*conn // static after setup
	cycle int

	mu       sync.Mutex
	tid      string             // guarded by mu
	version  int64              // guarded by mu
	status   string             // guarded by mu
	matches  map[int]*wireMatch // guarded by mu
	pidConn  map[int]*conn      // guarded by mu
	inflight map[int]bool       // guarded by mu
	wake     chan struct{}      // signalled when the model changed
}

func (g *group) signal() {
	select {
	case g.wake <- struct{}{}:
	default:
	}
}

// onPlayerMsg handles everything a player socket of the group reads.
func (g *group) onPlayerMsg(c *conn, data []byte, at time.Time) {
	if t, v, ok := eventOf(data); ok {
		g.e.rec.recv(t, v, c.id, c.node, at)
		g.applyEvent(t, v, data)
		return
	}
	switch fieldString(data, "type") {
	case "snapshot":
		g.applySnapshot(fieldString(data, "tournament"), fieldInt(data, "version"), data)
	case "error":
		if fieldString(data, "ref") == "" {
			g.e.st.fail(fieldString(data, "code"))
		}
	}
}

func (g *group) onSpectatorMsg(c *conn, data []byte, at time.Time) {
	if t, v, ok := eventOf(data); ok {
		g.e.rec.recv(t, v, c.id, c.node, at)
	}
}

func (g *group) applyEvent(t string, v int64, data []byte) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if t != g.tid || v <= g.version {
		return
	}
	events, err := decodeEvents(data)
	if err != nil {
		g.e.st.fail("decode_event")
		return
	}
	for _, ev := range events {
		if ev.Match != nil {
			mm := *ev.Match
			g.matches[mm.ID] = &mm
		}
		for i := range ev.Matches {
			mm := ev.Matches[i]
			g.matches[mm.ID] = &mm
		}
		switch ev.Type {
		case "tournament_finished", "tournament_cancelled":
			g.status = "finished"
		}
	}
	g.version = v
	g.signal()
}

func (g *group) applySnapshot(t string, v int64, data []byte) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if t != g.tid || v <= g.version {
		return
	}
	status, matches, err := decodeSnapshot(data)
	if err != nil {
		g.e.st.fail("decode_snapshot")
		return
	}
	for i := range matches {
		g.matches[matches[i].ID] = &matches[i]
	}
	if status == "finished" || status == "cancelled" {
		g.status = "finished"
	}
	g.version = v
	g.signal()
}

// connect opens the group's sockets.
func (g *group) connect(ctx context.Context, size, spectators int) error {
	n := len(g.e.cfg.nodes)
	for i := 0; i < size; i++ {
		c, err := g.e.d.dialConn(ctx, g.e.cfg.nodes, (g.idx+i)%n, nil, g.e.st)
		if err != nil {
			g.e.st.connectFails.Add(1)
			return err
		}
		c.setHandler(g.onPlayerMsg)
		g.socks = append(g.socks, c)
	}
	for i := 0; i < spectators; i++ {
		c, err := g.e.d.dialConn(ctx, g.e.cfg.nodes, (g.idx+size+i)%n, nil, g.e.st)
		if err != nil {
			g.e.st.connectFails.Add(1)
			return err
		}
		c.setHandler(g.onSpectatorMsg)
		g.specs = append(g.specs, c)
	}
	return nil
}

// formats are the values of --format, the default first.
var formats = []string{string(match.SingleElimination), string(match.DoubleElimination), string(match.RoundRobin), string(match.Swiss)}

// matchesOf is about how many matches a tournament of size players has in format, for the
// stagger window's cycle: double elimination's grand final may be played twice, and Swiss plays
// the engine's default ceil(log2 size) rounds.
func matchesOf(format string, size int) int {
	switch match.Format(format) {
	case match.DoubleElimination:
		return 2*size - 1
	case match.RoundRobin:
		return size * (size - 1) / 2
	case match.Swiss:
		return bits.Len(uint(size-1)) * (size / 2)
	}
	return size - 1
}

// The values of --join.
const (
	joinSocket = "socket"
	joinHTTP   = "http"
)

// The values of --api-routing.
const (
	routeRoundRobin = "round-robin"
	routeTournament = "tournament"
)

// tournamentNode is the node of n that --api-routing tournament sends tournament tid's calls to:
// one per tournament, spread evenly, as a balancer hashing the id spreads them (which node is
// not HAProxy's choice, and need not be).
func tournamentNode(tid string, n int) int {
	h := fnv.New32a()
	h.Write([]byte(tid))
	return int(h.Sum32() % uint32(n))
}

// setup runs one cycle's HTTP part and subscribes the sockets; it returns when every socket has
// the new tournament.
func (g *group) setup(ctx context.Context) error {
	if g.e.cfg.relay {
		return g.relaySetup(ctx)
	}
	e := g.e
	nodes := e.cfg.nodes
	n := len(nodes)
	hc := e.d.client(g.idx)
	home := nodes[g.idx%n]
	g.cycle++
	e.rec.noteSetup(time.Now())
	size := len(g.socks)
	cr, err := e.api.create(ctx, hc, home, fmt.Sprintf("load g%d c%d", g.idx, g.cycle), g.e.cfg.format, size)
	if err != nil {
		return fmt.Errorf("create: %w", err)
	}
	tid := cr.Tournament.ID
	joinAt := func(i int) string { return nodes[(g.idx+i)%n] }
	startAt := home
	if e.cfg.apiRouting == routeTournament {
		at := nodes[tournamentNode(tid, n)]
		joinAt = func(int) string { return at }
		startAt = at
	}
	if e.cfg.join == joinSocket {
		return g.joinOverSockets(ctx, hc, tid, cr.OrganiserToken, startAt)
	}
	tokens := map[int]string{}
	for i := 0; i < size; i++ {
		j, err := e.api.join(ctx, hc, joinAt(i), tid, fmt.Sprintf("p%d", i+1))
		if err != nil {
			return fmt.Errorf("join: %w", err)
		}
		tokens[j.PlayerID] = j.Token
	}
	ap, err := e.api.start(ctx, hc, startAt, tid, cr.OrganiserToken)
	if err != nil {
		return fmt.Errorf("start: %w", err)
	}
	pidConn := g.assign(ap.Events, tokens)
	old := g.begin(tid, "running", pidConn)

	eg, ectx := errgroup.WithContext(ctx)
	for pid, c := range pidConn {
		tok := tokens[pid]
		eg.Go(func() error {
			if _, err := c.request(ectx, map[string]any{"type": "auth", "token": tok}, 10*time.Second); err != nil {
				return fmt.Errorf("auth: %w", err)
			}
			return resubscribe(ectx, c, old, tid)
		})
	}
	for _, c := range g.specs {
		eg.Go(func() error { return resubscribe(ectx, c, old, tid) })
	}
	return eg.Wait()
}

// joinOverSockets is the rest of a cycle's setup with --join socket, as browsers on the
// tournament's pages do it: every socket of the group watches the new tournament, the players join
// one after another, each over its own socket (which is that player's from then on: no token, no
// auth), and the start goes to node startAt over HTTP. Everyone watching sees each registration
// and the start as events. Player k takes a socket on another node than player size+1-k, whom
// a seeded bracket pairs with k in its first round, where the nodes allow.
func (g *group) joinOverSockets(ctx context.Context, hc *http.Client, tid, organiser, startAt string) error {
	old := g.begin(tid, "registering", map[int]*conn{})

	eg, ectx := errgroup.WithContext(ctx)
	for _, c := range append(slices.Clone(g.socks), g.specs...) {
		eg.Go(func() error { return resubscribe(ectx, c, old, tid) })
	}
	if err := eg.Wait(); err != nil {
		return err
	}
	size := len(g.socks)
	pick := newPicker(g.socks)
	byJoin := make([]*conn, size+1) // by join order, from 1
	pidConn := map[int]*conn{}
	for k := 1; k <= size; k++ {
		avoid := -1
		if opp := byJoin[size+1-k]; opp != nil {
			avoid = opp.node
		}
		c := pick.take(avoid)
		b, err := c.request(ctx, map[string]any{"type": "join", "tournament": tid, "name": fmt.Sprintf("p%d", k)}, 10*time.Second)
		if err != nil {
			return fmt.Errorf("join: %w", err)
		}
		pid := int(fieldInt(b, "player_id"))
		if pid <= 0 {
			return fmt.Errorf("join: no player_id in %s", b)
		}
		byJoin[k] = c
		pidConn[pid] = c
	}
	g.mu.Lock()
	g.pidConn = pidConn
	g.mu.Unlock()
	if _, err := g.e.api.start(ctx, hc, startAt, tid, organiser); err != nil {
		return fmt.Errorf("start: %w", err)
	}
	g.mu.Lock()
	if g.status == "registering" {
		g.status = "running"
	}
	g.mu.Unlock()
	return nil
}

// begin makes tid the group's tournament, in status, with no matches known yet and pidConn's
// sockets for its players, and returns the tournament it replaces ("" on the first cycle).
func (g *group) begin(tid, status string, pidConn map[int]*conn) (old string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	old = g.tid
	g.tid, g.version, g.status = tid, 0, status
	g.matches = map[int]*wireMatch{}
	g.pidConn = pidConn
	g.inflight = map[int]bool{}
	return old
}

func resubscribe(ctx context.Context, c *conn, old, tid string) error {
	if old != "" {
		if _, err := c.request(ctx, map[string]any{"type": "unsubscribe", "tournament": old}, 10*time.Second); err != nil {
			return fmt.Errorf("unsubscribe: %w", err)
		}
	}
	if _, err := c.request(ctx, map[string]any{"type": "subscribe", "tournament": tid}, 10*time.Second); err != nil {
		return fmt.Errorf("subscribe: %w", err)
	}
	return nil
}

// picker hands out sockets, spreading them over the nodes.
type picker map[int][]*conn // the sockets not handed out yet, by node

func newPicker(socks []*conn) picker {
	free := picker{}
	for _, c := range socks {
		free[c.node] = append(free[c.node], c)
	}
	return free
}

// take hands out a socket of the node with the most left, other than node avoid where another
// has some (nil when none is left).
func (free picker) take(avoid int) *conn {
	best := -1
	for pass := 0; pass < 2 && best < 0; pass++ {
		for node, cs := range free {
			if len(cs) == 0 || (pass == 0 && node == avoid) {
				continue
			}
			if best < 0 || len(cs) > len(free[best]) || (len(cs) == len(free[best]) && node < best) {
				best = node
			}
		}
	}
	if best < 0 {
		return nil
	}
	cs := free[best]
	c := cs[len(cs)-1]
	free[best] = cs[:len(cs)-1]
	return c
}

// assign gives every registered player a socket such that the two players of each first-round
// match sit on different nodes where the node count allows.
func (g *group) assign(events []wireEvent, tokens map[int]string) map[int]*conn {
	take := newPicker(g.socks).take
	out := map[int]*conn{}
	var first []wireMatch
	for _, ev := range events {
		first = append(first, ev.Matches...)
		if ev.Match != nil {
			first = append(first, *ev.Match)
		}
	}
	sort.Slice(first, func(i, j int) bool { return first[i].ID < first[j].ID })
	for _, m := range first {
		if m.Players[0] <= 0 || m.Players[1] <= 0 {
			continue
		}
		a, b := m.Players[0], m.Players[1]
		if out[a] != nil || out[b] != nil {
			continue
		}
		ca := take(-1)
		if ca == nil {
			break
		}
		out[a] = ca
		out[b] = take(ca.node)
	}
	pids := make([]int, 0, len(tokens))
	for pid := range tokens {
		pids = append(pids, pid)
	}
	sort.Ints(pids)
	for _, pid := range pids {
		if out[pid] == nil {
			out[pid] = take(-1)
		}
	}
	return out
}

// run plays one tournament after another, the first one already set up, until ctx ends or
// sending stops. A failed setup ends this group's play, not the run.
func (g *group) run(ctx context.Context) {
	if g.e.cfg.relay {
		g.relay(ctx)
		return
	}
	for ctx.Err() == nil && !g.e.stopSending.Load() {
		g.drive(ctx)
		if ctx.Err() != nil || g.e.stopSending.Load() {
			return
		}
		if err := g.setup(ctx); err != nil {
			if ctx.Err() == nil {
				g.e.st.fail("setup")
				fmt.Fprintf(g.e.cfg.log, "group %d: %v\n", g.idx, err)
			}
			return
		}
	}
}

// relaySetup subscribes every socket of a --relay slot to the slot's tournament channel, once.
func (g *group) relaySetup(ctx context.Context) error {
	tid := fmt.Sprintf("t_relay_%s_%d", g.e.runID, g.idx)
	g.mu.Lock()
	g.tid, g.version, g.status, g.matches = tid, 0, "running", map[int]*wireMatch{}
	g.mu.Unlock()
	eg, ectx := errgroup.WithContext(ctx)
	for _, c := range append(slices.Clone(g.socks), g.specs...) {
		eg.Go(func() error { return resubscribe(ectx, c, "", tid) })
	}
	return eg.Wait()
}

// relay sends a --relay slot's reports from its player sockets in turn, one at a time, paced,
// until ctx ends or sending stops. A failed report is counted (report) and the next one waits a
// second.
func (g *group) relay(ctx context.Context) {
	g.mu.Lock()
	tid := g.tid
	g.mu.Unlock()
	for i := 0; ctx.Err() == nil && !g.e.stopSending.Load(); i++ {
		c := g.socks[i%len(g.socks)]
		if err := g.e.report(ctx, g.limit, c, tid, i+1, fmt.Sprintf("g%d-r%d", g.idx, i)); err != nil {
			pause(ctx, time.Second)
		}
	}
}

// drive reports every ready match until the tournament is over or ctx ends.
func (g *group) drive(ctx context.Context) {
	var wg sync.WaitGroup
	defer wg.Wait()
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		g.mu.Lock()
		if g.status == "finished" {
			g.mu.Unlock()
			return
		}
		for id, m := range g.matches {
			if m.Status != "ready" || m.Players[0] <= 0 || m.Players[1] <= 0 || g.inflight[id] {
				continue
			}
			g.inflight[id] = true
			a, b := g.pidConn[m.Players[0]], g.pidConn[m.Players[1]]
			tid, cycle := g.tid, g.cycle
			wg.Add(1)
			go func() {
				defer wg.Done()
				g.play(ctx, tid, cycle, id, a, b)
			}()
		}
		g.mu.Unlock()
		select {
		case <-ctx.Done():
			return
		case <-g.wake:
		case <-tick.C:
		}
	}
}

// play reports match id from both sides (players[0] wins 1-0). On failure the match is released
// for another try a second later.
func (g *group) play(ctx context.Context, tid string, cycle, id int, a, b *conn) {
	for side, c := range []*conn{a, b} {
		if c == nil {
			return
		}
		if err := g.e.report(ctx, g.limit, c, tid, id, fmt.Sprintf("g%d-c%d-m%d-s%d", g.idx, cycle, id, side)); err != nil {
			if ctx.Err() != nil || g.e.stopSending.Load() {
				return
			}
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
			g.mu.Lock()
			delete(g.inflight, id)
			g.mu.Unlock()
			g.signal()
			return
		}
	}
}

// report sends one result over socket c, paced by limit, and records its send time against the
// version it committed.
func (e *env) report(ctx context.Context, limit *pacer, c *conn, tid string, mid int, sub string) error {
	if err := limit.wait(ctx); err != nil {
		return err
	}
	if e.stopSending.Load() {
		return errStopped
	}
	if n := e.st.sent.Add(1); e.cfg.maxEvents > 0 && n >= e.cfg.maxEvents {
		e.stopSending.Store(true)
	}
	at := time.Now()
	mark := e.rec.noteSent(at)
	b, err := c.request(ctx, map[string]any{
		"type": "report", "tournament": tid, "match": mid, "scores": [2]int{1, 0}, "submission_id": sub,
	}, 10*time.Second)
	if err != nil {
		if ctx.Err() == nil {
			code := "no_reply"
			if b != nil {
				code = fieldString(b, "code")
			}
			e.st.fail(code)
			e.rec.noteError(at, mark)
		}
		return err
	}
	e.st.acked.Add(1)
	e.rec.ack(tid, fieldInt(b, "version"), at, c.id, c.node, mark)
	return nil
}

var errStopped = errors.New("stopped sending")

// latencyResult is the latency and maxrate scenarios' outcome.
type latencyResult struct {
	Groups          int     `json:"tournaments_in_parallel"`
	TournamentSize  int     `json:"tournament_size"`
	PlayerSockets   int     `json:"player_sockets"`
	SpectatorSocket int     `json:"spectator_sockets"`
	ConnectSeconds  float64 `json:"connect_seconds"`
	ConnectRate     float64 `json:"connects_per_second"`
	// Pace is --pace: "tournament" (a pacer per group, first setups staggered) or "shared".
	Pace string `json:"pace"`
	// Relay is --relay: the run drove the relay floor, not hubs.
	Relay bool `json:"relay,omitempty"`
	// APIRouting is --api-routing: which node a tournament's start (and with --join http, its
	// joins) went to.
	APIRouting string `json:"api_routing,omitempty"`
	// Join is --join: how the players joined (socket or http).
	Join string `json:"join,omitempty"`
	// Format is --format: the tournaments' format.
	Format string `json:"format,omitempty"`
	// StaggerSeconds is the window over which --pace tournament spread the groups' first setups;
	// measuring started at its end. 0 with --pace shared.
	StaggerSeconds float64 `json:"stagger_seconds"`
	// StaggerRate is the target rate in the stagger window: TargetRate, or more when a cycle at
	// TargetRate was longer than --max-stagger (staggerPlan). 0 with --pace shared.
	StaggerRate float64 `json:"stagger_per_second"`
	// StaggerResults are the results answered in the stagger window, which are not measured.
	StaggerResults int64 `json:"stagger_results"`
	// SetupSeconds is, with --pace shared or --relay, how long the first setup of all groups at
	// once took before driving; with --pace tournament on hubs, the slowest single group's first
	// setup.
	SetupSeconds float64 `json:"first_setup_seconds"`
	TargetRate   float64 `json:"target_results_per_second"`
	// MinRatePct is --min-rate-pct, and TargetReached whether AckedPerSecond reached that per cent
	// of TargetRate (latency only: maxrate searches for the rate instead).
	MinRatePct     float64 `json:"min_rate_pct,omitempty"`
	TargetReached  *bool   `json:"target_reached,omitempty"`
	MeasureSeconds float64 `json:"measured_seconds"`
	Sent           int64   `json:"results_sent"`
	Acked          int64   `json:"results_acked"`
	AckedPerSecond float64 `json:"results_per_second"`
	// CrossNode is the latency to sockets on other nodes than the one the result was sent to;
	// null with one node, which every socket is on.
	CrossNode     *Summary `json:"cross_node_latency"`
	SameNode      Summary  `json:"same_node_latency"`
	Reply         Summary  `json:"reply_latency"`
	LostReceipts  int64    `json:"unmatched_receipts"`
	Steps         []step   `json:"maxrate_steps,omitempty"`
	MaxRateHeld   float64  `json:"maxrate_last_held,omitempty"`
	MaxRateReason string   `json:"maxrate_stop_reason,omitempty"`
	// Usage is the CPU and memory of the hubs (--pids) and of the load tool over the measured
	// window, and the machine's steal time.
	Usage usage `json:"usage"`
	// Commits are the hubs' commits and retried compare-and-sets over the measured window (null
	// unless every node is a hub on Redis).
	Commits *commitStats `json:"store_commits"`
}

type step struct {
	Target   float64 `json:"target_per_second"`
	Achieved float64 `json:"achieved_per_second"`
	Errors   int64   `json:"errors"`
	// CrossNode is the step's latency with several nodes. With one node there is none (null),
	// and SameNode has the step's latency instead.
	CrossNode *Summary `json:"cross_node_latency"`
	SameNode  *Summary `json:"same_node_latency,omitempty"`
	Held      bool     `json:"held"`
	Usage     usage    `json:"usage"`
}

// staggerRate says, for the result's table, how fast the stagger window was played when that was
// faster than the target rate, and how many results it answered ("" otherwise).
func (l *latencyResult) staggerRate() string {
	if l.StaggerRate <= l.TargetRate || l.TargetRate <= 0 {
		return ""
	}
	return fmt.Sprintf(" at %.0f/s (%.1fx, %d results not measured)", l.StaggerRate, l.StaggerRate/l.TargetRate, l.StaggerResults)
}

// latency is the step's latency, the one its p99 limit applies to: cross-node with several
// nodes, same-node with one.
func (s step) latency() Summary {
	if s.CrossNode != nil {
		return *s.CrossNode
	}
	if s.SameNode != nil {
		return *s.SameNode
	}
	return Summary{}
}

// headline is the latency a run is judged by and its name: cross-node with several nodes,
// same-node with one (a result file from before cross-node became null on one node has zeros
// there, hence the count of nodes).
func (l *latencyResult) headline(nodes int) (Summary, string) {
	if nodes > 1 && l.CrossNode != nil {
		return *l.CrossNode, "cross-node"
	}
	return l.SameNode, "same-node"
}

// runLatency runs the latency scenario, or with maxrate set the stepped maximum-rate search.
func runLatency(ctx context.Context, e *env, maxrate bool) (*latencyResult, error) {
	cfg := e.cfg
	size := cfg.tsize
	if cfg.players < size {
		size = cfg.players
	}
	if size < 2 {
		return nil, errors.New("latency needs at least 2 players")
	}
	groups := cfg.players / size
	staggered := cfg.pace == paceTournament
	var window time.Duration
	npacers, warm := 1, cfg.rate
	if staggered {
		perCycle := 2 * matchesOf(cfg.format, size) // the reports of one tournament
		if cfg.relay {
			perCycle = 1
		}
		window, warm = staggerPlan(groups, perCycle, cfg.rate, cfg.maxStagger)
		npacers = groups
	}
	res := &latencyResult{Groups: groups, TournamentSize: size, PlayerSockets: groups * size, SpectatorSocket: cfg.spectators,
		Pace: cfg.pace, StaggerSeconds: window.Seconds(), Relay: cfg.relay}
	if staggered {
		res.StaggerRate = warm
	}
	if !cfg.relay {
		res.APIRouting, res.Join, res.Format = cfg.apiRouting, cfg.join, cfg.format
	}
	pctx, stopPacers := context.WithCancel(ctx)
	defer stopPacers()
	limit := newPacers(pctx, npacers, warm) // cfg.rate but in a stagger window played faster
	gs := make([]*group, groups)
	for i := range gs {
		gs[i] = &group{e: e, idx: i, limit: limit.of(i), wake: make(chan struct{}, 1)}
	}
	defer func() {
		for _, g := range gs {
			for _, c := range append(g.socks, g.specs...) {
				c.close()
			}
		}
	}()

	// Connect.
	t0 := time.Now()
	eg, ectx := errgroup.WithContext(ctx)
	eg.SetLimit(32)
	for i, g := range gs {
		spec := cfg.spectators / groups
		if i < cfg.spectators%groups {
			spec++
		}
		eg.Go(func() error { return g.connect(ectx, size, spec) })
	}
	if err := eg.Wait(); err != nil {
		return res, fmt.Errorf("connect: %w", err)
	}
	res.ConnectSeconds = time.Since(t0).Seconds()
	res.ConnectRate = float64(e.st.connects.Load()) / res.ConnectSeconds
	fmt.Fprintf(cfg.log, "connected %d sockets in %.1fs (%.0f/s)\n", e.st.connects.Load(), res.ConnectSeconds, res.ConnectRate)

	// With --pace shared, the first setup of every group at once; with --relay too, so that the
	// stagger spreads the slots' first reports and nothing else. A relay slot's setup (its sockets
	// subscribe) is done once, and it does not cycle. Staggered with the first reports, the 625
	// setups in the 0.625 s window of target 1's load took up to 0.1-0.5 s, each slot's pacer
	// kept the phase its setup's end gave it, and the floor's results/s went 760-1,220 from one
	// second to the next, its p99 the bunching's (80-180 ms; 9 ms in a run with less of it).
	staggeredSetup := staggered && !cfg.relay // each group's first setup at its place in the window
	if !staggeredSetup {
		t1 := time.Now()
		eg, ectx = errgroup.WithContext(ctx)
		eg.SetLimit(64)
		for _, g := range gs {
			eg.Go(func() error { return g.setup(ectx) })
		}
		if err := eg.Wait(); err != nil {
			return res, fmt.Errorf("first setup: %w", err)
		}
		res.SetupSeconds = time.Since(t1).Seconds()
		fmt.Fprintf(cfg.log, "%d tournaments of %d set up in %.1fs\n", groups, size, res.SetupSeconds)
	}

	// Drive. With --pace tournament, group i sets up its first tournament (a relay slot: sends its
	// first report) i/groups into the stagger window, and measuring starts when the window is over.
	res.TargetRate = cfg.rate
	dctx, stop := context.WithCancel(ctx)
	defer stop()
	drive, gctx := errgroup.WithContext(dctx)
	firstSetup := make([]time.Duration, groups) // element i written by group i's goroutine
	start := time.Now()
	if !staggered {
		e.rec.begin(start)
	}
	for _, g := range gs {
		delay := window * time.Duration(g.idx) / time.Duration(groups)
		drive.Go(func() error {
			if staggered {
				wait(gctx, delay, e)
				if gctx.Err() != nil || e.stopSending.Load() {
					return nil
				}
			}
			if staggeredSetup {
				t := time.Now()
				if err := g.setup(gctx); err != nil {
					if gctx.Err() != nil {
						return nil // the run is ending, or another group failed first
					}
					return fmt.Errorf("first setup: %w", err)
				}
				firstSetup[g.idx] = time.Since(t)
			}
			g.run(gctx)
			return nil
		})
	}
	if staggered {
		faster, flags := "", "--pace tournament"
		if warm != cfg.rate {
			faster = fmt.Sprintf(" at %.0f results/s, a cycle of %.0fs at %.0f/s", warm, window.Seconds()*warm/cfg.rate, cfg.rate)
			flags += ", --max-stagger"
		}
		fmt.Fprintf(cfg.log, "staggering %d tournaments of %d over %.1fs%s (%s); measuring starts after that\n", groups, size, window.Seconds(), faster, flags)
		wait(gctx, window, e)
		if gctx.Err() != nil {
			stop()
			err := drive.Wait()
			if err == nil {
				err = ctx.Err()
			}
			return res, fmt.Errorf("stagger: %w", err)
		}
		limit.set(cfg.rate) // each pacer keeps its phase (pacer.set), so the groups stay spread over the cycle
		start = time.Now()
		e.rec.begin(start)
	}
	acked0, use0, commits0 := e.st.acked.Load(), takeSample(cfg.watched()), readCommits(ctx, e)
	if staggered {
		res.StaggerResults = acked0 // answered in the window
	}
	if maxrate {
		measureMaxRate(gctx, e, limit, res)
	} else {
		wait(gctx, cfg.duration, e)
	}
	e.stopSending.Store(true)
	measured := time.Since(start)
	res.Usage = usageBetween(use0, takeSample(cfg.watched()), cfg.watched(), e.st.acked.Load()-acked0)
	res.Commits = commitsBetween(commits0, readCommits(ctx, e))
	// Let the events of the last results arrive before counting.
	drain := time.NewTimer(2 * time.Second)
	select {
	case <-drain.C:
	case <-gctx.Done():
	}
	stop()
	if err := drive.Wait(); err != nil {
		return res, err
	}
	if staggeredSetup {
		res.SetupSeconds = slices.Max(firstSetup).Seconds()
	}

	res.MeasureSeconds = measured.Seconds()
	res.Sent, res.Acked = e.rec.totals()
	if res.MeasureSeconds > 0 {
		res.AckedPerSecond = float64(res.Acked) / res.MeasureSeconds
	}
	e.rec.mu.Lock()
	if len(cfg.nodes) > 1 {
		s := e.rec.cross.Summary()
		res.CrossNode = &s
	}
	res.SameNode = e.rec.local.Summary()
	res.Reply = e.rec.reply.Summary()
	res.LostReceipts = e.rec.lost
	e.rec.mu.Unlock()
	return res, nil
}

// wait returns after d, when ctx ends, or when sending stopped.
func wait(ctx context.Context, d time.Duration, e *env) {
	t := time.NewTimer(d)
	defer t.Stop()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			return
		case <-tick.C:
			if e.stopSending.Load() {
				return
			}
		}
	}
}

// measureMaxRate raises the target rate step by step (x1.25 from --rate) until a step's
// cross-node p99 passes --p99-limit or the achieved rate falls below 90% of the target, then
// narrows the gap between the last step that held and the first that failed by --refine
// bisections (in ratio: each halves the gap's factor, so three leave steps of under 3%). A step
// that fails is measured once more at the same rate before it counts as failed, so that one
// transient stall (a GC pause, a Redis fork) does not end the search; one that fails while the
// host steals stealRetry cores or more from the machine is measured again without counting, up
// to stolenRetries times (a step the host starves measures the host, not the servers). The result
// is the highest rate achieved in a step that held. Steps last --step each and together at most
// --duration.
func measureMaxRate(ctx context.Context, e *env, limit pacers, res *latencyResult) {
	searchMaxRate(ctx, e.cfg, res, func(target float64) (step, string) { return maxRateStep(ctx, e, limit, target) })
}

// stealRetry is the machine's steal (cores the host took from it, /proc/stat) over a step from
// which a failed step is measured again without counting as a failure, at most stolenRetries
// times a target. On this project's VMs a step's steal is under 0.1 cores in a quiet hour; the
// host has taken 0.3-0.7 cores from whole steps of some runs, and failed them by a few ms.
const (
	stealRetry    = 0.15
	stolenRetries = 3
)

// searchMaxRate is measureMaxRate's search, with probe measuring one step at a target rate
// (and saying why it did not hold).
func searchMaxRate(ctx context.Context, cfg config, res *latencyResult, probe func(target float64) (step, string)) {
	end := time.Now().Add(cfg.duration)
	// measure runs steps at target until one holds or two have failed, and says which (with the
	// last failure's reason); ran is false when the time ran out first. A failure under steal
	// does not count, stolenRetries times.
	measure := func(target float64) (held bool, reason string, ran bool) {
		for failed, stolen := 0, 0; failed < 2; {
			if ctx.Err() != nil || !time.Now().Add(cfg.step).Before(end.Add(time.Millisecond)) {
				return false, reason, false
			}
			var s step
			s, reason = probe(target)
			res.Steps = append(res.Steps, s)
			fmt.Fprintf(cfg.log, "step target=%.0f/s achieved=%.0f/s p99=%.1fms errors=%d held=%v hub-cpu=%.2fms/result steal=%.2f cores\n",
				target, s.Achieved, s.latency().P99MS, s.Errors, s.Held, s.Usage.HubCPUPerResult, s.Usage.StealCores)
			if s.Held {
				res.MaxRateHeld = max(res.MaxRateHeld, s.Achieved)
				return true, "", true
			}
			if steal := s.Usage.StealCores; steal >= stealRetry {
				reason += fmt.Sprintf(", with %.2f cores stolen by the host", steal)
				if stolen < stolenRetries {
					stolen++
					fmt.Fprintf(cfg.log, "step at %.0f/s failed while the host took %.2f cores from the machine: measuring it again\n", target, steal)
					continue
				}
			}
			failed++
		}
		return false, reason, true
	}
	var heldAt, failedAt float64 // the highest target that held, the lowest that failed
	var failReason string
	// try measures target and moves heldAt or failedAt to it; false when the time ran out.
	try := func(target float64) bool {
		held, reason, ran := measure(target)
		switch {
		case !ran:
			return false
		case held:
			heldAt = target
		default:
			failedAt, failReason = target, reason
		}
		return true
	}
	for target := cfg.rate; failedAt == 0; target *= 1.25 {
		if !try(target) {
			res.MaxRateReason = "ran out of time (--duration) before the limit was found"
			return
		}
	}
	for i := 0; i < cfg.refine && heldAt > 0; i++ {
		if !try(math.Sqrt(heldAt * failedAt)) {
			break
		}
	}
	res.MaxRateReason = failReason
}

// maxRateStep paces every group at target for a step (after settling for a fifth of it) and
// measures it; reason says why it did not hold.
func maxRateStep(ctx context.Context, e *env, limit pacers, target float64) (s step, reason string) {
	cfg := e.cfg
	limit.set(target) // every group's pacer, at once
	wait(ctx, cfg.step/5, e)
	e.rec.resetPhase()
	acked0 := e.st.acked.Load()
	_, errs0 := e.st.errorCounts()
	t0 := time.Now()
	use0 := takeSample(cfg.watched())
	wait(ctx, cfg.step, e)
	h := e.rec.resetPhase()
	_, errs1 := e.st.errorCounts()
	acked := e.st.acked.Load() - acked0
	s = step{
		Target:   target,
		Achieved: float64(acked) / time.Since(t0).Seconds(),
		Errors:   errs1 - errs0,
		Usage:    usageBetween(use0, takeSample(cfg.watched()), cfg.watched(), acked),
	}
	sum := h.Summary() // the recorder's phase holds cross-node latencies, or same-node with one node
	if e.rec.single {
		s.SameNode = &sum
	} else {
		s.CrossNode = &sum
	}
	switch p99 := sum.P99MS; {
	case h.Count() == 0:
		reason = fmt.Sprintf("no deliveries measured at %.0f/s", target)
	case p99 > cfg.p99Limit:
		reason = fmt.Sprintf("p99 %.1f ms > %.0f ms at %.0f/s", p99, cfg.p99Limit, target)
	case s.Achieved < 0.9*target:
		reason = fmt.Sprintf("achieved %.0f/s < 90%% of target %.0f/s", s.Achieved, target)
	default:
		s.Held = true
	}
	return s, reason
}
