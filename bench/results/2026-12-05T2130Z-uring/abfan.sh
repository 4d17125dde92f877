#!/usr/bin/env bash
# A/B of two hub binaries in the fan-out to 10,000 spectators (20 repeats): whole-window CPU per delivery.
# Usage: abfan.sh OUTDIR BIN_A BIN_B [pairs]
set -uo pipefail
OUT=$1; A=$2; B=$3; N=${4:-3}; mkdir -p $OUT
fp() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
one() {
  local D=$1 BIN=$2; mkdir -p $D
  local rport=$(fp)
  redis-server --port $rport --bind 127.0.0.1 --save '' --appendonly no > $D/redis.log 2>&1 & local rp=$!
  local PIDS=($rp); sleep 0.5
  local nodes="" npids=() i
  for i in 1 2 3; do
    local p=$(fp)
    $BIN --addr 127.0.0.1:$p --redis redis://127.0.0.1:$rport/0 --secret bench-count-secret-0123456789abcdef01 --http-rate 100000 --http-burst 100000 --ws-per-addr 100000 --ws-idle-timeout 10m --log-level info > $D/n$i.log 2>&1 &
    npids+=($!); PIDS+=($!); nodes="$nodes,http://127.0.0.1:$p"
  done
  sleep 1
  /tmp/p/loadtest --nodes "${nodes#,}" --pids "$(IFS=,; echo "${npids[*]}")" --scenario fanout --spectators ${SPECS:-10000} --repeats 20 --source-ips "$(seq -s, -f '127.0.0.%g' 2 17)" --deadline 10m --out $D/lt.json > $D/lt.out 2> $D/lt.err
  kill ${PIDS[@]} 2>/dev/null; wait 2>/dev/null
  python3 -c "
import json;d=json.load(open('$D/lt.json'))['fanout']
print('$D'.split('/')[-1], 'publish-window %.2f us  whole %.2f us  net %.2f us  bg %.4f cores  missing %s  subscribe %.1f s' % (d['server_cpu_per_delivery_us'], d['window_cpu_per_delivery_us'], d['window_cpu_per_delivery_net_us'], d['background_cores'], d['deliveries_missing'], d['subscribe_seconds']), flush=True)"
}
for i in $(seq $N); do
  if [ $((i % 2)) = 1 ]; then one $OUT/a$i $A; one $OUT/b$i $B
  else one $OUT/b$i $B; one $OUT/a$i $A; fi
done
