#!/usr/bin/env bash
# idle2.sh HUB N WAIT: one node on the memory store, N idle subscribed sockets; perf stat of the hub over the idle window
HUB=$1; N=${2:-3000}; W=${3:-40}
P=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
$HUB --addr 127.0.0.1:$P --secret bench-count-secret-0123456789abcdef01 --http-rate 1000000 --http-burst 1000000 --ws-per-addr 1000000 --ws-idle-timeout 10m --log-level warn > /dev/null 2>&1 & HP=$!
sleep 1
/tmp/p/loadtest --nodes http://127.0.0.1:$P --pids $HP --scenario idle --players $N --procs 1 --idle-wait $((W+20))s --source-ips "$(seq -s, -f '127.0.0.%g' 2 5)" --deadline 3m --out /dev/null > /tmp/p/idle2.out 2>&1 & LT=$!
for _ in $(seq 400); do grep -q "idle for\|open (" /tmp/p/idle2.out && break; sleep 0.25; done
sleep 10
perf stat -x, -e task-clock,context-switches -p $HP -- sleep $W 2> /tmp/p/idle2.stat
python3 /tmp/p/idle2stat.py $HUB $W /tmp/p/idle2.stat
kill $LT 2>/dev/null; kill $HP; wait 2>/dev/null
