package fanout

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/tourhub/tourhub/hub/notice"
	"github.com/tourhub/tourhub/hub/store"
	"github.com/tourhub/tourhub/match"
)

// Package fanout is the node's table of topics: one per tournament that sockets on this node
// watch. It is the store's Handler: every committed entry of a watched tournament is encoded once
// (with the personal notices of its players) and queued for every socket subscribed to it, never
// blocking on one. A socket that subscribes first gets a catch-up: the events it missed or a
// snapshot (recover.go). The first subscriber makes the store Watch the tournament, the last one
// leaving Unwatches it.
//
// Sockets are Subscribers: the table knows what it queues for them, not how they write it.
//
// Ordering: a subscriber is registered in its topic before anything is read from the store, and
// until its catch-up (a snapshot or the missed events) is queued, live entries for it are held in
// its buffer instead of its queue. The catch-up is queued, then the held entries newer than what
// it covered, then the subscriber goes live, all under the topic's lock. So every entry committed
// after the catch-up was read reaches the subscriber exactly once, in order, after the catch-up.
// Catch-ups are read by one worker goroutine per topic, off the store's delivery path, and one
// read serves every subscriber waiting at that moment.

// Request is what a subscriber is owed before it goes live: its catch-up.
type Request struct {
	Ref    string         // the subscribe message's ref
	Reply  bool           // answer `subscribed` (a subscribe); false for a resync after lost delivery
	Resume bool           // the client sent its position: replay the missed entries if it is still on the history
	From   store.Position // the position resumed from
}

// Msg is one encoded message for a socket. Data may be shared by every socket that sends the same
// message: nobody changes it once it is queued.
type Msg struct {
	Data []byte
	// Deflated is the same message compressed for the sockets that negotiated compression
	// (permessage-deflate without context takeover, sock.AppendDeflate): snapshots and events,
	// when it shrinks them; nil otherwise. Both forms are shared by every socket that sends them.
	Deflated []byte
	// Compact is the message as tourhub.v2 writes it (hub/wire), for the sockets that speak v2,
	// and CompactDeflated its compressed form: events only, nil for the messages that are the
	// same in both versions. Shared like Data.
	Compact, CompactDeflated []byte
	Kind                     string    // the message type, for metrics
	At                       time.Time // when the store delivered the entry (live events only), for the fan-out lag
}

// Subscriber is a socket as the table sees it. Its methods never block.
type Subscriber interface {
	// Enqueue queues m and reports what the caller must do once it holds no lock (see Writers):
	// nothing (Queued: the socket's writer runs already), run Flush (Claimed: the writer was
	// idle and the caller claimed it), or run Slow (Full: the socket's queue is full and m was
	// not queued).
	Enqueue(m Msg) Enqueued
	// Flush runs the writer the caller claimed: it writes what is queued without waiting.
	Flush()
	// Slow closes the socket as slow (its held entries overflowed).
	Slow(reason string)
	// Refused answers the subscribe message with ref: its catch-up failed with err.
	Refused(ref string, err error)
	// Resync closes the socket so that its client reconnects and resumes: a resync of it failed.
	Resync()
	// Ended tells the client that its subscription to tournament id ended without a
	// tournament_deleted event: a resync found the tournament gone (err).
	Ended(id string, err error)
	// Compact reports whether the socket speaks tourhub.v2: it is sent snapshots in the compact
	// form (their matches), and it picks the compact form of the events itself (Msg.Compact).
	// Static for the socket's life.
	Compact() bool
	// Deflate reports whether the socket negotiated compression: it picks the compressed form of
	// a message when it has one (Msg.Deflated, Msg.CompactDeflated). Static for the socket's life.
	Deflate() bool
}

// GroupFlusher is a Subscriber whose claimed writers can run together, as one call for many
// subscribers of its kind (ws sends their writes to the kernel in one system call). Writers
// calls it on the first of the claimed subscribers; it runs Flush for every one of group.
type GroupFlusher interface {
	FlushGroup(group []Subscriber)
}

// Enqueued is what Subscriber.Enqueue leaves to its caller.
type Enqueued uint8

const (
	Queued  Enqueued = iota // queued; the socket's writer runs already
	Claimed                 // queued; the caller claimed the idle writer and runs Flush
	Full                    // not queued: the queue is full; the caller runs Slow
)

// Writers are the subscribers that the caller queued for under its locks and has yet to act
// for once it released them, so that no lock waits for thousands of write system calls or
// closes: those whose writer it claimed (Flush), and those whose queue was full (Slow).
type Writers struct {
	claimed []Subscriber
	full    []Subscriber
}

// Queue queues m for s, keeping s if its writer was claimed or its queue was full.
func (w *Writers) Queue(s Subscriber, m Msg) {
	switch s.Enqueue(m) {
	case Claimed:
		w.claimed = append(w.claimed, s)
	case Full:
		w.full = append(w.full, s)
	}
}

// Write runs the claimed writers, then closes the full sockets as slow. A thousand sockets that
// overflow on one entry (subscribed together, never reading) start a thousand closes: the
// sockets that read get the entry first.
func (w Writers) Write() {
	if len(w.claimed) > 1 {
		if g, ok := w.claimed[0].(GroupFlusher); ok {
			g.FlushGroup(w.claimed)
			w.claimed = nil
		}
	}
	for _, s := range w.claimed {
		s.Flush()
	}
	for _, s := range w.full {
		s.Slow("send queue overflowed")
	}
}

// delivery is one entry, encoded once for every subscriber.
type delivery struct {
	pos   store.Position // the entry's epoch, version and rev
	prev  string         // the rev the entry was applied to
	event Msg
	// notices are those of the players that had a socket subscribed here when the entry arrived
	// (nil when none had): a socket that becomes a player's later gets that player's notices from
	// the next entry on.
	notices map[match.PlayerID][]Msg
}

// sub is one socket's subscription to one topic.
type sub struct {
	s       Subscriber
	player  match.PlayerID // guarded by topic.mu; whose notices the socket gets (0: none)
	req     *Request       // guarded by topic.mu; the catch-up still owed, nil once live
	gen     uint64         // guarded by topic.mu; bumped whenever req is set anew or must be redone
	buf     []*delivery    // guarded by topic.mu; live entries held while req is owed
	queued  bool           // guarded by topic.mu; in topic.owed (oweLocked)
	compact bool           // static after construction; its socket's Compact
	deflate bool           // static after construction; its socket's Deflate
	// at is what the socket has been sent up to (its catch-up, then live entries), guarded by
	// topic.mu. A live entry at or below at.Version was in the catch-up already: the store may
	// deliver an entry after a snapshot read on another path already covered it.
	at store.Position
}

type topic struct {
	id string // static after construction

	mu      sync.Mutex
	subs    map[Subscriber]*sub // guarded by mu
	epoch   string              // guarded by mu; of the last delivered entry ("" before any or after a loss)
	version int64               // guarded by mu; of the last delivered entry
	rev     string              // guarded by mu; of the last delivered entry
	names   map[match.PlayerID]string
	loaded  bool // guarded by mu; names were filled from a full state
	// read is where the state a catch-up last read from the store stood, while the topic has
	// delivered no entry (epoch is "": none since it was created or since its last loss), so
	// that the snapshot encoded from it serves the next rounds as the last entry's would
	// (heldSnapshot): the sockets of a new tournament subscribe in several rounds before its
	// next entry. Zero otherwise. Guarded by mu.
	read store.Position
	// losses counts resyncLocked's calls, so that a catch-up does not record a read from
	// before a loss as read. Guarded by mu.
	losses  uint64
	working bool // guarded by mu; a catch-up worker runs
	// owed are the subscribers given a catch-up to read since the worker last looked (oweLocked),
	// so that a round of catch-ups costs what it serves, not a scan of every subscriber: a burst
	// of 10,000 subscribers to one tournament was quadratic. Guarded by mu.
	owed []*sub

	shared shared // guarded by mu; the snapshot and event messages sockets hold (shared.go)
}

// Config configures a Table.
type Config struct {
	// Store is where catch-ups read snapshots and missed events. Required.
	Store store.Store
	// QueueLen bounds the live entries held for one subscriber while its catch-up is read (past
	// it the socket is closed as slow). Defaults to 256.
	QueueLen int
	// Log receives the table's warnings. Defaults to discarding them.
	Log *slog.Logger
	// Registerer receives the table's metrics. Nil registers nothing (they still count).
	Registerer prometheus.Registerer
}

// Table is the node's table of topics. Safe for concurrent use.
type Table struct {
	cfg    Config             // static after construction
	lost   prometheus.Counter // static after construction; deliveries lost, resynced
	ctx    context.Context    // cancelled by Close; bounds the workers' store calls
	cancel context.CancelFunc // static after construction

	// watchMu serialises the decisions to Watch and Unwatch with the calls themselves, so the
	// store sees them in the order they were decided. Taken before mu.
	watchMu sync.Mutex
	mu      sync.RWMutex
	topics  map[string]*topic // guarded by mu
	closed  bool              // guarded by mu; no worker starts once set

	wg sync.WaitGroup // the catch-up workers
}

// New returns an empty Table. Register it with the store (it is a store.Handler).
func New(cfg Config) *Table {
	if cfg.QueueLen <= 0 {
		cfg.QueueLen = 256
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	lost := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "tourhub_ws_deliveries_lost_total",
		Help: "Times the store could not deliver a tournament's entries in order (a gap it could not fill, an epoch change, history gone): its sockets got snapshots.",
	})
	if cfg.Registerer != nil {
		cfg.Registerer.MustRegister(lost)
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Table{cfg: cfg, lost: lost, ctx: ctx, cancel: cancel, topics: make(map[string]*topic)}
}

// Close stops the catch-up workers and waits for them; nothing is delivered afterwards.
func (b *Table) Close() {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	b.cancel()
	b.wg.Wait()
}

// Join subscribes s to tournament id (or, if it is subscribed already, starts its catch-up over):
// req is its catch-up, player whose notices it gets (0: none).
func (b *Table) Join(s Subscriber, id string, req Request, player match.PlayerID) {
	b.watchMu.Lock()
	defer b.watchMu.Unlock()
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return
	}
	t := b.topics[id]
	created := t == nil
	if created {
		t = &topic{id: id, subs: make(map[Subscriber]*sub), names: make(map[match.PlayerID]string)}
		b.topics[id] = t
	}
	t.mu.Lock()
	sb := t.subs[s]
	if sb == nil {
		sb = &sub{s: s, compact: s.Compact(), deflate: s.Deflate()}
		t.subs[s] = sb
	}
	sb.player, sb.req, sb.buf = player, &req, nil
	sb.gen++
	t.oweLocked(sb)
	t.mu.Unlock()
	b.mu.Unlock()

	// Watch before the worker reads the store: whatever is committed after that read is then
	// delivered (and held in the buffer until the catch-up is queued).
	if created {
		b.cfg.Store.Watch(id)
	}
	b.mu.RLock()
	t.mu.Lock()
	b.startWorkerLocked(t)
	t.mu.Unlock()
	b.mu.RUnlock()
}

// Leave unsubscribes s from id, if it is subscribed, and drops the topic once it is empty.
func (b *Table) Leave(s Subscriber, id string) {
	b.watchMu.Lock()
	defer b.watchMu.Unlock()
	b.mu.Lock()
	t := b.topics[id]
	if t == nil {
		b.mu.Unlock()
		return
	}
	t.mu.Lock()
	delete(t.subs, s)
	empty := len(t.subs) == 0
	t.mu.Unlock()
	if empty {
		delete(b.topics, id)
	}
	b.mu.Unlock()
	if empty {
		b.cfg.Store.Unwatch(id)
	}
}

// dropIfEmpty drops t if nobody is subscribed to it any more.
func (b *Table) dropIfEmpty(t *topic) {
	b.watchMu.Lock()
	defer b.watchMu.Unlock()
	b.mu.Lock()
	drop := false
	if b.topics[t.id] == t {
		t.mu.Lock()
		drop = len(t.subs) == 0
		t.mu.Unlock()
	}
	if drop {
		delete(b.topics, t.id)
	}
	b.mu.Unlock()
	if drop {
		b.cfg.Store.Unwatch(t.id)
	}
}

// SetPlayer changes whose notices s gets on topic id.
func (b *Table) SetPlayer(s Subscriber, id string, player match.PlayerID) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	t := b.topics[id]
	if t == nil {
		return
	}
	t.mu.Lock()
	if sb := t.subs[s]; sb != nil {
		sb.player = player
	}
	t.mu.Unlock()
}

// startWorkerLocked starts t's catch-up worker unless one runs. b.mu (read or write) and t.mu
// are held.
func (b *Table) startWorkerLocked(t *topic) {
	if t.working || b.closed {
		return
	}
	t.working = true
	b.wg.Add(1)
	go b.work(t)
}

// resyncLocked makes every subscriber of t wait for a fresh catch-up: the thread of deliveries
// was lost. b.mu (read) and t.mu are held.
func (b *Table) resyncLocked(t *topic) {
	b.lost.Inc()
	t.epoch, t.version, t.rev = "", 0, ""
	t.read = store.Position{}
	t.losses++
	for _, sb := range t.subs {
		sb.buf = nil
		sb.gen++
		if sb.req == nil {
			sb.req = &Request{}
		}
		t.oweLocked(sb)
	}
	b.startWorkerLocked(t)
}

// oweLocked hands sb, whose req was just set, to the topic's worker. t.mu is held.
func (t *topic) oweLocked(sb *sub) {
	if !sb.queued {
		sb.queued = true
		t.owed = append(t.owed, sb)
	}
}

// Deliver implements store.Handler: it fans one committed entry out to the subscribers of id (or,
// with lost, sends them all a fresh snapshot). It never blocks on a socket: it queues the entry
// for every subscriber under the topic's lock, and then writes it to the sockets whose writer was
// idle (most of them) without waiting, once the locks are released.
func (b *Table) Deliver(id, epoch string, e store.Entry, lost bool) {
	b.queue(id, epoch, e, lost, time.Now()).Write()
}

// queue is deliver's part under the locks: it returns the writers it claimed.
func (b *Table) queue(id, epoch string, e store.Entry, lost bool, at time.Time) (w Writers) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	t := b.topics[id]
	if t == nil {
		return w
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if lost {
		b.resyncLocked(t)
		return w
	}
	switch {
	case t.epoch == "":
	case epoch != t.epoch || e.Version > t.version+1:
		// A new epoch or a gap the store did not report: treat it as a loss. This entry is
		// still held below, and the catch-up decides whether it is needed.
		b.resyncLocked(t)
	case e.Version <= t.version:
		return w // delivered already
	}
	// The notices of the players with a socket here, when the entry arrives: a node encodes no
	// other player's.
	var players map[match.PlayerID]bool
	for _, sb := range t.subs {
		if sb.player != 0 {
			if players == nil {
				players = make(map[match.PlayerID]bool)
			}
			players[sb.player] = true
		}
	}
	// An entry with an annex (annex.go) comes without its events: the annex has the rest.
	var an annexed
	if e.Annex != nil {
		var ok bool
		if an, ok = readAnnex(e.Annex, players); !ok {
			b.cfg.Log.Error("unreadable annex; resyncing its subscribers", "tournament", id, "version", e.Version)
			b.resyncLocked(t)
			return w
		}
	}
	ev, err := t.eventLocked(epoch, e, an.compact)
	if err != nil {
		// Not expected (the store holds what the engine made); the subscribers are resynced
		// from a snapshot rather than left behind or the node brought down.
		b.cfg.Log.Error("encode event; resyncing its subscribers", "tournament", id, "version", e.Version, "err", err)
		b.resyncLocked(t)
		return w
	}
	t.epoch, t.version, t.rev = epoch, e.Version, e.Rev
	learnNames(t.names, e.Events)

	d := &delivery{pos: store.Position{Epoch: epoch, Version: e.Version, Rev: e.Rev}, prev: e.Prev, event: ev}
	d.event.At = at
	switch {
	case e.Annex != nil:
		d.notices = an.notices
	case players != nil:
		var err error
		if d.notices, err = playerNotices(id, e, t.names, players); err != nil {
			b.cfg.Log.Error("notices of an entry left out", "tournament", id, "version", e.Version, "err", err)
		}
	}
	for _, sb := range t.subs {
		if sb.req == nil {
			switch {
			case d.pos.Epoch == sb.at.Epoch && d.pos.Version <= sb.at.Version:
				continue // its catch-up covered this entry
			case !d.follows(sb.at):
				// A hole between what the socket has and this entry: replay the missed
				// entries (or send a snapshot) before going live again.
				sb.req = &Request{Resume: true, From: sb.at}
				sb.gen++
				t.oweLocked(sb)
				b.startWorkerLocked(t)
			default:
				if w.claimed == nil {
					w.claimed = make([]Subscriber, 0, len(t.subs))
				}
				sb.push(d, &w)
				sb.at = d.pos
				continue
			}
		}
		if len(sb.buf) >= b.cfg.QueueLen {
			sb.buf = nil
			sb.s.Slow("send queue overflowed")
			continue
		}
		sb.buf = append(sb.buf, d)
	}
	if deletes(e) {
		// The tournament is gone: the subscriptions that got its last event end here, and the
		// topic with them (by its worker: the locks held here are not the ones dropping takes).
		// One still owed a catch-up reads the store, finds nothing and is refused.
		for s, sb := range t.subs {
			if sb.req == nil {
				delete(t.subs, s)
			}
		}
		if len(t.subs) == 0 {
			b.startWorkerLocked(t)
		}
	}
	return w
}

// deletes reports whether e deleted its tournament.
func deletes(e store.Entry) bool {
	for _, ev := range e.Events {
		if ev.Type == match.EvDeleted {
			return true
		}
	}
	return false
}

// playerNotices is notice.DeriveFor as messages for the sockets of players.
func playerNotices(id string, e store.Entry, names map[match.PlayerID]string, players map[match.PlayerID]bool) (map[match.PlayerID][]Msg, error) {
	byPlayer, err := notice.DeriveFor(id, e, names, func(p match.PlayerID) bool { return players[p] })
	if byPlayer == nil {
		return nil, err
	}
	out := make(map[match.PlayerID][]Msg, len(byPlayer))
	for p, ns := range byPlayer {
		ms := make([]Msg, len(ns))
		for i, b := range ns {
			ms[i] = Msg{Data: b, Kind: "notice"}
		}
		out[p] = ms
	}
	return out, err
}

// follows reports whether d is the entry right after p, on p's history.
func (d *delivery) follows(p store.Position) bool {
	return d.pos.Epoch == p.Epoch && d.pos.Version == p.Version+1 && d.prev == p.Rev
}

// push queues d (and the sub's notices in it) for the socket; a writer it claims joins w.
func (sb *sub) push(d *delivery, w *Writers) {
	w.Queue(sb.s, d.event)
	if sb.player != 0 {
		for _, n := range d.notices[sb.player] {
			w.Queue(sb.s, n)
		}
	}
}

// learnNames keeps the participants' names that events carry.
func learnNames(names map[match.PlayerID]string, events []match.Event) {
	for _, ev := range events {
		if ev.Participant != nil {
			names[ev.Participant.ID] = ev.Participant.Name
		}
		for _, p := range ev.Participants {
			names[p.ID] = p.Name
		}
	}
}
