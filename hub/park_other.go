//go:build !linux

package hub

import (
	"errors"
	"log/slog"
)

// newPoller: parking needs epoll; elsewhere every socket keeps its reader goroutine.
func newPoller(*slog.Logger) (poller, error) {
	return nil, errors.New("parking idle sockets needs Linux (epoll)")
}
