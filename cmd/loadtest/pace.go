package main

import (
	"context"
	"math"
	"sync/atomic"
	"time"
)

// pacer hands out send permits at a rate that can change at any moment. Unlike a token bucket
// whose waiters hold reservations computed at the old rate, a new rate applies to the very next
// permit, which the maxrate steps need. Permits not taken are not saved up beyond 100 ms.
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
	last := time.Now().Add(-time.Hour) // the first permit is immediate
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		r := math.Float64frombits(p.rate.Load())
		next := last.Add(time.Duration(float64(time.Second) / r))
		if floor := time.Now().Add(-100 * time.Millisecond); next.Before(floor) {
			next = floor
		}
		if d := time.Until(next); d > 0 {
			t.Reset(d)
			select {
			case <-t.C:
			case <-p.changed:
				t.Stop() // Go 1.23+: no stale tick is delivered after Stop
				continue // recompute with the new rate
			case <-ctx.Done():
				return
			}
		}
		select {
		case p.ch <- struct{}{}:
			last = next
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
