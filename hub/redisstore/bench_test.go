package redisstore_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/tourhub/tourhub/hub/redisstore"
	"github.com/tourhub/tourhub/internal/redistest"
	"github.com/tourhub/tourhub/match"
)

// BenchmarkApply measures one committed command on a running tournament through one node: the
// engine on a copy of the cached state, JSON encoding of state and events, and the compare-and-set
// script (HSET state, XADD, HSET submission, PEXPIRE x3, PUBLISH) on a local redis-server. Each op is
// an organiser's result on a ready match, with a submission id; a finished tournament is replaced
// outside the timer. The _wait1 case has a replica and WaitReplicas 1 (--redis-wait-replicas 1):
// what waiting for the replica costs a result.
func BenchmarkApply(b *testing.B) {
	for _, bc := range []struct {
		name    string
		format  match.Format
		players int
		wait    int
	}{
		{"single_elimination_64", match.SingleElimination, 64, 0},
		{"single_elimination_64_wait1", match.SingleElimination, 64, 1},
		{"round_robin_16", match.RoundRobin, 16, 0},
		{"single_elimination_512", match.SingleElimination, 512, 0},
	} {
		b.Run(bc.name, func(b *testing.B) {
			srv := redistest.Start(b)
			if bc.wait > 0 {
				redistest.StartReplica(b, srv)
			}
			s := newStore(b, srv, nil, redisstore.Options{WaitReplicas: bc.wait})
			ctx := ctxFor(b)
			n := 0
			var cur *match.Tournament
			fresh := func() {
				n++
				id := "t_bench_" + strconv.Itoa(n)
				mustCreate(b, s, id, bc.format)
				join(b, s, id, bc.players)
				cur = mustApply(b, s, id, match.Command{Type: match.CmdStart}, "").State
			}
			ready := func() match.MatchID {
				for _, m := range cur.Matches {
					if m.Status == match.MatchReady {
						return m.ID
					}
				}
				return 0
			}
			b.StopTimer()
			fresh()
			if _, err := srv.Do("CONFIG", "RESETSTAT"); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.StartTimer()
			for i := 0; b.Loop(); i++ {
				mid := ready()
				if mid == 0 {
					b.StopTimer()
					fresh()
					mid = ready()
					b.StartTimer()
				}
				a, err := s.Apply(ctx, cur.ID, match.Command{Type: match.CmdReport, Match: mid, Scores: [2]int{1, 0}}, "r"+strconv.Itoa(i))
				if err != nil {
					b.Fatalf("report: %v", err)
				}
				cur = a.State
			}
			b.StopTimer()
			// Redis CPU per commit script (the shared ceiling of a cluster), measured by Redis itself.
			// It includes the scripts of the tournaments created outside the timer.
			if st, err := srv.Do("INFO", "commandstats"); err == nil {
				for _, line := range strings.Split(st, "\n") {
					if rest, ok := strings.CutPrefix(line, "cmdstat_evalsha:"); ok {
						for _, kv := range strings.Split(strings.TrimSpace(rest), ",") {
							if v, ok := strings.CutPrefix(kv, "usec_per_call="); ok {
								f, _ := strconv.ParseFloat(v, 64)
								b.ReportMetric(f, "redis-µs/script")
							}
						}
					}
				}
			}
		})
	}
}
