package sock

import (
	"errors"
	"math"
	"sync"
	"sync/atomic"
	"syscall"
)

// Batched writes. A fan-out writes one small frame to each of thousands of sockets, and each
// write without waiting (WriteNow) is a system call: on the machines this was measured on, the
// call's own cost (entry, exit, the hypervisor's share) is as much as the kernel's copy and
// delivery. Writes gathers the writes without waiting of many connections and hands them to the
// kernel in one io_uring_enter per ringEntries connections (Linux, where io_uring is allowed),
// with the same outcome for each connection as WriteNow's: what the send buffer takes is written
// now, the rest stays pending for the connection's waiting writer.

// ringEntries is the most connections one io_uring_enter writes.
const ringEntries = 256

// errRingBroken says that a ring's submit went through but its completions could not be read:
// what each connection of it was sent is unknown, so they are closed.
var errRingBroken = errors.New("io_uring ring broken")

// Written is told how a connection's write without waiting went, once Writes did it: complete
// reports that the connection took everything framed (WriteNow's result).
type Written interface {
	NowWritten(complete bool)
}

// Rings lends io_uring rings to the goroutines that write to many connections at once: at most
// max rings exist, each lent to one Writes at a time. A Writes that finds none free writes one
// system call per connection, as WriteNow. Safe for concurrent use.
type Rings struct {
	max int // static after construction

	writes atomic.Int64 // connections written through a ring
	calls  atomic.Int64 // io_uring_enter calls that wrote them

	mu     sync.Mutex
	free   []*ring // guarded by mu
	made   int     // guarded by mu; rings that exist, free or lent
	closed bool    // guarded by mu
}

// NewRings returns the node's rings, at most max of them (made when first needed), or an error
// where io_uring cannot be used (not Linux, an old kernel, a seccomp profile or sysctl that
// forbids it): the caller then writes without them (a nil *Rings).
func NewRings(max int) (*Rings, error) {
	r, err := newRing(ringEntries)
	if err != nil {
		return nil, err
	}
	return &Rings{max: max, free: []*ring{r}, made: 1}, nil
}

// Counts reports how many connection writes went through the rings so far, and in how many
// system calls; zeros for a nil Rings.
func (rs *Rings) Counts() (writes, calls int64) {
	if rs == nil {
		return 0, 0
	}
	return rs.writes.Load(), rs.calls.Load()
}

// get lends a free ring, or a new one while fewer than max exist; nil if none.
func (rs *Rings) get() *ring {
	if rs == nil {
		return nil
	}
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if rs.closed {
		return nil
	}
	if n := len(rs.free); n > 0 {
		r := rs.free[n-1]
		rs.free = rs.free[:n-1]
		return r
	}
	if rs.made >= rs.max {
		return nil
	}
	r, err := newRing(ringEntries)
	if err != nil {
		return nil
	}
	rs.made++
	return r
}

// put takes back a lent ring (broken: it is closed instead).
func (rs *Rings) put(r *ring, broken bool) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if broken || rs.closed {
		rs.made--
		r.close()
		return
	}
	rs.free = append(rs.free, r)
}

// Close closes the free rings; rings lent out are closed when they come back.
func (rs *Rings) Close() {
	if rs == nil {
		return
	}
	rs.mu.Lock()
	defer rs.mu.Unlock()
	rs.closed = true
	for _, r := range rs.free {
		r.close()
	}
	rs.made -= len(rs.free)
	rs.free = nil
}

// Writes is one batch of writes without waiting to many connections (AddNow), done by Flush. Its
// zero value with Rings set is ready; a nil Rings makes every write WriteNow's, at once. Not safe
// for concurrent use; a connection may be in one batch at a time (its writer's).
type Writes struct {
	Rings *Rings

	ring   *ring // lent by Rings at the first write that needs it; given back by Flush
	noRing bool  // Rings had none to lend: every write is done at once, until Flush
}

// scratch is what a batch holds and its send needs. Each ring has its own, made once, so that a
// batch allocates nothing.
type scratch struct {
	conns    []batched
	fds      []int
	bufs     [][][]byte
	res      []int32
	complete []bool
}

func newScratch(n int) scratch {
	return scratch{conns: make([]batched, 0, n), fds: make([]int, 0, n), bufs: make([][][]byte, 0, n),
		res: make([]int32, 0, n), complete: make([]bool, 0, n)}
}

// batched is one connection of a batch: its wmu and fdMu (for reading) are held until the batch
// is sent.
type batched struct {
	c    *Conn
	done Written
}

// AddNow frames the messages of batch into c's pending bytes, as WriteNow does, and tells done
// how writing them without waiting went: at once where they cannot be written now (something is
// pending before them, or a close frame went out) or when the batch has no ring, else once the
// batch is sent (when it is full, or by Flush).
func AddNow[M Message](w *Writes, c *Conn, batch []M, done Written) {
	c.wmu.Lock()
	if c.noFrames {
		c.wmu.Unlock()
		done.NowWritten(true) // a close frame went out: nothing may follow it
		return
	}
	wasEmpty := len(c.out) == 0
	frameLocked(c, batch, math.MaxInt, math.MaxInt)
	if c.raw == nil || !wasEmpty {
		c.wmu.Unlock()
		done.NowWritten(false) // nothing is tried behind a write that waits
		return
	}
	if w.ring == nil && !w.noRing {
		w.ring = w.Rings.get()
		w.noRing = w.ring == nil
	}
	if w.ring == nil || c.fd < 0 {
		c.raw.Control(c.nowFn)
		c.doneLocked()
		complete := len(c.out) == 0
		c.wmu.Unlock()
		done.NowWritten(complete)
		return
	}
	c.fdMu.RLock()
	if c.fdClosed {
		c.fdMu.RUnlock()
		c.wmu.Unlock()
		done.NowWritten(false) // the waiting writer finds it closed
		return
	}
	b := &w.ring.scratch
	b.conns = append(b.conns, batched{c: c, done: done})
	if len(b.conns) == int(w.ring.entries) {
		w.send()
	}
}

// Flush sends what the batch holds and gives its ring back. The batch can be used again.
func (w *Writes) Flush() {
	if w.ring != nil && len(w.ring.scratch.conns) > 0 {
		w.send()
	}
	if w.ring != nil {
		w.Rings.put(w.ring, false)
		w.ring = nil
	}
	w.noRing = false
}

// send writes the batch's connections in one io_uring_enter, then lets their locks go and tells
// each how it went.
func (w *Writes) send() {
	s := &w.ring.scratch
	s.fds, s.bufs, s.res, s.complete = s.fds[:0], s.bufs[:0], s.res[:0], s.complete[:0]
	for _, b := range s.conns {
		s.fds = append(s.fds, b.c.fd)
		s.bufs = append(s.bufs, b.c.out)
		s.res = append(s.res, 0)
	}
	err := w.ring.send(s.fds, s.bufs, s.res)
	broken := errors.Is(err, errRingBroken)
	if err == nil {
		w.Rings.writes.Add(int64(len(s.fds)))
		w.Rings.calls.Add(1)
	}
	for i, b := range s.conns {
		c := b.c
		switch {
		case broken:
			// What went out is unknown: the connection cannot go on.
			c.Conn.Close()
		case err != nil:
			// Nothing was sent: write as WriteNow does.
			c.raw.Control(c.nowFn)
		case s.res[i] > 0:
			consume(&c.out, int(s.res[i]))
			if len(c.out) > 0 {
				// The send buffer took part: try the rest as WriteNow would (it stops at EAGAIN).
				c.raw.Control(c.nowFn)
			}
		case s.res[i] == -int32(syscall.EINTR):
			c.raw.Control(c.nowFn)
		}
		// Other failures (EAGAIN: the send buffer is full; a broken connection) are left to the
		// waiting writer, which waits for room or reports the failure.
		c.doneLocked()
		s.complete = append(s.complete, len(c.out) == 0)
		c.fdMu.RUnlock()
		c.wmu.Unlock()
	}
	for i, b := range s.conns {
		b.done.NowWritten(s.complete[i])
		s.conns[i] = batched{}
	}
	clear(s.bufs)
	s.conns = s.conns[:0]
	if broken {
		w.Rings.put(w.ring, true)
		w.ring = nil
	}
}
