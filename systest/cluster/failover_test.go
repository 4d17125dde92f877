package cluster

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tourhub/tourhub/internal/redistest"
	"github.com/tourhub/tourhub/match"
)

// TestClusterRedisFailover: three hub nodes on a Redis Cluster of three masters with a replica
// each (sharded pub/sub, commits acknowledged once a replica has them: --redis-wait-replicas 1),
// spectators and players on every node, results reported through every node. Mid-tournament the
// tournament's shard fails over twice: CLUSTER FAILOVER on its replica (planned), then SIGKILL of
// the new master, so that the cluster promotes the old one back. Commands meanwhile answer 503
// (never another error, never a success that is then lost) and are retried with their submission
// ids; every node then plays the tournament to its end, and every socket on every node has every
// version once and in order, or was resynced with a snapshot, on the stored history.
func TestClusterRedisFailover(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Second)
	defer cancel()
	c := newClusterOnRedisCluster(t, 3, 3, 1, "--redis-wait-replicas", "1")
	tr := setup(ctx, t, c, match.Settings{Format: match.SingleElimination}, 64)
	all, _ := watchers(ctx, t, c.nodes, tr, 1, 8)
	for _, cl := range all {
		cl.allowResync = true
	}
	tr.start(ctx, t, c.nodes[0])
	key := "tourhub:{t:" + tr.id + "}:state"
	var master, replica *redistest.Server
	for i, m := range c.rc.Nodes {
		if m == c.rc.Owner(t, key) {
			master, replica = m, c.rc.Replicas[i]
		}
	}
	isMaster := func(s *redistest.Server) bool {
		r, err := s.Do("ROLE")
		return err == nil && strings.HasPrefix(r, "master")
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		for !cond() {
			if ctx.Err() != nil {
				t.Fatalf("waiting for %s: %v", what, ctx.Err())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	stored := func() int64 { // the stored version, from whichever of the two is the master
		for _, s := range []*redistest.Server{master, replica} {
			if v, err := s.Do("HGET", key, "version"); err == nil {
				n, _ := strconv.ParseInt(v, 10, 64)
				return n
			}
		}
		return 0
	}

	played := make(chan error, 1)
	go func() {
		_, err := organiserPlayRetry(ctx, c.nodes, tr, 1000, 40*time.Millisecond, true)
		played <- err
	}()
	started := getState(ctx, t, c.nodes[0], tr.id).Version
	waitFor("results before the failover", func() bool { return stored() >= started+5 })
	if _, err := replica.Do("CLUSTER", "FAILOVER"); err != nil {
		t.Fatalf("CLUSTER FAILOVER: %v", err)
	}
	waitFor("the replica promoted", func() bool { return isMaster(replica) })
	at := stored()
	waitFor("results on the new master", func() bool { return stored() >= at+5 })
	replica.Kill()
	waitFor("the old master promoted back", func() bool { return isMaster(master) })
	replica.Restart() // back as a replica: --redis-wait-replicas 1 needs one
	if err := <-played; err != nil {
		t.Fatal(err)
	}

	final := getState(ctx, t, c.nodes[2], tr.id)
	if final.Status != match.StatusFinished {
		t.Fatalf("final: %s v%d; want finished", final.Status, final.Version)
	}
	log := getEvents(ctx, t, c.nodes[0], tr.id)
	resyncs := 0
	for _, cl := range all {
		cl.settled(ctx, final.Version, log)
		cl.mu.Lock()
		resyncs += len(cl.snapshots) - 1
		cl.mu.Unlock()
	}
	for _, n := range c.nodes {
		if got := metricValue(ctx, t, n, "tourhub_redis_unreplicated_total"); got > 0 {
			t.Logf("node %d: %v commits answered 503 for want of a replica", n.i, got)
		}
	}
	t.Logf("final v%d; %d sockets, %d resyncs", final.Version, len(all), resyncs)
}
