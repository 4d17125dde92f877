package ws

import (
	"errors"

	"github.com/coder/websocket"
	"github.com/tourhub/tourhub/hub/sock"
)

// Parking idle sockets. Most sockets are idle most of the time: a spectator reads, a player
// reports now and then. A reader goroutine blocked in Read would hold a goroutine stack (8 KiB
// here) per socket for nothing, so an idle socket parks instead: once it has read everything the
// client sent, its reader registers the connection with the node's poller and ends. When the
// client sends something (or goes away), the poller starts a reader again, which reads until the
// socket is idle again. Writes do not depend on it: a socket's writer runs whenever messages wait.
//
// The websocket package handles ping, pong and close frames inside Read, and after a pong it goes
// on waiting for the next message: a goroutine kept for every socket after its first ping. So
// before calling Read, a parking reader answers the ping and pong frames that start the buffer
// itself (controlFrame); everything else (messages, close frames, anything malformed, frames in
// the middle of a fragmented message) is the websocket package's.

// errParked ends a reader goroutine whose socket is parked: not an error, and the session goes on.
var errParked = errors.New("socket parked")

// park hands the socket to the poller; false when it cannot (closing, or not pollable), and the
// reader goes on reading.
func (s *session) park() bool {
	p := s.ws.poller()
	if p == nil || s.rc == nil {
		return false
	}
	s.pmu.Lock()
	defer s.pmu.Unlock()
	if s.ended {
		return false
	}
	id, err := p.Arm(s.rc, s, s.parkID)
	if err != nil {
		s.ws.cfg.Log.Debug("socket not parked", "err", err)
		return false
	}
	s.parkID, s.parked = id, true
	return true
}

// Wake implements sock.Waker: it starts a reader for a parked socket (the poller's event id).
func (s *session) Wake(id uint64) {
	s.pmu.Lock()
	if !s.parked || s.ended || id != s.parkID {
		s.pmu.Unlock()
		return
	}
	s.parked = false
	s.pmu.Unlock()
	s.ws.pool.Run(s.readWoken)
}

func (s *session) readWoken() { s.readTurn(true) }

// unpark ends parking for good, before the connection is closed. It reports whether the socket
// was parked: no reader runs then, and finishing the session falls to the caller.
func (s *session) unpark() bool {
	s.pmu.Lock()
	defer s.pmu.Unlock()
	s.ended = true
	was := s.parked
	s.parked = false
	if s.parkID != 0 {
		if p := s.ws.poller(); p != nil {
			p.Remove(s.rc, s.parkID)
		}
		s.parkID = 0
	}
	return was
}

// readControl handles the ping and pong frames at the head of what the client sent, and reports
// whether the socket is then idle: nothing left in front of the connection. woke says the poller
// found something to read: it is read into the buffer first (at once: the poller said it is
// there, or the connection ended). It never waits for the network otherwise: a frame that has
// not fully arrived, a message or anything else is left for the websocket package's Read. It
// fails with errClosed once it decided to close the socket (a flood of control frames, a frame
// that is not masked).
func (s *session) readControl(woke bool) (idle bool, err error) {
	s.brmu.Lock()
	defer s.brmu.Unlock()
	if woke {
		if _, err := s.br.Peek(1); err != nil {
			return false, err
		}
	}
	for s.controlFrame() {
	}
	if s.ctx.Err() != nil {
		return false, errClosed
	}
	return s.br.Buffered() == 0 && s.sc.Pending() == 0, nil
}

// controlFrame handles one whole ping or pong frame at the head of the buffer and reports whether
// it did. Control frames count against the socket's rate limit like messages (allowFrame): one
// that is over it is read and dropped (a ping gets no pong). A client frame that is not masked
// closes the socket with 1002 (RFC 6455, 5.1). brmu is held.
func (s *session) controlFrame() bool {
	h, _ := s.br.Peek(min(2, s.br.Buffered()))
	if len(h) < 2 {
		return false
	}
	op, n := h[0]&0x0f, int(h[1]&0x7f)
	final, rsv, masked := h[0]&0x80 != 0, h[0]&0x70, h[1]&0x80 != 0
	if !masked {
		s.closeWith(websocket.StatusProtocolError, "client frames must be masked")
		return false
	}
	if !final || rsv != 0 || n > sock.MaxControl || (op != sock.OpPing && op != sock.OpPong) {
		return false
	}
	size := 2 + 4 + n
	if s.br.Buffered() < size {
		return false
	}
	f, _ := s.br.Peek(size)
	switch {
	case !s.allowFrame():
		if s.ctx.Err() != nil {
			return false
		}
	case op == sock.OpPing:
		payload := make([]byte, n)
		key := f[2:6]
		for i, b := range f[6:] {
			payload[i] = b ^ key[i%4]
		}
		s.send(outMsg{data: payload, kind: "pong frame", op: sock.OpPong})
	default:
		s.gotPong()
	}
	s.br.Discard(size)
	return true
}
