#!/usr/bin/env bash
# Usage: loadrun.sh MODE BIN OUT   (run from a checkout: it sources bench/lib.sh)
#
# Three hubs of BIN/hub on a fresh redis-server, BIN/loadtest at target 1's load (10,000 players in
# tournaments of 16, 300 spectators, 1,000 results/s, the API by tournament), and one look at it:
#   cmdwin    (added 2026-12-07T1720Z) after the stagger and 2 s, CONFIG RESETSTAT, then INFO
#             commandstats 15 s later (OUT/cmdwin.txt): the commands of a measured window only;
#   cmdstats  after DUR (default 20s) measured: Redis's INFO commandstats (OUT/cmdstats.txt) and the
#             nodes' tourhub_redis_* and tourhub_ws_* metrics (OUT/metrics.txt);
#   allocs    a 15 s delta allocation profile of node 1 (OUT/allocs.pb.gz; go tool pprof
#             -sample_index=alloc_space BIN/hub OUT/allocs.pb.gz);
#   slowlog   every Redis command of 2 s mid-run with its duration (OUT/slowlog.txt, redis-cli's
#             SLOWLOG GET with slowlog-log-slower-than 0, which itself slows each command).
set -euo pipefail
MODE=$1 BIN=$2 OUT=$3
mkdir -p "$OUT"
. "$(git rev-parse --show-toplevel)/bench/lib.sh"
start_redis "$OUT/redis.log"
PIDS=("$RPID")
trap 'kill "${PIDS[@]}" 2>/dev/null || true' EXIT
nodes="" npids=()
for i in 1 2 3; do
	dbg=()
	[ "$i" = 1 ] && [ "$MODE" = allocs ] && dbg=(--debug-addr 127.0.0.1:6061)
	"$BIN/hub" --addr 127.0.0.1:0 --redis "redis://127.0.0.1:$RPORT/0" --secret loadrun-secret-0123456789abcdef0123 \
		--http-rate 1000000 --http-burst 1000000 --ws-per-addr 1000000 --ws-idle-timeout 10m --log-level warn "${dbg[@]}" \
		>"$OUT/hub-$i.log" 2>&1 &
	npids+=($!) PIDS+=($!)
	for _ in $(seq 100); do grep -q "listening on" "$OUT/hub-$i.log" && break; sleep 0.1; done
	nodes="$nodes,http://$(grep -m1 -o 'listening on .*' "$OUT/hub-$i.log" | cut -d' ' -f3)"
done
"$BIN/loadtest" --nodes "${nodes#,}" --pids "$(IFS=,; echo "${npids[*]}")" --scenario latency --min-rate-pct 0 \
	--players 10000 --tournament-size 16 --spectators 300 --rate 1000 --duration "${DUR:-20s}" \
	--source-ips "$(seq -s, -f '127.0.0.%g' 2 17)" --deadline 10m --out "$OUT/lt.json" --api-routing tournament \
	>"$OUT/lt.out" 2>"$OUT/lt.err" &
lt=$!
for _ in $(seq 1200); do grep -q staggering "$OUT/lt.err" && break; sleep 0.25; done
case "$MODE" in
allocs)
	sleep "$(grep -o 'over [0-9.]*s' "$OUT/lt.err" | grep -o '[0-9.]*' | head -1)"
	sleep 3
	curl -s -o "$OUT/allocs.pb.gz" "http://127.0.0.1:6061/debug/pprof/allocs?seconds=15"
	;;
cmdwin)
	sleep "$(grep -o "over [0-9.]*s" "$OUT/lt.err" | grep -o "[0-9.]*" | head -1)"; sleep 2
	redis-cli -p "$RPORT" config resetstat >/dev/null; date +%s.%N >"$OUT/t0"
	sleep 15
	redis-cli -p "$RPORT" info commandstats >"$OUT/cmdwin.txt"; date +%s.%N >"$OUT/t1"
	redis-cli -p "$RPORT" info cpu >>"$OUT/cmdwin.txt"
	;;
slowlog)
	sleep 8
	rc() { redis-cli -p "$RPORT" "$@" >/dev/null; }
	rc config set slowlog-max-len 20000
	rc slowlog reset
	rc config set slowlog-log-slower-than 0
	sleep 2
	rc config set slowlog-log-slower-than 100000
	redis-cli -p "$RPORT" slowlog get 20000 >"$OUT/slowlog.txt"
	;;
esac
wait $lt
if [ "$MODE" = cmdstats ]; then
	redis-cli -p "$RPORT" info commandstats >"$OUT/cmdstats.txt"
	for n in ${nodes//,/ }; do curl -s "$n/metrics" | grep -E '^tourhub_(redis|ws)_'; done >"$OUT/metrics.txt"
fi
