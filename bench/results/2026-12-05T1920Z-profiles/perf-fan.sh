#!/usr/bin/env bash
set -uo pipefail
OUT=$1; mkdir -p $OUT
fp() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
rport=$(fp)
redis-server --port $rport --bind 127.0.0.1 --save '' --appendonly no > $OUT/redis.log 2>&1 & rp=$!
PIDS=($rp); trap 'kill ${PIDS[@]} 2>/dev/null' EXIT
sleep 0.5
nodes=""; npids=()
for i in 1 2 3; do
  p=$(fp)
  /tmp/p/hub --addr 127.0.0.1:$p --redis redis://127.0.0.1:$rport/0 --secret bench-count-secret-0123456789abcdef01 --http-rate 100000 --http-burst 100000 --ws-per-addr 100000 --ws-idle-timeout 10m --log-level warn > $OUT/n$i.log 2>&1 &
  npids+=($!); PIDS+=($!); nodes="$nodes,http://127.0.0.1:$p"
done
sleep 1
SRC="$(seq -s, -f '127.0.0.%g' 2 17)"
/tmp/p/loadtest --nodes "${nodes#,}" --pids "$(IFS=,; echo "${npids[*]}")" --scenario fanout --spectators 10000 --repeats 40 --source-ips "$SRC" --deadline 10m --out $OUT/lt.json > $OUT/lt.out 2> $OUT/lt.err & lt=$!
for _ in $(seq 1200); do grep -qi "publish" $OUT/lt.err && break; sleep 0.25; done
perf record -e cpu-clock -F 999 -g -o $OUT/perf.data -p "$(IFS=,; echo "${npids[*]}")" -- sleep 12 > $OUT/perf.log 2>&1
wait $lt
tail -25 $OUT/lt.out
