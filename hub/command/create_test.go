package command

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tourhub/tourhub/hub/memstore"
	"github.com/tourhub/tourhub/hub/redisstore"
	"github.com/tourhub/tourhub/hub/store"
	"github.com/tourhub/tourhub/internal/redistest"
	"github.com/tourhub/tourhub/match"
)

func newService(t *testing.T, st store.Store) *Service {
	t.Helper()
	s, err := New(Config{Store: st, Due: memstore.NewDueSet(), Tokens: NewTokens([]byte("create test secret, 32 bytes long"), time.Hour, time.Now)})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestCreateRepeated: a create with a submission id is safe to repeat: the repeat answers the
// tournament the first one made (as it is now, Duplicate set, with an organiser token that works)
// and creates nothing; without one, every create is a new tournament; a short submission id is
// refused.
func TestCreateRepeated(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := memstore.New()
	t.Cleanup(func() { st.Close() })
	s := newService(t, st)
	settings := match.Settings{Format: match.RoundRobin}
	const sub = "9b2d6c1e-create-repeat-0001"
	first, err := s.Create(ctx, "League", "", settings, sub)
	if err != nil || first.Duplicate {
		t.Fatalf("first create: %+v, %v", first, err)
	}
	if _, err := s.Join(ctx, first.ID, "Ada", 0, ""); err != nil {
		t.Fatal(err)
	}
	again, err := s.Create(ctx, "League (retry)", "", settings, sub)
	if err != nil || !again.Duplicate || again.ID != first.ID || again.Version != 2 || again.State.Name != "League" {
		t.Fatalf("repeat: id %s, duplicate %v, version %d, %v; want %s, a duplicate at version 2 named League", again.ID, again.Duplicate, again.Version, err, first.ID)
	}
	c, err := s.Verify(again.Token)
	if err != nil || c.Tournament != first.ID || c.Role != RoleOrganiser {
		t.Errorf("the repeat's token: %+v, %v; want the organiser of %s", c, err, first.ID)
	}
	other, err := s.Create(ctx, "League", "", settings, "")
	if err != nil || other.ID == first.ID {
		t.Errorf("create without a submission id: %s, %v; want a new tournament", other.ID, err)
	}
	if _, err := s.Create(ctx, "League", "", settings, "short"); func() string { _, code, _ := ErrorBody(err); return code }() != CodeBadRequest {
		t.Errorf("a 5-character submission id: %v; want bad_request", err)
	}
	page, err := st.List(ctx, store.ListFilter{})
	if err != nil || len(page.Summaries) != 2 {
		t.Errorf("List: %d tournaments, %v; want 2", len(page.Summaries), err)
	}
}

// TestCreateWaitsForReplicas: with --redis-wait-replicas 1 and the replica paused, a create
// answers unavailable (it is on the master, not acknowledged); its repeat with the same submission
// id, once the replica is back, answers that tournament (Duplicate) instead of making a second.
func TestCreateWaitsForReplicas(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	master := redistest.Start(t)
	replica := redistest.StartReplica(t, master)
	st, err := redisstore.New(ctx, redisstore.Options{URL: master.URL(), WaitReplicas: 1, WaitTimeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	s := newService(t, st)
	const sub = "4f1a7e2b-create-wait-0001"
	replica.Pause()
	if _, err := s.Create(ctx, "Cup", "", match.Settings{Format: match.SingleElimination}, sub); !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("create with the replica paused: %v; want unavailable", err)
	}
	if _, err := s.Create(ctx, "Cup", "", match.Settings{Format: match.SingleElimination}, sub); !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("its repeat, the replica still paused: %v; want unavailable (not yet confirmed)", err)
	}
	replica.Resume()
	var again Created
	deadline := time.Now().Add(20 * time.Second)
	for {
		if again, err = s.Create(ctx, "Cup", "", match.Settings{Format: match.SingleElimination}, sub); err == nil || !errors.Is(err, store.ErrUnavailable) || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil || !again.Duplicate || again.ID != createdID(sub) {
		t.Fatalf("repeat once the replica is back: %+v, %v; want the first create's tournament %s as a duplicate", again, err, createdID(sub))
	}
	page, err := st.List(ctx, store.ListFilter{})
	if err != nil || len(page.Summaries) != 1 {
		t.Errorf("List: %+v, %v; want the one tournament", page.Summaries, err)
	}
}
