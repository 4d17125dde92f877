package main

import (
	"context"
	"io"
	"math"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// TestPacerNewRateAppliesAtOnce: a pacer slowed to one permit a minute hands out permits quickly
// once its rate is raised, without the backlog a token bucket's waiters would keep.
func TestPacerNewRateAppliesAtOnce(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	p := newPacer(ctx, 1.0/60)
	if err := p.wait(ctx); err != nil { // the first permit is immediate
		t.Fatal(err)
	}
	p.set(10000)
	for i := 0; i < 50; i++ {
		if err := p.wait(ctx); err != nil {
			t.Fatalf("permit %d after raising the rate: %v", i, err)
		}
	}
}

// TestStaggerPlan: a cycle that fits --max-stagger is the window, at the target rate; a longer
// one is played in --max-stagger at the rate at which it fits, never slower than the target.
func TestStaggerPlan(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name             string
		groups, perCycle int
		rate             float64
		limit            time.Duration
		want             time.Duration
		warm             float64
	}{
		{"625 of 16 at 1000/s", 625, 30, 1000, defaultMaxStagger, 18750 * time.Millisecond, 1000},
		{"4 of 4 at 40/s", 4, 6, 40, defaultMaxStagger, 600 * time.Millisecond, 40},
		{"one group", 1, 30, 100, defaultMaxStagger, 300 * time.Millisecond, 100},
		{"under the cap", 625, 30, 750, defaultMaxStagger, 25 * time.Second, 750},
		{"at the cap", 625, 30, 625, defaultMaxStagger, defaultMaxStagger, 625},
		{"latmax's first step: a 187.5 s cycle in 30 s", 625, 30, 100, defaultMaxStagger, defaultMaxStagger, 625},
		{"capped at a tiny rate", 625, 30, 1e-12, defaultMaxStagger, defaultMaxStagger, 625},
		{"a shorter --max-stagger", 4, 6, 2, 2 * time.Second, 2 * time.Second, 12},
		{"relay: one report interval", 625, 1, 250, defaultMaxStagger, 2500 * time.Millisecond, 250},
		{"relay: capped", 625, 1, 10, defaultMaxStagger, defaultMaxStagger, 625.0 / 30},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, warm := staggerPlan(tc.groups, tc.perCycle, tc.rate, tc.limit)
			if got != tc.want || math.Abs(warm-tc.warm) > 1e-9*tc.warm {
				t.Errorf("staggerPlan(%d, %d, %v, %v) = %v, %v/s; want %v, %v/s", tc.groups, tc.perCycle, tc.rate, tc.limit, got, warm, tc.want, tc.warm)
			}
		})
	}
}

// permitInterval is p's steady interval between permits: it takes the permits p has banked, then
// times 50 more.
func permitInterval(t *testing.T, ctx context.Context, p *pacer) time.Duration {
	t.Helper()
	for i := 0; i < 20; i++ {
		if err := p.wait(ctx); err != nil {
			t.Fatal(err)
		}
	}
	t0 := time.Now()
	for i := 0; i < 50; i++ {
		if err := p.wait(ctx); err != nil {
			t.Fatal(err)
		}
	}
	return time.Since(t0) / 50
}

// TestPacersSetReachesEveryPacer: a new total rate reaches every group's pacer at its next
// permit, split evenly.
func TestPacersSetReachesEveryPacer(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		ps := newPacers(ctx, 4, 4.0/60) // one permit a minute each
		for i, p := range ps {
			if err := p.wait(ctx); err != nil { // the first permit is immediate
				t.Fatalf("pacer %d: %v", i, err)
			}
		}
		t0 := time.Now()
		ps.set(400)
		for i, p := range ps {
			if err := p.wait(ctx); err != nil {
				t.Fatalf("pacer %d: %v", i, err)
			}
			if d := time.Since(t0); d > 10*time.Millisecond {
				t.Errorf("pacer %d: next permit %v after the rate change; want at most 10ms", i, d)
			}
		}
		for i, p := range ps {
			if got, want := permitInterval(t, ctx, p), 10*time.Millisecond; got != want {
				t.Errorf("pacer %d: permit every %v; want %v (400/s over 4 pacers)", i, got, want)
			}
		}
	})
}

// TestMeasureMaxRateSetsEveryGroupPacer: the maxrate search paces every group at its share of
// the step's rate.
func TestMeasureMaxRateSetsEveryGroupPacer(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		e := &env{
			cfg: config{rate: 200, step: time.Second, duration: 2 * time.Second, p99Limit: 50, log: io.Discard},
			st:  newStats(1), rec: newRecorder(time.Now()),
		}
		ps := newPacers(ctx, 4, 4.0/60)
		res := &latencyResult{}
		measureMaxRate(ctx, e, ps, res) // no traffic: the step fails twice at 200/s
		if len(res.Steps) != 1 || res.Steps[0].Target != 200 {
			t.Fatalf("steps %+v; want one at 200/s", res.Steps)
		}
		for i, p := range ps {
			if got, want := permitInterval(t, ctx, p), 20*time.Millisecond; got != want {
				t.Errorf("pacer %d: permit every %v; want %v (200/s over 4 pacers)", i, got, want)
			}
		}
	})
}

// TestPacersKeepPhaseAcrossRateChange: pacers spread over one interval stay spread when the rate
// is raised. Counting the new interval from each pacer's last permit would make every pacer whose
// last permit is older than the new interval fire at the moment of the change, in step.
func TestPacersKeepPhaseAcrossRateChange(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		const n = 10
		var mu sync.Mutex
		var permits []time.Time
		ps := make(pacers, n)
		for i := range ps {
			// Pacer i starts (and takes its first permit) at i/10 s: one a second each, spread.
			ps[i] = newPacer(ctx, 1)
			go func() {
				for ps[i].wait(ctx) == nil {
					mu.Lock()
					permits = append(permits, time.Now())
					mu.Unlock()
				}
			}()
			time.Sleep(time.Second / n)
		}
		time.Sleep(50 * time.Millisecond) // 1.05 s: pacer 0 has had its second permit
		change := time.Now()
		ps.set(2 * n) // two a second each
		time.Sleep(2 * time.Second)
		synctest.Wait()
		mu.Lock()
		defer mu.Unlock()
		at := 0
		for _, p := range permits {
			if !p.Before(change) && p.Sub(change) <= 10*time.Millisecond {
				at++
			}
		}
		if at > 1 {
			t.Errorf("%d pacers gave a permit within 10 ms of the rate change; want at most 1 (they were spread over a second)", at)
		}
		// And the new rate holds: 2 s at two a second each.
		after := 0
		for _, p := range permits {
			if p.After(change) {
				after++
			}
		}
		if after < 38 || after > 41 {
			t.Errorf("%d permits in the 2 s after the change; want about 40", after)
		}
	})
}

// TestPacerCountsFromTakenPermit: pacers made together keep no common phase when their first
// permits are taken at different times (the groups' staggered first setups): the next permit of
// each comes one interval after its first was taken.
func TestPacerCountsFromTakenPermit(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		ps := newPacers(ctx, 2, 2) // one a second each, made at the same moment
		t0 := time.Now()
		for i, p := range ps {
			time.Sleep(time.Duration(i+1) * 300 * time.Millisecond) // taken at 0.3 s and 0.9 s
			if err := p.wait(ctx); err != nil {
				t.Fatal(err)
			}
			first := time.Now()
			if err := p.wait(ctx); err != nil {
				t.Fatal(err)
			}
			if d := time.Since(first); d < 900*time.Millisecond {
				t.Errorf("pacer %d: second permit %v after its first (taken %v after the pacer was made); want about 1 s",
					i, d, first.Sub(t0))
			}
		}
	})
}
