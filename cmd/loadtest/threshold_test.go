package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

func TestParseThreshold(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		src      string
		scenario string
		nodes    int
		pids     bool
		want     threshold // src is compared too
		err      string    // a substring of the error; empty: valid
	}{
		{src: "p99<10ms", scenario: "latency", nodes: 1, want: threshold{src: "p99<10ms", metric: "p99", op: "<", limit: 10}},
		{src: "p99<10", scenario: "latency", nodes: 1, want: threshold{src: "p99<10", metric: "p99", op: "<", limit: 10}},
		{src: " p(99.9) <= 1.5 s ", scenario: "maxrate", nodes: 1, want: threshold{src: "p(99.9) <= 1.5 s", metric: "p99.9", op: "<=", limit: 1500}},
		{src: "max<250us", scenario: "latency", nodes: 1, want: threshold{src: "max<250us", metric: "max", op: "<", limit: 0.25}},
		{src: "cross_p(90)<5ms", scenario: "latency", nodes: 3, want: threshold{src: "cross_p(90)<5ms", metric: "cross_p90", op: "<", limit: 5}},
		{src: "same_mean>.5", scenario: "latency", nodes: 2, want: threshold{src: "same_mean>.5", metric: "same_mean", op: ">", limit: 0.5}},
		{src: "reply_p50!=0", scenario: "latency", nodes: 2, want: threshold{src: "reply_p50!=0", metric: "reply_p50", op: "!=", limit: 0}},
		{src: "rate>=95%", scenario: "latency", nodes: 1, want: threshold{src: "rate>=95%", metric: "rate", op: ">=", limit: 95, pct: true}},
		{src: "rate>=300/s", scenario: "maxrate", nodes: 3, want: threshold{src: "rate>=300/s", metric: "rate", op: ">=", limit: 300}},
		{src: "errors==0", scenario: "idle", nodes: 1, want: threshold{src: "errors==0", metric: "errors", op: "==", limit: 0}},
		{src: "rate_limited==0", scenario: "fanout", nodes: 1, want: threshold{src: "rate_limited==0", metric: "rate_limited", op: "==", limit: 0}},
		{src: "http_429<1", scenario: "latency", nodes: 1, want: threshold{src: "http_429<1", metric: "http_429", op: "<", limit: 1}},
		{src: "p99<20ms", scenario: "fanout", nodes: 1, want: threshold{src: "p99<20ms", metric: "p99", op: "<", limit: 20}},
		{src: "delivery_p50<2ms", scenario: "fanout", nodes: 1, want: threshold{src: "delivery_p50<2ms", metric: "delivery_p50", op: "<", limit: 2}},
		{src: "missing==0", scenario: "fanout", nodes: 3, want: threshold{src: "missing==0", metric: "missing", op: "==", limit: 0}},
		{src: "cpu_per_delivery<0.02ms", scenario: "fanout", nodes: 3, pids: true, want: threshold{src: "cpu_per_delivery<0.02ms", metric: "cpu_per_delivery", op: "<", limit: 20}},
		{src: "kib_per_socket<10KiB", scenario: "idle", nodes: 1, pids: true, want: threshold{src: "kib_per_socket<10KiB", metric: "kib_per_socket", op: "<", limit: 10}},
		{src: "hub_cpu_per_result<2ms", scenario: "latency", nodes: 1, pids: true, want: threshold{src: "hub_cpu_per_result<2ms", metric: "hub_cpu_per_result", op: "<", limit: 2}},
		{src: "retried<=5%", scenario: "latency", nodes: 3, want: threshold{src: "retried<=5%", metric: "retried", op: "<=", limit: 5}},
		{src: "retried<1", scenario: "maxrate", nodes: 1, want: threshold{src: "retried<1", metric: "retried", op: "<", limit: 1}},

		{src: "p99", scenario: "latency", nodes: 1, err: "want METRIC OP VALUE, as in 'p99<10ms'"},
		{src: "p99<<10", scenario: "latency", nodes: 1, err: "want METRIC OP VALUE"},
		{src: "p99=10", scenario: "latency", nodes: 1, err: "want METRIC OP VALUE"},
		{src: "p99<-1", scenario: "latency", nodes: 1, err: "want METRIC OP VALUE"},
		{src: "p99<ten", scenario: "latency", nodes: 1, err: "want METRIC OP VALUE"},
		{src: "", scenario: "latency", nodes: 1, err: "want METRIC OP VALUE"},
		{src: "p98<10", scenario: "latency", nodes: 1, err: `no metric "p98" in the latency scenario; it has`},
		{src: "rate>1", scenario: "fanout", nodes: 1, err: `no metric "rate" in the fanout scenario`},
		{src: "p99<1", scenario: "idle", nodes: 1, err: `no metric "p99" in the idle scenario`},
		{src: "cross_p99<10ms", scenario: "latency", nodes: 1, err: "cross-node latency needs two or more --nodes"},
		{src: "p99<10m", scenario: "latency", nodes: 1, err: `unit "m" does not fit p99; use ms, s, us, µs or a bare number (ms)`},
		{src: "p99<10%", scenario: "latency", nodes: 1, err: `unit "%" does not fit p99`},
		{src: "errors<1ms", scenario: "latency", nodes: 1, err: "errors is a count: give a bare number"},
		{src: "kib_per_socket<10", scenario: "idle", nodes: 1, err: "kib_per_socket is measured only with --pids"},
	} {
		t.Run(tc.src, func(t *testing.T) {
			t.Parallel()
			got, err := parseThreshold(tc.src, tc.scenario, tc.nodes, tc.pids)
			switch {
			case tc.err == "" && err != nil:
				t.Fatalf("got error %v; want %+v", err, tc.want)
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
				t.Fatalf("got %+v, error %v; want an error with %q", got, err, tc.err)
			case tc.err == "" && got != tc.want:
				t.Errorf("got %+v; want %+v", got, tc.want)
			}
		})
	}
}

// TestEvalThresholds: each threshold against a result, with the measured value, or n/a (which
// fails) when the run did not measure it.
func TestEvalThresholds(t *testing.T) {
	t.Parallel()
	lat := &latencyResult{
		TargetRate: 100, AckedPerSecond: 96, MeasureSeconds: 10,
		CrossNode: &Summary{Count: 10, P50MS: 1, P90MS: 4, P99MS: 9.5, MaxMS: 30},
		SameNode:  Summary{Count: 5, P99MS: 2},
	}
	multi := &Result{Scenario: "latency", Nodes: []string{"a", "b"}, Latency: lat, Errors: map[string]int64{"setup": 1, "no_reply": 2}, HTTP429: 3}
	one := &Result{Scenario: "latency", Nodes: []string{"a"}, Latency: &latencyResult{TargetRate: 100, AckedPerSecond: 90, MeasureSeconds: 10,
		SameNode: Summary{Count: 5, P99MS: 2}}}
	empty := &Result{Scenario: "latency", Nodes: []string{"a", "b"}, Latency: &latencyResult{TargetRate: 100, MeasureSeconds: 10, CrossNode: &Summary{}}}
	failedEarly := &Result{Scenario: "latency", Nodes: []string{"a"}, Latency: &latencyResult{TargetRate: 100}}
	maxrate := &Result{Scenario: "maxrate", Nodes: []string{"a", "b"}, Latency: &latencyResult{TargetRate: 50, MaxRateHeld: 610, AckedPerSecond: 500, MeasureSeconds: 60}}
	fanout := &Result{Scenario: "fanout", Nodes: []string{"a"}, Fanout: &fanoutResult{Completion: Summary{Count: 20, P99MS: 12}, Missing: 0}}
	idle := &Result{Scenario: "idle", Nodes: []string{"a"}, Idle: &idleResult{Connected: 100, Failed: 2, RSSMeasured: true, KiBPerSocket: 9.1, IdleSeconds: 60, CPUCores: 0.02}}
	for _, tc := range []struct {
		src    string
		res    *Result
		value  float64 // -1: n/a
		limit  float64
		passed bool
	}{
		{"p99<10ms", multi, 9.5, 10, true},
		{"p99<9ms", multi, 9.5, 9, false},
		{"p90<=4", multi, 4, 4, true},
		{"cross_max<0.03s", multi, 30, 30, false},
		{"same_p99<3ms", multi, 2, 3, true},
		{"p99<3ms", one, 2, 3, true}, // one node: the same-node latency
		{"rate>=95%", multi, 96, 95, true},
		{"rate>=95%", one, 90, 95, false},
		{"rate>=90/s", one, 90, 90, true},
		{"errors==0", multi, 3, 0, false},
		{"errors<=3", multi, 3, 3, true},
		{"rate_limited==0", multi, 3, 0, false},
		{"http_429!=0", multi, 3, 0, true},
		{"ws_rate_limited==0", multi, 0, 0, true},
		{"p99<10ms", empty, -1, 10, false},    // no deliveries: nothing to show it passed
		{"rate>0", failedEarly, -1, 0, false}, // failed before measuring
		{"rate>=95%", failedEarly, -1, 95, false},
		{"rate>=600", maxrate, 610, 600, true}, // maxrate: the highest rate a step held
		{"rate>=100%", maxrate, 610, 50, true},
		{"p99<20ms", fanout, 12, 20, true}, // fanout: the completion
		{"missing==0", fanout, 0, 0, true},
		{"connect_failures==0", idle, 2, 0, false}, // idle: every failed socket, the workers' too
		{"kib_per_socket<10", idle, 9.1, 10, true},
		{"idle_cores<=0.03", idle, 0.02, 0.03, true},
		{"idle_cores<0.01cores", idle, 0.02, 0.01, false},
	} {
		t.Run(tc.src, func(t *testing.T) {
			t.Parallel()
			th, err := parseThreshold(tc.src, tc.res.Scenario, len(tc.res.Nodes), true)
			if err != nil {
				t.Fatal(err)
			}
			got := evalThresholds([]threshold{th}, tc.res)
			if len(got) != 1 {
				t.Fatalf("got %d results; want 1", len(got))
			}
			r := got[0]
			value := -1.0
			if r.Value != nil {
				value = *r.Value
			}
			if value != tc.value || r.Limit != tc.limit || r.Passed != tc.passed || r.Threshold != tc.src {
				t.Errorf("got %s value %v limit %v passed %v; want value %v limit %v passed %v", r.Threshold, value, r.Limit, r.Passed, tc.value, tc.limit, tc.passed)
			}
			if want := map[bool]string{true: "passed", false: "FAILED"}[tc.passed]; !strings.HasPrefix(r.String(), want) {
				t.Errorf("got line %q; want it to start with %s", r.String(), want)
			}
			if tc.value < 0 && !strings.Contains(r.String(), "n/a") {
				t.Errorf("got line %q; want n/a", r.String())
			}
		})
	}
}

// TestMalformedThresholdRefusedBeforeRunning: a bad threshold stops the run before it dials
// anything (the node here does not exist), with the syntax in the message and nothing on stdout.
func TestMalformedThresholdRefusedBeforeRunning(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var stdout, stderr bytes.Buffer
	err := run(ctx, []string{"--nodes", "http://127.0.0.1:1", "--threshold", "errors==0", "--threshold", "p99 under 10ms"}, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), `--threshold "p99 under 10ms": want METRIC OP VALUE, as in 'p99<10ms', 'rate>=95%'`) {
		t.Errorf("got %v; want the threshold refused with the syntax", err)
	}
	if stdout.Len() != 0 || strings.Contains(stderr.String(), "connected") {
		t.Errorf("something ran:\nstdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
	}
}
