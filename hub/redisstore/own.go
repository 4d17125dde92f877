package redisstore

import (
	"sync"

	"github.com/tourhub/tourhub/match"
)

// ownSize bounds ownCommits: the commits of this node whose publish its watchers have not read
// yet (a watcher reads a node's own commit within a round trip; an entry whose publish never
// comes is pushed out by later ones).
const ownSize = 256

// ownCommits holds the events of this node's latest commits by rev, as the engine made them, so
// that the node's own watcher delivers them without decoding the JSON it has just encoded (the
// publish carries the same events: marshalEvents of these). Safe for concurrent use.
type ownCommits struct {
	mu   sync.Mutex
	at   map[string]int // rev -> slot
	revs [ownSize]string
	evs  [ownSize][]match.Event
	next int
}

func newOwnCommits() *ownCommits { return &ownCommits{at: make(map[string]int, ownSize)} }

// put keeps the events of the commit rev, before its script runs (its publish may be read
// before the script's answer).
func (o *ownCommits) put(rev string, ev []match.Event) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if old := o.revs[o.next]; old != "" {
		delete(o.at, old)
	}
	o.revs[o.next], o.evs[o.next] = rev, ev
	o.at[rev] = o.next
	o.next = (o.next + 1) % ownSize
}

// take returns and forgets the events of the commit rev, if this node made it and they are
// still held.
func (o *ownCommits) take(rev string) ([]match.Event, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	i, ok := o.at[rev]
	if !ok {
		return nil, false
	}
	ev := o.evs[i]
	delete(o.at, rev)
	o.revs[i], o.evs[i] = "", nil
	return ev, true
}
