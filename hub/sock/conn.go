// Package sock is the socket transport under the node's WebSocket sessions: a hijacked HTTP
// connection with small buffers (ResponseWriter), framing and gathered writes that copy no big
// payload (Conn), writes that do not wait on the sender's goroutine, parking idle connections in
// an epoll of the node's own (Poller) and a pool of goroutines for short tasks (Pool). It knows
// nothing of sessions, tournaments or the protocol's messages: a caller hands it Messages (an
// opcode and a payload) and gets woken (Waker) when a parked connection has something to read.
package sock

import (
	"math"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Framing. The writer frames a socket's messages itself: a frame is a short header and the
// payload. Headers and small payloads are copied into frame buffers; a bigger payload (a
// snapshot, a big event) is written from the message itself, which every socket sending it
// shares (the node encodes each once), with a gathering write (writev). So a thousand
// sockets sending one snapshot hold one copy of it, not a thousand, even while they do not read.
const (
	// copyMax is the largest payload copied into a frame buffer.
	copyMax = 512
	// frameCopies is how many bytes the writer copies (headers and small payloads) before it
	// writes them: the most a socket whose client does not read holds of its own in out.
	frameCopies = 16 << 10
	// frameWindow is how many bytes the writer frames before it writes them, shared payloads
	// included: the most a socket closing as slow still sends ahead of its close frame.
	frameWindow = 256 << 10
	// frameBufSize is the size of a frame buffer.
	frameBufSize = 4 << 10
)

// framePool holds frame buffers; an idle socket holds none.
var framePool = sync.Pool{New: func() any {
	b := make([]byte, 0, frameBufSize)
	return &b
}}

// Conn is the TCP connection under one WebSocket: the net.Conn that the websocket package reads
// and writes. On top of the connection it
//   - reads first the bytes the client sent right behind the handshake, which net/http had
//     already read (pending);
//   - gives every write to the connection a deadline of writeTimeout, and none past the
//     deadline of a closing socket (SetCloseBy);
//   - frames the caller's messages itself (Frame) into out, the bytes to be written in order,
//     which a batch writes in one gathering write system call (WriteOut). The websocket
//     package's write path (its locks, a copy through its buffer, a deep stack) is not needed
//     for a server frame;
//   - writes without waiting, when it can (WriteNow): whatever the socket's send buffer does not
//     take stays in out and goes out first with the next write, which waits.
//
// The websocket package still writes the control frames it answers with itself (a close frame,
// a pong while it reads), each in one Write call, which goes behind what out holds; a close
// frame ends the caller's frames, as nothing may follow it.
type Conn struct {
	net.Conn
	writeTimeout time.Duration   // static after construction
	raw          syscall.RawConn // static after construction; nil: every write waits
	turn         [][]byte        // guarded by wmu; the segments of one bulk turn (turnOf)
	gate         *BulkGate       // static after construction; nil: bulk writes are not paced
	closing      chan struct{}   // static after construction; closed by the SetCloseBy that set closeByNs
	closeByNs    atomic.Int64    // the close deadline (Unix ns; 0: not closing): no write waits past it
	pending      []byte          // only the socket's reader reads

	wmu      sync.Mutex
	out      net.Buffers // guarded by wmu; framed bytes not yet written, in order
	bufs     []*[]byte   // guarded by wmu; the frame buffers out's copied bytes are in, the last one being filled
	mark     int         // guarded by wmu; where in the last of bufs the bytes not yet cut into out start
	noFrames bool        // guarded by wmu; a close frame was framed: the caller's frames are dropped
	// outArr and bufArr back out and bufs while they are short (most writes are one segment in
	// one buffer), so that a write allocates nothing. Guarded by wmu.
	outArr [4][]byte
	bufArr [2]*[]byte

	// The write without waiting (nowait_unix.go), made once so that a write allocates nothing.
	nowFn func(fd uintptr) // static after construction; run with wmu held

	// fd is the connection's descriptor, for the batched writes (Writes), which hand it to the
	// kernel outside RawConn.Control: they hold fdMu for reading meanwhile, and Close takes it
	// for writing, so the descriptor is never closed (and reused) under them.
	fd       int          // static after construction; -1: none
	fdMu     sync.RWMutex // held for reading by a batched write using fd
	fdClosed bool         // guarded by fdMu; Close was called
}

// WebSocket opcodes of the frames a caller writes (RFC 6455, 5.2).
const (
	OpText = 0x1
	OpPing = 0x9
	OpPong = 0xa
	// MaxControl is the largest payload of a control frame (a ping or a pong).
	MaxControl = 125
)

// closeFrameStart is the first byte of a close frame (final, opcode 8).
const closeFrameStart = 0x80 | 0x8

// NewConn wraps c, giving every write writeTimeout. Its bulk writes take their turns at gate
// (nil: they are not paced).
func NewConn(c net.Conn, writeTimeout time.Duration, gate *BulkGate) *Conn {
	sc := &Conn{Conn: c, writeTimeout: writeTimeout, gate: gate, closing: make(chan struct{}), fd: -1}
	sc.out, sc.bufs = sc.outArr[:0], sc.bufArr[:0]
	if c, ok := c.(syscall.Conn); ok {
		sc.raw, _ = c.SyscallConn()
	}
	if sc.raw != nil {
		sc.nowFn = sc.writeFD
		sc.raw.Control(func(fd uintptr) { sc.fd = int(fd) })
	}
	return sc
}

// Close closes the connection, once no batched write (Writes) is using its descriptor.
func (c *Conn) Close() error {
	c.fdMu.Lock()
	c.fdClosed = true
	c.fdMu.Unlock()
	return c.Conn.Close()
}

// Raw is the connection's descriptor, for the Poller; nil when it has none (every write waits).
func (c *Conn) Raw() syscall.RawConn { return c.raw }

// Pending is how many bytes the client sent behind the handshake that are still to be read.
func (c *Conn) Pending() int { return len(c.pending) }

func (c *Conn) Read(p []byte) (int, error) {
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

// Write is the websocket package's: only control frames, one per call (the caller frames its
// messages itself). The frame goes behind what out holds, and out is written, waiting.
func (c *Conn) Write(p []byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if len(p) > 0 && p[0] == closeFrameStart {
		c.noFrames = true
	}
	c.copyLocked(p)
	c.cutLocked()
	if err := c.writeOutLocked(); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Message is what Conn frames: a final frame of opcode op (OpText, OpPing, OpPong) and its
// payload. A payload may be shared by every connection that sends it: nobody changes it once it
// is handed over, and Conn never copies a big one.
type Message interface {
	Frame() (op byte, payload []byte)
}

// Frame frames the messages of batch into c's pending bytes, up to frameCopies bytes copied or
// frameWindow bytes framed (at least one message), and returns those it did not frame; WriteOut
// writes them. Only the connection's writer calls it. Once a close frame went out (or waits to),
// every message is dropped: nothing may follow it (RFC 6455, 5.5.1).
func Frame[M Message](c *Conn, batch []M) []M {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.noFrames {
		return nil
	}
	return frameLocked(c, batch, frameCopies, frameWindow)
}

// frameLocked frames the messages of batch into out until copies bytes were copied or window
// bytes framed, and returns those it did not frame. c.wmu is held.
func frameLocked[M Message](c *Conn, batch []M, copies, window int) []M {
	copied, framed := 0, 0
	for i, m := range batch {
		if copied >= copies || framed >= window {
			c.cutLocked()
			return batch[i:]
		}
		op, data := m.Frame()
		var h [10]byte
		hdr := appendFrameHeader(h[:0], op, len(data))
		c.copyLocked(hdr)
		copied += len(hdr)
		if len(data) <= copyMax {
			c.copyLocked(data)
			copied += len(data)
		} else {
			c.cutLocked()
			c.out = append(c.out, data)
		}
		framed += len(hdr) + len(data)
	}
	c.cutLocked()
	return nil
}

// copyLocked copies p into the frame buffers, behind what out holds. wmu is held.
func (c *Conn) copyLocked(p []byte) {
	for len(p) > 0 {
		last := len(c.bufs) - 1
		if last < 0 || len(*c.bufs[last]) == cap(*c.bufs[last]) {
			c.cutLocked()
			c.bufs = append(c.bufs, framePool.Get().(*[]byte))
			c.mark = 0
			last++
		}
		b := c.bufs[last]
		n := min(len(p), cap(*b)-len(*b))
		*b = append(*b, p[:n]...)
		p = p[n:]
	}
}

// cutLocked moves the bytes copied since the last cut into out. wmu is held. A frame buffer is
// only ever appended to, so the bytes already in out never move.
func (c *Conn) cutLocked() {
	if len(c.bufs) == 0 {
		return
	}
	b := *c.bufs[len(c.bufs)-1]
	if c.mark < len(b) {
		c.out = append(c.out, b[c.mark:len(b):len(b)])
		c.mark = len(b)
	}
}

// writeOutLocked writes out, waiting at most writeTimeout (and never past the close deadline).
// wmu is held. What the connection did not take stays in out.
func (c *Conn) writeOutLocked() error {
	if len(c.out) == 0 {
		return nil
	}
	deadline, err := c.setWriteDeadline(time.Now().Add(c.writeTimeout))
	if err != nil {
		return err
	}
	if c.raw != nil && c.gate != nil && outLen(c.out) >= bulkMin {
		var failed error
		if err = c.raw.Write(func(fd uintptr) bool { return c.writeBulk(fd, &failed, &deadline) }); err == nil {
			err = failed
		}
	} else {
		_, err = c.out.WriteTo(c.Conn)
	}
	c.doneLocked()
	return err
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

// outLen is how many bytes v holds.
func outLen(v net.Buffers) int {
	n := 0
	for _, b := range v {
		n += len(b)
	}
	return n
}

// WriteOut writes the framed bytes not yet written, waiting at most the write timeout (and never
// past the close deadline, SetCloseBy). Only the connection's writer calls it.
func (c *Conn) WriteOut() error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.writeOutLocked()
}

// doneLocked lets the frame buffers go once out is empty: an idle socket holds none. wmu is held.
func (c *Conn) doneLocked() {
	if len(c.out) > 0 {
		return
	}
	clear(c.outArr[:])
	c.out = c.outArr[:0]
	for _, b := range c.bufs {
		*b = (*b)[:0]
		framePool.Put(b)
	}
	clear(c.bufArr[:])
	c.bufs, c.mark = c.bufArr[:0], 0
}

// WriteNow frames the messages of batch and writes them with write system calls that do not
// wait, on the caller's goroutine: the connection's send buffer takes them, or what it does not
// take stays pending for the next write (WriteOut), which waits and reports a failure. It reports
// false when something is left. The caller is the connection's writer and keeps batches small, so
// that all of batch is framed.
func WriteNow[M Message](c *Conn, batch []M) bool {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.noFrames {
		return true // a close frame went out: nothing may follow it
	}
	wasEmpty := len(c.out) == 0
	frameLocked(c, batch, math.MaxInt, math.MaxInt)
	if c.raw == nil || !wasEmpty {
		// Nothing is tried behind a write that waits: the next one writes it all.
		return false
	}
	c.raw.Control(c.nowFn) // fails only for a closed connection, before nowFn: nothing written
	c.doneLocked()
	return len(c.out) == 0
}

// SetCloseBy bounds every write from now on, and the one that may be waiting now, by t: the
// socket is closing, and a client that takes nothing until then gets nothing more. A bulk write
// waits for its turn at the gate until t at most. It does not wait for a write in progress (the
// connection's deadline is safe to set meanwhile).
func (c *Conn) SetCloseBy(t time.Time) {
	if c.closeByNs.Swap(t.UnixNano()) == 0 {
		close(c.closing)
	}
	c.Conn.SetWriteDeadline(t)
}

// closeByTime is the close deadline of a connection that is closing (see SetCloseBy).
func (c *Conn) closeByTime() time.Time { return time.Unix(0, c.closeByNs.Load()) }

// extendDeadline moves the write deadline of the write in progress, *deadline, by d (the time it
// waited for its turns at the bulk gate, which is not its client's doing), never past the close
// deadline.
func (c *Conn) extendDeadline(deadline *time.Time, d time.Duration) {
	*deadline, _ = c.setWriteDeadline(deadline.Add(d))
}

// setWriteDeadline sets the connection's write deadline to t, or to the close deadline if that is
// sooner, and returns the one set. SetCloseBy may run meanwhile: whichever of the two sets the
// connection's deadline last, the close deadline bounds it.
func (c *Conn) setWriteDeadline(t time.Time) (time.Time, error) {
	bound := func(t time.Time) time.Time {
		if ns := c.closeByNs.Load(); ns != 0 && ns < t.UnixNano() {
			return time.Unix(0, ns)
		}
		return t
	}
	t = bound(t)
	err := c.Conn.SetWriteDeadline(t)
	if b := bound(t); err == nil && !b.Equal(t) { // closing began meanwhile
		t = b
		err = c.Conn.SetWriteDeadline(t)
	}
	return t, err
}

// CloseFramed reports whether a close frame was written (or waits to be).
func (c *Conn) CloseFramed() bool {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.noFrames
}

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
