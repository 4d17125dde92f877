package redisstore

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
)

// Failing fast. When Redis stops answering (paused, a host gone, a network cut) every call waits
// for its read timeout; commands to one tournament take turns (lockLocal), so the tenth of them
// would answer after ten timeouts. Once one call found Redis unreachable, calls to the same place
// fail at once with ErrUnavailable for FailFast (1 s by default); then one call is let through to
// try again (the others keep failing fast meanwhile): if it works, everything flows again, if not,
// another FailFast. Probes (Ping, /readyz) always try.
//
// The place is the whole Redis for a single server, and the tournament on a Redis Cluster, where a
// shard that is down must not stop the tournaments of the others.

// breaker remembers which places are known unreachable.
type breaker struct {
	wait time.Duration    // static after construction
	now  func() time.Time // static after construction

	mu    sync.Mutex
	until map[string]time.Time // guarded by mu; place -> calls fail fast before this time
	fails uint64               // guarded by mu; counts failed calls, for failedSince
}

func newBreaker(wait time.Duration, now func() time.Time) *breaker {
	return &breaker{wait: wait, now: now, until: make(map[string]time.Time)}
}

// allow reports whether a call to place may go to Redis, and a mark for failedSince. Past the wait
// it lets one call through and keeps failing the others fast until that one is done.
func (b *breaker) allow(place string) (ok bool, mark uint64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	until, down := b.until[place]
	if !down {
		return true, b.fails
	}
	now := b.now()
	if now.Before(until) {
		return false, b.fails
	}
	b.until[place] = now.Add(b.wait) // the others wait while this one tries
	return true, b.fails
}

// failedSince reports whether a call to place failed after allow gave mark: a call that waited
// meanwhile (for its turn) fails fast too.
func (b *breaker) failedSince(place string, mark uint64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	_, down := b.until[place]
	return down && b.fails != mark
}

// failed marks place unreachable for the wait.
func (b *breaker) failed(place string) {
	b.mu.Lock()
	b.until[place] = b.now().Add(b.wait)
	b.fails++
	b.mu.Unlock()
}

// ok marks place reachable again (with all: every place).
func (b *breaker) ok(place string, all bool) {
	b.mu.Lock()
	if len(b.until) > 0 {
		if all {
			clear(b.until)
		} else {
			delete(b.until, place)
		}
	}
	b.mu.Unlock()
}

// unreachable reports whether err says Redis could not be reached (as opposed to an answer of
// Redis's, such as a script error, or the caller's own context ending).
func unreachable(ctx context.Context, err error) bool {
	if err == nil || ctx.Err() != nil {
		return false
	}
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, redis.ErrPoolTimeout) || errors.Is(err, context.DeadlineExceeded)
}

// place is where tournament id lives, for the breaker.
func (s *Store) place(id string) string {
	if s.opts.Cluster {
		return id
	}
	return ""
}

// reachable answers ErrUnavailable at once while the place of tournament id is known unreachable;
// otherwise nil and a mark for stillReachable.
func (s *Store) reachable(id string) (uint64, error) {
	ok, mark := s.breaker.allow(s.place(id))
	if ok {
		return mark, nil
	}
	s.stats.fastFails.Add(1)
	return mark, errFailFast
}

// stillReachable answers ErrUnavailable at once if a call to the place of id found Redis
// unreachable since reachable gave mark.
func (s *Store) stillReachable(id string, mark uint64) error {
	if s.breaker.failedSince(s.place(id), mark) {
		s.stats.fastFails.Add(1)
		return errFailFast
	}
	return nil
}
