//go:build linux || darwin || openbsd

package sock

import (
	"io"
	"net"
	"syscall"
	"time"

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

// bulkMin is the size from which a write is bulk (a snapshot, a burst): it takes its turn at the
// node's bulk gate.
const bulkMin = 32 << 10

// bulkTurn is the most bytes one turn at the bulk gate copies. One write system call of a
// whole snapshot into a socket with room for it copies hundreds of kilobytes, and on loopback
// delivers them too, in one go that nothing else on that CPU interrupts: a live delivery that
// waits for it waits for all of it. Turns of 64 KiB keep that wait to tens of microseconds
// (turns of 16 KiB cost a third more CPU in a burst of subscribers to a big tournament).
const bulkTurn = 64 << 10

// turnOf returns the first bulkTurn bytes of out (at most maxIovecs segments), in iov's array.
func turnOf(out net.Buffers, iov *[][]byte) [][]byte {
	v := (*iov)[:0]
	n := 0
	for _, b := range out[:min(len(out), maxIovecs)] {
		if n+len(b) > bulkTurn {
			v = append(v, b[:bulkTurn-n])
			break
		}
		v = append(v, b)
		if n += len(b); n == bulkTurn {
			break
		}
	}
	*iov = v[:0]
	return v
}

// writeBulk writes out to fd a turn at a time at the node's bulk gate (BulkGate), one gathering
// write of at most bulkTurn bytes per turn, until all of it is written or the socket's send
// buffer is full (it reports false: the caller waits for the socket until *deadline and calls
// again). The time spent waiting for turns moves *deadline (the client is not slow for it). A
// failure other than a full buffer is kept in err and ends the write. wmu is held.
func (c *Conn) writeBulk(fd uintptr, err *error, deadline *time.Time) bool {
	var waited time.Duration
	defer func() {
		if waited > 0 {
			c.extendDeadline(deadline, waited)
		}
	}()
	for len(c.out) > 0 {
		var k int
		var e error
		w, late := c.gate.do(c, func() { k, e = unix.Writev(int(fd), turnOf(c.out, &c.turn)) })
		waited += w
		if late != nil {
			*err = late
			return true
		}
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
