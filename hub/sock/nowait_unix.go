//go:build linux || darwin || openbsd

package sock

import (
	"io"
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

// maxIovecs is the most segments one gathering write passes (IOV_MAX is 1024).
const maxIovecs = 1024

// writeFD is the write without waiting of Conn.writeNow, run by RawConn.Control: it writes
// out to fd with write system calls that do not wait (Go's sockets are non-blocking), until the
// socket's send buffer is full or a write fails, and drops from out what was written. A failure
// is left to the next write, which waits and reports it. wmu is held.
func (c *Conn) writeFD(fd uintptr) {
	for len(c.out) > 0 {
		var k int
		var err error
		if len(c.out) == 1 {
			k, err = syscall.Write(int(fd), c.out[0])
		} else {
			k, err = unix.Writev(int(fd), c.out[:min(len(c.out), maxIovecs)])
		}
		if err == syscall.EINTR {
			continue
		}
		if err != nil || k <= 0 {
			return
		}
		consume(&c.out, k)
	}
}

// consume drops the first n bytes of v (as net.Buffers does when it writes).
func consume(v *net.Buffers, n int) {
	for len(*v) > 0 {
		if k := len((*v)[0]); k > n {
			(*v)[0] = (*v)[0][n:]
			return
		} else {
			n -= k
		}
		(*v)[0] = nil
		*v = (*v)[1:]
	}
}

// bulkMin is the size from which a write is bulk (a snapshot, a burst): it takes its turn at the
// node's bulk gate.
const bulkMin = 32 << 10

// bulkGate lets one bulk write system call copy into the kernel at a time, node-wide. Copying
// a big message into a socket costs its writer the copy and, on loopback or a fast link, the
// receiving side's processing, in the kernel, where GOMAXPROCS does not bound it: a thousand
// sockets handed a 743 KB snapshot at once are a thousand threads copying, and the live
// deliveries (small writes, which never wait here) and the node's other goroutines queue
// behind them for the CPUs. Gated, bulk writes take at most one CPU at a time between them,
// and each turn is one write call. A writer waits for its socket (its send buffer full) outside
// the gate.
var bulkGate = make(chan struct{}, 1)

// writeBulk writes out to fd a turn at a time at the bulk gate, one gathering write per turn,
// until all of it is written or the socket's send buffer is full (it reports false: the caller
// waits for the socket and calls again). A failure other than a full buffer is kept in err and
// ends the write. wmu is held.
func (c *Conn) writeBulk(fd uintptr, err *error) bool {
	for len(c.out) > 0 {
		bulkGate <- struct{}{}
		k, e := unix.Writev(int(fd), c.out[:min(len(c.out), maxIovecs)])
		<-bulkGate
		switch {
		case e == syscall.EINTR:
			continue
		case e == syscall.EAGAIN:
			return false
		case e != nil:
			*err = e
			return true
		case k <= 0:
			*err = io.ErrUnexpectedEOF
			return true
		}
		consume(&c.out, k)
	}
	return true
}
