package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tourhub/tourhub/hub/redisstore"
	"github.com/tourhub/tourhub/hub/store"
	"github.com/tourhub/tourhub/internal/proctest"
	"github.com/tourhub/tourhub/internal/redistest"
	"github.com/tourhub/tourhub/match"
)

// TestHashSlot checks the node's hash slots against Redis's own (CLUSTER KEYSLOT): the node
// subscribes a channel on the master it computes, so a wrong slot is a channel nobody hears.
func TestHashSlot(t *testing.T) {
	t.Parallel()
	srv := redistest.StartWith(t, redistest.Options{Cluster: true})
	keys := []string{"", "a", "{", "}", "{}", "{}a", "a{}b", "{a}", "{a}{b}", "x{a}y", "a{b", "a}b{c}",
		redisstore.Channel("t_abc"), redisstore.Channel("")}
	r := rand.New(rand.NewPCG(1, 2))
	for range 300 {
		b := make([]byte, r.IntN(12))
		for i := range b {
			b[i] = "ab{}:_t0é"[r.IntN(9)]
		}
		keys = append(keys, string(b))
	}
	for _, k := range keys {
		want, err := srv.Do("CLUSTER", "KEYSLOT", k)
		if err != nil {
			t.Fatalf("CLUSTER KEYSLOT %q: %v", k, err)
		}
		if got := redisstore.HashSlot(k); strconv.Itoa(got) != want {
			t.Errorf("hash slot of %q: %d; Redis says %s", k, got, want)
		}
	}
}

// shardedIDs creates n tournaments on s (a store on c) until every master owns at least one, and
// returns their ids.
func shardedIDs(t *testing.T, c *redistest.Cluster, s store.Store, n int) []string {
	t.Helper()
	ids := make([]string, n)
	owners := map[*redistest.Server]bool{}
	for i := range ids {
		ids[i] = fmt.Sprintf("t_shard%d", i)
		mustCreate(t, s, ids[i], match.SingleElimination)
		owners[c.Owner(t, redisstore.Channel(ids[i]))] = true
	}
	if len(owners) != len(c.Nodes) {
		t.Fatalf("%d tournaments landed on %d of %d masters", n, len(owners), len(c.Nodes))
	}
	return ids
}

// shardSubscribers is how many sharded (PUBSUB SHARDNUMSUB) and classic (PUBSUB NUMSUB)
// subscribers the channel has on srv.
func shardSubscribers(t *testing.T, srv *redistest.Server, ch string) (sharded, classic int) {
	t.Helper()
	count := func(cmd string) int {
		r, err := srv.Do("PUBSUB", cmd, ch)
		if err != nil {
			t.Fatalf("PUBSUB %s on %s: %v", cmd, srv.Addr(), err)
		}
		parts := strings.Split(r, "\n")
		n, _ := strconv.Atoi(parts[len(parts)-1])
		return n
	}
	return count("SHARDNUMSUB"), count("NUMSUB")
}

// TestShardedPubSub: on a Redis Cluster, commits reach the other nodes through sharded pub/sub,
// one SSUBSCRIBE connection per master, with no position check to fall back on; no classic
// subscription exists, and no publish crosses the cluster bus (no replicas to carry it to).
func TestShardedPubSub(t *testing.T) {
	t.Parallel()
	c := redistest.StartCluster(t, 3)
	rec := newRecorder(t)
	writer := newStoreURL(t, nil, redisstore.Options{URL: c.URL(), Cluster: true})
	// An hour: only pub/sub (and the catch-up of each subscription's confirmation) delivers.
	watcher := newStoreURL(t, rec.deliver, redisstore.Options{URL: c.URL(), Cluster: true, PositionCheck: time.Hour})
	ids := shardedIDs(t, c, writer, 6)
	for _, id := range ids {
		watcher.Watch(id)
	}
	for _, id := range ids {
		// Subscribed on its master before anything is committed: what follows comes by pub/sub.
		waitUntil(t, "sharded subscription of "+id, func() bool {
			n, _ := shardSubscribers(t, c.Owner(t, redisstore.Channel(id)), redisstore.Channel(id))
			return n == 1
		})
	}
	classic0, sharded0 := c.BusPublishes(t)
	for _, id := range ids {
		join(t, writer, id, 5)
	}
	for _, id := range ids {
		checkSequence(t, rec.waitVersion(t, id, 6), 2, 6)
		owner := c.Owner(t, redisstore.Channel(id))
		for _, n := range c.Nodes {
			sharded, classic := shardSubscribers(t, n, redisstore.Channel(id))
			if want := map[bool]int{true: 1}[n == owner]; sharded != want || classic != 0 {
				t.Errorf("%s on %s: %d sharded and %d classic subscribers; want %d and 0", id, n.Addr(), sharded, classic, want)
			}
		}
	}
	if classic, sharded := c.BusPublishes(t); classic != classic0 || sharded != sharded0 {
		t.Errorf("the cluster bus carried %d classic and %d sharded publishes for 30 commits; want none", classic-classic0, sharded-sharded0)
	}
	if n := connectionsOf(t, c); n > len(c.Nodes) {
		t.Errorf("%d pub/sub connections over %d masters; want at most one per master", n, len(c.Nodes))
	}
}

// connectionsOf is how many pub/sub connections the cluster's masters hold.
func connectionsOf(t *testing.T, c *redistest.Cluster) int {
	t.Helper()
	n := 0
	for _, s := range c.Nodes {
		r, err := s.Do("CLIENT", "LIST", "TYPE", "pubsub")
		if err != nil {
			t.Fatal(err)
		}
		if r != "" {
			n += len(strings.Split(strings.TrimSpace(r), "\n"))
		}
	}
	return n
}

// TestClusterBusPerCommit measures what one commit costs the cluster bus with classic and sharded
// pub/sub, on clusters of 3 and 6 masters with one replica each: a classic PUBLISH is broadcast
// to every other node, a sharded one only goes to the shard's replica. The figures are
// BENCHMARKS.md's (go test -run TestClusterBusPerCommit -v ./hub/redisstore/).
func TestClusterBusPerCommit(t *testing.T) {
	t.Parallel()
	const commits = 40
	for _, masters := range []int{3, 6} {
		t.Run(strconv.Itoa(masters)+"masters", func(t *testing.T) {
			t.Parallel()
			c := redistest.StartClusterWith(t, masters, 1)
			nodes := 2 * masters
			for _, classic := range []bool{true, false} {
				mode := map[bool]string{true: "classic", false: "sharded"}[classic]
				s := newStoreURL(t, nil, redisstore.Options{URL: c.URL(), Cluster: true, ClassicPubSub: classic})
				id := "t_bus" + mode
				mustCreate(t, s, id, match.SingleElimination)
				c0, s0 := c.BusPublishes(t)
				join(t, s, id, commits)
				// The bus messages of the last commits may still be on their way.
				var got int
				waitUntil(t, mode+" bus messages", func() bool {
					c1, s1 := c.BusPublishes(t)
					got = c1 - c0 + s1 - s0
					return !classic || got >= commits*(nodes-1)
				})
				time.Sleep(100 * time.Millisecond)
				c1, s1 := c.BusPublishes(t)
				got = c1 - c0 + s1 - s0
				per := float64(got) / commits
				t.Logf("%d masters + %d replicas, %s pub/sub: %.2f cluster bus messages per commit", masters, masters, mode, per)
				want := map[bool]int{true: nodes - 1, false: 1}[classic]
				if got != want*commits {
					t.Errorf("%s: %d bus messages for %d commits (%.2f each); want %d each", mode, got, commits, per, want)
				}
			}
		})
	}
}

// watchToMove creates id with writer and has watcher watch it: it returns id's channel, the
// master that owns it (once watcher is subscribed there) and another master to move it to.
func watchToMove(t *testing.T, c *redistest.Cluster, writer, watcher *redisstore.Store, id string) (ch string, from, to *redistest.Server) {
	t.Helper()
	mustCreate(t, writer, id, match.SingleElimination)
	ch = redisstore.Channel(id)
	from = c.Owner(t, ch)
	to = c.Nodes[0]
	if to == from {
		to = c.Nodes[1]
	}
	watcher.Watch(id)
	waitUntil(t, "sharded subscription", func() bool { n, _ := shardSubscribers(t, from, ch); return n == 1 })
	return ch, from, to
}

// TestShardedSlotMove moves the slot of a watched tournament to another master while commits go
// on (as redis-cli --cluster reshard does): the watching node follows its channel to the new
// master, and every version is delivered once and in order, with no position check to fall back on.
func TestShardedSlotMove(t *testing.T) {
	t.Parallel()
	c := redistest.StartCluster(t, 3)
	rec := newRecorder(t)
	writer := newStoreURL(t, nil, redisstore.Options{URL: c.URL(), Cluster: true})
	var logs proctest.Buffer // the watcher's log, shown if the test fails
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("the watching node's log:\n%s", logs.String())
		}
	})
	watcher := newStoreURL(t, rec.deliver, redisstore.Options{URL: c.URL(), Cluster: true, PositionCheck: time.Hour,
		Log: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	const id = "t_move"
	ch, from, to := watchToMove(t, c, writer, watcher, id)

	// Commits until told to stop, each retried while the slot moves (ASK, TRYAGAIN: unavailable)
	// with its submission id, so that none is lost or made twice.
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var committed int64 = 1
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 1; ctx.Err() == nil; i++ {
			cmd := match.Command{Type: match.CmdJoin, Name: "P" + strconv.Itoa(i)}
			for {
				a, err := writer.Apply(context.Background(), id, cmd, "join-"+strconv.Itoa(i))
				if err == nil {
					committed = a.Version
					break
				}
				if !errors.Is(err, store.ErrUnavailable) {
					t.Errorf("join %d: %v", i, err)
					return
				}
				time.Sleep(5 * time.Millisecond)
			}
			time.Sleep(2 * time.Millisecond)
		}
	}()
	rec.waitVersion(t, id, 10)
	c.MoveSlot(t, redisstore.HashSlot(ch), from, to)
	seen := "" // the subscribers on each master, logged when they change
	waitUntil(t, "subscription on the new master", func() bool {
		now := make([]string, 0, len(c.Nodes))
		onTo := 0
		for _, m := range c.Nodes {
			k, _ := shardSubscribers(t, m, ch)
			now = append(now, fmt.Sprintf("%s: %d", m.Addr(), k))
			if m == to {
				onTo = k
			}
		}
		if st := strings.Join(now, ", "); st != seen {
			seen = st
			t.Logf("subscribers of %s (moving from %s to %s): %s", ch, from.Addr(), to.Addr(), st)
		}
		return onTo == 1
	})
	// Commits after the move come through the new master.
	time.Sleep(50 * time.Millisecond)
	cancel()
	wg.Wait()
	mustApply(t, writer, id, match.Command{Type: match.CmdJoin, Name: "Last"}, "join-last")
	last := committed + 1
	checkSequence(t, rec.waitVersion(t, id, last), 2, last)
	if n := rec.lostOf(id); n != 0 {
		t.Errorf("%d lost deliveries; the move should be caught up from the stream", n)
	}
	if n, _ := shardSubscribers(t, from, ch); n != 0 {
		t.Errorf("still subscribed on the old master")
	}
}

// TestShardedMoveUnnoticed: a node that gets no notice that its subscription ended when the
// slot moved away (simulated: it ignores Redis's sunsubscribe) is brought to the new master by the
// position check. The check finds the watcher behind, catches it up from the stream and has the
// slot map read again, so the subscription moves and the commits after it arrive by pub/sub.
func TestShardedMoveUnnoticed(t *testing.T) {
	t.Parallel()
	c := redistest.StartCluster(t, 3)
	rec := newRecorder(t)
	writer := newStoreURL(t, nil, redisstore.Options{URL: c.URL(), Cluster: true})
	watcher := newStoreURL(t, rec.deliver, redisstore.Options{URL: c.URL(), Cluster: true, PositionCheck: 100 * time.Millisecond})
	redisstore.IgnoreShardEnds(watcher)
	const id = "t_unnoticed"
	ch, from, to := watchToMove(t, c, writer, watcher, id)
	mustApply(t, writer, id, match.Command{Type: match.CmdJoin, Name: "Ada"}, "join-ada")
	rec.waitVersion(t, id, 2)

	c.MoveSlot(t, redisstore.HashSlot(ch), from, to)
	// Published on the new master only (the first try may meet MOVED), so the watcher gets it from
	// the stream once the position check finds it missing.
	applyAcked(t, writer, id, match.Command{Type: match.CmdJoin, Name: "Bob"}, "join-bob")
	rec.waitVersion(t, id, 3)
	waitUntil(t, "subscription on the new master", func() bool { n, _ := shardSubscribers(t, to, ch); return n == 1 })
	mustApply(t, writer, id, match.Command{Type: match.CmdJoin, Name: "Cy"}, "join-cy")
	checkSequence(t, rec.waitVersion(t, id, 4), 2, 4)
	if n := rec.lostOf(id); n != 0 {
		t.Errorf("%d lost deliveries; the move should be caught up from the stream", n)
	}
	if n, _ := shardSubscribers(t, from, ch); n != 0 {
		t.Errorf("still subscribed on the old master")
	}
}

// TestWaitReplicas: with WaitReplicas a commit is acknowledged only once a replica has it. A
// replica that does not answer makes the commit answer unavailable (written on the master, not
// acknowledged); the retry with the same submission id, once the replica is back, answers the
// same commit instead of making a second one. Without WaitReplicas the same commit is acknowledged
// at once, replicated or not.
func TestWaitReplicas(t *testing.T) {
	t.Parallel()
	master := redistest.Start(t)
	replica := redistest.StartReplica(t, master)
	waiting := newStore(t, master, nil, redisstore.Options{WaitReplicas: 1})
	plain := newStore(t, master, nil, redisstore.Options{})
	const id = "t_wait"
	// Both retried as a client does: on a loaded machine the replica may confirm later than the
	// wait timeout even while it runs.
	createAcked(t, waiting, id)
	a := applyAcked(t, waiting, id, match.Command{Type: match.CmdJoin, Name: "Ada"}, "join-ada")
	if got, err := replica.Do("HGET", "tourhub:{t:"+id+"}:state", "version"); err != nil || got != strconv.FormatInt(a.Version, 10) {
		t.Fatalf("acknowledged version %d; the replica has %q (%v)", a.Version, got, err)
	}

	replica.Pause()
	_, err := waiting.Apply(ctxFor(t), id, match.Command{Type: match.CmdJoin, Name: "Bob"}, "join-bob")
	if !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("commit with the replica paused: %v; want unavailable", err)
	}
	if n := waiting.Stats().Unreplicated; n != 1 {
		t.Errorf("Unreplicated = %d; want 1", n)
	}
	if _, err := plain.Apply(ctxFor(t), id, match.Command{Type: match.CmdJoin, Name: "Cy"}, "join-cy"); err != nil {
		t.Fatalf("commit without WaitReplicas, replica paused: %v; want it acknowledged", err)
	}
	// A create is held to the same rule: unacknowledged while no replica has it.
	if _, err := waiting.Create(ctxFor(t), "t_wait_new", createCmd("New", match.SingleElimination), time.Now()); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("create with the replica paused: %v; want unavailable", err)
	}
	if _, err := plain.Create(ctxFor(t), "t_plain_new", createCmd("New", match.SingleElimination), time.Now()); err != nil {
		t.Errorf("create without WaitReplicas, replica paused: %v; want it acknowledged", err)
	}
	replica.Resume()
	// Retried as a client does, until the replica, catching up, confirms it.
	b := applyAcked(t, waiting, id, match.Command{Type: match.CmdJoin, Name: "Bob"}, "join-bob")
	if b.Version != a.Version+1 {
		t.Errorf("the retried join answered version %d; want %d, the commit the first try made", b.Version, a.Version+1)
	}
	st, _, err := waiting.Load(ctxFor(t), id)
	if err != nil {
		t.Fatal(err)
	}
	if st.Version != a.Version+2 || len(st.Participants) != 3 {
		t.Errorf("stored version %d with %d players; want %d and 3 (Ada, Bob once, Cy)", st.Version, len(st.Participants), a.Version+2)
	}
}

// TestFailover runs commits through two failovers of the tournament's shard on a cluster of three
// masters with a replica each: CLUSTER FAILOVER on the replica (a planned switch), then SIGKILL of
// the new master so that the old one is promoted back by the cluster. Commits meanwhile answer
// unavailable, never a false success, and are retried with their submission ids; the watching
// node follows the channel to each new master. Every version reaches it once and in order, or it
// is told its history was lost (a resync) and goes on from the stored one. With WaitReplicas 1,
// every acknowledged commit survives the kill (the promoted replica had it); without, replication
// is asynchronous and the newest acknowledged commits may be lost, but none is made twice.
func TestFailover(t *testing.T) {
	t.Parallel()
	for _, wait := range []int{0, 1} {
		t.Run("wait"+strconv.Itoa(wait), func(t *testing.T) {
			t.Parallel()
			c := redistest.StartClusterWith(t, 3, 1)
			rec := newRecorder(t)
			writer := newStoreURL(t, nil, redisstore.Options{URL: c.URL(), Cluster: true, WaitReplicas: wait, WaitTimeout: 500 * time.Millisecond})
			watcher := newStoreURL(t, rec.deliver, redisstore.Options{URL: c.URL(), Cluster: true})
			const id = "t_failover"
			created := createAcked(t, writer, id)
			watcher.Watch(id)
			ch := redisstore.Channel(id)
			var master, replica *redistest.Server
			for i, m := range c.Nodes {
				if m == c.Owner(t, ch) {
					master, replica = m, c.Replicas[i]
				}
			}

			var mu sync.Mutex
			acked := map[string]bool{} // names whose join was acknowledged
			var lastErr error          // guarded by mu: the last join that failed, for a failure's message
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var wg sync.WaitGroup
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 1; ctx.Err() == nil; i++ {
					name := "P" + strconv.Itoa(i)
					for ctx.Err() == nil {
						_, err := writer.Apply(context.Background(), id, match.Command{Type: match.CmdJoin, Name: name}, "join-"+name)
						mu.Lock()
						if err == nil {
							acked[name] = true
						} else {
							lastErr = err
						}
						mu.Unlock()
						if err == nil {
							break
						}
						if !errors.Is(err, store.ErrUnavailable) {
							t.Errorf("join %s: %v", name, err)
							return
						}
						time.Sleep(20 * time.Millisecond)
					}
				}
			}()
			ackedN := func() int { mu.Lock(); defer mu.Unlock(); return len(acked) }
			waitAcked := func(n int) {
				t.Helper()
				waitUntil(t, fmt.Sprintf("%d acknowledged joins", n), func() bool { return ackedN() >= n })
			}
			isMaster := func(s *redistest.Server) func() bool {
				return func() bool { r, err := s.Do("ROLE"); return err == nil && strings.HasPrefix(r, "master") }
			}

			waitAcked(10)
			if _, err := replica.Do("CLUSTER", "FAILOVER"); err != nil {
				t.Fatalf("CLUSTER FAILOVER: %v", err)
			}
			waitUntil(t, "the replica promoted", isMaster(replica))
			waitAcked(ackedN() + 10)
			// The old master, now the replica, stops taking the stream: what the new master
			// commits next is on it alone, and is lost when it is killed and the old one
			// is promoted back. Without WaitReplicas those commits were acknowledged; with it,
			// they answered unavailable and their retries commit them again.
			master.Pause()
			// Its replication connection is cut too: what the new master wrote into it would
			// otherwise still be read from the socket once the old one runs again.
			if _, err := replica.Do("CLIENT", "KILL", "TYPE", "replica"); err != nil {
				t.Fatalf("CLIENT KILL TYPE replica: %v", err)
			}
			if wait == 0 {
				waitAcked(ackedN() + 5)
			} else {
				before := writer.Stats().Unreplicated
				for deadline := time.Now().Add(timeout); writer.Stats().Unreplicated < before+2; time.Sleep(20 * time.Millisecond) {
					if time.Now().After(deadline) {
						mu.Lock()
						last := lastErr
						mu.Unlock()
						t.Fatalf("waited %v for commits answered unavailable for want of a replica: writer %+v, %d joins acknowledged, the last failed with %v",
							timeout, writer.Stats(), ackedN(), last)
					}
				}
			}
			replica.Kill()
			master.Resume()
			waitUntil(t, "the old master promoted back", isMaster(master))
			// The killed node comes back as the replica of the promoted one (WaitReplicas needs one).
			replica.Restart()
			waitUntil(t, "the killed node back as a replica", func() bool {
				r, err := replica.Do("INFO", "replication")
				return err == nil && strings.Contains(r, "role:slave") && strings.Contains(r, "master_link_status:up")
			})
			waitAcked(ackedN() + 10)
			cancel()
			wg.Wait()

			// The watcher may learn that history went back only from a later commit (its
			// message does not chain to what it delivered): then it is resynced (lost), at the
			// stored head, and delivers from there. So commits go on until one is delivered.
			var last store.Applied
			for try := 0; ; try++ {
				last = mustApply(t, writer, id, match.Command{Type: match.CmdJoin, Name: "Last" + strconv.Itoa(try)}, "join-last"+strconv.Itoa(try))
				delivered := false
				for end := time.Now().Add(5 * time.Second); !delivered && time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
					rec.mu.Lock()
					seq := rec.seq[id]
					delivered = len(seq) > 0 && seq[len(seq)-1].Version == last.Version
					rec.mu.Unlock()
				}
				if delivered {
					break
				}
				if try == 2 {
					rec.mu.Lock()
					seq := rec.seq[id]
					rec.mu.Unlock()
					t.Fatalf("version %d not delivered within 5 s, three times; delivered last: %v (-1: resync)", last.Version, versions(seq[max(0, len(seq)-5):]))
				}
			}
			st, head, err := writer.Load(ctxFor(t), id)
			if err != nil {
				t.Fatal(err)
			}
			// Delivered: a chain of the history, each entry applied to the one before, between
			// resyncs, ending at the stored head.
			rec.mu.Lock()
			seq := append([]store.Entry(nil), rec.seq[id]...)
			rec.mu.Unlock()
			at := store.Entry{Version: 1, Rev: created.Rev}
			for _, e := range seq {
				switch {
				case e.Version == -1:
					at = e
				case at.Version != -1 && (e.Version != at.Version+1 || e.Prev != at.Rev):
					t.Fatalf("delivered version %d (applied to rev %s) after version %d (rev %s); want the next one of its history (delivered: %v, -1: resync)",
						e.Version, e.Prev, at.Version, at.Rev, versions(seq))
				default:
					at = e
				}
			}
			if at.Version != head.Version || at.Rev != head.Rev {
				t.Errorf("delivered up to version %d rev %s; stored head %d rev %s", at.Version, at.Rev, head.Version, head.Rev)
			}
			// Stored: no join twice; with WaitReplicas, every acknowledged one.
			names := map[string]int{}
			for _, p := range st.Participants {
				names[p.Name]++
			}
			lostAcked := 0
			for name := range acked {
				if names[name] == 0 {
					lostAcked++
				}
			}
			for name, n := range names {
				if n > 1 {
					t.Errorf("%s joined %d times", name, n)
				}
			}
			t.Logf("WaitReplicas %d: %d joins acknowledged, %d of them lost; %d resyncs of the watcher", wait, len(acked), lostAcked, rec.lostOf(id))
			switch {
			case wait > 0 && lostAcked > 0:
				t.Errorf("%d acknowledged joins lost with WaitReplicas %d", lostAcked, wait)
			case wait == 0 && lostAcked == 0:
				t.Errorf("no acknowledged join lost without WaitReplicas: the test did not make the promoted replica miss any")
			}
		})
	}
}

// createAcked creates tournament id through s and retries as a client does until s acknowledges
// it: with WaitReplicas on a loaded machine, a replica may not confirm the first try within the
// wait timeout, which is then answered unavailable though the tournament is on the master, and
// the retry finds it (already exists) and waits for a replica to have it (Confirm). It returns
// version 1's position, as the first try made it.
func createAcked(t *testing.T, s *redisstore.Store, id string) store.Position {
	t.Helper()
	var p store.Position
	waitUntil(t, "the create of "+id+" acknowledged", func() bool {
		a, err := s.Create(ctxFor(t), id, createCmd("Cup "+id, match.SingleElimination), time.Now())
		var me *match.Error
		switch {
		case err == nil:
			p = store.Position{Epoch: a.Epoch, Version: a.Version, Rev: a.Rev}
			return true
		case errors.As(err, &me) && me.Code == match.CodeAlreadyExists:
			if err := s.Confirm(ctxFor(t), id); err != nil {
				if !errors.Is(err, store.ErrUnavailable) {
					t.Fatalf("confirm %s: %v", id, err)
				}
				return false
			}
			if p, err = s.Head(ctxFor(t), id); err != nil {
				t.Fatalf("head of %s: %v", id, err)
			}
			if p.Version != 1 {
				t.Fatalf("%s is at version %d before any command; want 1", id, p.Version)
			}
			return true
		case errors.Is(err, store.ErrUnavailable):
			return false
		}
		t.Fatalf("create %s: %v", id, err)
		return false
	})
	return p
}

// applyAcked applies cmd with submission id sub through s, retried as a client does while s
// answers unavailable (a replica has not confirmed it yet), and returns the acknowledged outcome.
func applyAcked(t *testing.T, s *redisstore.Store, id string, cmd match.Command, sub string) store.Applied {
	t.Helper()
	var a store.Applied
	waitUntil(t, "the "+string(cmd.Type)+" with submission "+sub+" acknowledged", func() bool {
		var err error
		a, err = s.Apply(ctxFor(t), id, cmd, sub)
		if err != nil && !errors.Is(err, store.ErrUnavailable) {
			t.Fatalf("%s %s: %v", cmd.Type, sub, err)
		}
		return err == nil
	})
	return a
}
