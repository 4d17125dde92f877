# hystperf.sh OUT: one cluster; 1000/s (perf), 1600/s, 1000/s (perf); perf of the hubs 10-25 s into each measured run
. /tmp/p/cluster.sh
OUT=$1; mkdir -p $OUT
startcluster ${BIN:-/tmp/p/hub} $OUT
snap() { for p in ${HUB_PIDS//,/ }; do echo "pid $p threads $(ls /proc/$p/task | wc -l) rss_kb $(awk '/VmRSS/{print $2}' /proc/$p/status) ctxsw $(cat /proc/$p/task/*/status | awk '/voluntary_ctxt_switches/ {s += $2} END {print s}')"; done; redis-cli -p $RPORT info memory | grep -E '^used_memory_human'; redis-cli -p $RPORT dbsize; for n in ${NODES//,/ }; do curl -s $n/metrics | grep -E '^go_(goroutines|threads|memstats_heap_inuse_bytes|gc_duration_seconds_count)'; done | awk '{s[$1]+=$2} END {for (k in s) printf "%s=%g ", k, s[k]; print ""}'; }
run() { /tmp/p/loadtest --nodes $NODES --min-rate-pct 0 --scenario latency --players 3000 --tournament-size 16 --spectators 0 --rate $1 --duration 30s --source-ips $SRC --pids $HUB_PIDS --out $OUT/$2.json >$OUT/$2.out 2>$OUT/$2.err &
  local lt=$!
  if [ -n "$3" ]; then sleep 18; perf record -e cpu-clock -F 999 -g -p $HUB_PIDS -o $OUT/$2.perf -- sleep 15 >/dev/null 2>&1; fi
  wait $lt
  echo "== $2"; grep -E 'achieved|cross-node|hub CPU per result' $OUT/$2.out | sed -E 's/ +/ /g'; snap; }
snap
run 1000 before perf
run 1600 over
run 1000 after perf
stopcluster
