package redisstore

import (
	"context"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tourhub/tourhub/hub/store"
)

// Delivery. Each watched tournament has one worker goroutine. It and the node's pub/sub receiver are
// the only callers of the Handler for the tournament, one at a time (watcher.running), so entries
// of one tournament are delivered in order and never concurrently. The receiver delivers a
// message itself when it is the next commit of the delivered history, the worker is idle and the
// tournament's deliveries are quick (inline): that saves waking the worker for each commit. The
// worker takes everything else: it is woken by the pub/sub messages route queues, by
// (re)subscription confirmations, and by checkLoop when the stored version differs from the
// delivered one; in every doubtful case it reads the stored state and the missing range of the
// stream (catchUp).

const (
	// maxPending bounds the pub/sub messages queued for one worker; past it they are dropped and the
	// worker catches up from the stream instead.
	maxPending = 1024
	// initTimeout bounds the position read of a first Watch.
	initTimeout = 2 * time.Second
	// opTimeout bounds one catch-up round trip.
	opTimeout = 5 * time.Second
	// pageSize is how many log entries one XRANGE of a catch-up reads.
	pageSize = 500
)

// watcher is the delivery state of one watched tournament.
type watcher struct {
	id     string
	count  int // guarded by Store.mu
	ctx    context.Context
	cancel context.CancelFunc
	ready  chan struct{} // closed once the starting position is read (or could not be)
	done   chan struct{} // closed when run returns
	prev   *watcher      // static; the stopping worker of an earlier Watch, waited for before delivering
	wake   chan struct{} // capacity 1

	mu      sync.Mutex
	pending []string       // guarded by mu; payloads of pub/sub messages, decoded by run
	check   bool           // guarded by mu: catch up from the stored state
	running bool           // guarded by mu: a goroutine owns the position below (run, or inline)
	heavy   bool           // guarded by mu: a delivery took over inlineMax: run delivers, not route
	seen    store.Position // guarded by mu: the worker's position, for checkLoop

	// Owned by the goroutine that set running (run, or the pub/sub receiver in inline); set
	// before run starts.
	known bool   // the position below is meaningful
	epoch string // "" while the tournament does not exist
	last  int64  // last version delivered
	rev   string // rev of the last version delivered: the next entry must have it as its prev
}

func (w *watcher) signal() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

func (w *watcher) requestCheck() {
	w.mu.Lock()
	w.check = true
	w.mu.Unlock()
	w.signal()
}

// Watch starts delivery of the tournament's entries committed after the call. The first Watch of a
// tournament reads its position from Redis before returning (bounded by 2s; with Redis down it
// returns at once and the watcher gets lost=true when Redis is back).
func (s *Store) Watch(id string) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	if w := s.watches[id]; w != nil {
		w.count++
		s.mu.Unlock()
		<-w.ready
		return
	}
	ctx, cancel := context.WithCancel(s.ctx)
	w := &watcher{id: id, count: 1, ctx: ctx, cancel: cancel, ready: make(chan struct{}),
		done: make(chan struct{}), prev: s.retiring[id], wake: make(chan struct{}, 1)}
	s.watches[id] = w
	s.subChangedLocked(id)
	s.wg.Add(1)
	s.mu.Unlock()
	s.wakeSubs()

	// The starting position is read before Watch returns, so that an entry committed after Watch
	// returns is delivered even if the SUBSCRIBE is not active yet (the confirmation triggers a
	// catch-up from here).
	ictx, icancel := context.WithTimeout(ctx, initTimeout)
	vals, err := s.wdb.HMGet(ictx, keysOf(id).state, "epoch", "version", "rev").Result() // wdb: no retries while Redis is down
	icancel()
	if err == nil {
		p := positionOf(vals)
		w.known, w.epoch, w.last, w.rev = true, p.Epoch, p.Version, p.Rev
	} else {
		s.log.Warn("watch: read position; will resync", "tournament", id, "err", err)
	}
	w.setSeen()
	close(w.ready)
	go s.run(w)
}

// Unwatch undoes one Watch; the last one stops the worker and unsubscribes.
func (s *Store) Unwatch(id string) {
	s.mu.Lock()
	w := s.watches[id]
	if w == nil {
		s.mu.Unlock()
		return
	}
	w.count--
	if w.count > 0 {
		s.mu.Unlock()
		return
	}
	delete(s.watches, id)
	s.subChangedLocked(id)
	s.retiring[id] = w
	w.cancel()
	s.mu.Unlock()
	s.wakeSubs()
}

// subChangedLocked notes for the subscription loop that id's watched state changed. s.mu must be
// held.
func (s *Store) subChangedLocked(id string) { s.subChanged[id] = struct{}{} }

func (s *Store) wakeSubs() {
	select {
	case s.subWake <- struct{}{}:
	default:
	}
}

func (w *watcher) setSeen() {
	w.mu.Lock()
	w.seen = store.Position{Epoch: w.epoch, Version: w.last, Rev: w.rev}
	if !w.known {
		w.seen = store.Position{Epoch: "?", Version: -1}
	}
	w.mu.Unlock()
}

// run is the worker of one watched tournament; it returns when the last Unwatch or Close cancels it.
func (s *Store) run(w *watcher) {
	defer s.wg.Done()
	defer func() {
		s.mu.Lock()
		if s.retiring[w.id] == w {
			delete(s.retiring, w.id)
		}
		s.mu.Unlock()
		close(w.done)
	}()
	if w.prev != nil {
		select {
		case <-w.prev.done:
		case <-w.ctx.Done():
			return
		}
	}
	for {
		select {
		case <-w.ctx.Done():
			return
		case <-w.wake:
		}
		w.mu.Lock()
		if w.running { // route is delivering inline: it wakes this worker again if more came
			w.mu.Unlock()
			continue
		}
		msgs, check := w.pending, w.check
		w.pending, w.check = nil, false
		w.running = true
		w.mu.Unlock()
		if check || !w.known {
			s.catchUp(w)
		}
		start := time.Now()
		doubt := false
		for _, raw := range msgs {
			if w.ctx.Err() != nil {
				return
			}
			// Read here, on the tournament's own goroutine: the node's pub/sub receiver delivers
			// only the next commit of a quick tournament itself (inline).
			m, err := parsePayload(raw)
			if err != nil {
				s.log.Error("read pub/sub message", "tournament", w.id, "err", err)
				s.catchUp(w)
				continue
			}
			doubt = s.onMessage(w, m) || doubt
		}
		took := time.Since(start)
		if doubt {
			s.catchUp(w)
		}
		w.setSeen()
		if len(msgs) > 0 { // whether route may deliver the next ones itself
			w.mu.Lock()
			w.heavy = took > time.Duration(len(msgs))*s.inlineMax
			w.mu.Unlock()
		}
		w.release()
	}
}

// release gives up the position (running) and wakes the worker if work came meanwhile.
func (w *watcher) release() {
	w.mu.Lock()
	w.running = false
	more := len(w.pending) > 0 || w.check
	w.mu.Unlock()
	if more {
		w.signal()
	}
}

// inlineMax is how long a delivery may take on the node's pub/sub receiver, which every watched
// tournament's messages wait behind: a tournament whose deliveries take longer (many sockets
// here) is delivered by its worker.
const inlineMax = 250 * time.Microsecond

// inline delivers the published commit raw on the pub/sub receiver's goroutine (route), which
// holds the watcher's position (running) for it, when it is the next one of the delivered
// history: that saves waking the tournament's worker, the usual case of a small tournament.
// Anything else (a gap, another history, a message that does not decode) goes to the worker,
// which may read Redis to settle it.
func (s *Store) inline(w *watcher, raw string) {
	m, err := parsePayload(raw)
	next := err == nil && w.known && m.Epoch == w.epoch && m.Version == w.last+1 && m.Prev == w.rev && w.ctx.Err() == nil
	start := time.Now()
	switch {
	case !next:
		w.mu.Lock()
		w.pending = append([]string{raw}, w.pending...)
		w.mu.Unlock()
	case s.deliverNext(w, m):
		s.inlined.Add(1)
		if time.Since(start) > s.inlineMax {
			w.mu.Lock()
			w.heavy = true
			w.mu.Unlock()
		}
		w.setSeen()
	default: // its events did not decode: the worker catches up from the stream
		w.requestCheck()
	}
	w.release()
}

func (s *Store) emit(w *watcher, epoch string, e store.Entry, lost bool) {
	if w.ctx.Err() != nil {
		return
	}
	s.out.Deliver(w.id, epoch, e, lost)
}

// onMessage delivers the published commit m if it is the next one of the history delivered so
// far; otherwise it catches up from the stored state. It reports a doubt to settle once the batch
// of messages is through: a commit at or below the delivered version is usually one the stream
// delivered first, but may be one of another history (Redis came back older and the versions
// are being reused), which the stored state tells.
func (s *Store) onMessage(w *watcher, m published) (doubt bool) {
	switch {
	case !w.known || m.Epoch != w.epoch || m.Version > w.last+1:
		s.catchUp(w)
		return false
	case m.Version == w.last:
		return m.Rev != w.rev
	case m.Version < w.last:
		return true
	case m.Prev != w.rev:
		s.catchUp(w) // the next version, but not on the delivered history
		return false
	}
	if !s.deliverNext(w, m) {
		s.catchUp(w)
	}
	return false
}

// deliverNext delivers m, the next commit of the delivered history, and brings the cached state
// forward with its fields; false (nothing delivered) when its events do not decode.
func (s *Store) deliverNext(w *watcher, m published) bool {
	events, own := s.own.take(m.Rev) // this node's commit: the events it encoded
	var err error
	switch {
	case m.Annex != nil: // the handler needs no events (store.Entry.Annex)
		events = nil
	case own:
		events = slices.Clone(events) // the committer answered its caller with the same slice
	default:
		events, err = decodeEvents(m.Events)
	}
	if err != nil {
		s.log.Error("decode published events", "tournament", w.id, "version", m.Version, "err", err)
		return false
	}
	w.last, w.rev = m.Version, m.Rev
	s.emit(w, w.epoch, store.Entry{Version: m.Version, Rev: m.Rev, Prev: m.Prev, Events: events, Raw: m.Events, Annex: m.Annex}, false)
	s.cache.advance(w.id, m, func() (func(), bool) { return s.tryLockLocal(w.id) })
	return true
}

// catchUp compares the delivered position with the stored state and delivers the missing entries
// from the stream, or lost=true when they are gone, the epoch changed or the stored history is not
// the delivered one (Redis came back older: see rolledBack). On a Redis error it leaves the
// position as it is; the next wake-up (pub/sub or checkLoop) tries again.
func (s *Store) catchUp(w *watcher) {
	ctx, cancel := context.WithTimeout(w.ctx, opTimeout)
	defer cancel()
	k := keysOf(w.id)
	var hd *redis.SliceCmd
	var rng *redis.XMessageSliceCmd
	from := w.last + 1
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		hd = p.HMGet(ctx, k.state, "epoch", "version", "rev")
		rng = p.XRangeN(ctx, k.log, strconv.FormatInt(from, 10), "+", pageSize)
		return nil
	})
	if err != nil {
		if w.ctx.Err() == nil { // Debug: an outage is reported once by receiveLoop and by Ping
			s.log.Debug("catch up: read state; will retry", "tournament", w.id, "err", err)
		}
		return
	}
	head := positionOf(hd.Val())
	onHistory := w.epoch == "" || head.Epoch == w.epoch
	switch {
	case head.Epoch == "": // the tournament does not exist (expired, deleted, or Redis lost it)
		// Tell the watcher unless it already knows there is nothing (position read as "absent").
		tell := !w.known || w.epoch != ""
		w.known, w.epoch, w.last, w.rev = true, "", 0, ""
		if tell {
			s.log.Info("watched tournament is gone", "tournament", w.id)
			s.stats.resyncs.Add(1)
			s.emit(w, "", store.Entry{}, true)
		}
		return
	case !w.known || !onHistory:
		s.resync(w, head)
		return
	case head.Version < w.last || (head.Version == w.last && head.Rev != w.rev):
		s.rolledBack(w, head)
		return
	}
	w.epoch = head.Epoch
	msgs := rng.Val()
	for w.last < head.Version {
		if len(msgs) == 0 {
			if msgs, err = s.rdb.XRangeN(ctx, k.log, strconv.FormatInt(w.last+1, 10), "+", pageSize).Result(); err != nil {
				s.log.Debug("catch up: read log; will retry", "tournament", w.id, "err", err)
				return
			}
			if len(msgs) == 0 {
				s.resync(w, head)
				return
			}
		}
		for _, m := range msgs {
			e, err := decodeEntry(m)
			if err != nil || e.Version != w.last+1 {
				if err != nil {
					s.log.Error("catch up: decode log entry", "tournament", w.id, "err", err)
				}
				s.resync(w, head)
				return
			}
			if e.Version > head.Version {
				return // committed after the state read: the next wake-up delivers it
			}
			if e.Prev != w.rev {
				s.rolledBack(w, head)
				return
			}
			w.last, w.rev = e.Version, e.Rev
			s.stats.gapFills.Add(1)
			s.own.take(e.Rev) // decoded from the stream already: let this node's copy go
			s.emit(w, head.Epoch, e, false)
			s.cache.behind(w.id, head.Epoch, e.Version) // the stream carries no fields
		}
		msgs = nil
	}
}

// resync gives up on replaying: the watcher is told to reload (lost=true) and continues from the
// stored position.
func (s *Store) resync(w *watcher, head store.Position) {
	s.log.Info("delivery gap not recoverable from the log; resync", "tournament", w.id,
		"epoch", head.Epoch, "version", head.Version, "delivered_epoch", w.epoch, "delivered", w.last)
	s.resyncFrom(w, head)
}

func (s *Store) resyncFrom(w *watcher, head store.Position) {
	w.known, w.epoch, w.last, w.rev = true, head.Epoch, head.Version, head.Rev
	s.stats.resyncs.Add(1)
	s.emit(w, head.Epoch, store.Entry{}, true)
}

// rolledBack handles a stored history that is not the one this node delivered, in the same
// epoch: Redis came back older than it was (restarted from an older RDB file, an AOF written
// every second after a crash, a replica promoted before it had every commit), and lost commits
// this node had seen; new commits may be reusing their version numbers. Nothing built on the lost
// commits may be patched: the watcher resyncs (every subscriber gets a snapshot of the stored
// state), the cached state is dropped, and the operator is told (log and
// tourhub_redis_rollbacks_total).
func (s *Store) rolledBack(w *watcher, head store.Position) {
	s.stats.rollbacks.Add(1)
	s.log.Warn("redis history went back: this node had delivered commits that redis no longer has; "+
		"clients are resynced with the stored state (were writes acknowledged before they were persisted?)",
		"tournament", w.id, "epoch", head.Epoch, "delivered_version", w.last, "stored_version", head.Version)
	s.cache.drop(w.id)
	s.resyncFrom(w, head)
}
