package command

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/tourhub/tourhub/hub/memstore"
	"github.com/tourhub/tourhub/match"
)

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Advance(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

// TestSweepersFireOnce: several services (as on several nodes) sweep one due set concurrently;
// every warning and timeout fires exactly once, and players' matches are resolved by the rule.
// The commands that set the tournament up go through the first service, which records the
// deadlines as it commits them.
func TestSweepersFireOnce(t *testing.T) {
	ctx := context.Background()
	clock := &fakeClock{now: time.Date(2026, 11, 22, 18, 0, 0, 0, time.UTC)}
	st := memstore.New()
	defer st.Close()
	due := memstore.NewDueSet()
	tokens := NewTokens([]byte("sweep test secret, 32 bytes long"), time.Hour, clock.Now)
	nodes := make([]*Service, 3)
	for i := range nodes {
		s, err := New(Config{Store: st, Due: due, Tokens: tokens, Now: clock.Now})
		if err != nil {
			t.Fatal(err)
		}
		nodes[i] = s
	}
	fired := func(typ match.CommandType) float64 {
		var n float64
		for _, s := range nodes {
			n += testutil.ToFloat64(s.metrics.commands.WithLabelValues(string(typ), "applied"))
		}
		return n
	}
	limit := match.Duration(10 * time.Minute)
	cr, err := nodes[0].Create(ctx, "Cup", "", match.Settings{Format: match.SingleElimination, MatchTimeLimit: limit}, "")
	if err != nil {
		t.Fatal(err)
	}
	org := Claims{Tournament: cr.ID, Role: RoleOrganiser}
	for _, n := range []string{"A", "B", "C", "D"} {
		if _, err := nodes[0].Join(ctx, cr.ID, n, 0, ""); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := nodes[0].Start(ctx, org, cr.ID); err != nil {
		t.Fatal(err)
	}
	// One report on match 1, by player 1.
	if _, err := nodes[0].Report(ctx, Claims{Tournament: cr.ID, Role: RolePlayer, Player: 1}, cr.ID, 1, match.Report{Scores: [2]int{1, 0}}, ""); err != nil {
		t.Fatal(err)
	}

	sweepAll := func() {
		var wg sync.WaitGroup
		for _, s := range nodes {
			wg.Go(func() { s.SweepOnce(ctx) })
		}
		wg.Wait()
	}
	sweepAll()
	if w, to := fired(match.CmdWarn), fired(match.CmdTimeout); w+to != 0 {
		t.Fatalf("%v commands fired before anything was due", w+to)
	}
	clock.Advance(8 * time.Minute) // warnings (a fifth of the limit before)
	sweepAll()
	clock.Advance(2 * time.Minute) // deadlines
	sweepAll()
	if w, to := fired(match.CmdWarn), fired(match.CmdTimeout); w != 2 || to != 2 {
		t.Fatalf("warnings fired %v, timeouts %v; want 2 and 2 (once per match)", w, to)
	}
	tr, _, err := st.Load(ctx, cr.ID)
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

// dueLog is a due set that records the tournaments whose next deadline a commit reported.
type dueLog struct {
	*memstore.DueSet
	mu      sync.Mutex
	lowered []string // guarded by mu
}

func (d *dueLog) Lower(ctx context.Context, id string, at time.Time) error {
	d.mu.Lock()
	d.lowered = append(d.lowered, id)
	d.mu.Unlock()
	return d.DueSet.Lower(ctx, id, at)
}

// TestTracksEveryCommit: every command the service commits records the tournament's next
// deadline (the sweeper finds it there), create included; a rejected command and a repeated
// submission do not. Commands are stamped with the service's clock.
func TestTracksEveryCommit(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 7, 1, 18, 0, 0, 0, time.UTC)
	st := memstore.New()
	defer st.Close()
	due := &dueLog{DueSet: memstore.NewDueSet()}
	s, err := New(Config{Store: st, Due: due, Now: func() time.Time { return now },
		Tokens: NewTokens([]byte("track test secret, 32 bytes long"), time.Hour, nil)})
	if err != nil {
		t.Fatal(err)
	}
	start := now.Add(time.Hour)
	cr, err := s.Create(ctx, "Cup", "", match.Settings{Format: match.SingleElimination, ScheduledStart: &start,
		MatchTimeLimit: match.Duration(10 * time.Minute)}, "")
	if err != nil {
		t.Fatal(err)
	}
	org := Claims{Tournament: cr.ID, Role: RoleOrganiser}
	for _, n := range []string{"Ada", "Grace"} {
		if _, err := s.Join(ctx, cr.ID, n, 0, ""); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Start(ctx, org, cr.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Start(ctx, org, cr.ID); err == nil {
		t.Fatal("a second start was accepted")
	}
	p1 := Claims{Tournament: cr.ID, Role: RolePlayer, Player: 1}
	for range 2 { // the second is a repeat of the submission
		if _, err := s.Report(ctx, p1, cr.ID, 1, match.Report{Scores: [2]int{1, 0}}, "r1"); err != nil {
			t.Fatal(err)
		}
	}
	due.mu.Lock()
	got := len(due.lowered)
	due.mu.Unlock()
	if got != 5 {
		t.Errorf("%d deadlines recorded; want 5 (create, 2 joins, start, one report)", got)
	}
	tr, _, err := st.Load(ctx, cr.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !tr.StartedAt.Equal(now) || !tr.Matches[0].ReadyAt.Equal(now) {
		t.Errorf("started at %v, match ready at %v; want both %v (the service's clock)", tr.StartedAt, tr.Matches[0].ReadyAt, now)
	}
}
