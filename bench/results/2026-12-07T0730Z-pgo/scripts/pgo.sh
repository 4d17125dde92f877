#!/usr/bin/env bash
# Usage: bench/pgo [--out FILE]
#
# Makes cmd/hub/default.pgo, the CPU profile that `go build` and `go run` use to optimise the hub
# (profile-guided optimisation: hot calls inlined, interface calls devirtualised; see
# https://go.dev/doc/pgo). The profile is of the work the hub is judged by (issue 15): three nodes
# built without a profile on a fresh redis-server, first under the latency load of target 1
# (10,000 player sockets and 300 spectators in tournaments of 16, 1,000 results/s, with
# --api-routing tournament as bench/run plays it), each node profiled for PROFILE_SECONDS
# (default 20) of it, then under a fan-out to 10,000 spectators (every node profiled over the
# whole fan-out). The six profiles are merged into one (`go tool pprof -proto`).
#
# Run it on an otherwise idle machine after a change that moves where the hub spends its time,
# and commit the new profile with the change; a profile a little out of date still helps (Go
# matches it to the code by function and line offset), and a wrong one only costs speed. It takes
# about three minutes. Writes FILE (default cmd/hub/default.pgo), with the raw profiles and the
# load tool's output in a new directory under /tmp.
set -euo pipefail
main() {
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUTFILE="$ROOT/cmd/hub/default.pgo"
while [ $# -gt 0 ]; do
	case "$1" in
	--out) OUTFILE="$2"; shift ;;
	-h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
	*) echo "bench/pgo: unknown argument $1 (see --help)" >&2; exit 2 ;;
	esac
	shift
done
SECS=${PROFILE_SECONDS:-20}
log() { echo "bench/pgo: $*" >&2; }
command -v redis-server >/dev/null || { log "redis-server not found: bash .ci/deps installs it"; exit 1; }
command -v curl >/dev/null || { log "curl not found (Debian: apt-get install curl)"; exit 1; }
WORK=$(mktemp -d /tmp/bench-pgo.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
. "$ROOT/bench/lib.sh"

log "building the hub (without a profile) and the load tool in $WORK"
(cd "$ROOT" && go build -pgo=off -o "$WORK/hub" ./cmd/hub && go build -o "$WORK/loadtest" ./cmd/loadtest)
start_redis "$WORK/redis.log" || exit 1
PIDS+=("$RPID")
nodes="" npids=() dbg=()
for i in 1 2 3; do
	d=$(freeport)
	"$WORK/hub" --addr 127.0.0.1:0 --redis "redis://127.0.0.1:$RPORT/0" --debug-addr "127.0.0.1:$d" \
		--secret bench-pgo-secret-0123456789abcdef0123 --http-rate 1000000 --http-burst 1000000 \
		--ws-per-addr 1000000 --ws-idle-timeout 10m --log-level warn >"$WORK/hub-$i.log" 2>&1 &
	npids+=($!) dbg+=("$d")
	PIDS+=($!)
	for _ in $(seq 100); do grep -q "listening on" "$WORK/hub-$i.log" && break; sleep 0.1; done
	grep -q "listening on" "$WORK/hub-$i.log" || { log "node $i did not start: $WORK/hub-$i.log"; exit 1; }
	nodes="$nodes,http://$(grep -m1 -o 'listening on .*' "$WORK/hub-$i.log" | cut -d' ' -f3)"
done
nodes=${nodes#,}
pids=$(IFS=,; echo "${npids[*]}")
SRC="$(seq -s, -f '127.0.0.%g' 2 17)"

# profile NAME SECONDS: each node's CPU profile over the next SECONDS, in the background.
profile() {
	for j in 0 1 2; do
		curl -sf -o "$WORK/$1-$j.pprof" "http://127.0.0.1:${dbg[$j]}/debug/pprof/profile?seconds=$2" &
		CURLS+=($!)
	done
}

log "latency: 10,000 players, 300 spectators, 1,000 results/s; profiling ${SECS}s of it"
"$WORK/loadtest" --nodes "$nodes" --pids "$pids" --scenario latency --min-rate-pct 0 --players 10000 \
	--tournament-size 16 --spectators 300 --rate 1000 --duration "$((SECS + 5))s" --source-ips "$SRC" \
	--deadline 10m --api-routing tournament --out "$WORK/latency.json" >"$WORK/latency.out" 2>"$WORK/latency.err" &
lt=$!
for _ in $(seq 1200); do grep -q staggering "$WORK/latency.err" && break; kill -0 $lt 2>/dev/null || break; sleep 0.25; done
grep -q staggering "$WORK/latency.err" || { log "the load tool did not start measuring: $WORK/latency.err"; exit 1; }
sleep 2
CURLS=()
profile latency "$SECS"
wait "${CURLS[@]}" || { log "a latency profile failed"; exit 1; }
wait $lt || { log "the latency load failed: $WORK/latency.err"; exit 1; }

log "fan-out: 10,000 spectators, 20 results; profiling the whole of it"
CURLS=()
profile fanout 30
"$WORK/loadtest" --nodes "$nodes" --pids "$pids" --scenario fanout --spectators 10000 --repeats 20 \
	--source-ips "$SRC" --deadline 5m --out "$WORK/fanout.json" >"$WORK/fanout.out" 2>"$WORK/fanout.err" ||
	{ log "the fan-out failed: $WORK/fanout.err"; exit 1; }
wait "${CURLS[@]}" || { log "a fan-out profile failed"; exit 1; }

(cd "$ROOT" && go tool pprof -proto "$WORK"/latency-*.pprof "$WORK"/fanout-*.pprof) >"$OUTFILE.tmp" 2>"$WORK/merge.log" ||
	{ log "merging the profiles failed: $WORK/merge.log"; rm -f "$OUTFILE.tmp"; exit 1; }
mv "$OUTFILE.tmp" "$OUTFILE"
log "wrote $OUTFILE ($(wc -c <"$OUTFILE") bytes); raw profiles and output in $WORK"
}
main "$@"
