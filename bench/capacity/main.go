// Command capacity is the capacity model of docs/capacity.md: from measured per-operation costs
// (inputs.json, each with the command that measures it) it works out the hub nodes and Redis
// shards a load needs, and prints the doc's tables (-markdown). -measure-redis measures the one
// input no other benchmark gives: Redis's CPU per published message per subscribed connection.
//
//	go run ./bench/capacity                                  # the doc's example: 1M spectators, 10,000 results/s
//	go run ./bench/capacity -spectators 200000 -results 2000 -tournaments 500
//	go run ./bench/capacity -markdown                        # the tables of docs/capacity.md
//	go run ./bench/capacity -measure-redis                   # needs redis-server on PATH
package main

import (
	_ "embed"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
)

//go:embed inputs.json
var inputsJSON []byte

// Input is one measured cost.
type Input struct {
	Name   string  `json:"name"`
	Value  float64 `json:"value"`
	Unit   string  `json:"unit"`
	Source string  `json:"source"`
}

// Inputs are the measured costs by name.
type Inputs map[string]Input

func loadInputs(b []byte) (Inputs, error) {
	var doc struct {
		Inputs []Input `json:"inputs"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("inputs.json: %w", err)
	}
	in := Inputs{}
	for _, i := range doc.Inputs {
		in[i.Name] = i
	}
	for _, name := range inputNames {
		if _, ok := in[name]; !ok {
			return nil, fmt.Errorf("inputs.json lacks %s", name)
		}
	}
	return in, nil
}

// inputNames are the inputs the model uses.
var inputNames = []string{"hub_cpu_per_result_us", "hub_cpu_per_follow_us", "hub_cpu_per_delivery_us",
	"hub_cpu_per_socket_second_us", "hub_rss_per_socket_kib", "bytes_per_delivery", "redis_cpu_per_commit_us",
	"redis_cpu_per_subscriber_message_us"}

func (in Inputs) v(name string) float64 { return in[name].Value }

// Load is what the cluster must carry.
type Load struct {
	Spectators  int     // open, subscribed sockets
	Results     float64 // results committed per second
	Tournaments int     // running tournaments; spectators and results spread evenly over them
	// Affine: the balancer sends a tournament's sockets to as few nodes as hold them
	// (e.g. HAProxy hashing the tournament id in the URL), instead of spreading every
	// tournament's sockets over every node.
	Affine bool
}

// Fleet is what a node and a shard may be given.
type Fleet struct {
	NodeCores      float64 // cores per hub node
	NodeBudget     float64 // the share of them planned for (headroom for bursts, GC, drains)
	SocketsPerNode int     // most sockets planned per node (file descriptors, drain time, blast radius)
	ShardBudget    float64 // the share of one core planned per Redis master (Redis runs commands on one)
	Replicas       int     // replicas per master
}

// Plan is the model's answer.
type Plan struct {
	Deliveries      float64 // events delivered per second
	Watching        float64 // nodes watching each tournament
	HubCores        float64 // total, by part below
	CoresDelivery   float64
	CoresBackground float64
	CoresResults    float64
	Nodes           int
	NodesBySockets  int
	NodesByCPU      int
	MemoryGiB       float64 // socket memory over the fleet
	EgressGbit      float64 // event bytes out of the nodes, per second
	RedisCores      float64
	Shards          int
	BusMessages     float64 // cluster bus messages per second (sharded pub/sub: one per replica per commit)
}

// plan works out the fleet for load. The nodes needed and the nodes watching each tournament
// depend on each other (every watching node follows every commit), so it iterates to a fixed point.
func plan(in Inputs, l Load, f Fleet) Plan {
	var p Plan
	perT := float64(l.Spectators) / float64(l.Tournaments)
	p.Deliveries = l.Results * perT
	p.CoresDelivery = p.Deliveries * in.v("hub_cpu_per_delivery_us") / 1e6
	p.CoresBackground = float64(l.Spectators) * in.v("hub_cpu_per_socket_second_us") / 1e6
	p.NodesBySockets = int(math.Ceil(float64(l.Spectators) / float64(f.SocketsPerNode)))
	p.Nodes = max(p.NodesBySockets, 1)
	// The measured cost of a result is on 3 nodes that all watch it: one commit, and the others
	// following it. Per result: that, less 3 follows, plus one per node watching.
	base := in.v("hub_cpu_per_result_us") - 3*in.v("hub_cpu_per_follow_us")
	for range 100 {
		p.Watching = math.Min(float64(p.Nodes), perT) // spread: every node holds some of each tournament
		if l.Affine {
			p.Watching = math.Max(1, math.Ceil(perT/float64(f.SocketsPerNode)))
		}
		p.CoresResults = l.Results * (base + p.Watching*in.v("hub_cpu_per_follow_us")) / 1e6
		p.HubCores = p.CoresDelivery + p.CoresBackground + p.CoresResults
		p.NodesByCPU = int(math.Ceil(p.HubCores / (f.NodeCores * f.NodeBudget)))
		next := max(p.NodesBySockets, p.NodesByCPU, 1)
		if next == p.Nodes {
			break
		}
		p.Nodes = next
	}
	p.MemoryGiB = float64(l.Spectators) * in.v("hub_rss_per_socket_kib") / (1 << 20)
	p.EgressGbit = p.Deliveries * in.v("bytes_per_delivery") * 8 / 1e9
	// Redis: each commit's script, and its message to every node subscribed to the tournament.
	p.RedisCores = l.Results * (in.v("redis_cpu_per_commit_us") + p.Watching*in.v("redis_cpu_per_subscriber_message_us")) / 1e6
	p.Shards = max(1, int(math.Ceil(p.RedisCores/f.ShardBudget)))
	p.BusMessages = l.Results * float64(f.Replicas)
	return p
}

func main() {
	l := Load{}
	f := Fleet{}
	flag.IntVar(&l.Spectators, "spectators", 1_000_000, "subscribed sockets")
	flag.Float64Var(&l.Results, "results", 10_000, "results committed per second")
	flag.IntVar(&l.Tournaments, "tournaments", 10_000, "running tournaments (spectators and results spread evenly)")
	flag.BoolVar(&l.Affine, "affine", false, "the balancer keeps a tournament's sockets on as few nodes as possible")
	flag.Float64Var(&f.NodeCores, "node-cores", 8, "cores per hub node")
	flag.Float64Var(&f.NodeBudget, "node-budget", 0.6, "share of a node's cores planned for")
	flag.IntVar(&f.SocketsPerNode, "sockets-per-node", 50_000, "most sockets planned per node")
	flag.Float64Var(&f.ShardBudget, "shard-budget", 0.5, "share of one core planned per Redis master")
	flag.IntVar(&f.Replicas, "replicas", 1, "replicas per Redis master")
	markdown := flag.Bool("markdown", false, "print docs/capacity.md's tables (the doc's example loads)")
	measure := flag.Bool("measure-redis", false, "measure Redis CPU per published message per subscriber (needs redis-server)")
	flag.Parse()
	in, err := loadInputs(inputsJSON)
	if err != nil {
		fmt.Fprintln(os.Stderr, "capacity:", err)
		os.Exit(1)
	}
	switch {
	case *measure:
		if err := measureRedis(os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "capacity:", err)
			os.Exit(1)
		}
	case *markdown:
		writeMarkdown(os.Stdout, in)
	default:
		writePlan(os.Stdout, l, f, plan(in, l, f))
	}
}

// writePlan prints one plan as text.
func writePlan(w io.Writer, l Load, f Fleet, p Plan) {
	fmt.Fprintf(w, "%d spectators, %g results/s over %d tournaments (affine routing: %t)\n", l.Spectators, l.Results, l.Tournaments, l.Affine)
	fmt.Fprintf(w, "  deliveries            %.0f/s\n", p.Deliveries)
	fmt.Fprintf(w, "  hub CPU               %.1f cores: deliveries %.1f, idle sockets %.1f, results %.1f (each followed by %g nodes)\n",
		p.HubCores, p.CoresDelivery, p.CoresBackground, p.CoresResults, p.Watching)
	fmt.Fprintf(w, "  hub nodes             %d of %g cores (%d for the sockets at %d each, %d for the CPU at %.0f%%)\n",
		p.Nodes, f.NodeCores, p.NodesBySockets, f.SocketsPerNode, p.NodesByCPU, 100*f.NodeBudget)
	fmt.Fprintf(w, "  socket memory         %.1f GiB over the fleet\n", p.MemoryGiB)
	fmt.Fprintf(w, "  egress                %.2f Gbit/s of events\n", p.EgressGbit)
	fmt.Fprintf(w, "  Redis CPU             %.2f cores -> %d masters at %.0f%% of a core each, %d replica(s) each\n",
		p.RedisCores, p.Shards, 100*f.ShardBudget, f.Replicas)
	fmt.Fprintf(w, "  cluster bus           %.0f sharded publish messages/s\n", p.BusMessages)
}

// docExamples are the loads docs/capacity.md works through.
var docExamples = []struct {
	name string
	load Load
}{
	{"1M spectators, 10,000 results/s, 10,000 tournaments, spread", Load{1_000_000, 10_000, 10_000, false}},
	{"the same, tournament-affine routing", Load{1_000_000, 10_000, 10_000, true}},
	{"1M spectators of 100 big tournaments, 1,000 results/s, affine", Load{1_000_000, 1_000, 100, true}},
	{"100,000 spectators, 1,000 results/s, 1,000 tournaments, spread", Load{100_000, 1_000, 1_000, false}},
}

// docFleet is the fleet docs/capacity.md assumes.
var docFleet = Fleet{NodeCores: 8, NodeBudget: 0.6, SocketsPerNode: 50_000, ShardBudget: 0.5, Replicas: 1}

// writeMarkdown prints the inputs table and the plans table of docs/capacity.md.
func writeMarkdown(w io.Writer, in Inputs) {
	fmt.Fprintln(w, "| input | value | measured by |")
	fmt.Fprintln(w, "| --- | --- | --- |")
	for _, name := range inputNames {
		i := in[name]
		fmt.Fprintf(w, "| %s: %s | %g | %s |\n", i.Name, i.Unit, i.Value, strings.ReplaceAll(i.Source, "|", "\\|"))
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| load | deliveries/s | nodes following a result | hub cores (deliveries + idle + results) | hub nodes (sockets, CPU) | socket memory | egress | Redis cores | masters | bus messages/s |")
	fmt.Fprintln(w, "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
	for _, e := range docExamples {
		p := plan(in, e.load, docFleet)
		fmt.Fprintf(w, "| %s | %s | %g | %.1f (%.1f + %.1f + %.1f) | **%d** (%d, %d) | %.1f GiB | %.2f Gbit/s | %.2f | **%d** | %s |\n",
			e.name, thousands(p.Deliveries), p.Watching, p.HubCores, p.CoresDelivery, p.CoresBackground, p.CoresResults,
			p.Nodes, p.NodesBySockets, p.NodesByCPU, p.MemoryGiB, p.EgressGbit, p.RedisCores, p.Shards, thousands(p.BusMessages))
	}
}

// thousands writes x rounded, with commas between thousands.
func thousands(x float64) string {
	s := strconv.FormatFloat(math.Round(x), 'f', 0, 64)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
