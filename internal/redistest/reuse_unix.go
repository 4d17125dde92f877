//go:build unix

package redistest

import (
	"net"
	"syscall"
)

// noReuseAddr turns SO_REUSEADDR off before bind (Go turns it on for every listener), so that
// binding fails while the port waits in TIME_WAIT: that is how reserve tells a reserved port from
// a free one.
func noReuseAddr(_, _ string, rc syscall.RawConn) error { return setReuseAddr(rc, 0) }

// reuseAddrAfterBind turns SO_REUSEADDR on for the connections l accepts from now on: the one
// that waits in TIME_WAIT must have it, or a server binding the port with SO_REUSEADDR fails too.
func reuseAddrAfterBind(l net.Listener) error {
	rc, err := l.(*net.TCPListener).SyscallConn()
	if err != nil {
		return err
	}
	return setReuseAddr(rc, 1)
}

func setReuseAddr(rc syscall.RawConn, v int) error {
	var err error
	if cerr := rc.Control(func(fd uintptr) {
		err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_REUSEADDR, v)
	}); cerr != nil {
		return cerr
	}
	return err
}
