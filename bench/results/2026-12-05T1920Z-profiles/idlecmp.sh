#!/usr/bin/env bash
# 3 idle nodes (no sockets) for 30 s: their CPU, with BIN.
BIN=$1
fp() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
rport=$(fp); redis-server --port $rport --bind 127.0.0.1 --save '' --appendonly no >/dev/null 2>&1 & rp=$!
sleep 0.5; npids=()
for i in 1 2 3; do $BIN --addr 127.0.0.1:$(fp) --redis redis://127.0.0.1:$rport/0 --secret bench-count-secret-0123456789abcdef01 --log-level warn >/dev/null 2>&1 & npids+=($!); done
sleep 3
cpu() { for p in ${npids[@]}; do awk '{print $14+$15}' /proc/$p/stat; done | paste -sd+ | bc; }
c0=$(cpu); s0=$(for p in ${npids[@]}; do cat /proc/$p/task/*/status | awk '/voluntary_ctxt_switches/ {s += $2} END {print s}'; done | paste -sd+ | bc); sleep 30; c1=$(cpu)
s1=$(for p in ${npids[@]}; do cat /proc/$p/task/*/status | awk '/voluntary_ctxt_switches/ {s += $2} END {print s}'; done | paste -sd+ | bc)
echo "$BIN: $(echo "scale=4; ($c1-$c0)/100/30" | bc) cores, $(( (s1-s0)/30 )) switches/s over 3 idle nodes"
kill ${npids[@]} $rp; wait 2>/dev/null
