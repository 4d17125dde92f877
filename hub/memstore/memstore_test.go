package memstore_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/tourhub/tourhub/hub/memstore"
	"github.com/tourhub/tourhub/hub/store"
	"github.com/tourhub/tourhub/hub/storetest"
	"github.com/tourhub/tourhub/match"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s := memstore.New()
		t.Cleanup(func() { s.Close() })
		return s
	})
}

// clock is a settable clock.
type clock struct {
	mu  sync.Mutex
	now time.Time // guarded by mu
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func newTour(t *testing.T, s *memstore.Store, id string) {
	t.Helper()
	cmd := match.Command{Type: match.CmdCreate, Name: "Cup", Settings: &match.Settings{Format: match.SingleElimination}}
	if _, err := s.Create(t.Context(), id, cmd, time.Now()); err != nil {
		t.Fatalf("Create: %v", err)
	}
}

func TestEventLogIsBounded(t *testing.T) {
	t.Parallel()
	s := memstore.New(memstore.WithMaxEvents(3))
	t.Cleanup(func() { s.Close() })
	newTour(t, s, "t_1")
	for _, name := range []string{"A", "B", "C", "D"} {
		if _, err := s.Apply(t.Context(), "t_1", match.Command{Type: match.CmdJoin, Name: name}, ""); err != nil {
			t.Fatalf("join: %v", err)
		}
	}
	// Versions 1..5 were written; 3..5 are kept.
	for _, tc := range []struct {
		after    int64
		complete bool
		n        int
	}{{0, false, 0}, {1, false, 0}, {2, true, 3}, {4, true, 1}, {5, true, 0}} {
		_, es, complete, err := s.Events(t.Context(), "t_1", tc.after)
		if err != nil || complete != tc.complete || len(es) != tc.n {
			t.Errorf("Events(%d) = %d entries complete %v err %v; want %d complete %v", tc.after, len(es), complete, err, tc.n, tc.complete)
		}
	}
}

func TestRetention(t *testing.T) {
	t.Parallel()
	c := &clock{now: time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)}
	s := memstore.New(memstore.WithRetention(2*time.Hour), memstore.WithClock(c.Now))
	t.Cleanup(func() { s.Close() })
	newTour(t, s, "t_done")
	newTour(t, s, "t_live")
	if _, err := s.Apply(t.Context(), "t_done", match.Command{Type: match.CmdCancel}, ""); err != nil {
		t.Fatalf("cancel: %v", err)
	}
	c.Add(2*time.Hour - time.Second)
	if _, _, err := s.Load(t.Context(), "t_done"); err != nil {
		t.Fatalf("Load before the retention ends: %v", err)
	}
	c.Add(time.Second)
	if _, _, err := s.Load(t.Context(), "t_done"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Load after the retention: %v; want ErrNotFound", err)
	}
	page, err := s.List(t.Context(), store.ListFilter{})
	list := page.Summaries
	if err != nil || len(list) != 1 || list[0].ID != "t_live" {
		t.Errorf("List after the retention = %+v, %v; want only t_live", list, err)
	}
	// The id is free again once the old tournament is gone.
	newTour(t, s, "t_done")
}

// TestIdleRetention: a tournament that is not finished is dropped after the idle retention
// without a command, as on the Redis store; every committed command renews it, a refused one or a
// repeated submission does not.
func TestIdleRetention(t *testing.T) {
	t.Parallel()
	c := &clock{now: time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)}
	s := memstore.New(memstore.WithRetention(2*time.Hour), memstore.WithIdleRetention(24*time.Hour), memstore.WithClock(c.Now))
	t.Cleanup(func() { s.Close() })
	newTour(t, s, "t_idle")
	newTour(t, s, "t_busy")
	newTour(t, s, "t_refused")
	join := func(id, name, sub string) error {
		_, err := s.Apply(t.Context(), id, match.Command{Type: match.CmdJoin, Name: name}, sub)
		return err
	}
	if err := join("t_refused", "A", "first"); err != nil {
		t.Fatal(err)
	}
	c.Add(23 * time.Hour)
	if err := join("t_busy", "A", ""); err != nil {
		t.Fatalf("join t_busy: %v", err)
	}
	if err := join("t_refused", "A", ""); err == nil { // the name is taken: refused
		t.Fatal("second A joined t_refused")
	}
	if err := join("t_refused", "A", "first"); err != nil { // a repeat of the first: not a command
		t.Fatalf("repeat: %v", err)
	}
	c.Add(time.Hour - time.Second)
	for _, id := range []string{"t_idle", "t_busy", "t_refused"} {
		if _, _, err := s.Load(t.Context(), id); err != nil {
			t.Errorf("Load %s before its idle retention ends: %v", id, err)
		}
	}
	c.Add(time.Second)
	for _, id := range []string{"t_idle", "t_refused"} {
		if _, _, err := s.Load(t.Context(), id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Load %s 24h after its last command: %v; want ErrNotFound", id, err)
		}
		if err := join(id, "B", ""); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("join %s 24h after its last command: %v; want ErrNotFound", id, err)
		}
	}
	page, err := s.List(t.Context(), store.ListFilter{})
	list := page.Summaries
	if err != nil || len(list) != 1 || list[0].ID != "t_busy" {
		t.Errorf("List = %+v, %v; want only t_busy (renewed 1h after the others)", list, err)
	}
	c.Add(23 * time.Hour)
	if _, _, err := s.Load(t.Context(), "t_busy"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Load t_busy 24h after its last command: %v; want ErrNotFound", err)
	}
	newTour(t, s, "t_idle") // the id is free again
}

// TestExpiryTellsWatchers: a watched tournament that expires is delivered as lost (as the Redis
// store's watchers report keys that expired) when the store's sweep drops it, so that the sockets
// watching it learn it is gone; an unwatched one that expires is not delivered.
func TestExpiryTellsWatchers(t *testing.T) {
	t.Parallel()
	c := &clock{now: time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)}
	s := memstore.New(memstore.WithIdleRetention(time.Hour), memstore.WithClock(c.Now))
	t.Cleanup(func() { s.Close() })
	type got struct {
		id   string
		lost bool
	}
	ch := make(chan got, 8)
	s.Register(store.HandlerFunc(func(id, epoch string, e store.Entry, lost bool) { ch <- got{id, lost} }))
	newTour(t, s, "t_watched")
	newTour(t, s, "t_other")
	s.Watch("t_watched")
	defer s.Unwatch("t_watched")
	c.Add(time.Hour)
	if _, err := s.List(t.Context(), store.ListFilter{}); err != nil { // the sweep runs on List and Create
		t.Fatal(err)
	}
	select {
	case g := <-ch:
		if g.id != "t_watched" || !g.lost {
			t.Errorf("delivered %+v; want t_watched lost", g)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no delivery for the expired watched tournament")
	}
	select {
	case g := <-ch:
		t.Errorf("a second delivery %+v; want none", g)
	case <-time.After(100 * time.Millisecond):
	}
}

func TestCloseStopsDelivery(t *testing.T) {
	t.Parallel()
	got := make(chan store.Entry, 10)
	s := memstore.New()
	s.Register(store.HandlerFunc(func(id, epoch string, e store.Entry, lost bool) { got <- e }))
	newTour(t, s, "t_1")
	s.Watch("t_1")
	if _, err := s.Apply(t.Context(), "t_1", match.Command{Type: match.CmdJoin, Name: "A"}, ""); err != nil {
		t.Fatal(err)
	}
	select {
	case <-got:
	case <-time.After(10 * time.Second):
		t.Fatal("no delivery")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := s.Ping(ctx); err == nil {
		t.Error("Ping with a cancelled context succeeded")
	}
}

// TestRetentionPerTournament: a tournament's own retention decides when it expires, finished or
// idle, and when its event log is dropped (a resume from an older version then gets a snapshot:
// Events answers incomplete), whatever the node's values.
func TestRetentionPerTournament(t *testing.T) {
	t.Parallel()
	c := &clock{now: time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)}
	s := memstore.New(memstore.WithRetention(2*time.Hour), memstore.WithIdleRetention(24*time.Hour), memstore.WithClock(c.Now))
	t.Cleanup(func() { s.Close() })
	ctx := t.Context()
	short := match.Retention{Finished: match.Duration(10 * time.Minute), Idle: match.Duration(30 * time.Minute), Log: match.Duration(5 * time.Minute)}
	create := func(id string, r match.Retention) {
		t.Helper()
		cmd := match.Command{Type: match.CmdCreate, Name: "Cup", Settings: &match.Settings{Format: match.SingleElimination, Retention: r}}
		if _, err := s.Create(ctx, id, cmd, c.Now()); err != nil {
			t.Fatalf("Create %s: %v", id, err)
		}
	}
	apply := func(id string, cmd match.Command) {
		t.Helper()
		if _, err := s.Apply(ctx, id, cmd, ""); err != nil {
			t.Fatalf("%s %s: %v", cmd.Type, id, err)
		}
	}
	events := func(id string, after int64, wantComplete bool, wantN int) {
		t.Helper()
		_, es, complete, err := s.Events(ctx, id, after)
		if err != nil || complete != wantComplete || len(es) != wantN {
			t.Errorf("Events(%s, %d) = %d entries, complete %v, err %v; want %d, complete %v", id, after, len(es), complete, err, wantN, wantComplete)
		}
	}
	alive := func(id string, want bool) {
		t.Helper()
		_, _, err := s.Load(ctx, id)
		if want && err != nil {
			t.Errorf("Load %s: %v; want it kept", id, err)
		} else if !want && !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Load %s: %v; want ErrNotFound (expired)", id, err)
		}
	}
	create("t_short", short)
	create("t_node", match.Retention{})
	create("t_fin", short)
	create("t_fin_node", match.Retention{})
	apply("t_short", match.Command{Type: match.CmdJoin, Name: "Ada"}) // version 2
	apply("t_fin", match.Command{Type: match.CmdCancel})
	apply("t_fin_node", match.Command{Type: match.CmdCancel})

	// The log: kept for retention.log after the last command, then dropped; the state stays.
	c.Add(5*time.Minute - time.Second)
	events("t_short", 0, true, 2)
	c.Add(time.Second)
	events("t_short", 0, false, 0)
	events("t_short", 1, false, 0)
	events("t_short", 2, true, 0) // the current version needs no log
	events("t_node", 0, true, 1)  // the node's log retention: the tournament's
	alive("t_short", true)
	// The next command starts a new log.
	apply("t_short", match.Command{Type: match.CmdJoin, Name: "Grace"}) // version 3
	events("t_short", 2, true, 1)
	events("t_short", 1, false, 0)

	// Finished: retention.finished after the cancel, not the node's 2h.
	c.Add(5*time.Minute - time.Second) // 10m - 1s after the cancel
	alive("t_fin", true)
	c.Add(time.Second)
	alive("t_fin", false)
	alive("t_fin_node", true)

	// Idle: retention.idle after the last command, not the node's 24h.
	c.Add(25*time.Minute - time.Second) // 30m - 1s after Grace's join
	alive("t_short", true)
	c.Add(time.Second)
	alive("t_short", false)
	alive("t_node", true)
	page, err := s.List(ctx, store.ListFilter{})
	list := page.Summaries
	if err != nil || len(list) != 2 {
		t.Errorf("List = %+v, %v; want t_node and t_fin_node", list, err)
	}
	c.Add(2 * time.Hour) // the node's values still apply to the others
	alive("t_fin_node", false)
	alive("t_node", true)
}
