#!/usr/bin/env bash
# Scratch script of the 2026-12-05 breakdown, kept as it ran (see SUMMARY.md): perf needs linux-perf.
set -uo pipefail
OUT=$1; mkdir -p $OUT
rport=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
redis-server --port $rport --save '' --appendonly no > $OUT/redis.log 2>&1 & rp=$!
PIDS=($rp); trap 'kill ${PIDS[@]} 2>/dev/null' EXIT
sleep 0.5
nodes=""; npids=()
for i in 1 2 3; do
  p=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
  /tmp/p/hub --addr 127.0.0.1:$p --redis redis://127.0.0.1:$rport/0 --secret bench-count-secret-0123456789abcdef01 --http-rate 100000 --http-burst 100000 --ws-per-addr 100000 --ws-idle-timeout 10m --log-level warn > $OUT/floor$i.log 2>&1 &
  npids+=($!); PIDS+=($!); nodes="$nodes,http://127.0.0.1:$p"
done
sleep 1
SRC="$(seq -s, -f '127.0.0.%g' 2 17)"
/tmp/p/loadtest --nodes "${nodes#,}" --pids "$(IFS=,; echo "${npids[*]}")" --scenario latency --min-rate-pct 0 --players 3000 --tournament-size 16 --spectators 300 --rate 300 --duration 40s --source-ips "$SRC" --deadline 10m --out $OUT/lt.json > $OUT/lt.out 2> $OUT/lt.err & lt=$!
for _ in $(seq 1200); do grep -q staggering $OUT/lt.err && break; sleep 0.25; done
w=$(grep -o 'over [0-9.]*s' $OUT/lt.err | grep -o '[0-9.]*' | head -1); sleep $w; sleep 5
perf record -e cpu-clock -F 499 -g -o $OUT/perf.data -p "$(IFS=,; echo "${npids[*]}")" -- sleep 20 > $OUT/perf.log 2>&1
wait $lt
python3 -c "import json;d=json.load(open('$OUT/lt.json'))['latency'];print('rate',d['results_per_second'],'cpu/result',d['usage']['hub_cpu_ms_per_result'])"
