//go:build unix

package hub

import "syscall"

// writeFD is the write without waiting of sockConn.writeNow, run by RawConn.Control: it writes
// nowBuf[nowN:] to fd with write system calls that do not wait (Go's sockets are non-blocking),
// until the socket's send buffer is full or a write fails, advancing nowN. A failure is left to
// the next write, which waits and reports it. wmu is held.
func (c *sockConn) writeFD(fd uintptr) {
	for c.nowN < len(c.nowBuf) {
		k, err := syscall.Write(int(fd), c.nowBuf[c.nowN:])
		if err == syscall.EINTR {
			continue
		}
		if err != nil || k <= 0 {
			return
		}
		c.nowN += k
	}
}
