package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// root is the repository's top directory.
func root(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		t.Fatalf("git rev-parse: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// TestDocMatchesModel: docs/capacity.md's tables are what the model prints from inputs.json, so
// neither the page nor the inputs can change without the other (go run ./bench/capacity
// -markdown regenerates them).
func TestDocMatchesModel(t *testing.T) {
	in, err := loadInputs(inputsJSON)
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	writeMarkdown(&want, in)
	doc, err := os.ReadFile(filepath.Join(root(t), "docs", "capacity.md"))
	if err != nil {
		t.Fatal(err)
	}
	const begin, end = "<!-- capacity:begin -->\n", "<!-- capacity:end -->"
	i, j := bytes.Index(doc, []byte(begin)), bytes.Index(doc, []byte(end))
	if i < 0 || j < i {
		t.Fatalf("docs/capacity.md lacks the %q ... %q markers around the generated tables", begin, end)
	}
	if got := string(doc[i+len(begin) : j]); got != want.String() {
		t.Errorf("docs/capacity.md's tables differ from the model's; regenerate them with go run ./bench/capacity -markdown.\ndoc:\n%s\nmodel:\n%s", got, want.String())
	}
}

// TestInputSources: every input names how it was measured, and what it names exists: the
// benchmark functions (-bench X) and the files and directories it cites.
func TestInputSources(t *testing.T) {
	in, err := loadInputs(inputsJSON)
	if err != nil {
		t.Fatal(err)
	}
	top := root(t)
	bench := regexp.MustCompile(`-bench (\w+)`)
	path := regexp.MustCompile(`(?:bench|docs|hub|cmd)/[\w./-]*\w`)
	for _, name := range inputNames {
		src := in[name].Source
		if src == "" || in[name].Value <= 0 {
			t.Errorf("%s: value %v, source %q; want a measured value and how it was measured", name, in[name].Value, src)
			continue
		}
		for _, m := range bench.FindAllStringSubmatch(src, -1) {
			out, _ := exec.Command("git", "-C", top, "grep", "-l", "func Benchmark"+m[1]).Output()
			if len(out) == 0 {
				t.Errorf("%s cites -bench %s, but no Benchmark%s exists", name, m[1], m[1])
			}
		}
		for _, p := range path.FindAllString(src, -1) {
			if _, err := os.Stat(filepath.Join(top, p)); err != nil {
				t.Errorf("%s cites %s: %v", name, p, err)
			}
		}
	}
}

// TestPlan checks the model's arithmetic on a load worked out by hand: 100,000 spectators over
// 1,000 tournaments (100 each), 1,000 results/s, spread over the nodes.
//   - deliveries: 1,000 x 100 = 100,000/s; at 11.9 µs, 1.19 cores; idle: 100,000 x 3.1 µs = 0.31;
//   - nodes by sockets: 100,000 / 50,000 = 2; each tournament is watched by both;
//   - results: 1,000 x (930 - 99 + 2 x 33) µs = 0.897 cores; total 2.397 cores, under the
//     4.8 a node is planned for: 2 nodes;
//   - Redis: 1,000 x (57 + 2 x 1.8) µs = 0.0606 cores: one master.
func TestPlan(t *testing.T) {
	in, err := loadInputs(inputsJSON)
	if err != nil {
		t.Fatal(err)
	}
	// The hand computation above uses these inputs.
	for name, v := range map[string]float64{"hub_cpu_per_result_us": 930, "hub_cpu_per_follow_us": 33, "hub_cpu_per_delivery_us": 11.9,
		"hub_cpu_per_socket_second_us": 3.1, "redis_cpu_per_commit_us": 57, "redis_cpu_per_subscriber_message_us": 1.8} {
		if in.v(name) != v {
			t.Fatalf("%s is %v in inputs.json; this test's hand computation uses %v: redo it", name, in.v(name), v)
		}
	}
	p := plan(in, Load{Spectators: 100_000, Results: 1_000, Tournaments: 1_000}, docFleet)
	near := func(what string, got, want float64) {
		t.Helper()
		if got < want-1e-9*want-1e-9 || got > want+1e-9*want+1e-9 {
			t.Errorf("%s = %v; want %v", what, got, want)
		}
	}
	near("deliveries", p.Deliveries, 100_000)
	near("delivery cores", p.CoresDelivery, 1.19)
	near("background cores", p.CoresBackground, 0.31)
	near("watching nodes", p.Watching, 2)
	near("result cores", p.CoresResults, 0.897)
	near("hub cores", p.HubCores, 2.397)
	near("redis cores", p.RedisCores, 0.0606)
	if p.Nodes != 2 || p.NodesBySockets != 2 || p.NodesByCPU != 1 || p.Shards != 1 {
		t.Errorf("nodes %d (sockets %d, CPU %d), shards %d; want 2 (2, 1), 1", p.Nodes, p.NodesBySockets, p.NodesByCPU, p.Shards)
	}
	// CPU-bound: the same with 100 times the results needs nodes for the CPU, and more nodes
	// watching means more follows, which the fixed point must include.
	p = plan(in, Load{Spectators: 100_000, Results: 100_000, Tournaments: 1_000}, docFleet)
	perNode := docFleet.NodeCores * docFleet.NodeBudget
	if float64(p.Nodes)*perNode < p.HubCores || float64(p.Nodes-1)*perNode >= p.HubCores {
		t.Errorf("%d nodes for %.1f cores at %.1f each; want the fewest that carry them", p.Nodes, p.HubCores, perNode)
	}
	if p.Watching != float64(min(p.Nodes, 100)) {
		t.Errorf("watching %v with %d nodes; want every node (at most the 100 spectators of a tournament)", p.Watching, p.Nodes)
	}
}
