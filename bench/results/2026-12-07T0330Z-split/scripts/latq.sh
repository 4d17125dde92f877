# latq.sh hub|floor OUT : latency scenario at RATE, PLAYERS, SPECS; prints latency lines
. "$(dirname "$0")/../../../lib.sh"  # binaries: /tmp/p/hub (BIN), /tmp/p/floor, /tmp/p/loadtest
KIND=$1; OUT=$2; mkdir -p $OUT
SRC="$(seq -s, -f '127.0.0.%g' 2 17)"
start_redis $OUT/redis.log
NODES=""; PIDS=""
for n in 1 2 3; do port=$(freeport)
  if [ $KIND = hub ]; then ${BIN:-/tmp/p/hub} --addr 127.0.0.1:$port --secret 0123456789abcdef0123456789abcdef01 --http-rate 1000000 --http-burst 1000000 --ws-per-addr 1000000 --ws-idle-timeout 10m --log-level warn ${HX:-} --redis redis://127.0.0.1:$RPORT/0 >$OUT/n$n.log 2>&1 &
  else /tmp/p/floor --addr 127.0.0.1:$port --redis redis://127.0.0.1:$RPORT/0 >$OUT/n$n.log 2>&1 & fi
  PIDS="${PIDS:+$PIDS,}$!"; NODES="${NODES:+$NODES,}http://127.0.0.1:$port"
done
sleep 1.5
X="--api-routing tournament"; [ $KIND = floor ] && X="--relay"
/tmp/p/loadtest --nodes $NODES $X --min-rate-pct 0 --scenario latency --players ${PLAYERS:-10000} --tournament-size 16 --spectators ${SPECS:-300} --rate ${RATE:-600} --duration ${DUR:-30s} --source-ips $SRC --pids $PIDS --out $OUT/lat.json ${LTX:-} >$OUT/lt.out 2>$OUT/lt.err
for p in ${PIDS//,/ } $RPID; do kill $p; done; sleep 1
echo "$KIND: $(grep -E 'achieved' $OUT/lt.out | awk '{print $4}')/s cpu $(grep 'hub CPU per result' $OUT/lt.out | awk '{print $5}')"
grep -E "cross-node|reply to" $OUT/lt.out
