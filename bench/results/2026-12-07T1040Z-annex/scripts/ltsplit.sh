#!/usr/bin/env bash
# Usage: bench/split [--out DIR]
#
# Where a result's CPU goes, for the hub and for the floor (bench/baseline/floor) in the same
# latency scenario: what bench/count counts, this samples. Each arm's three nodes are sampled by
# `perf record -g` over the measured window; every sample is put under the area of a node's work
# its stack is in (set-up over HTTP, socket commands, following commits and fanning them out,
# socket writes and reads, the Redis client, garbage collection, the scheduler) and under who ran
# it, the process (user) or the kernel (its system calls, and the loopback deliveries the kernel
# makes inside them). The areas are given in ms per result: their share of the arm's samples
# times the nodes' CPU per result as the load tool measures it from /proc (--pids), so the table
# adds up to the figure bench/run reports. The first area in the list that a stack has a frame of
# is the one it counts for (the rules are below, in the Python).
#
# For each of hub and floor: a fresh redis-server on a free port, three nodes on it, and
# `loadtest --scenario latency` (--relay for the floor) at RATE results/s (default 600) with
# PLAYERS players (default 3000) in tournaments of 16 and SPECS spectators (default 0), the hub's
# API by tournament (API_ROUTING, as bench/run), for DUR (default 20s) after the staggered
# set-ups. Needs perf (Debian: apt-get install linux-perf) and python3. A timing: run it on an
# otherwise idle machine, at a rate both arms answer in full with perf attached (sampling stacks
# costs the nodes CPU too, and a node that falls behind spends more per result: the table warns
# when an arm answered under 98% of RATE). Writes split.txt (the table) and split.svg (the areas
# as two bars) to DIR (default a new directory under /tmp), with the raw files.
set -euo pipefail
main() {
OUT=""
while [ $# -gt 0 ]; do
	case "$1" in
	--out) OUT="$2"; shift ;;
	-h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
	*) echo "bench/split: unknown argument $1 (see --help)" >&2; exit 2 ;;
	esac
	shift
done
PLAYERS=${PLAYERS:-3000} RATE=${RATE:-600} DUR=${DUR:-20s} SPECS=${SPECS:-0} API_ROUTING=${API_ROUTING:-tournament}
case "$DUR" in *[0-9]s) ;; *) echo "bench/split: DUR must be seconds, like 20s" >&2; exit 2 ;; esac
ROOT=/work/main
log() { echo "bench/split: $*" >&2; }
command -v perf >/dev/null || { log "perf not found (Debian: apt-get install linux-perf)"; exit 1; }
command -v redis-server >/dev/null || { log "redis-server not found: bash .ci/deps installs it"; exit 1; }
OUT=${OUT:-$(mktemp -d /tmp/bench-split.XXXXXX)}
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
. "$ROOT/bench/lib.sh"

log "building the hub, the floor and the load tool"
(cd "$ROOT" && go build -o "$OUT/hub" ./cmd/hub && go build -o "$OUT/floor" ./bench/baseline/floor &&
	go build -o "$OUT/loadtest" ./cmd/loadtest)
SRC="$(seq -s, -f '127.0.0.%g' 2 17)"

for arm in hub floor; do
	start_redis "$OUT/$arm-redis.log" || exit 1
	rport=$RPORT rpid=$RPID
	PIDS+=("$rpid")
	nodes="" npids=()
	for i in 1 2 3; do
		if [ "$arm" = floor ]; then
			p=$(freeport)
			"$OUT/floor" --addr "127.0.0.1:$p" --redis "redis://127.0.0.1:$rport/0" >"$OUT/$arm-$i.log" 2>&1 &
			npids+=($!)
			nodes="$nodes,http://127.0.0.1:$p"
		else
			"$OUT/hub" --addr 127.0.0.1:0 --redis "redis://127.0.0.1:$rport/0" \
				--secret bench-split-secret-0123456789abcdef01 --http-rate 1000000 --http-burst 1000000 \
				--ws-per-addr 1000000 --ws-idle-timeout 10m --log-level warn >"$OUT/$arm-$i.log" 2>&1 &
			npids+=($!)
		fi
		PIDS+=("${npids[-1]}")
		for _ in $(seq 100); do grep -q "listening on" "$OUT/$arm-$i.log" && break; sleep 0.1; done
		grep -q "listening on" "$OUT/$arm-$i.log" || { log "$arm node $i did not start: $OUT/$arm-$i.log"; exit 1; }
		[ "$arm" = hub ] && nodes="$nodes,http://$(grep -m1 -o 'listening on .*' "$OUT/$arm-$i.log" | cut -d' ' -f3)"
	done
	extra=(--api-routing "$API_ROUTING")
	[ "$arm" = floor ] && extra=(--relay)
	log "$arm: $PLAYERS players, $SPECS spectators, $RATE results/s, sampled for $DUR"
	"$OUT/loadtest" --nodes "${nodes#,}" --pids "$(IFS=,; echo "${npids[*]}")" --scenario latency \
		--min-rate-pct 0 --players "$PLAYERS" --tournament-size 16 --spectators "$SPECS" --rate "$RATE" \
		--duration "$DUR" --source-ips "$SRC" --deadline 10m --out "$OUT/$arm.json" "${extra[@]}" \
		>"$OUT/$arm.out" 2>"$OUT/$arm.err" &
	lt=$!
	# The sampled window is the load tool's measured one: it starts when the staggered set-ups end.
	for _ in $(seq 1200); do grep -q staggering "$OUT/$arm.err" && break; kill -0 $lt 2>/dev/null || break; sleep 0.25; done
	w=$(grep -o 'over [0-9.]*s' "$OUT/$arm.err" | grep -o '[0-9.]*' | head -1)
	[ -n "$w" ] || { log "$arm: the load tool did not start measuring: $OUT/$arm.err"; exit 1; }
	sleep "$w"
	perf record -e cpu-clock -F 999 -g -p "$lt" -o "$OUT/$arm.perf" -- sleep "${DUR%s}" \
		>"$OUT/$arm-perf.log" 2>&1 || { log "$arm: perf record failed: $OUT/$arm-perf.log"; exit 1; }
	wait $lt || { log "$arm: the load tool failed: $OUT/$arm.err"; exit 1; }
	for p in "${npids[@]}" "$rpid"; do kill "$p" 2>/dev/null || true; done
	perf script -i "$OUT/$arm.perf" -F ip,sym >"$OUT/$arm.stacks" 2>"$OUT/$arm-script.log" ||
		{ log "$arm: perf script failed: $OUT/$arm-script.log"; exit 1; }
done

python3 - "$OUT" >"$OUT/split.txt" <<'PY'
import json, re, sys
out = sys.argv[1]
# Areas, first match wins: a sample counts for the first area (in this order) that has a frame of
# its stack matching the area's pattern for that arm (hub, floor). None: the arm has no such work.
GC = r'^runtime\.(gcBgMarkWorker|bgsweep|bgscavenge|gcAssistAlloc|markroot|gcStart)'
REDIS = r'^github\.com/redis/go-redis/'
SCHED = r'^runtime\.(schedule|findRunnable|park_m|mcall|sysmon|mstart|goexit0|checkTimers|netpoll|newstack|morestack)'
TH = r'^github\.com/tourhub/tourhub/hub/'
AREAS = [
    ('garbage collection', GC, GC),
    ('set-up over HTTP (create, joins, start)', r'^net/http\.\(\*conn\)\.serve$', None),
    ('set-up over sockets (auth, subscribe, snapshot, watch)',
     TH + r'(ws\.\(\*session\)\.(authenticate|subscribe|join)|redisstore\.\(\*Store\)\.subLoop|fanout\.\(\*Table\)\.catchUp)$',
     r'^main\.\(\*node\)\.join$'),
    ('socket writes (events, notices, replies)',
     TH + r'(sock\.\(\*(Writes|Rings|ring)\)\.|sock\.\(\*Conn\)\.(Write|WriteOut|writeOutLocked|writeFD|writeBulk)$|'
     r'ws\.\(\*session\)\.(FlushGroup|flush|writeNow|writeNowIn|writeBatch|written|NowWritten)$)',
     r'^(main\.main\.func2|github\.com/coder/websocket\.\(\*Conn\)\.Write)$'),
    ('Redis client (commands, pub/sub reads)', REDIS, REDIS),
    ('socket commands (decode, engine, encode)', TH + r'ws\.\(\*session\)\.handle$', r'^main\.\(\*node\)\.handle$'),
    ('following commits (decode, notices, queueing)',
     TH + r'(redisstore\.\(\*Store\)\.(receiveLoop|deliverNext|route|inline|run)|fanout\.)',
     r'^main\.(\(\*node\)\.(receive|broadcast)|main\.gowrap1)$'),
    ('socket reads, pings and the poller', TH + r'(sock\.|ws\.\(\*session\)\.(readLoop|readTurn|readWoken|ping))',
     r'^main\.main\.func2\.1$'),
    ('scheduler, stacks, timers and idle', SCHED, SCHED),
]
def area_of(frames, arm):
    for name, hub_pat, floor_pat in AREAS:
        pat = hub_pat if arm == 'hub' else floor_pat
        if pat and any(re.search(pat, f) for f in frames):
            return name
    return 'other'
def samples(path):
    block = []
    for line in open(path):
        line = line.strip()
        if not line:
            if block:
                yield block
            block = []
            continue
        p = line.split(None, 1)
        if len(p) == 2:
            block.append(p)
    if block:
        yield block
res = {}
for arm in ('hub', 'floor'):
    lat = json.load(open(f'{out}/{arm}.json'))['latency']
    cpu = lat['usage']['hub_cpu_ms_per_result']
    counts, n = {}, 0
    for s in samples(f'{out}/{arm}.stacks'):
        kernel = s[0][0].startswith('ffffffff')
        a = area_of([f for _, f in s], arm)
        counts[(a, kernel)] = counts.get((a, kernel), 0) + 1
        n += 1
    res[arm] = dict(cpu=cpu, n=n, rate=lat['results_per_second'], target=lat['target_results_per_second'],
                    ms={k: v / n * cpu for k, v in counts.items()})
names = [a[0] for a in AREAS] + ['other']
h, f = res['hub'], res['floor']
print(f"rate: hub {h['rate']:.1f}/s, floor {f['rate']:.1f}/s (asked {h['target']:.0f}); samples: hub {h['n']}, floor {f['n']}")
for arm, r in (('hub', h), ('floor', f)):
    if r['rate'] < 0.98 * r['target']:
        print(f"warning: the {arm} answered {r['rate']:.1f} of {r['target']:.0f} results/s: it fell behind, and its "
              "CPU per result is that of an overloaded node; try a lower RATE")
print(f"the nodes' CPU per result (/proc): hub {h['cpu']:.3f} ms, floor {f['cpu']:.3f} ms, hub/floor {h['cpu'] / f['cpu']:.2f}")
print()
print(f"{'ms per result':56s} {'hub user':>8s} {'kernel':>7s} {'all':>6s}  {'floor user':>10s} {'kernel':>7s} {'all':>6s}  {'hub-floor':>9s}")
tot = {k: 0.0 for k in ('hu', 'hk', 'fu', 'fk')}
for a in names:
    hu, hk = h['ms'].get((a, False), 0), h['ms'].get((a, True), 0)
    fu, fk = f['ms'].get((a, False), 0), f['ms'].get((a, True), 0)
    for k, v in (('hu', hu), ('hk', hk), ('fu', fu), ('fk', fk)):
        tot[k] += v
    if hu + hk + fu + fk < 0.0005:
        continue
    print(f"{a:56s} {hu:8.3f} {hk:7.3f} {hu + hk:6.3f}  {fu:10.3f} {fk:7.3f} {fu + fk:6.3f}  {hu + hk - fu - fk:+9.3f}")
print(f"{'all':56s} {tot['hu']:8.3f} {tot['hk']:7.3f} {tot['hu'] + tot['hk']:6.3f}  {tot['fu']:10.3f} {tot['fk']:7.3f} "
      f"{tot['fu'] + tot['fk']:6.3f}  {tot['hu'] + tot['hk'] - tot['fu'] - tot['fk']:+9.3f}")
print()
# Where the two designs split the same work differently: the hub's sender writes to an idle
# socket itself, the floor's queues to a writer goroutine per socket.
def group(r, prefixes):
    return sum(v for (a, _), v in r['ms'].items() if a.startswith(prefixes))
for label, prefixes in (('set-up (over HTTP and over sockets)', ('set-up',)),
                        ('delivery (following commits and socket writes)', ('following', 'socket writes'))):
    a, b = group(h, prefixes), group(f, prefixes)
    print(f"{label:56s} hub {a:.3f} ms, floor {b:.3f} ms, hub-floor {a - b:+.3f}")
# The hub less its set-up against the floor, which sets nothing up: what target 1's ratio would be
# if creating, joining and starting tournaments and subscribing their sockets cost nothing.
ha, fa = h['cpu'] - group(h, ('set-up',)), f['cpu'] - group(f, ('set-up',))
print(f"{'less set-up':56s} hub {ha:.3f} ms, floor {fa:.3f} ms, hub/floor {ha / fa:.2f}")

# The chart: one bar per arm, its areas side by side, the same scale, a tick every 0.1 ms.
colors = ['#8c564b', '#d62728', '#9467bd', '#1f77b4', '#2ca02c', '#ff7f0e', '#17becf', '#7f7f7f', '#bcbd22', '#e377c2']
W, left, bar, top = 900, 60, 34, 40
scale = (W - left - 80) / max(h['cpu'], f['cpu'])
axis = top + 2 * (bar + 16)
rows = (len(names) + 1) // 2
svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{axis + 30 + 22 * rows + 10}" font-family="sans-serif" font-size="12">',
       f'<text x="{left}" y="20" font-size="14">The nodes\' CPU per result by area, ms (the kernel\'s part lighter), '
       f'{h["target"]:.0f} results/s asked</text>']
for row, (arm, r) in enumerate((('hub', h), ('floor', f))):
    y = top + row * (bar + 16)
    svg.append(f'<text x="{left - 8}" y="{y + bar / 2 + 4}" text-anchor="end">{arm}</text>')
    x = left
    for i, a in enumerate(names):
        for kernel in (False, True):
            w = r['ms'].get((a, kernel), 0) * scale
            if w <= 0:
                continue
            svg.append(f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar}" fill="{colors[i % len(colors)]}" '
                       f'fill-opacity="{0.45 if kernel else 1}"><title>{arm}: {a}, {"kernel" if kernel else "user"}: '
                       f'{r["ms"][(a, kernel)]:.3f} ms</title></rect>')
            x += w
    svg.append(f'<text x="{x + 6:.1f}" y="{y + bar / 2 + 4}">{r["cpu"]:.3f} ms</text>')
t = 0.0
while t <= max(h['cpu'], f['cpu']) + 1e-9:
    x = left + t * scale
    svg.append(f'<line x1="{x:.1f}" y1="{axis - 8}" x2="{x:.1f}" y2="{axis - 2}" stroke="#444"/>'
               f'<text x="{x:.1f}" y="{axis + 10}" text-anchor="middle" font-size="10">{t:.1f}</text>')
    t += 0.1
for i, a in enumerate(names):
    lx, yy = left + (i % 2) * 420, axis + 26 + (i // 2) * 22
    svg.append(f'<rect x="{lx}" y="{yy}" width="14" height="14" fill="{colors[i % len(colors)]}"/>'
               f'<text x="{lx + 20}" y="{yy + 12}">{a}</text>')
svg.append('</svg>')
open(f'{out}/split.svg', 'w').write('\n'.join(svg) + '\n')
PY
cat "$OUT/split.txt"
log "table in $OUT/split.txt, chart in $OUT/split.svg, raw files in $OUT"
}
main "$@"
