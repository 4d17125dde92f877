#!/usr/bin/env bash
# scratch: 3 hubs on Redis, 10,000 idle subscribed sockets, background CPU; profile each hub for PROF s
set -uo pipefail
OUT=$1; HUB=${HUB:-/tmp/p/hub}; N=${N:-10000}; WAIT=${WAIT:-60s}; PROF=${PROF:-0}
mkdir -p $OUT
fp() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
rport=$(fp)
redis-server --port $rport --bind 127.0.0.1 --save '' --appendonly no > $OUT/redis.log 2>&1 & rp=$!
PIDS=($rp); trap 'kill ${PIDS[@]} 2>/dev/null' EXIT
sleep 0.5
nodes=""; npids=(); dbg=()
for i in 1 2 3; do
  p=$(fp); d=$(fp)
  $HUB --addr 127.0.0.1:$p --debug-addr 127.0.0.1:$d --redis redis://127.0.0.1:$rport/0 --secret bench-count-secret-0123456789abcdef01 --http-rate 1000000 --http-burst 1000000 --ws-rate 1000 --ws-burst 1000 --ws-per-addr 1000000 --ws-idle-timeout 10m --log-level warn ${HUBX:-} > $OUT/hub$i.log 2>&1 &
  npids+=($!); PIDS+=($!); nodes="$nodes,http://127.0.0.1:$p"; dbg+=($d)
done
sleep 1
SRC="$(seq -s, -f '127.0.0.%g' 2 17)"
if [ -n "${PRE:-}" ]; then
  # used nodes: the latency scenario at bench/run's standard size first, as bench/run runs it before idlecpu
  /tmp/p/loadtest --nodes "${nodes#,}" --pids "$(IFS=,; echo "${npids[*]}")" --scenario latency --min-rate-pct 0 --players 10000 --tournament-size 16 --spectators 300 --rate 1000 --duration 30s --source-ips "$SRC" --deadline 9m --out $OUT/pre.json > $OUT/pre.out 2> $OUT/pre.err
fi
/tmp/p/loadtest --nodes "${nodes#,}" --pids "$(IFS=,; echo "${npids[*]}")" --scenario idle --players $N --procs 2 --idle-wait $WAIT --source-ips "$SRC" --deadline 9m --out $OUT/lt.json > $OUT/lt.out 2> $OUT/lt.err & lt=$!
if [ -n "${STRACE:-}" ]; then
  for _ in $(seq 1200); do grep -q "idle for" $OUT/lt.err && break; sleep 0.25; done
  sleep 3; timeout $STRACE strace -f -c -p ${npids[0]} > $OUT/strace.txt 2>&1
fi
if [ -n "${CTX:-}" ]; then
  for _ in $(seq 1200); do grep -q "idle for" $OUT/lt.err && break; sleep 0.25; done
  sleep 3; a=$(/tmp/p/ctx.sh ${npids[0]}); sleep $CTX; b=$(/tmp/p/ctx.sh ${npids[0]}); echo "ctx switches hub1: $((b-a)) in $CTX s" > $OUT/ctx.txt
fi
if [ -n "${PERF:-}" ]; then
  for _ in $(seq 1200); do grep -q "idle for" $OUT/lt.err && break; sleep 0.25; done
  sleep 3; perf record -e cpu-clock -F 999 -g -o $OUT/perf.data -p ${npids[0]} -- sleep $PERF > $OUT/perf.log 2>&1
fi
if [ "$PROF" != 0 ]; then
  for _ in $(seq 1200); do grep -q "idle for" $OUT/lt.err && break; sleep 0.25; done
  sleep 2
  cp=()
  for i in 0 1 2; do curl -s -o $OUT/cpu$i.pprof "http://127.0.0.1:${dbg[$i]}/debug/pprof/profile?seconds=$PROF" & cp+=($!); done
  wait ${cp[@]}
fi
wait $lt
grep -i "cores\|background\|idle" $OUT/lt.out | head
