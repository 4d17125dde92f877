#!/usr/bin/env bash
# idle1.sh HUB N WAIT: one node on the memory store, N idle subscribed sockets; the hub's CPU over the idle window (from /proc, clock ticks)
HUB=$1; N=${2:-3000}; W=${3:-40}
P=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
$HUB --addr 127.0.0.1:$P --secret bench-count-secret-0123456789abcdef01 --http-rate 1000000 --http-burst 1000000 --ws-per-addr 1000000 --ws-idle-timeout 10m --log-level warn > /dev/null 2>&1 & HP=$!
sleep 1
/tmp/p/loadtest --nodes http://127.0.0.1:$P --pids $HP --scenario idle --players $N --procs 1 --idle-wait $((W+20))s --source-ips "$(seq -s, -f '127.0.0.%g' 2 5)" --deadline 3m --out /dev/null > /tmp/p/idle1.out 2>&1 & LT=$!
for _ in $(seq 400); do grep -q "idle for" /tmp/p/idle1.out && break; sleep 0.25; done
sleep 10
a=$(awk '{print $14+$15}' /proc/$HP/stat); sleep $W; b=$(awk '{print $14+$15}' /proc/$HP/stat)
echo "$(basename $HUB) ticks $((b-a)) over $W s: $(python3 -c "print(round(($b-$a)/100/$W,4))") cores; $(grep 'CPU while' /tmp/p/idle1.out)"
wait $LT; kill $HP; wait 2>/dev/null
