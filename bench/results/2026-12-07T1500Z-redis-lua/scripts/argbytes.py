# Usage: PORT=N python3 argbytes.py
# Redis's time per EVALSHA (INFO commandstats usec_per_call) of a script that does nothing, or one
# SET, with the same bytes of ARGV in 1, 4 or 16 arguments, and with 20 bytes: what each byte passed
# to a script costs, whatever the script does with it.
from common import Conn, enc
c = Conn()
for script in ['return 1', "redis.call('SET','k',ARGV[1]) return 1"]:
    sha = c.cmd('SCRIPT', 'LOAD', script).decode()
    for n, size in [(1, 8000), (4, 2000), (16, 500), (2, 10)]:
        c.cmd('CONFIG', 'RESETSTAT')
        batch = b''.join(enc('EVALSHA', sha, '0', *[('%06d' % j) + 'y' * size for j in range(n)]) for _ in range(100))
        for _ in range(200):
            c.pipeline(batch, 100)
        print('%-40r %2d x %5d bytes: %6.2f usec per call' % (script, n, size + 6, c.usec_per_call('evalsha')))
