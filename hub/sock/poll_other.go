//go:build !linux

package sock

import (
	"errors"
	"log/slog"
)

// newPoller: parking needs epoll; elsewhere every socket keeps its reader goroutine.
func newPoller(*slog.Logger) (Poller, error) {
	return nil, errors.New("parking idle sockets needs Linux (epoll)")
}
