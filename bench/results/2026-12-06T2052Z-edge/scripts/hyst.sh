# hyst.sh OUT: one cluster, latency at HI/s for 30 s then at 1000/s for 30 s; metrics after each
. /tmp/p/cluster.sh
OUT=$1; mkdir -p $OUT
startcluster ${BIN:-/tmp/p/hub} $OUT
metrics() { for n in ${NODES//,/ }; do curl -s $n/metrics | grep -E '^tourhub_(ws_resyncs|ws_deliveries_lost|store_errors|commands_total|redis|ws_slow|ws_server_closes)' ; done | awk '{split($1,a,"{"); s[a[1]]+=$2} END {for (k in s) printf "%s=%g ", k, s[k]; print ""}'; }
run() { /tmp/p/loadtest --nodes $NODES --min-rate-pct 0 --scenario latency --players 3000 --tournament-size 16 --spectators 0 --rate $1 --duration 30s --source-ips $SRC --pids $HUB_PIDS --out $OUT/$2.json >$OUT/$2.out 2>$OUT/$2.err
  grep -E 'results/s|cross-node|hub CPU per result|retried' $OUT/$2.out | sed 's/^/  /'; metrics; }
for r in ${RATES:-1500 1000}; do echo "== rate $r"; run $r r$r; done
stopcluster
