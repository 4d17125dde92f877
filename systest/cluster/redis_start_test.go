package cluster

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tourhub/tourhub/internal/proctest"
	"github.com/tourhub/tourhub/internal/redistest"
)

// startHub starts one hub process with args (after an address, a secret and a short drain) and
// returns once it has printed its address or exited; n.addr is empty if it exited first.
func startHub(t *testing.T, args ...string) *node {
	t.Helper()
	p := proctest.Start(t, "hub", proctest.Build(t, proctest.Hub),
		append([]string{"--addr", "127.0.0.1:0", "--secret", secret, "--drain-timeout", "2s"}, args...)...)
	n := &node{i: 1, p: p}
	deadline := time.After(30 * time.Second)
	for {
		if _, rest, ok := strings.Cut(n.out(), "listening on "); ok {
			n.addr, _, _ = strings.Cut(rest, "\n")
			return n
		}
		select {
		case <-p.Done():
			return n
		case <-deadline:
			t.Fatalf("hub neither listened nor exited within 30s:\n%s", n.out())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// TestRedisMistakeStopsTheNode: a Redis URL that can never work (no such database, no password
// or a wrong one, --redis-cluster on a plain Redis) stops the node at start with what to change,
// instead of a node that stays up unready, retrying and logging forever.
func TestRedisMistakeStopsTheNode(t *testing.T) {
	t.Parallel()
	open := redistest.Start(t)
	locked := redistest.Start(t)
	if _, err := locked.Do("CONFIG", "SET", "requirepass", "s3cret"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		want []string
		hide string // must not appear in the output
	}{
		{"database out of range", []string{"--redis", "redis://" + open.Addr() + "/99"}, []string{"database 99", "DB index is out of range", "numbered 0 to 15"}, ""},
		{"no password", []string{"--redis", "redis://" + locked.Addr() + "/0"}, []string{"NOAUTH", "wants a password", "redis://:PASSWORD@"}, ""},
		{"wrong password", []string{"--redis", "redis://:guess@" + locked.Addr() + "/0"}, []string{"WRONGPASS", "refused the user name or password", "redis://:***@"}, "guess"},
		{"cluster flag on a plain Redis", []string{"--redis", "redis://" + open.Addr(), "--redis-cluster"}, []string{"not a Redis Cluster", "drop --redis-cluster"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			n := startHub(t, tc.args...)
			select {
			case <-n.p.Done():
			case <-time.After(30 * time.Second):
				t.Fatalf("the node is still running 30s after start; want it stopped with the mistake:\n%s", n.out())
			}
			out := n.out()
			if n.addr != "" {
				t.Errorf("the node listened on %s before stopping; want it to stop first", n.addr)
			}
			if code := n.p.Cmd.ProcessState.ExitCode(); code != 1 {
				t.Errorf("exit code %d; want 1", code)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			if tc.hide != "" && strings.Contains(out, tc.hide) {
				t.Errorf("output shows the password %q:\n%s", tc.hide, out)
			}
		})
	}
	// The right password works.
	n := startHub(t, "--redis", "redis://:s3cret@"+locked.Addr()+"/0")
	if n.addr == "" {
		t.Fatalf("with the right password the node stopped:\n%s", n.out())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	waitReadyz(ctx, t, n, http.StatusOK)
}

// TestRedisNotUpYet: Redis that is not up yet is not a mistake: the node starts unready, becomes
// ready by itself when Redis comes up, and meanwhile writes each repeated warning once (then once
// per 30 s with a count), not once per probe.
func TestRedisNotUpYet(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	r := redistest.Start(t)
	r.Stop()
	n := startHub(t, "--redis", r.URL(), "--sweep-every", "20ms")
	if n.addr == "" {
		t.Fatalf("the node stopped with Redis not up yet; want it up and unready:\n%s", n.out())
	}
	const probes = 5
	for range probes {
		if code := probe(ctx, n.base()+"/readyz"); code != http.StatusServiceUnavailable {
			t.Fatalf("/readyz with Redis down: %d; want 503", code)
		}
	}
	// The sweeper has failed on every tick too: at 20 ms, dozens of times by now.
	out := n.out()
	for _, msg := range []string{`msg="store not ready"`, `msg="read due deadlines"`} {
		if !strings.Contains(out, msg) {
			t.Errorf("no %s warning with Redis down:\n%s", msg, out)
		}
	}
	seen := map[string]int{}
	for line := range strings.Lines(out) {
		if _, rest, ok := strings.Cut(line, " level=WARN "); ok {
			if seen[rest]++; seen[rest] == 2 {
				t.Errorf("written more than once in %d probes; want once (repeats are counted, not written): %s", probes, rest)
			}
		}
	}
	if strings.Contains(out, "pool.go:") {
		t.Errorf("go-redis writes to stderr on its own; want its lines in the node's log:\n%s", out)
	}
	r.Restart()
	waitReadyz(ctx, t, n, http.StatusOK)
}

// waitReadyz polls n's /readyz until it answers want.
func waitReadyz(ctx context.Context, t *testing.T, n *node, want int) {
	t.Helper()
	last := 0
	for {
		if last = probe(ctx, n.base()+"/readyz"); last == want {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("/readyz: got %d; want %d", last, want)
		case <-n.p.Done():
			t.Fatalf("the node exited:\n%s", n.out())
		case <-time.After(25 * time.Millisecond):
		}
	}
}
