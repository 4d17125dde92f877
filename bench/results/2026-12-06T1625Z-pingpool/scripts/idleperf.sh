# idleperf.sh OUT [perf]: 10,000 idle subscribed sockets over 3 fresh hubs; the idle CPU; perf of the hubs during the idle window
# cluster.sh: bench/results/2026-12-06T1500Z-session/scripts/cluster.sh (copied to /tmp/p)
. /tmp/p/cluster.sh
OUT=$1; mkdir -p $OUT
startcluster ${BIN:-/tmp/p/hub} $OUT
/tmp/p/loadtest --nodes $NODES --scenario idle --players ${N:-10000} --procs 2 --source-ips $SRC --pids $HUB_PIDS --idle-wait ${WAIT:-60s} --deadline 5m --out $OUT/idle.json >$OUT/lt.out 2>$OUT/lt.err &
LT=$!
if [ "$2" = perf ]; then
  sleep ${PERFAT:-35}
  perf record -e cpu-clock -F 999 -g -p $HUB_PIDS -o $OUT/perf.data -- sleep 30 >/dev/null 2>&1
fi
wait $LT
stopcluster
python3 -c "import json;x=json.load(open('$OUT/idle.json'))['idle'];print({k:x[k] for k in x if 'cpu' in k or k in ('connected','idle_seconds')})"
