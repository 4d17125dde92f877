#!/bin/bash
# subab.sh OUT N: subscribe time of 10,000 spectators, hub and floor on fresh nodes, interleaved
. /tmp/p/cluster.sh
OUT=$1 N=${2:-3}; mkdir -p $OUT
for r in $(seq $N); do for arm in hub floor; do
  o=$OUT/$arm$r; mkdir -p $o
  if [ $arm = hub ]; then startcluster /tmp/p/hub-head $o; PUB=();
  else
    RPORT=$(freeport); redis-server --port $RPORT --save '' --appendonly no --bind 127.0.0.1 >"$o/redis.log" 2>&1 & RPID=$!; sleep 0.5
    NODES=""; HUB_PIDS=""
    for n in 1 2 3; do p=$(freeport); /tmp/p/floor --addr 127.0.0.1:$p --redis redis://127.0.0.1:$RPORT/1 > $o/floor$n.log 2>&1 & HUB_PIDS="${HUB_PIDS:+$HUB_PIDS,}$!"; NODES="${NODES:+$NODES,}http://127.0.0.1:$p"; done
    sleep 1; PUB=(--publish-url "${NODES%%,*}/publish")
  fi
  /tmp/p/loadtest --nodes "$NODES" --scenario fanout --spectators 10000 --repeats 20 --source-ips "$SRC" --pids "$HUB_PIDS" "${PUB[@]}" --out $o/fan.json > $o/fan.txt 2>$o/fan.err
  stopcluster
  python3 -c "
import json; f=json.load(open('$o/fan.json'))['fanout']; print('$arm$r', 'subscribe', round(f['subscribe_seconds'],2), 'window', f['window_cpu_per_delivery_us'], 'net', round(f['window_cpu_per_delivery_net_us'],1), flush=True)"
done; done
