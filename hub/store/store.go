// Package store is the contract between a hub node and the place tournaments are kept: the Store
// that sequences commands and delivers what they committed, and the due set of deadlines. It knows
// nothing of HTTP or sockets. Implementations: hub/memstore (one node) and hub/redisstore (a
// cluster of nodes); both pass the suite in hub/storetest.
package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime/debug"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/tourhub/tourhub/match"
)

// Entry is one committed command: the version it produced and the events it made. Versions of one
// tournament go 1, 2, 3... without gaps within an epoch.
type Entry struct {
	Version int64 `json:"version"`
	// Rev names the commit that made Version, and Prev the one it was applied to (empty for the
	// first version). A version number alone does not name a history: a store that comes back
	// older than it was (Redis restarted from an older dump, a replica promoted before it had every
	// commit) reuses the lost version numbers for new commits, under the same epoch. Revs are
	// random, so a copy that came from a lost history is told apart (see Position).
	Rev    string        `json:"rev"`
	Prev   string        `json:"prev,omitempty"`
	Events []match.Event `json:"events"`
	// Raw, when the store has it, is Events as the store holds them (a compact JSON array): the
	// fan-out sends it as it is instead of encoding Events again.
	Raw json.RawMessage `json:"-"`
	// Annex, when the store has it, is what the node that committed the entry made for its delivery
	// (the Handler's Annex, see Annexer), passed on to the handlers of every node: Events is then
	// nil (Raw holds them), since the handler needs nothing else. Nil for an entry that a store read
	// back from its log, one whose commit made none, and on a store of one node.
	Annex []byte `json:"-"`
	// Command is the command that made the entry (JSON, as match.Command), when the store has it:
	// replaying the commands of a whole log through the engine gives the state at any version
	// (Replay). Entries logged by a hub from before commands were kept have none.
	Command json.RawMessage `json:"-"`
}

// Position names a point of a tournament's history: the version, in its epoch, made by the
// commit Rev. Clients resume from a Position (docs/protocol.md#resuming), and a Position is only
// recovered by replaying the entries after it when the store's history still passes through it.
type Position struct {
	Epoch   string `json:"epoch"`
	Version int64  `json:"version"`
	Rev     string `json:"rev"`
}

// Continues reports whether p is a point of the history that head and entries describe: entries
// are what the store answered for the versions after p.Version (Store.Events with after =
// p.Version and complete), head the store's newest position. A Position without a Rev names no
// history and continues none.
func (p Position) Continues(head Position, entries []Entry) bool {
	switch {
	case p.Rev == "" || p.Epoch != head.Epoch || p.Version > head.Version:
		return false
	case p.Version == head.Version:
		return p.Rev == head.Rev
	}
	for _, e := range entries {
		if e.Version == p.Version+1 {
			return e.Prev == p.Rev
		}
	}
	return false
}

// EncodeCommand is c as the stores keep it in their logs, one per commit (history replays it,
// Replay): the bytes encoding/json writes, by match.Command.AppendJSON.
func EncodeCommand(c *match.Command) ([]byte, error) {
	b, err := c.AppendJSON(make([]byte, 0, 128)) // a result's is about 100 bytes
	if err != nil {
		return nil, fmt.Errorf("encode the command: %w", err)
	}
	return b, nil
}

// ApplyCommand is match.Apply for the stores: a panic in the engine (a bug that some input
// reaches) becomes an error, which the caller answers as internal and logs in full, instead of
// bringing the node and every tournament on it down. t may be half changed after a panic: a store
// that applies commands in place must then forget it.
func ApplyCommand(t *match.Tournament, c match.Command) (events []match.Event, err error) {
	defer recoverEngine(c.Type, &err)
	return match.Apply(t, c)
}

// ApplyChanges is match.ApplyChanges with ApplyCommand's recovery from an engine panic (the
// engine undoes the command first).
func ApplyChanges(t *match.Tournament, c match.Command) (events []match.Event, ch match.Changes, err error) {
	defer recoverEngine(c.Type, &err)
	return match.ApplyChanges(t, c)
}

// recoverEngine turns an engine panic into *err; the other results keep their zero values.
func recoverEngine(typ match.CommandType, err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("apply %s: engine panic: %v\n%s", typ, r, debug.Stack())
	}
}

// NewRev returns a new commit id for Entry.Rev: 64 random bits in base 36, at most 13 characters.
func NewRev() string { return strconv.FormatUint(rand.Uint64(), 36) }

// Applied is the outcome of Store.Apply.
type Applied struct {
	Epoch   string
	Version int64
	// Rev is the commit's (see Entry); empty for a duplicate.
	Rev    string
	Events []match.Event
	// State is the tournament as it is now, the caller's own copy, for a create and a duplicate
	// only: nil after a command committed, since a store applies commands to its own state in
	// place (O(changed), without a copy of the tournament per command). Events carry every
	// match the command changed (Match finds one); Load reads the whole state.
	State *match.Tournament
	// Due is when the tournament's next timed command becomes due after this command
	// (match.NextDue), zero when none is scheduled; unset for a duplicate.
	Due time.Time
	// Duplicate is set when the submission id was seen before: Version and Events are then those
	// of the first submission and nothing changed.
	Duplicate bool
}

// Match is match id as the command left it: from State when there is one, else from the events
// (the last that carries the whole match, with the slots of a match_updated after it); nil when
// neither has it.
func (a Applied) Match(id match.MatchID) *match.Match {
	if a.State != nil {
		if id >= 1 && int(id) <= len(a.State.Matches) {
			m := a.State.Matches[id-1]
			return &m
		}
		return nil
	}
	var m *match.Match
	for i := range a.Events {
		e := &a.Events[i]
		if e.Match != nil && e.Match.ID == id {
			c := *e.Match
			m = &c
		}
		for j := range e.Matches {
			if e.Matches[j].ID == id {
				c := e.Matches[j]
				m = &c
			}
		}
		if e.Slots != nil && e.MatchID == id && m != nil {
			m.Players, m.Filled = e.Slots.Players, e.Slots.Filled
		}
	}
	return m
}

// Summary is one line of the tournament list.
type Summary struct {
	ID        string       `json:"id"`
	Name      string       `json:"name"`
	Format    match.Format `json:"format"`
	Status    match.Status `json:"status"`
	Players   int          `json:"players"`
	Version   int64        `json:"version"`
	CreatedAt time.Time    `json:"created_at"`
}

// Handler receives, on any node, every entry committed to a tournament that node watches
// (Store.Watch), in version order, once per entry. A gap the store cannot fill is delivered as
// lost=true (the handler must reload and send snapshots); the entry is then the zero Entry.
// Deliver must not block: the store calls it on its delivery goroutines.
type Handler interface {
	Deliver(id, epoch string, e Entry, lost bool)
}

// Annexer is a Handler that makes, once, on the node that commits an entry, what delivering it
// needs beyond its events: a store of several nodes publishes it with the commit, and passes it
// to every node's handler as Entry.Annex instead of the decoded events. at is the entry's
// position, t the state it made (read only, and only during the call). Nil: the entry goes without
// one (its handlers get its events). A store calls it before the commit, which may then lose.
type Annexer interface {
	Annex(id string, at Position, t *match.Tournament, events []match.Event) []byte
}

// HandlerFunc is a function as a Handler.
type HandlerFunc func(id, epoch string, e Entry, lost bool)

// Deliver calls f.
func (f HandlerFunc) Deliver(id, epoch string, e Entry, lost bool) { f(id, epoch, e, lost) }

// Delivery holds a store's Handler, registered after construction (Store.Register): the node
// builds its store, then what delivers to sockets (which needs the store), then registers it. The
// zero value delivers nowhere. Safe for concurrent use.
type Delivery struct {
	h atomic.Pointer[Handler]
}

// Register makes h the handler.
func (d *Delivery) Register(h Handler) { d.h.Store(&h) }

// Annex is the registered handler's annex of an entry (Annexer), nil if it makes none.
func (d *Delivery) Annex(id string, at Position, t *match.Tournament, events []match.Event) []byte {
	if h := d.h.Load(); h != nil {
		if a, ok := (*h).(Annexer); ok {
			return a.Annex(id, at, t, events)
		}
	}
	return nil
}

// Deliver passes an entry to the registered handler, if any.
func (d *Delivery) Deliver(id, epoch string, e Entry, lost bool) {
	if h := d.h.Load(); h != nil {
		(*h).Deliver(id, epoch, e, lost)
	}
}

// Store keeps tournaments and sequences the commands applied to them. Implementations: memstore
// (one node) and redisstore (a cluster of nodes). Both pass the suite in storetest.
type Store interface {
	// Create stores a new tournament from a create command (it becomes version 1).
	Create(ctx context.Context, id string, cmd match.Command, createdAt time.Time) (Applied, error)
	// Load returns a copy of the current state and its position (t.Version is head.Version).
	Load(ctx context.Context, id string) (t *match.Tournament, head Position, err error)
	// List returns a page of the summaries f selects, newest first (see list.go), from f.After on.
	List(ctx context.Context, f ListFilter) (Page, error)
	// Apply applies cmd to the newest state and commits it atomically: exactly one command per
	// version, by compare-and-set on the version. A non-empty submissionID makes it idempotent.
	// A rejected command returns the *match.Error and changes nothing.
	Apply(ctx context.Context, id string, cmd match.Command, submissionID string) (Applied, error)
	// Events returns the entries after version `after`, up to head, the newest position. complete
	// is false when the store no longer holds all of them (or never had `after`): the caller must
	// use a snapshot. Whether `after` is a point of this history (and not of a lost one that
	// reached the same version) the caller checks with Position.Continues.
	Events(ctx context.Context, id string, after int64) (head Position, entries []Entry, complete bool, err error)
	// Register makes h the receiver of the entries of watched tournaments; call it before the
	// first Watch (nothing is delivered until then).
	Register(h Handler)
	// Watch starts delivering the tournament's new entries to the registered Handler; Unwatch
	// stops. Calls are counted: n Watch calls need n Unwatch calls.
	Watch(id string)
	Unwatch(id string)
	// Ping reports whether the store can serve (readiness).
	Ping(ctx context.Context) error
	// Close stops background work; no Deliver call happens after it returns.
	Close() error
}

// Header is a Store that tells a tournament's newest position without reading its state (one
// small read): a reader that keeps what it made of a version, such as an encoded answer, asks it
// first. Both stores are Headers.
type Header interface {
	Head(ctx context.Context, id string) (Position, error)
}

// Confirmer is a Store whose acknowledged writes may wait for replicas (the Redis store with
// --redis-wait-replicas): Confirm returns once the tournament's stored state is on enough of them
// (ErrUnavailable otherwise). A repeated create answers the first one's tournament only after it.
type Confirmer interface {
	Confirm(ctx context.Context, id string) error
}

// Store errors that are not domain errors.
var (
	ErrNotFound    = errors.New("tournament not found")
	ErrUnavailable = errors.New("store unavailable")
	ErrConflict    = errors.New("too many concurrent commands; retry")
)

// DueSet keeps, per tournament, the next time something is due. The Redis one is a sorted set
// shared by all nodes; the memory one serves a single node.
type DueSet interface {
	// Lower records at as the tournament's next due time unless an earlier one is recorded.
	Lower(ctx context.Context, id string, at time.Time) error
	// Set records at exactly (zero removes the tournament).
	Set(ctx context.Context, id string, at time.Time) error
	// Due lists up to limit tournaments due at or before now.
	Due(ctx context.Context, now time.Time, limit int) ([]string, error)
}
