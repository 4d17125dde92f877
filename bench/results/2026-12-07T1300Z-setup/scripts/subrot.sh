#!/usr/bin/env bash
# subrot.sh OUT ROUNDS: target 4's subscribe time (10,000 spectators, FAN_REPEATS=20 as bench/run) for
# three arms in rotation: the hub $BIN/hub, the hub $OLD and the floor ($BIN/floor), each three fresh
# nodes on a fresh redis-server. One line per run in OUT/runs.tsv: round, arm, subscribe seconds.
set -u
OUT=$1 ROUNDS=$2
mkdir -p $OUT; : > $OUT/runs.tsv
. /work/main/bench/lib.sh
SRC="$(seq -s, -f '127.0.0.%g' 2 17)"
one() {
  local arm=$1 r=$2 PIDS=() nodes="" extra=()
  start_redis $OUT/redis.log || exit 1; PIDS+=($RPID)
  for i in 1 2 3; do
    if [ $arm = floor ]; then
      p=$(freeport); $BIN/floor --addr 127.0.0.1:$p --redis redis://127.0.0.1:$RPORT/0 >$OUT/$arm-$i.log 2>&1 &
      PIDS+=($!); nodes="$nodes,http://127.0.0.1:$p"; sleep 0.3
    else
      bin=$BIN/hub; [ $arm = old ] && bin=$OLD
      $bin --addr 127.0.0.1:0 --redis redis://127.0.0.1:$RPORT/0 --secret bench-split-secret-0123456789abcdef01 \
        --http-rate 1000000 --http-burst 1000000 --ws-per-addr 1000000 --ws-idle-timeout 10m --log-level warn >$OUT/$arm-$i.log 2>&1 &
      PIDS+=($!)
      for _ in $(seq 100); do grep -q "listening on" $OUT/$arm-$i.log && break; sleep 0.1; done
      nodes="$nodes,http://$(grep -m1 -o 'listening on .*' $OUT/$arm-$i.log | cut -d' ' -f3)"
    fi
  done
  nodes=${nodes#,}
  [ $arm = floor ] && extra=(--publish-url "${nodes%%,*}/publish")
  $BIN/loadtest --nodes "$nodes" --scenario fanout --spectators 10000 --repeats 20 --source-ips "$SRC" --deadline 5m \
    --out $OUT/$arm-$r.json "${extra[@]}" >$OUT/$arm-$r.out 2>$OUT/$arm-$r.err
  printf '%s\t%s\t%s\n' $r $arm "$(python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['fanout']['subscribe_seconds'])" $OUT/$arm-$r.json 2>/dev/null)" >> $OUT/runs.tsv
  kill ${PIDS[@]} 2>/dev/null; wait 2>/dev/null; sleep 1
}
for r in $(seq $ROUNDS); do
  case $((r % 3)) in 1) arms="new old floor" ;; 2) arms="old floor new" ;; 0) arms="floor new old" ;; esac
  for a in $arms; do one $a $r; done
done
