package redisstore_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/tourhub/tourhub/hub/redisstore"
	"github.com/tourhub/tourhub/hub/store"
	"github.com/tourhub/tourhub/internal/redistest"
	"github.com/tourhub/tourhub/match"
)

// TestDeliveredInline: the node's pub/sub receiver delivers a watched tournament's next commit
// itself while its deliveries are quick, and leaves them to the tournament's worker once one
// took longer than inlineMax (here 50 ms, so that the race detector's slowness does not count),
// until the worker's are quick again; every entry is delivered once and in order either way.
func TestDeliveredInline(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	const id = "t_inline"
	slow := make(chan int64, 1) // a version whose delivery takes 100 ms
	got := make(chan int64, 64)
	w := newStore(t, srv, nil, redisstore.Options{})
	f := newStore(t, srv, func(_, _ string, e store.Entry, lost bool) {
		if lost {
			t.Errorf("lost delivery at v%d", e.Version)
		}
		select {
		case v := <-slow:
			if v == e.Version {
				time.Sleep(100 * time.Millisecond)
			} else {
				slow <- v
			}
		default:
		}
		got <- e.Version
	}, redisstore.Options{PositionCheck: time.Hour})
	redisstore.SetInlineMax(f, 50*time.Millisecond)
	mustCreate(t, w, id, match.SingleElimination)
	f.Watch(id)
	waitUntil(t, "f to subscribe", func() bool {
		_, classic := shardSubscribers(t, srv, redisstore.Channel(id))
		return classic == 1
	})
	// The subscription's confirmation has the worker catch up (from v1: nothing to deliver); the
	// first commit below is delivered after it, and the counting starts from there.

	want := int64(1)
	commit := func() {
		t.Helper()
		// Whoever delivered the last one still holds the tournament's delivery for a moment after
		// the Handler returned; a commit meanwhile would be queued for the worker.
		waitUntil(t, "the delivery to finish", func() bool { return redisstore.DeliveryIdle(f, id) })
		a := mustApply(t, w, id, match.Command{Type: match.CmdJoin, Name: "P" + strconv.FormatInt(want, 10)}, "")
		want++
		if a.Version != want {
			t.Fatalf("committed v%d; want v%d", a.Version, want)
		}
		select {
		case v := <-got:
			if v != want {
				t.Fatalf("delivered v%d; want v%d", v, want)
			}
		case <-time.After(timeout):
			t.Fatalf("v%d not delivered", want)
		}
		// Whoever delivered it counts the delivery after the Handler returns.
		waitUntil(t, "the delivery to finish", func() bool { return redisstore.DeliveryIdle(f, id) })
	}
	inlined := func() uint64 { return redisstore.Inlined(f) }

	commit() // delivered after the subscription's catch-up, by whichever goroutine
	n0 := inlined()
	for range 3 {
		commit()
	}
	if d := inlined() - n0; d != 3 {
		t.Errorf("%d of 3 quick deliveries made by the receiver; want all", d)
	}
	slow <- want + 1 // the next delivery is slow: it is the last the receiver makes
	commit()
	if d := inlined() - n0; d != 4 {
		t.Errorf("%d of 4 deliveries made by the receiver; want all (the slow one too)", d)
	}
	commit() // the worker's; quick, so the receiver takes the next one again
	if d := inlined() - n0; d != 4 {
		t.Errorf("the delivery after a slow one was made by the receiver (%d of 5); want the worker's", d)
	}
	commit()
	if d := inlined() - n0; d != 5 {
		t.Errorf("%d of 6 deliveries made by the receiver; want 5 (all but the one after the slow one)", d)
	}
}
