#!/usr/bin/env bash
# After a latency run ends, what do the nodes still do? CPU, Redis commands and subscriptions while idle.
set -uo pipefail
D=${1:-/tmp/p/leak}; mkdir -p $D
fp() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
rport=$(fp)
redis-server --port $rport --bind 127.0.0.1 --save '' --appendonly no > $D/redis.log 2>&1 & rp=$!
sleep 0.5
nodes=""; npids=(); ports=()
for i in 1 2 3; do
  p=$(fp); ports+=($p)
  /tmp/p/hub --addr 127.0.0.1:$p --redis redis://127.0.0.1:$rport/0 --secret bench-count-secret-0123456789abcdef01 --http-rate 100000 --http-burst 100000 --ws-per-addr 100000 --ws-idle-timeout 10m --log-level warn > $D/n$i.log 2>&1 &
  npids+=($!); nodes="$nodes,http://127.0.0.1:$p"
done
sleep 1
cpu() { for p in ${npids[@]}; do awk '{print $14+$15}' /proc/$p/stat; done | paste -sd+ | bc; }
idle() { # label secs
  redis-cli -p $rport info commandstats > $D/c0; c0=$(cpu)
  sleep $2
  redis-cli -p $rport info commandstats > $D/c1; c1=$(cpu)
  echo "$1: nodes $(echo "scale=4; ($c1-$c0)/100/$2" | bc) cores; pubsub channels $(redis-cli -p $rport pubsub channels '*' | wc -l); redis calls/s:"
  python3 - $D/c0 $D/c1 $2 <<'PY'
import re,sys
def st(f):
    return {m.group(1): int(m.group(2)) for m in (re.match(r'cmdstat_(\w+):calls=(\d+)', l) for l in open(f)) if m}
a,b=st(sys.argv[1]),st(sys.argv[2]); s=float(sys.argv[3])
print('   ', ', '.join(f'{k} {(b[k]-a.get(k,0))/s:.1f}' for k in sorted(b) if b[k]-a.get(k,0) > 0))
PY
  for p in ${ports[@]}; do curl -s 127.0.0.1:$p/metrics | grep -E '^tourhub_ws_sockets|^go_goroutines|^go_memstats_heap_inuse_bytes' | tr '\n' ' '; echo; done
}
idle "before" 10
/tmp/p/loadtest --nodes "${nodes#,}" --scenario latency --min-rate-pct 0 --players ${PLAYERS:-3000} --tournament-size 16 --spectators 300 --rate ${RATE:-300} --duration ${DUR:-20}s --source-ips "$(seq -s, -f '127.0.0.%g' 2 17)" --deadline 10m > $D/lt.out 2> $D/lt.err
grep -E "results/s|dropped|errors" $D/lt.out | head -5
sleep 5
idle "after (5 s)" 20
sleep 30
idle "after (55 s)" 20
kill ${npids[@]} $rp; wait 2>/dev/null
