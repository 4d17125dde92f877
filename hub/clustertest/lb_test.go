package clustertest

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/tourhub/tourhub/hub/internal/redistest"
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
	out := &syncBuffer{}
	cmd := exec.Command(bin, "-db", "-f", path)
	cmd.Stdout, cmd.Stderr = out, out
	orphanGuard(cmd)
	if err := cmd.Start(); err != nil {
		t.Fatalf("start haproxy: %v", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-done
		if t.Failed() {
			t.Logf("---- haproxy output ----\n%s", out.String())
		}
	})
	lb := &node{i: 0, addr: addr, done: done}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for probe(ctx, lb.base()+"/readyz") != http.StatusOK {
		select {
		case <-done:
			t.Fatalf("haproxy exited:\n%s", out.String())
		case <-ctx.Done():
			t.Fatalf("/readyz through haproxy never answered 200:\n%s", out.String())
		case <-time.After(25 * time.Millisecond):
		}
	}
	return addr
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
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	c := newCluster(t, 3, redistest.Options{})
	lb := &node{i: 0, addr: startHAProxy(t, c.nodes)}
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
