package redisstore_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tourhub/tourhub/internal/proctest"

	"github.com/redis/go-redis/v9"

	"github.com/tourhub/tourhub/hub/redisstore"
	"github.com/tourhub/tourhub/hub/store"
	"github.com/tourhub/tourhub/hub/storetest"
	"github.com/tourhub/tourhub/internal/redistest"
	"github.com/tourhub/tourhub/match"
)

// timeout bounds every wait in these tests.
const timeout = 15 * time.Second

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

type discardLogger struct{}

func (discardLogger) Printf(context.Context, string, ...any) {}

func TestMain(m *testing.M) {
	redis.SetLogger(discardLogger{}) // go-redis logs every failed dial while Redis is stopped
	os.Exit(m.Run())
}

func newStore(t testing.TB, srv *redistest.Server, deliver store.HandlerFunc, opts redisstore.Options) *redisstore.Store {
	t.Helper()
	opts.URL = srv.URL()
	return newStoreURL(t, deliver, opts)
}

// newStoreURL is newStore for opts.URL (a single server or, with opts.Cluster, a cluster). A
// non-nil deliver is registered as the store's Handler.
func newStoreURL(t testing.TB, deliver store.HandlerFunc, opts redisstore.Options) *redisstore.Store {
	t.Helper()
	if opts.Log == nil {
		opts.Log = quiet
	}
	if opts.PositionCheck == 0 {
		opts.PositionCheck = 200 * time.Millisecond
	}
	s, err := redisstore.New(context.Background(), opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if deliver != nil {
		s.Register(deliver)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) store.Store {
		return newStore(t, redistest.Start(t), nil, redisstore.Options{})
	})
}

// TestConformanceCluster runs the conformance suite on a Redis Cluster of three masters (a fresh
// one per case): every script and MULTI touches the keys of one tournament, which share a hash
// tag, so they run on a cluster as they do on one server.
func TestConformanceCluster(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) store.Store {
		c := redistest.StartCluster(t, 3)
		return newStoreURL(t, nil, redisstore.Options{URL: c.URL(), Cluster: true})
	})
}

// TestClusterSpreadsTournaments checks that the cluster test above is not one node in disguise:
// tournaments land on every master, each with all its keys on one of them, and a node that is
// down makes the store unready.
func TestClusterSpreadsTournaments(t *testing.T) {
	t.Parallel()
	c := redistest.StartCluster(t, 3)
	s := newStoreURL(t, nil, redisstore.Options{URL: c.URL(), Cluster: true})
	ctx := context.Background()
	for i := range 30 {
		id := fmt.Sprintf("t_spread%d", i)
		if _, err := s.Create(ctx, id, match.Command{Type: match.CmdCreate, Tournament: id, Name: id,
			Settings: &match.Settings{Format: match.SingleElimination}}, time.Now()); err != nil {
			t.Fatalf("Create %s: %v", id, err)
		}
		if _, err := s.Apply(ctx, id, match.Command{Type: match.CmdJoin, Name: "Ada"}, "sub-"+id); err != nil {
			t.Fatalf("Apply %s: %v", id, err)
		}
	}
	for _, n := range c.Nodes {
		keys, err := n.Do("KEYS", "tourhub:{t:*")
		if err != nil {
			t.Fatal(err)
		}
		if keys == "" {
			t.Errorf("node %s holds no tournament", n.Addr())
			continue
		}
		// Every key of a tournament on this node: state, log, submissions and recent fields together.
		perTournament := map[string]int{}
		for _, k := range strings.Split(keys, "\n") {
			perTournament[k[:strings.Index(k, "}")+1]]++
		}
		for tag, nkeys := range perTournament {
			if nkeys != 4 {
				t.Errorf("node %s holds %d keys of %s; want all 4 (state, log, subs, recent)", n.Addr(), nkeys, tag)
			}
		}
	}
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	c.Nodes[2].Stop()
	if err := s.Ping(ctx); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Ping with a master down: %v; want ErrUnavailable", err)
	}
}

// recorder collects deliveries per tournament and fails on concurrent calls for one tournament.
type recorder struct {
	t        testing.TB
	inflight sync.Map // id -> *atomic.Int32

	mu      sync.Mutex
	entries map[string][]store.Entry // guarded by mu
	seq     map[string][]store.Entry // guarded by mu; entries and, as Version -1, lost deliveries, in order
	epochs  map[string]string        // guarded by mu
	lost    map[string]int           // guarded by mu
	changed chan struct{}            // guarded by mu; closed and replaced on every delivery
}

func newRecorder(t testing.TB) *recorder {
	return &recorder{t: t, entries: map[string][]store.Entry{}, seq: map[string][]store.Entry{}, epochs: map[string]string{},
		lost: map[string]int{}, changed: make(chan struct{})}
}

func (r *recorder) deliver(id, epoch string, e store.Entry, lost bool) {
	c, _ := r.inflight.LoadOrStore(id, new(atomic.Int32))
	if c.(*atomic.Int32).Add(1) != 1 {
		r.t.Errorf("concurrent deliver calls for %s", id)
	}
	defer c.(*atomic.Int32).Add(-1)
	r.mu.Lock()
	defer r.mu.Unlock()
	if lost {
		r.lost[id]++
		r.seq[id] = append(r.seq[id], store.Entry{Version: -1})
	} else {
		r.entries[id] = append(r.entries[id], e)
		r.seq[id] = append(r.seq[id], e)
	}
	r.epochs[id] = epoch
	close(r.changed)
	r.changed = make(chan struct{})
}

// waitFor waits until cond (called under the lock) holds.
func (r *recorder) waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		r.mu.Lock()
		ok, ch := cond(), r.changed
		r.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-ch:
		case <-deadline.C:
			t.Fatalf("waited %v for %s", timeout, what)
		}
	}
}

func (r *recorder) waitVersion(t testing.TB, id string, v int64) []store.Entry {
	t.Helper()
	r.waitFor(t, fmt.Sprintf("version %d of %s", v, id), func() bool {
		es := r.entries[id]
		return len(es) > 0 && es[len(es)-1].Version >= v
	})
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]store.Entry(nil), r.entries[id]...)
}

func (r *recorder) lostOf(id string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.lost[id]
}

// checkSequence fails unless es are versions from..to, each once, in order.
func checkSequence(t testing.TB, es []store.Entry, from, to int64) {
	t.Helper()
	if int64(len(es)) != to-from+1 {
		t.Fatalf("delivered %d entries %v; want versions %d..%d once each", len(es), versions(es), from, to)
	}
	for i, e := range es {
		if e.Version != from+int64(i) {
			t.Fatalf("delivered %v; want versions %d..%d in order", versions(es), from, to)
		}
	}
}

func versions(es []store.Entry) []int64 {
	out := make([]int64, len(es))
	for i, e := range es {
		out[i] = e.Version
	}
	return out
}

func ctxFor(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	t.Cleanup(cancel)
	return ctx
}

func createCmd(name string, f match.Format) match.Command {
	return match.Command{Type: match.CmdCreate, Name: name, Settings: &match.Settings{Format: f, BestOf: 1}}
}

func mustCreate(t testing.TB, s store.Store, id string, f match.Format) store.Applied {
	t.Helper()
	a, err := s.Create(ctxFor(t), id, createCmd("Cup "+id, f), time.Now())
	if err != nil {
		t.Fatalf("Create %s: %v", id, err)
	}
	return a
}

// readyMatch is the first ready match of st.
func readyMatch(t *testing.T, st *match.Tournament) match.Match {
	t.Helper()
	for _, m := range st.Matches {
		if m.Status == match.MatchReady {
			return m
		}
	}
	t.Fatalf("no ready match: %+v", st.Matches)
	return match.Match{}
}

func mustApply(t testing.TB, s store.Store, id string, c match.Command, sub string) store.Applied {
	t.Helper()
	a, err := s.Apply(ctxFor(t), id, c, sub)
	if err != nil {
		t.Fatalf("Apply %s to %s: %v", c.Type, id, err)
	}
	return a
}

// storedState reads the stored state of id through a node of its own, so that no other node's
// cache changes.
func storedState(t testing.TB, srv *redistest.Server, id string) *match.Tournament {
	t.Helper()
	r := newStore(t, srv, nil, redisstore.Options{})
	defer r.Close()
	st, _, err := r.Load(ctxFor(t), id)
	if err != nil {
		t.Fatalf("Load %s: %v", id, err)
	}
	return st
}

// joinedID is the player a join's events say joined.
func joinedID(t testing.TB, a store.Applied) match.PlayerID {
	t.Helper()
	for _, e := range a.Events {
		if e.Type == match.EvPlayerJoined && e.Participant != nil {
			return e.Participant.ID
		}
	}
	t.Fatalf("no player_joined in %+v", a.Events)
	return 0
}

func join(t testing.TB, s store.Store, id string, n int) {
	t.Helper()
	for i := range n {
		mustApply(t, s, id, match.Command{Type: match.CmdJoin, Name: "P" + strconv.Itoa(i+1)}, "")
	}
}

// TestTwoNodes: entries committed on either node are delivered on the other, in order, once.
func TestTwoNodes(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	recA, recB := newRecorder(t), newRecorder(t)
	a := newStore(t, srv, recA.deliver, redisstore.Options{})
	b := newStore(t, srv, recB.deliver, redisstore.Options{})
	c := mustCreate(t, a, "t_two", match.RoundRobin)
	a.Watch("t_two")
	b.Watch("t_two")
	for i := range 20 {
		s := a
		if i%3 == 1 {
			s = b
		}
		mustApply(t, s, "t_two", match.Command{Type: match.CmdJoin, Name: "P" + strconv.Itoa(i)}, "")
	}
	for name, r := range map[string]*recorder{"A": recA, "B": recB} {
		es := r.waitVersion(t, "t_two", 21)
		checkSequence(t, es, 2, 21)
		if r.epochs["t_two"] != c.Epoch || r.lostOf("t_two") != 0 {
			t.Errorf("node %s: epoch %q, %d lost; want %q, 0", name, r.epochs["t_two"], r.lostOf("t_two"), c.Epoch)
		}
	}
	// B loads what A committed, and B's cache is refreshed when A moved on.
	got, _, err := b.Load(ctxFor(t), "t_two")
	if err != nil || got.Version != 21 || len(got.Participants) != 20 {
		t.Fatalf("Load on B: version %d, %d players, err %v; want 21, 20", got.Version, len(got.Participants), err)
	}
	started := mustApply(t, b, "t_two", match.Command{Type: match.CmdStart}, "")
	if started.Version != 22 {
		t.Errorf("start on B: version %d; want 22", started.Version)
	}
	recA.waitVersion(t, "t_two", 22)
}

// TestConcurrentReportsTwoNodes: the same report submitted on two nodes at once (same submission id,
// same or different scores) advances the tournament exactly once; the other answer is a duplicate
// carrying the first outcome.
func TestConcurrentReportsTwoNodes(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	a := newStore(t, srv, nil, redisstore.Options{})
	b := newStore(t, srv, nil, redisstore.Options{})
	ctx := ctxFor(t)
	mustCreate(t, a, "t_race", match.RoundRobin)
	join(t, a, "t_race", 8)
	st := mustApply(t, a, "t_race", match.Command{Type: match.CmdStart}, "")
	version := st.Version
	round := 0
	for _, m := range storedState(t, srv, "t_race").Matches {
		if m.Status != match.MatchReady {
			continue
		}
		round++
		scoresB := [2]int{1, 0}
		if round%2 == 0 {
			scoresB = [2]int{0, 1} // a different score under the same submission id
		}
		sub := "final-" + strconv.Itoa(int(m.ID))
		var ra, rb store.Applied
		var ea, eb error
		var wg sync.WaitGroup
		start := make(chan struct{})
		wg.Go(func() {
			<-start
			ra, ea = a.Apply(ctx, "t_race", match.Command{Type: match.CmdReport, Match: m.ID, Scores: [2]int{1, 0}}, sub)
		})
		wg.Go(func() {
			<-start
			rb, eb = b.Apply(ctx, "t_race", match.Command{Type: match.CmdReport, Match: m.ID, Scores: scoresB}, sub)
		})
		close(start)
		wg.Wait()
		if ea != nil || eb != nil {
			t.Fatalf("match %d: errors %v, %v", m.ID, ea, eb)
		}
		if ra.Duplicate == rb.Duplicate {
			t.Fatalf("match %d: duplicate flags %v, %v; want exactly one first answer", m.ID, ra.Duplicate, rb.Duplicate)
		}
		version++
		if ra.Version != version || rb.Version != version {
			t.Fatalf("match %d: versions %d, %d; want both %d", m.ID, ra.Version, rb.Version, version)
		}
		first, dup := ra, rb
		if ra.Duplicate {
			first, dup = rb, ra
		}
		if len(dup.Events) != len(first.Events) || dup.Events[0].Match == nil || dup.Events[0].Match.Scores != first.Events[0].Match.Scores {
			t.Errorf("match %d: duplicate events %+v; want the first outcome %+v", m.ID, dup.Events, first.Events)
		}
		cur, _, err := b.Load(ctx, "t_race")
		if err != nil || cur.Version != version {
			t.Fatalf("match %d: stored version %d err %v; want %d", m.ID, cur.Version, err, version)
		}
	}
	if d := a.Stats().Duplicates + b.Stats().Duplicates; d != uint64(round) {
		t.Errorf("%d duplicates counted; want %d", d, round)
	}
	if round < 4 {
		t.Fatalf("only %d ready matches raced; want at least 4", round)
	}
}

// TestPubSubKilled: killing the pub/sub connections while entries flow loses nothing: every entry
// is delivered once, in order, the gaps being filled from the stream.
func TestPubSubKilled(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	rec := newRecorder(t)
	a := newStore(t, srv, nil, redisstore.Options{})
	b := newStore(t, srv, rec.deliver, redisstore.Options{PositionCheck: time.Hour}) // recovery must not depend on the tick
	mustCreate(t, a, "t_kill", match.SingleElimination)
	b.Watch("t_kill")
	const n = 300
	done := make(chan struct{})
	var kills atomic.Int32
	go func() {
		defer close(done)
		for i := range n {
			if _, err := a.Apply(context.Background(), "t_kill", match.Command{Type: match.CmdJoin, Name: "P" + strconv.Itoa(i)}, ""); err != nil {
				t.Errorf("join %d: %v", i, err)
				return
			}
			if i%40 == 20 {
				kills.Add(int32(srv.KillPubSubClients()))
			}
		}
	}()
	<-done
	es := rec.waitVersion(t, "t_kill", n+1)
	checkSequence(t, es, 2, n+1)
	if k := kills.Load(); k == 0 {
		t.Errorf("no pub/sub client was killed; the test did not test anything")
	}
	if l := rec.lostOf("t_kill"); l != 0 {
		t.Errorf("%d lost deliveries; want 0 (the stream holds everything)", l)
	}
	// Still subscribed after the kills: a new entry arrives with the position check off.
	mustApply(t, a, "t_kill", match.Command{Type: match.CmdStart}, "")
	rec.waitVersion(t, "t_kill", n+2)
	if st := b.Stats(); st.PubSubReconnects == 0 {
		t.Errorf("stats %+v; want pub/sub reconnects counted", st)
	}
}

// TestDeleteWhilePubSubDown: a node whose pub/sub connection is down when a tournament it
// watches is deleted (it waits 200 ms before reconnecting; the delete is published meanwhile)
// still delivers the tournament_deleted entry, read from the deleted tournament's tombstone when
// it catches up, rather than finding nothing and reporting the tournament lost. The tombstone is
// not found by any read, and a create may take its id at once.
func TestDeleteWhilePubSubDown(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	rec := newRecorder(t)
	a := newStore(t, srv, nil, redisstore.Options{})
	b := newStore(t, srv, rec.deliver, redisstore.Options{PositionCheck: time.Hour}) // recovery must not depend on the tick
	first := mustCreate(t, a, "t_gone", match.SingleElimination)
	b.Watch("t_gone")
	mustApply(t, a, "t_gone", match.Command{Type: match.CmdJoin, Name: "Ada"}, "")
	rec.waitVersion(t, "t_gone", 2)
	if srv.KillPubSubClients() == 0 {
		t.Fatal("no pub/sub client was killed; the test would not test anything")
	}
	d := mustApply(t, a, "t_gone", match.Command{Type: match.CmdDelete}, "")
	es := rec.waitVersion(t, "t_gone", d.Version)
	if last := es[len(es)-1]; len(last.Events) != 1 || last.Events[0].Type != match.EvDeleted {
		t.Errorf("last delivery %+v; want tournament_deleted", last)
	}
	if l := rec.lostOf("t_gone"); l != 0 {
		t.Errorf("%d lost deliveries; want 0 (the tombstone's log holds the delete)", l)
	}
	checkPTTL(t, srv, "tourhub:{t:t_gone}:state", store.DeletedKept)
	checkPTTL(t, srv, "tourhub:{t:t_gone}:log", store.DeletedKept)
	ctx := ctxFor(t)
	if _, _, err := b.Load(ctx, "t_gone"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Load of the tombstone: %v; want ErrNotFound", err)
	}
	if _, _, _, err := b.Events(ctx, "t_gone", 0); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Events of the tombstone: %v; want ErrNotFound", err)
	}
	again := mustCreate(t, b, "t_gone", match.RoundRobin)
	st, _, err := a.Load(ctx, "t_gone")
	if err != nil || again.Epoch == first.Epoch || st.Version != 1 || st.Settings.Format != match.RoundRobin || len(st.Participants) != 0 {
		t.Errorf("created again over the tombstone: epoch %q (first %q), loaded %+v, %v; want a new epoch at version 1, no players", again.Epoch, first.Epoch, st, err)
	}
	if n, _ := srv.Do("XLEN", "tourhub:{t:t_gone}:log"); n != "1" {
		t.Errorf("log of the new tournament has %s entries; want 1", n)
	}
}

// TestRedisDownAndBack: with Redis stopped, commands and reads fail with ErrUnavailable and Ping
// fails; once it is back (AOF kept the data) both nodes recover by themselves, delivery included.
func TestRedisDownAndBack(t *testing.T) {
	t.Parallel()
	srv := redistest.StartWith(t, redistest.Options{AOF: true})
	rec := newRecorder(t)
	a := newStore(t, srv, nil, redisstore.Options{})
	b := newStore(t, srv, rec.deliver, redisstore.Options{})
	mustCreate(t, a, "t_down", match.SingleElimination)
	b.Watch("t_down")
	mustApply(t, a, "t_down", match.Command{Type: match.CmdJoin, Name: "Ada"}, "")
	rec.waitVersion(t, "t_down", 2)

	srv.Stop()
	ctx := ctxFor(t)
	_, err := a.Apply(ctx, "t_down", match.Command{Type: match.CmdJoin, Name: "Grace"}, "g")
	if !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("Apply with Redis down: %v; want ErrUnavailable", err)
	}
	if err := a.Ping(ctx); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Ping with Redis down: %v; want ErrUnavailable", err)
	}
	if _, _, err := a.Load(ctx, "t_down"); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Load with Redis down: %v; want ErrUnavailable", err)
	}
	if _, err := a.List(ctx, store.ListFilter{}); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("List with Redis down: %v; want ErrUnavailable", err)
	}

	srv.Restart()
	// The stores recover by themselves: Ping succeeds again (polled; go-redis redials).
	waitUntil(t, "Ping after restart", func() bool { return a.Ping(ctx) == nil && b.Ping(ctx) == nil })
	g := mustApply(t, a, "t_down", match.Command{Type: match.CmdJoin, Name: "Grace"}, "g")
	if g.Version != 3 {
		t.Errorf("join after restart: version %d; want 3 (AOF kept the data)", g.Version)
	}
	l := mustApply(t, b, "t_down", match.Command{Type: match.CmdJoin, Name: "Linus"}, "")
	es := rec.waitVersion(t, "t_down", l.Version)
	checkSequence(t, es, 2, l.Version)
}

// waitUntil polls cond every 20ms (there is no event to wait on for a server coming back).
func waitUntil(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestRestartWithoutPersistence: Redis comes back empty; the tournament is gone (ErrNotFound) and
// watchers are told (lost). Re-created under the same id it has a new epoch.
func TestRestartWithoutPersistence(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	rec := newRecorder(t)
	a := newStore(t, srv, nil, redisstore.Options{})
	b := newStore(t, srv, rec.deliver, redisstore.Options{})
	first := mustCreate(t, a, "t_gone", match.SingleElimination)
	b.Watch("t_gone")
	mustApply(t, a, "t_gone", match.Command{Type: match.CmdJoin, Name: "Ada"}, "")
	rec.waitVersion(t, "t_gone", 2)
	srv.Restart()
	ctx := ctxFor(t)
	waitUntil(t, "Ping after restart", func() bool { return a.Ping(ctx) == nil })
	if _, err := a.Apply(ctx, "t_gone", match.Command{Type: match.CmdJoin, Name: "Grace"}, ""); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Apply after data loss: %v; want ErrNotFound", err)
	}
	rec.waitFor(t, "a lost delivery", func() bool { return rec.lost["t_gone"] >= 1 })
	again := mustCreate(t, a, "t_gone", match.SingleElimination)
	if again.Epoch == first.Epoch {
		t.Errorf("re-created tournament has the old epoch %q", first.Epoch)
	}
	// The watcher moves to the new epoch: either from version 1 or with a lost + snapshot.
	mustApply(t, a, "t_gone", match.Command{Type: match.CmdJoin, Name: "Grace"}, "")
	rec.waitFor(t, "delivery in the new epoch", func() bool {
		es := rec.entries["t_gone"]
		return rec.epochs["t_gone"] == again.Epoch && (len(es) > 0 && es[len(es)-1].Version == 2 || rec.lost["t_gone"] >= 2)
	})
}

// TestRollback: Redis goes back to an older state of a tournament under the same epoch (here the
// keys are put back as they were at version 5, as a restart from an older dump or a replica
// promoted early would), and new commits reuse versions 6.. with other commits. The watching node
// notices with its pub/sub connection intact (a commit at or below what it delivered is a doubt
// that the stored state settles), delivers lost=true and then only the stored history; the
// committing node notices that its cached state is ahead; both count and log it; positions of the
// lost history are not continued by the stored one.
func TestRollback(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	rec := newRecorder(t)
	var logs proctest.Buffer
	logged := slog.New(slog.NewTextHandler(&logs, nil))
	a := newStore(t, srv, nil, redisstore.Options{Log: logged})
	b := newStore(t, srv, rec.deliver, redisstore.Options{Log: logged})
	c := mustCreate(t, a, "t_rb", match.RoundRobin)
	b.Watch("t_rb")
	join(t, a, "t_rb", 4)
	rec.waitVersion(t, "t_rb", 5)
	k := "tourhub:{t:t_rb}:"
	for _, key := range []string{"state", "log"} {
		if _, err := srv.Do("COPY", k+key, k+"saved:"+key); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 4 {
		mustApply(t, a, "t_rb", match.Command{Type: match.CmdJoin, Name: "Lost" + strconv.Itoa(i)}, "")
	}
	rec.waitVersion(t, "t_rb", 9)
	_, lostLog, _, _ := a.Events(ctxFor(t), "t_rb", 0)
	for _, key := range []string{"state", "log"} {
		if _, err := srv.Do("COPY", k+"saved:"+key, k+key, "REPLACE"); err != nil {
			t.Fatal(err)
		}
	}

	for i := range 6 {
		mustApply(t, a, "t_rb", match.Command{Type: match.CmdJoin, Name: "New" + strconv.Itoa(i)}, "")
	}
	rec.waitFor(t, "a lost delivery", func() bool { return rec.lost["t_rb"] > 0 })
	// After a lost delivery the watcher reloads the state (the hub sends snapshots); what is
	// delivered from then on must be the stored history.
	mustApply(t, a, "t_rb", match.Command{Type: match.CmdJoin, Name: "After"}, "")
	rec.waitFor(t, "version 12 after the lost delivery", func() bool {
		seq := rec.seq["t_rb"]
		return seq[len(seq)-1].Version == 12
	})
	head, stored, complete, err := a.Events(ctxFor(t), "t_rb", 0)
	if err != nil || !complete || head.Version != 12 {
		t.Fatalf("Events after the rollback: head %+v complete %v err %v; want version 12", head, complete, err)
	}
	rec.mu.Lock()
	seq := rec.seq["t_rb"]
	rec.mu.Unlock()
	last := 0
	for i, e := range seq {
		if e.Version == -1 {
			last = i + 1
		}
	}
	for _, e := range seq[last:] { // what the watcher delivered after its last resync
		if want := stored[e.Version-1]; e.Rev != want.Rev || e.Prev != want.Prev {
			t.Errorf("after the resync: delivered v%d rev %s prev %s; stored rev %s prev %s", e.Version, e.Rev, e.Prev, want.Rev, want.Prev)
		}
	}
	if got := b.Stats().Rollbacks; got == 0 {
		t.Errorf("watching node: %d rollbacks counted; want at least 1", got)
	}
	if got := a.Stats().Rollbacks; got == 0 {
		t.Errorf("committing node (cached state at v9, stored v5): %d rollbacks counted; want at least 1", got)
	}
	if !strings.Contains(logs.String(), "redis history went back") {
		t.Errorf("no log line about the rollback:\n%s", logs.String())
	}
	for _, v := range []int64{7, 9} {
		lostPos := store.Position{Epoch: c.Epoch, Version: v, Rev: lostLog[v-1].Rev}
		h, es, complete, err := a.Events(ctxFor(t), "t_rb", v)
		if err != nil || !complete {
			t.Fatalf("Events(%d): complete %v err %v", v, complete, err)
		}
		if lostPos.Continues(h, es) {
			t.Errorf("the lost history's v%d (rev %s) continues the stored history", v, lostPos.Rev)
		}
	}
}

// TestFailFast: Redis stops answering (the process is paused: connections stay open, commands
// wait). Commands to one tournament take turns on a node, so each used to wait for the one before
// it to time out; now the first one that finds Redis unreachable makes the others fail at once
// (unavailable, no round trip), and so are new calls until one is let through and Redis answers.
func TestFailFast(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	s := newStore(t, srv, nil, redisstore.Options{FailFast: 200 * time.Millisecond})
	mustCreate(t, s, "t_ff", match.RoundRobin)
	srv.Pause()
	errs := make([]error, 5)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Go(func() {
			_, errs[i] = s.Apply(context.Background(), "t_ff", match.Command{Type: match.CmdJoin, Name: "P" + strconv.Itoa(i)}, "")
		})
	}
	wg.Wait()
	for i, err := range errs {
		if !errors.Is(err, store.ErrUnavailable) {
			t.Errorf("command %d with Redis paused: %v; want ErrUnavailable", i, err)
		}
	}
	if _, _, err := s.Load(context.Background(), "t_ff"); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Load right after: %v; want ErrUnavailable", err)
	}
	// One command waited for Redis; the 4 that waited for their turn behind it and the Load did not.
	if got := s.Stats().FastFails; got != 5 {
		t.Errorf("%d calls failed fast; want 5 (errors: %v)", got, errs)
	}
	srv.Resume()
	waitUntil(t, "a command once Redis answers again", func() bool {
		_, err := s.Apply(context.Background(), "t_ff", match.Command{Type: match.CmdJoin, Name: "Back"}, "")
		return err == nil
	})
}

// TestEpochChange: a tournament lost and re-created while watched (keys deleted behind the node's
// back) is reported as lost with the new epoch, then delivered normally.
func TestEpochChange(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	rec := newRecorder(t)
	a := newStore(t, srv, nil, redisstore.Options{})
	b := newStore(t, srv, rec.deliver, redisstore.Options{})
	mustCreate(t, a, "t_epoch", match.SingleElimination)
	join(t, a, "t_epoch", 3)
	b.Watch("t_epoch")
	mustApply(t, a, "t_epoch", match.Command{Type: match.CmdJoin, Name: "Ken"}, "")
	rec.waitVersion(t, "t_epoch", 5)
	if _, err := srv.Do("DEL", "tourhub:{t:t_epoch}:state"); err != nil {
		t.Fatal(err)
	}
	c := mustCreate(t, a, "t_epoch", match.SingleElimination)
	join(t, a, "t_epoch", 6) // versions 2..7 of the new epoch
	rec.waitFor(t, "new epoch", func() bool {
		es := rec.entries["t_epoch"]
		return rec.epochs["t_epoch"] == c.Epoch && es[len(es)-1].Version == 7 || rec.lost["t_epoch"] > 0 && rec.epochs["t_epoch"] == c.Epoch
	})
	if rec.lostOf("t_epoch") == 0 {
		t.Errorf("no lost delivery on an epoch change")
	}
	// Events of the old epoch's versions are not comparable: Events still answers for the new one.
	head, es, complete, err := a.Events(ctxFor(t), "t_epoch", 0)
	if err != nil || !complete || head.Epoch != c.Epoch || len(es) == 0 || es[0].Version != 1 {
		t.Errorf("Events(0) = head %+v %v complete %v err %v; want the new epoch from version 1", head, versions(es), complete, err)
	}
}

// TestTTL: keys get the retention of the tournament's status.
func TestTTL(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	s := newStore(t, srv, nil, redisstore.Options{Retention: 10 * time.Minute, IdleRetention: 5 * time.Hour})
	mustCreate(t, s, "t_ttl", match.SingleElimination)
	mustApply(t, s, "t_ttl", match.Command{Type: match.CmdJoin, Name: "Ada"}, "sub-1")
	keys := []string{"tourhub:{t:t_ttl}:state", "tourhub:{t:t_ttl}:log", "tourhub:{t:t_ttl}:subs", "tourhub:{t:t_ttl}:recent"}
	checkTTL := func(want time.Duration) {
		t.Helper()
		for _, k := range keys {
			checkPTTL(t, srv, k, want)
		}
	}
	checkTTL(5 * time.Hour)
	mustApply(t, s, "t_ttl", match.Command{Type: match.CmdCancel}, "")
	checkTTL(10 * time.Minute)
	if got, _ := srv.Do("TTL", "tourhub:tournaments"); got != "-1" {
		t.Errorf("TTL of the index = %s; want -1 (no expiry)", got)
	}
}

// TestTTLRenewedByTheQuarter: a commit renews the TTLs once a quarter of the log's has passed
// since they were set, not before, or when the state's is longer than the retention (the node's
// was shortened); the subs hash with every submission; a recent list the commit creates at once.
// Time passing is the keys' PTTLs lowered by hand. The recent list is trimmed back to 16 once it
// holds more than 24.
func TestTTLRenewedByTheQuarter(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	s := newStore(t, srv, nil, redisstore.Options{Retention: 10 * time.Minute, IdleRetention: 5 * time.Hour})
	r := match.Retention{Finished: match.Duration(3 * time.Minute), Idle: match.Duration(2 * time.Hour), Log: match.Duration(40 * time.Minute)}
	cmd := createCmd("Cup", match.SingleElimination)
	cmd.Settings.Retention = r
	if _, err := s.Create(ctxFor(t), "t_q", cmd, time.Now()); err != nil {
		t.Fatalf("Create: %v", err)
	}
	k := func(name string) string { return "tourhub:{t:t_q}:" + name }
	joins := 0
	joinAs := func(sub string) {
		t.Helper()
		joins++
		mustApply(t, s, "t_q", match.Command{Type: match.CmdJoin, Name: "P" + strconv.Itoa(joins)}, sub)
	}
	age := func(by time.Duration, names ...string) { // as if by had passed since the TTLs were set
		t.Helper()
		for _, name := range names {
			full := 2 * time.Hour
			if name == "log" {
				full = 40 * time.Minute
			}
			if _, err := srv.Do("PEXPIRE", k(name), strconv.FormatInt((full-by).Milliseconds(), 10)); err != nil {
				t.Fatal(err)
			}
		}
	}
	check := func(what string, want map[string]time.Duration) {
		t.Helper()
		for name, d := range want {
			t.Run(what+"/"+name, func(t *testing.T) { checkPTTL(t, srv, k(name), d) })
		}
	}
	all := []string{"state", "log", "subs", "recent"}
	joinAs("sub-1")
	check("first commit", map[string]time.Duration{"state": 2 * time.Hour, "log": 40 * time.Minute, "subs": 2 * time.Hour, "recent": 2 * time.Hour})

	age(8*time.Minute, all...) // less than a quarter of the log's 40 minutes
	joinAs("")
	check("within the quarter: left as they were", map[string]time.Duration{"state": 112 * time.Minute, "log": 32 * time.Minute, "subs": 112 * time.Minute, "recent": 112 * time.Minute})

	joinAs("sub-2")
	check("a submission renews subs", map[string]time.Duration{"state": 112 * time.Minute, "log": 32 * time.Minute, "subs": 2 * time.Hour})

	if _, err := srv.Do("DEL", k("recent")); err != nil {
		t.Fatal(err)
	}
	joinAs("")
	check("a recent list the commit creates", map[string]time.Duration{"state": 112 * time.Minute, "recent": 2 * time.Hour})

	age(12*time.Minute, all...) // past the quarter
	joinAs("")
	check("past the quarter: renewed", map[string]time.Duration{"state": 2 * time.Hour, "log": 40 * time.Minute, "subs": 2 * time.Hour, "recent": 2 * time.Hour})

	if _, err := srv.Do("PEXPIRE", k("state"), strconv.FormatInt((3*time.Hour).Milliseconds(), 10)); err != nil {
		t.Fatal(err)
	}
	joinAs("")
	check("longer than the retention now: renewed", map[string]time.Duration{"state": 2 * time.Hour, "log": 40 * time.Minute})

	for range 30 {
		joinAs("")
	}
	got, err := srv.Do("LLEN", k("recent"))
	if n, _ := strconv.Atoi(got); err != nil || n < 16 || n > 24 {
		t.Errorf("LLEN recent after 30 more commits = %s (%v); want 16 to 24", got, err)
	}
}

// checkPTTL fails t unless key expires in want, give or take the minute a test may take.
func checkPTTL(t *testing.T, srv *redistest.Server, key string, want time.Duration) {
	t.Helper()
	got, err := srv.Do("PTTL", key)
	if err != nil {
		t.Fatal(err)
	}
	ms, _ := strconv.ParseInt(got, 10, 64)
	if d := time.Duration(ms) * time.Millisecond; d > want || d < want-time.Minute {
		t.Errorf("PTTL %s = %v; want about %v", key, d, want)
	}
}

// TestTTLPerTournament: a tournament's own retention sets the TTLs: state and subs by its
// finished or idle retention for its status, the log by its log retention, never longer than the
// state's. A retention over the node's is refused before anything is written.
func TestTTLPerTournament(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	s := newStore(t, srv, nil, redisstore.Options{Retention: 10 * time.Minute, IdleRetention: 5 * time.Hour})
	ctx := ctxFor(t)
	r := match.Retention{Finished: match.Duration(3 * time.Minute), Idle: match.Duration(2 * time.Hour), Log: match.Duration(30 * time.Minute)}
	cmd := createCmd("Cup", match.SingleElimination)
	cmd.Settings.Retention = r
	if _, err := s.Create(ctx, "t_own", cmd, time.Now()); err != nil {
		t.Fatalf("Create: %v", err)
	}
	k := func(name string) string { return "tourhub:{t:t_own}:" + name }
	checkTTL := func(key string, want time.Duration) { t.Helper(); checkPTTL(t, srv, key, want) }
	checkTTL(k("state"), 2*time.Hour) // registering: retention.idle, not the node's 5h
	checkTTL(k("log"), 30*time.Minute)
	mustApply(t, s, "t_own", match.Command{Type: match.CmdJoin, Name: "Ada"}, "sub-1")
	checkTTL(k("state"), 2*time.Hour)
	checkTTL(k("subs"), 2*time.Hour)
	checkTTL(k("recent"), 2*time.Hour)
	checkTTL(k("log"), 30*time.Minute)
	mustApply(t, s, "t_own", match.Command{Type: match.CmdCancel}, "")
	for _, name := range []string{"state", "subs", "recent", "log"} { // the log: never longer than the state
		checkTTL(k(name), 3*time.Minute)
	}

	cmd = createCmd("Too long", match.SingleElimination)
	cmd.Settings.Retention = match.Retention{Finished: match.Duration(time.Hour)}
	_, err := s.Create(ctx, "t_long", cmd, time.Now())
	var me *match.Error
	if !errors.As(err, &me) || me.Code != match.CodeInvalid || !strings.Contains(me.Message, "10m0s") || !strings.Contains(me.Message, "--retention") {
		t.Errorf("Create with retention.finished 1h over the node's 10m: %v; want invalid naming 10m0s and --retention", err)
	}
	for _, key := range []string{"tourhub:{t:t_long}:state", "tourhub:{t:t_long}:log"} {
		if got, _ := srv.Do("EXISTS", key); got != "0" {
			t.Errorf("EXISTS %s after the refused create = %s; want 0", key, got)
		}
	}
	if got, _ := srv.Do("ZSCORE", "tourhub:tournaments", "t_long"); got != "" {
		t.Errorf("index entry of the refused create: %q; want none", got)
	}
}

// TestTrimmedStream: once the stream no longer holds the range, Events says incomplete.
func TestTrimmedStream(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	s := newStore(t, srv, nil, redisstore.Options{StreamMaxLen: 10})
	mustCreate(t, s, "t_trim", match.RoundRobin)
	join(t, s, "t_trim", 250) // MAXLEN ~ trims whole stream nodes (100 entries each)
	ctx := ctxFor(t)
	n, _ := srv.Do("XLEN", "tourhub:{t:t_trim}:log")
	if got, _ := strconv.Atoi(n); got >= 251 {
		t.Errorf("XLEN = %d; want the stream trimmed below 251", got)
	}
	_, es, complete, err := s.Events(ctx, "t_trim", 0)
	if err != nil || complete || len(es) != 0 {
		t.Errorf("Events(0) after trimming: %d entries complete %v err %v; want none, incomplete", len(es), complete, err)
	}
	_, es, complete, err = s.Events(ctx, "t_trim", 245)
	if err != nil || !complete {
		t.Fatalf("Events(245): complete %v err %v; want complete", complete, err)
	}
	checkSequence(t, es, 246, 251)
	// A fully trimmed log (as after XTRIM MAXLEN 0) cannot replay anything either.
	if _, err := srv.Do("XTRIM", "tourhub:{t:t_trim}:log", "MAXLEN", "0"); err != nil {
		t.Fatal(err)
	}
	if _, _, complete, err := s.Events(ctx, "t_trim", 250); err != nil || complete {
		t.Errorf("Events(250) after XTRIM 0: complete %v err %v; want incomplete", complete, err)
	}
	if _, es, complete, err := s.Events(ctx, "t_trim", 251); err != nil || !complete || len(es) != 0 {
		t.Errorf("Events(current): complete %v err %v; want complete and empty", complete, err)
	}
}

// TestWatchChurn: Watch/Unwatch cycles never deliver concurrently (the recorder checks) nor out of
// order within one Watch.
func TestWatchChurn(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	rec := newRecorder(t)
	a := newStore(t, srv, nil, redisstore.Options{})
	b := newStore(t, srv, rec.deliver, redisstore.Options{})
	mustCreate(t, a, "t_churn", match.RoundRobin)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 100 {
			if _, err := a.Apply(context.Background(), "t_churn", match.Command{Type: match.CmdJoin, Name: "P" + strconv.Itoa(i)}, ""); err != nil {
				t.Errorf("join: %v", err)
				return
			}
		}
	}()
	for i := 0; ; i++ {
		b.Watch("t_churn")
		if i%2 == 0 {
			b.Unwatch("t_churn")
		} else {
			b.Watch("t_churn")
			b.Unwatch("t_churn")
			b.Unwatch("t_churn")
		}
		select {
		case <-done:
		default:
			continue
		}
		break
	}
	b.Watch("t_churn")
	last := mustApply(t, a, "t_churn", match.Command{Type: match.CmdStart}, "")
	es := rec.waitVersion(t, "t_churn", last.Version)
	if es[len(es)-1].Version != last.Version {
		t.Errorf("last delivered %d; want %d", es[len(es)-1].Version, last.Version)
	}
}

func TestNewBadURL(t *testing.T) {
	t.Parallel()
	if _, err := redisstore.New(context.Background(), redisstore.Options{URL: "http://nope"}); err == nil {
		t.Fatal("New with a bad URL: no error")
	}
}

// TestDueSet: the shared due set keeps the earliest time per tournament (Lower), exact times (Set),
// removal (zero time), and lists what is due, from any node.
func TestDueSet(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	a := newStore(t, srv, nil, redisstore.Options{}).DueSet()
	b := newStore(t, srv, nil, redisstore.Options{}).DueSet()
	ctx := ctxFor(t)
	base := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(a.Lower(ctx, "t1", base.Add(10*time.Minute)))
	must(b.Lower(ctx, "t1", base.Add(5*time.Minute)))  // earlier: taken
	must(a.Lower(ctx, "t1", base.Add(20*time.Minute))) // later: ignored
	must(a.Set(ctx, "t2", base.Add(30*time.Minute)))
	must(b.Set(ctx, "t2", base.Add(time.Minute))) // Set moves either way
	must(a.Lower(ctx, "t3", base.Add(time.Hour)))
	got, err := b.Due(ctx, base.Add(5*time.Minute), 10)
	must(err)
	if fmt.Sprint(got) != "[t2 t1]" {
		t.Errorf("Due(+5m) = %v; want [t2 t1]", got)
	}
	if got, _ := a.Due(ctx, base.Add(5*time.Minute), 1); fmt.Sprint(got) != "[t2]" {
		t.Errorf("Due(+5m, limit 1) = %v; want [t2]", got)
	}
	must(a.Set(ctx, "t2", time.Time{}))
	if got, _ := a.Due(ctx, base.Add(2*time.Hour), 10); fmt.Sprint(got) != "[t1 t3]" {
		t.Errorf("Due(+2h) after removing t2 = %v; want [t1 t3]", got)
	}
	srv.Stop()
	if _, err := a.Due(ctx, base, 10); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Due with Redis down: %v; want ErrUnavailable", err)
	}
}

// TestCloseStopsGoroutines: after Close no goroutine of the store is left, even with watches open
// and Redis gone.
func TestCloseStopsGoroutines(t *testing.T) {
	srv := redistest.Start(t)
	rec := newRecorder(t)
	s, err := redisstore.New(context.Background(), redisstore.Options{URL: srv.URL(), Log: quiet, PositionCheck: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	s.Register(store.HandlerFunc(rec.deliver))
	mustCreate(t, s, "t_close", match.SingleElimination)
	s.Watch("t_close")
	s.Watch("t_other")
	mustApply(t, s, "t_close", match.Command{Type: match.CmdJoin, Name: "Ada"}, "")
	rec.waitVersion(t, "t_close", 2)
	srv.Stop()
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if left := waitStoreGoroutinesGone(timeout); len(left) > 0 {
		t.Errorf("got %d goroutines of the store left %v after Close; want none:\n%s", len(left), timeout, strings.Join(left, "\n\n"))
	}
}

// TestCloseStopsGoroutinesSharded is TestCloseStopsGoroutines on a Redis Cluster with sharded
// pub/sub: the shard subscription loop and the receive loop of every master's connection end with
// Close, one master down or not.
func TestCloseStopsGoroutinesSharded(t *testing.T) {
	c := redistest.StartCluster(t, 3)
	rec := newRecorder(t)
	s, err := redisstore.New(context.Background(), redisstore.Options{URL: c.URL(), Cluster: true, Log: quiet, PositionCheck: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	s.Register(store.HandlerFunc(rec.deliver))
	for i := range 6 {
		id := "t_close" + strconv.Itoa(i)
		mustCreate(t, s, id, match.SingleElimination)
		s.Watch(id)
		mustApply(t, s, id, match.Command{Type: match.CmdJoin, Name: "Ada"}, "")
		rec.waitVersion(t, id, 2)
	}
	c.Nodes[1].Stop()
	time.Sleep(100 * time.Millisecond) // its connection's loop notices, the subscription loop retries
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if left := waitStoreGoroutinesGone(timeout); len(left) > 0 {
		t.Errorf("got %d goroutines of the store left %v after Close; want none:\n%s", len(left), timeout, strings.Join(left, "\n\n"))
	}
}

// waitStoreGoroutinesGone waits until no goroutine runs code of a Store and returns the stacks of
// those that still do when it gives up. Close returns once every goroutine of the store has run
// its deferred wg.Done, but such a goroutine still exists until it has returned: one read of the
// stacks right after Close finds it, runnable at the closing brace of receiveLoop or checkLoop
// (3 runs in 600). There is nothing to wait on for a goroutine's exit, so the stacks are read
// again until it is gone; a goroutine that is really left (blocked, or still working) is still
// there when the wait ends.
func waitStoreGoroutinesGone(limit time.Duration) []string {
	deadline := time.Now().Add(limit)
	for {
		var left []string
		buf := make([]byte, 1<<20)
		for _, g := range strings.Split(string(buf[:runtime.Stack(buf, true)]), "\n\n") {
			if strings.Contains(g, "hub/redisstore.(*Store)") || strings.Contains(g, "hub/redisstore.(*shardSubs)") {
				left = append(left, g)
			}
		}
		if len(left) == 0 || time.Now().After(deadline) {
			return left
		}
		time.Sleep(time.Millisecond)
	}
}

// TestStoredStateMatchesEngine: the state rebuilt from the per-part fields of the hash (a node with
// no cache) equals the engine's state after every command: joins, a leave (a deleted field), start,
// reports, a withdrawal and corrections through to the finish.
func TestStoredStateMatchesEngine(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	w := newStore(t, srv, nil, redisstore.Options{})
	ctx := ctxFor(t)
	var eng *match.Tournament // the engine's own state, applied the same commands
	check := func(version int64) {
		t.Helper()
		got := storedState(t, srv, "t_fields") // a fresh node: reads the hash
		gj, _ := json.Marshal(got)
		wj, _ := json.Marshal(eng)
		if got.Version != version || string(gj) != string(wj) {
			t.Fatalf("version %d: stored state\n%s\nwant\n%s", version, gj, wj)
		}
	}
	step := func(cmd match.Command) {
		t.Helper()
		a := mustApply(t, w, "t_fields", cmd, "")
		if _, err := match.Apply(eng, cmd); err != nil {
			t.Fatalf("engine: %v", err)
		}
		check(a.Version)
	}
	c, err := w.Create(ctx, "t_fields", match.Command{Type: match.CmdCreate, Name: "Fields",
		Settings: &match.Settings{Format: match.DoubleElimination, BestOf: 3}}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	eng = c.State
	check(1)
	for i := range 11 {
		step(match.Command{Type: match.CmdJoin, Name: "P" + strconv.Itoa(i)})
	}
	step(match.Command{Type: match.CmdLeave, Player: 4})
	step(match.Command{Type: match.CmdStart})
	for n := 0; eng.Status == match.StatusRunning && n < 200; n++ {
		var mid match.MatchID
		for _, m := range eng.Matches {
			if m.Status == match.MatchReady {
				mid = m.ID
				break
			}
		}
		if mid == 0 {
			t.Fatalf("running with no ready match: %+v", eng.Matches)
		}
		cmd := match.Command{Type: match.CmdReport, Match: mid, Scores: [2]int{2, 1}}
		if n == 3 {
			cmd = match.Command{Type: match.CmdWithdraw, Player: eng.Matches[mid-1].Players[0]}
		}
		if n%4 == 1 { // a player's claim first, then the organiser's word
			step(match.Command{Type: match.CmdReport, Match: mid, Scores: [2]int{1, 2}, By: eng.Matches[mid-1].Players[1]})
		}
		step(cmd)
	}
	if eng.Status != match.StatusFinished {
		t.Fatalf("status %s after the loop; want finished", eng.Status)
	}
}

// TestWatchWhileRedisDown: a Watch whose starting position cannot be read (Redis down) resyncs
// (lost=true) once Redis is back, then delivers normally.
func TestWatchWhileRedisDown(t *testing.T) {
	t.Parallel()
	srv := redistest.StartWith(t, redistest.Options{AOF: true})
	rec := newRecorder(t)
	a := newStore(t, srv, nil, redisstore.Options{})
	b := newStore(t, srv, rec.deliver, redisstore.Options{})
	mustCreate(t, a, "t_wdown", match.SingleElimination)
	srv.Stop()
	b.Watch("t_wdown") // returns although the position cannot be read
	srv.Restart()
	rec.waitFor(t, "a resync after Redis came back", func() bool { return rec.lost["t_wdown"] >= 1 })
	j := mustApply(t, a, "t_wdown", match.Command{Type: match.CmdJoin, Name: "Ada"}, "")
	es := rec.waitVersion(t, "t_wdown", j.Version)
	if es[len(es)-1].Version != j.Version {
		t.Errorf("delivered %v; want %d last", versions(es), j.Version)
	}
}

// TestListBoundedScan: a filter that rejects almost everything costs one call at most 1,000 index
// entries: the call answers a short (here empty) page with a cursor at the entry it reached, and
// following the cursors finds the one match, then ends; an expired id met on the way is pruned and
// moves the cursor on like any other.
func TestListBoundedScan(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	s := newStore(t, srv, nil, redisstore.Options{})
	ctx := ctxFor(t)
	base := time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)
	const n = 1500
	for i := range n {
		name := fmt.Sprintf("Cup %d", i)
		if i == 0 {
			name = "The one rare cup"
		}
		if _, err := s.Create(ctx, fmt.Sprintf("t_s%04d", i), createCmd(name, match.Swiss), base.Add(time.Duration(i/2)*time.Millisecond)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := srv.Do("DEL", "tourhub:{t:t_s0700}:state"); err != nil { // as if it had expired
		t.Fatal(err)
	}
	f := store.ListFilter{Name: "RARE", Limit: 10}
	page, err := s.List(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	// 1,000 entries read: the newest, from t_s1499 down to t_s0500 (the expired one among them).
	if want := (store.Cursor{CreatedMs: base.Add(250 * time.Millisecond).UnixMilli(), ID: "t_s0500"}); len(page.Summaries) != 0 || page.Next != want {
		t.Fatalf("first page = %v, next %+v; want an empty page, next %+v", page.Summaries, page.Next, want)
	}
	var got []string
	for calls := 2; ; calls++ { // the first call was above
		f.After = page.Next
		if page, err = s.List(ctx, f); err != nil {
			t.Fatal(err)
		}
		for _, sm := range page.Summaries {
			got = append(got, sm.ID)
		}
		if page.Next == (store.Cursor{}) {
			if calls != 2 {
				t.Errorf("%d calls for %d tournaments; want 2 (1,000 entries each at most)", calls, n)
			}
			break
		}
		if calls > 10 {
			t.Fatalf("cursor does not reach the end: %+v", page.Next)
		}
	}
	if fmt.Sprint(got) != "[t_s0000]" {
		t.Errorf("found %v; want [t_s0000]", got)
	}
	if sc, _ := srv.Do("ZSCORE", "tourhub:tournaments", "t_s0700"); sc != "" {
		t.Errorf("t_s0700 still in the index (score %s)", sc)
	}
}

// TestListPrunesExpired: ids whose state expired are skipped by List and removed from the index.
func TestListPrunesExpired(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	s := newStore(t, srv, nil, redisstore.Options{})
	for _, id := range []string{"t_l1", "t_l2", "t_l3"} {
		mustCreate(t, s, id, match.RoundRobin)
	}
	if _, err := srv.Do("DEL", "tourhub:{t:t_l2}:state"); err != nil { // as if it had expired
		t.Fatal(err)
	}
	got, err := s.List(ctxFor(t), store.ListFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, sm := range got.Summaries {
		ids = append(ids, sm.ID)
	}
	if fmt.Sprint(ids) != "[t_l3 t_l1]" {
		t.Errorf("List = %v; want [t_l3 t_l1]", ids)
	}
	if sc, _ := srv.Do("ZSCORE", "tourhub:tournaments", "t_l2"); sc != "" {
		t.Errorf("t_l2 still in the index (score %s)", sc)
	}
}

// TestCacheFollowsOtherNode: a node that watches a tournament keeps its cached state equal to the
// stored one while another node commits (joins, a leave, the start, results, a withdrawal, a
// correction), from the fields each commit publishes, so its own next command wins its
// compare-and-set the first time.
func TestCacheFollowsOtherNode(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	ctx := ctxFor(t)
	w := newStore(t, srv, nil, redisstore.Options{})
	rec := newRecorder(t)
	f := newStore(t, srv, rec.deliver, redisstore.Options{})
	if _, err := w.Create(ctx, "t_follow", match.Command{Type: match.CmdCreate, Name: "Follow",
		Settings: &match.Settings{Format: match.DoubleElimination}}, time.Now()); err != nil {
		t.Fatal(err)
	}
	f.Watch("t_follow")
	// f subscribes in the background; until then commits reach it from the stream, which carries
	// no fields (its cache is dropped instead). Commit until one reaches f's cache by pub/sub.
	live := false
	for i := 0; i < 100 && !live; i++ {
		a := mustApply(t, w, "t_follow", match.Command{Type: match.CmdJoin, Name: "W" + strconv.Itoa(i)}, "")
		rec.waitVersion(t, "t_follow", a.Version)
		if _, _, err := f.Load(ctx, "t_follow"); err != nil { // seeds f's cache
			t.Fatal(err)
		}
		a = mustApply(t, w, "t_follow", match.Command{Type: match.CmdLeave, Player: joinedID(t, a)}, "")
		rec.waitVersion(t, "t_follow", a.Version)
		for end := time.Now().Add(time.Second); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
			if c, _ := redisstore.CachedState(f, "t_follow"); c == nil || c.Version == a.Version {
				live = c != nil
				break
			}
		}
	}
	if !live {
		t.Fatal("no commit reached f's cache by pub/sub")
	}
	follow := func(a store.Applied) {
		t.Helper()
		rec.waitVersion(t, "t_follow", a.Version)
		waitUntil(t, "f's cache at the new version", func() bool {
			c, _ := redisstore.CachedState(f, "t_follow")
			return c != nil && c.Version == a.Version
		})
		c, rev := redisstore.CachedState(f, "t_follow")
		gj, _ := json.Marshal(c)
		wj, _ := json.Marshal(storedState(t, srv, "t_follow"))
		if string(gj) != string(wj) {
			t.Fatalf("version %d: f's cache\n%s\nwant\n%s", a.Version, gj, wj)
		}
		if stored, err := srv.Do("HGET", "tourhub:{t:t_follow}:state", "rev"); err != nil || stored != rev {
			t.Fatalf("version %d: f's cached rev %q; stored %q (%v)", a.Version, rev, stored, err)
		}
	}
	var pids []match.PlayerID
	for i := range 9 {
		a := mustApply(t, w, "t_follow", match.Command{Type: match.CmdJoin, Name: "P" + strconv.Itoa(i)}, "")
		follow(a)
		pids = append(pids, joinedID(t, a))
	}
	follow(mustApply(t, w, "t_follow", match.Command{Type: match.CmdLeave, Player: pids[2]}, ""))
	a := mustApply(t, w, "t_follow", match.Command{Type: match.CmdStart}, "")
	follow(a)
	var done []match.MatchID
	for step := 0; step < 6; step++ {
		m := readyMatch(t, storedState(t, srv, "t_follow"))
		cmd := match.Command{Type: match.CmdReport, Match: m.ID, Scores: [2]int{1, 0}}
		if step == 4 {
			cmd = match.Command{Type: match.CmdWithdraw, Player: m.Players[1]}
		}
		a = mustApply(t, w, "t_follow", cmd, "")
		follow(a)
		done = append(done, m.ID)
	}
	// A correction of the first result resets the matches that depended on it.
	a = mustApply(t, w, "t_follow", match.Command{Type: match.CmdReport, Match: done[0], Scores: [2]int{0, 1}}, "")
	follow(a)

	before := f.Stats().Conflicts
	ready := readyMatch(t, storedState(t, srv, "t_follow")).ID
	mine := mustApply(t, f, "t_follow", match.Command{Type: match.CmdReport, Match: ready, Scores: [2]int{1, 0}}, "")
	if mine.Version != a.Version+1 {
		t.Errorf("f's command committed as v%d; want v%d", mine.Version, a.Version+1)
	}
	if n := f.Stats().Conflicts - before; n != 0 {
		t.Errorf("f's command lost %d compare-and-sets; want 0 (its cache followed)", n)
	}
}

// untilFollowed commits on w until one reaches f's cache by pub/sub (f subscribes in the
// background; until then commits reach it from the log, which drops its cache): a join, which f
// then loads into its cache, and a leave that f must bring its cache forward with. It returns the
// leave; f's cache then holds it undecoded.
func untilFollowed(t *testing.T, w, f *redisstore.Store, id string) store.Applied {
	t.Helper()
	ctx := ctxFor(t)
	var a store.Applied
	waitUntil(t, "a commit followed by f's cache", func() bool {
		a = mustApply(t, w, id, match.Command{Type: match.CmdJoin, Name: "x"}, "")
		if _, _, err := f.Load(ctx, id); err != nil { // seeds f's cache
			t.Fatal(err)
		}
		a = mustApply(t, w, id, match.Command{Type: match.CmdLeave, Player: joinedID(t, a)}, "")
		for end := time.Now().Add(200 * time.Millisecond); time.Now().Before(end); time.Sleep(2 * time.Millisecond) {
			if redisstore.CachedVersion(f, id) == a.Version {
				return true
			}
		}
		return false
	})
	return a
}

// TestConflictFollowsWatcher: a node whose command loses its compare-and-set to another node's
// commit waits for its own watcher to bring the cached state to the winner's version, and
// retries on it, instead of reading the whole state back.
func TestConflictFollowsWatcher(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	ctx := ctxFor(t)
	w := newStore(t, srv, nil, redisstore.Options{})
	var held atomic.Bool
	release := make(chan struct{})
	f := newStore(t, srv, func(id, epoch string, e store.Entry, lost bool) {
		if held.Load() {
			<-release // f's watcher delivers before it moves the cache forward
		}
	}, redisstore.Options{FollowWait: 10 * time.Second})
	letGo := sync.OnceFunc(func() { close(release) })
	t.Cleanup(letGo) // before f closes (cleanups run last first): a failed test must not hang it
	mustCreate(t, w, "t_cf", match.SingleElimination)
	f.Watch("t_cf")
	untilFollowed(t, w, f, "t_cf")

	held.Store(true)
	won := mustApply(t, w, "t_cf", match.Command{Type: match.CmdJoin, Name: "Ada"}, "")
	before := f.Stats()
	done := make(chan store.Applied, 1)
	go func() {
		a, err := f.Apply(ctx, "t_cf", match.Command{Type: match.CmdJoin, Name: "Grace"}, "")
		if err != nil {
			t.Error(err)
		}
		done <- a
	}()
	// f's command loses to won while f's cache is still one version behind; then f's watcher goes on.
	waitUntil(t, "f's command to lose its compare-and-set", func() bool { return f.Stats().Conflicts > before.Conflicts })
	held.Store(false)
	letGo()
	mine := <-done
	names := map[string]bool{}
	for _, p := range storedState(t, srv, "t_cf").Participants {
		names[p.Name] = true
	}
	if mine.Version != won.Version+1 || !names["Ada"] || !names["Grace"] {
		t.Errorf("f committed v%d, players %v; want v%d, Ada and Grace among them", mine.Version, names, won.Version+1)
	}
	after := f.Stats()
	if c, fl := after.Conflicts-before.Conflicts, after.Followed-before.Followed; c != 1 || fl != 1 {
		t.Errorf("%d conflicts, %d followed; want 1 and 1", c, fl)
	}
}

// TestUnwatchedChecksFirst: a node that does not watch a tournament has nothing bring its cached
// state forward, so it checks that state before applying a command; when another node committed
// since, the check's answer carries the stored state, and the command commits at once: no
// compare-and-set lost, and no HGETALL of its own (one check and one commit script per command).
func TestUnwatchedChecksFirst(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	a := newStore(t, srv, nil, redisstore.Options{})
	b := newStore(t, srv, nil, redisstore.Options{})
	mustCreate(t, a, "t_ca", match.SingleElimination)
	mustApply(t, b, "t_ca", match.Command{Type: match.CmdJoin, Name: "P0"}, "")  // b caches it
	mustApply(t, a, "t_ca", match.Command{Type: match.CmdJoin, Name: "P0a"}, "") // a checks (the script is loaded)
	mon := srv.Monitor()
	statsOf := func() (conflicts, stale, fromLog uint64) {
		sa, sb := a.Stats(), b.Stats()
		return sa.Conflicts + sb.Conflicts, sa.Stale + sb.Stale, sa.StaleRecent + sb.StaleRecent
	}
	c0, s0, l0 := statsOf()
	var last store.Applied
	for i := 1; i <= 6; i++ { // b, a, b, ...: each one's cache is a version behind
		last = mustApply(t, []*redisstore.Store{b, a}[(i+1)%2], "t_ca", match.Command{Type: match.CmdJoin, Name: "P" + strconv.Itoa(i)}, "")
	}
	mustApply(t, a, "t_ca", match.Command{Type: match.CmdJoin, Name: "P7"}, "") // a's cache is current
	// Checked too: one check that found the cache current is not enough to skip it.
	last = mustApply(t, a, "t_ca", match.Command{Type: match.CmdJoin, Name: "P8"}, "")
	c1, s1, l1 := statsOf()
	if c1 != c0 || s1-s0 != 6 || l1-l0 != 6 {
		t.Errorf("%d conflicts, %d stale caches, %d brought forward from the log; want none, 6 and 6 (every command after the other node's)", c1-c0, s1-s0, l1-l0)
	}
	if u := a.Stats().Unchecked + b.Stats().Unchecked; u != 0 {
		t.Errorf("%d commands committed unchecked; want none", u)
	}
	if last.Version != 11 {
		t.Errorf("last commit v%d; want v11", last.Version)
	}
	lines, err := mon.Until(srv, "conflicts-done")
	if err != nil {
		t.Fatal(err)
	}
	calls := sentCalls(lines)
	if calls["HGETALL"] != 0 || calls["EVALSHA"] != 16 {
		t.Errorf("the nodes sent %v; want 16 scripts (8 commands, each checked once and committed once) and no HGETALL", calls)
	}
	// The state the checks brought, and the commands changed in place, is the stored one.
	st := storedState(t, srv, "t_ca")
	for _, n := range []*redisstore.Store{a, b} {
		c, _ := redisstore.CachedState(n, "t_ca")
		if c != nil && c.Version == st.Version && !reflect.DeepEqual(c, st) {
			t.Errorf("a node's cached state differs from the stored one:\n%+v\n%+v", c, st)
		}
	}
	if c, _ := redisstore.CachedState(a, "t_ca"); c == nil || c.Version != st.Version || len(st.Participants) != 10 {
		t.Errorf("a's cached state %v; want the stored v%d, with 10 players (stored %d)", c, st.Version, len(st.Participants))
	}
}

// sentCalls counts the commands in MONITOR lines that clients sent, by name (not those that
// scripts ran).
func sentCalls(lines []string) map[string]int {
	calls := map[string]int{}
	for _, l := range lines {
		if _, rest, ok := strings.Cut(l, "] "); ok && !strings.Contains(l, " lua] ") {
			cmd, _, _ := strings.Cut(rest, " ")
			calls[strings.Trim(strings.ToUpper(cmd), `"`)]++
		}
	}
	return calls
}

// TestFieldsDecodedWhenNeeded: a watching node keeps the fields of other nodes' commits as they
// came until it needs the state (at most maxLater of them), then has exactly the stored state.
func TestFieldsDecodedWhenNeeded(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	w := newStore(t, srv, nil, redisstore.Options{})
	rec := newRecorder(t)
	f := newStore(t, srv, rec.deliver, redisstore.Options{})
	mustCreate(t, w, "t_lazy", match.SingleElimination)
	f.Watch("t_lazy")
	a := untilFollowed(t, w, f, "t_lazy")
	if n := redisstore.LaterCommits(f, "t_lazy"); n != 1 {
		t.Fatalf("f holds %d commits undecoded; want 1", n)
	}
	// f delivers an entry, then moves its cache: wait for the cache, not the delivery.
	cachedAt := func(v int64) {
		t.Helper()
		waitUntil(t, "f's cache at the new version", func() bool { return redisstore.CachedVersion(f, "t_lazy") == v })
	}
	for i := range 3 {
		a = mustApply(t, w, "t_lazy", match.Command{Type: match.CmdJoin, Name: "P" + strconv.Itoa(i)}, "")
	}
	cachedAt(a.Version)
	if n := redisstore.LaterCommits(f, "t_lazy"); n != 4 {
		t.Fatalf("f holds %d commits undecoded; want 4", n)
	}
	same := func(a store.Applied) {
		t.Helper()
		c, rev := redisstore.CachedState(f, "t_lazy")
		gj, _ := json.Marshal(c)
		wj, _ := json.Marshal(storedState(t, srv, "t_lazy"))
		if string(gj) != string(wj) {
			t.Fatalf("version %d: f's cache\n%s\nwant\n%s", a.Version, gj, wj)
		}
		if stored, err := srv.Do("HGET", "tourhub:{t:t_lazy}:state", "rev"); err != nil || stored != rev {
			t.Fatalf("f's cached rev %q; stored %q (%v)", rev, stored, err)
		}
		if n := redisstore.LaterCommits(f, "t_lazy"); n != 0 {
			t.Fatalf("%d commits still undecoded after the state was needed", n)
		}
	}
	same(a)
	// A leave deletes a field; then more commits than an entry holds undecoded.
	a = mustApply(t, w, "t_lazy", match.Command{Type: match.CmdLeave, Player: storedState(t, srv, "t_lazy").Participants[1].ID}, "")
	for i := range 10 {
		a = mustApply(t, w, "t_lazy", match.Command{Type: match.CmdJoin, Name: "Q" + strconv.Itoa(i)}, "")
	}
	a = mustApply(t, w, "t_lazy", match.Command{Type: match.CmdStart}, "")
	cachedAt(a.Version)
	if n := redisstore.LaterCommits(f, "t_lazy"); n >= 8 {
		t.Errorf("f holds %d commits undecoded; want fewer than 8", n)
	}
	same(a)
	before := f.Stats().Conflicts
	ready := readyMatch(t, storedState(t, srv, "t_lazy")).ID
	mine := mustApply(t, f, "t_lazy", match.Command{Type: match.CmdReport, Match: ready, Scores: [2]int{1, 0}}, "")
	if mine.Version != a.Version+1 || f.Stats().Conflicts != before {
		t.Errorf("f committed v%d with %d conflicts; want v%d and none", mine.Version, f.Stats().Conflicts-before, a.Version+1)
	}
}

// TestJunkOnChannel: messages on a tournament's channel that no node sent (not JSON, another
// epoch, a version far ahead) change nothing: the node checks the stream, delivers nothing twice
// and nothing out of order, and the next commit arrives as usual.
func TestJunkOnChannel(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	rec := newRecorder(t)
	s := newStore(t, srv, rec.deliver, redisstore.Options{})
	c := mustCreate(t, s, "t_junk", match.RoundRobin)
	s.Watch("t_junk")
	mustApply(t, s, "t_junk", match.Command{Type: match.CmdJoin, Name: "Ada"}, "")
	rec.waitVersion(t, "t_junk", 2)
	for _, junk := range []string{
		"not a message",
		`{"epoch":"` + c.Epoch + `","version":3,"events":[]}`, // the JSON of an older hub
		"tourhub/2 e_other 3 r3 r2 2\n[]{}",
		"tourhub/2 " + c.Epoch + ` 99 r99 r98 34` + "\n" + `[{"type":"tournament_cancelled"}]{}`,
		"tourhub/2 " + c.Epoch + ` 3 r3 r2 16` + "\n" + `{"not":"a list"}{}`,
		"tourhub/2 " + c.Epoch + ` 3 r3 r2 999` + "\n" + `[]{}`,
		"tourhub/2 " + c.Epoch + ` 3 r3 r2 2` + "\n" + `[]{"t":{}}`,
		"tourhub/2 " + c.Epoch + ` x r3 r2 2` + "\n" + `[]{}`,
		"tourhub/1 " + c.Epoch + ` 3 - 2` + "\n" + `[]`, // an older hub's format
	} {
		if _, err := srv.Do("PUBLISH", "tourhub:{t:t_junk}:ch", junk); err != nil {
			t.Fatal(err)
		}
	}
	mustApply(t, s, "t_junk", match.Command{Type: match.CmdJoin, Name: "Grace"}, "")
	es := rec.waitVersion(t, "t_junk", 3)
	checkSequence(t, es, 2, 3)
	if rec.lostOf("t_junk") != 0 {
		t.Errorf("%d resyncs; want 0 (the stored log never changed)", rec.lostOf("t_junk"))
	}
	got, _, err := s.Load(ctxFor(t), "t_junk")
	if err != nil || got.Version != 3 || got.Status != match.StatusRegistering || len(got.Participants) != 2 {
		t.Fatalf("state after junk: %+v %v; want version 3, registering, 2 players", got, err)
	}
}

// TestOwnCommitsNotDecoded: a node's watcher delivers the node's own commits with the events the
// committer made instead of decoding the published JSON; they are the events every other node
// decodes (times included), and none is left held once delivered.
func TestOwnCommitsNotDecoded(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	ctx := ctxFor(t)
	rec := newRecorder(t)
	s := newStore(t, srv, rec.deliver, redisstore.Options{})
	if _, err := s.Create(ctx, "t_own", match.Command{Type: match.CmdCreate, Name: "Own",
		Settings: &match.Settings{Format: match.RoundRobin, BestOf: 3, MatchTimeLimit: match.Duration(time.Hour)}}, time.Now()); err != nil {
		t.Fatal(err)
	}
	s.Watch("t_own")
	at := time.Date(2026, 12, 4, 15, 0, 0, 0, time.UTC)
	var last store.Applied
	for i := range 4 {
		last = mustApply(t, s, "t_own", match.Command{Type: match.CmdJoin, Name: "P" + strconv.Itoa(i), At: at}, "")
	}
	last = mustApply(t, s, "t_own", match.Command{Type: match.CmdStart, At: at.Add(time.Minute)}, "")
	m := readyMatch(t, storedState(t, srv, "t_own"))
	last = mustApply(t, s, "t_own", match.Command{Type: match.CmdReport, Match: m.ID, Scores: [2]int{2, 1}, At: at.Add(2 * time.Minute)}, "")
	rec.waitVersion(t, "t_own", last.Version)
	if n := redisstore.OwnHeld(s); n != 0 {
		t.Errorf("%d own commits still held after their delivery; want 0", n)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for _, e := range rec.entries["t_own"] {
		var decoded []match.Event
		if err := json.Unmarshal(e.Raw, &decoded); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(e.Events, decoded) {
			t.Errorf("v%d delivered\n%+v\nother nodes decode\n%+v", e.Version, e.Events, decoded)
		}
	}

	// A commit no watcher of this node reads stays held, until later commits push it out.
	b := newStore(t, srv, nil, redisstore.Options{})
	mustApply(t, b, "t_own", match.Command{Type: match.CmdReport, Match: m.ID, Scores: [2]int{1, 2}, At: at.Add(3 * time.Minute)}, "")
	if n := redisstore.OwnHeld(b); n != 1 {
		t.Errorf("unwatched node holds %d own commits; want 1", n)
	}
}

// TestLoadDuringCommands: Loads on a node while its commands change the cached state in place, and
// its watcher follows another node's commits: every state a Load returns is whole (as many
// players as joins at its version) and stays as it was; the race detector watches the rest.
func TestLoadDuringCommands(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	ctx := ctxFor(t)
	s := newStore(t, srv, nil, redisstore.Options{})
	o := newStore(t, srv, nil, redisstore.Options{})
	mustCreate(t, s, "t_ld", match.RoundRobin)
	s.Watch("t_ld")
	const joins = 60
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range joins {
			n := []*redisstore.Store{s, o}[i%2]
			if _, err := n.Apply(ctx, "t_ld", match.Command{Type: match.CmdJoin, Name: "P" + strconv.Itoa(i)}, ""); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	var kept []*match.Tournament
	for loading := true; loading; {
		select {
		case <-done:
			loading = false
		default:
		}
		st, head, err := s.Load(ctx, "t_ld")
		if err != nil {
			t.Fatal(err)
		}
		if st.Version != head.Version || len(st.Participants) != int(st.Version-1) {
			t.Fatalf("Load: version %d (head %d) with %d players; want version-1 players", st.Version, head.Version, len(st.Participants))
		}
		kept = append(kept, st)
	}
	for _, st := range kept {
		if len(st.Participants) != int(st.Version-1) {
			t.Fatalf("a loaded state changed afterwards: version %d with %d players", st.Version, len(st.Participants))
		}
	}
	if got := storedState(t, srv, "t_ld"); len(got.Participants) != joins {
		t.Errorf("%d players stored; want %d", len(got.Participants), joins)
	}
}
