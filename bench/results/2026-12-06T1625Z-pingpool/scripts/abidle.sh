# abidle.sh N: N interleaved pairs of the idle background, /tmp/p/hub-old vs /tmp/p/hub-new
for i in $(seq $1); do for b in old new; do
  r=$(BIN=/tmp/p/hub-$b bash /tmp/p/idleperf.sh /tmp/abidle-$b-$i 2>&1 | tail -1)
  echo "$i $b $r"
done; done
