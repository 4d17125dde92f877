#!/usr/bin/env bash
# floor.sh OUT LOADTEST: the floor's latency arm of target 1 on three fresh floor servers
set -euo pipefail
OUT=$1 LT=$2
mkdir -p "$OUT"
cd /work/main
. bench/lib.sh
start_redis "$OUT/redis.log"
PIDS=("$RPID")
trap 'kill "${PIDS[@]}" 2>/dev/null || true' EXIT
nodes="" npids=()
for i in 1 2 3; do
	p=$(freeport)
	/tmp/bin/floor --addr "127.0.0.1:$p" --redis "redis://127.0.0.1:$RPORT/1" >"$OUT/floor$i.log" 2>&1 &
	npids+=($!) PIDS+=($!)
	for _ in $(seq 100); do grep -q "listening on" "$OUT/floor$i.log" && break; sleep 0.1; done
	nodes="$nodes,http://127.0.0.1:$p"
done
"$LT" --nodes "${nodes#,}" --pids "$(IFS=,; echo "${npids[*]}")" --relay --scenario latency --min-rate-pct 0 \
	--players 10000 --tournament-size 16 --spectators 300 --rate 1000 --duration 30s \
	--source-ips "$(seq -s, -f '127.0.0.%g' 2 17)" --deadline 10m --out "$OUT/lt.json" >"$OUT/lt.out" 2>"$OUT/lt.err"
