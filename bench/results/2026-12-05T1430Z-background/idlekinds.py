# Sorts perf samples (perf script output) of an idle hub by the first kind of work their stack shows.
import re, sys, collections
kinds = [('ping writes (pingOnce)', 'pingOnce'), ('pong reads (sock.Pool.loop)', 'sock.(*Pool).loop'),
         ('the parking epoll (epoller)', 'epoller'), ('sysmon', 'runtime.sysmon'), ('GC', 'gcBgMarkWorker'),
         ('Redis (sweeps, watches)', 'go-redis'), ('scheduler: findRunnable', 'runtime.findRunnable'),
         ('scheduler: other', 'runtime.schedule'), ('stack growth', 'morestack')]
c = collections.Counter(); n = 0
for block in open(sys.argv[1]).read().split('\n\n'):
    lines = [l.strip() for l in block.strip().split('\n')[1:] if l.strip()]
    if not lines:
        continue
    n += 1
    j = ' '.join(lines)
    c[next((k for k, pat in kinds if pat in j), 'other')] += 1
print('samples', n)
for k, v in c.most_common():
    print(f"{v:6d} {100 * v / n:5.1f}%  {k}")
