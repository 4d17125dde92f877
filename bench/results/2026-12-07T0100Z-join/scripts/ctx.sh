# ctx.sh hub|floor OUT : context switches (all threads) of the servers and the tool over a 20 s window at RATE
. /tmp/p/cluster.sh
KIND=$1; OUT=$2; mkdir -p $OUT
cs() { local s=0; for p in ${1//,/ }; do for t in /proc/$p/task/*/status; do s=$((s+$(awk '/ctxt_switches/{a+=$2} END{print a}' $t 2>/dev/null || echo 0))); done; done; echo $s; }
if [ $KIND = hub ]; then startcluster ${BIN:-/tmp/p/hub} $OUT; EXTRA=""; else
  RPORT=$(freeport); redis-server --port $RPORT --save '' --appendonly no --bind 127.0.0.1 >"$OUT/redis.log" 2>&1 & RPID=$!
  for i in $(seq 50); do redis-cli -p $RPORT ping >/dev/null 2>&1 && break; sleep 0.1; done
  NODES=""; HUB_PIDS=""
  for n in 1 2 3; do port=$(freeport); /tmp/p/floor --addr 127.0.0.1:$port --redis redis://127.0.0.1:$RPORT/1 >$OUT/floor$n.log 2>&1 & HUB_PIDS="${HUB_PIDS:+$HUB_PIDS,}$!"; NODES="${NODES:+$NODES,}http://127.0.0.1:$port"; done
  sleep 1; EXTRA="--relay"
fi
/tmp/p/loadtest --nodes $NODES $EXTRA ${LTX:-} --min-rate-pct 0 --scenario latency --players 3000 --tournament-size 16 --spectators 0 --rate ${RATE:-1000} --duration 40s --source-ips $SRC --pids $HUB_PIDS --out $OUT/lat.json >$OUT/lt.out 2>$OUT/lt.err &
LT=$!
sleep 15
h0=$(cs $HUB_PIDS); r0=$(cs $RPID); t0=$(cs $LT); s0=$(awk '/^ctxt/{print $2}' /proc/stat)
sleep 20
h1=$(cs $HUB_PIDS); r1=$(cs $RPID); t1=$(cs $LT); s1=$(awk '/^ctxt/{print $2}' /proc/stat)
wait $LT; stopcluster
echo "$KIND ctx switches per result: servers $(( (h1-h0)/20000 )).$(( (h1-h0)%20000*10/20000 )) redis $(( (r1-r0)/20000 )).$(( (r1-r0)%20000*10/20000 )) tool $(( (t1-t0)/20000 )).$(( (t1-t0)%20000*10/20000 )) machine $(( (s1-s0)/20000 )).$(( (s1-s0)%20000*10/20000 ))"
