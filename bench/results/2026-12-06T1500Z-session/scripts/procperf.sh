# procperf.sh hub|floor OUT redis|tool|hubs : perf one process group for 15 s during RATE load
. /tmp/p/cluster.sh
KIND=$1; OUT=$2; PT=$3; mkdir -p $OUT
if [ $KIND = hub ]; then startcluster ${BIN:-/tmp/p/hub} $OUT; EXTRA=""; else
  RPORT=$(freeport); redis-server --port $RPORT --save '' --appendonly no --bind 127.0.0.1 >"$OUT/redis.log" 2>&1 & RPID=$!
  for i in $(seq 50); do redis-cli -p $RPORT ping >/dev/null 2>&1 && break; sleep 0.1; done
  NODES=""; HUB_PIDS=""
  for n in 1 2 3; do port=$(freeport); /tmp/p/floor --addr 127.0.0.1:$port --redis redis://127.0.0.1:$RPORT/1 >$OUT/floor$n.log 2>&1 & HUB_PIDS="${HUB_PIDS:+$HUB_PIDS,}$!"; NODES="${NODES:+$NODES,}http://127.0.0.1:$port"; done
  sleep 1; EXTRA="--relay"
fi
/tmp/p/loadtest --nodes $NODES $EXTRA --min-rate-pct 0 --scenario latency --players ${PLAYERS:-3000} --tournament-size 16 --spectators ${SPECS:-0} --rate ${RATE:-800} --duration ${DUR:-40s} --source-ips $SRC --pids $HUB_PIDS --out $OUT/lat.json >$OUT/lt.out 2>$OUT/lt.err &
LT=$!
sleep 15
case $PT in
redis) P=$RPID;; tool) P=$LT;; hubs) P=$HUB_PIDS;; esac
perf record -e cpu-clock -F 999 -g -p $P -o $OUT/perf.data -- sleep 15 >/dev/null 2>&1
wait $LT
stopcluster
perf report -i $OUT/perf.data --no-children --sort sym --stdio 2>/dev/null | grep -E '^ +[0-9]' | head -40 > $OUT/self.txt
