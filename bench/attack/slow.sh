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
# ARMS (default: all of them, in the order above) picks the arms a round runs: 0 slow readers small
# other early floor0 floor floorsmall. An arm with a p after it (0p, slowp, floor0p, floorp,
# floorsmallp) runs pinned: the server and the measuring spectators on CPU 0, the slow sockets'
# process alone on CPU 1 (taskset), as if the attacker were another machine: its CPU, and the
# kernel's work on its side of loopback, are no longer taken from the server's core.
set -euo pipefail
PAIRS=${1:-4} SLOW=${2:-1000}
ROOT=$(git rev-parse --show-toplevel)
WORK=$(mktemp -d /tmp/bench-slow.XXXXXX)
HPID=""
trap '[ -n "$HPID" ] && kill $HPID 2>/dev/null; pkill -f "$WORK/attack --hub" 2>/dev/null || true' EXIT # errexit holds in a trap too
(cd "$ROOT" && go build -o "$WORK/hub" ./cmd/hub && go build -o "$WORK/attack" ./bench/attack && go build -o "$WORK/jitter" ./bench/jitter &&
	go build -o "$WORK/floor" ./bench/baseline/floor)

. "$ROOT/bench/lib.sh" # freeport

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

one() { # [PIN=1] one N [MODE [WHERE]]: a run with N slow (or MODE: readers) sockets, on an 8-player
	# tournament with WHERE=small, on another 1,024-player one with WHERE=other, dialled before
	# the measuring starts and subscribed 4 s in with WHERE=early, against the floor instead of a
	# hub with WHERE=floor (the 1,024-player state) or floorsmall (the slow sockets on an 8-player
	# state of their own: their arrival only); prints the lat mode's results line and the server's CPU time
	local n=$1 m=${2:-slow} where=${3:-} port srv="" atk=""
	[ -n "${PIN:-}" ] && srv="taskset -c 0" atk="taskset -c 1"
	port=$(freeport)
	if [ "$where" = floor ]; then
		$srv "$WORK/floor" --addr "127.0.0.1:$port" --snapshot "$WORK/state-1024.json" >"$WORK/hub.log" 2>&1 &
	elif [ "$where" = floorsmall ]; then
		$srv "$WORK/floor" --addr "127.0.0.1:$port" --snapshot "$WORK/state-1024.json" --snapshot "t_small=$WORK/state-8.json" >"$WORK/hub.log" 2>&1 &
	else
		$srv "$WORK/hub" --addr "127.0.0.1:$port" --http-rate 100000 --http-burst 100000 --ws-per-addr 100000 >"$WORK/hub.log" 2>&1 &
	fi
	HPID=$! # taskset execs the server: the same process
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
	$srv "$WORK/attack" --hub "$base" --mode lat --ids "$ids" --sockets 0 --spectators 50 --rate 20 --duration 20s >"$WORK/lat.txt" 2>&1 &
	local lpid=$!
	"$WORK/jitter" --duration 20s >"$WORK/jitter.txt" &
	local jpid=$!
	if [ "$n" -gt 0 ] && [ "$where" = early ]; then
		# Dialled while the spectators get ready, before anything is measured; subscribed 4 s in.
		$atk "$WORK/attack" --hub "$base" --mode "$m" --ids "$target" --sockets "$n" --srcs 8 --duration 25s --subscribe-after 4s >"$WORK/slow.txt" 2>&1 &
	elif [ "$n" -gt 0 ]; then
		sleep 4
		$atk "$WORK/attack" --hub "$base" --mode "$m" --ids "$target" --sockets "$n" --srcs 8 --duration 25s >"$WORK/slow.txt" 2>&1 &
	fi
	wait $lpid $jpid
	local cpu
	cpu=$(awk -v c0="$cpu0" -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15 - c0) / hz}' "/proc/$HPID/stat")
	echo "$(grep '^results' "$WORK/lat.txt"); hub CPU $cpu s; $(cat "$WORK/jitter.txt")"
	kill $HPID; wait $HPID 2>/dev/null || true
	HPID=""
	pkill -f "$WORK/attack --hub $base --mode" 2>/dev/null || true
}

ARMS=${ARMS:-0 slow readers small other early floor0 floor floorsmall}
for i in $(seq 1 "$PAIRS"); do
	for arm in $ARMS; do
		pin="" label=""
		case $arm in *p) pin=1 label=" (pinned)" arm=${arm%p} ;; esac
		case $arm in
		0) r=$(PIN=$pin one 0) label="0 slow sockets$label" ;;
		slow) r=$(PIN=$pin one "$SLOW") label="$SLOW slow sockets$label" ;;
		readers) r=$(PIN=$pin one "$SLOW" readers) label="$SLOW reading sockets$label" ;;
		small | other | early) r=$(PIN=$pin one "$SLOW" slow "$arm") label="$SLOW $arm sockets$label" ;;
		floor0) r=$(PIN=$pin one 0 slow floor) label="0 floor sockets$label" ;;
		floor | floorsmall) r=$(PIN=$pin one "$SLOW" slow "$arm") label="$SLOW $arm sockets$label" ;;
		*) echo "slow.sh: unknown arm $arm in ARMS" >&2; exit 2 ;;
		esac
		echo "pair $i, $label: $r" | tee -a "$WORK/all.txt"
	done
done
python3 - "$WORK/all.txt" "$SLOW" <<'PY'
import re, statistics, sys
runs = {}
for line in open(sys.argv[1]):
    m = re.search(r", (\d+) (slow|reading|small|other|early|floor|floorsmall) sockets( \(pinned\))?: .* p50 ([\d.]+) ms p90 ([\d.]+) ms p99 ([\d.]+) ms", line)
    if m:
        key = ("floor0" if m[2] == "floor" else "0") if m[1] == "0" else m[2]
        runs.setdefault(key + ("p" if m[3] else ""), []).append([float(m[4]), float(m[5]), float(m[6])])
hub = [("slow", "with {n} slow sockets"), ("reading", "with {n} reading sockets"),
       ("small", "with {n} never reading on an 8-player tournament"), ("other", "on another 1,024-player tournament"),
       ("early", "connected before, subscribing together")]
floor = [("floor", "with {n} slow sockets"), ("floorsmall", "with them on an 8-player tournament (their arrival only)")]
med = lambda key, i: statistics.median(r[i] for r in runs[key])
for sfx, pinned in (("", ""), ("p", ", pinned")):
    for i, q in enumerate(["p50", "p90", "p99"]):
        for base, arms, who in (("0", hub, "the hub's"), ("floor0", floor, "the floor's")):
            if base + sfx not in runs:
                continue
            a = med(base + sfx, i)
            line = f"median {q}, {who}{pinned}: without {a:.1f} ms"
            for key, what in arms:
                if key + sfx in runs:
                    d = med(key + sfx, i)
                    line += f"; {what.format(n=sys.argv[2])} {d:.1f} ms: x{d / a:.2f}"
            print(line)
PY
