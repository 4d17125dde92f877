package ws

import (
	"testing"
	"time"
)

// TestOnGrid: every ping and pong deadline lands on a tick of the node's grid, at least the
// asked duration away and less than one tick later, so that the sockets of a node share their
// timer wake-ups.
func TestOnGrid(t *testing.T) {
	base := time.Date(2026, 12, 3, 17, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		now        time.Time
		d, grid    time.Duration
		want       time.Duration
		onBoundary bool
	}{
		{now: base, d: 20 * time.Second, grid: time.Second, want: 20 * time.Second},
		{now: base.Add(300 * time.Millisecond), d: 20 * time.Second, grid: time.Second, want: 20*time.Second + 700*time.Millisecond},
		{now: base.Add(999 * time.Millisecond), d: 10 * time.Second, grid: time.Second, want: 10*time.Second + time.Millisecond},
		{now: base.Add(time.Nanosecond), d: 0, grid: time.Second, want: time.Second - time.Nanosecond},
		{now: base.Add(30 * time.Millisecond), d: 100 * time.Millisecond, grid: 25 * time.Millisecond, want: 120 * time.Millisecond},
	} {
		got := onGrid(tc.now, tc.d, tc.grid)
		if got != tc.want {
			t.Errorf("onGrid(%v, %v, %v) = %v; want %v", tc.now.Format("15:04:05.000000000"), tc.d, tc.grid, got, tc.want)
		}
		if got < tc.d || got >= tc.d+tc.grid || tc.now.Add(got).UnixNano()%int64(tc.grid) != 0 {
			t.Errorf("onGrid(%v, %v, %v) = %v: not the first tick at least %v away", tc.now, tc.d, tc.grid, got, tc.d)
		}
	}
	// Two sockets whose pings are due 1 ms apart, within one tick, fire at the same instant.
	now := base.Add(200 * time.Millisecond)
	a := now.Add(onGrid(now, 5*time.Second, time.Second))
	later := now.Add(time.Millisecond)
	if b := later.Add(onGrid(later, 5*time.Second, time.Second)); !a.Equal(b) {
		t.Errorf("pings due 1 ms apart within a tick fire at %v and %v; want the same tick", a, b)
	}
}

func TestPingGrid(t *testing.T) {
	for every, want := range map[time.Duration]time.Duration{
		20 * time.Second:       time.Second,
		8 * time.Second:        time.Second,
		4 * time.Second:        500 * time.Millisecond,
		20 * time.Millisecond:  2500 * time.Microsecond,
		4 * time.Millisecond:   time.Millisecond,
		time.Nanosecond * 1000: time.Millisecond,
	} {
		if got := pingGrid(every); got != want {
			t.Errorf("pingGrid(%v) = %v; want %v", every, got, want)
		}
	}
}
