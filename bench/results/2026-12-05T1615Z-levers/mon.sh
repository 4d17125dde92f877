#!/usr/bin/env bash
# MONITOR a 3-node hub at a small latency load; HUBX = hub binary
set -eu
O=/tmp/p/mon/${TAG:-a}; mkdir -p $O
HUB=${HUBX:-/tmp/p/hub}
freeport() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
rport=$(freeport)
redis-server --bind 127.0.0.1 --port $rport --save '' --appendonly no >$O/redis.log 2>&1 & rpid=$!
PIDS=($rpid)
trap 'kill ${PIDS[@]} 2>/dev/null' EXIT
sleep 0.5
nodes="" npids=()
for i in 1 2 3; do
  $HUB --addr 127.0.0.1:0 --redis redis://127.0.0.1:$rport/0 --secret bench-count-secret-0123456789abcdef01 --http-rate 100000 --http-burst 100000 --ws-per-addr 100000 --ws-idle-timeout 10m --log-level warn >$O/hub-$i.log 2>&1 &
  npids+=($!); PIDS+=($!)
  for _ in $(seq 100); do grep -q "listening on" $O/hub-$i.log && break; sleep 0.1; done
  nodes="$nodes,http://$(grep -m1 -o 'listening on .*' $O/hub-$i.log | cut -d' ' -f3)"
done
/tmp/p/loadtest --nodes ${nodes#,} --pids $(IFS=,; echo "${npids[*]}") --scenario latency --min-rate-pct 0 --players ${PLAYERS:-480} --tournament-size 16 --spectators 30 --rate ${RATE:-30} --duration ${DUR:-30}s --source-ips "$(seq -s, -f '127.0.0.%g' 2 17)" --deadline 10m --out $O/lt.json >$O/lt.out 2>$O/lt.err &
lt=$!; PIDS+=($lt)
for _ in $(seq 1200); do grep -q staggering $O/lt.err && break; sleep 0.25; done
w=$(grep -o 'over [0-9.]*s' $O/lt.err | grep -o '[0-9.]*' | head -1); sleep $w
redis-cli -p $rport info commandstats > $O/cmd0
timeout ${MON:-10} redis-cli -p $rport monitor > $O/monitor.txt || true
redis-cli -p $rport info commandstats > $O/cmd1
for p in ${npids[@]}; do curl -s $(echo ${nodes#,} | cut -d, -f1)/metrics >/dev/null; done
for u in $(echo ${nodes#,} | tr , ' '); do curl -s $u/metrics > $O/metrics-$(echo $u | tr -dc 0-9 | tail -c 5).txt; done
wait $lt || true
echo done $O
