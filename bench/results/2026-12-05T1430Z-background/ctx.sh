# sum of voluntary+nonvoluntary context switches over all threads of pid
pid=$1; t=0; for f in /proc/$pid/task/*/status; do v=$(awk '/voluntary_ctxt_switches/ {s+=$2} END {print s}' $f 2>/dev/null); t=$((t+${v:-0})); done; echo $t
