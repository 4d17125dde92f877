package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tourhub/tourhub/internal/proctest"
	"github.com/tourhub/tourhub/internal/redistest"
)

// TestMain removes the binaries that the end-to-end tests share.
func TestMain(m *testing.M) {
	code := m.Run()
	proctest.Cleanup()
	os.Exit(code)
}

// startHub starts the hub on a free loopback port, with its rate limits raised out of the way,
// and returns its base URL and process id. The process is stopped when the test ends.
func startHub(t *testing.T) (string, int) {
	t.Helper()
	return startHubWith(t, "--http-rate", "10000", "--http-burst", "10000")
}

// startHubWith is startHub with the given flags instead: none leaves the hub's defaults, as a
// new user runs it.
func startHubWith(t *testing.T, flags ...string) (string, int) {
	t.Helper()
	args := append([]string{"--addr", "127.0.0.1:0", "--secret", "loadtest-e2e-0123456789abcdef0123456789", "--log-level", "warn"}, flags...)
	p := proctest.StartListening(t, "hub", proctest.Build(t, proctest.Hub), args...)
	return p.URL(), p.Cmd.Process.Pid
}

// TestLatencyAgainstRealHub runs a short latency run with each --pace, and a maxrate run, against
// one real hub. With one node there are no cross-node figures: the table and the chart say n/a,
// the JSON has null, not zeros.
func TestLatencyAgainstRealHub(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and runs the hub")
	}
	base, pid := startHub(t)
	// 4 tournaments of 4 at 40 results/s: 6 reports a tournament at 10/s each, a 0.6 s cycle.
	// At 2/s the cycle is 12 s: with --max-stagger 2s its window is played at 12/s, and by its end
	// the four tournaments are 6, 4.5, 3 and 1.5 reports in (at 2/s they would be about 4 in all).
	for _, tc := range []struct {
		name, scenario, pace string
		stagger              float64 // seconds
		warm                 float64 // the stagger window's rate
		faster               bool    // the window played faster than --rate
		args                 []string
	}{
		{"latency-tournament", "latency", "tournament", 0.6, 40, false, []string{"--duration", "2s"}},
		{"latency-shared", "latency", "shared", 0, 0, false, []string{"--duration", "2s"}},
		{"maxrate-tournament", "maxrate", "tournament", 0.6, 40, false, []string{"--step", "1s", "--duration", "2.5s"}},
		{"latency-tournament-max-stagger", "latency", "tournament", 2, 12, true, []string{"--duration", "2s", "--rate", "2", "--max-stagger", "2s"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			outFile, chartFile := filepath.Join(dir, "r.json"), filepath.Join(dir, "r.svg")
			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			defer cancel()
			var stdout, stderr bytes.Buffer
			err := run(ctx, append([]string{
				"--nodes", base, "--scenario", tc.scenario, "--players", "16", "--tournament-size", "4",
				"--spectators", "2", "--rate", "40", "--deadline", "60s", "--pace", tc.pace,
				"--pids", itoa(pid), "--out", outFile, "--chart", chartFile,
				"--min-rate-pct", "0", // this test checks what is measured, not that a loaded machine keeps up
				"--threshold", "p99>=0", "--threshold", "rate>=0", "--threshold", "errors==0", // hold at any speed
			}, tc.args...), &stdout, &stderr)
			if err != nil {
				t.Fatalf("run: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
			}
			b, err := os.ReadFile(outFile)
			if err != nil {
				t.Fatal(err)
			}
			var res Result
			if err := json.Unmarshal(b, &res); err != nil {
				t.Fatal(err)
			}
			l := res.Latency
			if l == nil || l.Acked == 0 || l.SameNode.Count == 0 {
				t.Fatalf("no results measured: %s", b)
			}
			if res.Failure != "" || len(res.Errors) != 0 || res.Sockets != 18 {
				t.Errorf("got failure %q, errors %v, %d sockets; want none, none, 18", res.Failure, res.Errors, res.Sockets)
			}
			if want := []NodeSockets{{Node: base, Opened: 18, PeakOpen: 18}}; !reflect.DeepEqual(res.PerNode, want) {
				t.Errorf("sockets per node %+v; want %+v", res.PerNode, want)
			}
			if l.Pace != tc.pace || l.StaggerSeconds != tc.stagger || l.StaggerRate != tc.warm {
				t.Errorf("got pace %q, stagger %v s at %v/s; want %q, %v s at %v/s", l.Pace, l.StaggerSeconds, l.StaggerRate, tc.pace, tc.stagger, tc.warm)
			}
			// The window's results are counted apart, and a window played faster than --rate
			// plays that much more: 15 results in the case above, leaving room for slow setups.
			if tc.pace == paceShared && l.StaggerResults != 0 {
				t.Errorf("got %d results in the stagger window of --pace shared; want none", l.StaggerResults)
			}
			if tc.faster {
				if l.StaggerResults < 10 {
					t.Errorf("got %d results in the %v s stagger window at %v/s; want at least 10 of 15", l.StaggerResults, tc.stagger, tc.warm)
				}
				if l.AckedPerSecond > 2*l.TargetRate { // measuring is back at --rate
					t.Errorf("measured %.1f results/s; want about --rate %v/s after the window", l.AckedPerSecond, l.TargetRate)
				}
				if want := fmt.Sprintf("staggered over %.1f s at %.0f/s (6.0x, %d results not measured)", tc.stagger, tc.warm, l.StaggerResults); !strings.Contains(stdout.String(), want) {
					t.Errorf("table lacks %q:\n%s", want, stdout.String())
				}
			}
			if l.SetupSeconds <= 0 {
				t.Errorf("got first setup %v s; want > 0", l.SetupSeconds)
			}
			if l.Acked > l.Sent {
				t.Errorf("got %d acked of %d sent; want at most all", l.Acked, l.Sent)
			}
			if u := l.Usage; len(u.Hubs) != 1 || u.Hubs[0].PID != pid || u.Hubs[0].CPUCores <= 0 || u.Hubs[0].RSSMiB <= 0 ||
				u.HubCPUPerResult <= 0 || u.HubKernelPerResult < 0 || u.HubKernelPerResult > u.HubCPUPerResult ||
				u.LoadTool.CPUCores <= 0 || u.StealCores < 0 || u.Seconds <= 0 {
				t.Errorf("usage %+v; want the hub's CPU (the kernel's part of it no more than the whole) and RSS, the load tool's, and the machine's steal", u)
			}
			if len(res.Series) == 0 {
				t.Error("no per-second series")
			}
			if len(res.Thresholds) != 3 {
				t.Errorf("got thresholds %+v; want 3", res.Thresholds)
			}
			for _, th := range res.Thresholds {
				if !th.Passed || th.Value == nil {
					t.Errorf("threshold %s: got passed %v value %v; want passed, measured", th.Threshold, th.Passed, th.Value)
				}
			}
			if !regexp.MustCompile(`errors==0 +passed  0\n`).MatchString(stdout.String()) {
				t.Errorf("table lacks the threshold errors==0 passed:\n%s", stdout.String())
			}
			if !strings.Contains(stdout.String(), "same-node latency") {
				t.Errorf("table lacks the latency row:\n%s", stdout.String())
			}
			if !regexp.MustCompile(`cross-node latency +n/a \(one node\)\n`).MatchString(stdout.String()) {
				t.Errorf("table lacks cross-node latency n/a (one node):\n%s", stdout.String())
			}
			var raw struct {
				Latency map[string]json.RawMessage `json:"latency"`
			}
			if err := json.Unmarshal(b, &raw); err != nil {
				t.Fatal(err)
			}
			if got := string(raw.Latency["cross_node_latency"]); got != "null" {
				t.Errorf("JSON cross_node_latency: got %s; want null", got)
			}
			if got := string(raw.Latency["store_commits"]); got != "null" { // a memory store counts no commits
				t.Errorf("JSON store_commits: got %s; want null", got)
			}
			if !regexp.MustCompile(`commits retried \(lost CAS\) +n/a`).MatchString(stdout.String()) {
				t.Errorf("table lacks commits retried n/a:\n%s", stdout.String())
			}
			var steps []map[string]json.RawMessage
			if s := raw.Latency["maxrate_steps"]; s != nil {
				if err := json.Unmarshal(s, &steps); err != nil {
					t.Fatal(err)
				}
			}
			if tc.scenario == "maxrate" && len(steps) == 0 {
				t.Errorf("no maxrate steps: %s", b)
			}
			for i, s := range steps {
				if string(s["cross_node_latency"]) != "null" || !bytes.Contains(s["same_node_latency"], []byte(`"p99_ms"`)) {
					t.Errorf("step %d: got cross-node %s, same-node %s; want null, the step's latency", i, s["cross_node_latency"], s["same_node_latency"])
				}
			}
			if tc.stagger > 0 {
				if want := fmt.Sprintf("staggered over %.1f s", tc.stagger); !strings.Contains(stdout.String(), want) {
					t.Errorf("table lacks %q:\n%s", want, stdout.String())
				}
				if want := "staggering 4 tournaments"; !strings.Contains(stderr.String(), want) {
					t.Errorf("progress log lacks %q:\n%s", want, stderr.String())
				}
			}
			svg, err := os.ReadFile(chartFile)
			if err != nil {
				t.Fatal(err)
			}
			parseXML(t, string(svg))
			if tc.scenario == "latency" && !strings.Contains(string(svg), "(cross-node: n/a, one node)") {
				t.Errorf("chart lacks (cross-node: n/a, one node):\n%s", svg)
			}
		})
	}
}

func TestFanoutAndIdleAgainstRealHub(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and runs the hub")
	}
	base, pid := startHub(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var stdout, stderr bytes.Buffer
	dir := t.TempDir()
	out := filepath.Join(dir, "f.json")
	if err := run(ctx, []string{"--nodes", base, "--scenario", "fanout", "--spectators", "20", "--repeats", "3",
		"--pids", itoa(pid), "--out", out, "--deadline", "60s"}, &stdout, &stderr); err != nil {
		t.Fatalf("fanout: %v\n%s\n%s", err, stdout.String(), stderr.String())
	}
	var res Result
	b, _ := os.ReadFile(out)
	if err := json.Unmarshal(b, &res); err != nil || res.Fanout == nil {
		t.Fatalf("fanout result: %v %s", err, b)
	}
	if res.Fanout.Completed != 3 || res.Fanout.Deliveries != 60 || !res.Fanout.CPUMeasured {
		t.Errorf("fanout: completed %d deliveries %d cpu %v; want 3, 60, true", res.Fanout.Completed, res.Fanout.Deliveries, res.Fanout.CPUMeasured)
	}
	// One first-round result: the finished match and the next one it feeds (docs/protocol.md).
	if f := res.Fanout; f.BytesPerDelivery < 100 || f.BytesPerDelivery > 1000 || f.WindowSeconds <= 0 || f.WindowCPUSeconds < 0 ||
		f.BackgroundSeconds < 5 || f.SubscribeSeconds <= 0 {
		t.Errorf("fanout: %.0f bytes per delivery, window %.3f s of CPU over %.1f s, background over %.1f s, subscribed in %.2f s; "+
			"want 100-1000 bytes, a window, 5 s of background, a subscription time", f.BytesPerDelivery, f.WindowCPUSeconds, f.WindowSeconds,
			f.BackgroundSeconds, f.SubscribeSeconds)
	}

	// A threshold no run can pass (no delivery takes under 0 µs) fails the run, after it ran;
	// the others pass.
	stdout.Reset()
	out = filepath.Join(dir, "f2.json")
	err := run(ctx, []string{"--nodes", base, "--scenario", "fanout", "--spectators", "20", "--repeats", "3",
		"--pids", itoa(pid), "--out", out, "--deadline", "60s", "--threshold", "p99<60s", "--threshold", "missing==0",
		"--threshold", "delivery_p50<0us", "--threshold", "cpu_per_delivery>=0"}, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "1 of 4 thresholds failed: delivery_p50<0us") {
		t.Fatalf("fanout with thresholds: got %v; want 1 of 4 thresholds failed\n%s\n%s", err, stdout.String(), stderr.String())
	}
	b, _ = os.ReadFile(out)
	res = Result{}
	if err := json.Unmarshal(b, &res); err != nil || res.Fanout == nil || len(res.Thresholds) != 4 {
		t.Fatalf("fanout result: %v %s", err, b)
	}
	for i, want := range []bool{true, true, false, true} {
		if th := res.Thresholds[i]; th.Passed != want || th.Value == nil {
			t.Errorf("threshold %s: got passed %v, value %v; want passed %v, measured", th.Threshold, th.Passed, th.Value, want)
		}
	}
	if !regexp.MustCompile(`delivery_p50<0us +FAILED  [0-9.]+ ms\n`).MatchString(stdout.String()) {
		t.Errorf("table lacks the failed threshold with its value:\n%s", stdout.String())
	}

	out = filepath.Join(dir, "i.json")
	if err := run(ctx, []string{"--nodes", base, "--scenario", "idle", "--players", "50", "--idle-wait", "1s",
		"--pids", itoa(pid), "--out", out, "--deadline", "60s"}, &stdout, &stderr); err != nil {
		t.Fatalf("idle: %v\n%s\n%s", err, stdout.String(), stderr.String())
	}
	b, _ = os.ReadFile(out)
	res = Result{}
	if err := json.Unmarshal(b, &res); err != nil || res.Idle == nil {
		t.Fatalf("idle result: %v %s", err, b)
	}
	if res.Idle.Connected != 50 || res.Idle.RSSAfter == 0 || res.Idle.RSSConnected == 0 || res.Idle.IdleSeconds < 1 || res.Idle.HubSockets != 50 {
		t.Errorf("idle: connected %d rss %d/%d after %v s, hub holds %d; want 50, two samples at least 1 s apart, 50", res.Idle.Connected,
			res.Idle.RSSConnected, res.Idle.RSSAfter, res.Idle.IdleSeconds, res.Idle.HubSockets)
	}
	if res.Idle.CPUCores < 0 || res.Idle.CPUCores > 2 || !strings.Contains(stdout.String(), "hub CPU while idle") {
		t.Errorf("idle: CPU %v cores; want a figure in [0, 2] and a table row\n%s", res.Idle.CPUCores, stdout.String())
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// hubsOnRedis starts n hubs on one fresh Redis, their API rate limit raised, and returns their
// base URLs.
func hubsOnRedis(t *testing.T, n int) []string {
	t.Helper()
	srv := redistest.Start(t)
	var nodes []string
	for range n {
		base, _ := startHubWith(t, "--http-rate", "10000", "--http-burst", "10000", "--redis", srv.URL())
		nodes = append(nodes, base)
	}
	return nodes
}

// shortLatencyRun runs a short latency run against nodes (16 players in tournaments of 4, 40 results/s
// for 2 s) with extra flags, and returns its result, that result's JSON and its table.
func shortLatencyRun(t *testing.T, nodes []string, extra ...string) (Result, []byte, string) {
	t.Helper()
	outFile := filepath.Join(t.TempDir(), "r.json")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var stdout, stderr bytes.Buffer
	err := run(ctx, append([]string{
		"--nodes", strings.Join(nodes, ","), "--scenario", "latency", "--players", "16", "--tournament-size", "4",
		"--rate", "40", "--duration", "2s", "--deadline", "60s", "--min-rate-pct", "0", "--out", outFile,
	}, extra...), &stdout, &stderr)
	if err != nil {
		t.Fatalf("run %v: %v\nstdout:\n%s\nstderr:\n%s", extra, err, stdout.String(), stderr.String())
	}
	b, err := os.ReadFile(outFile)
	if err != nil {
		t.Fatal(err)
	}
	var res Result
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	return res, b, stdout.String()
}

// TestAPIRouting: against two hubs on one Redis, --api-routing tournament sends each tournament's
// joins and start to one node, which then commits most of them without checking its cached
// state first (the hubs' own count, over the measured window, in which tournaments that finish
// are set up again); round-robin, the default, sends them in turn, so that no node's cached state
// is ever current twice in a row and none is unchecked.
func TestAPIRouting(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and runs the hub")
	}
	nodes := hubsOnRedis(t, 2)
	for _, routing := range []string{"round-robin", "tournament"} {
		res, b, table := shortLatencyRun(t, nodes, "--api-routing", routing)
		l := res.Latency
		if l == nil || l.Commits == nil || l.APIRouting != routing {
			t.Fatalf("%s: no commits counted, or api_routing not %q: %s", routing, routing, b)
		}
		c := l.Commits
		switch {
		case routing == "round-robin" && (c.Unchecked != 0 || c.Stale == 0):
			t.Errorf("%s: %d commits unchecked, %d stale caches; want none unchecked, some stale", routing, c.Unchecked, c.Stale)
		case routing == "tournament" && c.Unchecked == 0:
			t.Errorf("%s: no commit unchecked (%+v)", routing, c)
		}
		if !strings.Contains(table, "API routing") || !strings.Contains(table, " commits unchecked") {
			t.Errorf("%s: the table lacks the API routing row or the unchecked commits:\n%s", routing, table)
		}
		t.Logf("%s: %+v", routing, *c)
	}
}

// TestJoinOverSockets: with --join socket the players of a latency run join over their own
// sockets (join messages, counted by the hubs) and report without an auth; with --join http they
// join over HTTP and no join message is sent.
func TestJoinOverSockets(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and runs the hub")
	}
	nodes := hubsOnRedis(t, 2)
	joins := func() (n int64) {
		for _, node := range nodes {
			v, _ := proctest.Metric(t.Context(), t, node, `tourhub_ws_messages_in_total{type="join"}`)
			n += int64(v)
		}
		return n
	}
	for _, join := range []string{"http", "socket"} {
		before := joins()
		res, b, table := shortLatencyRun(t, nodes, "--join", join)
		l := res.Latency
		if l == nil || l.Join != join || l.Acked == 0 || len(res.Errors) != 0 {
			t.Fatalf("--join %s: no results, errors, or join not %q: %s", join, join, b)
		}
		switch n := joins() - before; {
		case join == "http" && n != 0:
			t.Errorf("--join http: %d join messages; want none", n)
		case join == "socket" && n < int64(l.PlayerSockets):
			t.Errorf("--join socket: %d join messages; want one for each of the %d players at least", n, l.PlayerSockets)
		}
		if !strings.Contains(table, "players join") {
			t.Errorf("--join %s: the table lacks the players join row:\n%s", join, table)
		}
	}
}

// TestFormats: with --format the latency scenario's tournaments are of that format (the hubs list
// them under it, and none under single elimination, the default) and every ready match of theirs
// is played: results arrive without errors.
func TestFormats(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and runs the hub")
	}
	listed := func(node, format string) int {
		resp, err := http.Get(node + "/api/tournaments?limit=100&format=" + format)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var l struct {
			Tournaments []struct {
				Format string `json:"format"`
			} `json:"tournaments"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&l); err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("list %s: %d %v", format, resp.StatusCode, err)
		}
		return len(l.Tournaments)
	}
	for _, format := range formats[1:] {
		t.Run(format, func(t *testing.T) {
			t.Parallel()
			nodes := hubsOnRedis(t, 2)
			res, b, table := shortLatencyRun(t, nodes, "--format", format)
			l := res.Latency
			if l == nil || l.Format != format || l.Acked == 0 || len(res.Errors) != 0 {
				t.Fatalf("--format %s: no results, errors, or format not %q: %s", format, format, b)
			}
			if !strings.Contains(table, "format") || !strings.Contains(table, format) {
				t.Errorf("--format %s: the table lacks the format row:\n%s", format, table)
			}
			if n, se := listed(nodes[0], format), listed(nodes[0], formats[0]); n == 0 || se != 0 {
				t.Errorf("--format %s: the hubs list %d tournaments of that format and %d of %s; want some and none", format, n, se, formats[0])
			}
		})
	}
}

// TestLatencyCountsCommits: against two hubs on one Redis, a latency run reports the hubs' own
// count of commits and of compare-and-sets retried over its measured window, from their
// /metrics, and a threshold can hold it.
func TestLatencyCountsCommits(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and runs the hub")
	}
	res, b, table := shortLatencyRun(t, hubsOnRedis(t, 2), "--threshold", "retried<=100%")
	l := res.Latency
	if l == nil || l.Acked == 0 {
		t.Fatalf("no results measured: %s", b)
	}
	c := l.Commits
	// Every answered result in the window is a commit of one of the nodes; set-ups of the next
	// tournaments (create, joins, start) commit too.
	if c == nil || c.Commits < l.Acked || c.Conflicts < 0 || c.RetriedPct != 100*float64(c.Conflicts)/float64(c.Commits) {
		t.Fatalf("store_commits %+v with %d results answered; want at least one commit a result", c, l.Acked)
	}
	if len(res.Thresholds) != 1 || !res.Thresholds[0].Passed || res.Thresholds[0].Value == nil || *res.Thresholds[0].Value != c.RetriedPct {
		t.Errorf("threshold %+v; want retried measured as %v and passed", res.Thresholds, c.RetriedPct)
	}
	if want := fmt.Sprintf("%d of %d (", c.Conflicts, c.Commits); !strings.Contains(table, want) {
		t.Errorf("table lacks %q:\n%s", want, table)
	}
}
