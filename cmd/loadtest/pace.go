package main

import (
	"context"
	"math"
	"sync/atomic"
	"time"
)

// pacer hands out send permits at a rate that can change at any moment. Unlike a token bucket
// whose waiters hold reservations computed at the old rate, a new rate applies to the very next
// permit, which the maxrate steps need: the wait for it is scaled by old rate/new rate, so a
// pacer keeps its phase among others. Permits not taken are not saved up beyond 100 ms.
type pacer struct {
	rate    atomic.Uint64 // math.Float64bits of permits per second
	changed chan struct{} // signalled by set
	ch      chan struct{}
}

func newPacer(ctx context.Context, perSecond float64) *pacer {
	p := &pacer{ch: make(chan struct{}), changed: make(chan struct{}, 1)}
	p.rate.Store(math.Float64bits(perSecond))
	go p.run(ctx)
	return p
}

func (p *pacer) set(perSecond float64) {
	p.rate.Store(math.Float64bits(perSecond))
	select {
	case p.changed <- struct{}{}:
	default:
	}
}

func (p *pacer) run(ctx context.Context) {
	rate := func() float64 { return math.Float64frombits(p.rate.Load()) }
	r := rate()
	due := time.Now() // the first permit is immediate
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		if d := time.Until(due); d > 0 {
			t.Reset(d)
			select {
			case <-t.C:
			case <-p.changed:
				t.Stop() // Go 1.23+: no stale tick is delivered after Stop
				// The wait left stretches or shrinks with the rate, so that the pacer keeps its
				// phase. Counting the new interval from the last permit instead would make every
				// pacer whose last permit is older than the new interval fire at once, and stay in
				// step with the others from then on: each maxrate step would bunch more of the
				// tournaments' results together.
				nr := rate()
				due = time.Now().Add(time.Duration(float64(time.Until(due)) * r / nr))
				r = nr
				continue
			case <-ctx.Done():
				return
			}
		}
		select {
		case p.ch <- struct{}{}:
			// Permits not taken are not saved up: the next one is counted from at most 100 ms
			// before this one was taken. Counted from when it was due,
			// pacers made together (every group's, before their first setups are staggered)
			// would keep the phase of their making, and every group whose first setup ended
			// within one interval of it would send in step.
			if floor := time.Now().Add(-100 * time.Millisecond); due.Before(floor) {
				due = floor
			}
			due = due.Add(time.Duration(float64(time.Second) / r))
		case <-p.changed:
			r = rate() // the permit is due now: only the intervals after it change
		case <-ctx.Done():
			return
		}
	}
}

// wait blocks until a permit is handed out or ctx ends.
func (p *pacer) wait(ctx context.Context) error {
	select {
	case <-p.ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// --pace values.
const (
	paceTournament = "tournament"
	paceShared     = "shared"
)

// pacers split one total rate evenly over n pacers: one shared by every group (--pace shared) or
// one per group (--pace tournament), so that a group that lags cannot catch up on the others'
// permits and the tournaments do not fall into lockstep.
type pacers []*pacer

// newPacers starts n pacers at total/n permits per second each; they stop when ctx ends.
func newPacers(ctx context.Context, n int, total float64) pacers {
	ps := make(pacers, n)
	for i := range ps {
		ps[i] = newPacer(ctx, total/float64(n))
	}
	return ps
}

// set gives every pacer its share of the new total rate; each applies it to its next permit.
func (ps pacers) set(total float64) {
	for _, p := range ps {
		p.set(total / float64(len(ps)))
	}
}

// of is group i's pacer.
func (ps pacers) of(i int) *pacer { return ps[i%len(ps)] }

// defaultMaxStagger is --max-stagger's default: the longest stagger window, so that a slow rate
// does not keep a run from measuring.
const defaultMaxStagger = 30 * time.Second

// staggerPlan is how --pace tournament spreads the groups over their tournaments' cycle before
// measuring: group i sets up its first tournament i/groups into a window of one expected cycle of
// a group (its perCycle reports at the group's rate/groups results/s), and measuring starts when
// the window ends. A cycle longer than limit is played faster: the window is limit long and the
// pacers run at warm results/s in all until it ends, the rate at which one cycle fits the window,
// so that every group is as far into its tournament as the whole cycle would have taken it. Capping
// the window at the same rate instead bunched the first setups into its first limit of the cycle,
// and they came back in waves from then on: a latmax search from 100/s (625 groups of 30 reports,
// a 187 s cycle, 30 s window) had steps of many setups and steps of none. A tournament's cycle is
// its 2*(size-1) reports; a --relay slot has no tournaments to cycle through, and its window of one
// report interval spreads the slots' pacers evenly over their period.
func staggerPlan(groups, perCycle int, rate float64, limit time.Duration) (window time.Duration, warm float64) {
	s := float64(perCycle*groups) / rate
	if s <= limit.Seconds() {
		return time.Duration(s * float64(time.Second)), rate
	}
	return limit, float64(perCycle*groups) / limit.Seconds()
}
