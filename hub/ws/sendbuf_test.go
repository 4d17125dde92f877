//go:build linux

package ws

import (
	"net"
	"net/http/httptest"
	"syscall"
	"testing"
)

// TestSendBuffer: a socket's kernel send buffer is WSConfig.SendBuffer (Linux reports it
// doubled), 64 KiB by default, so that a client that reads nothing fills it, and is seen as slow,
// after a bounded amount of data rather than the megabytes the kernel would grow it to.
func TestSendBuffer(t *testing.T) {
	for _, c := range []struct {
		name      string
		set, want int
	}{{"set", 100 << 10, 100 << 10}, {"default", 0, 64 << 10}} {
		w := New(Config{SendBuffer: c.set})
		_, s := oneSocket(t, w, httptest.NewUnstartedServer(w))
		rc, err := s.sc.Conn.(*net.TCPConn).SyscallConn()
		if err != nil {
			t.Fatal(err)
		}
		var got int
		var optErr error
		rc.Control(func(fd uintptr) { got, optErr = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_SNDBUF) })
		if optErr != nil {
			t.Fatal(optErr)
		}
		if got < c.want || got > 2*c.want {
			t.Errorf("%s: send buffer %d bytes; want %d (or twice that, as Linux reports it)", c.name, got, c.want)
		}
	}
}
