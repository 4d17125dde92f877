# A minimal RESP client for the experiments here (no dependencies): PORT from the environment.
import os, socket

def enc(*args):
    out = [b'*%d\r\n' % len(args)]
    for a in args:
        if isinstance(a, str):
            a = a.encode('latin1')
        out.append(b'$%d\r\n%s\r\n' % (len(a), a))
    return b''.join(out)

class Conn:
    def __init__(self):
        self.s = socket.create_connection(('127.0.0.1', int(os.environ['PORT'])))
        self.buf = b''

    def _more(self):
        d = self.s.recv(1 << 20)
        if not d:
            raise EOFError
        self.buf += d

    def reply(self):
        while b'\r\n' not in self.buf:
            self._more()
        line, self.buf = self.buf.split(b'\r\n', 1)
        t = line[:1]
        if t == b'-':
            raise RuntimeError(line.decode())
        if t in b'+:':
            return line[1:]
        if t == b'$':
            n = int(line[1:])
            if n < 0:
                return None
            while len(self.buf) < n + 2:
                self._more()
            v, self.buf = self.buf[:n], self.buf[n + 2:]
            return v
        if t == b'*':
            return [self.reply() for _ in range(int(line[1:]))]
        raise RuntimeError('unexpected reply %r' % line)

    def cmd(self, *a):
        self.s.sendall(enc(*a))
        return self.reply()

    def pipeline(self, encoded, n):
        # sends n commands already encoded, reads their n replies
        self.s.sendall(encoded)
        return [self.reply() for _ in range(n)]

    def usec_per_call(self, name):
        for l in self.cmd('INFO', 'commandstats').decode().split('\r\n'):
            if l.startswith('cmdstat_' + name + ':'):
                return float(l.split('usec_per_call=')[1].split(',')[0])
