package command

import (
	"context"
	"errors"
	"runtime/debug"
	"time"

	"github.com/tourhub/tourhub/hub/store"
	"github.com/tourhub/tourhub/match"
)

// Deadlines (check-in opening, scheduled starts, match warnings and timeouts) fire exactly once in
// a cluster without a leader: every node sweeps one shared DueSet, and the firing itself is an
// ordinary command, sequenced by the store's compare-and-set. The engine accepts a timed command
// only while it is due, so when two nodes fire the same deadline the second one is rejected
// (not_due) and changes nothing; when a node dies its deadlines stay in the set for the others.

// Sweep fires the due deadlines every `every` (1 s if zero or less) until ctx is done. It returns
// nil on cancellation.
func (s *Service) Sweep(ctx context.Context, every time.Duration) error {
	if every <= 0 {
		every = time.Second
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
			s.SweepOnce(ctx)
		}
	}
}

// SweepOnce fires everything due now, once.
func (s *Service) SweepOnce(ctx context.Context) {
	ids, err := s.due.Due(ctx, s.now(), 100)
	if err != nil {
		s.log.Warn("read due deadlines", "err", err)
		return
	}
	for _, id := range ids {
		s.fireSafely(ctx, id)
	}
}

// fireSafely fires id's deadlines; a panic (a bug that some tournament's state reaches) is logged
// and leaves that tournament for the next sweep, instead of ending the node.
func (s *Service) fireSafely(ctx context.Context, id string) {
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("deadline sweep panic; tournament skipped", "tournament", id, "panic", r, "stack", string(debug.Stack()))
		}
	}()
	s.fire(ctx, id)
}

func (s *Service) fire(ctx context.Context, id string) {
	t, _, err := s.store.Load(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		_ = s.due.Set(ctx, id, time.Time{})
		return
	}
	if err != nil {
		s.log.Warn("load for deadlines", "tournament", id, "err", err)
		return
	}
	now := s.now()
	for range 1000 { // bounded: each accepted command settles one deadline
		cmds := match.DueCommands(t, now)
		if len(cmds) == 0 {
			break
		}
		_, applyErr := s.apply(ctx, id, cmds[0], "")
		var me *match.Error
		switch err := applyErr; {
		case err == nil:
			if t, _, err = s.store.Load(ctx, id); err != nil { // a command's Applied has no state
				return
			}
			continue
		case errors.As(err, &me):
			// Another node fired it first (not_due), or the state moved on: look again.
		default:
			s.log.Warn("fire deadline", "tournament", id, "command", cmds[0].Type, "err", err)
			return // stays in the set: retried on the next sweep, here or on another node
		}
		v := t.Version
		if t, _, err = s.store.Load(ctx, id); err != nil {
			return
		}
		if t.Version == v { // nothing moved, yet the engine refused: do not spin
			s.log.Error("deadline refused by the engine", "tournament", id, "command", cmds[0].Type, "err", applyErr)
			break
		}
	}
	next, _ := match.NextDue(t)
	if err := s.due.Set(ctx, id, next); err != nil {
		s.log.Warn("schedule deadline", "tournament", id, "err", err)
		return
	}
	// A commit may have landed between our load and the Set above and recorded an earlier time
	// that Set overwrote; re-track from the newest state to restore it.
	if t2, _, err := s.store.Load(ctx, id); err == nil && t2.Version != t.Version {
		due, _ := match.NextDue(t2)
		s.track(ctx, id, due)
	}
}
