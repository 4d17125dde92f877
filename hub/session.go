package hub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/coder/websocket"
	"golang.org/x/sync/errgroup"
	"golang.org/x/time/rate"

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
}

// session is one socket. Two goroutines run it (see run): readLoop reads and handles the client's
// messages; writeLoop is the only one that writes to the connection. Anyone may queue a message
// with send, which never blocks.
type session struct {
	ws   *WS             // static after construction
	conn *websocket.Conn // static after construction
	out  chan outMsg     // bounded; sent to without blocking by anyone, received only by writeLoop

	ctx    context.Context    // done once the session is closing; static after construction
	cancel context.CancelFunc // static after construction
	done   chan struct{}      // closed when run has returned and the session left every topic

	closeMu     sync.Mutex
	closeCode   websocket.StatusCode // guarded by closeMu; 0 until a close is decided
	closeReason string               // guarded by closeMu
	aborted     bool                 // guarded by closeMu; close without a handshake

	claims     map[string]Claims   // owned by readLoop: the verified tokens, by tournament
	subscribed map[string]struct{} // owned by readLoop, then by run once readLoop has returned
	limiter    *rate.Limiter       // owned by readLoop
}

func newSession(w *WS, c *websocket.Conn) *session {
	ctx, cancel := context.WithCancel(context.Background())
	return &session{
		ws:         w,
		conn:       c,
		out:        make(chan outMsg, w.cfg.QueueLen),
		ctx:        ctx,
		cancel:     cancel,
		done:       make(chan struct{}),
		claims:     make(map[string]Claims),
		subscribed: make(map[string]struct{}),
		limiter:    rate.NewLimiter(rate.Limit(w.cfg.RatePerSec), w.cfg.Burst),
	}
}

// run serves the socket until it closes. The reader and the writer are tied by the session's
// context:
//   - readLoop returns when a read fails (the client closed, the connection broke, a frame was
//     over the read limit, or writeLoop closed the connection) or when it decides to close the
//     socket (protocol abuse, rate limit); either way it cancels the session.
//   - writeLoop returns when the session is cancelled (readLoop returned, the queue overflowed,
//     Drain, a resync failed) or a write or ping fails; on its way out it closes the connection,
//     with the close code decided by whoever cancelled, which unblocks readLoop.
//
// run then leaves every topic, so no fan-out reaches the session afterwards.
func (s *session) run(token string) {
	defer close(s.done)
	defer s.cancel()
	if token != "" {
		s.authenticate("", token)
	}
	g, gctx := errgroup.WithContext(s.ctx)
	g.Go(func() error {
		defer s.cancel()
		return s.readLoop()
	})
	g.Go(func() error {
		defer s.cancel()
		return s.writeLoop(gctx)
	})
	if err := g.Wait(); err != nil && !errors.Is(err, errClosed) {
		s.ws.cfg.Log.Debug("socket ended", "err", err)
	}
	for id := range s.subscribed {
		s.ws.broker.leave(s, id)
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

// abort closes the connection at once, without a close handshake.
func (s *session) abort() {
	s.closeMu.Lock()
	s.aborted = true
	s.closeMu.Unlock()
	s.cancel()
	s.conn.CloseNow()
}

// closeSlow closes a socket whose send queue is full. It never blocks, so fan-out can call it.
func (s *session) closeSlow() {
	if s.ctx.Err() != nil {
		return
	}
	s.ws.metrics.slow.Inc()
	s.closeWith(closeSlow, "send queue overflowed")
	if s.ws.onSlow != nil {
		s.ws.onSlow()
	}
}

// send queues m; a full queue closes the socket as slow. It never blocks.
func (s *session) send(m outMsg) {
	if s.ctx.Err() != nil {
		return
	}
	select {
	case s.out <- m:
	default:
		s.closeSlow()
	}
}

// trySend queues m if there is room and drops it otherwise (for answers to dropped messages).
func (s *session) trySend(m outMsg) {
	select {
	case s.out <- m:
	default:
	}
}

// writeLoop writes queued messages and pings; see run for when it returns.
func (s *session) writeLoop(ctx context.Context) error {
	defer s.closeConn()
	ping := time.NewTicker(s.ws.cfg.PingEvery)
	defer ping.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case m := <-s.out:
			if err := s.write(m); err != nil {
				s.abort()
				return fmt.Errorf("write %s: %w", m.kind, err)
			}
		case <-ping.C:
			// The pong is read by readLoop; Ping waits for it.
			pctx, cancel := context.WithTimeout(context.Background(), s.ws.cfg.PongWait)
			err := s.conn.Ping(pctx)
			cancel()
			if err != nil {
				s.abort()
				return fmt.Errorf("ping: %w", err)
			}
		}
	}
}

func (s *session) write(m outMsg) error {
	ctx, cancel := context.WithTimeout(context.Background(), s.ws.cfg.WriteTimeout)
	defer cancel()
	if err := s.conn.Write(ctx, websocket.MessageText, m.data); err != nil {
		return err
	}
	s.ws.metrics.out.WithLabelValues(m.kind).Inc()
	if !m.at.IsZero() {
		s.ws.metrics.fanoutLag.Observe(time.Since(m.at).Seconds())
	}
	return nil
}

// closeConn closes the connection as decided by closeWith (normal closure if nobody decided:
// the client closed or the connection broke, and the close returns at once).
func (s *session) closeConn() {
	s.closeMu.Lock()
	code, reason, aborted := s.closeCode, s.closeReason, s.aborted
	s.closeMu.Unlock()
	switch {
	case aborted:
		s.conn.CloseNow()
	case code == 0:
		s.conn.Close(websocket.StatusNormalClosure, "")
	default:
		s.conn.Close(code, reason)
	}
}

// readLoop reads and handles the client's messages in order; see run for when it returns.
func (s *session) readLoop() error {
	bad, dropped := 0, 0
	for {
		// No context: a cancelled read context makes the websocket package drop the connection
		// without a close frame. writeLoop closes the connection, which ends this read.
		typ, data, err := s.conn.Read(context.Background())
		if err != nil {
			return nil // the client closed, the connection broke or was closed: not an error
		}
		if s.ctx.Err() != nil {
			return errClosed
		}
		if !s.limiter.Allow() {
			dropped++
			s.ws.metrics.in.WithLabelValues("rate_limited").Inc()
			if dropped > s.ws.cfg.MaxDropped {
				s.closeWith(closeRateLimited, "rate limited for too long")
				return errClosed
			}
			var m struct {
				Ref string `json:"ref"`
			}
			json.Unmarshal(data, &m)
			s.trySend(s.errorMsg(validRef(m.Ref), CodeRateLimited, "too many messages; this one was dropped"))
			continue
		}
		dropped = 0
		if s.handle(typ, data) {
			bad = 0
			continue
		}
		bad++
		if bad >= s.ws.cfg.MaxBad {
			s.closeWith(websocket.StatusPolicyViolation, "too many bad messages")
			return errClosed
		}
	}
}

// clientMsg is any message a client sends; each type reads its own fields.
type clientMsg struct {
	Type         string        `json:"type"`
	Ref          string        `json:"ref"`
	Token        string        `json:"token"`
	Tournament   string        `json:"tournament"`
	Epoch        string        `json:"epoch"`
	Version      *int64        `json:"version"`
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
		s.sendError("", CodeBadMessage, "messages are JSON text frames")
		return false
	}
	var m clientMsg
	if err := json.Unmarshal(data, &m); err != nil {
		s.ws.metrics.in.WithLabelValues("invalid").Inc()
		ref := ""
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &te) && te.Field == "":
			s.sendError("", CodeBadMessage, "the message is not a JSON object")
		case errors.As(err, &te):
			ref = validRef(m.Ref) // the rest of the message was decoded
			s.sendError(ref, CodeBadMessage, fmt.Sprintf("field %s has the wrong type", te.Field))
		default:
			s.sendError(ref, CodeBadMessage, "the message is not JSON")
		}
		return false
	}
	if wsInTypes[m.Type] {
		s.ws.metrics.in.WithLabelValues(m.Type).Inc()
	} else {
		s.ws.metrics.in.WithLabelValues("invalid").Inc()
	}
	if len(m.Ref) > maxRef {
		s.sendError("", CodeBadMessage, fmt.Sprintf("ref is longer than %d bytes", maxRef))
		return false
	}
	missing := func(field string) bool {
		s.sendError(m.Ref, CodeBadMessage, fmt.Sprintf("%s needs %s", m.Type, field))
		return false
	}
	switch m.Type {
	case "":
		s.sendError(m.Ref, CodeBadMessage, "the message has no type")
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
			s.sendError(m.Ref, CodeBadMessage, "version must not be negative")
			return false
		}
		if _, ok := s.subscribed[m.Tournament]; !ok && len(s.subscribed) >= maxSubscriptions {
			s.sendError(m.Ref, CodeTooManySubscriptions, fmt.Sprintf(
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
		s.sendError(m.Ref, CodeBadMessage, fmt.Sprintf("unknown message type %q", m.Type))
		return false
	}
	return true
}

// authenticate verifies a token (ref is empty for the subprotocol token) and answers auth_ok or
// an unauthorized error; the socket stays open either way.
func (s *session) authenticate(ref, token string) {
	if s.ws.cfg.Tokens == nil {
		s.sendError(ref, CodeUnauthorized, "this node accepts no tokens")
		return
	}
	c, err := s.ws.cfg.Tokens.Verify(token)
	if err != nil {
		s.sendErr(ref, err)
		return
	}
	s.claims[c.Tournament] = c
	if _, ok := s.subscribed[c.Tournament]; ok {
		s.ws.broker.setPlayer(s, c.Tournament, playerOf(c))
	}
	s.reply("auth_ok", struct {
		Type       string `json:"type"`
		Ref        string `json:"ref,omitempty"`
		Tournament string `json:"tournament"`
		Role       Role   `json:"role"`
		PlayerID   int    `json:"player_id,omitempty"`
	}{"auth_ok", ref, c.Tournament, c.Role, c.Player})
}

// playerOf is the player a socket with c receives notices for (0: none).
func playerOf(c Claims) match.PlayerID {
	if c.Role != RolePlayer {
		return 0
	}
	return match.PlayerID(c.Player)
}

func (s *session) subscribe(m clientMsg) {
	req := &catchUp{ref: m.Ref, reply: true}
	if m.Epoch != "" && m.Version != nil {
		req.resume, req.epoch, req.version = true, m.Epoch, *m.Version
	}
	s.subscribed[m.Tournament] = struct{}{}
	s.ws.broker.join(s, m.Tournament, req, playerOf(s.claims[m.Tournament]))
}

func (s *session) report(m clientMsg) {
	c, ok := s.claims[m.Tournament]
	if !ok || c.Role == RoleSpectator {
		s.sendError(m.Ref, CodeUnauthorized, "authenticate as a player or the organiser of this tournament first")
		return
	}
	if s.ws.cfg.Report == nil {
		s.sendErr(m.Ref, errors.New("no report func configured"))
		return
	}
	ctx, cancel := context.WithTimeout(s.ctx, s.ws.cfg.ReportTimeout)
	a, err := s.ws.cfg.Report(ctx, c, m.Tournament, m.Match, *m.Scores, m.SubmissionID)
	cancel()
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
		s.sendError("", CodeInternal, "internal error")
		return
	}
	s.send(outMsg{data: b, kind: kind})
}

// sendErr queues the error message for err: its code and message, or "internal error" (logged).
func (s *session) sendErr(ref string, err error) {
	status, code, msg := ErrorBody(err)
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
