package redisstore_test

import (
	"context"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tourhub/tourhub/hub/redisstore"
	"github.com/tourhub/tourhub/internal/redistest"
	"github.com/tourhub/tourhub/match"
)

// BenchmarkApply measures one committed command on a running tournament through one node: the
// engine on the cached state (in place), JSON encoding of the changed fields and the events, and
// the compare-and-set script (HSET state, XADD, LPUSH recent, HSET submission, PUBLISH; the TTLs
// once a quarter of the log's has passed) on a local redis-server. The node watches the
// tournament, as one with sockets on it does. cpu-µs/op is this process's CPU (user and system,
// getrusage) over the timed loop per commit: the node's work outside Redis, its watcher and
// garbage collection included, where ns/op is the wall time with the round trip; redis-µs/op is
// Redis's own time in the commit scripts (INFO commandstats), the shared ceiling of a cluster.
// Each op is an organiser's result on a ready match, with a submission id; a finished tournament
// is replaced outside the timer. The _wait1 case has a replica and WaitReplicas 1 (--redis-wait-replicas 1):
// what waiting for the replica costs a result. The _unwatched case is the same commits on a node
// that does not watch the tournament (after its first two commands it commits without the check,
// as a node that takes a tournament's API by its id does): against single_elimination_512 it
// parts the commit from reading it back, as BenchmarkCommitFloorUnsubscribed parts the floor's.
func BenchmarkApply(b *testing.B) {
	for _, bc := range []struct {
		name      string
		format    match.Format
		players   int
		wait      int
		unwatched bool
	}{
		{"single_elimination_64", match.SingleElimination, 64, 0, false},
		{"single_elimination_64_wait1", match.SingleElimination, 64, 1, false},
		{"round_robin_16", match.RoundRobin, 16, 0, false},
		{"single_elimination_512", match.SingleElimination, 512, 0, false},
		{"single_elimination_512_unwatched", match.SingleElimination, 512, 0, true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			srv := redistest.Start(b)
			if bc.wait > 0 {
				redistest.StartReplica(b, srv)
			}
			s := newStore(b, srv, nil, redisstore.Options{WaitReplicas: bc.wait})
			ctx := b.Context() // no deadline: -benchtime sets how long a benchmark runs
			n := 0
			id := ""
			var ready []match.MatchID // ready matches, from the state at the start and the events since
			fresh := func() {
				n++
				id = "t_bench_" + strconv.Itoa(n)
				mustCreate(b, s, id, bc.format)
				if !bc.unwatched {
					s.Watch(id) // as a node with sockets on the tournament: it follows its own commits too
				}
				join(b, s, id, bc.players)
				mustApply(b, s, id, match.Command{Type: match.CmdStart}, "")
				st, _, err := s.Load(ctx, id)
				if err != nil {
					b.Fatal(err)
				}
				ready = ready[:0]
				for _, m := range st.Matches {
					if m.Status == match.MatchReady {
						ready = append(ready, m.ID)
					}
				}
			}
			b.StopTimer()
			fresh()
			b.ReportAllocs()
			// This process's CPU over the timed loop, the set-ups of new tournaments left out:
			// the commits and what they cause in the background (the watcher reading the node's
			// own commits, garbage collection).
			m := startMeter(b, srv)
			b.StartTimer()
			for i := 0; b.Loop(); i++ {
				if len(ready) == 0 {
					m.outside(fresh)
				}
				ready = reportFirst(ctx, b, s, id, ready, "r"+strconv.Itoa(i))
			}
			m.report()
		})
	}
}

// reportFirst commits an organiser's result on the first of the ready matches of id and returns
// the ready matches after it: the others, and those its events made ready.
func reportFirst(ctx context.Context, b *testing.B, s *redisstore.Store, id string, ready []match.MatchID, sub string) []match.MatchID {
	a, err := s.Apply(ctx, id, match.Command{Type: match.CmdReport, Match: ready[0], Scores: [2]int{1, 0}}, sub)
	if err != nil {
		b.Fatalf("report: %v", err)
	}
	ready = ready[1:]
	for _, e := range a.Events {
		if e.Type == match.EvMatchReady && e.Match != nil {
			ready = append(ready, e.Match.ID)
		}
	}
	return ready
}

// meter counts what a benchmark's timed ops cost this process (CPU, user and system) and Redis
// (its time in scripts), less what ran outside the timer (outside).
type meter struct {
	b                    *testing.B
	srv                  *redistest.Server
	cpu0, skipped        time.Duration
	redis0, skippedRedis float64
}

func startMeter(b *testing.B, srv *redistest.Server) *meter {
	return &meter{b: b, srv: srv, cpu0: processCPU(), redis0: scriptMicros(b, srv)}
}

// outside runs f with the timer stopped and leaves its costs out.
func (m *meter) outside(f func()) {
	m.b.StopTimer()
	c, r := processCPU(), scriptMicros(m.b, m.srv)
	f()
	m.skipped += processCPU() - c
	m.skippedRedis += scriptMicros(m.b, m.srv) - r
	m.b.StartTimer()
}

// report stops the timer and reports cpu-µs/op and redis-µs/op (Redis's time in the timed ops'
// scripts, the shared ceiling of a cluster).
func (m *meter) report() {
	m.b.StopTimer()
	n := float64(m.b.N)
	m.b.ReportMetric(float64((processCPU()-m.cpu0-m.skipped).Microseconds())/n, "cpu-µs/op")
	m.b.ReportMetric((scriptMicros(m.b, m.srv)-m.redis0-m.skippedRedis)/n, "redis-µs/op")
}

// scriptMicros is the time Redis has spent in scripts (EVALSHA) since its stats were last reset,
// the commands they call included, in microseconds, as Redis measures it.
func scriptMicros(b *testing.B, srv *redistest.Server) float64 {
	st, err := srv.Do("INFO", "commandstats")
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(st, "\n") {
		if rest, ok := strings.CutPrefix(line, "cmdstat_evalsha:"); ok {
			for _, kv := range strings.Split(strings.TrimSpace(rest), ",") {
				if v, ok := strings.CutPrefix(kv, "usec="); ok {
					f, _ := strconv.ParseFloat(v, 64)
					return f
				}
			}
		}
	}
	return 0
}

// processCPU is the CPU this process has used so far (user and system).
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkCommitFloor is the same-run floor of BenchmarkApply: what one commit costs a Go client
// on this machine with no tournament at all. The same go-redis client runs a script shaped like
// the commit (check three hash fields, HSET four fields and two payloads of the size a result
// writes, XADD, PEXPIRE x3, PUBLISH) and a subscriber on the same node reads the published
// message, as a node watching its tournament does. cpu-µs/op as in BenchmarkApply.
func BenchmarkCommitFloor(b *testing.B) { commitFloor(b, true) }

// BenchmarkCommitFloorUnsubscribed is BenchmarkCommitFloor with nobody subscribed to the channel
// the script publishes on: the floor of BenchmarkApply/single_elimination_512_unwatched, the commit
// without reading it back.
func BenchmarkCommitFloorUnsubscribed(b *testing.B) { commitFloor(b, false) }

func commitFloor(b *testing.B, subscribed bool) {
	srv := redistest.Start(b)
	opt, err := redis.ParseURL(srv.URL())
	if err != nil {
		b.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	defer rdb.Close()
	ctx := b.Context() // no deadline: -benchtime sets how long a benchmark runs
	channel := "floor"
	if !subscribed {
		channel = "floor:elsewhere" // the same client set-up, a subscription nothing is published to
	}
	ps := rdb.Subscribe(ctx, channel)
	defer ps.Close()
	if _, err := ps.Receive(ctx); err != nil { // the subscription's confirmation
		b.Fatal(err)
	}
	got := make(chan struct{}, 1024)
	go func() {
		for range ps.Channel() {
			got <- struct{}{}
		}
	}()
	sc := redis.NewScript(`
local cur = redis.call('HMGET', KEYS[1], 'epoch', 'version', 'rev')
if cur[2] and cur[2] ~= ARGV[1] then return {'conflict', cur[2]} end
redis.call('HSET', KEYS[1], 'epoch', 'e', 'version', ARGV[2], 'rev', ARGV[3], 'status', 'running', 'm:1', ARGV[4], 't', ARGV[5])
redis.call('XADD', KEYS[2], 'MAXLEN', '~', 10000, '*', 'v', ARGV[2], 'e', ARGV[4], 'c', ARGV[5])
redis.call('PEXPIRE', KEYS[1], 3600000)
redis.call('PEXPIRE', KEYS[2], 3600000)
redis.call('PEXPIRE', KEYS[3], 3600000)
redis.call('PUBLISH', 'floor', ARGV[6])
return {'ok'}
`)
	field, meta, pub := strings.Repeat("m", 300), strings.Repeat("t", 500), strings.Repeat("p", 1200)
	b.ReportAllocs()
	cpu0 := processCPU()
	for i := 0; b.Loop(); i++ {
		res, err := sc.Run(ctx, rdb, []string{"floor:state", "floor:log", "floor:subs"}, i, i+1, "r"+strconv.Itoa(i), field, meta, pub).StringSlice()
		if err != nil || res[0] != "ok" {
			b.Fatalf("script: %v %v", res, err)
		}
		if subscribed {
			<-got
		}
	}
	b.ReportMetric(float64((processCPU()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
}

// BenchmarkUnwatchedRoundRobin measures commands committed by nodes that do not watch the
// tournament, taking turns, as HTTP commands behind a round-robin balancer are: each node's cached
// state is behind by the other nodes' commits since its last one (three nodes: two versions), and
// the check before applying (checkLua) brings it to the stored state. join_N: each op is one join
// to a tournament of N places (a full one is replaced outside the timer); report_512: each op is
// an organiser's result on a ready match of a running 512-player single elimination. cpu-µs/op as
// in BenchmarkApply, the three nodes being in this process. join_16_one_node: every join by the
// same node, as behind a balancer that sends a tournament's API to one node by its id: its cached
// state stays current, and the joins after its second go to the commit unchecked.
func BenchmarkUnwatchedRoundRobin(b *testing.B) {
	for _, bc := range []struct {
		name    string
		players int
		report  bool
		oneNode bool
	}{
		{"join_16", 16, false, false},
		{"join_256", 256, false, false},
		{"join_1024", 1024, false, false},
		{"report_512", 512, true, false},
		{"join_16_one_node", 16, false, true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			srv := redistest.Start(b)
			nodes := []*redisstore.Store{
				newStore(b, srv, nil, redisstore.Options{}),
				newStore(b, srv, nil, redisstore.Options{}),
				newStore(b, srv, nil, redisstore.Options{}),
			}
			ctx := b.Context() // no deadline: -benchtime sets how long a benchmark runs
			n, joined, id := 0, 0, ""
			var ready []match.MatchID
			fresh := func() {
				n++
				id = "t_rr_" + strconv.Itoa(n)
				mustCreate(b, nodes[0], id, match.SingleElimination)
				joined, ready = 0, ready[:0]
				if !bc.report {
					return
				}
				join(b, nodes[0], id, bc.players)
				a := mustApply(b, nodes[0], id, match.Command{Type: match.CmdStart}, "")
				for _, e := range a.Events {
					for _, m := range e.Matches {
						if m.Status == match.MatchReady {
							ready = append(ready, m.ID)
						}
					}
				}
			}
			fresh()
			b.ReportAllocs()
			m := startMeter(b, srv)
			for i := 0; b.Loop(); i++ {
				if (!bc.report && joined == bc.players) || (bc.report && len(ready) == 0) {
					m.outside(fresh)
				}
				node := nodes[i%len(nodes)]
				if bc.oneNode {
					node = nodes[1] // not the creator, as a create lands anywhere
				}
				if !bc.report {
					joined++
					cmd := match.Command{Type: match.CmdJoin, Name: "P" + strconv.Itoa(joined)}
					if _, err := node.Apply(ctx, id, cmd, "j"+strconv.Itoa(i)); err != nil {
						b.Fatalf("join: %v", err)
					}
					continue
				}
				ready = reportFirst(ctx, b, node, id, ready, "r"+strconv.Itoa(i))
			}
			m.report() // redis-µs/op: the check and the commit
		})
	}
}

// BenchmarkLoad measures reading a running 512-player single elimination (GET
// /api/tournaments/{id}, exports, snapshots for new sockets): idle, nothing committed between two
// reads; behind, another node commits a result before each read (outside the timer).
func BenchmarkLoad(b *testing.B) {
	for _, behind := range []bool{false, true} {
		name := "idle"
		if behind {
			name = "behind"
		}
		b.Run(name, func(b *testing.B) {
			srv := redistest.Start(b)
			reader := newStore(b, srv, nil, redisstore.Options{})
			writer := newStore(b, srv, nil, redisstore.Options{})
			ctx := b.Context() // no deadline: -benchtime sets how long a benchmark runs
			const id = "t_load"
			mustCreate(b, writer, id, match.SingleElimination)
			join(b, writer, id, 512)
			a := mustApply(b, writer, id, match.Command{Type: match.CmdStart}, "")
			var ready []match.MatchID
			for _, e := range a.Events {
				for _, m := range e.Matches {
					if m.Status == match.MatchReady {
						ready = append(ready, m.ID)
					}
				}
			}
			b.ReportAllocs()
			var setup time.Duration
			cpu0 := processCPU()
			for i := 0; b.Loop(); i++ {
				if behind && len(ready) > 0 {
					b.StopTimer()
					c := processCPU()
					ready = reportFirst(ctx, b, writer, id, ready, "r"+strconv.Itoa(i))
					setup += processCPU() - c
					b.StartTimer()
				}
				if _, _, err := reader.Load(ctx, id); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64((processCPU()-cpu0-setup).Microseconds())/float64(b.N), "cpu-µs/op")
		})
	}
}

// BenchmarkWatchChurn measures a tournament's first Watch and last Unwatch on a node that already
// watches `watched` others, as when a socket subscribes to a new tournament and later leaves it:
// the position read, the worker's start and stop, and the SUBSCRIBE and UNSUBSCRIBE, which the
// node's subscription loop sends in the background. cpu-µs/op is this process's CPU over the
// timed loop per op (that loop's included). Up to 2026-12-07 each pass of the loop compared the
// whole watched set with the subscribed one, so an op cost more the more the node watched.
func BenchmarkWatchChurn(b *testing.B) {
	for _, watched := range []int{10, 2000} {
		b.Run("watched_"+strconv.Itoa(watched), func(b *testing.B) {
			srv := redistest.Start(b)
			s := newStore(b, srv, nil, redisstore.Options{})
			for i := range watched {
				s.Watch("t_standing_" + strconv.Itoa(i)) // never created: watched all the same
			}
			b.ReportAllocs()
			cpu0 := processCPU()
			for i := 0; b.Loop(); i++ {
				id := "t_churn_" + strconv.Itoa(i)
				s.Watch(id)
				s.Unwatch(id)
			}
			b.ReportMetric(float64((processCPU()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
		})
	}
}
