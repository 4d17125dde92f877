#!/usr/bin/env bash
# Scratch script of the 2026-12-05 replay experiment, kept as it ran (see SUMMARY.md).
# usage: prof.sh OUTDIR [hub binary]  -- 3 hubs, one redis, latency at 300/s, 20s CPU profile of each
set -euo pipefail
OUT=$1; HUB=${2:-/tmp/p/hub}
mkdir -p $OUT
cd /work/main
go build -o /tmp/p/loadtest ./cmd/loadtest
rport=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
redis-server --port $rport --save '' --appendonly no > $OUT/redis.log 2>&1 & rp=$!
PIDS=($rp); trap 'kill ${PIDS[@]} 2>/dev/null' EXIT
sleep 0.5
nodes=""; npids=()
for i in 1 2 3; do
  dport=$((7060+i))
  $HUB --addr 127.0.0.1:0 --redis redis://127.0.0.1:$rport/0 --secret bench-count-secret-0123456789abcdef01 --http-rate 100000 --http-burst 100000 --ws-per-addr 100000 --ws-idle-timeout 10m --log-level warn --debug-addr 127.0.0.1:$dport > $OUT/hub$i.log 2>&1 &
  npids+=($!); PIDS+=($!)
  for _ in $(seq 100); do grep -q "listening on" $OUT/hub$i.log && break; sleep 0.1; done
  nodes="$nodes,http://$(grep -m1 -o 'listening on .*' $OUT/hub$i.log | cut -d' ' -f3)"
done
SRC="$(seq -s, -f '127.0.0.%g' 2 17)"
/tmp/p/loadtest --nodes "${nodes#,}" --pids "$(IFS=,; echo "${npids[*]}")" --scenario latency --min-rate-pct 0 --players ${PLAYERS:-3000} --tournament-size 16 --spectators 300 --rate ${RATE:-300} --duration ${DUR:-40s} --source-ips "$SRC" --deadline 10m --out $OUT/lt.json > $OUT/lt.out 2> $OUT/lt.err & lt=$!
for _ in $(seq 1200); do grep -q staggering $OUT/lt.err && break; sleep 0.25; done
w=$(grep -o 'over [0-9.]*s' $OUT/lt.err | grep -o '[0-9.]*' | head -1); sleep $w; sleep 5
[ -n "${NOPROF:-}" ] || for i in 1 2 3; do curl -s -o $OUT/cpu$i.pprof "http://127.0.0.1:$((7060+i))/debug/pprof/profile?seconds=20" & done

[ -n "${NOPROF:-}" ] || sleep 21
wait $lt || true
python3 -c "import json;d=json.load(open('$OUT/lt.json'))['latency'];print('rate',d['results_per_second'],'cpu/result',d['usage']['hub_cpu_ms_per_result'])"
i=0; for n in ${nodes//,/ }; do i=$((i+1)); curl -s $n/metrics | grep -E "^tourhub_redis_(replay|commits|cas|stale)" > $OUT/metrics$i.txt; done
