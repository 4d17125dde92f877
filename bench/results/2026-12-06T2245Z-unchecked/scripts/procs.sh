# procs.sh hub|floor OUTDIR : CPU of servers, redis, tool over a 20 s window at RATE (maxrate-like: 3000 players, no spectators)
. /tmp/p/cluster.sh
KIND=$1; OUT=$2; mkdir -p $OUT
ticks() { local s=0; for p in ${1//,/ }; do s=$((s+$(awk '{print $14+$15}' /proc/$p/stat))); done; echo $s; }
if [ $KIND = hub ]; then startcluster ${BIN:-/tmp/p/hub} $OUT; EXTRA=""; else
  RPORT=$(freeport); redis-server --port $RPORT --save '' --appendonly no --bind 127.0.0.1 >"$OUT/redis.log" 2>&1 & RPID=$!
  for i in $(seq 50); do redis-cli -p $RPORT ping >/dev/null 2>&1 && break; sleep 0.1; done
  NODES=""; HUB_PIDS=""
  for n in 1 2 3; do port=$(freeport); /tmp/p/floor --addr 127.0.0.1:$port --redis redis://127.0.0.1:$RPORT/1 >$OUT/floor$n.log 2>&1 & HUB_PIDS="${HUB_PIDS:+$HUB_PIDS,}$!"; NODES="${NODES:+$NODES,}http://127.0.0.1:$port"; done
  sleep 1; EXTRA="--relay"
fi
/tmp/p/loadtest --nodes $NODES $EXTRA ${LTX:-} --min-rate-pct 0 --scenario latency --players ${PLAYERS:-3000} --tournament-size 16 --spectators ${SPECS:-0} --rate ${RATE:-1000} --duration ${DUR:-40s} --source-ips $SRC --pids $HUB_PIDS --out $OUT/lat.json >$OUT/lt.out 2>$OUT/lt.err &
LT=$!
sleep ${WARM:-15}
redis-cli -p $RPORT config resetstat >/dev/null
io0=$(grep -E 'rchar|syscr|wchar|syscw' /proc/$LT/io | awk '{printf "%s ", $2}'); h0=$(ticks $HUB_PIDS); r0=$(ticks $RPID); t0=$(ticks $LT); a0=$(awk '/^cpu /{print $2+$3+$4+$7+$8}' /proc/stat)
sleep ${WIN:-20}
io1=$(grep -E 'rchar|syscr|wchar|syscw' /proc/$LT/io | awk '{printf "%s ", $2}'); h1=$(ticks $HUB_PIDS); r1=$(ticks $RPID); t1=$(ticks $LT); a1=$(awk '/^cpu /{print $2+$3+$4+$7+$8}' /proc/stat)
redis-cli -p $RPORT info commandstats > $OUT/cmdstats.txt
wait $LT
stopcluster
echo "tool io (rchar wchar syscr syscw): $io0 -> $io1"
python3 - $OUT $KIND $h0 $h1 $r0 $r1 $t0 $t1 $a0 $a1 ${WIN:-20} <<'PY'
import json,sys
o,k=sys.argv[1],sys.argv[2]; h0,h1,r0,r1,t0,t1,a0,a1,w=map(float,sys.argv[3:])
d=json.load(open(o+'/lat.json'))['latency']
rate=d.get('achieved_rate') or d.get('results_per_second') or 0
keys=[x for x in d if 'rate' in x or 'per_s' in x]
cores=lambda a,b:(b-a)/100/w
print(f"{k}: server {cores(h0,h1):.3f} redis {cores(r0,r1):.3f} tool {cores(t0,t1):.3f} machine {cores(a0,a1):.3f} cores; {keys and {x:d[x] for x in keys}}")
PY
