package redisstore

import (
	"context"
	"errors"
	"net"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/tourhub/tourhub/hub/store"
)

// The node's loops that feed every watcher: one pub/sub connection (receiveLoop routes its messages
// to the workers, subLoop keeps its subscriptions equal to the watched set), or with sharded pub/sub
// one per master (shards.go), and the position check (checkLoop) that catches a worker whose
// pub/sub message was lost.

// receiveLoop reads one pub/sub connection (the node's only one, or with sharded pub/sub the one
// to a master, shard) and routes its messages to the workers. On the node's connection, go-redis
// reconnects and resubscribes by itself; a receive error marks the connection broken, and the
// first message after it makes every worker catch up (whatever was published meanwhile is lost to
// pub/sub). A shard's connection ends at its first error, and a subscription the server ended
// there (its slot moved away) has the slot map read again: shardSubs moves the channels.
func (s *Store) receiveLoop(ps *redis.PubSub, shard *shardConn) {
	defer s.wg.Done()
	broken := false
	for {
		msg, err := ps.ReceiveTimeout(s.ctx, 10*time.Second)
		if err != nil {
			if s.ctx.Err() != nil || errors.Is(err, redis.ErrClosed) || errors.Is(err, net.ErrClosed) {
				return // closed: the store is closing, or shardSubs let the connection go
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				pctx, cancel := context.WithTimeout(s.ctx, time.Second)
				_ = ps.Ping(pctx) // the Pong arrives as the next message
				cancel()
				continue
			}
			if shard != nil {
				// A broken connection, or a refused SSUBSCRIBE (MOVED: the slot map was stale).
				// The connection is dropped rather than left to go-redis to reconnect: it would
				// subscribe every channel again in one SSUBSCRIBE, which Redis refuses (CROSSSLOT)
				// unless they share a slot. shardSubs subscribes them again on fresh connections.
				s.log.Warn("sharded pub/sub connection lost; subscribing again", "master", shard.addr, "err", err)
				s.shards.lost(shard)
				return
			}
			if !broken {
				s.log.Warn("pub/sub connection lost; reconnecting", "err", err)
			}
			broken = true
			select {
			case <-s.ctx.Done():
				return
			case <-time.After(200 * time.Millisecond):
			}
			continue
		}
		if broken {
			broken = false
			s.log.Info("pub/sub connection restored")
			s.stats.reconnects.Add(1)
			s.checkAll()
		}
		switch m := msg.(type) {
		case *redis.Subscription:
			switch {
			case m.Kind == "subscribe" || m.Kind == "ssubscribe":
				if w := s.watcherOf(idOfChannel(m.Channel)); w != nil {
					w.requestCheck()
				}
			case m.Kind == "sunsubscribe" && shard != nil:
				s.shards.ended(shard, m.Channel)
			}
		case *redis.Message:
			s.route(m)
		}
	}
}

func (s *Store) watcherOf(id string) *watcher {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.watches[id]
}

func (s *Store) route(m *redis.Message) {
	w := s.watcherOf(idOfChannel(m.Channel))
	if w == nil {
		return
	}
	w.mu.Lock()
	if !w.running && !w.heavy && len(w.pending) == 0 && !w.check && readyClosed(w) {
		w.running = true
		w.mu.Unlock()
		s.inline(w, m.Payload)
		return
	}
	if len(w.pending) >= maxPending {
		w.pending, w.check = nil, true
	} else {
		w.pending = append(w.pending, m.Payload)
	}
	w.mu.Unlock()
	w.signal()
}

func (s *Store) checkAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, w := range s.watches {
		w.requestCheck()
	}
}

// subLoop keeps the pub/sub subscriptions equal to the watched set, in one goroutine so that a
// SUBSCRIBE and an UNSUBSCRIBE of one channel are never reordered. go-redis remembers the channels
// even when the command fails and subscribes them again on reconnect. Each pass looks only at the
// tournaments whose watched state changed since the last (subChanged): every other one is
// subscribed exactly when it is watched already, so a pass costs what changed, not what is watched.
func (s *Store) subLoop() {
	defer s.wg.Done()
	subscribed := make(map[string]bool)
	changed := make(map[string]struct{})
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-s.subWake:
		}
		var add, del []string
		s.mu.Lock()
		changed, s.subChanged = s.subChanged, changed // the other map is empty: cleared below
		for id := range changed {
			switch watched := s.watches[id] != nil; {
			case watched && !subscribed[id]:
				subscribed[id] = true
				add = append(add, keysOf(id).channel)
			case !watched && subscribed[id]:
				delete(subscribed, id)
				del = append(del, keysOf(id).channel)
			}
		}
		s.mu.Unlock()
		clear(changed)
		ctx, cancel := context.WithTimeout(s.ctx, opTimeout)
		if len(add) > 0 {
			if err := s.ps.Subscribe(ctx, add...); err != nil && s.ctx.Err() == nil {
				s.log.Warn("subscribe; will subscribe on reconnect", "channels", len(add), "err", err)
			}
		}
		if len(del) > 0 {
			if err := s.ps.Unsubscribe(ctx, del...); err != nil && s.ctx.Err() == nil {
				s.log.Debug("unsubscribe", "channels", len(del), "err", err)
			}
		}
		cancel()
	}
}

// checkLoop compares, every PositionCheck, the delivered position of each watched tournament with
// the stored one in one pipeline and wakes the workers that lost a pub/sub message (see offs).
func (s *Store) checkLoop() {
	defer s.wg.Done()
	tick := time.NewTicker(s.opts.PositionCheck)
	defer tick.Stop()
	off := offs{}
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-tick.C:
		}
		s.mu.Lock()
		ws := make([]*watcher, 0, len(s.watches))
		for _, w := range s.watches {
			ws = append(ws, w)
		}
		s.mu.Unlock()
		if len(ws) == 0 {
			clear(off)
			continue
		}
		ctx, cancel := context.WithTimeout(s.ctx, opTimeout)
		cmds := make([]*redis.SliceCmd, len(ws))
		_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i, w := range ws {
				cmds[i] = p.HMGet(ctx, keysOf(w.id).state, "epoch", "version", "rev")
			}
			return nil
		})
		cancel()
		if err != nil {
			if s.ctx.Err() == nil {
				s.log.Debug("position check", "err", err)
			}
			continue
		}
		next := make(offs, len(off))
		lost := false
		for i, w := range ws {
			w.mu.Lock()
			seen := w.seen
			w.mu.Unlock()
			if off.lost(next, w, seen, positionOf(cmds[i].Val())) {
				w.requestCheck()
				lost = true
			}
		}
		off = next
		if lost && s.shards != nil {
			// A sharded subscription may be on a master that no longer carries its channel,
			// with no notice of it (shards.go): read the slot map again.
			s.shards.moved()
		}
	}
}

// offs are the workers a position check found off the stored position, each with the position
// it had delivered then. Owned by checkLoop.
type offs map[*watcher]store.Position

// lost reports whether the worker w, at seen while the store is at stored, lost a message, and
// records it in next when it is off. A worker off at one check is not caught up yet: the message
// of the commit the check read may be on its way (published before the read, not yet received
// or delivered), and a catch-up would deliver that entry from the stream instead, which carries
// no fields, so the node would drop its cached state and read it back for its next command.
// Only a worker still off, at the same position, at the next check (PositionCheck later) lost
// one.
func (off offs) lost(next offs, w *watcher, seen, stored store.Position) bool {
	if seen == stored {
		return false
	}
	next[w] = seen
	was, ok := off[w]
	return ok && was == seen
}

// readyClosed reports whether w's starting position is read (Watch has set it).
func readyClosed(w *watcher) bool {
	select {
	case <-w.ready:
		return true
	default:
		return false
	}
}
