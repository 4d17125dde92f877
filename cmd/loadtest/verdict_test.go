package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tourhub/tourhub/internal/proctest"
)

// TestThrottledByDefaultLimits runs the load tool as a new user would, against a hub started
// with its default rate limits (20 API requests/s, burst 40, per address): the run must fail
// with exit status 1, say loudly why and how to fix it, and count the 429 answers. Tournaments
// of 2 at 100 results/s need 200 API requests/s (create, 2 joins, start for every 2 results), so
// the hub's limit, not the machine's speed, holds the run under a tenth of its target.
func TestThrottledByDefaultLimits(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and runs the hub and the load tool")
	}
	base, _ := startHubWith(t)
	out := filepath.Join(t.TempDir(), "r.json")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, proctest.Build(t, proctest.LoadTool), "--nodes", base, "--scenario", "latency",
		"--players", "8", "--tournament-size", "2", "--rate", "100", "--duration", "3s", "--deadline", "60s", "--out", out)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("got %v; want exit status 1\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	for _, want := range []string{"THROTTLED", "HTTP 429 rate_limited", "--http-rate", "--http-burst", "--ws-rate", "--ws-burst",
		"HUB_HTTP_RATE", "docs/configuration.md", "target rate not reached", "NOT REACHED", "rate limited (HTTP 429 / socket)"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, stdout.String())
		}
	}
	for _, want := range []string{"WARNING: THROTTLED", "loadtest: target rate not reached", "--http-rate"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
		}
	}
	// The documented names, as a script reads them.
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		HTTP429 int64  `json:"http_429_rate_limited"`
		Failure string `json:"failure"`
		Latency struct {
			Reached *bool `json:"target_reached"`
		} `json:"latency"`
	}
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	if res.HTTP429 == 0 || res.Latency.Reached == nil || *res.Latency.Reached || !strings.Contains(res.Failure, "THROTTLED") {
		t.Errorf("got http_429_rate_limited %d, target_reached %v, failure %q; want > 0, false, the throttle named\n%s",
			res.HTTP429, res.Latency.Reached, res.Failure, b)
	}
}

// TestThrottledSocketMessages: a hub whose per-socket limit is lower than the load tool's
// set-up (an auth and then a subscribe on every socket) answers error rate_limited; the run
// fails, counts them and names the socket limit.
func TestThrottledSocketMessages(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and runs the hub")
	}
	base, _ := startHubWith(t, "--http-rate", "10000", "--http-burst", "10000", "--ws-rate", "0.01", "--ws-burst", "1")
	out := filepath.Join(t.TempDir(), "r.json")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var stdout, stderr bytes.Buffer
	err := run(ctx, []string{"--nodes", base, "--scenario", "latency", "--players", "4", "--tournament-size", "4",
		"--rate", "20", "--duration", "2s", "--deadline", "60s", "--out", out}, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "socket messages with error rate_limited") || !strings.Contains(err.Error(), "--ws-rate") {
		t.Fatalf("got %v; want the run to fail naming the socket limit\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		WS      int64 `json:"ws_rate_limited"`
		HTTP429 int64 `json:"http_429_rate_limited"`
	}
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	if res.WS == 0 || res.HTTP429 != 0 {
		t.Errorf("got ws_rate_limited %d, http_429_rate_limited %d; want > 0, 0\n%s", res.WS, res.HTTP429, b)
	}
}

// TestJudge: which finished runs pass, and what a failing one says.
func TestJudge(t *testing.T) {
	t.Parallel()
	latency := func(acked, target float64) *latencyResult {
		return &latencyResult{TargetRate: target, AckedPerSecond: acked, MeasureSeconds: 10}
	}
	for _, tc := range []struct {
		name    string
		res     Result
		failed  bool
		min     float64
		want    []string // substrings, one a reason, in order
		reached string   // "true", "false" or "" (not judged)
	}{
		{name: "latency reached", res: Result{Scenario: "latency", Latency: latency(96, 100)}, min: 95, reached: "true"},
		{name: "latency missed", res: Result{Scenario: "latency", Latency: latency(94, 100)}, min: 95,
			want: []string{"target rate not reached: 94.0 of 100 results/s (94 %, under --min-rate-pct 95)"}, reached: "false"},
		{name: "latency missed and throttled", res: Result{Scenario: "latency", Latency: latency(31.5, 100), HTTP429: 275}, min: 95,
			want: []string{"target rate not reached", "THROTTLED: the hub refused 275 API requests with HTTP 429 rate_limited"}, reached: "false"},
		{name: "latency throttled but reached: a warning only", res: Result{Scenario: "latency", Latency: latency(100, 100), HTTP429: 3},
			min: 95, reached: "true"},
		{name: "latency unchecked", res: Result{Scenario: "latency", Latency: latency(10, 100)}, min: 0, reached: "true"},
		{name: "a failed run names the throttle", res: Result{Scenario: "latency", WSRateLimited: 8}, failed: true, min: 95,
			want: []string{"THROTTLED: the hub refused 8 socket messages with error rate_limited"}},
		{name: "maxrate throttled", res: Result{Scenario: "maxrate", Latency: latency(30, 10), HTTP429: 1}, min: 95,
			want: []string{"THROTTLED"}},
		{name: "maxrate has no target", res: Result{Scenario: "maxrate", Latency: latency(30, 10)}, min: 95},
		{name: "fanout closed for its rate", res: Result{Scenario: "fanout", Errors: map[string]int64{"closed_4008": 2}}, min: 95,
			want: []string{"closed 2 sockets with 4008"}},
		{name: "idle", res: Result{Scenario: "idle"}, min: 95},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res := tc.res
			why := judge(config{minRatePct: tc.min}, &res, tc.failed)
			if len(why) != len(tc.want) {
				t.Fatalf("got %q; want %d reasons like %q", why, len(tc.want), tc.want)
			}
			for i, w := range tc.want {
				if !strings.Contains(why[i], w) {
					t.Errorf("reason %d: got %q; want it to contain %q", i, why[i], w)
				}
			}
			got := ""
			if res.Latency != nil && res.Latency.TargetReached != nil {
				got = strconv.FormatBool(*res.Latency.TargetReached)
			}
			if got != tc.reached {
				t.Errorf("target_reached: got %q; want %q", got, tc.reached)
			}
		})
	}
}

// TestTableNA: figures a run does not have are n/a in the table, not zeros: cross-node latency
// with one node, a latency without samples.
func TestTableNA(t *testing.T) {
	t.Parallel()
	some := Summary{Count: 3, P50MS: 1, P99MS: 2, MaxMS: 3}
	for _, tc := range []struct {
		name      string
		res       Result
		want, not []string
	}{
		{"one node", Result{Scenario: "latency", Nodes: []string{"a"}, Latency: &latencyResult{SameNode: some, Reply: some}},
			[]string{"cross-node latency                 n/a (one node)\n", "same-node latency                  n=3 p50=1.00"}, []string{"n=0"}},
		{"an older file with zeros for one node", Result{Scenario: "latency", Nodes: []string{"a"}, Latency: &latencyResult{CrossNode: &Summary{}, SameNode: some}},
			[]string{"cross-node latency                 n/a (one node)\n"}, []string{"n=0"}},
		{"two nodes", Result{Scenario: "latency", Nodes: []string{"a", "b"}, Latency: &latencyResult{CrossNode: &some, SameNode: some}},
			[]string{"cross-node latency                 n=3 p50=1.00", "reply to the sender (commit)       n/a (no samples)\n"}, []string{"n=0"}},
		{"no publish completed", Result{Scenario: "fanout", Nodes: []string{"a"}, Fanout: &fanoutResult{}},
			[]string{"completion                         n/a (no samples)\n"}, []string{"n=0"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var b bytes.Buffer
			printTable(&b, &tc.res)
			for _, w := range tc.want {
				if !strings.Contains(b.String(), w) {
					t.Errorf("table lacks %q:\n%s", w, b.String())
				}
			}
			for _, n := range tc.not {
				if strings.Contains(b.String(), n) {
					t.Errorf("table has %q:\n%s", n, b.String())
				}
			}
		})
	}
}
