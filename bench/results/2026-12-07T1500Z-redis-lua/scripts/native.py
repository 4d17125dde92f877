# Usage: PORT=N python3 native.py
# The same bytes through commands without a script: SET, PUBLISH (no subscriber) and ECHO of 10 and
# 8,000 bytes, Redis's time per call.
from common import Conn, enc
c = Conn()
for name in ['SET', 'PUBLISH', 'ECHO']:
    for size in [10, 8000]:
        args = {'SET': ['k'], 'PUBLISH': ['ch'], 'ECHO': []}[name] + ['y' * size]
        c.cmd('CONFIG', 'RESETSTAT')
        batch = b''.join(enc(name, *args) for _ in range(100))
        for _ in range(200):
            c.pipeline(batch, 100)
        print('%-8s %5d bytes: %5.2f usec per call' % (name, size, c.usec_per_call(name.lower())))
