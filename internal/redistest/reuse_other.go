//go:build !unix

package redistest

import (
	"net"
	"syscall"
)

// noReuseAddr does nothing here: see reuse_unix.go for what it does where it matters.
func noReuseAddr(_, _ string, _ syscall.RawConn) error { return nil }

// reuseAddrAfterBind does nothing here.
func reuseAddrAfterBind(net.Listener) error { return nil }
