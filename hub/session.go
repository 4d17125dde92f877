package hub

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/coder/websocket"
	"golang.org/x/time/rate"

	"github.com/tourhub/tourhub/hub/command"
	"github.com/tourhub/tourhub/hub/sock"
	"github.com/tourhub/tourhub/hub/store"
	"github.com/tourhub/tourhub/match"
)

// maxRef is the longest ref a client may attach to a message.
const maxRef = 64

// maxSubscriptions is how many tournaments one socket may subscribe to at once (including
// subscriptions that failed and were not unsubscribed): it bounds what one client holds here.
const maxSubscriptions = 64

// outMsg is one message queued for a socket. data may be shared by every socket that receives
// the same event: nobody changes it after it is queued.
type outMsg struct {
	data []byte
	kind string    // the message type, for metrics
	at   time.Time // when the store delivered the entry (live events only), for the fan-out lag
	// op is 0 for a text message (data is its JSON), or sock.OpPing or sock.OpPong for a control frame of
	// the session's own (data is its payload).
	op byte
}

// Frame implements sock.Message: the frame's opcode and payload.
func (m outMsg) Frame() (op byte, payload []byte) {
	if m.op == 0 {
		return sock.OpText, m.data
	}
	return m.op, m.data
}

// session is one socket. Its goroutines: a reader reads and handles the client's messages while
// there is something to read, and parks the socket when there is not (park.go; where the node
// cannot park, it stays blocked in Read); a writer runs only while messages wait to be written:
// first on the goroutine that queued the message, with a write that does not wait (writeNow),
// then, if the socket did not take everything, on the node's pool (flush); readers after the
// first turn run on the pool too (pool.go); the ping and the idle check run from timers; closing
// runs on a goroutine of its own once the session is cancelled (see run).
// An idle parked socket holds no goroutine and no send buffer. Anyone may queue a message with
// send, which never blocks.
type session struct {
	ws   *WS             // static after construction
	conn *websocket.Conn // static after construction
	sc   *sock.Conn      // static after construction; the connection under conn
	br   *bufio.Reader   // static after construction; conn reads through it
	rc   syscall.RawConn // static after construction; sc's descriptor for the poller (nil: cannot park)

	addr   string             // static after construction; the client address the per-address cap counts
	ctx    context.Context    // done once the session is closing; static after construction
	cancel context.CancelFunc // static after construction
	done   chan struct{}      // closed by finish, once the session has left every topic
	closed chan struct{}      // closed once the connection was closed (see closing)

	qmu      sync.Mutex
	queue    []outMsg       // guarded by qmu; wait to be written
	spare    []outMsg       // guarded by qmu; the last batch's buffer, the next queue
	queued   int            // guarded by qmu; the bytes of queue's messages
	inflight int            // guarded by qmu; taken by the writer and not yet written (queue+inflight <= QueueLen)
	flying   int            // guarded by qmu; their bytes (queued+flying <= QueueBytes, see enqueue)
	writing  bool           // guarded by qmu; a writer runs (flush, or writeNow on a sender's goroutine)
	stopped  bool           // guarded by qmu; closing: nothing more is queued (the writer writes what is left)
	cut      atomic.Bool    // set once under qmu by closing a slow socket: the writer frames nothing more
	workers  sync.WaitGroup // the writer (flush, or writeNow), the ping and the idle check; Add only under qmu while !stopped
	ping     *time.Timer    // fires pingOnce; static after run starts
	pingAt   time.Time      // guarded by qmu; when the next ping is due
	pongBy   time.Time      // guarded by qmu; the deadline of the pong awaited (zero: none)
	idle     *time.Timer    // fires idleOnce; static after run starts

	// hmu is held by the reader while it handles a message, and by closing while it stops the
	// queue: the answer to a message read before the socket closes is queued before its close
	// frame (a report cut short by a drain answers unavailable).
	hmu sync.Mutex

	// brmu is held by the reader while it reads br itself (readControl) and by closing while the
	// websocket package's close handshake reads it: the websocket package locks its own reads,
	// but knows nothing of the parking reader's.
	brmu sync.Mutex

	pmu    sync.Mutex
	parkID uint64 // guarded by pmu; the poller's registration (0: none)
	parked bool   // guarded by pmu; no reader runs, the poller starts one
	ended  bool   // guarded by pmu; closing: never park again

	closeMu     sync.Mutex
	closeCode   websocket.StatusCode // guarded by closeMu; 0 until a close is decided
	closeReason string               // guarded by closeMu
	aborted     bool                 // guarded by closeMu; close without a handshake

	// Owned by the reader (one at a time: a reader parks before the next can start), then by
	// finish once reading has ended.
	claims     map[string]command.Claims // the verified tokens, by tournament
	subscribed map[string]struct{}       // the tournaments subscribed to
	limiter    *rate.Limiter
	bad        int // bad messages in a row
	dropped    int // rate-limited frames (messages, pings, pongs) in a row

	engaged atomic.Bool // set by the reader once the socket subscribed or authenticated (idleOnce reads it)
}

func newSession(w *WS, c *websocket.Conn, sc *sock.Conn, br *bufio.Reader, addr string) *session {
	ctx, cancel := context.WithCancel(context.Background())
	var rc syscall.RawConn
	if sc != nil {
		rc = sc.Raw()
	}
	return &session{
		ws:         w,
		addr:       addr,
		conn:       c,
		sc:         sc,
		br:         br,
		rc:         rc,
		ctx:        ctx,
		cancel:     cancel,
		done:       make(chan struct{}),
		closed:     make(chan struct{}),
		claims:     make(map[string]command.Claims),
		subscribed: make(map[string]struct{}),
		limiter:    rate.NewLimiter(rate.Limit(w.cfg.RatePerSec), w.cfg.Burst),
	}
}

// run starts serving the socket: the ping timer, the idle check, the close that follows
// cancelling, the token offered with the handshake, and the first reader turn. From then on:
//   - A reader turn reads and handles messages until the socket is idle, then parks it and ends;
//     the poller starts the next turn when the client sends again. A turn ends the session when a
//     read fails (the client closed, the connection broke or was closed by closing) or when it
//     decides to close the socket (protocol abuse, rate limit): it cancels the session.
//   - Cancelling the session (a reader ended, the queue overflowed, a write failed, a pong did not
//     come, the idle check, Drain, a resync failed) runs closing, which lets the writer finish
//     (closeBy bounds it), then closes the connection with the close code decided by whoever
//     cancelled; that ends a read still blocked.
//   - finish then waits for the writer and the timers, leaves every topic (so no fan-out reaches
//     the session afterwards) and closes done. It runs on the reader that ended, or, if the
//     socket was parked, on closing's goroutine.
func (s *session) run(token string) {
	// Armed after s.ping is set, so that pingOnce (which resets it) never sees it unset. The first
	// ping comes after a random half to whole interval: sockets that connected together (a
	// reconnect wave, a load test) would otherwise ping together, every interval, in one burst.
	s.ping = time.AfterFunc(time.Hour, s.pingOnce)
	first := firstPing(s.ws.cfg.PingEvery)
	s.qmu.Lock()
	s.pingAt = time.Now().Add(first)
	s.qmu.Unlock()
	s.ping.Reset(first)
	s.idle = time.AfterFunc(s.ws.cfg.IdleTimeout, s.idleOnce)
	context.AfterFunc(s.ctx, s.closing)
	if token != "" {
		s.authenticate("", token)
	}
	s.readTurn(false)
}

// readTurn is one reader goroutine's life: it reads until the socket parks or the session ends
// (then it finishes the session). woke says the poller started it: there is something to read.
func (s *session) readTurn(woke bool) {
	defer func() {
		// A bug that some message reaches ends this socket (1011), not the node with every other
		// socket and tournament on it.
		if r := recover(); r != nil {
			s.ws.cfg.Log.Error("socket handler panic; the socket is closed", "panic", r, "stack", string(debug.Stack()))
			s.closeWith(websocket.StatusInternalError, "internal error")
			s.finish()
		}
	}()
	err := s.readLoop(woke)
	if errors.Is(err, errParked) {
		return
	}
	if err != nil && !errors.Is(err, errClosed) {
		s.ws.cfg.Log.Debug("socket ended", "err", err)
	}
	s.finish()
}

// finish ends the session once reading has ended: see run.
func (s *session) finish() {
	s.cancel()
	<-s.closed
	s.workers.Wait()
	for id := range s.subscribed {
		s.ws.broker.leave(s, id)
	}
	s.ws.forget(s)
	close(s.done)
}

// closing runs once the session is cancelled, on a goroutine of its own: it stops the queue, the
// timers and parking, lets the writer finish, and closes the connection as decided by closeWith
// (normal closure if nobody decided: the client closed or the connection broke, and the close
// returns at once). A parked socket has no reader to finish it, so closing does.
//
// What the client is sent before the close frame: everything queued, unless the socket closes as
// slow (4001) or is aborted; then only the frames the writer has framed already (cut), so that a
// client that stops reading and reads again later gets the messages it was sent, then the close
// frame. The writer, the close frame and the close handshake are bounded by closeBy, WriteTimeout
// from now: a client that takes nothing until then gets nothing more, and its connection is
// closed. Nothing else waits for it (Drain waits at most drainPause per batch).
func (s *session) closing() {
	s.hmu.Lock()
	s.qmu.Lock()
	s.stopped = true
	s.closeMu.Lock()
	code, reason, aborted := s.closeCode, s.closeReason, s.aborted
	s.closeMu.Unlock()
	if aborted || code == closeSlow {
		s.cut.Store(true)
		s.queue, s.queued = nil, 0
	}
	s.qmu.Unlock()
	s.hmu.Unlock()
	s.ping.Stop()
	s.idle.Stop()
	wasParked := s.unpark()
	closeBy := time.Now().Add(s.ws.cfg.WriteTimeout)
	if s.sc != nil {
		s.sc.SetCloseBy(closeBy)
		s.sc.Conn.SetReadDeadline(closeBy) // the close handshake reads the client's close frame
	}
	s.workers.Wait()
	s.closeMu.Lock()
	aborted = s.aborted // a write failed meanwhile, or Drain ran out of time
	s.closeMu.Unlock()
	s.brmu.Lock() // the close handshake reads the client's close frame
	switch {
	case aborted:
		s.conn.CloseNow()
	case code == 0:
		s.conn.Close(websocket.StatusNormalClosure, "")
	default:
		s.conn.Close(code, reason)
	}
	s.brmu.Unlock()
	close(s.closed)
	if wasParked {
		s.finish()
	}
}

// closeWith decides how the socket closes and starts closing it; the first decision wins.
func (s *session) closeWith(code websocket.StatusCode, reason string) {
	s.closeMu.Lock()
	first := s.closeCode == 0 && !s.aborted
	if first {
		s.closeCode, s.closeReason = code, reason
	}
	s.closeMu.Unlock()
	if first {
		s.ws.metrics.closes.WithLabelValues(strconv.Itoa(int(code))).Inc()
	}
	s.cancel()
}

// abort closes the connection at once, without a close frame: whatever the session was doing
// with it (a write, a read, a close handshake) fails at once.
func (s *session) abort() {
	s.closeMu.Lock()
	s.aborted = true
	s.closeMu.Unlock()
	s.cancel()
	if s.sc != nil {
		s.sc.Conn.Close() // closing then closes the websocket connection (CloseNow)
		return
	}
	s.conn.CloseNow()
}

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

// sendAfter is send for a caller that holds a lock others need (fan-out holds its topic's): a
// writer it claims is added to w, and the caller runs w.write once the lock is released, so
// that no lock waits for thousands of write system calls.
func (s *session) sendAfter(m outMsg, w *writers) {
	switch ok, claimed := s.enqueue(m); {
	case !ok:
		s.closeSlow("send queue overflowed")
	case claimed:
		*w = append(*w, s)
	}
}

// writers are sessions whose writer was claimed (sendAfter) and has yet to run.
type writers []*session

// write runs the claimed writers on the caller's goroutine (writeNow).
func (w writers) write() {
	for _, s := range w {
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
	if len(s.queue)+s.inflight >= s.ws.cfg.QueueLen || (held > 0 && held+len(m.data) > s.ws.cfg.QueueBytes) {
		return false, false
	}
	s.queue = append(s.queue, m)
	s.queued += len(m.data)
	if s.writing {
		return true, false
	}
	s.writing = true
	s.workers.Add(1)
	return true, true
}

// idleQueueCap is the largest queue buffer a socket keeps once everything is written; a larger
// one (after a burst) is let go.
const idleQueueCap = 16

// nowMax is the most bytes writeNow writes on the caller's goroutine; a bigger batch (a burst,
// a big snapshot) is written by a flush on the pool.
const nowMax = 16 << 10

// writeNow is a writer's turn on the goroutine that queued a message (see enqueue): most
// messages (a fan-out's event, an answer) find the socket idle, and one write system call that
// does not wait is cheaper than handing them to a goroutine. Whatever that write leaves (the
// socket's send buffer is full, a write failed, more was queued meanwhile, the batch is big) is
// left to a flush on the pool, which waits for the socket within the write deadline.
func (s *session) writeNow() {
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
	complete := sock.WriteNow(s.sc, batch)
	s.written(batch)
	s.qmu.Lock()
	s.putBackLocked(batch)
	s.inflight, s.flying = 0, 0
	end := complete && len(s.queue) == 0
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

// takeLocked gives the writer the queued messages as its batch (reusing the previous batch's
// buffer, done), or reports that nothing waits: the writer ends. s.qmu is held.
func (s *session) takeLocked(done []outMsg) ([]outMsg, bool) {
	s.putBackLocked(done)
	s.inflight, s.flying = 0, 0
	if len(s.queue) == 0 {
		s.writing = false
		if cap(s.queue) > idleQueueCap {
			s.queue = nil
		}
		return nil, false
	}
	batch := s.queue
	s.queue, s.spare = s.spare, nil
	s.inflight, s.flying, s.queued = len(batch), s.queued, 0
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
	s.queue, s.queued = nil, 0
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
	at := time.Now()
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

// pingOnce runs from the ping timer: it queues a ping when one is due, and closes the socket when
// the pong it waits for has not come within PongWait of the ping's write (pingWritten; until the
// ping is written, within PongWait plus WriteTimeout of queueing it). The pong is noted by
// gotPong. It runs on the timer's goroutine, which the session counts as one of its workers.
func (s *session) pingOnce() {
	s.qmu.Lock()
	if s.stopped {
		s.qmu.Unlock()
		return
	}
	s.workers.Add(1)
	defer s.workers.Done()
	now := time.Now()
	ping := false
	switch {
	case !s.pongBy.IsZero() && !now.Before(s.pongBy):
		s.qmu.Unlock()
		s.ws.cfg.Log.Debug("socket answered no ping", "pong_wait", s.ws.cfg.PongWait)
		s.abort()
		return
	case !s.pongBy.IsZero():
		s.ping.Reset(s.pongBy.Sub(now))
	case now.Before(s.pingAt):
		s.ping.Reset(s.pingAt.Sub(now)) // a pong came meanwhile and moved the ping
	default:
		ping = true
		wait := s.ws.cfg.PongWait + s.ws.cfg.WriteTimeout
		s.pongBy = now.Add(wait)
		s.ping.Reset(wait)
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
	s.ping.Reset(time.Until(s.pongBy))
}

// gotPong notes a pong (any pong answers the ping); the next ping is due PingEvery later.
func (s *session) gotPong() {
	s.qmu.Lock()
	defer s.qmu.Unlock()
	if s.pongBy.IsZero() || s.stopped {
		return
	}
	s.pongBy = time.Time{}
	s.pingAt = time.Now().Add(s.ws.cfg.PingEvery)
	s.ping.Reset(s.ws.cfg.PingEvery)
}

// idleOnce runs from the idle timer, IdleTimeout after the socket opened: a socket that has
// neither subscribed nor authenticated by then holds a connection for nothing, and is closed with
// 4004 (the client connects again when it has a tournament to watch). It runs on the timer's
// goroutine, which the session counts as one of its workers.
func (s *session) idleOnce() {
	s.qmu.Lock()
	if s.stopped {
		s.qmu.Unlock()
		return
	}
	s.workers.Add(1)
	s.qmu.Unlock()
	defer s.workers.Done()
	if !s.engaged.Load() {
		s.closeWith(closeIdle, fmt.Sprintf("nothing subscribed within %s; connect again to watch a tournament", s.ws.cfg.IdleTimeout))
	}
}

// allowFrame counts one frame the client sent (a message, a ping or a pong) against the socket's
// rate limit, and reports whether to handle it. Past MaxDropped dropped frames in a row the
// socket is closed with 4008. Only the reader calls it (see controlAllowed).
func (s *session) allowFrame() bool {
	if s.limiter.Allow() {
		s.dropped = 0
		return true
	}
	s.dropped++
	s.ws.metrics.in.WithLabelValues("rate_limited").Inc()
	if s.dropped > s.ws.cfg.MaxDropped {
		s.closeWith(closeRateLimited, "rate limited for too long")
	}
	return false
}

// controlAllowed is allowFrame for a ping or pong that the websocket package reads itself: inside
// Read, on the reader, or in the close handshake, on closing's goroutine, when the session is
// cancelled already and nothing is answered any more.
func (s *session) controlAllowed() bool {
	if s.ctx.Err() != nil {
		return false
	}
	return s.allowFrame()
}

// readLoop reads and handles the client's messages in order, until the socket is idle and
// parks (errParked) or reading ends; see run. woke says there is something to read.
func (s *session) readLoop(woke bool) error {
	parks := s.ws.poller() != nil && s.rc != nil
	for {
		if parks {
			idle, err := s.readControl(woke)
			woke = false
			if err != nil {
				return nil // the client closed, the connection broke, or the socket is closing
			}
			if idle {
				if s.park() {
					return errParked
				}
				parks = false // closing, or not pollable: block in Read from now on
			}
		}
		// No context: a cancelled read context makes the websocket package drop the connection
		// without a close frame. Once the session is cancelled, closing closes the connection,
		// which ends this read.
		typ, data, err := s.conn.Read(context.Background())
		if err != nil {
			s.readFailed(err)
			return nil
		}
		if s.ctx.Err() != nil {
			return errClosed
		}
		if !s.allowFrame() {
			if s.ctx.Err() != nil {
				return errClosed
			}
			var m struct {
				Ref string `json:"ref"`
			}
			json.Unmarshal(data, &m)
			s.trySend(s.errorMsg(validRef(m.Ref), command.CodeRateLimited, "too many messages; this one was dropped"))
			continue
		}
		if typ == websocket.MessageText && !utf8.Valid(data) {
			// RFC 6455, 8.1: a text frame that is not UTF-8 fails the connection.
			s.closeWith(websocket.StatusInvalidFramePayloadData, "text frames must be valid UTF-8")
			return errClosed
		}
		if s.handleHeld(typ, data) {
			s.bad = 0
			continue
		}
		s.bad++
		if s.bad >= s.ws.cfg.MaxBad {
			s.closeWith(websocket.StatusPolicyViolation, "too many bad messages")
			return errClosed
		}
	}
}

// handleHeld handles one message holding hmu (released even if handling panics: see readTurn).
func (s *session) handleHeld(typ websocket.MessageType, data []byte) bool {
	s.hmu.Lock()
	defer s.hmu.Unlock()
	return s.handle(typ, data)
}

// readFailed decides how a socket whose read failed closes. The client closing, or the
// connection breaking or being closed, needs nothing more; so does a protocol error the
// websocket package answered with a close frame of its own (1002, 1009). One it did not answer
// (a frame the client did not mask) closes with 1002.
func (s *session) readFailed(err error) {
	var ne net.Error
	switch {
	case s.ctx.Err() != nil, websocket.CloseStatus(err) != -1, errors.Is(err, io.EOF),
		errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed), errors.As(err, &ne):
		return
	case s.sc != nil && s.sc.CloseFramed():
		return
	}
	s.ws.cfg.Log.Debug("socket broke the protocol", "err", err)
	s.closeWith(websocket.StatusProtocolError, "protocol error")
}

// clientMsg is any message a client sends; each type reads its own fields.
type clientMsg struct {
	Type         string        `json:"type"`
	Ref          string        `json:"ref"`
	Token        string        `json:"token"`
	Tournament   string        `json:"tournament"`
	Epoch        string        `json:"epoch"`
	Version      *int64        `json:"version"`
	Rev          string        `json:"rev"`
	Match        match.MatchID `json:"match"`
	Scores       *[2]int       `json:"scores"`
	SubmissionID string        `json:"submission_id"`
}

func validRef(ref string) string {
	if len(ref) > maxRef {
		return ""
	}
	return ref
}

// handle handles one message and reports whether it was well formed.
func (s *session) handle(typ websocket.MessageType, data []byte) bool {
	if typ != websocket.MessageText {
		s.ws.metrics.in.WithLabelValues("invalid").Inc()
		s.sendError("", command.CodeBadMessage, "messages are JSON text frames")
		return false
	}
	var m clientMsg
	if err := json.Unmarshal(data, &m); err != nil {
		s.ws.metrics.in.WithLabelValues("invalid").Inc()
		ref := ""
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &te) && te.Field == "":
			s.sendError("", command.CodeBadMessage, "the message is not a JSON object")
		case errors.As(err, &te):
			ref = validRef(m.Ref) // the rest of the message was decoded
			s.sendError(ref, command.CodeBadMessage, fmt.Sprintf("field %s has the wrong type", te.Field))
		default:
			s.sendError(ref, command.CodeBadMessage, "the message is not JSON")
		}
		return false
	}
	if wsInTypes[m.Type] {
		s.ws.metrics.in.WithLabelValues(m.Type).Inc()
	} else {
		s.ws.metrics.in.WithLabelValues("invalid").Inc()
	}
	if len(m.Ref) > maxRef {
		s.sendError("", command.CodeBadMessage, fmt.Sprintf("ref is longer than %d bytes", maxRef))
		return false
	}
	missing := func(field string) bool {
		s.sendError(m.Ref, command.CodeBadMessage, fmt.Sprintf("%s needs %s", m.Type, field))
		return false
	}
	switch m.Type {
	case "":
		s.sendError(m.Ref, command.CodeBadMessage, "the message has no type")
		return false
	case "ping":
		s.reply("pong", struct {
			Type string `json:"type"`
			Ref  string `json:"ref,omitempty"`
		}{"pong", m.Ref})
	case "auth":
		if m.Token == "" {
			return missing("token")
		}
		s.authenticate(m.Ref, m.Token)
	case "subscribe":
		if m.Tournament == "" {
			return missing("tournament")
		}
		if m.Version != nil && *m.Version < 0 {
			s.sendError(m.Ref, command.CodeBadMessage, "version must not be negative")
			return false
		}
		if _, ok := s.subscribed[m.Tournament]; !ok && len(s.subscribed) >= maxSubscriptions {
			s.sendError(m.Ref, command.CodeTooManySubscriptions, fmt.Sprintf(
				"a socket may watch at most %d tournaments; unsubscribe from one first", maxSubscriptions))
			return true
		}
		s.subscribe(m)
	case "unsubscribe":
		if m.Tournament == "" {
			return missing("tournament")
		}
		if _, ok := s.subscribed[m.Tournament]; ok {
			delete(s.subscribed, m.Tournament)
			s.ws.broker.leave(s, m.Tournament)
		}
		s.reply("unsubscribed", struct {
			Type       string `json:"type"`
			Ref        string `json:"ref,omitempty"`
			Tournament string `json:"tournament"`
		}{"unsubscribed", m.Ref, m.Tournament})
	case "report":
		switch {
		case m.Tournament == "":
			return missing("tournament")
		case m.Match <= 0:
			return missing("match")
		case m.Scores == nil:
			return missing("scores")
		case m.SubmissionID == "":
			return missing("submission_id")
		}
		s.report(m)
	default:
		s.sendError(m.Ref, command.CodeBadMessage, fmt.Sprintf("unknown message type %q", m.Type))
		return false
	}
	return true
}

// authenticate verifies a token (ref is empty for the subprotocol token) and answers auth_ok or
// an unauthorized error; the socket stays open either way.
func (s *session) authenticate(ref, token string) {
	if s.ws.cfg.Commands == nil {
		s.sendError(ref, command.CodeUnauthorized, "this node accepts no tokens")
		return
	}
	c, err := s.ws.cfg.Commands.Verify(token)
	if err != nil {
		s.sendErr(ref, err)
		return
	}
	s.claims[c.Tournament] = c
	s.engaged.Store(true)
	if _, ok := s.subscribed[c.Tournament]; ok {
		s.ws.broker.setPlayer(s, c.Tournament, playerOf(c))
	}
	s.reply("auth_ok", struct {
		Type       string       `json:"type"`
		Ref        string       `json:"ref,omitempty"`
		Tournament string       `json:"tournament"`
		Role       command.Role `json:"role"`
		PlayerID   int          `json:"player_id,omitempty"`
	}{"auth_ok", ref, c.Tournament, c.Role, c.Player})
}

// playerOf is the player a socket with c receives notices for (0: none).
func playerOf(c command.Claims) match.PlayerID {
	if c.Role != command.RolePlayer {
		return 0
	}
	return match.PlayerID(c.Player)
}

func (s *session) subscribe(m clientMsg) {
	req := &catchUp{ref: m.Ref, reply: true}
	if m.Epoch != "" && m.Version != nil {
		req.resume, req.from = true, store.Position{Epoch: m.Epoch, Version: *m.Version, Rev: m.Rev}
	}
	s.subscribed[m.Tournament] = struct{}{}
	s.engaged.Store(true)
	s.ws.broker.join(s, m.Tournament, req, playerOf(s.claims[m.Tournament]))
}

func (s *session) report(m clientMsg) {
	c, ok := s.claims[m.Tournament]
	if !ok || c.Role == command.RoleSpectator {
		s.sendError(m.Ref, command.CodeUnauthorized, "authenticate as a player or the organiser of this tournament first")
		return
	}
	ctx, cancel := context.WithTimeout(s.ctx, s.ws.cfg.ReportTimeout)
	a, err := s.ws.cfg.Commands.Report(ctx, c, m.Tournament, m.Match, *m.Scores, m.SubmissionID)
	cancel()
	if status, _, _ := command.ErrorBody(err); status == http.StatusInternalServerError && s.ctx.Err() != nil {
		// The socket is closing (the node drains, or the client is being closed): the report was
		// cut short, not refused, and may or may not have been applied. Sending it again is safe.
		s.sendError(m.Ref, command.CodeUnavailable, "the socket closed before the report was done; "+
			"reconnect and send it again with the same submission_id")
		return
	}
	if err != nil {
		s.sendErr(m.Ref, err)
		return
	}
	var mt *match.Match
	if a.State != nil && int(m.Match) <= len(a.State.Matches) {
		mt = &a.State.Matches[m.Match-1]
	}
	s.reply("reported", struct {
		Type       string       `json:"type"`
		Ref        string       `json:"ref,omitempty"`
		Tournament string       `json:"tournament"`
		Version    int64        `json:"version"`
		Duplicate  bool         `json:"duplicate"`
		Match      *match.Match `json:"match,omitempty"`
	}{"reported", m.Ref, m.Tournament, a.Version, a.Duplicate, mt})
}

// reply queues a reply of type kind.
func (s *session) reply(kind string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		s.ws.cfg.Log.Error("encode reply", "type", kind, "err", err)
		s.sendError("", command.CodeInternal, "internal error")
		return
	}
	s.send(outMsg{data: b, kind: kind})
}

// sendErr queues the error message for err: its code and message, or "internal error" (logged).
func (s *session) sendErr(ref string, err error) {
	status, code, msg := command.ErrorBody(err)
	if status == http.StatusInternalServerError {
		s.ws.cfg.Log.Error("socket request failed", "err", err)
	}
	s.sendError(ref, code, msg)
}

func (s *session) sendError(ref, code, message string) {
	s.send(s.errorMsg(ref, code, message))
}

func (s *session) errorMsg(ref, code, message string) outMsg {
	b, _ := json.Marshal(struct {
		Type    string `json:"type"`
		Ref     string `json:"ref,omitempty"`
		Code    string `json:"code"`
		Message string `json:"message"`
	}{"error", ref, code, message})
	return outMsg{data: b, kind: "error"}
}
