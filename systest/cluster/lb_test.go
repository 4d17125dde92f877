package cluster

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/tourhub/tourhub/internal/proctest"
	"github.com/tourhub/tourhub/internal/redistest"
	"github.com/tourhub/tourhub/match"
)

// startHAProxy runs deploy/haproxy.cfg, the file docker-compose.yml mounts, in front of nodes:
// only its bind address and its server addresses are replaced (compose's hubN:8080 become the
// nodes' 127.0.0.1 ports). It returns the balancer's address.
func startHAProxy(t *testing.T, nodes []*node) string {
	t.Helper()
	bin, err := exec.LookPath("haproxy")
	if err != nil {
		bin, err = exec.LookPath("/usr/sbin/haproxy") // not on a non-root PATH
	}
	if err != nil {
		t.Fatal("haproxy is not installed: apt-get install haproxy (the README's test command installs it through .ci/deps)")
	}
	raw, err := os.ReadFile("../../deploy/haproxy.cfg")
	if err != nil {
		t.Fatal(err)
	}
	addr := "127.0.0.1:" + strconv.Itoa(redistest.FreePort(t))
	cfg := string(raw)
	bind := regexp.MustCompile(`(?m)^(\s*bind\s+):8080\b`)
	if !bind.MatchString(cfg) {
		t.Fatal("deploy/haproxy.cfg: no `bind :8080` line")
	}
	cfg = bind.ReplaceAllString(cfg, "${1}"+addr)
	for _, n := range nodes {
		server := regexp.MustCompile(fmt.Sprintf(`(?m)^(\s*server\s+hub%d\s+)hub%d:8080\b`, n.i, n.i))
		if !server.MatchString(cfg) {
			t.Fatalf("deploy/haproxy.cfg: no `server hub%d hub%d:8080` line", n.i, n.i)
		}
		cfg = server.ReplaceAllString(cfg, "${1}"+n.addr)
	}
	path := filepath.Join(t.TempDir(), "haproxy.cfg")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bin, "-c", "-f", path).CombinedOutput(); err != nil {
		t.Fatalf("haproxy -c: %v\n%s", err, out)
	}
	p := proctest.Start(t, "haproxy", bin, "-db", "-f", path)
	lb := &node{i: 0, addr: addr, p: p}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for probe(ctx, lb.base()+"/readyz") != http.StatusOK {
		select {
		case <-p.Done():
			t.Fatalf("haproxy exited:\n%s", lb.out())
		case <-ctx.Done():
			t.Fatalf("/readyz through haproxy never answered 200:\n%s", lb.out())
		case <-time.After(25 * time.Millisecond):
		}
	}
	return addr
}

// behindHAProxy starts three nodes on one Redis and deploy/haproxy.cfg in front of them, and
// returns a context for the test (90 s), the nodes and the balancer.
func behindHAProxy(t *testing.T) (context.Context, *cluster, *node) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	t.Cleanup(cancel)
	c := newCluster(t, 3, redistest.Options{})
	return ctx, c, &node{i: 0, addr: startHAProxy(t, c.nodes)}
}

// sockets reads the tourhub_ws_sockets gauge of n.
func sockets(ctx context.Context, t *testing.T, n *node) int {
	t.Helper()
	return int(metricValue(ctx, t, n, "tourhub_ws_sockets"))
}

// TestLoadBalancer runs the compose deployment's HAProxy configuration in front of three real
// nodes, and everything goes through the balancer: the API, the WebSocket upgrades (spread over
// the nodes), a tournament played to the end. One node is killed mid-way: the balancer routes
// around it, and its clients reconnect through the balancer with their (epoch, version) and
// resume with nothing missed.
func TestLoadBalancer(t *testing.T) {
	t.Parallel()
	ctx, c, lb := behindHAProxy(t)
	via := []*node{lb}

	tr := create(ctx, t, lb, t.Name(), match.Settings{Format: match.RoundRobin})
	for i := range 8 {
		tr.join(ctx, t, lb, fmt.Sprintf("P%d", i+1))
	}
	all, _ := watchers(ctx, t, via, tr, 4, 8) // 12 sockets through the balancer
	held := make([]int, len(c.nodes))
	for i, n := range c.nodes {
		held[i] = sockets(ctx, t, n)
		if held[i] == 0 {
			t.Errorf("node %d holds no socket: the balancer did not spread %d sockets (%v)", n.i, len(all), held)
		}
	}
	tr.start(ctx, t, lb)
	if _, err := organiserPlay(ctx, via, tr, 8, 0); err != nil {
		t.Fatal(err)
	}
	v := getState(ctx, t, lb, tr.id).Version
	for _, cl := range all {
		cl.waitVersion(ctx, v)
	}

	victim := c.nodes[2]
	k := sockets(ctx, t, victim)
	victim.kill()
	var orphans []*client
	deadline := time.Now().Add(10 * time.Second)
	for {
		orphans = orphans[:0]
		for _, cl := range all {
			cl.mu.Lock()
			down := cl.readErr != nil
			cl.mu.Unlock()
			if down {
				orphans = append(orphans, cl)
			}
		}
		if len(orphans) == k || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(orphans) != k {
		t.Fatalf("%d sockets ended after node %d was killed; it held %d", len(orphans), victim.i, k)
	}
	// Requests keep working through the balancer while it notices the node is gone.
	if _, err := organiserPlay(ctx, via, tr, 8, 0); err != nil {
		t.Fatal(err)
	}
	missed := getState(ctx, t, lb, tr.id).Version
	for _, cl := range orphans {
		if sub := cl.connect(ctx, lb); !sub.Recovered {
			t.Errorf("%s: resubscribed through the balancer at v%d: recovered false; want true", cl.name, v)
		}
		cl.waitVersion(ctx, missed)
	}
	if _, err := organiserPlay(ctx, via, tr, 1000, 0); err != nil {
		t.Fatal(err)
	}
	final := finished(ctx, t, lb, tr, all)
	t.Logf("sockets per node through the balancer %v; node %d killed at v%d with %d; they resumed at v%d; final v%d",
		held, victim.i, v, k, missed, final.Version)
}

// TestLoadBalancerRateLimitsTheRealClient runs the per-client API rate limit behind the compose
// deployment's HAProxy configuration, with the nodes trusting only the balancer (as compose's
// HUB_TRUSTED_PROXIES does). Loopback has a whole /8, so two clients dial the balancer from
// addresses of their own: 127.0.0.2 makes up an X-Forwarded-For entry on every request (a new
// address, or 127.0.0.3's), and must stay within its own limit; 127.0.0.3 must then still have
// its whole quota. Each node limits on its own, so a client gets at most a burst per node.
func TestLoadBalancerRateLimitsTheRealClient(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	const burst, requests = 4, 60
	c := &cluster{t: t, redis: redistest.Start(t), secret: secret, flags: []string{
		"--trusted-proxies", "127.0.0.1", // HAProxy reaches the nodes from 127.0.0.1
		"--http-rate", "0.001", "--http-burst", strconv.Itoa(burst),
	}}
	for range 3 {
		c.startNode()
	}
	lb := startHAProxy(t, c.nodes)
	from := func(ip string) *http.Client {
		d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
		tr := &http.Transport{DialContext: d.DialContext}
		t.Cleanup(tr.CloseIdleConnections)
		return &http.Client{Transport: tr, Timeout: 10 * time.Second}
	}
	get := func(cl *http.Client, xff string) int {
		t.Helper()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+lb+"/api/tournaments", nil)
		if err != nil {
			t.Fatal(err)
		}
		if xff != "" {
			req.Header.Set("X-Forwarded-For", xff)
		}
		resp, err := cl.Do(req)
		if err != nil {
			t.Fatalf("GET through the balancer: %v", err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}

	mallory, alice := from("127.0.0.2"), from("127.0.0.3")
	accepted := 0
	for i := range requests {
		xff := fmt.Sprintf("198.51.100.%d", i+1)
		if i%2 == 1 {
			xff = "127.0.0.3"
		}
		switch code := get(mallory, xff); code {
		case http.StatusOK:
			accepted++
		case http.StatusTooManyRequests:
		default:
			t.Fatalf("request %d: %d; want 200 or 429", i+1, code)
		}
	}
	if accepted < burst || accepted > burst*len(c.nodes) {
		t.Errorf("a client making up X-Forwarded-For got %d of %d requests accepted; want %d to %d (a burst of %d per node)",
			accepted, requests, burst, burst*len(c.nodes), burst)
	}
	for i := range burst {
		if code := get(alice, ""); code != http.StatusOK {
			t.Errorf("request %d of 127.0.0.3 after another client wrote its address: %d; want 200 (its own quota is untouched)", i+1, code)
		}
	}
	t.Logf("through HAProxy: %d of %d requests with a made-up X-Forwarded-For accepted (burst %d on each of %d nodes)",
		accepted, requests, burst, len(c.nodes))
}

// TestLoadBalancerTournamentAffinity: the compose deployment's HAProxy configuration sends every
// API request of one tournament to one node, chosen by its id, so that node commits its commands
// without checking its cached state first (tourhub_redis_unchecked_commits_total). The create,
// which has no id yet, may land anywhere.
func TestLoadBalancerTournamentAffinity(t *testing.T) {
	t.Parallel()
	ctx, c, lb := behindHAProxy(t)
	counts := func() (commits, unchecked []float64) {
		return perNode(ctx, t, c.nodes, "tourhub_redis_commits_total"), perNode(ctx, t, c.nodes, "tourhub_redis_unchecked_commits_total")
	}
	const players = 6
	for k := range 4 {
		tr := create(ctx, t, lb, fmt.Sprintf("%s %d", t.Name(), k), match.Settings{Format: match.SingleElimination})
		c0, u0 := counts()
		for i := range players {
			tr.join(ctx, t, lb, fmt.Sprintf("P%d", i+1))
		}
		tr.start(ctx, t, lb)
		c1, u1 := counts()
		home := -1
		for i := range c.nodes {
			switch d := c1[i] - c0[i]; {
			case d == 0:
			case d == players+1 && home < 0:
				home = i
			default:
				t.Fatalf("tournament %s: commits per node went %v -> %v; want all %d on one node", tr.id, c0, c1, players+1)
			}
		}
		if home < 0 {
			t.Fatalf("tournament %s: commits per node went %v -> %v; want %d on one node", tr.id, c0, c1, players+1)
		}
		// The first command reads the state (or checks what the create cached), the next two
		// are checked, and the others go unchecked.
		if d := u1[home] - u0[home]; d < players-2 {
			t.Errorf("tournament %s: node %d committed %v of its %d commands unchecked; want at least %d", tr.id, c.nodes[home].i, d, players+1, players-2)
		}
		if st := getState(ctx, t, lb, tr.id); st.Status != match.StatusRunning || len(st.Participants) != players {
			t.Errorf("tournament %s: %s with %d players; want running with %d", tr.id, st.Status, len(st.Participants), players)
		}
		t.Logf("tournament %s: all on node %d, %v unchecked", tr.id, c.nodes[home].i, u1[home]-u0[home])
	}
}

// TestLoadBalancerTournamentNodeDies: the node a tournament's API goes to is killed, and the
// tournament's next requests through the balancer still succeed at once (retried on another node
// while the health checks have not yet taken it out, then sent to the next node of the hash) and
// commit on the survivors.
func TestLoadBalancerTournamentNodeDies(t *testing.T) {
	t.Parallel()
	ctx, c, lb := behindHAProxy(t)
	const commits = "tourhub_redis_commits_total"
	tr := create(ctx, t, lb, t.Name(), match.Settings{Format: match.SingleElimination})
	before := perNode(ctx, t, c.nodes, commits)
	for i := range 3 {
		tr.join(ctx, t, lb, fmt.Sprintf("P%d", i+1))
	}
	var home *node
	var survivors []*node
	for i, v := range perNode(ctx, t, c.nodes, commits) {
		if v-before[i] == 3 {
			home = c.nodes[i]
		} else {
			survivors = append(survivors, c.nodes[i])
		}
	}
	if home == nil {
		t.Fatal("the three joins did not all commit on one node")
	}
	home.kill()
	after := perNode(ctx, t, survivors, commits)
	for i := 3; i < 6; i++ {
		tr.join(ctx, t, lb, fmt.Sprintf("P%d", i+1)) // fails the test unless 201
	}
	tr.start(ctx, t, lb)
	moved := 0.0
	for i, v := range perNode(ctx, t, survivors, commits) {
		moved += v - after[i]
	}
	if moved != 4 {
		t.Errorf("the survivors committed %v commands after node %d died; want the 4 sent", moved, home.i)
	}
	if st := getState(ctx, t, lb, tr.id); st.Status != match.StatusRunning || len(st.Participants) != 6 {
		t.Errorf("%s with %d players; want running with 6", st.Status, len(st.Participants))
	}
}

// perNode reads the unlabelled metric name from each of nodes.
func perNode(ctx context.Context, t *testing.T, nodes []*node, name string) []float64 {
	t.Helper()
	out := make([]float64, len(nodes))
	for i, n := range nodes {
		out[i] = metricValue(ctx, t, n, name)
	}
	return out
}
