package command

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/tourhub/tourhub/hub/redisstore"
	"github.com/tourhub/tourhub/hub/store"
	"github.com/tourhub/tourhub/internal/redistest"
	"github.com/tourhub/tourhub/match"
)

// leaving is a store whose caller goes away (its context is cancelled) just after a start is
// applied, before the service has done the rest of its work for it.
type leaving struct {
	store.Store
	leave context.CancelFunc
}

func (l leaving) Apply(ctx context.Context, id string, cmd match.Command, sub string) (store.Applied, error) {
	a, err := l.Store.Apply(ctx, id, cmd, sub)
	if cmd.Type == match.CmdStart {
		l.leave()
	}
	return a, err
}

// TestCallerGone, on a real redis-server: a command whose caller goes away once it is committed
// still records the tournament's next deadline in the shared due set, or no sweeper would ever
// fire it; a command cut short before it was applied is counted as cancelled, not as a failure
// of the store.
func TestCallerGone(t *testing.T) {
	t.Parallel()
	rs := redistest.Start(t)
	rst, err := redisstore.New(t.Context(), redisstore.Options{URL: rs.URL()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rst.Close() })
	due := rst.DueSet()
	ctx, leave := context.WithCancel(t.Context())
	s, err := New(Config{Store: leaving{rst, leave}, Due: due, Tokens: NewTokens([]byte("gone test secret, 32 bytes long!"), time.Hour, time.Now)})
	if err != nil {
		t.Fatal(err)
	}
	cr, err := s.Create(t.Context(), "Cup", "", match.Settings{Format: match.SingleElimination, MatchTimeLimit: match.Duration(10 * time.Minute)}, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := due.Set(t.Context(), cr.ID, time.Time{}); err != nil { // nothing recorded yet
		t.Fatal(err)
	}
	for _, n := range []string{"Ada", "Grace"} {
		if _, err := s.Join(t.Context(), cr.ID, n, 0, ""); err != nil {
			t.Fatal(err)
		}
	}
	// The start makes the first match ready, with its time limit: the caller leaves as it commits.
	if _, err := s.Start(ctx, Claims{Tournament: cr.ID, Role: RoleOrganiser}, cr.ID); err != nil {
		t.Fatalf("start: %v", err)
	}
	if ctx.Err() == nil {
		t.Fatal("the caller did not leave")
	}
	ids, err := due.Due(t.Context(), time.Now().Add(time.Hour), 10)
	if err != nil || len(ids) != 1 || ids[0] != cr.ID {
		t.Errorf("due within the hour: %v, %v; want [%s] (the match's time limit)", ids, err, cr.ID)
	}

	// A command whose caller has already gone is not applied, and counts as cancelled.
	p1 := Claims{Tournament: cr.ID, Role: RolePlayer, Player: 1}
	if _, err := s.Report(ctx, p1, cr.ID, 1, match.Report{Scores: [2]int{1, 0}}, "gone-r1"); err == nil {
		t.Fatal("a report with a cancelled context was applied")
	}
	if got := testutil.ToFloat64(s.metrics.commands.WithLabelValues(string(match.CmdReport), "canceled")); got != 1 {
		t.Errorf("reports counted as cancelled: %v; want 1", got)
	}
	if got := testutil.CollectAndCount(s.metrics.storeErrors); got != 0 {
		t.Errorf("%d store error series after a cancelled command; want none", got)
	}
	if status, code, _ := ErrorBody(context.Canceled); status != 503 || code != CodeUnavailable {
		t.Errorf("ErrorBody(context.Canceled) = %d %s; want 503 unavailable", status, code)
	}
}
