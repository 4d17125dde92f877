#!/usr/bin/env bash
# idle background A/B: HUB A vs B, interleaved, N rounds. Usage: idleab2.sh OUT A B N
OUT=$1; A=$2; B=$3; N=${4:-3}; mkdir -p $OUT
for r in $(seq $N); do
  if [ $((r % 2)) = 1 ]; then order="a b"; else order="b a"; fi
  for v in $order; do
    if [ $v = a ]; then H=$A; else H=$B; fi
    HUB=$H WAIT=60s /tmp/p/idle.sh $OUT/$v$r > /dev/null 2>&1
    echo "$v$r $(grep 'CPU while' $OUT/$v$r/lt.out)"
  done
done
