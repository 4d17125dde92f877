package ws

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/tourhub/tourhub/hub/clientip"
	"github.com/tourhub/tourhub/hub/command"
	"github.com/tourhub/tourhub/hub/fanout"
	"github.com/tourhub/tourhub/hub/sock"
	"github.com/tourhub/tourhub/hub/store"
	"github.com/tourhub/tourhub/hub/wire"
	"github.com/tourhub/tourhub/match"
)

// Subprotocol is the WebSocket subprotocol the hub speaks by default (docs/protocol.md); a
// client that offers wire.Protocol (tourhub.v2) gets compact event messages instead.
const Subprotocol = "tourhub.v1"

// tokenProtocolPrefix marks the subprotocol that carries a token: "token.<jwt>".
const tokenProtocolPrefix = "token."

// Close codes of the protocol that the websocket package does not name.
const (
	closeSlow        websocket.StatusCode = 4001 // the client does not read what it is sent: reconnect, resume
	closeResync      websocket.StatusCode = 4002 // the server lost the thread: reconnect, resume
	closeIdle        websocket.StatusCode = 4004 // nothing subscribed in time: connect again when there is something to watch
	closeRateLimited websocket.StatusCode = 4008 // rate limited for too long: reconnect after backoff
)

// drainBatch is how many sockets Drain closes at once, so that their clients do not all reconnect
// to the other nodes in the same instant; the next batch starts once this one's close handshakes
// are done, or after drainPause, whichever comes first: a client that does not answer its close
// frame does not hold up the others.
const (
	drainBatch = 100
	drainPause = 100 * time.Millisecond
)

// Commands is what a socket asks of the node's command service (command.Service).
type Commands interface {
	Verify(token string) (command.Claims, error)
	Join(ctx context.Context, tournament, name string, rating float64, submissionID string) (command.Joined, error)
	Report(ctx context.Context, c command.Claims, tournament string, m match.MatchID, res match.Report, submissionID string) (store.Applied, error)
}

// Config configures the WebSocket side of a node.
type Config struct {
	// Topics is the node's table of topics: subscriptions join it, and it queues each
	// tournament's entries and catch-ups for its sockets. Required.
	Topics *fanout.Table
	// Commands verifies the tokens of players and organisers, joins players, and applies the
	// results reported over a socket (with the socket's claims for that tournament): the node's
	// command.Service. Nil refuses every token and every join.
	Commands Commands
	// AllowJoin charges a join over a socket to its client address (as ClientAddr gives it), and
	// reports whether the address may join now: New (hub) sets it to the API's per-address rate
	// limit, so that a join costs a socket what the same join costs over HTTP. Nil: joins are
	// bounded by the socket's own message rate alone.
	AllowJoin func(addr string) bool
	// Origins lists the host patterns allowed in the Origin header (see
	// websocket.AcceptOptions.OriginPatterns); the request's own host is always allowed.
	Origins []string
	// Log receives the node's socket logs. Defaults to discarding them.
	Log *slog.Logger
	// Now is the clock of pings and write timings. Defaults to time.Now.
	Now func() time.Time
	// Registerer receives the socket metrics. Nil registers nothing (the metrics still count).
	Registerer prometheus.Registerer
	// ReadLimit is the largest message a client may send; a bigger one closes with 1009.
	// Defaults to 16 KiB.
	ReadLimit int64
	// RatePerSec and Burst limit the messages a socket may send. Defaults to 20 and 40.
	RatePerSec float64
	Burst      int
	// MaxDropped is how many rate-limited messages in a row close the socket with 4008.
	// Defaults to 200.
	MaxDropped int
	// MaxBad is how many bad messages in a row close the socket with 1008. Defaults to 10.
	MaxBad int
	// QueueLen is the send queue of each socket; overflow closes it with 4001. Defaults to 256.
	QueueLen int
	// QueueBytes bounds the send queue of each socket in bytes as well (the messages waiting and
	// the batch being written; a message always fits an empty queue); overflow closes it with
	// 4001. Messages that many sockets send (snapshots, events) are shared, not copied, but a
	// socket that reads nothing keeps the ones it holds alive. Defaults to 8 MiB: eight snapshots
	// of the largest tournaments (1,024 players, double elimination: 743 KB).
	QueueBytes int
	// SendBuffer is the kernel's send buffer of each socket (SO_SNDBUF), in bytes. The kernel
	// would grow it to megabytes for a client that reads nothing (its own receive buffer takes
	// more), which the node cannot tell from one that reads: it writes it every event, and
	// keeps the data in kernel memory, until the buffers are full. Bounded, such a socket's
	// writer soon waits, the socket costs its fan-outs nothing more, and the write timeout closes
	// it as slow. Defaults to 64 KiB (the kernel doubles it for its bookkeeping): what a socket
	// that reads nothing is given costs the node a copy into the kernel, and on a small machine
	// a thousand such sockets' copies were what held up the others. A client far away that
	// reads a big uncompressed snapshot gets at most that much per round trip. Negative leaves
	// it to the kernel.
	SendBuffer int
	// BulkCPU is the share of one CPU that bulk writes (32 KiB or more: snapshots, bursts) may
	// take between them, node-wide (sock.BulkGate): they copy one at a time, each followed by a
	// pause, so that a burst of subscribers to a big tournament, or a thousand clients that
	// subscribe and never read, cannot take the CPUs from live deliveries. In (0, 1]; defaults
	// to 0.25.
	BulkCPU float64
	// MaxPerAddr is how many sockets one client address may hold open on this node; an upgrade
	// past it is refused with 429. Defaults to 256, for a club or school behind one NAT address.
	MaxPerAddr int
	// ClientAddr is the client address of a request, for MaxPerAddr: New (server.go) sets it to
	// ClientIP through the node's trusted proxies. Defaults to the connection's address.
	ClientAddr func(*http.Request) string
	// IdleTimeout: a socket that has neither subscribed nor authenticated this long after it
	// opened is closed with 4004. Defaults to 30s.
	IdleTimeout time.Duration
	// PingEvery, PongWait and WriteTimeout: a ping every PingEvery, closed without a pong within
	// PongWait of the ping's write; every write must finish within WriteTimeout. Defaults to 20s,
	// 10s, 5s.
	PingEvery, PongWait, WriteTimeout time.Duration
	// NoPark keeps a reader goroutine blocked in Read for every socket. By default, on Linux, an
	// idle socket parks: its reader ends, and the node's epoll starts one again when the client
	// sends (park.go). Defaults to false.
	NoPark bool
	// NoDeflate turns compression off: by default a client that offers permessage-deflate (every
	// browser does) gets it without context takeover in either direction, and is sent snapshots
	// and events in the compressed form the node made once for every socket (fanout.Msg). Its own
	// messages may come compressed too; ReadLimit bounds them as they are once inflated.
	NoDeflate bool
	// NoURing writes every socket of a fan-out with a system call of its own. By default, on
	// Linux where io_uring is allowed, a fan-out's writes without waiting go to the kernel
	// together, up to 256 sockets per system call (sock.Writes); where it is not allowed (an
	// old kernel, a container's seccomp profile, kernel.io_uring_disabled) the node writes one
	// system call per socket and says so in its log at start.
	NoURing bool
	// CommandTimeout bounds one report or join command. Defaults to 5s: the socket's reader handles
	// the command, so a pong that arrives meanwhile is read late by up to this much, which must stay
	// well under PongWait.
	CommandTimeout time.Duration
}

func (c *Config) setDefaults() {
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.ReadLimit <= 0 {
		c.ReadLimit = 16 << 10
	}
	if c.RatePerSec <= 0 {
		c.RatePerSec = 20
	}
	if c.Burst <= 0 {
		c.Burst = 40
	}
	if c.MaxDropped <= 0 {
		c.MaxDropped = 200
	}
	if c.MaxBad <= 0 {
		c.MaxBad = 10
	}
	if c.QueueLen <= 0 {
		c.QueueLen = 256
	}
	if c.QueueBytes <= 0 {
		c.QueueBytes = 8 << 20
	}
	if c.SendBuffer == 0 {
		c.SendBuffer = 64 << 10
	}
	if !(c.BulkCPU > 0) || c.BulkCPU > 1 {
		c.BulkCPU = 0.25
	}
	if c.MaxPerAddr <= 0 {
		c.MaxPerAddr = 256
	}
	if c.ClientAddr == nil {
		c.ClientAddr = func(r *http.Request) string { return clientip.Of(r, nil) }
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = 30 * time.Second
	}
	if c.PingEvery <= 0 {
		c.PingEvery = 20 * time.Second
	}
	if c.PongWait <= 0 {
		c.PongWait = 10 * time.Second
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = 5 * time.Second
	}
	if c.CommandTimeout <= 0 {
		c.CommandTimeout = 5 * time.Second
	}
}

// Server serves the WebSocket endpoint of a node: it accepts sockets and runs their sessions
// (the table of topics fans the store's entries out to them).
type Server struct {
	cfg     Config     // static after construction
	metrics *wsMetrics // static after construction

	mu       sync.Mutex
	sessions map[*session]struct{} // guarded by mu
	perAddr  map[string]int        // guarded by mu; open sockets (and upgrades under way) by client address
	draining bool                  // guarded by mu; once set, no socket is accepted
	pollOnce sync.Once             // starts poll on the first park; Drain ends it for good
	poll     sock.Poller           // set once by pollOnce; nil if parking is off or cannot start
	pool     *sock.Pool            // static after construction; runs reader turns and writer batches
	gate     *sock.BulkGate        // static after construction; paces the bulk writes of every socket
	rings    *sock.Rings           // static after construction; nil: one write system call per socket
	grid     pingGrid              // static after construction; the ticks of every socket's pings

	// onSlow, when set (tests), is called after a socket is marked slow. Static after construction.
	onSlow func()
}

// New returns a Server for cfg.
func New(cfg Config) *Server {
	cfg.setDefaults()
	gate := sock.NewBulkGate(cfg.BulkCPU)
	var rings *sock.Rings
	if !cfg.NoURing {
		var err error
		if rings, err = sock.NewRings(maxRings); err != nil {
			cfg.Log.Info("fan-out writes one system call per socket: io_uring cannot be used here", "err", err)
		}
	}
	return &Server{
		cfg:      cfg,
		metrics:  newWSMetrics(cfg.Registerer, gate, rings),
		sessions: make(map[*session]struct{}),
		perAddr:  make(map[string]int),
		pool:     sock.NewPool(),
		gate:     gate,
		rings:    rings,
		grid:     newPingGrid(cfg.PingEvery),
	}
}

// maxRings is how many fan-outs at once write their sockets through io_uring; more at once
// write one system call per socket.
const maxRings = 8

// ServeHTTP upgrades the request to a WebSocket and runs the session until the socket closes.
func (w *Server) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	addr := w.cfg.ClientAddr(r)
	w.mu.Lock()
	draining, full := w.draining, w.perAddr[addr] >= w.cfg.MaxPerAddr
	if !draining && !full {
		w.perAddr[addr]++ // released by forget, or below if the socket is not opened
	}
	w.mu.Unlock()
	switch {
	case draining:
		http.Error(rw, "node shutting down", http.StatusServiceUnavailable)
		return
	case full:
		w.metrics.refused.Inc()
		rw.Header().Set("Retry-After", "10")
		http.Error(rw, fmt.Sprintf("too many sockets from your address (at most %d per address on this node); "+
			"close some and retry", w.cfg.MaxPerAddr), http.StatusTooManyRequests)
		return
	}
	if !w.serve(rw, r, addr) {
		w.release(addr)
	}
}

// serve upgrades the request and starts its session; false if it did not.
func (w *Server) serve(rw http.ResponseWriter, r *http.Request, addr string) bool {
	token := protocolToken(r)
	sb, ok := sock.NewResponseWriter(rw, w.cfg.WriteTimeout, w.cfg.SendBuffer, w.gate)
	if !ok {
		http.Error(rw, "a WebSocket needs an HTTP/1.1 connection", http.StatusNotImplemented)
		return false
	}
	var s *session // set before anything is read, so before a ping or pong can arrive
	compression := websocket.CompressionNoContextTakeover
	if w.cfg.NoDeflate {
		compression = websocket.CompressionDisabled
	}
	c, err := websocket.Accept(sb, r, &websocket.AcceptOptions{
		Subprotocols:    []string{wire.Protocol, Subprotocol}, // v2 when the client offers it
		OriginPatterns:  w.cfg.Origins,
		CompressionMode: compression,
		// Pings and pongs the websocket package reads itself (behind a message, or when the
		// socket does not park) count against the socket's rate limit like those a parked
		// socket's reader reads (controlFrame); a ping over it gets no pong.
		OnPingReceived: func(context.Context, []byte) bool { return s.controlAllowed() },
		OnPongReceived: func(context.Context, []byte) {
			if s.controlAllowed() {
				s.gotPong()
			}
		},
	})
	if err != nil {
		// Accept has answered (403 for a foreign Origin, 400 for a bad handshake).
		w.cfg.Log.Debug("websocket refused", "remote", r.RemoteAddr, "origin", r.Header.Get("Origin"), "err", err)
		return false
	}
	c.SetReadLimit(w.cfg.ReadLimit)

	s = newSession(w, c, sb.Conn(), sb.Reader(), addr)
	// Accept answered the offer in the response's headers (no context takeover either way).
	s.deflate = strings.Contains(sb.Header().Get("Sec-WebSocket-Extensions"), "permessage-deflate")
	s.compact = strings.EqualFold(c.Subprotocol(), wire.Protocol)
	w.mu.Lock()
	if w.draining {
		w.mu.Unlock()
		c.Close(websocket.StatusGoingAway, "node shutting down")
		return false
	}
	w.sessions[s] = struct{}{}
	w.mu.Unlock()
	w.metrics.sockets.Inc()
	// The session runs on goroutines of its own, owned by w (Drain waits for every session to
	// finish), and the handler returns: the connection is hijacked, and the handler's goroutine
	// has a deep stack (HTTP server, router, middleware) that an idle socket would keep for its
	// whole life.
	go s.run(token)
	return true
}

// forget drops a finished session.
func (w *Server) forget(s *session) {
	w.mu.Lock()
	delete(w.sessions, s)
	w.mu.Unlock()
	w.release(s.addr)
	w.metrics.sockets.Dec()
}

// release gives back a socket of addr's (see MaxPerAddr).
func (w *Server) release(addr string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.perAddr[addr]--; w.perAddr[addr] <= 0 {
		delete(w.perAddr, addr)
	}
}

// poller returns the node's poller, started on first use; nil when idle sockets do not park
// (Config.NoPark, a platform without epoll, or the poller could not start).
func (w *Server) poller() sock.Poller {
	if w.cfg.NoPark {
		return nil
	}
	w.pollOnce.Do(func() {
		p, err := sock.NewPoller(w.cfg.Log)
		if err != nil {
			w.cfg.Log.Info("idle sockets keep a reader goroutine each", "reason", err)
			return
		}
		w.poll = p
	})
	return w.poll
}

// protocolToken returns the token offered as a "token.<jwt>" subprotocol, if any.
func protocolToken(r *http.Request) string {
	for _, h := range r.Header.Values("Sec-WebSocket-Protocol") {
		for p := range strings.SplitSeq(h, ",") {
			p = strings.TrimSpace(p)
			if t, ok := strings.CutPrefix(p, tokenProtocolPrefix); ok {
				return t
			}
		}
	}
	return ""
}

// Sockets is the number of open sockets.
func (w *Server) Sockets() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.sessions)
}

// Drain stops accepting sockets and closes every open one with 1001 (going away: reconnect to
// another node and resume), drainBatch at a time: the next batch starts once this one's close
// handshakes are done or after drainPause (less when ctx leaves too little time for every batch),
// so that a client that does not answer does not hold up the others. Each socket's close is
// bounded by its own closeBy (see session.closing). When ctx ends first, the remaining sockets
// are closed at once, without a close frame. Drain returns once every session and background
// goroutine has ended; ctx.Err() if it had to cut short.
func (w *Server) Drain(ctx context.Context) error {
	w.mu.Lock()
	w.draining = true
	all := make([]*session, 0, len(w.sessions))
	for s := range w.sessions {
		all = append(all, s)
	}
	w.mu.Unlock()

	batches := (len(all) + drainBatch - 1) / drainBatch
	pause := drainPause
	if d, ok := ctx.Deadline(); ok && batches > 0 {
		// Every batch is started within the first half of the time.
		pause = min(pause, time.Until(d)/2/time.Duration(batches))
	}
	for start := 0; start < len(all) && ctx.Err() == nil; start += drainBatch {
		batch := all[start:min(start+drainBatch, len(all))]
		for _, s := range batch {
			s.closeWith(websocket.StatusGoingAway, "node shutting down")
		}
		waitDone(ctx, batch, pause)
	}
	waitDone(ctx, all, 0)
	cut := ctx.Err()
	if cut != nil {
		for _, s := range all {
			s.abort()
		}
	}
	for _, s := range all {
		<-s.done
	}
	w.pollOnce.Do(func() {}) // a poller that never started will not start now
	if w.poll != nil {
		w.poll.Close()
	}
	w.pool.Close()
	w.rings.Close()
	return cut
}

// waitDone waits until every session of ss is done, ctx ends, or (if limit > 0) limit passed.
func waitDone(ctx context.Context, ss []*session, limit time.Duration) {
	var expired <-chan time.Time
	if limit > 0 {
		t := time.NewTimer(limit)
		defer t.Stop()
		expired = t.C
	}
	for _, s := range ss {
		select {
		case <-s.done:
		case <-ctx.Done():
			return
		case <-expired:
			return
		}
	}
}

// errClosed ends a session's loops once it is closing; it is not an error worth logging.
var errClosed = errors.New("session closed")
