package redistest

import (
	"io"
	"net"
	"strconv"
	"testing"
)

// TestFreePortReserved: a port FreePort returned goes to nobody else before the test's server
// binds it (not to a bind to port 0, as another test's picker does, nor as the local port of an
// outgoing connection), and the server, binding it with SO_REUSEADDR as redis-server does, gets it.
func TestFreePortReserved(t *testing.T) {
	reserved := make(map[int]bool)
	for range 100 {
		reserved[FreePort(t)] = true
	}

	const binds = 10000
	bound := 0
	for range binds {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		if reserved[l.Addr().(*net.TCPAddr).Port] {
			bound++
		}
		l.Close()
	}

	srv, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	go func() {
		for {
			c, err := srv.Accept()
			if err != nil {
				return
			}
			c.Close() // the server closes first: no TIME_WAIT on the connections' local ports
		}
	}()
	const dials = 1000
	dialed := 0
	for range dials {
		c, err := net.Dial("tcp", srv.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		if reserved[c.LocalAddr().(*net.TCPAddr).Port] {
			dialed++
		}
		_, _ = io.Copy(io.Discard, c)
		c.Close()
	}
	if bound != 0 || dialed != 0 {
		t.Errorf("got %d of %d binds to port 0 and %d of %d connections on one of %d reserved ports; want none",
			bound, binds, dialed, dials, len(reserved))
	}

	for p := range reserved {
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
		if err != nil {
			t.Errorf("listen on reserved port %d with SO_REUSEADDR: %v; want it bound", p, err)
			continue
		}
		l.Close()
	}
}

// TestFreeClusterPortBus: a Redis Cluster node's port is never one whose cluster bus port is in
// use, reserved by someone else, or out of range (Redis would fail to start: "bind: address
// already in use", or "Your Redis port number must be 55535 or less").
func TestFreeClusterPortBus(t *testing.T) {
	listening, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer listening.Close()
	reserved, err := anyPort()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		bad  int // what the picker offers first
	}{
		{"bus port listened on", listening.Addr().(*net.TCPAddr).Port - busOffset},
		{"bus port reserved", reserved - busOffset},
		{"bus port out of range", 65535 - busOffset + 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			picks := 0
			pick := func() (int, error) {
				if picks++; picks == 1 {
					return tc.bad, nil
				}
				return anyPort()
			}
			p := freeClusterPort(t, pick)
			if p == tc.bad || picks < 2 {
				t.Fatalf("got port %d after %d picks; want a port other than the first pick %d", p, picks, tc.bad)
			}
			if _, err := reserve(p + busOffset); err == nil {
				t.Errorf("bus port %d of port %d could be reserved again; want it reserved by freeClusterPort", p+busOffset, p)
			}
		})
	}
}
