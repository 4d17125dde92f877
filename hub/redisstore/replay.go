package redisstore

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/tourhub/tourhub/hub/store"
	"github.com/tourhub/tourhub/match"
)

// Replaying another node's commit. A watching node that has the state a published commit was
// applied to (cached, at the commit's prev rev) applies the commit's command to it through the
// engine, which is deterministic, instead of decoding the commit's events and, later, its fields:
// the engine is several times cheaper than encoding/json's decoder. The outcome is kept only if
// it encodes to exactly the bytes the committer published (the fields it wrote and the events it
// made), so that a replay can never leave a node with a state or events other than the stored
// ones: a node of another version (an upgrade under way), an engine that is not deterministic
// after all, or a cached state that is not what its rev says all end in the decoding path, as
// before, and are counted (tourhub_redis_replay_mismatches_total).

// replay applies m's command to the cached state of id when that state is the one m was applied
// to and the tournament's turn is free, and returns the events if the outcome is the committed
// one; the cached state is then at m's version. ok is false when it did not replay: the caller
// decodes the published events and the cache follows the fields (stateCache.advance).
func (s *Store) replay(id string, m published) (events []match.Event, ok bool) {
	if len(m.Command) == 0 || s.noReplay {
		return nil, false
	}
	c := s.cache.get(id)
	if c == nil || len(c.later) > 0 || c.epoch != m.Epoch || c.v != m.Version-1 || c.rev != m.Prev {
		return nil, false
	}
	release, free := s.tryLockLocal(id)
	if !free { // a command of this node runs on the state: leave it the fields
		s.stats.replayBusy.Add(1)
		return nil, false
	}
	defer release()
	if s.cache.get(id) != c { // replaced before the turn was taken
		return nil, false
	}
	events, err := replayCommit(c.t, m)
	if err != nil {
		if errors.Is(err, errHalfChanged) {
			s.cache.replace(id, c, nil)
		}
		s.replayMismatch(id, m, err)
		return nil, false
	}
	s.cache.replace(id, c, newCached(c.epoch, m.Rev, c.t))
	s.stats.replayed.Add(1)
	return events, true
}

// errHalfChanged marks a replay that may have left the state half changed (an engine panic).
var errHalfChanged = errors.New("the state may be half changed")

// replayCommit applies m's command to t, the state m was applied to, in place, and returns the
// events when the outcome encodes to m's fields and events; otherwise it undoes the command and
// says why (errHalfChanged when it could not: t must then be forgotten).
func replayCommit(t *match.Tournament, m published) ([]match.Event, error) {
	var cmd match.Command
	if err := json.Unmarshal(m.Command, &cmd); err != nil {
		return nil, fmt.Errorf("decode the command: %w", err)
	}
	events, ch, err := store.ApplyChanges(t, cmd)
	if err != nil {
		var me *match.Error
		if !errors.As(err, &me) {
			return nil, fmt.Errorf("%w: %w", errHalfChanged, err)
		}
		return nil, fmt.Errorf("the engine refused the command: %w", err)
	}
	if why := sameCommit(t, ch, events, m); why != "" {
		ch.Undo(t)
		return nil, errors.New(why)
	}
	return events, nil
}

// sameCommit says how the outcome of a replayed command (t after it, its changes and events)
// differs from the commit m, "" when it encodes to the same bytes.
func sameCommit(t *match.Tournament, ch match.Changes, events []match.Event, m published) string {
	if t.Version != m.Version {
		return "another version"
	}
	fields, err := changedFields(t, ch)
	if err != nil || fields.object() != string(m.Fields) {
		return "other fields"
	}
	ev, err := marshalEvents(events)
	if err != nil || !bytes.Equal(ev, m.Events) {
		return "other events"
	}
	return ""
}

// replayMismatch counts and logs a replay that did not give the commit m (a node of another
// version, or a bug): the node decodes the commit instead. The first is told; the metric counts
// them all.
func (s *Store) replayMismatch(id string, m published, err error) {
	if s.stats.replayMismatches.Add(1) > 1 {
		s.log.Debug("replayed commit differs from the published one", "tournament", id, "version", m.Version, "err", err)
		return
	}
	s.log.Warn("replayed commit differs from the published one; decoding it instead (nodes of different versions?)",
		"tournament", id, "version", m.Version, "err", err)
}
