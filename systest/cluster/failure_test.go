package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tourhub/tourhub/internal/redistest"
	"github.com/tourhub/tourhub/match"
)

// organiserPlay reports up to limit ready matches as the organiser (final results, one version
// each), spreading the requests over nodes, and returns how many it reported. It stops early when
// the tournament finishes. It does not touch the testing.T, so it may run in a goroutine.
func organiserPlay(ctx context.Context, nodes []*node, tr *tourney, limit int, pace time.Duration) (int, error) {
	return organiserPlayRetry(ctx, nodes, tr, limit, pace, false)
}

// organiserPlayRetry is organiserPlay; with retry, a request that fails in transport (its node is
// gone) or answers 503 (the store is unavailable for now) is sent again, with the same submission
// id, to the next node, until another answer or ctx ends.
func organiserPlayRetry(ctx context.Context, nodes []*node, tr *tourney, limit int, pace time.Duration, retry bool) (int, error) {
	again := func(try int, status int, err error) bool {
		if !retry || err == nil && status != http.StatusServiceUnavailable || ctx.Err() != nil {
			return false
		}
		if try >= len(nodes) {
			time.Sleep(50 * time.Millisecond) // every node tried: give the store a moment
		}
		return true
	}
	done := 0
	for pass := 0; done < limit; pass++ {
		n := nodes[pass%len(nodes)]
		status, b, err := tryCall(ctx, http.MethodGet, n.base()+"/api/tournaments/"+tr.id, "", nil)
		for try := 1; again(try, status, err); try++ {
			n = nodes[(pass+try)%len(nodes)]
			status, b, err = tryCall(ctx, http.MethodGet, n.base()+"/api/tournaments/"+tr.id, "", nil)
		}
		if err != nil || status != http.StatusOK {
			return done, fmt.Errorf("get state on node %d: %d %s %v", n.i, status, b, err)
		}
		var st state
		if err := json.Unmarshal(b, &st); err != nil {
			return done, err
		}
		if st.Status != match.StatusRunning {
			return done, nil
		}
		reported := 0
		for _, m := range st.Matches {
			if m.Status != match.MatchReady || done >= limit {
				continue
			}
			n := nodes[(done+pass)%len(nodes)]
			scores := [2]int{1, 0}
			if m.ID%3 == 0 {
				scores = [2]int{0, 1}
			}
			body := map[string]any{"scores": scores, "submission_id": fmt.Sprintf("org-m%d", m.ID)}
			status, b, err := tryCall(ctx, http.MethodPost, resultURL(n, tr.id, m.ID), tr.orgToken, body)
			for try := 1; again(try, status, err); try++ {
				// The node is gone, or the store unavailable: the same submission, through
				// another node, answers the first outcome if the commit happened, or commits
				// it now.
				n = nodes[(done+pass+try)%len(nodes)]
				status, b, err = tryCall(ctx, http.MethodPost, resultURL(n, tr.id, m.ID), tr.orgToken, body)
			}
			if err != nil || status != http.StatusOK {
				return done, fmt.Errorf("report match %d on node %d: %d %s %v", m.ID, n.i, status, b, err)
			}
			done++
			reported++
			if pace > 0 {
				select {
				case <-time.After(pace):
				case <-ctx.Done():
					return done, ctx.Err()
				}
			}
		}
		if reported == 0 {
			return done, errors.New("running with no ready match")
		}
	}
	return done, nil
}

// watchers connects a spectator on every node plus a socket for each of the first nplayers players
// on node pid%len(nodes).
func watchers(ctx context.Context, t *testing.T, nodes []*node, tr *tourney, spectatorsPerNode, nplayers int) (all []*client, byNode map[int][]*client) {
	byNode = map[int][]*client{}
	for _, n := range nodes {
		for k := range spectatorsPerNode {
			sp := newClient(t, fmt.Sprintf("spectator%d@n%d", k, n.i), tr.id, "")
			sp.connect(ctx, n)
			all = append(all, sp)
			byNode[n.i] = append(byNode[n.i], sp)
		}
	}
	for p := match.PlayerID(1); int(p) <= nplayers; p++ {
		n := nodes[int(p)%len(nodes)]
		pc := newClient(t, fmt.Sprintf("player%d@n%d", p, n.i), tr.id, tr.players[p])
		pc.connect(ctx, n)
		all = append(all, pc)
		byNode[n.i] = append(byNode[n.i], pc)
	}
	return all, byNode
}

// setup creates a started tournament with nplayers players who joined on different nodes.
func setup(ctx context.Context, t *testing.T, c *cluster, s match.Settings, nplayers int) *tourney {
	tr := create(ctx, t, c.nodes[0], t.Name(), s)
	for i := range nplayers {
		tr.join(ctx, t, c.nodes[i%len(c.nodes)], fmt.Sprintf("P%d", i+1))
	}
	return tr
}

// TestClusterPubSubKilled kills every node's pub/sub connection (CLIENT KILL TYPE pubsub) several
// times while results stream in through all nodes: every socket on every node still gets every
// version exactly once, in order, without a gap (the nodes fill what pub/sub lost from the stream).
func TestClusterPubSubKilled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	c := newCluster(t, 3, redistest.Options{})
	tr := setup(ctx, t, c, match.Settings{Format: match.RoundRobin}, 12) // 66 matches
	all, _ := watchers(ctx, t, c.nodes, tr, 2, 12)
	tr.start(ctx, t, c.nodes[0])
	start := getState(ctx, t, c.nodes[1], tr.id).Version

	type result struct {
		n   int
		err error
	}
	res := make(chan result, 1)
	go func() {
		n, err := organiserPlay(ctx, c.nodes, tr, 1000, 5*time.Millisecond)
		res <- result{n, err}
	}()

	// Kill pub/sub each time the stream has moved on by 8 versions, as one spectator sees it.
	watch := all[0]
	kills := []int{}
	for k := 1; k <= 5; k++ {
		watch.waitVersion(ctx, start+int64(8*k))
		kills = append(kills, c.redis.KillPubSubClients())
	}
	r := <-res
	if r.err != nil {
		t.Fatalf("reporting: %v (after %d reports)", r.err, r.n)
	}
	if kills[0] != 3 {
		t.Errorf("first CLIENT KILL closed %d pub/sub connections; want 3 (one per node)", kills[0])
	}
	final := finished(ctx, t, c.nodes[2], tr, all)
	t.Logf("%d results, pub/sub connections killed %v, %d sockets checked up to v%d", r.n, kills, len(all), final.Version)
}

// TestClusterNodeKilled kills (SIGKILL) a node that holds players' and a spectator's sockets; more
// results are reported through the other nodes while it is down; its clients reconnect to the
// other nodes with their (epoch, version) and get recovered:true and exactly the events they
// missed, in order, then the rest of the tournament live.
func TestClusterNodeKilled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	c := newCluster(t, 3, redistest.Options{})
	tr := setup(ctx, t, c, match.Settings{Format: match.RoundRobin}, 9) // 36 matches
	all, byNode := watchers(ctx, t, c.nodes, tr, 1, 9)
	tr.start(ctx, t, c.nodes[0])

	if _, err := organiserPlay(ctx, c.nodes, tr, 10, 0); err != nil {
		t.Fatal(err)
	}
	v := getState(ctx, t, c.nodes[0], tr.id).Version
	for _, cl := range all {
		cl.waitVersion(ctx, v)
	}

	victim := c.nodes[2]
	victim.kill()
	orphans := byNode[victim.i]
	for _, cl := range orphans {
		cl.waitDown(ctx)
	}
	survivors := c.nodes[:2]
	if _, err := organiserPlay(ctx, survivors, tr, 10, 0); err != nil {
		t.Fatal(err)
	}
	missed := getState(ctx, t, c.nodes[1], tr.id).Version
	if missed <= v {
		t.Fatalf("no version while the node was down")
	}
	for i, cl := range orphans {
		sub := cl.connect(ctx, survivors[i%2])
		if !sub.Recovered {
			t.Errorf("%s: resubscribed at v%d: recovered false; want true", cl.name, v)
		}
		cl.waitVersion(ctx, missed)
	}
	if _, err := organiserPlay(ctx, survivors, tr, 1000, 0); err != nil {
		t.Fatal(err)
	}
	final := finished(ctx, t, c.nodes[0], tr, all)
	t.Logf("node %d killed at v%d; its %d clients resumed at v%d; final v%d", victim.i, v, len(orphans), missed, final.Version)
}

// TestClusterRedisRestart stops Redis (AOF on, so data survives) under running nodes: /readyz says
// 503 and writes get 503 unavailable while it is down, sockets stay open; when Redis is back every
// node becomes ready by itself, writes work again, and every socket ends consistent with the state.
func TestClusterRedisRestart(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	c := newCluster(t, 3, redistest.Options{AOF: true})
	tr := setup(ctx, t, c, match.Settings{Format: match.SingleElimination}, 8)
	all, _ := watchers(ctx, t, c.nodes, tr, 1, 8)
	for _, cl := range all {
		cl.allowResync = true
	}
	tr.start(ctx, t, c.nodes[0])
	if _, err := organiserPlay(ctx, c.nodes, tr, 2, 0); err != nil {
		t.Fatal(err)
	}
	st := getState(ctx, t, c.nodes[0], tr.id)
	for _, cl := range all {
		cl.waitVersion(ctx, st.Version)
	}
	var ready match.Match
	for _, m := range st.Matches {
		if m.Status == match.MatchReady {
			ready = m
			break
		}
	}

	c.redis.Stop()
	for _, n := range c.nodes {
		c.waitReady(ctx, n, http.StatusServiceUnavailable)
	}
	for _, n := range c.nodes {
		status, b := call(ctx, t, http.MethodPost, resultURL(n, tr.id, ready.ID), tr.orgToken,
			map[string]any{"scores": []int{1, 0}, "submission_id": "while-down"})
		var e apiError
		_ = json.Unmarshal(b, &e)
		if status != http.StatusServiceUnavailable || e.Error.Code != "unavailable" || !strings.Contains(e.Error.Message, "retry") {
			t.Errorf("write on node %d with Redis down: got %d %s; want 503 unavailable, a message that says retry", n.i, status, b)
		}
	}
	for _, cl := range all {
		if r := cl.request(ctx, map[string]any{"type": "ping"}); r.Type != "pong" {
			t.Errorf("%s: ping with Redis down: got %+v", cl.name, r)
		}
	}

	c.redis.Restart()
	for _, n := range c.nodes {
		c.waitReady(ctx, n, http.StatusOK)
	}
	// The write refused while Redis was down was not applied; the same submission now is.
	retries := 0
	for {
		status, b := call(ctx, t, http.MethodPost, resultURL(c.nodes[retries%3], tr.id, ready.ID), tr.orgToken,
			map[string]any{"scores": []int{1, 0}, "submission_id": "while-down"})
		if status == http.StatusOK {
			var a resultAnswer
			_ = json.Unmarshal(b, &a)
			if a.Duplicate || a.Version != st.Version+1 {
				t.Errorf("first write after restart: duplicate %v version %d; want a new version %d", a.Duplicate, a.Version, st.Version+1)
			}
			break
		}
		retries++
		if status != http.StatusServiceUnavailable || retries > 50 || ctx.Err() != nil {
			t.Fatalf("write after Redis came back (ready): got %d %s", status, b)
		}
		select {
		case <-time.After(100 * time.Millisecond):
		case <-ctx.Done():
		}
	}
	if retries > 0 {
		t.Logf("first write after /readyz recovered needed %d retries", retries)
	}
	if _, err := organiserPlay(ctx, c.nodes, tr, 1000, 0); err != nil {
		t.Fatal(err)
	}
	final := getState(ctx, t, c.nodes[1], tr.id)
	if final.Status != match.StatusFinished || final.Epoch != st.Epoch {
		t.Errorf("after restart: status %s epoch %s; want finished, epoch %s (AOF keeps it)", final.Status, final.Epoch, st.Epoch)
	}
	for _, cl := range all {
		cl.waitVersion(ctx, final.Version)
	}
	resyncs := 0
	for _, cl := range all {
		cl.check(final.Version)
		cl.mu.Lock()
		if cl.epoch != final.Epoch {
			t.Errorf("%s: epoch %s; want %s", cl.name, cl.epoch, final.Epoch)
		}
		resyncs += len(cl.snapshots) - 1
		cl.mu.Unlock()
	}
	t.Logf("Redis restarted at v%d; final v%d; %d sockets, %d extra snapshots", st.Version, final.Version, len(all), resyncs)
}

// TestClusterRedisRollback: Redis comes back older than it was (restarted from a dump taken
// mid-tournament, without the commits after it: an RDB snapshot, or an AOF written every second
// after a host crash), under the same epoch, and new commits reuse the lost version numbers. Nothing
// built on the lost commits may reach a client: every live socket on every node is resynced with a
// snapshot of the stored history, a client that resumes from a lost position gets recovered:false
// and a snapshot, every node says so in its log and in tourhub_redis_rollbacks_total, and the
// tournament plays on to the end.
func TestClusterRedisRollback(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	c := newCluster(t, 3, redistest.Options{})
	tr := setup(ctx, t, c, match.Settings{Format: match.SingleElimination}, 8)
	all, _ := watchers(ctx, t, c.nodes, tr, 1, 8)
	for _, cl := range all {
		cl.allowResync = true
	}
	tr.start(ctx, t, c.nodes[0])
	if _, err := organiserPlay(ctx, c.nodes, tr, 1, 0); err != nil {
		t.Fatal(err)
	}
	saved := getState(ctx, t, c.nodes[0], tr.id)
	if _, err := c.redis.Do("SAVE"); err != nil {
		t.Fatal(err)
	}
	// Two results that the dump does not have: the second player wins each (the results after
	// the restart differ, so that the lost history and the new one are different brackets).
	lostResults := 0
	for _, m := range saved.Matches {
		if m.Status != match.MatchReady || lostResults == 2 {
			continue
		}
		mustCall(ctx, t, http.MethodPost, resultURL(c.nodes[lostResults], tr.id, m.ID), tr.orgToken,
			map[string]any{"scores": []int{0, 1}, "submission_id": fmt.Sprintf("lost-m%d", m.ID)}, http.StatusOK, nil)
		lostResults++
	}
	lost := getState(ctx, t, c.nodes[0], tr.id)
	for _, cl := range all {
		cl.waitVersion(ctx, lost.Version)
	}
	stale := newClient(t, "stale", tr.id, "")
	stale.connect(ctx, c.nodes[1])
	stale.waitVersion(ctx, lost.Version)
	stale.close()

	c.redis.Restart() // loads the dump: back at saved.Version, same epoch
	if back := getStateWhenReady(ctx, t, c, tr.id); back.Version != saved.Version || back.Epoch != saved.Epoch {
		t.Fatalf("after the restart: v%d epoch %s; want the dump's v%d epoch %s", back.Version, back.Epoch, saved.Version, saved.Epoch)
	}
	if _, err := organiserPlay(ctx, c.nodes, tr, 1000, 0); err != nil {
		t.Fatal(err)
	}
	final := getState(ctx, t, c.nodes[2], tr.id)
	if final.Status != match.StatusFinished || final.Version <= lost.Version {
		t.Fatalf("final: %s v%d; want finished beyond the lost v%d (the versions were reused)", final.Status, final.Version, lost.Version)
	}
	log := getEvents(ctx, t, c.nodes[0], tr.id)

	// The node may not have noticed the rollback yet (its pub/sub reconnects): the resume alone
	// must be refused. (When the node notices, it resyncs its sockets again: allowResync.)
	stale.allowResync = true
	r := stale.connect(ctx, c.nodes[2]) // resumes from (epoch, lost.Version, its rev)
	if r.Recovered || r.Version != final.Version || r.Rev != final.Rev {
		t.Errorf("resume from the lost v%d: %+v; want recovered:false at v%d rev %s", lost.Version, r, final.Version, final.Rev)
	}
	stale.waitFor(ctx, "a snapshot after resuming", func() bool { return len(stale.snapshots) >= 2 })
	all = append(all, stale)
	for _, cl := range all {
		cl.settled(ctx, final.Version, log)
		cl.mu.Lock()
		if cl.rev != final.Rev || len(cl.snapshots) < 2 {
			t.Errorf("%s: at rev %s after %d snapshots; want rev %s, resynced with a second snapshot", cl.name, cl.rev, len(cl.snapshots), final.Rev)
		}
		cl.mu.Unlock()
	}
	for _, n := range c.nodes {
		if got := metricValue(ctx, t, n, "tourhub_redis_rollbacks_total"); got < 1 {
			t.Errorf("node %d: tourhub_redis_rollbacks_total %v; want at least 1", n.i, got)
		}
		if !strings.Contains(n.out(), "redis history went back") {
			t.Errorf("node %d did not log the rollback", n.i)
		}
	}
}

// getStateWhenReady waits until every node is ready again and answers the state of id.
func getStateWhenReady(ctx context.Context, t *testing.T, c *cluster, id string) state {
	t.Helper()
	for _, n := range c.nodes {
		c.waitReady(ctx, n, http.StatusOK)
	}
	return getState(ctx, t, c.nodes[0], id)
}

// TestClusterDeadlines runs a round robin with a 3 s match time limit (warning 1 s before) on three
// nodes that all sweep the shared due set; nobody reports; one node is killed before the first
// deadline. Every match gets exactly one warning and one timeout (a double forfeit), and the
// players on the surviving nodes receive them.
func TestClusterDeadlines(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	c := newCluster(t, 3, redistest.Options{})
	s := match.Settings{Format: match.RoundRobin, MatchTimeLimit: match.Duration(3 * time.Second),
		WarnBefore: match.Duration(time.Second), OnTimeout: match.TimeoutForfeit}
	tr := setup(ctx, t, c, s, 4) // 3 rounds of 2 matches
	all, byNode := watchers(ctx, t, c.nodes, tr, 1, 4)
	// The node that commits the start (and so records the first deadlines) dies before they are due.
	tr.start(ctx, t, c.nodes[2])
	c.nodes[2].kill()
	startedAt := time.Now()

	st := waitStatus(ctx, t, c.nodes[0], tr, match.StatusRunning)
	if st.Status != match.StatusFinished {
		t.Fatalf("status %s; want finished", st.Status)
	}
	log := getEvents(ctx, t, c.nodes[1], tr.id)
	for _, m := range st.Matches {
		if n := log.count(match.EvDeadlineWarning, m.ID); n != 1 {
			t.Errorf("match %d: %d match_deadline_warning events; want 1", m.ID, n)
		}
		if n := log.count(match.EvTimedOut, m.ID); n != 1 {
			t.Errorf("match %d: %d match_timed_out events; want 1", m.ID, n)
		}
	}
	for _, n := range c.nodes[:2] {
		for _, cl := range byNode[n.i] {
			cl.waitVersion(ctx, st.Version)
			cl.check(st.Version)
			if cl.token == "" {
				continue
			}
			var pid match.PlayerID
			fmt.Sscanf(cl.name, "player%d@", &pid)
			mine := 0
			for _, m := range st.Matches {
				if m.Players[0] != pid && m.Players[1] != pid {
					continue
				}
				mine++
				if !cl.sawEvent(match.EvDeadlineWarning, m.ID) || !cl.sawEvent(match.EvTimedOut, m.ID) {
					t.Errorf("%s: did not receive the warning and the timeout of match %d", cl.name, m.ID)
				}
			}
			k := cl.noticeKinds()
			if k["deadline_warning"] != mine || k["timed_out"] != mine {
				t.Errorf("%s: notices %v; want %d deadline_warning and %d timed_out (one per match)", cl.name, k, mine, mine)
			}
			t.Logf("%s notices: %v", cl.name, k)
		}
	}
	_ = all
	t.Logf("%d matches timed out in %v; final v%d", len(st.Matches), time.Since(startedAt).Round(time.Second), st.Version)
}

// TestClusterRedisRestartWithoutPersistence restarts Redis empty (no AOF): the tournament is gone.
// Every node becomes ready again by itself, reads and writes answer 404 on every node, and every
// socket watching it is told: an error not_found naming it ends its subscription, the socket
// stays open, and a resubscribe on it gets not_found.
func TestClusterRedisRestartWithoutPersistence(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	c := newCluster(t, 2, redistest.Options{})
	tr := setup(ctx, t, c, match.Settings{Format: match.SingleElimination}, 4)
	all, _ := watchers(ctx, t, c.nodes, tr, 1, 4)
	tr.start(ctx, t, c.nodes[0])
	v := getState(ctx, t, c.nodes[1], tr.id).Version
	for _, cl := range all {
		cl.waitVersion(ctx, v)
	}

	c.redis.Restart()
	for _, n := range c.nodes {
		c.waitReady(ctx, n, http.StatusOK)
	}
	for _, cl := range all {
		cl.waitFor(ctx, "the subscription ended", func() bool { return len(cl.ended) > 0 || cl.readErr != nil })
		cl.mu.Lock()
		ended, rerr := cl.ended, cl.readErr
		cl.mu.Unlock()
		if rerr != nil || len(ended) != 1 || ended[0].Tournament != tr.id || ended[0].Code != "not_found" {
			t.Errorf("%s: ended %+v, socket error %v; want one error not_found for %s on an open socket", cl.name, ended, rerr, tr.id)
		}
	}
	for _, n := range c.nodes {
		status, b := call(ctx, t, http.MethodGet, n.base()+"/api/tournaments/"+tr.id, "", nil)
		if status != http.StatusNotFound {
			t.Errorf("GET on node %d after the data was lost: %d %s; want 404", n.i, status, b)
		}
		status, b = call(ctx, t, http.MethodPost, resultURL(n, tr.id, 1), tr.orgToken, map[string]any{"scores": []int{1, 0}})
		if status != http.StatusNotFound {
			t.Errorf("report on node %d after the data was lost: %d %s; want 404", n.i, status, b)
		}
	}
	for _, cl := range all {
		r := cl.request(ctx, map[string]any{"type": "subscribe", "tournament": tr.id, "epoch": cl.epoch, "version": cl.version})
		if r.Type != "error" || r.Code != "not_found" {
			t.Errorf("%s: resubscribe to the lost tournament: got %+v; want error not_found", cl.name, r)
		}
	}
}

// TestClusterNodeKilledMidStream kills (SIGKILL) one of three nodes while results stream in
// through all of them; a request that dies with its node is retried on another node with the same
// submission id. Every match completes exactly once (one match_completed each in the log, one
// version per result), and every socket on the surviving nodes gets every version once, in order.
func TestClusterNodeKilledMidStream(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	c := newCluster(t, 3, redistest.Options{})
	tr := setup(ctx, t, c, match.Settings{Format: match.RoundRobin}, 10) // 45 matches
	all, byNode := watchers(ctx, t, c.nodes, tr, 2, 10)
	tr.start(ctx, t, c.nodes[0])
	start := getState(ctx, t, c.nodes[0], tr.id).Version

	type result struct {
		n   int
		err error
	}
	res := make(chan result, 1)
	go func() {
		n, err := organiserPlayRetry(ctx, c.nodes, tr, 1000, 5*time.Millisecond, true)
		res <- result{n, err}
	}()
	all[0].waitVersion(ctx, start+15)
	victim := c.nodes[2]
	victim.kill()
	r := <-res
	if r.err != nil {
		t.Fatalf("reporting: %v (after %d)", r.err, r.n)
	}
	final := getState(ctx, t, c.nodes[0], tr.id)
	if final.Status != match.StatusFinished {
		t.Fatalf("status %s; want finished", final.Status)
	}
	if want := start + int64(len(final.Matches)); final.Version != want {
		t.Errorf("final version %d; want %d (one per match)", final.Version, want)
	}
	log := getEvents(ctx, t, c.nodes[1], tr.id)
	for _, m := range final.Matches {
		if n := log.count(match.EvMatchCompleted, m.ID); n != 1 {
			t.Errorf("match %d: %d match_completed events; want 1", m.ID, n)
		}
	}
	checked := 0
	for _, n := range c.nodes[:2] {
		for _, cl := range byNode[n.i] {
			cl.waitVersion(ctx, final.Version)
			cl.check(final.Version)
			checked++
		}
	}
	t.Logf("%d results; node %d killed after v%d; %d sockets checked up to v%d", r.n, victim.i, start+15, checked, final.Version)
}
