package hub

import (
	"bufio"
	"bytes"
	"errors"
	"net"
	"net/http"
	"sync"
	"syscall"
	"time"
)

// Buffer sizes of an accepted connection. net/http hands a hijacked connection 4 KiB for
// reading and 4 KiB for writing, which every socket would hold for its life. Client messages are
// small (and limited by ReadLimit): a bigger one is read straight into the message by the
// websocket package. Messages to the client are framed and gathered by the socket's writer (see
// sockConn), so the write buffer only carries the control frames the websocket package writes.
const (
	connReadBuf  = 512
	connWriteBuf = 256
)

// gatherMax is how many gathered bytes make a gathering write go out at once, before the batch
// ends: a batch of big snapshots does not sit in memory whole.
const gatherMax = 64 << 10

// gatherPool holds the buffers of batches being written; an idle socket holds none.
var gatherPool = sync.Pool{New: func() any {
	b := make([]byte, 0, 4<<10)
	return &b
}}

// sockConn is the TCP connection under one socket: the net.Conn that the websocket package
// reads and writes. On top of the connection it
//   - reads first the bytes the client sent right behind the handshake, which net/http had
//     already read (pending);
//   - gives every write to the connection a deadline of writeTimeout;
//   - frames the session's messages itself (writeFrame) into the batch the socket's writer
//     gathers (gather ... release), so that a batch goes out in one write system call. A server
//     frame is a short header and the payload; the websocket package's write path (its locks, a
//     copy through its buffer, a deep stack) is not needed for it;
//   - writes a batch without waiting, when it can (writeNow): whatever the socket's send buffer
//     does not take stays behind (rest) and goes out first with the next write, which waits.
//
// The websocket package still writes the control frames it answers with itself (a close frame,
// a pong while it reads), each in one Write call between the session's frames; a close frame
// ends the session's frames, as nothing may follow it.
type sockConn struct {
	net.Conn
	writeTimeout time.Duration   // static after construction
	raw          syscall.RawConn // static after construction; nil: every write waits
	pending      []byte          // only the socket's reader reads

	wmu      sync.Mutex
	gathered *[]byte // guarded by wmu; non-nil while a batch is gathered
	noFrames bool    // guarded by wmu; a close frame was written: the session's frames are dropped
	rest     []byte  // guarded by wmu; what a write without waiting left, written before anything else
	restBuf  *[]byte // guarded by wmu; the gathered buffer rest is in

	// The write without waiting (nowait_unix.go): nowFn is made once, so that a write allocates
	// nothing; it writes nowBuf[nowN:] and advances nowN. Guarded by wmu.
	nowFn  func(fd uintptr)
	nowBuf []byte
	nowN   int
}

// closeFrameStart is the first byte of a close frame (final, opcode 8).
const closeFrameStart = 0x80 | 0x8

func newSockConn(c net.Conn, writeTimeout time.Duration) *sockConn {
	sc := &sockConn{Conn: c, writeTimeout: writeTimeout}
	if c, ok := c.(syscall.Conn); ok {
		sc.raw, _ = c.SyscallConn()
	}
	if sc.raw != nil {
		sc.nowFn = sc.writeFD
	}
	return sc
}

func (c *sockConn) Read(p []byte) (int, error) {
	if len(c.pending) > 0 {
		n := copy(p, c.pending)
		c.pending = c.pending[n:]
		if len(c.pending) == 0 {
			c.pending = nil
		}
		return n, nil
	}
	return c.Conn.Read(p)
}

// Write is the websocket package's: only control frames, one per call (the session frames its
// messages itself).
func (c *sockConn) Write(p []byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if len(p) > 0 && p[0] == closeFrameStart {
		c.noFrames = true
	}
	return c.putLocked(p)
}

// putLocked writes p, or gathers it while a batch is gathered.
func (c *sockConn) putLocked(p []byte) (int, error) {
	if c.gathered == nil {
		return c.writeLocked(p)
	}
	*c.gathered = append(*c.gathered, p...)
	if len(*c.gathered) >= gatherMax {
		if err := c.flushLocked(); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// writeLocked writes p, after the rest of an earlier write, and waits at most writeTimeout.
func (c *sockConn) writeLocked(p []byte) (int, error) {
	if err := c.Conn.SetWriteDeadline(time.Now().Add(c.writeTimeout)); err != nil {
		return 0, err
	}
	if err := c.restLocked(); err != nil {
		return 0, err
	}
	return c.Conn.Write(p)
}

// restLocked writes what a write without waiting left; the write deadline is set.
func (c *sockConn) restLocked() error {
	if c.restBuf == nil {
		return nil
	}
	_, err := c.Conn.Write(c.rest)
	c.putBuf(c.restBuf)
	c.rest, c.restBuf = nil, nil
	return err
}

// writeRest writes what a write without waiting left, waiting at most writeTimeout.
func (c *sockConn) writeRest() error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.restBuf == nil {
		return nil
	}
	if err := c.Conn.SetWriteDeadline(time.Now().Add(c.writeTimeout)); err != nil {
		return err
	}
	return c.restLocked()
}

func (c *sockConn) flushLocked() error {
	b := *c.gathered
	*c.gathered = b[:0]
	if len(b) == 0 {
		return nil
	}
	_, err := c.writeLocked(b)
	return err
}

// writeFrame frames payload as one final frame of opcode op (a text message, or a ping or pong
// of the session's own) into the batch being gathered. Only the socket's writer calls it, within
// gather and release; the websocket package's frames reach Write in one call each, so frames
// never interleave.
func (c *sockConn) writeFrame(op byte, payload []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.noFrames {
		return nil
	}
	if c.gathered == nil {
		return errNotGathering
	}
	*c.gathered = append(appendFrameHeader(*c.gathered, op, len(payload)), payload...)
	if len(*c.gathered) >= gatherMax {
		return c.flushLocked()
	}
	return nil
}

var errNotGathering = errors.New("a message written outside a batch")

// appendFrameHeader appends the header of a final, unmasked (server) frame of n bytes.
func appendFrameHeader(b []byte, op byte, n int) []byte {
	b = append(b, 0x80|op)
	switch {
	case n < 126:
		return append(b, byte(n))
	case n <= 0xffff:
		return append(b, 126, byte(n>>8), byte(n))
	default:
		return append(b, 127, byte(n>>56), byte(n>>48), byte(n>>40), byte(n>>32), byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
}

// gather starts gathering writes. Only the socket's writer calls it, and then release.
func (c *sockConn) gather() {
	c.wmu.Lock()
	c.gathered = gatherPool.Get().(*[]byte)
	c.wmu.Unlock()
}

// release writes what was gathered, in one write, and stops gathering.
func (c *sockConn) release() error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.gathered == nil {
		return nil
	}
	err := c.flushLocked()
	c.putBuf(c.gathered)
	c.gathered = nil
	return err
}

// writeNow frames the messages of batch and writes them in one write system call that does not
// wait, on the caller's goroutine: the socket's send buffer takes them, or what it does not take
// stays behind (rest) for writeRest, or the next write, which writes it first and reports a
// failure. It reports false when something is left. The caller is the socket's writer (see
// session.writeNow) and keeps batches small (nowMax).
func (c *sockConn) writeNow(batch []outMsg) bool {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.noFrames {
		return true // a close frame went out: nothing may follow it
	}
	bp := gatherPool.Get().(*[]byte)
	b := (*bp)[:0]
	for _, m := range batch {
		b = append(appendFrameHeader(b, m.opcode(), len(m.data)), m.data...)
	}
	*bp = b
	n := 0
	if c.raw != nil && c.restBuf == nil {
		c.nowBuf, c.nowN = b, 0
		c.raw.Control(c.nowFn) // fails only for a closed connection, before nowFn: nothing written
		n = c.nowN
		c.nowBuf = nil
	}
	if n == len(b) {
		c.putBuf(bp)
		return true
	}
	c.keepLocked(bp, n)
	return false
}

// keepLocked keeps what is left of the gathered buffer b after n bytes were written as rest.
func (c *sockConn) keepLocked(b *[]byte, n int) {
	if c.restBuf == nil {
		c.rest, c.restBuf = (*b)[n:], b
		return
	}
	// A rest waits already (only when nothing could be tried): b goes behind it, in a copy.
	c.rest = append(c.rest[:len(c.rest):len(c.rest)], (*b)[n:]...)
	c.putBuf(b)
}

func (c *sockConn) putBuf(b *[]byte) {
	if cap(*b) <= gatherMax {
		*b = (*b)[:0]
		gatherPool.Put(b)
	}
}

// hijacker finds the http.Hijacker of rw, through the Unwrap methods of wrapping writers (as
// http.ResponseController does).
func hijacker(rw http.ResponseWriter) (http.Hijacker, bool) {
	for {
		switch t := rw.(type) {
		case http.Hijacker:
			return t, true
		case interface{ Unwrap() http.ResponseWriter }:
			rw = t.Unwrap()
		default:
			return nil, false
		}
	}
}

// smallBuffers is the ResponseWriter given to websocket.Accept: its Hijack swaps net/http's
// buffers for small ones and the connection for a sockConn, which conn keeps.
type smallBuffers struct {
	http.ResponseWriter
	hj           http.Hijacker
	writeTimeout time.Duration
	conn         *sockConn     // set by Hijack
	br           *bufio.Reader // set by Hijack: the reader the websocket package reads conn through
}

func (w *smallBuffers) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, brw, err := w.hj.Hijack()
	if err != nil {
		return nil, nil, err
	}
	if brw.Writer.Buffered() > 0 {
		if err := brw.Writer.Flush(); err != nil {
			c.Close()
			return nil, nil, err
		}
	}
	sc := newSockConn(c, w.writeTimeout)
	if n := brw.Reader.Buffered(); n > 0 {
		// Bytes the client sent after the handshake, already read by net/http.
		b, _ := brw.Reader.Peek(n)
		sc.pending = bytes.Clone(b)
	}
	w.conn, w.br = sc, bufio.NewReaderSize(sc, connReadBuf)
	return sc, bufio.NewReadWriter(w.br, bufio.NewWriterSize(sc, connWriteBuf)), nil
}
