// Command loadtest drives one or more tourhub nodes over real sockets and reports notification
// latency, fan-out cost, idle memory per socket and the highest sustained result rate.
//
//	loadtest --nodes http://127.0.0.1:8081,http://127.0.0.1:8082 --scenario latency \
//	    --players 160 --spectators 30 --rate 100 --duration 20s --out r.json --chart r.svg
//
// Scenarios: latency, fanout, idle, maxrate (loadtest --help describes each with an example;
// BENCHMARKS.md has more). Only the given addresses are targeted and, without --allow-remote,
// only loopback ones. Every run is bounded by --duration (or --max-events) and by the hard
// --deadline.
//
// latency and maxrate play one tournament after another in each of players/tournament-size slots.
// With --pace tournament (the default) every slot has its own pacer at rate/slots results/s, and
// slot i sets up its first tournament i/slots into a stagger window of one expected tournament
// cycle (2*(size-1)*slots/rate seconds for single elimination), so the tournaments stay spread
// over their cycle as on a hub hosting many at different stages; measuring starts when the window
// is over. A cycle longer than --max-stagger (30 s) is played faster, in a window that long.
// With --pace shared one pacer serves all slots, which all set up together before driving; slots
// that lag catch up, so all tournaments end and set up again at once: a stress test of mass
// turnover.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/signal"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

type config struct {
	nodes       []string
	scenario    string
	players     int
	spectators  int
	tsize       int
	format      string // the tournaments' format (latency, maxrate)
	rate        float64
	duration    time.Duration
	step        time.Duration
	p99Limit    float64
	refine      int
	maxEvents   int64
	repeats     int
	procs       int
	hold        time.Duration
	idleWait    time.Duration
	out         string
	chart       string
	sourceIPs   []string
	pids        []int
	storePIDs   []int
	origin      string
	allowRemote bool
	deflate     bool
	protocol    string // "v1" or "v2": the hub's protocol version its sockets ask for
	deadline    time.Duration
	worker      bool
	tournament  string
	label       string
	publishURL  string
	peer        string
	replot      string
	cpuProfile  string
	pace        string
	maxStagger  time.Duration // --max-stagger: the longest --pace tournament stagger window
	relay       bool
	apiRouting  string // routeRoundRobin or routeTournament: which of --nodes a tournament's API calls go to
	join        string // joinSocket or joinHTTP: how the players of the latency scenario join
	minRatePct  float64
	thresholds  []threshold
	log         io.Writer
}

// gcPercent is the load tool's GOGC unless the environment sets one. With 10,000 sockets its
// live heap is over 100 MB, and at the default of 100 a collection came every few seconds, with
// its mark assists stalling the socket readers for 150-300 ms: each one showed as a spike of
// notification latency that was the load tool's, not the hub's. At 400 they are a quarter as
// frequent, for a few hundred MB more memory.
const gcPercent = 400

func main() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		if errors.As(err, new(usageError)) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

// parseFlags reads and checks the flags; -h or --help writes the help to help and returns
// flag.ErrHelp. Every other error is a usageError.
func parseFlags(args []string, help io.Writer) (c config, err error) {
	defer func() {
		if err != nil && !errors.Is(err, flag.ErrHelp) {
			err = usageError{err}
		}
	}()
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // an error is returned, and the help printed only when asked for
	fs.Usage = func() {}
	nodes := fs.String("nodes", "http://127.0.0.1:8080", "comma-separated base URLs of the hub nodes")
	fs.StringVar(&c.scenario, "scenario", "latency", "latency | fanout | idle | maxrate")
	fs.IntVar(&c.players, "players", 64, "player sockets (latency, maxrate); sockets to open (idle)")
	fs.IntVar(&c.spectators, "spectators", 0, "spectator sockets (latency: spread over the tournaments; fanout: all on one)")
	fs.IntVar(&c.tsize, "tournament-size", 16, "players per tournament (latency, maxrate)")
	fs.StringVar(&c.format, "format", formats[0], "the tournaments' format (latency, maxrate): "+strings.Join(formats, ", ")+";\n"+
		"every ready match is reported from both sides, players[0] winning 1-0")
	fs.Float64Var(&c.rate, "rate", 100, "results per second (latency); starting rate (maxrate)")
	fs.StringVar(&c.pace, "pace", paceTournament, "how results are paced (latency, maxrate):\n"+
		"tournament: a pacer per tournament at rate/tournaments; tournament i starts i/tournaments into a\n"+
		"stagger window of one cycle (2*matches*tournaments/rate s), after which measuring starts; a\n"+
		"cycle longer than --max-stagger is played faster, in a window of --max-stagger, so that the\n"+
		"tournaments are still spread over their whole cycle; first_setup_seconds is the slowest single\n"+
		"tournament's first setup (--relay: the slots subscribe together first, and their first reports\n"+
		"are staggered over one report interval; first_setup_seconds is the subscribing of all).\n"+
		"shared: one pacer for all, all set up at once before measuring (a stress test of mass turnover);\n"+
		"first_setup_seconds is that setup of all")
	fs.DurationVar(&c.maxStagger, "max-stagger", defaultMaxStagger, "--pace tournament: the longest stagger window; a longer cycle is played in it at the rate\n"+
		"at which it fits (stagger_per_second), not measured")
	fs.StringVar(&c.apiRouting, "api-routing", routeRoundRobin, "which of --nodes a tournament's HTTP calls go to (latency, maxrate; the create always goes to the\n"+
		"tournament's home node; joins are HTTP calls only with --join http):\n"+
		routeRoundRobin+": joins in turn over the nodes, the start to the home node, as behind a round-robin balancer\n"+
		"(the most a node's cached state can be behind);\n"+
		routeTournament+": every join and the start to one node chosen by the tournament's id, as deploy/haproxy.cfg does")
	fs.StringVar(&c.join, "join", joinHTTP, "how players join their tournaments (latency, maxrate):\n"+
		joinHTTP+": POST .../players for each (--api-routing decides the node), the start, then each player's socket\n"+
		"authenticates with its token and the sockets watch the started tournament (nobody watches the registration);\n"+
		joinSocket+": as the player page does: every socket of the group watches the new tournament, each player\n"+
		"joins over its own socket (a join message, no token or auth), one after another, so everyone sees each\n"+
		"registration as an event, then the start")
	fs.DurationVar(&c.duration, "duration", 20*time.Second, "how long to send results (latency, maxrate)")
	fs.DurationVar(&c.step, "step", 6*time.Second, "length of one rate step (maxrate)")
	fs.Float64Var(&c.minRatePct, "min-rate-pct", defaultMinRatePct, "latency: the run fails (exit 1) when it achieves under this per cent of --rate over the\n"+
		"measured window, whatever the cause (0: no check); a hub's rate limits are named when they were the cause")
	var thresholds []string
	fs.Func("threshold", "`METRIC OP VALUE`, repeatable: the run fails (exit 1) unless it holds, e.g. 'p99<10ms',\n"+
		"'rate>=95%', 'errors==0' (see Thresholds above)", func(s string) error {
		thresholds = append(thresholds, s)
		return nil
	})
	fs.Float64Var(&c.p99Limit, "p99-limit", 50, "p99 latency (ms; cross-node, or same-node with one node) a maxrate step must stay under")
	fs.IntVar(&c.refine, "refine", 3, "bisections between the last maxrate step that held and the first that failed (each halves the gap's factor: 3 leave steps under 3%)")
	fs.Int64Var(&c.maxEvents, "max-events", 0, "stop after this many results (0: no limit)")
	fs.IntVar(&c.repeats, "repeats", 20, "publishes (fanout)")
	fs.IntVar(&c.procs, "procs", 1, "client processes for idle sockets (each holds at most ~19k)")
	fs.DurationVar(&c.hold, "hold", 0, "keep idle sockets open this long after measuring (idle)")
	fs.DurationVar(&c.idleWait, "idle-wait", 25*time.Second, "how long the sockets stay idle before the final RSS sample (idle); the default outlasts the hub's first ping (20 s interval)")
	fs.StringVar(&c.out, "out", "", "write the result as JSON to this file")
	fs.StringVar(&c.chart, "chart", "", "write a chart to this file (.svg or .html)")
	ips := fs.String("source-ips", "", "comma-separated local addresses to bind sockets to (e.g. 127.0.0.2,127.0.0.3)")
	pids := fs.String("pids", "", "comma-separated hub process ids to sample CPU and RSS from /proc")
	storePIDs := fs.String("store-pids", "", "latency, maxrate: comma-separated process ids of the store the hubs share (redis-server) to sample\n"+
		"CPU and RSS from /proc, reported beside the hubs' CPU per result")
	fs.StringVar(&c.origin, "origin", "", "Origin header to send on socket upgrades")
	fs.BoolVar(&c.allowRemote, "allow-remote", false, "allow non-loopback --nodes")
	fs.BoolVar(&c.deflate, "deflate", true, "offer permessage-deflate on the hub's sockets, as browsers do (--deflate=false: plain frames)")
	fs.StringVar(&c.protocol, "protocol", "v2", "the hub's protocol version the sockets ask for: v2 (compact events, what browsers ask for) or v1")
	fs.DurationVar(&c.deadline, "deadline", 10*time.Minute, "hard limit on the whole run")
	fs.StringVar(&c.label, "label", "", "free text saved with the result (e.g. the harness run)")
	fs.StringVar(&c.publishURL, "publish-url", "", "fanout against a baseline server: POST here to publish (answer {\"version\":N}) instead of reporting a result")
	fs.StringVar(&c.peer, "peer", "", "fanout against a baseline server, with --publish-url: the protocol its sockets speak;\n"+
		"empty: the hub's (subscribe, then events; bench/baseline/floor speaks it);\n"+
		peerSocketIO+": socket.io 4 over WebSocket (engine.io 4), the default namespace, events as [\"event\",{...}]")
	fs.BoolVar(&c.relay, "relay", false, "latency, maxrate: drive the relay floor (bench/baseline/floor) instead of hubs: no HTTP and no\n"+
		"bracket; each tournament slot is one channel its sockets subscribe to once, and its player sockets\n"+
		"report in turn, each report relayed to every socket of the slot (the least any server does for it)")
	fs.StringVar(&c.replot, "replot", "", "draw --chart from this earlier --out JSON file instead of running")
	fs.StringVar(&c.cpuProfile, "cpuprofile", "", "write the load tool's own CPU profile to this file (go tool pprof)")
	fs.BoolVar(&c.worker, "worker", false, "internal: idle worker process")
	fs.StringVar(&c.tournament, "tournament", "", "internal: tournament id for worker mode")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printHelp(help, fs)
			return c, err
		}
		return c, fmt.Errorf("%w (loadtest --help lists the flags)", err)
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q: loadtest takes only flags (loadtest --help lists them)", fs.Arg(0))
	}
	for _, n := range strings.Split(*nodes, ",") {
		if n = strings.TrimRight(strings.TrimSpace(n), "/"); n != "" {
			c.nodes = append(c.nodes, n)
		}
	}
	if len(c.nodes) == 0 {
		return c, errors.New("--nodes is empty")
	}
	for _, n := range c.nodes {
		if err := checkTarget(n, c.allowRemote); err != nil {
			return c, err
		}
	}
	if c.publishURL != "" {
		if err := checkTarget(c.publishURL, c.allowRemote); err != nil {
			return c, fmt.Errorf("--publish-url: %w", err)
		}
	}
	switch {
	case c.peer != "" && c.peer != peerSocketIO:
		return c, fmt.Errorf("--peer %q: want empty or %s", c.peer, peerSocketIO)
	case c.peer != "" && (c.publishURL == "" || c.scenario != "fanout"):
		return c, errors.New("--peer needs --scenario fanout and --publish-url")
	}
	for _, ip := range strings.Split(*ips, ",") {
		if ip = strings.TrimSpace(ip); ip == "" {
			continue
		}
		a := net.ParseIP(ip)
		if a == nil {
			return c, fmt.Errorf("--source-ips: %q is not an address", ip)
		}
		if !a.IsLoopback() && !c.allowRemote {
			return c, fmt.Errorf("--source-ips: %s is not a loopback address (use --allow-remote)", ip)
		}
		c.sourceIPs = append(c.sourceIPs, ip)
	}
	if c.pids, err = parsePIDs("pids", *pids); err != nil {
		return c, err
	}
	if c.storePIDs, err = parsePIDs("store-pids", *storePIDs); err != nil {
		return c, err
	}
	switch c.scenario {
	case "latency", "fanout", "idle", "maxrate":
	default:
		return c, fmt.Errorf("unknown --scenario %q (latency, fanout, idle, maxrate)", c.scenario)
	}
	if c.relay && c.scenario != "latency" && c.scenario != "maxrate" {
		return c, errors.New("--relay needs --scenario latency or maxrate")
	}
	if c.apiRouting != routeRoundRobin && c.apiRouting != routeTournament {
		return c, fmt.Errorf("unknown --api-routing %q (%s, %s)", c.apiRouting, routeRoundRobin, routeTournament)
	}
	if !slices.Contains(formats, c.format) {
		return c, fmt.Errorf("unknown --format %q (%s)", c.format, strings.Join(formats, ", "))
	}
	if c.relay && c.format != formats[0] {
		return c, errors.New("--format needs hubs: the relay floor (--relay) has no tournaments, only reports")
	}
	if c.join != joinSocket && c.join != joinHTTP {
		return c, fmt.Errorf("unknown --join %q (%s, %s)", c.join, joinSocket, joinHTTP)
	}
	if c.protocol != "v1" && c.protocol != "v2" {
		return c, fmt.Errorf("--protocol %q: want v1 or v2", c.protocol)
	}
	if c.pace != paceTournament && c.pace != paceShared {
		return c, fmt.Errorf("unknown --pace %q (%s, %s)", c.pace, paceTournament, paceShared)
	}
	if c.maxStagger <= 0 {
		return c, fmt.Errorf("--max-stagger %v: want a positive duration, such as 30s", c.maxStagger)
	}
	for _, s := range thresholds {
		t, err := parseThreshold(s, c.scenario, len(c.nodes), len(c.pids) > 0)
		if err != nil {
			return c, err
		}
		c.thresholds = append(c.thresholds, t)
	}
	if c.minRatePct < 0 || c.minRatePct > 100 {
		return c, fmt.Errorf("--min-rate-pct %g: want a per cent from 0 (no check) to 100", c.minRatePct)
	}
	if c.refine < 0 || c.refine > 10 {
		return c, fmt.Errorf("--refine %d: want 0 (the x1.25 steps alone) to 10 bisections", c.refine)
	}
	if c.rate <= 0 || c.duration <= 0 || c.deadline <= 0 || c.procs < 1 || c.tsize < 2 {
		return c, errors.New("--rate, --duration, --deadline, --procs must be positive and --tournament-size at least 2")
	}
	return c, nil
}

// parsePIDs reads flag name's comma-separated process ids.
func parsePIDs(name, list string) ([]int, error) {
	var out []int
	for _, p := range strings.Split(list, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		n, err := strconv.Atoi(p)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("--%s: %q is not a process id", name, p)
		}
		out = append(out, n)
	}
	return out, nil
}

// checkTarget refuses a node that is not on loopback unless remote targets are allowed.
func checkTarget(base string, allowRemote bool) error {
	u, err := url.Parse(base)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return fmt.Errorf("--nodes: %q is not an http(s) base URL", base)
	}
	if allowRemote {
		return nil
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("--nodes: %s is not a loopback address; pass --allow-remote to target it", host)
	}
	return nil
}

// Result is the JSON document --out writes.
type Result struct {
	Scenario string    `json:"scenario"`
	Label    string    `json:"label,omitempty"`
	Started  time.Time `json:"started"`
	Nodes    []string  `json:"nodes"`
	Args     []string  `json:"args"`
	// Protocol is the hub's protocol version the sockets asked for (--protocol).
	Protocol  string `json:"protocol"`
	Sockets   int64  `json:"sockets_opened"`
	ConnFails int64  `json:"connect_failures"`
	Dropped   int64  `json:"sockets_dropped"`
	// PerNode counts this process's sockets by node (the idle scenario's worker processes
	// count theirs in Idle).
	PerNode   []NodeSockets `json:"sockets_per_node"`
	HTTPCalls int64         `json:"http_calls"`
	HTTPRetry int64         `json:"http_retries_429_503"`
	// HTTP429 and WSRateLimited count the hub's rate_limited answers: API requests answered 429
	// (retried after a backoff) and socket messages answered error rate_limited (dropped).
	HTTP429       int64            `json:"http_429_rate_limited"`
	WSRateLimited int64            `json:"ws_rate_limited"`
	Errors        map[string]int64 `json:"errors"`
	Latency       *latencyResult   `json:"latency,omitempty"`
	Fanout        *fanoutResult    `json:"fanout,omitempty"`
	Idle          *idleResult      `json:"idle,omitempty"`
	Series        []Point          `json:"series,omitempty"`
	// Thresholds are the --threshold verdicts, in the order given.
	Thresholds []thresholdResult `json:"thresholds,omitempty"`
	// Failure says why the run failed (exit 1), one reason a line: an error, the target rate not
	// reached, the hub's rate limits.
	Failure    string  `json:"failure,omitempty"`
	ElapsedSec float64 `json:"elapsed_seconds"`
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseFlags(args, stdout)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if cfg.replot != "" {
		b, err := os.ReadFile(cfg.replot)
		if err != nil {
			return err
		}
		var res Result
		if err := json.Unmarshal(b, &res); err != nil {
			return fmt.Errorf("replot: %w", err)
		}
		if cfg.chart == "" {
			return errors.New("--replot needs --chart")
		}
		return writeChart(cfg.chart, &res)
	}
	stderr = &lockedWriter{w: stderr}
	cfg.log = stderr
	if cfg.cpuProfile != "" {
		f, err := os.Create(cfg.cpuProfile)
		if err != nil {
			return fmt.Errorf("--cpuprofile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("--cpuprofile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.deadline)
	defer cancel()
	ctx, stopSig := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stopSig()

	st := newStats(len(cfg.nodes))
	d := newDialer(ctx, cfg.sourceIPs, cfg.origin)
	d.deflate = cfg.deflate
	if cfg.protocol == "v1" {
		d.protocols = []string{subprotocol}
	}
	defer d.close()
	e := &env{cfg: cfg, d: d, api: &api{d: d, st: st}, st: st, rec: newRecorder(time.Now()),
		runID: strconv.FormatInt(time.Now().UnixNano(), 36)}
	e.rec.single = len(cfg.nodes) == 1
	if cfg.worker {
		return runWorker(ctx, e)
	}

	start := time.Now()
	res := &Result{Scenario: cfg.scenario, Label: cfg.label, Started: start.UTC(), Nodes: cfg.nodes, Args: args, Protocol: cfg.protocol}
	stop := make(chan struct{})
	var rec *recorder
	if cfg.scenario == "latency" || cfg.scenario == "maxrate" {
		rec = e.rec
	}
	progressDone := make(chan struct{})
	go func() {
		defer close(progressDone)
		progress(stderr, start, st, rec, stop, nil)
	}()

	var runErr error
	switch cfg.scenario {
	case "latency", "maxrate":
		res.Latency, runErr = runLatency(ctx, e, cfg.scenario == "maxrate")
		res.Series = e.rec.series()
	case "fanout":
		res.Fanout, runErr = runFanout(ctx, e)
	case "idle":
		res.Idle, runErr = runIdle(ctx, e, cfg.players)
	}
	close(stop)
	<-progressDone
	res.Sockets = st.connects.Load()
	if res.Idle != nil && cfg.procs > 1 {
		res.Sockets = res.Idle.Connected // opened by the worker processes
	}
	res.ConnFails = st.connectFails.Load()
	res.Dropped = st.dropped.Load()
	res.PerNode = st.perNode(cfg.nodes)
	res.HTTPCalls = st.httpCalls.Load()
	res.HTTPRetry = st.httpRetries.Load()
	res.HTTP429 = st.http429.Load()
	res.WSRateLimited = st.wsRateLimited.Load()
	res.Errors, _ = st.errorCounts()
	res.ElapsedSec = time.Since(start).Seconds()
	why := judge(cfg, res, runErr != nil)
	if runErr != nil {
		why = append([]string{runErr.Error()}, why...)
	}
	res.Failure = strings.Join(why, "\n")
	if len(why) > 0 {
		runErr = errors.New(res.Failure)
	}

	printTable(stdout, res)
	if cfg.out != "" {
		b, err := json.MarshalIndent(res, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(cfg.out, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	if cfg.chart != "" {
		if err := writeChart(cfg.chart, res); err != nil {
			return err
		}
	}
	return runErr
}

func writeChart(path string, res *Result) error {
	var c *Chart
	switch {
	case res.Latency != nil:
		l := res.Latency
		head, name := l.headline(len(res.Nodes))
		sub := fmt.Sprintf("%d player sockets (%d tournaments of %d), %d spectators, %d node(s), target %.0f results/s; achieved %.0f/s; %s p50 %.1f ms, p99 %.1f ms, max %.1f ms",
			l.PlayerSockets, l.Groups, l.TournamentSize, l.SpectatorSocket, len(res.Nodes), l.TargetRate, l.AckedPerSecond, name, head.P50MS, head.P99MS, head.MaxMS)
		if len(res.Nodes) == 1 {
			sub += " (cross-node: n/a, one node)"
		}
		if res.Scenario == "maxrate" {
			sub = fmt.Sprintf("%d player sockets (%d tournaments of %d), %d node(s), rate stepped up from %.0f/s; highest held: %.0f/s (%s)",
				l.PlayerSockets, l.Groups, l.TournamentSize, len(res.Nodes), l.TargetRate, l.MaxRateHeld, l.MaxRateReason)
		}
		if l.Pace == paceTournament {
			sub += fmt.Sprintf("; tournaments staggered over %.1f s", l.StaggerSeconds)
		}
		if l.Relay {
			sub += "; relay floor (bench/baseline/floor)"
		} else if l.APIRouting == routeTournament {
			sub += "; a tournament's HTTP calls to one node"
		}
		title := "tourhub " + res.Scenario + ": result sent on one node → event at sockets on the others"
		if len(res.Nodes) == 1 {
			title = "tourhub " + res.Scenario + ": result sent → event at the other sockets (one node)"
		}
		c = latencyChart(title, sub, res.Series)
	case res.Fanout != nil:
		f := res.Fanout
		sub := fmt.Sprintf("%d spectators over %d node(s); completion p50 %.1f ms, p99 %.1f ms; server CPU %.1f µs per delivery",
			f.Connected, len(res.Nodes), f.Completion.P50MS, f.Completion.P99MS, f.CPUPerDeliveryUS)
		c = fanoutChart("tourhub fanout: one result until every spectator had it", sub, f.CompletionsMS)
	default:
		return nil // idle has nothing over time to draw
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if strings.HasSuffix(strings.ToLower(path), ".html") {
		err = c.WriteHTML(f)
	} else {
		err = c.WriteSVG(f)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func printTable(w io.Writer, r *Result) {
	row := func(k string, v any) { fmt.Fprintf(w, "  %-34s %v\n", k, v) }
	fmt.Fprintf(w, "\n== %s on %s ==\n", r.Scenario, strings.Join(r.Nodes, ", "))
	row("elapsed", fmt.Sprintf("%.1f s", r.ElapsedSec))
	row("sockets opened / failed / dropped", fmt.Sprintf("%d / %d / %d", r.Sockets, r.ConnFails, r.Dropped))
	if len(r.PerNode) > 1 {
		var parts []string
		for _, n := range r.PerNode {
			parts = append(parts, fmt.Sprintf("%d", n.PeakOpen))
		}
		row("sockets per node (most open)", strings.Join(parts, " / "))
	}
	row("http calls (429/503 retried)", fmt.Sprintf("%d (%d)", r.HTTPCalls, r.HTTPRetry))
	row("rate limited (HTTP 429 / socket)", fmt.Sprintf("%d / %d", r.HTTP429, r.WSRateLimited))
	lat := func(name string, s Summary) {
		if s.Count == 0 {
			row(name, "n/a (no samples)")
			return
		}
		row(name, fmt.Sprintf("n=%d p50=%.2f p90=%.2f p95=%.2f p99=%.2f p99.9=%.2f max=%.2f ms", s.Count, s.P50MS, s.P90MS, s.P95MS, s.P99MS, s.P999MS, s.MaxMS))
	}
	if l := r.Latency; l != nil {
		row("tournaments x size", fmt.Sprintf("%d x %d (%d player sockets, %d spectators)", l.Groups, l.TournamentSize, l.PlayerSockets, l.SpectatorSocket))
		if l.Format != "" {
			row("format", l.Format)
		}
		row("connect", fmt.Sprintf("%.1f s (%.0f sockets/s)", l.ConnectSeconds, l.ConnectRate))
		if !l.Relay {
			row("API routing", l.APIRouting)
			row("players join", l.Join)
		}
		switch {
		case l.Relay && l.Pace == paceTournament:
			row("pace", fmt.Sprintf("per slot (relay), staggered over %.1f s%s", l.StaggerSeconds, l.staggerRate()))
		case l.Pace == paceTournament:
			row("pace", fmt.Sprintf("per tournament, staggered over %.1f s%s", l.StaggerSeconds, l.staggerRate()))
			row("first setup (HTTP, slowest one)", fmt.Sprintf("%.2f s", l.SetupSeconds))
		default:
			row("pace", "shared")
			row("first setup (HTTP, all at once)", fmt.Sprintf("%.1f s", l.SetupSeconds))
		}
		row("results sent / answered", fmt.Sprintf("%d / %d in %.1f s", l.Sent, l.Acked, l.MeasureSeconds))
		switch {
		case l.TargetReached == nil:
			row("results/s (target)", fmt.Sprintf("%.1f (%.0f)", l.AckedPerSecond, l.TargetRate))
		case *l.TargetReached:
			row("results/s achieved / target", fmt.Sprintf("%.1f / %.0f (%.0f %%: reached)", l.AckedPerSecond, l.TargetRate, 100*l.AckedPerSecond/l.TargetRate))
		default:
			row("results/s achieved / target", fmt.Sprintf("%.1f / %.0f (%.0f %%: NOT REACHED, under %g %%)", l.AckedPerSecond, l.TargetRate,
				100*l.AckedPerSecond/l.TargetRate, l.MinRatePct))
		}
		if l.CrossNode != nil && len(r.Nodes) > 1 {
			lat("cross-node latency", *l.CrossNode)
		} else {
			row("cross-node latency", "n/a (one node)")
		}
		lat("same-node latency", l.SameNode)
		lat("reply to the sender (commit)", l.Reply)
		u := l.Usage
		for _, h := range u.Hubs {
			row(fmt.Sprintf("hub pid %d", h.PID), fmt.Sprintf("%.2f cores, RSS %.0f MiB", h.CPUCores, h.RSSMiB))
		}
		if len(u.Hubs) > 0 {
			row("hub CPU per result", fmt.Sprintf("%.2f ms, of which the kernel's %.2f ms", u.HubCPUPerResult, u.HubKernelPerResult))
		}
		row("load tool", fmt.Sprintf("%.2f cores (%.2f ms per result), RSS %.0f MiB", u.LoadTool.CPUCores, u.LoadCPUPerResult, u.LoadTool.RSSMiB))
		row("machine steal", fmt.Sprintf("%.2f cores (-1: unknown)", u.StealCores))
		if c := l.Commits; c != nil {
			row("commits retried (lost CAS)", fmt.Sprintf("%d of %d (%.1f %%); %d stale caches read before applying, %d commits unchecked",
				c.Conflicts, c.Commits, c.RetriedPct, c.Stale, c.Unchecked))
		} else {
			row("commits retried (lost CAS)", "n/a (the hubs do not count commits: not on Redis)")
		}
		for _, s := range l.Steps {
			row(fmt.Sprintf("step %.0f/s", s.Target), fmt.Sprintf("achieved %.0f/s p99 %.1f ms errors %d held=%v; hub CPU %.2f ms/result, steal %.2f cores",
				s.Achieved, s.latency().P99MS, s.Errors, s.Held, s.Usage.HubCPUPerResult, s.Usage.StealCores))
		}
		if r.Scenario == "maxrate" {
			row("max sustained results/s", fmt.Sprintf("%.0f (%s)", l.MaxRateHeld, l.MaxRateReason))
		}
	}
	if f := r.Fanout; f != nil {
		row("spectators", fmt.Sprintf("%d subscribed in %.1f s (%.0f/s)", f.Connected, f.SubscribeSeconds, f.ConnectRate))
		row("publishes complete", fmt.Sprintf("%d of %d (%d deliveries missing)", f.Completed, f.Repeats, f.Missing))
		lat("completion", f.Completion)
		lat("per-delivery latency", f.Delivery)
		row("bytes per delivery", fmt.Sprintf("%.0f (the event messages of one publish)", f.BytesPerDelivery))
		if f.CPUMeasured {
			row("server CPU per delivery", fmt.Sprintf("%.1f µs (%.3f s over %d deliveries, from each publish to its last delivery)", f.CPUPerDeliveryUS, f.ServerCPUSeconds, f.Deliveries))
			row("  over the whole window", fmt.Sprintf("%.1f µs (%.3f s over %.1f s), %.1f µs net of the background", f.CPUPerDeliveryWindowUS, f.WindowCPUSeconds, f.WindowSeconds, f.CPUPerDeliveryNetUS))
			row("server background", fmt.Sprintf("%.4f cores, subscribed and idle, over %.0f s", f.BackgroundCores, f.BackgroundSeconds))
		} else {
			row("server CPU per delivery", "not measured (no --pids)")
		}
	}
	if i := r.Idle; i != nil {
		row("sockets", fmt.Sprintf("%d of %d (%d failed) over %d process(es), %d node(s)", i.Connected, i.Requested, i.Failed, i.Procs, i.Nodes))
		row("connect", fmt.Sprintf("%.1f s (%.0f sockets/s)", i.ConnectSeconds, i.ConnectRate))
		if i.RSSMeasured {
			row("hub RSS before / connected / idle", fmt.Sprintf("%.1f / %.1f / %.1f MiB", float64(i.RSSBefore)/(1<<20),
				float64(i.RSSConnected)/(1<<20), float64(i.RSSAfter)/(1<<20)))
			row("RSS per socket, connected", fmt.Sprintf("%.1f KiB", i.KiBConnected))
			row("RSS per idle socket", fmt.Sprintf("%.1f KiB (after %.0f s idle)", i.KiBPerSocket, i.IdleSeconds))
			row("sockets the hubs hold then", fmt.Sprintf("%d (their tourhub_ws_sockets; -1: not read)", i.HubSockets))
			row("hub CPU while idle", fmt.Sprintf("%.4f cores (%.2f µs per socket-second, over %.0f s)", i.CPUCores, i.CPUPerSocketSecond, i.IdleSeconds))
		} else {
			row("RSS per idle socket", "not measured (no --pids)")
		}
	}
	if len(r.Errors) > 0 {
		var parts []string
		for _, k := range sortedKeys(r.Errors) {
			parts = append(parts, fmt.Sprintf("%s=%d", k, r.Errors[k]))
		}
		row("errors", strings.Join(parts, " "))
	}
	if len(r.Thresholds) > 0 {
		fmt.Fprintln(w, "  thresholds")
		for _, t := range r.Thresholds {
			fmt.Fprintf(w, "    %-32s %s\n", t.Threshold, t)
		}
	}
	if t := r.throttle(); t.any() && !strings.Contains(r.Failure, t.String()) {
		fmt.Fprintf(w, "\nWARNING: %s\n", t)
	}
	if r.Failure != "" {
		fmt.Fprintln(w)
		for _, line := range strings.Split(r.Failure, "\n") {
			fmt.Fprintf(w, "FAILED: %s\n", line)
		}
	}
}

// lockedWriter serialises the progress lines and the scenarios' messages.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
