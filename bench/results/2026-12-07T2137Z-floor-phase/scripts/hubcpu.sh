#!/usr/bin/env bash
# warm.sh OUT DUR: target 1's latency load on fresh nodes for DUR, the hubs' and Redis's CPU sampled every 2 s
set -euo pipefail
OUT=$1 DUR=$2 BIN=/tmp/bin
mkdir -p "$OUT"
cd /work/main
. bench/lib.sh
start_redis "$OUT/redis.log"
PIDS=("$RPID")
trap 'kill "${PIDS[@]}" 2>/dev/null || true' EXIT
nodes="" npids=()
for i in 1 2 3; do
	"$BIN/hub" --addr 127.0.0.1:0 --redis "redis://127.0.0.1:$RPORT/0" --secret loadrun-secret-0123456789abcdef0123 \
		--http-rate 1000000 --http-burst 1000000 --ws-per-addr 1000000 --ws-idle-timeout 10m --log-level warn \
		>"$OUT/hub-$i.log" 2>&1 &
	npids+=($!) PIDS+=($!)
	for _ in $(seq 100); do grep -q "listening on" "$OUT/hub-$i.log" && break; sleep 0.1; done
	nodes="$nodes,http://$(grep -m1 -o 'listening on .*' "$OUT/hub-$i.log" | cut -d' ' -f3)"
done
(while true; do
	t=$(date +%s.%N); s=0
	for p in "${npids[@]}"; do read -r -a f < /proc/$p/stat; s=$((s + f[13] + f[14])); done
	read -r -a f < /proc/$RPID/stat
	echo "$t $s $((f[13] + f[14]))"
	sleep 2
done) > "$OUT/cpu.txt" 2>/dev/null &
PIDS+=($!)
"$BIN/loadtest" --nodes "${nodes#,}" --pids "$(IFS=,; echo "${npids[*]}")" --scenario latency --min-rate-pct 0 \
	--players 10000 --tournament-size 16 --spectators 300 --rate "${RATE:-1000}" --duration "$DUR" \
	--source-ips "$(seq -s, -f '127.0.0.%g' 2 17)" --deadline 10m --out "$OUT/lt.json" --api-routing tournament \
	>"$OUT/lt.out" 2>"$OUT/lt.err"
echo "loadtest started at $(stat -c %Y "$OUT/lt.err")" >> "$OUT/lt.out"
