package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// capacity is a server that holds every rate up to its capacity (achieving it in full) and fails
// above it; fails lists targets whose first step fails anyway (a transient stall).
type capacity struct {
	limit   float64
	fails   map[int]bool // rounded targets whose first step fails
	stolen  map[int]int  // rounded targets whose first steps, this many, fail while the host steals
	step    time.Duration
	targets []float64
}

func (c *capacity) probe(target float64) (step, string) {
	c.targets = append(c.targets, target)
	time.Sleep(c.step)
	if k := int(math.Round(target)); c.stolen[k] > 0 {
		c.stolen[k]--
		return step{Target: target, Achieved: target / 2, Usage: usage{StealCores: 0.5}}, "starved"
	}
	if c.fails[int(math.Round(target))] {
		delete(c.fails, int(math.Round(target)))
		return step{Target: target, Achieved: target / 2}, "stalled"
	}
	if target > c.limit {
		return step{Target: target, Achieved: c.limit}, fmt.Sprintf("p99 over at %.0f/s", target)
	}
	return step{Target: target, Achieved: target, Held: true}, ""
}

func rounded(xs []float64) []int {
	out := make([]int, len(xs))
	for i, x := range xs {
		out[i] = int(math.Round(x))
	}
	return out
}

func TestSearchMaxRate(t *testing.T) {
	t.Parallel()
	rising := []int{200, 250, 313, 391, 488, 610, 763, 954, 1192}
	for _, tc := range []struct {
		name    string
		cfg     config
		c       capacity
		targets []int
		held    int
		reason  string
	}{
		{
			name: "three bisections",
			cfg:  config{rate: 200, refine: 3, duration: time.Hour},
			c:    capacity{limit: 1300},
			// 1490 fails twice; then sqrt(1192*1490) = 1333 fails twice, 1260 and 1296 hold.
			targets: append(append([]int{}, rising...), 1490, 1490, 1333, 1333, 1260, 1296),
			held:    1296,
			reason:  "p99 over at 1333/s",
		},
		{
			name:    "no bisection",
			cfg:     config{rate: 200, refine: 0, duration: time.Hour},
			c:       capacity{limit: 1300},
			targets: append(append([]int{}, rising...), 1490, 1490),
			held:    1192,
			reason:  "p99 over at 1490/s",
		},
		{
			name: "a transient failure is measured again",
			cfg:  config{rate: 200, refine: 1, duration: time.Hour},
			c:    capacity{limit: 1300, fails: map[int]bool{610: true, 1333: true}},
			// 610 fails once and holds; the bisection at 1333 stalls once and then fails on p99.
			targets: []int{200, 250, 313, 391, 488, 610, 610, 763, 954, 1192, 1490, 1490, 1333, 1333},
			held:    1192,
			reason:  "p99 over at 1333/s",
		},
		{
			name: "a step failing while the host steals is measured again",
			cfg:  config{rate: 200, refine: 0, duration: time.Hour},
			c:    capacity{limit: 1300, stolen: map[int]int{200: 3, 610: 1}},
			// Three starved steps at 200 and one at 610 do not count: each target holds after.
			targets: []int{200, 200, 200, 200, 250, 313, 391, 488, 610, 610, 763, 954, 1192, 1490, 1490},
			held:    1192,
			reason:  "p99 over at 1490/s",
		},
		{
			name: "a host that keeps stealing fails the step",
			cfg:  config{rate: 200, refine: 3, duration: time.Hour},
			c:    capacity{limit: 1300, stolen: map[int]int{200: 9}},
			// Three starved steps are measured again, then two more fail it.
			targets: []int{200, 200, 200, 200, 200},
			held:    0,
			reason:  "starved, with 0.50 cores stolen by the host",
		},
		{
			name:    "the first step fails",
			cfg:     config{rate: 200, refine: 3, duration: time.Hour},
			c:       capacity{limit: 100},
			targets: []int{200, 200},
			held:    0,
			reason:  "p99 over at 200/s",
		},
		{
			name:    "out of time while rising",
			cfg:     config{rate: 200, refine: 3, duration: 35 * time.Second},
			c:       capacity{limit: 1300},
			targets: []int{200, 250, 313},
			held:    313,
			reason:  "ran out of time",
		},
		{
			name: "out of time while bisecting",
			cfg:  config{rate: 200, refine: 3, duration: 125 * time.Second},
			c:    capacity{limit: 1300},
			// 12 steps of 10 s fit: the rise, 1490 twice, one bisection at 1333.
			targets: append(append([]int{}, rising...), 1490, 1490, 1333),
			held:    1192,
			reason:  "p99 over at 1490/s",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				tc.cfg.step, tc.cfg.log = 10*time.Second, io.Discard
				tc.c.step = tc.cfg.step
				res := &latencyResult{}
				searchMaxRate(context.Background(), tc.cfg, res, tc.c.probe)
				if got := rounded(tc.c.targets); fmt.Sprint(got) != fmt.Sprint(tc.targets) {
					t.Errorf("targets %v; want %v", got, tc.targets)
				}
				if len(res.Steps) != len(tc.targets) {
					t.Errorf("%d steps recorded; want %d", len(res.Steps), len(tc.targets))
				}
				if got := int(math.Round(res.MaxRateHeld)); got != tc.held {
					t.Errorf("held %d/s; want %d/s", got, tc.held)
				}
				if !strings.Contains(res.MaxRateReason, tc.reason) {
					t.Errorf("reason %q; want it to say %q", res.MaxRateReason, tc.reason)
				}
			})
		})
	}
}

// TestSearchMaxRateHeldIsTheHighestAchieved: a bisection that holds while achieving less than
// an earlier step (within the 90% allowed) does not lower the result.
func TestSearchMaxRateHeldIsTheHighestAchieved(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		cfg := config{rate: 1000, refine: 1, duration: time.Hour, step: time.Second, log: io.Discard}
		res := &latencyResult{}
		searchMaxRate(context.Background(), cfg, res, func(target float64) (step, string) {
			time.Sleep(cfg.step)
			switch {
			case target < 1100: // the first step, achieved in full
				return step{Target: target, Achieved: 1000, Held: true}, ""
			case target < 1200: // sqrt(1000*1250) = 1118: held (as this server says), achieving 984/s
				return step{Target: target, Achieved: 0.88 * target, Held: true}, ""
			}
			return step{Target: target, Achieved: 900}, "p99 over"
		})
		if got := math.Round(res.MaxRateHeld); got != 1000 {
			t.Errorf("held %.0f/s; want the first step's 1000/s, more than the bisection's 984/s", got)
		}
	})
}
