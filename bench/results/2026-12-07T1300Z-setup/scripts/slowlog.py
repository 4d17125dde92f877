# Usage: python3 slowlog.py SLOWLOG  (loadrun.sh slowlog's OUT/slowlog.txt)
# Redis's time by command, and for the commit scripts by the first event they append.
import collections, re, sys
lines = open(sys.argv[1]).read().split('\n')
cmds = {'evalsha', 'hget', 'hgetall', 'hmget', 'xrange', 'subscribe', 'unsubscribe', 'exists', 'del',
        'publish', 'ping', 'zadd', 'eval', 'multi', 'exec', 'ltrim', 'zrangebyscore', 'lrange', 'hello'}
agg = collections.defaultdict(list)
i = 0
while i < len(lines) - 3:
    # an entry: id, unix time, duration (µs), then the command and its arguments
    if lines[i].isdigit() and lines[i + 1].isdigit() and lines[i + 2].isdigit() and lines[i + 3].lower() in cmds:
        cmd, kind = lines[i + 3].lower(), ''
        if cmd == 'evalsha':
            m = re.search(r'\[\{"type":"(\w+)"', '\n'.join(lines[i + 4:i + 40]))
            kind = m.group(1) if m else 'no events (the check script)'
        agg[(cmd, kind)].append(int(lines[i + 2]))
        i += 4
    else:
        i += 1
total = sum(sum(v) for v in agg.values())
print(f"{sum(len(v) for v in agg.values())} commands, {total} µs")
for (cmd, kind), v in sorted(agg.items(), key=lambda x: -sum(x[1])):
    v.sort()
    print(f"{cmd} {kind}: n={len(v)} {100 * sum(v) / total:.0f}% median {v[len(v) // 2]} µs p90 {v[int(len(v) * .9)]} µs")
