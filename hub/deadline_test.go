package hub_test

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tourhub/tourhub/hub"
	"github.com/tourhub/tourhub/hub/memstore"
	"github.com/tourhub/tourhub/hub/store"
	"github.com/tourhub/tourhub/match"
)

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Advance(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

// TestSweepersFireOnce: several sweepers (as on several nodes) sweep one due set concurrently;
// every warning and timeout fires exactly once, and players' matches are resolved by the rule.
func TestSweepersFireOnce(t *testing.T) {
	ctx := context.Background()
	clock := &fakeClock{now: time.Date(2026, 11, 22, 18, 0, 0, 0, time.UTC)}
	st := memstore.New()
	defer st.Close()
	due := memstore.NewDueSet()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	var fired sync.Map
	var count atomic.Int64
	sweepers := make([]*hub.Sweeper, 3)
	for i := range sweepers {
		sweepers[i] = hub.NewSweeper(st, due, clock.Now, time.Second, log)
		sweepers[i].Fired = func(typ match.CommandType) {
			count.Add(1)
			n, _ := fired.LoadOrStore(typ, new(atomic.Int64))
			n.(*atomic.Int64).Add(1)
		}
	}
	limit := match.Duration(10 * time.Minute)
	s := match.Settings{Format: match.SingleElimination, MatchTimeLimit: limit}
	apply := func(c match.Command) store.Applied {
		t.Helper()
		c.At = clock.Now()
		a, err := st.Apply(ctx, "t1", c, "")
		if err != nil {
			t.Fatalf("%s: %v", c.Type, err)
		}
		sweepers[0].Track(ctx, "t1", a.State)
		return a
	}
	if _, err := st.Create(ctx, "t1", match.Command{Type: match.CmdCreate, Tournament: "t1", Name: "Cup", Settings: &s, At: clock.Now()}, clock.Now()); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"A", "B", "C", "D"} {
		apply(match.Command{Type: match.CmdJoin, Name: n})
	}
	apply(match.Command{Type: match.CmdStart})
	apply(match.Command{Type: match.CmdReport, Match: 1, By: 1, Scores: [2]int{1, 0}}) // one report on match 1

	sweepAll := func() {
		var wg sync.WaitGroup
		for _, sw := range sweepers {
			wg.Add(1)
			go func() { defer wg.Done(); sw.Sweep(ctx) }()
		}
		wg.Wait()
	}
	sweepAll()
	if got := count.Load(); got != 0 {
		t.Fatalf("%d commands fired before anything was due", got)
	}
	clock.Advance(8 * time.Minute) // warnings (a fifth of the limit before)
	sweepAll()
	clock.Advance(2 * time.Minute) // deadlines
	sweepAll()
	get := func(typ match.CommandType) int64 {
		if n, ok := fired.Load(typ); ok {
			return n.(*atomic.Int64).Load()
		}
		return 0
	}
	if w, to := get(match.CmdWarn), get(match.CmdTimeout); w != 2 || to != 2 {
		t.Fatalf("warnings fired %d, timeouts %d; want 2 and 2 (once per match)", w, to)
	}
	tr, _, err := st.Load(ctx, "t1")
	if err != nil {
		t.Fatal(err)
	}
	// Match 1: the only report stands (player 1 won). Match 2: nobody reported: double forfeit.
	// The final then has player 1 against nobody: a walkover, and the tournament is over.
	if m := tr.Matches[0]; m.Winner != 1 {
		t.Errorf("match 1 winner %d; want 1", m.Winner)
	}
	if m := tr.Matches[1]; !(m.Forfeited[0] && m.Forfeited[1]) {
		t.Errorf("match 2 %+v; want a double forfeit", m)
	}
	if tr.Status != match.StatusFinished {
		t.Errorf("status %s; want finished", tr.Status)
	}
	if ids, _ := due.Due(ctx, clock.Now().Add(time.Hour), 10); len(ids) != 0 {
		t.Errorf("still due after everything fired: %v", ids)
	}
}
