package ws

import (
	"testing"
	"time"
)

// TestPingGridAfter: every ping and pong deadline lands on a tick of the node's grid (its phase
// included), at least the asked duration away and less than one tick later; so sockets whose
// pings fall due within one tick share one wake-up.
func TestPingGridAfter(t *testing.T) {
	base := time.Unix(1_700_000_000, 0) // a whole second
	for _, tc := range []struct {
		now  time.Time
		d    time.Duration
		grid pingGrid
		want time.Duration
	}{
		{now: base, d: 20 * time.Second, grid: pingGrid{tick: time.Second}, want: 20 * time.Second},
		{now: base.Add(300 * time.Millisecond), d: 20 * time.Second, grid: pingGrid{tick: time.Second}, want: 20*time.Second + 700*time.Millisecond},
		{now: base.Add(999 * time.Millisecond), d: 10 * time.Second, grid: pingGrid{tick: time.Second}, want: 10*time.Second + time.Millisecond},
		{now: base.Add(time.Nanosecond), d: 0, grid: pingGrid{tick: time.Second}, want: time.Second - time.Nanosecond},
		{now: base.Add(30 * time.Millisecond), d: 100 * time.Millisecond, grid: pingGrid{tick: 25 * time.Millisecond}, want: 120 * time.Millisecond},
		// With a phase the ticks are the epoch's plus the phase.
		{now: base, d: 20 * time.Second, grid: pingGrid{tick: 500 * time.Millisecond, phase: 123 * time.Millisecond}, want: 20*time.Second + 123*time.Millisecond},
		{now: base.Add(200 * time.Millisecond), d: time.Second, grid: pingGrid{tick: 500 * time.Millisecond, phase: 123 * time.Millisecond}, want: time.Second + 423*time.Millisecond},
		{now: base.Add(123 * time.Millisecond), d: time.Second, grid: pingGrid{tick: 500 * time.Millisecond, phase: 123 * time.Millisecond}, want: time.Second},
		// Before the epoch's first tick past the phase the remainder is negative.
		{now: time.Unix(0, 0), d: 0, grid: pingGrid{tick: 500 * time.Millisecond, phase: 123 * time.Millisecond}, want: 123 * time.Millisecond},
	} {
		got := tc.grid.after(tc.now, tc.d)
		if got != tc.want {
			t.Errorf("%+v.after(%v, %v) = %v; want %v", tc.grid, tc.now.Format("15:04:05.000000000"), tc.d, got, tc.want)
		}
		if off := (tc.now.Add(got).UnixNano() - int64(tc.grid.phase)) % int64(tc.grid.tick); got < tc.d || got >= tc.d+tc.grid.tick || off != 0 {
			t.Errorf("%+v.after(%v, %v) = %v: not the first tick at least %v away", tc.grid, tc.now, tc.d, got, tc.d)
		}
	}
	// Two sockets whose pings are due 1 ms apart, within one tick, fire at the same instant.
	g := pingGrid{tick: 500 * time.Millisecond, phase: 77 * time.Millisecond}
	now := base.Add(200 * time.Millisecond)
	a := now.Add(g.after(now, 5*time.Second))
	later := now.Add(time.Millisecond)
	if b := later.Add(g.after(later, 5*time.Second)); !a.Equal(b) {
		t.Errorf("pings due 1 ms apart within a tick fire at %v and %v; want the same tick", a, b)
	}
}

// TestNewPingGrid: the tick is half a second, or an eighth of the ping interval when shorter, never
// under a millisecond; the phase is within a tick, and differs between nodes.
func TestNewPingGrid(t *testing.T) {
	for every, want := range map[time.Duration]time.Duration{
		20 * time.Second:       500 * time.Millisecond,
		4 * time.Second:        500 * time.Millisecond,
		2 * time.Second:        250 * time.Millisecond,
		20 * time.Millisecond:  2500 * time.Microsecond,
		4 * time.Millisecond:   time.Millisecond,
		time.Nanosecond * 1000: time.Millisecond,
	} {
		if got := newPingGrid(every); got.tick != want || got.phase < 0 || got.phase >= got.tick {
			t.Errorf("newPingGrid(%v) = %+v; want a tick of %v and a phase in [0, tick)", every, got, want)
		}
	}
	phases := map[time.Duration]bool{}
	for range 8 {
		phases[newPingGrid(20*time.Second).phase] = true
	}
	if len(phases) < 2 {
		t.Errorf("8 nodes drew %d ping phases; want them drawn at random", len(phases))
	}
}
