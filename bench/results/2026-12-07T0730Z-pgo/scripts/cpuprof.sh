#!/usr/bin/env bash
# three hubs ($HUB) on a fresh redis, latency load, CPU profile of each node for 20 s -> $OUT/cpu-N.pb.gz
set -u
OUT=${OUT:-/tmp/pgo}; HUB=${HUB:-$OUT/hub}
. /work/main/bench/lib.sh
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill $p 2>/dev/null; done' EXIT
start_redis $OUT/redis.log || exit 1; PIDS+=($RPID)
nodes="" npids=() dbg=()
for i in 1 2 3; do
  d=$(freeport)
  $HUB --addr 127.0.0.1:0 --redis "redis://127.0.0.1:$RPORT/0" --debug-addr 127.0.0.1:$d \
    --secret bench-split-secret-0123456789abcdef01 --http-rate 1000000 --http-burst 1000000 \
    --ws-per-addr 1000000 --ws-idle-timeout 10m --log-level warn >$OUT/hub-$i.log 2>&1 &
  npids+=($!); PIDS+=($!); dbg+=($d)
  for _ in $(seq 100); do grep -q "listening on" $OUT/hub-$i.log && break; sleep 0.1; done
  nodes="$nodes,http://$(grep -m1 -o 'listening on .*' $OUT/hub-$i.log | cut -d' ' -f3)"
done
$OUT/loadtest --nodes "${nodes#,}" --pids "$(IFS=,; echo "${npids[*]}")" --scenario latency --min-rate-pct 0 \
  --players ${PLAYERS:-10000} --tournament-size 16 --spectators ${SPECS:-300} --rate ${RATE:-1000} --duration 25s \
  --source-ips "$(seq -s, -f '127.0.0.%g' 2 17)" --deadline 10m --api-routing tournament --out $OUT/lt.json >$OUT/lt.out 2>$OUT/lt.err &
lt=$!
for _ in $(seq 1200); do grep -q staggering $OUT/lt.err && break; sleep 0.25; done
sleep 2
cpids=(); for j in 0 1 2; do curl -s -o $OUT/cpu-$j.pb.gz "http://127.0.0.1:${dbg[$j]}/debug/pprof/profile?seconds=20" & cpids+=($!); done
wait "${cpids[@]}"
wait $lt
grep -i "results/s\|hub CPU per result" $OUT/lt.out | head -3
