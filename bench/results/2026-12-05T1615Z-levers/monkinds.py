import re, sys, collections
f = sys.argv[1]
client = collections.Counter(); lua = collections.Counter(); scripts = collections.Counter()
cur = None; inner = collections.defaultdict(list)
results = 0
lines = open(f, errors='replace').read().split('\n')
for l in lines:
    m = re.match(r'[0-9.]+ \[0 ([^\]]+)\] "(\w+)"', l)
    if not m: continue
    who, cmd = m.group(1), m.group(2).lower()
    if who == 'lua':
        lua[cmd] += 1
        if cur is not None: inner[cur].append(cmd)
        continue
    client[cmd] += 1
    if cmd == 'evalsha':
        sha = l.split('"')[3][:8]
        cur = len(inner); inner[cur] = [sha]
        kind = 'report' if '\\"type\\":\\"report\\"' in l else ('join' if '\\"type\\":\\"join\\"' in l else ('start' if '\\"type\\":\\"start\\"' in l else ('create' if '\\"type\\":\\"create\\"' in l else '')))
        if kind == 'report': results += 1
        scripts[(sha, kind, len(l) // 1000)] += 0
        scripts[(sha, kind)] += 1
    else:
        cur = None
print('report commits (results) in window:', results)
print('client commands per result:')
for k, v in client.most_common(): print(f'  {k:16} {v/results:6.2f}')
print('scripts per result (sha, command kind):')
for k, v in sorted(scripts.items(), key=lambda x: -x[1]):
    if v: print(f'  {k}  {v/results:6.2f}')
sig = collections.Counter()
for i, cmds in inner.items(): sig[(cmds[0], ' '.join(sorted(set(cmds[1:]))))] += 1
print('script bodies:')
for k, v in sig.most_common(12): print(f'  {v/results:6.2f} {k}')
