# Usage: PORT=N python3 commitscript.py  (from this directory's parent's scripts/)
# The hub's commit script (../commit.lua, commitLua of 4f6e184 with its constants filled in) run
# 5,000 times on one tournament with the arguments of a captured report commit of a 16-player
# single elimination (../one-report-commit.json: EVALSHA, its sha, 4, the keys, the 27 ARGV), each
# time with the expected version, rev and a new submission id so that it commits; Redis's time
# per call for: the script as it is; the script returning before its first call (what passing the
# arguments and starting the script costs); the script with the large arguments (events, outcome,
# payload, field values, recent, command) cut to one byte.
import json, os
from common import Conn
here = os.path.dirname(os.path.abspath(__file__))
c = Conn()
args = json.load(open(os.path.join(here, '..', 'one-report-commit.json')))
keys, argv = args[3:7], args[7:]
src = open(os.path.join(here, '..', 'commit.lua')).read()
first = "local cur = redis.call('HMGET', KEYS[1], 'epoch', 'version', 'rev')"
assert first in src
variants = [('as it is', src, False), ('returning before its first call', src.replace(first, "do return {'ok'} end\n" + first, 1), False),
            ('large arguments cut to one byte', src, True)]
for name, script, small in variants:
    sha = c.cmd('SCRIPT', 'LOAD', script).decode()
    c.cmd('FLUSHALL')
    c.cmd('HSET', keys[0], 'epoch', argv[0], 'version', '1', 'rev', 'r0')
    c.cmd('CONFIG', 'RESETSTAT')
    prev = 'r0'
    for i in range(5000):
        a = list(argv)
        a[1], a[2], a[3], a[4], a[8] = str(i + 1), prev, str(i + 2), 'r%d' % (i + 1), 's%d' % i
        if small:
            for j in (7, 9, 14, len(a) - 2, len(a) - 1):
                a[j] = 'x'
            for j in range(20, 20 + 2 * int(a[15]), 2):
                a[j] = 'v'
        prev = a[4]
        r = c.cmd('EVALSHA', sha, '4', *keys, *a)
        assert r == [b'ok'], r
    print('%-34s %d bytes of ARGV: %6.2f usec per call' % (name, sum(len(x) for x in a), c.usec_per_call('evalsha')))
