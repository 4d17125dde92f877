#!/usr/bin/env bash
# abpair.sh OUT ROUNDS A_BIN B_BIN: interleaved (ABBA) latency runs of two hub binaries, each as three
# fresh nodes on a fresh redis-server; target 1's load (PLAYERS, SPECS, RATE, DUR; default 10000, 300,
# 1000, 20s). One line per run in OUT/runs.tsv: round arm hub_ms kernel_ms tool_ms rate.
set -u
OUT=$1 ROUNDS=$2 A=$3 B=$4
mkdir -p $OUT; : > $OUT/runs.tsv
LT=${LT:-/tmp/pgo/loadtest}
. /work/main/bench/lib.sh
one() { # one ARM BIN ROUND
  local arm=$1 bin=$2 r=$3 PIDS=() nodes="" npids=()
  start_redis $OUT/redis.log || exit 1; PIDS+=($RPID)
  for i in 1 2 3; do
    $bin --addr 127.0.0.1:0 --redis "redis://127.0.0.1:$RPORT/0" \
      --secret bench-split-secret-0123456789abcdef01 --http-rate 1000000 --http-burst 1000000 \
      --ws-per-addr 1000000 --ws-idle-timeout 10m --log-level warn >$OUT/hub-$i.log 2>&1 &
    npids+=($!); PIDS+=($!)
    for _ in $(seq 100); do grep -q "listening on" $OUT/hub-$i.log && break; sleep 0.1; done
    nodes="$nodes,http://$(grep -m1 -o 'listening on .*' $OUT/hub-$i.log | cut -d' ' -f3)"
  done
  $LT --nodes "${nodes#,}" --pids "$(IFS=,; echo "${npids[*]}")" --scenario latency --min-rate-pct 0 \
    --players ${PLAYERS:-10000} --tournament-size 16 --spectators ${SPECS:-300} --rate ${RATE:-1000} --duration ${DUR:-20s} \
    --source-ips "$(seq -s, -f '127.0.0.%g' 2 17)" --deadline 10m --api-routing tournament --out $OUT/$arm-$r.json >$OUT/$arm-$r.out 2>$OUT/$arm-$r.err
  for p in "${PIDS[@]}"; do kill $p 2>/dev/null; done; wait 2>/dev/null
  python3 - $OUT/$arm-$r.json $r $arm >> $OUT/runs.tsv <<'PY'
import json,sys
d=json.load(open(sys.argv[1]))['latency']; u=d['usage']
print(sys.argv[2], sys.argv[3], f"{u['hub_cpu_ms_per_result']:.4f}", f"{u['hub_kernel_ms_per_result']:.4f}", f"{u['load_tool_cpu_ms_per_result']:.4f}", f"{d['results_per_second']:.1f}", sep='\t')
PY
  tail -1 $OUT/runs.tsv >&2
}
for r in $(seq $ROUNDS); do
  if [ $((r % 2)) = 1 ]; then one a $A $r; one b $B $r; else one b $B $r; one a $A $r; fi
done
python3 - $OUT/runs.tsv <<'PY'
import sys, statistics as st
rows=[l.split('\t') for l in open(sys.argv[1]).read().split('\n') if l]
by={}
for r,arm,h,k,t,rate in rows: by.setdefault(r,{})[arm]=(float(h),float(k),float(t),float(rate))
hr=[];ur=[];ht=[]
for r,v in sorted(by.items(), key=lambda x:int(x[0])):
    if 'a' in v and 'b' in v:
        a,b=v['a'],v['b']
        hr.append(b[0]/a[0]); ur.append((b[0]-b[1])/(a[0]-a[1])); ht.append((b[0]/b[2])/(a[0]/a[2]))
        print(f"round {r}: hub B/A {b[0]/a[0]:.3f}  user B/A {ur[-1]:.3f}  hub/tool B/A {ht[-1]:.3f}   a {a[0]:.3f} b {b[0]:.3f} ms")
print(f"median: hub B/A {st.median(hr):.3f}, own work B/A {st.median(ur):.3f}, hub/tool B/A {st.median(ht):.3f}; geomean hub {st.geometric_mean(hr):.3f}")
PY
