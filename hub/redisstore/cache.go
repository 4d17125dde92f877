package redisstore

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"unsafe"

	"github.com/tourhub/tourhub/match"
)

// The node's cache of decoded tournament states. A command is applied to the cached state of its
// tournament and committed with a compare-and-set on its (version, rev); the state is read from
// Redis only when nothing is cached or the compare-and-set lost. The watcher of a tournament
// brings its cached state forward with the fields each published commit wrote (advance), so that
// a node's next command starts from the stored state instead of losing. Any doubt drops the entry.

// cacheSize and cacheBytes bound the cache, in entries and in about the bytes its states hold:
// past either, arbitrary other entries are evicted (their next command or read decodes the
// stored state again).
const (
	cacheSize  = 4096
	cacheBytes = 256 << 20
)

// stateCache is the node's cache of states, by tournament id. Safe for concurrent use.
type stateCache struct {
	log      *slog.Logger // static after construction
	maxBytes int          // static after construction: cacheBytes but in tests

	mu    sync.Mutex
	m     map[string]*cached // guarded by mu
	bytes int                // guarded by mu: the size of every entry in m
}

func newStateCache(log *slog.Logger) *stateCache {
	return &stateCache{log: log, maxBytes: cacheBytes, m: make(map[string]*cached)}
}

// cached is a state of a tournament as this node knows it: t, decoded, followed by the commits
// published since that this node has not needed yet (later): their fields are decoded, applied,
// only when the state is needed (stateCache.state), since most commits a node watches are not
// followed by a command of its own.
//
// t belongs to whoever holds the tournament's turn (Store.lockLocal): Apply changes it in place,
// and state applies the later commits to it in place, both holding the turn. Nothing else reads
// t: entries are replaced, never changed, and their version is their own field. A state that
// leaves the store (Load, a duplicate's State) is a copy.
type cached struct {
	epoch string
	rev   string // the commit's random id, checked by the commit script with the version
	v     int64  // t's version when the entry was made
	size  int    // about the bytes t held when the entry was made (stateSize)
	t     *match.Tournament
	// metaRest is t's own field as stored without its version (restOf): a command that leaves it
	// so is published without it (fieldSet.metaSame). "" when not known.
	metaRest string
	later    []published // commits after t, in version order (each with fields)
	// quiet counts this node's commands in a row on the tournament, not watched here, that found
	// the cached state to be the stored one (the check answered "same", or a commit without it
	// took): no other node committed in between. From quietToSkip on, the next command commits
	// without checking first (Store.Apply): HTTP commands that a balancer sends to one node by
	// tournament. Only a guess: a commit's compare-and-set never takes a stale state, and on a
	// node that does not watch the tournament its conflict answers the commits since, as the check
	// would have.
	quiet uint8
	// gone is closed once the entry is no longer the cached one (replaced or dropped): a command
	// waiting for this node's watcher to bring the state forward waits on it.
	gone chan struct{}
}

// quietToSkip is how many commands in a row must find a node's cached state of a tournament
// current before its next one skips the check (cached.quiet). Two, not one: behind a round-robin
// balancer the node that created a tournament often takes its first join too, and finds its
// state current once, and never again.
const quietToSkip = 2

// maxLater is how many published commits an entry holds undecoded before advance applies them;
// maxWaiting how many it holds while its tournament's turn is taken (a command of this node runs)
// before it is dropped.
const (
	maxLater   = 8
	maxWaiting = 64
)

// newCached is the entry of t at its version, whose own field as stored has metaRest after its
// version (restOf; "" when not known).
func newCached(epoch, rev string, t *match.Tournament, metaRest string) *cached {
	return &cached{epoch: epoch, rev: rev, v: t.Version, size: stateSize(t), t: t, metaRest: metaRest, gone: make(chan struct{})}
}

// stateSize is about the bytes t holds: its structs, and 16 bytes of name per participant. O(1).
func stateSize(t *match.Tournament) int {
	return int(unsafe.Sizeof(*t)) + cap(t.Participants)*int(unsafe.Sizeof(match.Participant{})+16) +
		cap(t.Matches)*int(unsafe.Sizeof(match.Match{}))
}

// version is the version the entry stands for, its later commits included.
func (c *cached) version() int64 { return c.v + int64(len(c.later)) }

// headRev is the rev of the version the entry stands for.
func (c *cached) headRev() string {
	if n := len(c.later); n > 0 {
		return c.later[n-1].Rev
	}
	return c.rev
}

// then is the entry with commit m after it.
func (c *cached) then(m published) *cached {
	later := make([]published, len(c.later), len(c.later)+1)
	copy(later, c.later)
	return &cached{epoch: c.epoch, rev: c.rev, v: c.v, size: c.size, t: c.t, metaRest: c.metaRest, later: append(later, m), gone: make(chan struct{})}
}

// decoded is the entry with its later commits applied to t, in place: the caller holds the
// tournament's turn. On error t is half changed and the entry must be dropped.
func (c *cached) decoded() (*cached, error) {
	if len(c.later) == 0 {
		return c, nil
	}
	objects := make([]json.RawMessage, len(c.later))
	for i, m := range c.later {
		objects[i] = m.Fields
	}
	meta, err := applyObjects(c.t, objects, nil, c.version())
	if err != nil {
		return nil, fmt.Errorf("redisstore: commits after version %d: %w", c.v, err)
	}
	rest := c.metaRest
	if meta != nil {
		rest = restOf(string(meta))
	}
	return newCached(c.epoch, c.headRev(), c.t, rest), nil
}

// get returns the cached entry of id as it is (later commits not applied).
func (sc *stateCache) get(id string) *cached {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return sc.m[id]
}

// state returns the cached state of id with every commit it knows of applied (nil if none
// is cached, or its later commits could not be applied: the entry is then dropped). The caller
// holds the tournament's turn.
func (sc *stateCache) state(id string) *cached {
	c := sc.get(id)
	if c == nil || len(c.later) == 0 {
		return c
	}
	d, err := c.decoded()
	if err != nil {
		sc.log.Warn("cached state not advanced from published commits; dropped", "tournament", id, "version", c.version(), "err", err)
		sc.replace(id, c, nil)
		return nil
	}
	sc.replace(id, c, d)
	return d
}

// put makes c the cached state of id.
func (sc *stateCache) put(id string, c *cached) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	sc.setLocked(id, c)
	for k := range sc.m { // evict arbitrary other entries while over a bound
		if len(sc.m) <= cacheSize && sc.bytes <= sc.maxBytes {
			break
		}
		if k != id {
			sc.setLocked(k, nil)
		}
	}
}

// setLocked makes c (nil: nothing) the cached state of id and tells whoever waits on the entry it
// replaces. sc.mu is held.
func (sc *stateCache) setLocked(id string, c *cached) {
	old := sc.m[id]
	if old == c {
		return
	}
	if old != nil {
		close(old.gone)
		sc.bytes -= old.size
	}
	if c == nil {
		delete(sc.m, id)
		return
	}
	sc.m[id] = c
	sc.bytes += c.size
}

// replace puts next (or drops the entry when next is nil) if the entry is still old: a commit of
// this node may have replaced it meanwhile.
func (sc *stateCache) replace(id string, old, next *cached) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.m[id] != old {
		return
	}
	sc.setLocked(id, next)
}

// drop forgets the cached state of id.
func (sc *stateCache) drop(id string) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	sc.setLocked(id, nil)
}

// behind drops the cached state of id if it is older than version (or of another epoch): the next
// command then reads the stored state instead of losing a compare-and-set first.
func (sc *stateCache) behind(id, epoch string, version int64) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if c := sc.m[id]; c != nil && (c.epoch != epoch || c.version() < version) {
		sc.setLocked(id, nil)
	}
}

// advance brings the cached state of id from m.Version-1 to m.Version with the
// fields the commit wrote, so that this node's next command on it starts from the stored state
// instead of losing its compare-and-set. The fields are kept as they are until the state is
// needed (see cached); once maxLater commits wait, they are applied if the tournament's turn is
// free (lock), and past maxWaiting the entry is dropped. Any doubt drops the entry (the next
// command reads it).
func (sc *stateCache) advance(id string, m published, lock func() (release func(), ok bool)) {
	c := sc.get(id)
	if c == nil {
		return
	}
	if m.Prev == "" || c.epoch != m.Epoch || c.version() != m.Version-1 {
		sc.behind(id, m.Epoch, m.Version)
		return
	}
	if c.headRev() != m.Prev { // the cache holds another history at that version
		sc.replace(id, c, nil)
		return
	}
	next := c.then(m)
	sc.replace(id, c, next)
	if len(next.later) < maxLater {
		return
	}
	if release, ok := lock(); ok {
		sc.state(id)
		release()
	} else if len(next.later) >= maxWaiting {
		sc.replace(id, next, nil)
	}
}
