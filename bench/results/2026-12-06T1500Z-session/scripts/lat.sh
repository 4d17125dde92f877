# lat.sh BIN OUT : 10000 players + 300 spectators, latency at RATE (100) for DUR (40s); cross-node percentiles
. /tmp/p/cluster.sh
BIN=$1; OUT=$2
startcluster $BIN $OUT
/tmp/p/loadtest --nodes $NODES --min-rate-pct 0 --scenario latency --players ${PLAYERS:-10000} --tournament-size 16 --spectators 300 --rate ${RATE:-100} --duration ${DUR:-40s} --source-ips $SRC --pids $HUB_PIDS --out $OUT/lat.json >$OUT/lt.out 2>$OUT/lt.err
stopcluster
python3 - $OUT <<'PY'
import json,sys
d=json.load(open(sys.argv[1]+'/lat.json'))['latency']
c=d['cross_node_latency']
print(f"{sys.argv[1]}: results {d['results_acked']} p50={c['p50_ms']} p90={c['p90_ms']} p99={c['p99_ms']} p999={c['p999_ms']} max={c['max_ms']} hubcpu={d['usage']['hub_cpu_ms_per_result']:.2f}")
PY
