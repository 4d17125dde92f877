#!/usr/bin/env bash
# Usage: run.sh  (from a checkout: it sources bench/lib.sh) — a fresh redis-server on a free port,
# the three experiments, the server stopped.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$(git rev-parse --show-toplevel)/bench/lib.sh"
log=$(mktemp)
start_redis "$log"
trap 'kill "$RPID" 2>/dev/null || true' EXIT
for s in argbytes native commitscript; do
	echo "## $s.py"
	PORT=$RPORT python3 "$here/$s.py"
done
