package hub

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/tourhub/tourhub/hub/store"
	"github.com/tourhub/tourhub/hub/view"
	"github.com/tourhub/tourhub/match"
)

// The broker keeps one topic per tournament that sockets on this node watch. The first subscriber
// makes the store Watch the tournament, the last one leaving Unwatches it.
//
// Ordering: a subscriber is registered in its topic before anything is read from the store, and
// until its catch-up (a snapshot or the missed events) is queued, live entries for it are held in
// its buffer instead of its queue. The catch-up is queued, then the held entries newer than what
// it covered, then the subscriber goes live, all under the topic's lock. So every entry committed
// after the catch-up was read reaches the subscriber exactly once, in order, after the catch-up.
// Catch-ups are read by one worker goroutine per topic, off the store's delivery path, and one
// read serves every subscriber waiting at that moment.

// catchUp is what a subscriber is owed before it goes live.
type catchUp struct {
	ref    string
	reply  bool           // answer `subscribed` (a subscribe); false for a resync after lost delivery
	resume bool           // the client sent its position: replay the missed entries if it is still on the history
	from   store.Position // the position resumed from
}

// delivery is one entry, encoded once for every subscriber.
type delivery struct {
	pos     store.Position // the entry's epoch, version and rev
	prev    string         // the rev the entry was applied to
	event   outMsg
	notices map[match.PlayerID][]outMsg // nil when no player subscribed
}

// sub is one socket's subscription to one topic.
type sub struct {
	s      *session
	player match.PlayerID // guarded by topic.mu; whose notices the socket gets (0: none)
	req    *catchUp       // guarded by topic.mu; the catch-up still owed, nil once live
	gen    uint64         // guarded by topic.mu; bumped whenever req is set anew or must be redone
	buf    []*delivery    // guarded by topic.mu; live entries held while req is owed
	// at is what the socket has been sent up to (its catch-up, then live entries), guarded by
	// topic.mu. A live entry at or below at.Version was in the catch-up already: the store may
	// deliver an entry after a snapshot read on another path already covered it.
	at store.Position
}

type topic struct {
	id string // static after construction

	mu      sync.Mutex
	subs    map[*session]*sub // guarded by mu
	epoch   string            // guarded by mu; of the last delivered entry ("" before any or after a loss)
	version int64             // guarded by mu; of the last delivered entry
	names   map[match.PlayerID]string
	loaded  bool // guarded by mu; names were filled from a full state
	working bool // guarded by mu; a catch-up worker runs

	shared shared // guarded by mu; the snapshot and event messages sockets hold (shared.go)
}

type broker struct {
	ws     *WS                // static after construction
	ctx    context.Context    // cancelled by close; bounds the workers' store calls
	cancel context.CancelFunc // static after construction

	// watchMu serialises the decisions to Watch and Unwatch with the calls themselves, so the
	// store sees them in the order they were decided. Taken before mu.
	watchMu sync.Mutex
	mu      sync.RWMutex
	topics  map[string]*topic // guarded by mu
	closed  bool              // guarded by mu; no worker starts once set

	wg sync.WaitGroup // the catch-up workers
}

func newBroker(w *WS) *broker {
	ctx, cancel := context.WithCancel(context.Background())
	return &broker{ws: w, ctx: ctx, cancel: cancel, topics: make(map[string]*topic)}
}

// close stops the workers and waits for them.
func (b *broker) close() {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	b.cancel()
	b.wg.Wait()
}

// join subscribes s to tournament id (or, if it is subscribed already, starts its catch-up over).
func (b *broker) join(s *session, id string, req *catchUp, player match.PlayerID) {
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
		t = &topic{id: id, subs: make(map[*session]*sub), names: make(map[match.PlayerID]string)}
		b.topics[id] = t
	}
	t.mu.Lock()
	sb := t.subs[s]
	if sb == nil {
		sb = &sub{s: s}
		t.subs[s] = sb
	}
	sb.player, sb.req, sb.buf = player, req, nil
	sb.gen++
	t.mu.Unlock()
	b.mu.Unlock()

	// Watch before the worker reads the store: whatever is committed after that read is then
	// delivered (and held in the buffer until the catch-up is queued).
	if created {
		b.ws.cfg.Store.Watch(id)
	}
	b.mu.RLock()
	t.mu.Lock()
	b.startWorkerLocked(t)
	t.mu.Unlock()
	b.mu.RUnlock()
}

// leave unsubscribes s from id, if it is subscribed, and drops the topic once it is empty.
func (b *broker) leave(s *session, id string) {
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
		b.ws.cfg.Store.Unwatch(id)
	}
}

// dropIfEmpty drops t if nobody is subscribed to it any more.
func (b *broker) dropIfEmpty(t *topic) {
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
		b.ws.cfg.Store.Unwatch(t.id)
	}
}

// setPlayer changes whose notices s gets on topic id.
func (b *broker) setPlayer(s *session, id string, player match.PlayerID) {
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
func (b *broker) startWorkerLocked(t *topic) {
	if t.working || b.closed {
		return
	}
	t.working = true
	b.wg.Add(1)
	go b.work(t)
}

// resyncLocked makes every subscriber of t wait for a fresh catch-up: the thread of deliveries
// was lost. b.mu (read) and t.mu are held.
func (b *broker) resyncLocked(t *topic) {
	b.ws.metrics.deliverLost.Inc()
	t.epoch, t.version = "", 0
	for _, sb := range t.subs {
		sb.buf = nil
		sb.gen++
		if sb.req == nil {
			sb.req = &catchUp{}
		}
	}
	b.startWorkerLocked(t)
}

// deliver fans one entry out to the subscribers of id. It never blocks on a socket: it queues
// the entry for every subscriber under the topic's lock, and then writes it to the sockets
// whose writer was idle (most of them) without waiting, once the locks are released.
func (b *broker) deliver(id, epoch string, e store.Entry, lost bool, at time.Time) {
	b.queue(id, epoch, e, lost, at).write()
}

// queue is deliver's part under the locks: it returns the writers it claimed.
func (b *broker) queue(id, epoch string, e store.Entry, lost bool, at time.Time) (w writers) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	t := b.topics[id]
	if t == nil {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if lost {
		b.resyncLocked(t)
		return nil
	}
	switch {
	case t.epoch == "":
	case epoch != t.epoch || e.Version > t.version+1:
		// A new epoch or a gap the store did not report: treat it as a loss. This entry is
		// still held below, and the catch-up decides whether it is needed.
		b.resyncLocked(t)
	case e.Version <= t.version:
		return nil // delivered already
	}
	ev, err := t.eventLocked(epoch, e)
	if err != nil {
		// Not expected (the store holds what the engine made); the subscribers are resynced
		// from a snapshot rather than left behind or the node brought down.
		b.ws.cfg.Log.Error("encode event; resyncing its subscribers", "tournament", id, "version", e.Version, "err", err)
		b.resyncLocked(t)
		return nil
	}
	t.epoch, t.version = epoch, e.Version
	learnNames(t.names, e.Events)

	d := &delivery{pos: store.Position{Epoch: epoch, Version: e.Version, Rev: e.Rev}, prev: e.Prev, event: ev}
	d.event.at = at
	for _, sb := range t.subs {
		if sb.player != 0 {
			var err error
			if d.notices, err = notices(id, e, t.names); err != nil {
				b.ws.cfg.Log.Error("notices of an entry left out", "tournament", id, "version", e.Version, "err", err)
			}
			break
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
				sb.req = &catchUp{resume: true, from: sb.at}
				sb.gen++
				b.startWorkerLocked(t)
			default:
				if w == nil {
					w = make(writers, 0, len(t.subs))
				}
				sb.push(d, &w)
				sb.at = d.pos
				continue
			}
		}
		if len(sb.buf) >= b.ws.cfg.QueueLen {
			sb.buf = nil
			sb.s.closeSlow("send queue overflowed")
			continue
		}
		sb.buf = append(sb.buf, d)
	}
	return w
}

// follows reports whether d is the entry right after p, on p's history.
func (d *delivery) follows(p store.Position) bool {
	return d.pos.Epoch == p.Epoch && d.pos.Version == p.Version+1 && d.prev == p.Rev
}

// push queues d (and the sub's notices in it) for the socket; a writer it claims joins w.
func (sb *sub) push(d *delivery, w *writers) {
	sb.s.sendAfter(d.event, w)
	if sb.player != 0 {
		for _, n := range d.notices[sb.player] {
			sb.s.sendAfter(n, w)
		}
	}
}

// catchUpTimeout bounds the store reads of one round of catch-ups.
const catchUpTimeout = 10 * time.Second

type job struct {
	sb  *sub
	req *catchUp
	gen uint64
}

// caught is the outcome of one job.
type caught struct {
	err       error
	at        store.Position // where the catch-up leaves the socket
	recovered bool
	msgs      []outMsg
}

// work reads and queues catch-ups for t's waiting subscribers until none is left.
func (b *broker) work(t *topic) {
	defer b.wg.Done()
	for {
		t.mu.Lock()
		var jobs []job
		for _, sb := range t.subs {
			if sb.req != nil {
				jobs = append(jobs, job{sb, sb.req, sb.gen})
			}
		}
		if len(jobs) == 0 {
			t.working = false
			t.mu.Unlock()
			return
		}
		needNames := !t.loaded
		t.mu.Unlock()
		b.catchUp(t, jobs, needNames)
	}
}

// catchUp reads what jobs need from the store (at most one Events and one Load for all of them)
// and queues it, unless a job was superseded meanwhile (the next round of work redoes it).
func (b *broker) catchUp(t *topic, jobs []job, needNames bool) {
	out := make([]caught, len(jobs))
	var snaps []int
	var learned []match.Event

	ctx, cancel := context.WithTimeout(b.ctx, catchUpTimeout)
	defer cancel()

	var resumers []int
	for i, j := range jobs {
		if j.req.resume {
			resumers = append(resumers, i)
		} else {
			snaps = append(snaps, i)
		}
	}
	// One Events read from the oldest version asked for serves every resumer. If the store no
	// longer holds that far back, those resumers get snapshots and the next oldest version is
	// tried, so that a newer resumer is still recovered when it can be. A resumer whose position
	// is not on the store's history (another epoch, or a rev the store's history does not pass
	// through: the store came back older and reused the versions) gets a snapshot too.
	for len(resumers) > 0 {
		after := int64(math.MaxInt64)
		for _, i := range resumers {
			after = min(after, jobs[i].req.from.Version)
		}
		head, entries, complete, err := b.ws.cfg.Store.Events(ctx, t.id, after)
		if err != nil {
			for _, i := range resumers {
				out[i].err = err
			}
			break
		}
		if !complete {
			rest := resumers[:0]
			for _, i := range resumers {
				if jobs[i].req.from.Version == after {
					snaps = append(snaps, i)
				} else {
					rest = append(rest, i)
				}
			}
			resumers = rest
			continue
		}
		var encoded []outMsg
		if encoded, err = t.events(head.Epoch, entries); err == nil {
			for _, e := range entries {
				learned = append(learned, e.Events...)
			}
		}
		for _, i := range resumers {
			from := jobs[i].req.from
			if err != nil || !from.Continues(head, entries) {
				snaps = append(snaps, i) // not recoverable: a snapshot
				continue
			}
			k := 0
			for k < len(entries) && entries[k].Version <= from.Version {
				k++
			}
			out[i] = caught{at: head, recovered: true, msgs: encoded[k:]}
		}
		break
	}

	var state *match.Tournament
	if len(snaps) > 0 || needNames {
		st, head, err := b.ws.cfg.Store.Load(ctx, t.id)
		var snap outMsg
		if err == nil {
			state = st
			snap, err = t.snapshot(head, st)
		}
		for _, i := range snaps {
			if err != nil {
				out[i].err = err
				continue
			}
			out[i] = caught{at: head, msgs: []outMsg{snap}}
		}
	}

	var w writers
	t.mu.Lock()
	if state != nil {
		for _, p := range state.Participants {
			t.names[p.ID] = p.Name
		}
		t.loaded = true
	}
	learnNames(t.names, learned)
	removed := false
	for i, j := range jobs {
		sb := j.sb
		if t.subs[sb.s] != sb || sb.gen != j.gen {
			continue // unsubscribed, or superseded by a new subscribe or a loss
		}
		c := out[i]
		if c.err != nil {
			if j.req.reply {
				sb.s.sendErr(j.req.ref, c.err)
			} else {
				b.ws.cfg.Log.Warn("resync failed", "tournament", t.id, "err", c.err)
				sb.s.closeWith(closeResync, "resync failed")
			}
			delete(t.subs, sb.s)
			removed = true
			continue
		}
		if j.req.reply {
			sb.s.reply("subscribed", struct {
				Type       string `json:"type"`
				Ref        string `json:"ref,omitempty"`
				Tournament string `json:"tournament"`
				Epoch      string `json:"epoch"`
				Version    int64  `json:"version"`
				Rev        string `json:"rev"`
				Recovered  bool   `json:"recovered"`
			}{"subscribed", j.req.ref, t.id, c.at.Epoch, c.at.Version, c.at.Rev, c.recovered})
		}
		for _, m := range c.msgs {
			sb.s.sendAfter(m, &w)
		}
		sent := c.at
		buf := sb.buf
		sb.buf, sb.req = nil, nil
		for k, d := range buf {
			if d.pos.Epoch == sent.Epoch && d.pos.Version <= sent.Version {
				continue
			}
			if !d.follows(sent) {
				// A hole between the catch-up and the live entries: start over.
				sb.req, sb.buf = &catchUp{resume: true, from: sent}, buf[k:]
				sb.gen++
				break
			}
			sb.push(d, &w)
			sent = d.pos
		}
		sb.at = sent
	}
	t.mu.Unlock()
	w.write()
	if removed {
		b.dropIfEmpty(t)
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

// encodeEvent encodes the event message of e. The events go in as the store holds them when it
// has them (e.Raw), so that a node does not encode every entry again.
func encodeEvent(id, epoch string, e store.Entry) (outMsg, error) {
	events := e.Raw
	if len(events) == 0 {
		var err error
		if events, err = json.Marshal(nonNil(e.Events)); err != nil {
			return outMsg{}, fmt.Errorf("encode event %d: %w", e.Version, err)
		}
	}
	b := make([]byte, 0, 80+len(id)+len(epoch)+len(e.Rev)+len(events))
	b = append(b, `{"type":"event","tournament":`...)
	b = appendJSONString(b, id)
	b = append(b, `,"epoch":`...)
	b = appendJSONString(b, epoch)
	b = append(b, `,"version":`...)
	b = strconv.AppendInt(b, e.Version, 10)
	b = append(b, `,"rev":`...)
	b = appendJSONString(b, e.Rev)
	b = append(b, `,"events":`...)
	b = append(b, events...)
	b = append(b, '}')
	return outMsg{data: b, kind: "event"}, nil
}

// appendJSONString appends s as a JSON string, as encoding/json writes it.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

func encodeSnapshot(id string, head store.Position, t *match.Tournament) (outMsg, error) {
	b, err := json.Marshal(struct {
		Type       string    `json:"type"`
		Tournament string    `json:"tournament"`
		Epoch      string    `json:"epoch"`
		Version    int64     `json:"version"`
		Rev        string    `json:"rev"`
		State      view.View `json:"state"`
	}{"snapshot", id, head.Epoch, head.Version, head.Rev, view.NewView(t, head)})
	if err != nil {
		return outMsg{}, fmt.Errorf("encode snapshot: %w", err)
	}
	return outMsg{data: b, kind: "snapshot"}, nil
}
