package redisstore

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestCollectorExposesStats(t *testing.T) {
	s := &Store{}
	s.stats.conflicts.Add(3)
	s.stats.gapFills.Add(2)
	reg := prometheus.NewRegistry()
	reg.MustRegister(s.Collector())
	want := `
# HELP tourhub_redis_cas_conflicts_total Compare-and-set attempts that lost to another commit (retried).
# TYPE tourhub_redis_cas_conflicts_total counter
tourhub_redis_cas_conflicts_total 3
# HELP tourhub_redis_gap_fills_total Entries delivered from the stream because pub/sub missed them.
# TYPE tourhub_redis_gap_fills_total counter
tourhub_redis_gap_fills_total 2
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "tourhub_redis_cas_conflicts_total", "tourhub_redis_gap_fills_total"); err != nil {
		t.Error(err)
	}
}
