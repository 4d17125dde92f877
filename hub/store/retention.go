package store

import (
	"fmt"
	"time"

	"github.com/tourhub/tourhub/match"
)

// MinRetention is the shortest retention a tournament may ask for (or the node's own value, if
// the node's is shorter).
const MinRetention = time.Minute

// Retention is how long a node keeps tournaments: its --retention (Finished) and
// --idle-retention (Idle), which cmd/hub gives both stores. They are the defaults of each
// tournament's own retention (match.Retention) and its upper bounds.
//
// A tournament's retention is checked against them by the store, in Create, through Settle. The
// engine cannot do it: it does not know the node's flags (match/ takes nothing it is not handed).
// The store is what keeps and expires tournaments and is given these values already, so the
// flags are not wired a second time into the command service, where the two copies could
// disagree; and no path that creates a tournament (the API, a test, a tool on the store) can store
// a retention the store would not honour. Both stores call Settle, so the check is written once,
// and the conformance suite (hub/storetest) holds both to it.
type Retention struct {
	Finished time.Duration
	Idle     time.Duration
}

// Settle returns the create command cmd with its retention settled: each value not given is the
// node's (log: the longer of finished and idle, so that the log lives as long as the tournament),
// and each given one is checked against its bounds, from MinRetention to the node's value. A
// value out of bounds is a *match.Error (invalid) that names the field, the value, the bound and
// the flag that sets it. cmd's settings are copied, never changed; a command without settings is
// returned as it is (the engine refuses it).
func (r Retention) Settle(cmd match.Command) (match.Command, error) {
	if cmd.Settings == nil {
		return cmd, nil
	}
	got := cmd.Settings.Retention
	for _, f := range []struct {
		v     match.Duration
		name  string
		bound time.Duration
		what  string
	}{
		{got.Finished, "retention.finished", r.Finished, "the longest this node keeps a finished or cancelled tournament, its --retention"},
		{got.Idle, "retention.idle", r.Idle, "the longest this node keeps an unfinished tournament after its last command, its --idle-retention"},
	} {
		if f.v == 0 {
			continue // the node's, below
		}
		if err := within(f.name, time.Duration(f.v), f.bound, f.what); err != nil {
			return cmd, err
		}
	}
	full := r.filled(got)
	if got.Log != 0 {
		if err := within("retention.log", time.Duration(got.Log), time.Duration(max(full.Finished, full.Idle)),
			"the longer of this tournament's retention.finished and retention.idle: a log is never kept longer than its tournament"); err != nil {
			return cmd, err
		}
	}
	s := *cmd.Settings
	s.Retention = full
	cmd.Settings = &s
	return cmd, nil
}

// within checks one retention value against [min(MinRetention, bound), bound].
func within(name string, v, bound time.Duration, what string) error {
	if lo := min(MinRetention, bound); v < lo || v > bound {
		return &match.Error{Code: match.CodeInvalid, Message: fmt.Sprintf("%s must be from %s to %s (%s), got %s",
			name, lo, bound, what, v)}
	}
	return nil
}

// Of is the retention t is kept by: its own, with each value it lacks (a tournament stored before
// retention was set per tournament) the node's, as Settle would have filled it.
func (r Retention) Of(t *match.Tournament) match.Retention { return r.filled(t.Settings.Retention) }

// filled is got with each value it lacks the node's (log: the longer of finished and idle, so
// that the log lives as long as the tournament).
func (r Retention) filled(got match.Retention) match.Retention {
	if got.Finished == 0 {
		got.Finished = match.Duration(r.Finished)
	}
	if got.Idle == 0 {
		got.Idle = match.Duration(r.Idle)
	}
	if got.Log == 0 {
		got.Log = max(got.Finished, got.Idle)
	}
	return got
}

// DeletedKept is how long a shared store keeps a deleted tournament's state and log: a tombstone
// that every read answers not found (and a create may overwrite), so that a node that missed the
// published delete entry (its position check came first, or its pub/sub was down) still reads it
// from the log and delivers tournament_deleted to its sockets, instead of finding nothing.
const DeletedKept = time.Minute

// TTL says how long t's state and its event log are kept after a command that left t as it is:
// the state by its status (finished or cancelled: Finished, otherwise Idle), the log the shorter
// of Log and the state's, since a log outliving its state would be a history of nothing. A
// deleted tournament is kept DeletedKept, as a tombstone no read sees.
func (r Retention) TTL(t *match.Tournament) (state, log time.Duration) {
	if t.Status == match.StatusDeleted {
		return DeletedKept, DeletedKept
	}
	got := r.Of(t)
	state = time.Duration(got.Idle)
	if t.Status == match.StatusFinished || t.Status == match.StatusCancelled {
		state = time.Duration(got.Finished)
	}
	return state, min(state, time.Duration(got.Log))
}
