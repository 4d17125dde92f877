#!/usr/bin/env bash
# Usage: toolab.sh ROUNDS OUT BIN_A BIN_B   (run from a checkout)
#
# One hub, two builds of the load tool: BIN_A and BIN_B are directories each holding a `hub` (the
# same binary in both) and a `loadtest`. Each round runs both, A first in odd rounds and B first
# in even ones, as 2026-12-07T1300Z-setup's loadrun.sh does (three fresh hubs on a fresh Redis,
# target 1's load: 10,000 players, 300 spectators, 1,000 results/s, 20 s measured), and prints
# "round build results/s hub-ms-per-result tool-ms-per-result" to OUT/rows.txt.
set -euo pipefail
R=$1 OUT=$2 A=$3 B=$4
cd "$(git rev-parse --show-toplevel)"
mkdir -p "$OUT"
for r in $(seq "$R"); do
	order="A B"
	[ $((r % 2)) = 0 ] && order="B A"
	for x in $order; do
		bin=$A
		[ "$x" = B ] && bin=$B
		d=$OUT/r$r-$x
		DUR=20s bash bench/results/2026-12-07T1300Z-setup/scripts/loadrun.sh cmdstats "$bin" "$d" >/dev/null 2>&1
		python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))['latency']; u = d['usage']
print(sys.argv[2], sys.argv[3], round(d['results_per_second'], 1), round(u['hub_cpu_ms_per_result'], 3),
      round(u['load_tool_cpu_ms_per_result'], 3))" "$d/lt.json" "$r" "$x" | tee -a "$OUT/rows.txt"
	done
done
