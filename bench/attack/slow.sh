#!/usr/bin/env bash
# Usage: bench/attack/slow.sh [PAIRS] [SLOW]
#
# Issue 13's slow-socket attack, measured: how much SLOW (default 1,000) never-reading sockets
# raise the delivery latency of 50 reading spectators, against the same number of sockets that
# subscribe the same way at the same moment but read (the control: what the subscriptions cost
# whoever makes them). One memory hub (a fresh one per run), one
# double elimination of 1,024 players (743 KB snapshots), 20 results/s for 20 s; the slow
# sockets come from a process of their own 4 s into the run and subscribe to the same
# tournament. PAIRS (default 4) interleaved rounds of six runs: without them, with them, with
# SLOW reading sockets instead, with the SLOW never-reading sockets on an 8-player tournament
# of their own (the arrival of as many sockets without the big snapshot: what the dials, upgrades
# and subscriptions cost on this machine), with them on another 1,024-player tournament (a
# big snapshot each, but not the spectators' topic: whether they cost the others through the topic
# they share or through the machine), and with them connected before the measuring starts and
# subscribing all at once 4 s in (the subscriptions without the arrival of 1,000 connections from a
# process on the same cores); prints each run's latencies, the hub's CPU time over the run
# (/proc) and the medians, and next to each run the machine's own stalls over the same 20 s
# (bench/jitter): on a VM whose host stops it for tens of milliseconds, the p99 of 20 results/s
# is set by a handful of those, whatever the hub does. Compare medians of pairs.
# Each round also runs the floor (bench/baseline/floor --snapshot: the simplest coder/websocket
# server, the same 743 KB state as its snapshot, results broadcast in process, a socket whose write
# takes 5 s closed) without and with the SLOW never-reading sockets, and with them on an 8-player
# tournament of their own: what the attack, and the arrival of as many sockets alone, cost on these cores with
# nothing of the hub's in the way.
set -euo pipefail
PAIRS=${1:-4} SLOW=${2:-1000}
ROOT=$(git rev-parse --show-toplevel)
WORK=$(mktemp -d /tmp/bench-slow.XXXXXX)
HPID=""
trap '[ -n "$HPID" ] && kill $HPID 2>/dev/null; pkill -f "$WORK/attack --hub" 2>/dev/null || true' EXIT # errexit holds in a trap too
(cd "$ROOT" && go build -o "$WORK/hub" ./cmd/hub && go build -o "$WORK/attack" ./bench/attack && go build -o "$WORK/jitter" ./bench/jitter &&
	go build -o "$WORK/floor" ./bench/baseline/floor)

freeport() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }

# The floor's states: a hub's 1,024-player double elimination, just started, and an 8-player one.
port=$(freeport)
"$WORK/hub" --addr "127.0.0.1:$port" --http-rate 100000 --http-burst 100000 >"$WORK/hub.log" 2>&1 &
HPID=$!
for _ in $(seq 100); do grep -q "listening on" "$WORK/hub.log" && break; sleep 0.1; done
for size in 1024 8; do
	fid=$("$WORK/attack" --hub "http://127.0.0.1:$port" --mode setup --tournaments 1 --size $size 2>/dev/null)
	curl -sf "http://127.0.0.1:$port/api/tournaments/${fid%%:*}" >"$WORK/state-$size.json"
done
kill $HPID
wait $HPID 2>/dev/null || true
HPID=""

one() { # one N [MODE [WHERE]]: a run with N slow (or MODE: readers) sockets, on an 8-player
	# tournament with WHERE=small, on another 1,024-player one with WHERE=other, dialled before
	# the measuring starts and subscribed 4 s in with WHERE=early, against the floor instead of a
	# hub with WHERE=floor (the 1,024-player state) or floorsmall (the slow sockets on an 8-player
	# state of their own: their arrival only); prints the lat mode's results line and the server's CPU time
	local n=$1 m=${2:-slow} where=${3:-} port
	port=$(freeport)
	if [ "$where" = floor ]; then
		"$WORK/floor" --addr "127.0.0.1:$port" --snapshot "$WORK/state-1024.json" >"$WORK/hub.log" 2>&1 &
	elif [ "$where" = floorsmall ]; then
		"$WORK/floor" --addr "127.0.0.1:$port" --snapshot "$WORK/state-1024.json" --snapshot "t_small=$WORK/state-8.json" >"$WORK/hub.log" 2>&1 &
	else
		"$WORK/hub" --addr "127.0.0.1:$port" --http-rate 100000 --http-burst 100000 --ws-per-addr 100000 >"$WORK/hub.log" 2>&1 &
	fi
	HPID=$!
	for _ in $(seq 100); do grep -q "listening on" "$WORK/hub.log" && break; sleep 0.1; done
	local base="http://127.0.0.1:$port" ids
	if [ "${where#floor}" != "$where" ]; then
		ids="t_floor:none"
	else
		ids=$("$WORK/attack" --hub "$base" --mode setup --tournaments 1 --size 1024 2>/dev/null)
	fi
	local target=${ids%%,*}
	case $where in
	floorsmall) target="t_small:none" ;;
	small) target=$("$WORK/attack" --hub "$base" --mode setup --tournaments 1 --size 8 2>/dev/null) ;;
	other) target=$("$WORK/attack" --hub "$base" --mode setup --tournaments 1 --size 1024 2>/dev/null) ;;
	esac
	local cpu0
	cpu0=$(awk '{print $14 + $15}' "/proc/$HPID/stat")
	"$WORK/attack" --hub "$base" --mode lat --ids "$ids" --sockets 0 --spectators 50 --rate 20 --duration 20s >"$WORK/lat.txt" 2>&1 &
	local lpid=$!
	"$WORK/jitter" --duration 20s >"$WORK/jitter.txt" &
	local jpid=$!
	if [ "$n" -gt 0 ] && [ "$where" = early ]; then
		# Dialled while the spectators get ready, before anything is measured; subscribed 4 s in.
		"$WORK/attack" --hub "$base" --mode "$m" --ids "$target" --sockets "$n" --srcs 8 --duration 25s --subscribe-after 4s >"$WORK/slow.txt" 2>&1 &
	elif [ "$n" -gt 0 ]; then
		sleep 4
		"$WORK/attack" --hub "$base" --mode "$m" --ids "$target" --sockets "$n" --srcs 8 --duration 25s >"$WORK/slow.txt" 2>&1 &
	fi
	wait $lpid $jpid
	local cpu
	cpu=$(awk -v c0="$cpu0" -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15 - c0) / hz}' "/proc/$HPID/stat")
	echo "$(grep '^results' "$WORK/lat.txt"); hub CPU $cpu s; $(cat "$WORK/jitter.txt")"
	kill $HPID; wait $HPID 2>/dev/null || true
	HPID=""
	pkill -f "$WORK/attack --hub $base --mode" 2>/dev/null || true
}

for i in $(seq 1 "$PAIRS"); do
	for n in 0 "$SLOW"; do
		echo "pair $i, $n slow sockets: $(one "$n")" | tee -a "$WORK/all.txt"
	done
	echo "pair $i, $SLOW reading sockets: $(one "$SLOW" readers)" | tee -a "$WORK/all.txt"
	echo "pair $i, $SLOW small sockets: $(one "$SLOW" slow small)" | tee -a "$WORK/all.txt"
	echo "pair $i, $SLOW other sockets: $(one "$SLOW" slow other)" | tee -a "$WORK/all.txt"
	echo "pair $i, $SLOW early sockets: $(one "$SLOW" slow early)" | tee -a "$WORK/all.txt"
	echo "pair $i, 0 floor sockets: $(one 0 slow floor)" | tee -a "$WORK/all.txt"
	echo "pair $i, $SLOW floor sockets: $(one "$SLOW" slow floor)" | tee -a "$WORK/all.txt"
	echo "pair $i, $SLOW floorsmall sockets: $(one "$SLOW" slow floorsmall)" | tee -a "$WORK/all.txt"
done
python3 - "$WORK/all.txt" "$SLOW" <<'PY'
import re, statistics, sys
runs = {}
for line in open(sys.argv[1]):
    m = re.search(r", (\d+) (slow|reading|small|other|early|floor|floorsmall) sockets: .* p50 ([\d.]+) ms p90 ([\d.]+) ms p99 ([\d.]+) ms", line)
    if m:
        key = ("floor0" if m[2] == "floor" else "0") if m[1] == "0" else m[2]
        runs.setdefault(key, []).append([float(m[3]), float(m[4]), float(m[5])])
base, slow, rd = runs["0"], runs["slow"], runs.get("reading")
arms = [("small", "with {n} never reading on an 8-player tournament"), ("other", "on another 1,024-player tournament"),
        ("early", "connected before, subscribing together")]
for i, q in enumerate(["p50", "p90", "p99"]):
    a, b = statistics.median(r[i] for r in base), statistics.median(r[i] for r in slow)
    line = f"median {q}: without {a:.1f} ms, with {sys.argv[2]} slow sockets {b:.1f} ms: x{b / a:.2f}"
    if rd:
        c = statistics.median(r[i] for r in rd)
        line += f"; with {sys.argv[2]} reading sockets {c:.1f} ms: x{c / a:.2f}; slow / reading x{b / c:.2f}"
    for key, what in arms:
        if key in runs:
            d = statistics.median(r[i] for r in runs[key])
            line += f"; {what.format(n=sys.argv[2])} {d:.1f} ms: x{d / a:.2f}"
    print(line)
    if "floor" in runs and "floor0" in runs:
        a, b = statistics.median(r[i] for r in runs["floor0"]), statistics.median(r[i] for r in runs["floor"])
        line = f"  the floor's {q}: without {a:.1f} ms, with {sys.argv[2]} slow sockets {b:.1f} ms: x{b / a:.2f}"
        if "floorsmall" in runs:
            c = statistics.median(r[i] for r in runs["floorsmall"])
            line += f"; with them on an 8-player tournament (their arrival only) {c:.1f} ms: x{c / a:.2f}"
        print(line)
PY
