package main

import (
	"flag"
	"fmt"
	"io"
)

// helpText opens loadtest --help, before the flags: what each scenario measures with a command
// that runs it, how to start a hub that does not throttle it, thresholds and exit statuses. The
// examples are kept runnable by TestHelpExamplesParse.
const helpText = `Usage: loadtest [flags]

loadtest drives tourhub nodes over real sockets and reports what it measured: a table on stdout,
progress on stderr, the same as JSON with --out, a chart with --chart. It targets only --nodes
(loopback ones unless --allow-remote), and --duration and --deadline bound every run.

Start a hub for load tests first. Its default rate limits (20 API requests/s, burst 40, per client
address; 20 messages/s, burst 40, per socket) are meant for people, and this tool sends everything
from one address: raise them, or the run is throttled and fails.

  go run ./cmd/hub --http-rate 100000 --http-burst 100000 --ws-rate 100000 --ws-burst 100000

Scenarios (--scenario), each with an example against that hub on http://127.0.0.1:8080 (the
default --nodes; several nodes on one Redis: --nodes http://127.0.0.1:8081,http://127.0.0.1:8082):

  latency  Tournaments of --tournament-size players, a socket each, report their results over the
           sockets at --rate results/s in all for --duration; measures the time from a report until
           the other players and the --spectators have its event (cross-node and same-node). Fails
           unless it achieves --min-rate-pct (95) of --rate.
             loadtest --scenario latency --players 64 --spectators 8 --rate 100 --duration 20s

  fanout   --spectators sockets watch one tournament while the organiser reports --repeats results
           over HTTP; measures the time until the last spectator has each, and with --pids the
           hub's CPU per delivery.
             loadtest --scenario fanout --spectators 1000 --repeats 20 --pids $(pgrep -d, -x hub)

  idle     --players sockets, spread over the nodes, subscribe, then stay idle for --idle-wait;
           measures the hubs' memory per socket and their CPU while idle (with --pids; --procs
           spreads very many sockets over processes).
             loadtest --scenario idle --players 2000 --pids $(pgrep -d, -x hub)

  maxrate  latency with the rate raised x1.25 every --step from --rate, until a step's p99 passes
           --p99-limit ms or it achieves under 90 % of its target (twice in a row; a step that
           fails while the host steals 0.15 cores or more is measured again, up to 3 times), then
           --refine bisections between the last step that held and the first that failed (3: the
           answer within 3 %); reports the highest rate achieved in a step that held.
             loadtest --scenario maxrate --players 256 --rate 50 --step 6s --duration 60s

  --relay  latency or maxrate against the relay floor (bench/baseline/floor) instead of hubs: the
           same sockets and pacing, but a report is only committed and relayed, with no HTTP and no
           bracket: what the machine can do at all. The floor listens on 127.0.0.1:9101 and needs
           a redis-server on 127.0.0.1:6379 (its --redis names another):
             go run ./bench/baseline/floor &
             loadtest --relay --nodes http://127.0.0.1:9101 --scenario latency --players 64 --rate 100

Thresholds: --threshold METRIC OP VALUE (repeatable; OP is < <= > >= == or !=) fails the run
unless it holds; the table lists each as passed or FAILED with the measured value.
  p50 p90 p95 p99 p99.9 max mean   the headline latency, in ms unless given (10ms, 1s, 250us):
                                   cross-node with several nodes, same-node with one; in fanout
                                   the completion (until the last spectator had the event)
  cross_ same_ reply_ + those      latency, maxrate: cross-node (two or more nodes), same-node,
                                   reply to the sender
  delivery_ + those                fanout: every delivery
  rate                             latency: results/s achieved (rate>=95% is a per cent of
                                   --rate); maxrate: the highest achieved in a held step
  errors rate_limited http_429 ws_rate_limited dropped connect_failures
                                   counts, in every scenario
  missing bytes_per_delivery       fanout: deliveries that never came; event bytes per delivery
  retried                          latency, maxrate: commits whose compare-and-set lost and was
                                   retried, per cent of commits (hubs on Redis, from /metrics)
  hub_cpu_per_result cpu_per_delivery window_cpu_per_delivery kib_per_socket idle_cores
                                   with --pids: hub CPU per result in ms (latency, maxrate; the
                                   table and JSON also give the kernel's part of it),
                                   per delivery in µs (fanout: from each publish to its last
                                   delivery, or over the whole window with the background), hub
                                   RSS per idle socket in KiB and hub CPU while idle (idle)
  e.g.  loadtest --scenario latency --threshold 'p99<10ms' --threshold 'rate>=95%' --threshold errors==0

Exit status: 0 passed; 1 failed: an error, the target rate missed, a threshold failed, or the hub
throttled a run that has no target rate (maxrate, fanout, idle); 2 bad flags.

Flags:
`

// printHelp writes loadtest --help.
func printHelp(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprint(w, helpText)
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
}

// usageError is a mistake in the flags: main exits 2 for it, before anything ran.
type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }
