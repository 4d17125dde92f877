package ws

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"unicode/utf8"

	"github.com/coder/websocket"
	"github.com/tourhub/tourhub/hub/command"
	"github.com/tourhub/tourhub/hub/fanout"
	"github.com/tourhub/tourhub/hub/store"
	"github.com/tourhub/tourhub/hub/wire"
	"github.com/tourhub/tourhub/internal/jsonw"
	"github.com/tourhub/tourhub/match"
)

// The protocol (docs/protocol.md): reading and handling a client's messages, and the answers.

// maxRef is the longest ref a client may attach to a message.
const maxRef = 64

// maxSubscriptions is how many tournaments one socket may subscribe to at once (including
// subscriptions that failed and were not unsubscribed): it bounds what one client holds here.
const maxSubscriptions = 64

// maxClaims is how many tournaments one socket may hold a player's or organiser's claims for
// (by auth or join): it bounds what one client holds here, as maxSubscriptions does.
const maxClaims = 64

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
	Scores       []int         `json:"scores"` // two: checked here ([2]int would drop a third silently)
	Games        match.Games   `json:"games"`
	SubmissionID string        `json:"submission_id"`
	Name         *string       `json:"name"`   // join: required, may not be empty
	Rating       *float64      `json:"rating"` // join: optional
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

func validRef(ref string) string {
	if len(ref) > maxRef {
		return ""
	}
	return ref
}

// handle handles one message and reports whether it was well formed.
func (s *session) handle(typ websocket.MessageType, data []byte) bool {
	if typ != websocket.MessageText {
		s.ws.metrics.received(inInvalid)
		s.sendError("", command.CodeBadMessage, "messages are JSON text frames")
		return false
	}
	var m clientMsg
	var err error
	if !m.decodePlain(data) { // anything but the plain messages clients send: encoding/json
		m = clientMsg{}
		err = json.Unmarshal(data, &m)
	}
	if err != nil {
		s.ws.metrics.received(inInvalid)
		ref := ""
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &te) && te.Field == "":
			s.sendError("", command.CodeBadMessage, "the message is not a JSON object")
		case errors.As(err, &te):
			ref = validRef(m.Ref) // the rest of the message was decoded
			s.sendError(ref, command.CodeBadMessage, fmt.Sprintf("field %s has the wrong type", te.Field))
		case json.Valid(data):
			// A value its type refused (games that are not pairs): that type's message.
			var r struct {
				Ref string `json:"ref"`
			}
			_ = json.Unmarshal(data, &r) // a ref that is not a string stays ""
			s.sendError(validRef(r.Ref), command.CodeBadMessage, err.Error())
		default:
			s.sendError(ref, command.CodeBadMessage, "the message is not JSON")
		}
		return false
	}
	if wsInTypes[m.Type] {
		s.ws.metrics.received(m.Type)
	} else {
		s.ws.metrics.received(inInvalid)
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
	case "join":
		switch {
		case m.Tournament == "":
			return missing("tournament")
		case m.Name == nil:
			return missing("name")
		}
		s.join(m)
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
			s.ws.cfg.Topics.Leave(s, m.Tournament)
		}
		delete(s.claims, m.Tournament) // the socket is done with it: its token goes too (maxClaims)
		s.replyEncoded("unsubscribed", append(wire.AppendHead(make([]byte, 0, 96), "unsubscribed", m.Ref, m.Tournament), '}'), nil)
	case "report":
		switch {
		case m.Tournament == "":
			return missing("tournament")
		case m.Match <= 0:
			return missing("match")
		case m.Scores == nil:
			return missing("scores")
		case len(m.Scores) != 2:
			s.sendError(m.Ref, command.CodeBadMessage, fmt.Sprintf("scores must be two numbers [first player's, second player's], not %d", len(m.Scores)))
			return false
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
	if !s.hold(ref, c) {
		return
	}
	s.replyEncoded("auth_ok", appendAuthOK(make([]byte, 0, 128), ref, c), nil)
}

// appendAuthOK appends the answer to an auth as encoding/json writes it, without reflection (every
// player's socket authenticates once per tournament: TestAnswersAsEncodingJSON).
func appendAuthOK(b []byte, ref string, c command.Claims) []byte {
	b = wire.AppendHead(b, "auth_ok", ref, c.Tournament)
	b = append(b, `,"role":`...)
	b = jsonw.AppendString(b, string(c.Role))
	if c.Player != 0 {
		b = append(b, `,"player_id":`...)
		b = strconv.AppendInt(b, int64(c.Player), 10)
	}
	return append(b, '}')
}

// hold makes c the socket's claims for c.Tournament (a player's socket is then sent that
// player's notices), unless the socket holds claims for maxClaims other tournaments: that is
// answered with an error to ref (overClaims), and hold reports false.
func (s *session) hold(ref string, c command.Claims) bool {
	if s.overClaims(ref, c.Tournament) {
		return false
	}
	s.claims[c.Tournament] = c
	s.engaged.Store(true)
	if _, ok := s.subscribed[c.Tournament]; ok {
		s.ws.cfg.Topics.SetPlayer(s, c.Tournament, playerOf(c))
	}
	return true
}

// overClaims answers ref an error, and reports true, when the socket holds no claims for
// tournament and already holds maxClaims.
func (s *session) overClaims(ref, tournament string) bool {
	if _, ok := s.claims[tournament]; ok || len(s.claims) < maxClaims {
		return false
	}
	s.sendError(ref, command.CodeTooManyTournaments, fmt.Sprintf(
		"a socket may hold the keys of at most %d tournaments; open another socket for more", maxClaims))
	return true
}

// join joins a player to a tournament as POST /api/tournaments/{id}/players does (the same
// command, answers and errors, charged to the client's address as that request is: AllowJoin),
// and authenticates the socket as that player, as an auth with the token it answers would. A
// browser on the tournament's page joins with one message instead of a request and an auth.
func (s *session) join(m clientMsg) {
	if s.ws.cfg.Commands == nil {
		s.sendError(m.Ref, command.CodeUnauthorized, "this node accepts no joins")
		return
	}
	if s.overClaims(m.Ref, m.Tournament) {
		return
	}
	if s.ws.cfg.AllowJoin != nil && !s.ws.cfg.AllowJoin(s.addr) {
		s.sendError(m.Ref, command.CodeRateLimited, "too many requests from your address; slow down")
		return
	}
	var rating float64
	if m.Rating != nil {
		rating = *m.Rating
	}
	ctx, cancel := context.WithTimeout(s.ctx, s.ws.cfg.CommandTimeout)
	j, err := s.ws.cfg.Commands.Join(ctx, m.Tournament, *m.Name, rating, m.SubmissionID)
	cancel()
	if s.failed(m.Ref, err) {
		return
	}
	s.hold(m.Ref, command.Claims{Tournament: m.Tournament, Role: command.RolePlayer, Player: int(j.Player)}) // checked above
	s.reply("joined", joinedMsg{"joined", m.Ref, m.Tournament, int(j.Player), j.Token, j.Version, j.Duplicate})
}

// joinedMsg is the answer to a join: the fields of POST /api/tournaments/{id}/players' answer.
type joinedMsg struct {
	Type       string `json:"type"`
	Ref        string `json:"ref,omitempty"`
	Tournament string `json:"tournament"`
	PlayerID   int    `json:"player_id"`
	Token      string `json:"token"`
	Version    int64  `json:"version"`
	Duplicate  bool   `json:"duplicate"`
}

// failed answers a command that failed with err, and reports whether it did (err != nil). One
// that failed because the socket is closing (the node drains, or the client is being closed) was
// cut short, not refused, and may or may not have been applied: it is answered unavailable, so
// that the client sends it again (with the same submission_id) once reconnected.
func (s *session) failed(ref string, err error) bool {
	if err == nil {
		return false
	}
	if status, _, _ := command.ErrorBody(err); s.ctx.Err() != nil && (status == http.StatusInternalServerError || errors.Is(err, context.Canceled)) {
		s.sendError(ref, command.CodeUnavailable, "the socket closed before the command was done; "+
			"reconnect and send it again with the same submission_id")
		return true
	}
	s.sendErr(ref, err)
	return true
}

// playerOf is the player a socket with c receives notices for (0: none).
func playerOf(c command.Claims) match.PlayerID {
	if c.Role != command.RolePlayer {
		return 0
	}
	return match.PlayerID(c.Player)
}

func (s *session) subscribe(m clientMsg) {
	req := fanout.Request{Ref: m.Ref, Reply: true}
	if m.Epoch != "" && m.Version != nil {
		req.Resume, req.From = true, store.Position{Epoch: m.Epoch, Version: *m.Version, Rev: m.Rev}
	}
	s.subscribed[m.Tournament] = struct{}{}
	s.engaged.Store(true)
	s.ws.cfg.Topics.Join(s, m.Tournament, req, playerOf(s.claims[m.Tournament]))
}

func (s *session) report(m clientMsg) {
	c, ok := s.claims[m.Tournament]
	if !ok || c.Role == command.RoleSpectator {
		s.sendError(m.Ref, command.CodeUnauthorized, "authenticate as a player or the organiser of this tournament first")
		return
	}
	ctx, cancel := context.WithTimeout(s.ctx, s.ws.cfg.CommandTimeout)
	a, err := s.ws.cfg.Commands.Report(ctx, c, m.Tournament, m.Match, match.Report{Scores: [2]int{m.Scores[0], m.Scores[1]}, Games: m.Games}, m.SubmissionID)
	cancel()
	if s.failed(m.Ref, err) {
		return
	}
	b, err := appendReported(make([]byte, 0, 512), reportedMsg{"reported", m.Ref, m.Tournament, a.Version, a.Duplicate, a.Match(m.Match)})
	s.replyEncoded("reported", b, err)
}

// reportedMsg is the answer to a report.
type reportedMsg struct {
	Type       string       `json:"type"`
	Ref        string       `json:"ref,omitempty"`
	Tournament string       `json:"tournament"`
	Version    int64        `json:"version"`
	Duplicate  bool         `json:"duplicate"`
	Match      *match.Match `json:"match,omitempty"`
}

// appendReported appends r as encoding/json writes it, without reflection (a report's answer is
// the commonest reply: TestReportedAsEncodingJSON).
func appendReported(b []byte, r reportedMsg) ([]byte, error) {
	b = wire.AppendHead(b, r.Type, r.Ref, r.Tournament)
	b = append(b, `,"version":`...)
	b = strconv.AppendInt(b, r.Version, 10)
	b = append(b, `,"duplicate":`...)
	b = strconv.AppendBool(b, r.Duplicate)
	if r.Match != nil {
		var err error
		b = append(b, `,"match":`...)
		if b, err = r.Match.AppendJSON(b); err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
}

// reply queues a reply of type kind.
func (s *session) reply(kind string, v any) {
	b, err := json.Marshal(v)
	s.replyEncoded(kind, b, err)
}

// replyEncoded queues b, a reply of type kind, or "internal error" (logged) when encoding it
// failed with err.
func (s *session) replyEncoded(kind string, b []byte, err error) {
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
	return errorOf(ref, "", code, message)
}

// errorOf is an error message: the answer to the message with ref, or (tournament, no ref) the
// end of that subscription.
func errorOf(ref, tournament, code, message string) outMsg {
	b, _ := json.Marshal(struct {
		Type       string `json:"type"`
		Ref        string `json:"ref,omitempty"`
		Tournament string `json:"tournament,omitempty"`
		Code       string `json:"code"`
		Message    string `json:"message"`
	}{"error", ref, tournament, code, message})
	return outMsg{data: b, kind: "error"}
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
	s.ws.metrics.received(inRateLimited)
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
