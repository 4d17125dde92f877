#!/bin/bash
# sched.sh BIN OUT: perf sched during a 450/s latency run
. /tmp/p/cluster.sh
BIN=$1; OUT=$2
startcluster $BIN $OUT
/tmp/p/loadtest --nodes $NODES --min-rate-pct 0 --scenario latency --players 10000 --tournament-size 16 --spectators 300 --rate ${RATE:-450} --duration 30s --source-ips $SRC --pids $HUB_PIDS --out $OUT/lat.json >$OUT/lt.out 2>$OUT/lt.err &
LT=$!
echo "hubs $HUB_PIDS redis $RPID tool $LT" > $OUT/pids
sleep 20
perf sched record -o $OUT/sched.data -- sleep 6 >/dev/null 2>&1
wait $LT
stopcluster
