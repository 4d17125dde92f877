# drift.sh OUT N : one cluster, N latency runs in a row at RATE; CPU per result and heap per run
. "$(dirname "$0")/../../2026-12-06T1500Z-session/scripts/cluster.sh"  # binaries: /tmp/p/hub (BIN), /tmp/p/loadtest, built from the commit
OUT=$1; N=${2:-5}; mkdir -p $OUT
startcluster ${BIN:-/tmp/p/hub} $OUT
for i in $(seq $N); do
  /tmp/p/loadtest --nodes $NODES --min-rate-pct 0 --scenario latency --players 3000 --tournament-size 16 --spectators ${SPECS:-300} --api-routing tournament --rate ${RATE:-1000} --duration ${DUR:-40s} --source-ips $SRC --pids $HUB_PIDS --out $OUT/lat$i.json >$OUT/lt$i.out 2>$OUT/lt$i.err
  h=""; for n in ${NODES//,/ }; do h="$h $(curl -s $n/metrics | awk '/^go_memstats_heap_inuse_bytes/{printf "%.0fMB", $2/1e6}')"; done
  echo "run $i: $(grep -E 'hub CPU per result' $OUT/lt$i.out | awk '{print $5,$6}') p99 $(grep 'cross-node latency' $OUT/lt$i.out | grep -o 'p99=[0-9.]*') tool $(grep 'load tool ' $OUT/lt$i.out | grep -o '([0-9.]* ms') heap$h redis $(redis-cli -p $RPORT dbsize)"
done
stopcluster
