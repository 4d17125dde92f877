# abredis.sh N : N interleaved pairs of procs.sh hub, old vs new binary, RATE (default 800)
for i in $(seq $1); do
  for v in old new; do
    BIN=/tmp/p/hub-$v bash /tmp/p/procs.sh hub /tmp/pr/ab-$v-$i 2>&1 | grep "^hub:" | sed "s/^/$i $v /"
  done
done
