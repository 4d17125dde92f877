package redisstore

import (
	"context"
	"time"

	"github.com/tourhub/tourhub/match"
)

// CachedState returns a copy of the node's cached state of id and its rev (nil if none is
// cached), taken holding the tournament's turn as a command would.
func CachedState(s *Store, id string) (*match.Tournament, string) {
	release, err := s.lockLocal(context.Background(), id)
	if err != nil {
		return nil, ""
	}
	defer release()
	c := s.cache.state(id)
	if c == nil {
		return nil, ""
	}
	return c.t.Clone(), c.rev
}

// LaterCommits is how many published commits the node's cached entry of id holds undecoded.
func LaterCommits(s *Store, id string) int {
	if c := s.cache.get(id); c != nil {
		return len(c.later)
	}
	return 0
}

// CachedVersion is the version the node's cached entry of id stands for (its undecoded commits
// included), without decoding them; 0 if none is cached.
func CachedVersion(s *Store, id string) int64 {
	if c := s.cache.get(id); c != nil {
		return c.version()
	}
	return 0
}

// HashSlot is the Redis Cluster hash slot of key, as the node computes it.
func HashSlot(key string) int { return hashSlot(key) }

// Channel is the pub/sub channel of tournament id.
func Channel(id string) string { return keysOf(id).channel }

// OwnHeld is how many of the node's own commits hold their events for its watchers.
func OwnHeld(s *Store) int {
	s.own.mu.Lock()
	defer s.own.mu.Unlock()
	return len(s.own.at)
}

// SetBeforeCommit makes f run just before each commit script of the node (nil: nothing). Set it
// before the node commits.
func SetBeforeCommit(s *Store, f func(id string)) { s.beforeCommit = f }

// Inlined is how many commits the node's pub/sub receiver delivered itself (inline).
func Inlined(s *Store) uint64 { return s.inlined.Load() }

// SetInlineMax sets how long a delivery may take on the node's pub/sub receiver (inlineMax
// otherwise). Call it before the node watches anything.
func SetInlineMax(s *Store, d time.Duration) { s.inlineMax = d }

// DeliveryIdle reports whether nothing is delivering id's entries on the node (neither its worker
// nor the pub/sub receiver) and nothing waits for it.
func DeliveryIdle(s *Store, id string) bool {
	w := s.watcherOf(id)
	if w == nil {
		return false
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return !w.running && len(w.pending) == 0 && !w.check
}

// IgnoreShardEnds makes the node of a sharded store ignore the server's notices that it ended a
// subscription (a slot that moved away), as if they never came.
func IgnoreShardEnds(s *Store) { s.shards.ignoreEnded.Store(true) }

// CheckNext makes the node's next command on id check its cached state first, as after a command
// that found it behind (cached.quiet cleared).
func CheckNext(s *Store, id string) {
	release, err := s.lockLocal(context.Background(), id)
	if err != nil {
		return
	}
	defer release()
	if c := s.cache.get(id); c != nil && c.quiet > 0 {
		d := *c
		d.quiet, d.gone = 0, make(chan struct{})
		s.cache.replace(id, c, &d)
	}
}
