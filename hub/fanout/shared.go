package fanout

import (
	"unsafe"
	"weak"

	"github.com/tourhub/tourhub/hub/store"
	"github.com/tourhub/tourhub/match"
)

// shared keeps the snapshot and event messages a topic's catch-ups encoded while any socket still
// holds them, so that every socket of this node that is sent the same message shares its bytes:
// the sockets that subscribe one after another to a tournament (each in a catch-up round of its
// own) are sent the one encoding of its snapshot at that version, not a fresh copy each, which a
// socket that reads nothing would keep alive; sockets resuming in several rounds share the events
// they missed. (A live event is one message for all its subscribers already: eventLocked.) Only
// weak pointers are kept: once every socket wrote or dropped a message, it is collected, and its
// entry is swept at a later insert. Guarded by the topic's mu.
//
// A message is known by the position of its entry, rev included: a version names one entry only
// on one history (the store may come back older and reuse versions with other revs).
type shared struct {
	m     map[sharedKey]sharedRef
	sweep int // the size at which m is next swept of collected messages
}

type sharedKey struct {
	pos      store.Position
	snapshot bool
	compact  bool // a snapshot's v2 form (an event message carries both forms)
}

// sharedRef is a message's bytes: its forms one after the other in one allocation (packed),
// so that whichever form a socket holds keeps them all.
type sharedRef struct {
	p     weak.Pointer[byte] // the message's first byte
	n     int                // Data's length
	d     int                // Deflated's length (0: none)
	c     int                // Compact's length (0: none)
	total int                // every form's length
}

// get returns the message of k if a socket still holds it.
func (c *shared) get(k sharedKey) (Msg, bool) {
	r, ok := c.m[k]
	if !ok {
		return Msg{}, false
	}
	p := r.p.Value()
	if p == nil {
		delete(c.m, k)
		return Msg{}, false
	}
	// p is the first byte of an allocation of at least total bytes, alive as long as these
	// slices.
	all := unsafe.Slice(p, r.total)
	m := Msg{Data: all[:r.n:r.n], Kind: "event"}
	if k.snapshot {
		m.Kind = "snapshot"
	}
	at := r.n
	if r.d > 0 {
		m.Deflated = all[at : at+r.d : at+r.d]
		at += r.d
	}
	if r.c > 0 {
		m.Compact = all[at : at+r.c : at+r.c]
		at += r.c
	}
	if r.total > at {
		m.CompactDeflated = all[at:]
	}
	return m, true
}

// put keeps m's bytes as the message of k. m comes from packed: its forms are one allocation.
func (c *shared) put(k sharedKey, m Msg) {
	if len(m.Data) == 0 {
		return
	}
	if c.m == nil {
		c.m = make(map[sharedKey]sharedRef)
	}
	if len(c.m) >= c.sweep {
		for k, r := range c.m {
			if r.p.Value() == nil {
				delete(c.m, k)
			}
		}
		c.sweep = 2*len(c.m) + 64
	}
	c.m[k] = sharedRef{p: weak.Make(&m.Data[0]), n: len(m.Data), d: len(m.Deflated), c: len(m.Compact),
		total: len(m.Data) + len(m.Deflated) + len(m.Compact) + len(m.CompactDeflated)}
}

// eventLocked returns the event message of the live entry e in the forms that the topic's
// subscribers use (formsLocked); compact is its v2 form when it came encoded (annex.go). t.mu is
// held.
//
// Every subscriber is queued this one message (the delivery), so it is neither looked up in nor
// kept in the shared cache: the weak pointer and the map entry cost about 1.4% of a node's CPU at
// issue 15's target 1 load, for the rare catch-up that replays an entry while sockets still hold
// its live message. Such a catch-up encodes its own copy, which the catch-ups after it share
// (events).
func (t *topic) eventLocked(epoch string, e store.Entry, compact []byte) (Msg, error) {
	plain, deflate := t.formsLocked()
	return encodeEvent(t.id, epoch, e, plain, deflate, compact)
}

// events returns the event messages of entries, encoding (outside t.mu) only those that no
// socket holds. t.mu is not held.
func (t *topic) events(epoch string, entries []store.Entry) ([]Msg, error) {
	key := func(e store.Entry) sharedKey {
		return sharedKey{pos: store.Position{Epoch: epoch, Version: e.Version, Rev: e.Rev}}
	}
	msgs := make([]Msg, len(entries))
	missing := 0
	t.mu.Lock()
	for i, e := range entries {
		if m, ok := t.shared.get(key(e)); ok {
			msgs[i] = m
		} else {
			missing++
		}
	}
	t.mu.Unlock()
	if missing == 0 {
		return msgs, nil
	}
	for i, e := range entries {
		if msgs[i].Data == nil {
			var err error
			if msgs[i], err = encodeEvent(t.id, epoch, e, bothForms, bothForms, nil); err != nil {
				return nil, err
			}
		}
	}
	t.mu.Lock()
	for i, e := range entries {
		t.shared.put(key(e), msgs[i])
	}
	t.mu.Unlock()
	return msgs, nil
}

// formsLocked returns the forms of a live event that the topic's subscribers use: plain, the
// protocol versions they speak, and deflate, those that a socket which negotiated compression
// speaks. A live event goes to the subscribers of the moment only (queue: a socket that subscribes
// later has a catch-up of its own, and a catch-up's replay encodes every form, events), so a form
// none of them would send is not made: most topics have only tourhub.v2 sockets (the browsers).
// An event is compressed when it is long (sock.DeflateMin). t.mu is held.
func (t *topic) formsLocked() (plain, deflate forms) {
	for _, sb := range t.subs {
		if sb.compact {
			plain.v2 = true
			deflate.v2 = deflate.v2 || sb.deflate
		} else {
			plain.v1 = true
			deflate.v1 = deflate.v1 || sb.deflate
		}
		if deflate == bothForms {
			break
		}
	}
	return plain, deflate
}

// snapshot returns the snapshot message of st, at head, in v1's form or v2's (compact),
// encoding it (outside t.mu) unless a socket holds it. t.mu is not held.
func (t *topic) snapshot(head store.Position, st *match.Tournament, compact bool) (Msg, error) {
	k := sharedKey{pos: head, snapshot: true, compact: compact}
	t.mu.Lock()
	m, ok := t.shared.get(k)
	t.mu.Unlock()
	if ok {
		return m, nil
	}
	m, err := encodeSnapshot(t.id, head, st, compact)
	if err != nil {
		return Msg{}, err
	}
	t.mu.Lock()
	t.shared.put(k, m)
	t.mu.Unlock()
	return m, nil
}

// heldSnapshot returns the snapshot of the last entry the topic delivered (or, before any, of the
// state a catch-up last read: topic.read), if a socket still holds it: a burst of subscribers (a
// thousand spectators opening a page at once, the players of a tournament just started) is then
// served without reading and encoding the state again for each round of catch-ups. A snapshot at
// that position is as good as the store's latest: the topic was watched before it was read, every
// entry after it comes through the topic (a loss clears it), and a subscriber's catch-up holds the
// live entries until it is queued (see catchUp). t.mu is not held.
func (t *topic) heldSnapshot(compact bool) (store.Position, Msg, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	head := store.Position{Epoch: t.epoch, Version: t.version, Rev: t.rev}
	if t.epoch == "" {
		head = t.read
	}
	if head.Epoch == "" {
		return store.Position{}, Msg{}, false
	}
	m, ok := t.shared.get(sharedKey{pos: head, snapshot: true, compact: compact})
	if !ok {
		return store.Position{}, Msg{}, false
	}
	return head, m, true
}
