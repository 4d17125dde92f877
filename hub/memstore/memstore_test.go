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
	list, err := s.List(t.Context(), store.ListFilter{})
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
	list, err := s.List(t.Context(), store.ListFilter{})
	if err != nil || len(list) != 1 || list[0].ID != "t_busy" {
		t.Errorf("List = %+v, %v; want only t_busy (renewed 1h after the others)", list, err)
	}
	c.Add(23 * time.Hour)
	if _, _, err := s.Load(t.Context(), "t_busy"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Load t_busy 24h after its last command: %v; want ErrNotFound", err)
	}
	newTour(t, s, "t_idle") // the id is free again
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
