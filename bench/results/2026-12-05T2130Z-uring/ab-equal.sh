#!/usr/bin/env bash
# A/B of two hub binaries at an equal 300/s: CPU, switches, Redis requests and CPU per result.
# Usage: ab3.sh OUTDIR BIN_A BIN_B [pairs]
set -uo pipefail
OUT=$1; A=$2; B=$3; N=${4:-3}; mkdir -p $OUT
fp() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
one() { # dir bin
  local D=$1 BIN=$2; mkdir -p $D
  local rport=$(fp)
  redis-server --port $rport --bind 127.0.0.1 --save '' --appendonly no > $D/redis.log 2>&1 & local rp=$!
  local PIDS=($rp)
  sleep 0.5
  local nodes="" npids=() i
  for i in 1 2 3; do
    local p=$(fp)
    $BIN --addr 127.0.0.1:$p --redis redis://127.0.0.1:$rport/0 --secret bench-count-secret-0123456789abcdef01 --http-rate 100000 --http-burst 100000 --ws-per-addr 100000 --ws-idle-timeout 10m --log-level warn > $D/n$i.log 2>&1 &
    npids+=($!); PIDS+=($!); nodes="$nodes,http://127.0.0.1:$p"
  done
  sleep 1
  /tmp/p/loadtest --nodes "${nodes#,}" --pids "$(IFS=,; echo "${npids[*]}")" --scenario latency --min-rate-pct 0 --players ${PLAYERS:-3000} --tournament-size 16 --spectators 300 --rate ${RATE:-300} --duration ${DUR:-40}s --source-ips "$(seq -s, -f '127.0.0.%g' 2 17)" --deadline 10m --out $D/lt.json > $D/lt.out 2> $D/lt.err & local lt=$!
  for _ in $(seq 1200); do grep -q staggering $D/lt.err && break; sleep 0.25; done
  local w=$(grep -o 'over [0-9.]*s' $D/lt.err | grep -o '[0-9.]*' | head -1); sleep ${w:-1}
  snap() {
    redis-cli -p $rport info commandstats > $D/cmd-$1; redis-cli -p $rport info cpu > $D/cpu-$1
    for p in ${npids[@]}; do cat /proc/$p/task/*/status | awk '/voluntary_ctxt_switches/ {s += $2} END {print s}'; done > $D/cs-$1
  }
  snap 0; sleep ${DUR:-40}; snap 1
  wait $lt
  kill ${PIDS[@]} 2>/dev/null; wait 2>/dev/null
  python3 - $D <<'PY'
import json, re, sys
D = sys.argv[1]
def st(f):
    d = {}
    for l in open(f):
        m = re.match(r'cmdstat_(\w+):calls=(\d+)', l)
        if m: d[m.group(1)] = int(m.group(2))
        m = re.match(r'used_cpu_(sys|user):([0-9.]+)', l)
        if m: d['cpu'] = d.get('cpu', 0) + float(m.group(2))
    return d
lat = json.load(open(D + '/lt.json'))['latency']
n = lat['results_acked']
c0, c1 = st(D + '/cmd-0'), st(D + '/cmd-1'); u0, u1 = st(D + '/cpu-0'), st(D + '/cpu-1')
cs = (sum(int(x) for x in open(D + '/cs-1')) - sum(int(x) for x in open(D + '/cs-0'))) / n
sc = lat.get('store_commits') or {}
u = lat['usage']
print(f"{D.split('/')[-1]:10} rate {lat['results_per_second']:.1f} cpu/result {u['hub_cpu_ms_per_result']:.3f} ms  tool {u['load_tool_cpu_ms_per_result']:.3f} ms  hub/tool {u['hub_cpu_ms_per_result']/u['load_tool_cpu_ms_per_result']:.3f}  switches {cs:.2f}  "
      f"evalsha {(c1.get('evalsha',0)-c0.get('evalsha',0))/n:.2f} hmget {(c1.get('hmget',0)-c0.get('hmget',0))/n:.2f}  "
      f"redis cpu {(u1['cpu']-u0['cpu'])*1000/n:.3f} ms  p99x {lat['cross_node_latency']['p99_ms']}  commits {json.dumps(sc)[:120]}", flush=True)
PY
}
for i in $(seq $N); do
  if [ $((i % 2)) = 1 ]; then one $OUT/a$i $A; one $OUT/b$i $B
  else one $OUT/b$i $B; one $OUT/a$i $A; fi
done
