package ws

import (
	"bufio"
	"context"
	"errors"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/coder/websocket"
	"golang.org/x/time/rate"

	"github.com/tourhub/tourhub/hub/command"
	"github.com/tourhub/tourhub/hub/fanout"
	"github.com/tourhub/tourhub/hub/sock"
)

// outMsg is one message queued for a socket. data may be shared by every socket that receives
// the same event: nobody changes it after it is queued.
type outMsg struct {
	data []byte
	kind string    // the message type, for metrics
	at   time.Time // when the store delivered the entry (live events only), for the fan-out lag
	// op is 0 for a text message (data is its JSON), or sock.OpPing or sock.OpPong for a control frame of
	// the session's own (data is its payload).
	op byte
	// deflated says data is a text message's compressed form (the socket negotiated
	// compression; fanout.Msg.Deflated).
	deflated bool
}

// Frame implements sock.Message: the frame's opcode and payload.
func (m outMsg) Frame() (op byte, payload []byte) {
	switch {
	case m.op != 0:
		return m.op, m.data
	case m.deflated:
		return sock.OpTextDeflated, m.data
	default:
		return sock.OpText, m.data
	}
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
	ws   *Server         // static after construction
	conn *websocket.Conn // static after construction
	sc   *sock.Conn      // static after construction; the connection under conn
	br   *bufio.Reader   // static after construction; conn reads through it
	rc   syscall.RawConn // static after construction; sc's descriptor for the poller (nil: cannot park)
	// deflate: the client negotiated compression; it is sent the compressed form of the messages
	// that have one. Set before the session runs.
	deflate bool
	// compact: the client speaks tourhub.v2; it is sent the compact form of the messages that
	// have one (events, hub/wire). Set before the session runs.
	compact bool

	addr   string             // static after construction; the client address the per-address cap counts
	ctx    context.Context    // done once the session is closing; static after construction
	cancel context.CancelFunc // static after construction
	done   chan struct{}      // closed by finish, once the session has left every topic
	closed chan struct{}      // closed once the connection was closed (see closing)

	qmu      sync.Mutex
	queue    []outMsg       // guarded by qmu; wait to be written: the first chunk (see pushLocked)
	more     [][]outMsg     // guarded by qmu; the chunks after queue, each queueChunk messages but the last
	count    int            // guarded by qmu; the messages of queue and more
	spare    []outMsg       // guarded by qmu; the last batch's buffer, the next queue
	nowBatch []outMsg       // held by the writer of the moment: the batch its write without waiting took (writeNowIn)
	queued   int            // guarded by qmu; the bytes of queue's and more's messages
	inflight int            // guarded by qmu; taken by the writer and not yet written (count+inflight <= QueueLen)
	flying   int            // guarded by qmu; their bytes (queued+flying <= QueueBytes, see enqueue)
	writing  bool           // guarded by qmu; a writer runs (flush, or writeNow on a sender's goroutine)
	stopped  bool           // guarded by qmu; closing: nothing more is queued (the writer writes what is left)
	cut      atomic.Bool    // set once under qmu by closing a slow socket: the writer frames nothing more
	workers  sync.WaitGroup // the writer (flush, or writeNow), the ping and the idle check; Add only under qmu while !stopped
	ping     *time.Timer    // fires pingFired; static after run starts
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

func newSession(w *Server, c *websocket.Conn, sc *sock.Conn, br *bufio.Reader, addr string) *session {
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
	s.ping = time.AfterFunc(time.Hour, s.pingFired)
	first := firstPing(s.ws.cfg.PingEvery)
	s.qmu.Lock()
	s.pingAt = s.ws.cfg.Now().Add(first)
	s.armPing(first)
	s.qmu.Unlock()
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
		s.ws.cfg.Topics.Leave(s, id)
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
		s.dropQueueLocked()
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
		s.sc.Close() // closing then closes the websocket connection (CloseNow)
		return
	}
	s.conn.CloseNow()
}

// The session as a fanout.Subscriber: the table of topics queues entries and catch-ups for it.

// Enqueue implements fanout.Subscriber: m is queued, or the queue is full and the caller
// closes the socket as slow once it holds no lock (Slow).
func (s *session) Enqueue(m fanout.Msg) fanout.Enqueued {
	om := outMsg{data: m.Data, kind: m.Kind, at: m.At}
	plain, deflated := m.Data, m.Deflated
	if s.compact && m.Compact != nil {
		plain, deflated = m.Compact, m.CompactDeflated
	}
	om.data = plain
	if s.deflate && deflated != nil {
		om.data, om.deflated = deflated, true
	}
	switch ok, claimed := s.enqueue(om); {
	case !ok:
		return fanout.Full
	case claimed:
		return fanout.Claimed
	}
	return fanout.Queued
}

// Compact implements fanout.Subscriber: the socket speaks tourhub.v2.
func (s *session) Compact() bool { return s.compact }

// Deflate implements fanout.Subscriber: the socket negotiated compression.
func (s *session) Deflate() bool { return s.deflate }

// Flush implements fanout.Subscriber: the writer Enqueue claimed writes without waiting.
func (s *session) Flush() { s.writeNow() }

// Slow implements fanout.Subscriber.
func (s *session) Slow(reason string) { s.closeSlow(reason) }

// Refused implements fanout.Subscriber: the subscribe with ref failed.
func (s *session) Refused(ref string, err error) { s.sendErr(ref, err) }

// Resync implements fanout.Subscriber: the client must reconnect and resume.
func (s *session) Resync() { s.closeWith(closeResync, "resync failed") }

// Ended implements fanout.Subscriber: an error not_found naming the tournament, without ref.
func (s *session) Ended(id string, _ error) {
	s.send(errorOf("", id, command.CodeNotFound, "tournament "+id+" is gone (deleted, or past its retention): its subscription has ended"))
}
