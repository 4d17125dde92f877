// Package memstore is the single-node store.Store: every tournament in memory, commands sequenced
// by a mutex per tournament. It is the embedded default when no Redis is configured.
//
// Delivery. Apply commits under the tournament's mutex and, still under it, appends the entry to
// one queue per store (guarded by its own small mutex that Deliver never needs). One goroutine per
// store takes entries off the queue and calls Deliver with no lock held, so Deliver may call back
// into the store (Load, Events, Watch) without deadlock, and entries of one tournament reach
// Deliver in version order because they enter the queue in commit order. The queue is unbounded:
// Deliver must not block (the WebSocket fan-out never does); a slow Deliver costs memory, not
// correctness.
package memstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/tourhub/tourhub/hub/store"
	"github.com/tourhub/tourhub/match"
)

var _ store.Store = (*Store)(nil)

// Option configures a Store.
type Option func(*Store)

// WithMaxEvents bounds the event log kept per tournament. Defaults to 10,000 entries; older ones
// are dropped and Events answers complete=false for them.
func WithMaxEvents(n int) Option { return func(s *Store) { s.maxEvents = max(n, 1) } }

// WithRetention sets how long a finished or cancelled tournament is kept after its last command,
// as the Redis store's Retention: the default of each tournament's retention.finished and its
// upper bound (see store.Retention). Defaults to 2 h.
func WithRetention(d time.Duration) Option { return func(s *Store) { s.ret.Finished = d } }

// WithIdleRetention sets how long a tournament that is not finished or cancelled is kept after
// its last command (create included; a refused command or a repeated submission does not count),
// as the Redis store's IdleRetention: the default of each tournament's retention.idle and its
// upper bound. Defaults to 24 h.
func WithIdleRetention(d time.Duration) Option { return func(s *Store) { s.ret.Idle = d } }

// WithClock injects the clock used for retention. Defaults to time.Now.
func WithClock(now func() time.Time) Option { return func(s *Store) { s.now = now } }

// Store is the memory store.
type Store struct {
	out       store.Delivery   // the registered Handler
	maxEvents int              // static after construction
	ret       store.Retention  // static after construction
	now       func() time.Time // static after construction

	mu        sync.Mutex       // guards ts and lastSweep; never held while taking a tour's mu
	ts        map[string]*tour // guarded by mu
	lastSweep time.Time        // guarded by mu

	wmu     sync.Mutex     // guards watched; may be taken under a tour's mu
	watched map[string]int // guarded by wmu

	qmu    sync.Mutex // guards queue and closed; may be taken under a tour's mu
	queue  []delivery // guarded by qmu
	closed bool       // guarded by qmu
	wake   chan struct{}
	done   chan struct{}
	wg     sync.WaitGroup
}

type delivery struct {
	id, epoch string
	e         store.Entry
	lost      bool // the tournament expired: nothing more will come
}

// tour is one tournament. Its fields are guarded by mu.
type tour struct {
	mu        sync.Mutex
	t         *match.Tournament
	epoch     string
	rev       string // of the commit that made t.Version
	createdAt time.Time
	lastCmd   time.Time // when the last command was committed (store clock)
	// log holds the newest entries, versions contiguous, ending at t.Version; empty once the
	// tournament's retention.log has passed since lastCmd (see dropLog).
	log  []store.Entry
	subs map[string]store.Applied // first outcome per submission id (State not kept)
	gone bool                     // expired and removed from the store
}

// New returns a Store. Entries of watched tournaments go to the Handler registered with Register.
// Close stops it.
func New(opts ...Option) *Store {
	s := &Store{
		maxEvents: 10000,
		ret:       store.Retention{Finished: 2 * time.Hour, Idle: 24 * time.Hour},
		now:       time.Now,
		ts:        make(map[string]*tour),
		watched:   make(map[string]int),
		wake:      make(chan struct{}, 1),
		done:      make(chan struct{}),
	}
	for _, o := range opts {
		o(s)
	}
	s.wg.Add(1)
	go s.deliverLoop()
	return s
}

// deliverLoop calls Deliver for queued entries, in queue order, until Close. Owned by the Store;
// Close waits for it.
func (s *Store) deliverLoop() {
	defer s.wg.Done()
	for {
		select {
		case <-s.done:
			return
		case <-s.wake:
		}
		for {
			s.qmu.Lock()
			if s.closed || len(s.queue) == 0 {
				s.queue = nil
				s.qmu.Unlock()
				break
			}
			batch := s.queue
			s.queue = nil
			s.qmu.Unlock()
			for _, d := range batch {
				select {
				case <-s.done:
					return
				default:
				}
				s.out.Deliver(d.id, d.epoch, d.e, d.lost)
			}
		}
	}
}

// enqueue queues e for delivery if id is watched. Called with the tour's mu held, which keeps
// each tournament's entries in version order.
func (s *Store) enqueue(id, epoch string, e store.Entry) {
	s.queueDelivery(delivery{id: id, epoch: epoch, e: e})
}

// queueDelivery queues d if its tournament is watched.
func (s *Store) queueDelivery(d delivery) {
	id := d.id
	s.wmu.Lock()
	w := s.watched[id] > 0
	s.wmu.Unlock()
	if !w {
		return
	}
	s.qmu.Lock()
	if !s.closed {
		s.queue = append(s.queue, d)
	}
	s.qmu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func newEpoch() string {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return "e_" + hex.EncodeToString(b[:])
}

// Create implements store.Store.
func (s *Store) Create(ctx context.Context, id string, cmd match.Command, createdAt time.Time) (store.Applied, error) {
	if err := ctx.Err(); err != nil {
		return store.Applied{}, err
	}
	if cmd.Type != match.CmdCreate {
		return store.Applied{}, &match.Error{Code: match.CodeInvalid, Message: "create needs a create command"}
	}
	cmd.Tournament = id
	cmd, err := s.ret.Settle(cmd)
	if err != nil {
		return store.Applied{}, err
	}
	t := &match.Tournament{}
	events, err := store.ApplyCommand(t, cmd)
	if err != nil {
		return store.Applied{}, err
	}
	tr := &tour{t: t, epoch: newEpoch(), rev: store.NewRev(), createdAt: createdAt, lastCmd: s.now(), subs: make(map[string]store.Applied)}
	c, err := store.EncodeCommand(&cmd)
	if err != nil {
		return store.Applied{}, fmt.Errorf("memstore: %w", err)
	}
	e := store.Entry{Version: t.Version, Rev: tr.rev, Events: events, Command: c}
	tr.log = append(tr.log, e)

	s.sweep()
	s.mu.Lock()
	if _, ok := s.ts[id]; ok {
		s.mu.Unlock()
		return store.Applied{}, &match.Error{Code: match.CodeAlreadyExists, Message: fmt.Sprintf("tournament %q already exists", id)}
	}
	tr.mu.Lock() // nobody else can see tr yet; taken so that enqueue runs under it as elsewhere
	s.ts[id] = tr
	s.mu.Unlock()
	s.enqueue(id, tr.epoch, e)
	due, _ := match.NextDue(t)
	a := store.Applied{Epoch: tr.epoch, Version: t.Version, Rev: tr.rev, Events: events, State: t.Clone(), Due: due}
	tr.mu.Unlock()
	return a, nil
}

// get returns the live tour id, or ErrNotFound. It takes s.mu only.
func (s *Store) get(id string) (*tour, error) {
	s.mu.Lock()
	tr, ok := s.ts[id]
	s.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("tournament %q: %w", id, store.ErrNotFound)
	}
	return tr, nil
}

// lock returns id's tour locked, or ErrNotFound if it does not exist or has expired.
func (s *Store) lock(id string) (*tour, error) {
	tr, err := s.get(id)
	if err != nil {
		return nil, err
	}
	tr.mu.Lock()
	now := s.now()
	if tr.gone || s.expired(tr, now) {
		tr.mu.Unlock()
		return nil, fmt.Errorf("tournament %q: %w", id, store.ErrNotFound)
	}
	s.dropLog(tr, now)
	return tr, nil
}

// expired says whether tr is past its retention, counted from its last command as the Redis
// store's TTLs are: finished or cancelled ones after their retention.finished, the others after
// their retention.idle (a tournament nobody plays would otherwise be kept for the life of the
// process). tr.mu is held.
func (s *Store) expired(tr *tour, now time.Time) bool {
	state, _ := s.ret.TTL(tr.t)
	return now.Sub(tr.lastCmd) >= state
}

// dropLog lets tr's event log go once its retention.log has passed since the last command, as the
// Redis store's log key expires: Events then answers incomplete for every older version, and a
// client that resumes gets a snapshot. The next command starts a new log. tr.mu is held.
func (s *Store) dropLog(tr *tour, now time.Time) {
	if _, log := s.ret.TTL(tr.t); len(tr.log) > 0 && now.Sub(tr.lastCmd) >= log {
		clear(tr.log)
		tr.log = nil
	}
}

// sweep removes expired tournaments and drops expired logs, at most once a minute of the store's
// clock.
func (s *Store) sweep() {
	now := s.now()
	s.mu.Lock()
	if now.Sub(s.lastSweep) < time.Minute {
		s.mu.Unlock()
		return
	}
	s.lastSweep = now
	all := make([]*tour, 0, len(s.ts))
	for _, tr := range s.ts {
		all = append(all, tr)
	}
	s.mu.Unlock()
	for _, tr := range all {
		tr.mu.Lock()
		if !tr.gone && s.expired(tr, now) {
			tr.gone = true
			id := tr.t.ID
			s.mu.Lock()
			if s.ts[id] == tr {
				delete(s.ts, id)
			}
			s.mu.Unlock()
			// Its watchers are told, as the Redis store's are when its keys expire.
			s.queueDelivery(delivery{id: id, lost: true})
		} else if !tr.gone {
			s.dropLog(tr, now)
		}
		tr.mu.Unlock()
	}
}

// Load implements store.Store.
func (s *Store) Load(ctx context.Context, id string) (*match.Tournament, store.Position, error) {
	if err := ctx.Err(); err != nil {
		return nil, store.Position{}, err
	}
	tr, err := s.lock(id)
	if err != nil {
		return nil, store.Position{}, err
	}
	defer tr.mu.Unlock()
	return tr.t.Clone(), tr.head(), nil
}

// Head implements store.Header.
func (s *Store) Head(ctx context.Context, id string) (store.Position, error) {
	if err := ctx.Err(); err != nil {
		return store.Position{}, err
	}
	tr, err := s.lock(id)
	if err != nil {
		return store.Position{}, err
	}
	defer tr.mu.Unlock()
	return tr.head(), nil
}

// head is the tour's newest position; tr.mu is held.
func (tr *tour) head() store.Position {
	return store.Position{Epoch: tr.epoch, Version: tr.t.Version, Rev: tr.rev}
}

// List implements store.Store. It sorts every live tournament on each call: memory is one node's,
// and sorting a few thousand summaries costs less than keeping an index in step with expiry.
func (s *Store) List(ctx context.Context, f store.ListFilter) (store.Page, error) {
	if err := ctx.Err(); err != nil {
		return store.Page{}, err
	}
	s.sweep()
	s.mu.Lock()
	all := make([]*tour, 0, len(s.ts))
	for _, tr := range s.ts {
		all = append(all, tr)
	}
	s.mu.Unlock()
	now := s.now()
	sums := make([]store.Summary, 0, len(all))
	for _, tr := range all {
		tr.mu.Lock()
		if !tr.gone && !s.expired(tr, now) {
			sums = append(sums, store.Summary{
				ID:        tr.t.ID,
				Name:      tr.t.Name,
				Format:    tr.t.Settings.Format,
				Status:    tr.t.Status,
				Players:   len(tr.t.Participants),
				Version:   tr.t.Version,
				CreatedAt: tr.createdAt,
			})
		}
		tr.mu.Unlock()
	}
	slices.SortFunc(sums, func(a, b store.Summary) int {
		ca, cb := store.CursorOf(a), store.CursorOf(b)
		switch {
		case ca.Precedes(cb): // b comes after a
			return -1
		case cb.Precedes(ca):
			return 1
		}
		return 0
	})
	p := store.NewPager(f)
	for _, sm := range sums {
		if p.Add(sm) {
			break
		}
	}
	return p.Page(true), nil
}

// Apply implements store.Store. The command is applied to the state in place under the
// tournament's mutex (Load hands out copies): a rejected command (or an engine panic, see
// store.ApplyCommand) leaves the state as it was and its submission id is not remembered. A
// duplicate submission answers the first outcome's epoch, version and events, with State a copy
// of the current state (the first state is not kept).
func (s *Store) Apply(ctx context.Context, id string, cmd match.Command, submissionID string) (store.Applied, error) {
	if err := ctx.Err(); err != nil {
		return store.Applied{}, err
	}
	if cmd.Type == match.CmdCreate {
		return store.Applied{}, &match.Error{Code: match.CodeAlreadyExists, Message: fmt.Sprintf("tournament %q already exists", id)}
	}
	tr, err := s.lock(id)
	if err != nil {
		return store.Applied{}, err
	}
	defer tr.mu.Unlock()
	if submissionID != "" {
		if first, ok := tr.subs[submissionID]; ok {
			first.Duplicate = true
			first.Events = slices.Clone(first.Events)
			first.State = tr.t.Clone()
			return first, nil
		}
	}
	c, err := store.EncodeCommand(&cmd) // kept in the log, for history (store.Replay)
	if err != nil {
		return store.Applied{}, fmt.Errorf("memstore: %w", err)
	}
	// Applied in place, O(changed): Load hands out copies. An engine panic (an error here) is
	// undone by the engine.
	events, _, err := store.ApplyChanges(tr.t, cmd)
	if err != nil {
		return store.Applied{}, err
	}
	tr.lastCmd = s.now()
	if tr.t.Status == match.StatusDeleted {
		// Gone at once (store.Retention.TTL), its memory with it; the entry below still reaches
		// the watchers.
		tr.gone = true
		s.mu.Lock()
		if s.ts[id] == tr {
			delete(s.ts, id)
		}
		s.mu.Unlock()
	}
	e := store.Entry{Version: tr.t.Version, Rev: store.NewRev(), Prev: tr.rev, Events: events, Command: c}
	tr.rev = e.Rev
	tr.log = append(tr.log, e)
	if over := len(tr.log) - s.maxEvents; over > 0 {
		// O(1): the backing array is let go when append next grows it, so it holds at most about
		// twice the kept entries; the dropped ones release their events now.
		clear(tr.log[:over])
		tr.log = tr.log[over:]
	}
	a := store.Applied{Epoch: tr.epoch, Version: tr.t.Version, Events: events}
	if submissionID != "" {
		tr.subs[submissionID] = a
	}
	a.Rev = e.Rev
	s.enqueue(id, tr.epoch, e)
	a.Events = slices.Clone(events)
	a.Due, _ = match.NextDue(tr.t)
	return a, nil
}

// Events implements store.Store. A version the store has not reached (after > current) or no
// longer holds answers complete=false. Entries are shared with the log and must not be changed.
func (s *Store) Events(ctx context.Context, id string, after int64) (store.Position, []store.Entry, bool, error) {
	if err := ctx.Err(); err != nil {
		return store.Position{}, nil, false, err
	}
	tr, err := s.lock(id)
	if err != nil {
		return store.Position{}, nil, false, err
	}
	defer tr.mu.Unlock()
	head := tr.head()
	if after < 0 || after > tr.t.Version {
		return head, nil, false, nil
	}
	if after == tr.t.Version {
		return head, []store.Entry{}, true, nil
	}
	if len(tr.log) == 0 || after+1 < tr.log[0].Version { // dropped (retention.log) or trimmed
		return head, nil, false, nil
	}
	first := tr.log[0].Version
	return head, slices.Clone(tr.log[after+1-first:]), true, nil
}

// Register implements store.Store.
func (s *Store) Register(h store.Handler) { s.out.Register(h) }

// Watch implements store.Store.
func (s *Store) Watch(id string) {
	s.wmu.Lock()
	s.watched[id]++
	s.wmu.Unlock()
}

// Unwatch implements store.Store.
func (s *Store) Unwatch(id string) {
	s.wmu.Lock()
	if s.watched[id] <= 1 {
		delete(s.watched, id)
	} else {
		s.watched[id]--
	}
	s.wmu.Unlock()
}

// Ping implements store.Store; memory is always there.
func (s *Store) Ping(ctx context.Context) error { return ctx.Err() }

// Close implements store.Store: it stops delivery, drops entries still queued and waits for a
// Deliver call in progress. It may be called more than once.
func (s *Store) Close() error {
	s.qmu.Lock()
	if s.closed {
		s.qmu.Unlock()
		return nil
	}
	s.closed = true
	s.queue = nil
	s.qmu.Unlock()
	close(s.done)
	s.wg.Wait()
	return nil
}
