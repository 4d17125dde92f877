package ws

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"time"

	"github.com/tourhub/tourhub/hub/fanout"
	"github.com/tourhub/tourhub/hub/sock"
)

// Writing: a socket's queue (bounded in messages and bytes), its writer (on the sender's goroutine
// when it can write without waiting, else on the node's pool), and its pings.

// idleQueueCap is the largest queue buffer a socket keeps once everything is written; a larger
// one (after a burst) is let go.
const idleQueueCap = 16

// queueChunk is the most messages one chunk of a socket's queue holds. A queue grows a chunk at
// a time (pushLocked): queueing never copies more than a chunk, and a thousand sockets whose
// queues grow on the same entry (subscribed together, never reading) allocate a chunk each
// rather than each copy its whole queue into one twice its size, on the deliverer's goroutine.
const queueChunk = idleQueueCap

// nowMax is the most bytes writeNow writes on the caller's goroutine; a bigger batch (a burst,
// a big snapshot) is written by a flush on the pool.
const nowMax = 16 << 10

// closeSlow closes a socket that does not take what it is sent (its send queue is full, or a
// write did not finish within WriteTimeout) with 4001. It never blocks, so fan-out can call it.
func (s *session) closeSlow(reason string) {
	if s.ctx.Err() != nil {
		return
	}
	s.ws.metrics.slow.Inc()
	s.closeWith(closeSlow, reason)
	if s.ws.onSlow != nil {
		s.ws.onSlow()
	}
}

// send queues m; a full queue closes the socket as slow. It never blocks: when no writer runs,
// the caller writes m itself, without waiting (writeNow).
func (s *session) send(m outMsg) {
	switch ok, claimed := s.enqueue(m); {
	case !ok:
		s.closeSlow("send queue overflowed")
	case claimed:
		s.writeNow()
	}
}

// trySend queues m if there is room and drops it otherwise (for answers to dropped messages).
func (s *session) trySend(m outMsg) {
	if _, claimed := s.enqueue(m); claimed {
		s.writeNow()
	}
}

// enqueue queues m. It reports false when the queue is full: QueueLen messages, or QueueBytes
// bytes (a message always fits an empty queue, so that a socket can be sent a snapshot bigger
// than QueueBytes); a closing session drops m and reports true. claimed says that no writer ran:
// the caller is now the writer, and must run writeNow (or flush, on the pool).
func (s *session) enqueue(m outMsg) (ok, claimed bool) {
	s.qmu.Lock()
	defer s.qmu.Unlock()
	if s.stopped {
		return true, false
	}
	held := s.queued + s.flying
	if s.count+s.inflight >= s.ws.cfg.QueueLen || (held > 0 && held+len(m.data) > s.ws.cfg.QueueBytes) {
		return false, false
	}
	s.pushLocked(m)
	if s.writing {
		return true, false
	}
	s.writing = true
	s.workers.Add(1)
	return true, true
}

// pushLocked appends m to the queue: to its first chunk (queue, which grows as a slice does up
// to queueChunk messages, the batch a writer takes next), or to the chunks after it (more). s.qmu
// is held.
func (s *session) pushLocked(m outMsg) {
	switch n := len(s.more); {
	case n == 0 && len(s.queue) < queueChunk:
		s.queue = append(s.queue, m)
	case n == 0 || len(s.more[n-1]) == queueChunk:
		c := make([]outMsg, 1, queueChunk)
		c[0] = m
		s.more = append(s.more, c)
	default:
		s.more[n-1] = append(s.more[n-1], m)
	}
	s.count++
	s.queued += len(m.data)
}

// dropQueueLocked empties the queue. s.qmu is held.
func (s *session) dropQueueLocked() {
	s.queue, s.more, s.count, s.queued = nil, nil, 0, 0
}

// writeNow is a writer's turn on the goroutine that queued a message (see enqueue): most
// messages (a fan-out's event, an answer) find the socket idle, and one write system call that
// does not wait is cheaper than handing them to a goroutine. Whatever that write leaves (the
// socket's send buffer is full, a write failed, more was queued meanwhile, the batch is big) is
// left to a flush on the pool, which waits for the socket within the write deadline.
func (s *session) writeNow() { s.writeNowIn(nil) }

// writeNowIn is writeNow with the write without waiting added to w (nil: done at once), which
// writes many sockets together and then calls NowWritten.
func (s *session) writeNowIn(w *sock.Writes) {
	if s.rc == nil {
		s.ws.pool.Run(s.flush)
		return
	}
	s.qmu.Lock()
	if s.queued > nowMax {
		s.qmu.Unlock()
		s.ws.pool.Run(s.flush)
		return
	}
	batch, ok := s.takeLocked(nil)
	s.qmu.Unlock()
	if !ok {
		s.workers.Done()
		return
	}
	s.nowBatch = batch
	if w == nil {
		s.NowWritten(sock.WriteNow(s.sc, batch))
		return
	}
	sock.AddNow(w, s.sc, batch, s)
}

// NowWritten implements sock.Written: the end of writeNow, once the batch it took was written
// without waiting (complete: all of it).
func (s *session) NowWritten(complete bool) {
	batch := s.nowBatch
	s.nowBatch = nil
	s.written(batch)
	s.qmu.Lock()
	s.putBackLocked(batch)
	s.inflight, s.flying = 0, 0
	end := complete && s.count == 0
	if end {
		s.writing = false
	}
	s.qmu.Unlock()
	if end {
		s.workers.Done()
		return
	}
	s.ws.pool.Run(s.flush)
}

// FlushGroup implements fanout.GroupFlusher: the writers the caller claimed, as many Flushes,
// their writes without waiting sent to the kernel together (sock.Writes).
func (s *session) FlushGroup(group []fanout.Subscriber) {
	w := sock.Writes{Rings: s.ws.rings}
	for _, sub := range group {
		if o, ok := sub.(*session); ok {
			o.writeNowIn(&w)
		} else {
			sub.Flush()
		}
	}
	w.Flush()
}

// takeLocked gives the writer the queued messages as its batch (reusing the previous batch's
// buffer, done), or reports that nothing waits: the writer ends. s.qmu is held.
func (s *session) takeLocked(done []outMsg) ([]outMsg, bool) {
	s.putBackLocked(done)
	s.inflight, s.flying = 0, 0
	if s.count == 0 {
		s.writing = false
		if cap(s.queue) > idleQueueCap {
			s.queue = nil
		}
		return nil, false
	}
	batch := s.queue
	if len(s.more) > 0 {
		s.queue = s.more[0]
		s.more[0] = nil
		if s.more = s.more[1:]; len(s.more) == 0 {
			s.more = nil
		}
	} else {
		s.queue, s.spare = s.spare, nil
	}
	bytes := 0
	for _, m := range batch {
		bytes += len(m.data)
	}
	s.count -= len(batch)
	s.inflight, s.flying, s.queued = len(batch), bytes, s.queued-bytes
	return batch, true
}

// putBackLocked keeps a written batch's buffer for the next queue. s.qmu is held.
func (s *session) putBackLocked(batch []outMsg) {
	if batch == nil || cap(batch) > idleQueueCap {
		return
	}
	clear(batch)
	s.spare = batch[:0]
}

// flush writes what a writer without waiting left, then the queued messages in order, a batch at
// a time (whatever is queued when it looks), until the queue is empty, then ends. It runs as a
// task of the node's pool. The writer of the moment (flush or writeNow, see enqueue) is the only
// writer of the session's frames (messages, its pings, pongs to pings it read); the websocket
// package writes its own control frames (the close frame, pongs while it reads) through
// sockConn.Write, one whole frame at a time.
func (s *session) flush() {
	defer s.workers.Done()
	err := s.sc.WriteOut()
	var batch []outMsg
	for err == nil {
		s.qmu.Lock()
		var ok bool
		batch, ok = s.takeLocked(batch)
		s.qmu.Unlock()
		if !ok {
			return
		}
		err = s.writeBatch(batch)
	}
	s.writeFailed(err, batch)
}

// writeFailed ends the writer after a failed write. A write that did not finish within
// WriteTimeout closes the socket as slow: what the writer framed stays, and the close frame goes
// behind it. Any other failure (the connection broke) closes the socket at once.
func (s *session) writeFailed(err error, batch []outMsg) {
	switch {
	case s.ctx.Err() != nil:
		// Closing already: closeBy passed, or the connection was closed.
	case errors.Is(err, os.ErrDeadlineExceeded):
		s.ws.cfg.Log.Debug("socket took nothing within the write timeout", "write_timeout", s.ws.cfg.WriteTimeout)
		s.closeSlow(fmt.Sprintf("nothing was read for %s", s.ws.cfg.WriteTimeout))
	default:
		s.ws.cfg.Log.Debug("socket write failed", "err", err)
		s.abort()
	}
	s.qmu.Lock()
	s.putBackLocked(batch)
	s.stopped = true // closing: nothing more is queued
	s.dropQueueLocked()
	s.writing, s.inflight, s.flying = false, 0, 0
	s.qmu.Unlock()
}

// writeBatch writes the messages of one batch, framed a window at a time (sockConn.frame), each
// window in one gathering write to the connection, waiting for the socket within the write
// deadline. A socket closing as slow frames nothing more (cut).
func (s *session) writeBatch(batch []outMsg) error {
	rest := batch
	for len(rest) > 0 && !s.cut.Load() {
		rest = sock.Frame(s.sc, rest)
		if err := s.sc.WriteOut(); err != nil {
			return fmt.Errorf("write %d messages: %w", len(batch), err)
		}
	}
	s.written(batch[:len(batch)-len(rest)])
	return nil
}

// written counts a batch's messages as written once the socket has them (or the rest of them
// waits for the socket's writer), and starts the pong wait of a ping in it.
func (s *session) written(batch []outMsg) {
	at := s.ws.cfg.Now()
	for _, m := range batch {
		switch {
		case m.op == sock.OpPing:
			s.pingWritten(at)
		case m.op != 0:
			// a pong frame, not a message
		default:
			s.ws.metrics.sent(m.kind)
			if !m.at.IsZero() {
				s.ws.metrics.fanoutLag.Observe(at.Sub(m.at).Seconds())
			}
		}
	}
}

// firstPing is a random duration in [every/2, every).
func firstPing(every time.Duration) time.Duration {
	return every/2 + rand.N(every/2+1)
}

// pingFired runs on the ping timer's goroutine, a new one every time: it hands pingOnce to the
// node's pool, whose goroutines have grown their stacks already. On the timer's own goroutine a
// ping's write grew a fresh stack, copying it, on every ping: 6-10% of an idle node's CPU. The
// session counts the handed-off ping as one of its workers from here, so closing waits for it.
func (s *session) pingFired() {
	s.qmu.Lock()
	if s.stopped {
		s.qmu.Unlock()
		return
	}
	s.workers.Add(1)
	s.qmu.Unlock()
	s.ws.pool.Run(s.pingOnce)
}

// pingOnce queues a ping when one is due, and closes the socket when the pong it waits for has
// not come within PongWait of the ping's write (pingWritten; until the ping is written, within
// PongWait plus WriteTimeout of queueing it). The pong is noted by gotPong. It runs on the pool
// for pingFired, which counted it as one of the session's workers.
func (s *session) pingOnce() {
	defer s.workers.Done()
	s.qmu.Lock()
	if s.stopped {
		s.qmu.Unlock()
		return
	}
	now := s.ws.cfg.Now()
	ping := false
	switch {
	case !s.pongBy.IsZero() && !now.Before(s.pongBy):
		s.qmu.Unlock()
		s.ws.cfg.Log.Debug("socket answered no ping", "pong_wait", s.ws.cfg.PongWait)
		s.abort()
		return
	case !s.pongBy.IsZero():
		s.armPing(s.pongBy.Sub(now))
	case now.Before(s.pingAt):
		s.armPing(s.pingAt.Sub(now)) // a pong came meanwhile and moved the ping
	default:
		ping = true
		wait := s.ws.cfg.PongWait + s.ws.cfg.WriteTimeout
		s.pongBy = now.Add(wait)
		s.armPing(wait)
	}
	s.qmu.Unlock()
	if ping {
		s.send(outMsg{kind: "ping frame", op: sock.OpPing}) // no payload: any pong answers it
	}
}

// pingWritten starts the pong wait from the ping's write: a ping may wait in the queue behind
// a burst of messages, which is no fault of the client's.
func (s *session) pingWritten(at time.Time) {
	s.qmu.Lock()
	defer s.qmu.Unlock()
	if s.pongBy.IsZero() || s.stopped {
		return // the pong came already
	}
	s.pongBy = at.Add(s.ws.cfg.PongWait)
	s.armPing(s.pongBy.Sub(s.ws.cfg.Now()))
}

// gotPong notes a pong (any pong answers the ping); the next ping is due PingEvery later.
func (s *session) gotPong() {
	s.qmu.Lock()
	defer s.qmu.Unlock()
	if s.pongBy.IsZero() || s.stopped {
		return
	}
	s.pongBy = time.Time{}
	s.pingAt = s.ws.cfg.Now().Add(s.ws.cfg.PingEvery)
	s.armPing(s.ws.cfg.PingEvery)
}

// armPing sets the ping timer to fire at the first tick of the node's ping grid at least d from
// now (qmu is held). The grid is what keeps an idle node idle: every socket's ping and pong
// deadline falls on a shared tick, so the node wakes once per tick for all the pings due then
// instead of once for each socket (3,333 sockets pinged every 20 s are 167 wake-ups a second
// otherwise, each of them a round of thread switches that costs far more than the ping).
// A ping or a pong deadline is late by less than one tick.
func (s *session) armPing(d time.Duration) {
	s.ping.Reset(s.ws.grid.after(time.Now(), d))
}

// pingGrid is the node's grid of ping ticks. Its tick is short, so that the pings due at one tick
// are a small burst, and its phase is the node's own, drawn at random, so that the nodes of a
// cluster (and the clients they share) do not take their bursts at the same instant. With a
// tick of a whole second, the same on every node, 10,300 sockets over three nodes got about 500
// pings at once every second, and with their pongs they held up the deliveries of that moment:
// at 100 results/s a result's cross-node p99 was 17.7 ms, against 2.8 ms with no pings at all,
// and 4.3 ms with this grid (bench/results/2026-12-06T0855Z-pinggrid).
type pingGrid struct {
	tick, phase time.Duration
}

// newPingGrid is the grid for pings every every: a tick of maxPingTick, or an eighth of the
// interval when that is shorter (tests ping every few hundred milliseconds), at a random phase.
func newPingGrid(every time.Duration) pingGrid {
	tick := max(min(maxPingTick, every/8), time.Millisecond)
	return pingGrid{tick: tick, phase: rand.N(tick)}
}

// maxPingTick is the longest tick of the ping grid: 2 wake-ups a second for an idle node, and
// at 3,333 sockets pinged every 20 s about 83 pings at a tick.
const maxPingTick = 500 * time.Millisecond

// after is the duration from now to the first tick of the grid at least d from now: in
// [d, d+tick). Ticks are counted from the Unix epoch plus the phase, so they are the same
// instants for every socket of the node.
func (g pingGrid) after(now time.Time, d time.Duration) time.Duration {
	at := now.UnixNano() + int64(d) - int64(g.phase)
	if r := at % int64(g.tick); r != 0 {
		if r < 0 {
			r += int64(g.tick)
		}
		d += g.tick - time.Duration(r)
	}
	return d
}
