package sock

import (
	"errors"
	"log/slog"
	"syscall"
)

// Parking idle connections. Most WebSockets are idle most of the time. A reader goroutine
// blocked in Read would hold a goroutine stack (8 KiB here) per connection for nothing, so the
// caller's reader can end instead and register the connection with the node's Poller (Arm),
// which wakes it (Waker) once when the client sends something or goes away; the caller then
// starts a reader again.

// Waker is woken by the Poller, on the poller's goroutine, when a connection it armed has
// something to read or was closed by the peer; id is the registration Arm returned.
type Waker interface {
	Wake(id uint64)
}

// Poller wakes parked connections (Linux: an epoll of the node's own, poll_linux.go).
type Poller interface {
	// Arm registers rc for one wake-up of w. id 0 asks for a new registration, whose id is
	// returned; later parks of the same connection pass it back.
	Arm(rc syscall.RawConn, w Waker, id uint64) (uint64, error)
	// Remove forgets the registration id, before its connection is closed: its Waker is not woken
	// for it after Remove returns.
	Remove(rc syscall.RawConn, id uint64)
	// Close stops the poller; connections parked then are never woken.
	Close()
}

// ErrPollerClosed answers Arm once the poller has stopped.
var ErrPollerClosed = errors.New("poller closed")

// NewPoller starts a Poller; an error where connections cannot be parked (not Linux, no epoll).
func NewPoller(log *slog.Logger) (Poller, error) { return newPoller(log) }
