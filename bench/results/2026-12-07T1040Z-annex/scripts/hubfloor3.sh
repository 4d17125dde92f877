#!/usr/bin/env bash
# hubfloor3.sh OUT ROUNDS: three arms in rotation, the hub of $BIN, the hub $OLD and the floor; target 1's latency load (10,000 players, 300 spectators, 1,000/s, 20 s; PLAYERS,
# SPECS, RATE, DUR) on the hub and on the floor in turn (hub first in odd rounds), each three fresh nodes on a
# fresh redis-server, as bench/run runs them (hub: --api-routing tournament; floor: --relay). Binaries in $BIN
# (hub, floor, loadtest). One line per run in OUT/runs.tsv, then the hub/floor ratio of each round.
set -u
OUT=$1 ROUNDS=$2 BIN=${BIN:-/tmp/split10k}
mkdir -p $OUT; : > $OUT/runs.tsv
. /work/main/bench/lib.sh
SRC="$(seq -s, -f '127.0.0.%g' 2 17)"
one() { # one ARM ROUND
  local arm=$1 r=$2 PIDS=() nodes="" npids=() extra=()
  start_redis $OUT/redis.log || exit 1; PIDS+=($RPID)
  for i in 1 2 3; do
    if [ $arm = floor ]; then
      p=$(freeport); $BIN/floor --addr 127.0.0.1:$p --redis redis://127.0.0.1:$RPORT/0 >$OUT/$arm-$i.log 2>&1 &
      npids+=($!); PIDS+=($!); nodes="$nodes,http://127.0.0.1:$p"; sleep 0.3
    else
      ${HUBBIN[$arm]} --addr 127.0.0.1:0 --redis redis://127.0.0.1:$RPORT/0 --secret bench-split-secret-0123456789abcdef01 \
        --http-rate 1000000 --http-burst 1000000 --ws-per-addr 1000000 --ws-idle-timeout 10m --log-level warn >$OUT/$arm-$i.log 2>&1 &
      npids+=($!); PIDS+=($!)
      for _ in $(seq 100); do grep -q "listening on" $OUT/$arm-$i.log && break; sleep 0.1; done
      nodes="$nodes,http://$(grep -m1 -o 'listening on .*' $OUT/$arm-$i.log | cut -d' ' -f3)"
    fi
  done
  if [ $arm = floor ]; then extra=(--relay); else extra=(--api-routing tournament); fi
  $BIN/loadtest --nodes "${nodes#,}" --pids "$(IFS=,; echo "${npids[*]}")" --scenario latency --min-rate-pct 0 \
    --players ${PLAYERS:-10000} --tournament-size 16 --spectators ${SPECS:-300} --rate ${RATE:-1000} --duration ${DUR:-20s} \
    --source-ips "$SRC" --deadline 10m --out $OUT/$arm-$r.json "${extra[@]}" >$OUT/$arm-$r.out 2>$OUT/$arm-$r.err
  for p in "${PIDS[@]}"; do kill $p 2>/dev/null; done; wait 2>/dev/null
  python3 - $OUT/$arm-$r.json $r $arm >> $OUT/runs.tsv <<'PY'
import json,sys
d=json.load(open(sys.argv[1]))['latency']; u=d['usage']
print(sys.argv[2], sys.argv[3], f"{u['hub_cpu_ms_per_result']:.4f}", f"{u['hub_kernel_ms_per_result']:.4f}", f"{u['load_tool_cpu_ms_per_result']:.4f}", f"{d['results_per_second']:.1f}", sep='\t')
PY
  tail -1 $OUT/runs.tsv >&2
}
declare -A HUBBIN=([hub]=$BIN/hub [old]=${OLD:-/tmp/hub-old})
for r in $(seq $ROUNDS); do
  case $((r % 3)) in
  1) one hub $r; one old $r; one floor $r ;;
  2) one old $r; one floor $r; one hub $r ;;
  0) one floor $r; one hub $r; one old $r ;;
  esac
done
