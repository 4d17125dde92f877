//go:build linux || darwin || openbsd

package sock

import (
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
