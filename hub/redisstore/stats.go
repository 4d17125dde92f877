package redisstore

import "sync/atomic"

// Stats are counters since New, for the node's metrics (Collector exports them as Prometheus
// counters).
type Stats struct {
	Commits   uint64 // commands committed by this node (Create included)
	Conflicts uint64 // compare-and-set attempts that lost to another commit
	Followed  uint64 // of those, retried on the cached state the watcher brought forward (no read back)
	// Stale counts commands to a tournament this node does not watch, and reads (Load), whose
	// cached state was found behind the stored one before they were applied or answered (and
	// brought to it in the same round trip): for commands, the conflicts that checking first
	// avoided.
	Stale uint64
	// StaleRecent counts cached states found behind the stored one (by that check, or by a lost
	// compare-and-set of a node that does not watch the tournament) that were brought forward with
	// the fields of the commits since (the tournament's recent list), instead of reading the
	// whole state.
	StaleRecent uint64
	// Unchecked counts commands to a tournament this node does not watch that went to the commit
	// without that check, because this node's last two commands on it found its cached state
	// current (a balancer that sends a tournament's HTTP commands to one node). A guess that was
	// wrong is one of the Conflicts.
	Unchecked        uint64
	Duplicates       uint64 // submissions answered with their first outcome
	Unavailable      uint64 // calls that failed because Redis could not be reached
	GapFills         uint64 // entries delivered from the stream instead of pub/sub
	Resyncs          uint64 // lost=true deliveries (gap not in the stream, epoch change, tournament gone)
	PubSubReconnects uint64 // pub/sub connection losses that were recovered (sharded: connections dropped and subscribed again)
	// Rollbacks counts the times this node found a tournament's stored history behind what it had
	// seen (its delivered position or its cached state): Redis lost acknowledged commits.
	Rollbacks uint64
	// FastFails counts calls answered unavailable at once, without a round trip, because Redis was
	// known unreachable (see breaker.go).
	FastFails uint64
	// Unreplicated counts commits that fewer than WaitReplicas replicas confirmed in time,
	// answered unavailable.
	Unreplicated uint64
}

type counters struct {
	commits, conflicts, followed, stale, staleRecent, unchecked, duplicates, unavailable, gapFills, resyncs, reconnects, rollbacks, fastFails, unreplicated atomic.Uint64
}

// Stats returns the counters.
func (s *Store) Stats() Stats {
	c := &s.stats
	return Stats{Commits: c.commits.Load(), Conflicts: c.conflicts.Load(), Followed: c.followed.Load(), Stale: c.stale.Load(), StaleRecent: c.staleRecent.Load(), Unchecked: c.unchecked.Load(), Duplicates: c.duplicates.Load(),
		Unavailable: c.unavailable.Load(), GapFills: c.gapFills.Load(), Resyncs: c.resyncs.Load(),
		PubSubReconnects: c.reconnects.Load(), Rollbacks: c.rollbacks.Load(), FastFails: c.fastFails.Load(),
		Unreplicated: c.unreplicated.Load()}
}
