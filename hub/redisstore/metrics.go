package redisstore

import "github.com/prometheus/client_golang/prometheus"

// Collector exposes Stats as Prometheus counters (tourhub_redis_*), so that CAS conflicts, gap
// fills, resyncs and pub/sub reconnects show on /metrics.
func (s *Store) Collector() prometheus.Collector { return collector{s} }

type collector struct{ s *Store }

var statDescs = []struct {
	desc *prometheus.Desc
	get  func(Stats) uint64
}{
	{prometheus.NewDesc("tourhub_redis_commits_total", "Commands committed by this node.", nil, nil), func(s Stats) uint64 { return s.Commits }},
	{prometheus.NewDesc("tourhub_redis_cas_conflicts_total", "Compare-and-set attempts that lost to another commit (retried).", nil, nil), func(s Stats) uint64 { return s.Conflicts }},
	{prometheus.NewDesc("tourhub_redis_cas_followed_total", "Lost compare-and-sets retried on the state this node's watcher brought forward, instead of reading it back.", nil, nil), func(s Stats) uint64 { return s.Followed }},
	{prometheus.NewDesc("tourhub_redis_stale_cache_total", "Commands to a tournament this node does not watch, and reads, whose cached state was behind the stored one, found before applying or answering (for a command, a compare-and-set that did not have to lose).", nil, nil), func(s Stats) uint64 { return s.Stale }},
	{prometheus.NewDesc("tourhub_redis_stale_cache_recent_total", "Cached states of a tournament this node does not watch found behind the stored one (before applying, or by a lost compare-and-set) and brought forward with the fields of the commits since (the recent list) instead of reading the whole state.", nil, nil), func(s Stats) uint64 { return s.StaleRecent }},
	{prometheus.NewDesc("tourhub_redis_unchecked_commits_total", "Commands to a tournament this node does not watch committed without checking its cached state first, because its last two commands on it found that state current (a wrong guess is a CAS conflict).", nil, nil), func(s Stats) uint64 { return s.Unchecked }},
	{prometheus.NewDesc("tourhub_redis_duplicates_total", "Submissions answered with their first outcome.", nil, nil), func(s Stats) uint64 { return s.Duplicates }},
	{prometheus.NewDesc("tourhub_redis_unavailable_total", "Calls that failed because Redis could not be reached.", nil, nil), func(s Stats) uint64 { return s.Unavailable }},
	{prometheus.NewDesc("tourhub_redis_gap_fills_total", "Entries delivered from the stream because pub/sub missed them.", nil, nil), func(s Stats) uint64 { return s.GapFills }},
	{prometheus.NewDesc("tourhub_redis_resyncs_total", "Deliveries marked lost (range trimmed, epoch changed, tournament gone): clients got snapshots.", nil, nil), func(s Stats) uint64 { return s.Resyncs }},
	{prometheus.NewDesc("tourhub_redis_pubsub_reconnects_total", "Pub/sub connection losses recovered.", nil, nil), func(s Stats) uint64 { return s.PubSubReconnects }},
	{prometheus.NewDesc("tourhub_redis_fast_fails_total", "Calls answered unavailable at once because Redis was known unreachable (no round trip).", nil, nil), func(s Stats) uint64 { return s.FastFails }},
	{prometheus.NewDesc("tourhub_redis_rollbacks_total", "Times a tournament's stored history was found behind what this node had seen: Redis lost acknowledged commits (restarted from an older dump, a replica promoted early); clients were resynced.", nil, nil), func(s Stats) uint64 { return s.Rollbacks }},
	{prometheus.NewDesc("tourhub_redis_unreplicated_total", "Commits fewer than --redis-wait-replicas replicas confirmed in time, answered unavailable (retryable).", nil, nil), func(s Stats) uint64 { return s.Unreplicated }},
}

func (c collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range statDescs {
		ch <- d.desc
	}
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	st := c.s.Stats()
	for _, d := range statDescs {
		ch <- prometheus.MustNewConstMetric(d.desc, prometheus.CounterValue, float64(d.get(st)))
	}
}
