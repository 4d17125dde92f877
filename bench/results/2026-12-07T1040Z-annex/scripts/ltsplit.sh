#!/usr/bin/env bash
# ltsplit.sh [--out DIR]: bench/split with `perf record` on the load tool instead of the nodes (the
# same environment: PLAYERS, RATE, SPECS, DUR). Its split.txt classifies the tool's samples by the
# nodes' rules, which mean nothing here: read hub.stacks and floor.stacks with ltcls.py.
# Run from the repository: it rewrites bench/split's perf target on the fly.
set -euo pipefail
ROOT=$(git rev-parse --show-toplevel)
exec bash <(sed -e 's|perf record -e cpu-clock -F 999 -g -p "$(IFS=,; echo "${npids\[\*\]}")"|perf record -e cpu-clock -F 999 -g -p "$lt"|' \
	-e "s|^ROOT=.*|ROOT=$ROOT|" "$ROOT/bench/split") "$@"
