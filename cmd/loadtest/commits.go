package main

import (
	"bufio"
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// commitStats are the hubs' own counts of committed commands and of compare-and-sets that lost
// to another commit and were retried, summed over --nodes, over a measured window. Only a hub on
// Redis counts them (tourhub_redis_commits_total, tourhub_redis_cas_conflicts_total and
// tourhub_redis_stale_cache_total on /metrics); without them the result has none (null).
type commitStats struct {
	Commits   int64 `json:"commits"`
	Conflicts int64 `json:"cas_conflicts"`
	// Stale is how many commands of a node that did not watch the tournament found its cached
	// state behind and read it before applying (conflicts that checking first avoided).
	Stale int64 `json:"stale_caches"`
	// Unchecked is how many commands of a node that did not watch the tournament went to the
	// commit without that check, its last commands there having found the cached state current
	// (a tournament's API calls sent to one node: --api-routing tournament).
	Unchecked int64 `json:"unchecked_commits"`
	// RetriedPct is Conflicts per 100 Commits: the share of commits that cost a retry.
	RetriedPct float64 `json:"retried_pct"`
}

// commitMetrics are the /metrics counters commitStats reads: commits and conflicts, which every
// hub on Redis gives, stale caches (hubs since 2026-12-04) and unchecked commits (since
// 2026-12-06), 0 from older hubs.
var commitMetrics = []string{"tourhub_redis_commits_total", "tourhub_redis_cas_conflicts_total", "tourhub_redis_stale_cache_total",
	"tourhub_redis_unchecked_commits_total"}

// readCommits reads commitMetrics from every node and sums them; nil if a node does not give
// commits and conflicts (a memory store, a floor, a node not reached).
func readCommits(ctx context.Context, e *env) []int64 {
	sum := make([]int64, len(commitMetrics))
	for _, node := range e.cfg.nodes {
		v := readCounters(ctx, e, node, commitMetrics)
		if v == nil || v[0] < 0 || v[1] < 0 {
			return nil
		}
		for i := range sum {
			sum[i] += max(v[i], 0)
		}
	}
	return sum
}

// commitsBetween is the window between two readCommits; nil unless both were read.
func commitsBetween(a, b []int64) *commitStats {
	if a == nil || b == nil {
		return nil
	}
	c := &commitStats{Commits: b[0] - a[0], Conflicts: b[1] - a[1], Stale: b[2] - a[2], Unchecked: b[3] - a[3]}
	if c.Commits > 0 {
		c.RetriedPct = 100 * float64(c.Conflicts) / float64(c.Commits)
	}
	return c
}

// readCounters reads the unlabelled metrics names from node's /metrics, in their order, -1 for
// one it does not give; nil if it cannot read them.
func readCounters(ctx context.Context, e *env, node string, names []string) []int64 {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, node+"/metrics", nil)
	if err != nil {
		return nil
	}
	resp, err := e.d.client(0).Do(req)
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil
	}
	out := make([]int64, len(names))
	for i := range out {
		out[i] = -1
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		name, v, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			continue
		}
		if i := slices.Index(names, name); i >= 0 {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				return nil
			}
			out[i] = int64(f)
		}
	}
	if sc.Err() != nil {
		return nil
	}
	return out
}
