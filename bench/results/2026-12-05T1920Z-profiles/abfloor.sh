#!/usr/bin/env bash
# The floor's A/B (ab-floor-sysmon.txt): the levers' ab.sh with the floor's start line (no hub
# flags) and `loadtest --relay`, the changes this session's scratch copy had.
# Usage: abfloor.sh OUTDIR BIN_A BIN_B [pairs]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
script="$(mktemp)"
trap 'rm -f "$script"' EXIT
sed -e 's#\$BIN --addr 127.0.0.1:\$p --redis redis://127.0.0.1:\$rport/0 .*--log-level warn#$BIN --addr 127.0.0.1:$p --redis redis://127.0.0.1:$rport/0#' \
	-e 's#--scenario latency --min-rate-pct 0#--scenario latency --relay --min-rate-pct 0#' \
	"$here/../2026-12-05T1615Z-levers/ab.sh" > "$script"
bash "$script" "$@"
