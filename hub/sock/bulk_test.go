//go:build linux || darwin || openbsd

package sock

import (
	"bytes"
	"io"
	"net"
	"testing"
	"time"
)

// tcpPair is a server Conn over loopback TCP (a real descriptor, as the node's sockets have) and
// the client's end of it.
func tcpPair(t *testing.T) (*Conn, net.Conn) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	client, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	sc := NewConn(server, 10*time.Second)
	t.Cleanup(func() { sc.Close(); client.Close() })
	return sc, client
}

// writeOut runs sc.WriteOut in a goroutine and returns where its error will be.
func writeOut(sc *Conn) <-chan error {
	done := make(chan error, 1)
	go func() { done <- sc.WriteOut() }()
	return done
}

func waitWrite(t *testing.T, what string, done <-chan error) {
	t.Helper()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: not written in 10 s", what)
	}
}

// TestBulkGate: a bulk write (bulkMin or more) copies into the kernel only with its turn at the
// node's gate, a small one never waits for it, and a bulk write that waits for its socket (its
// client reads nothing) waits outside the gate, so that another socket's bulk write goes on.
func TestBulkGate(t *testing.T) {
	sc, client := tcpPair(t)
	go io.Copy(io.Discard, client)
	small := msg{data: bytes.Repeat([]byte("s"), 1000)}
	big := msg{data: bytes.Repeat([]byte("b"), 2*bulkMin)}

	bulkGate <- struct{}{} // another socket's turn
	Frame(sc, []msg{small})
	waitWrite(t, "a small write while the gate is taken", writeOut(sc))

	Frame(sc, []msg{big})
	done := writeOut(sc)
	select {
	case err := <-done:
		t.Fatalf("a bulk write went out (err %v) while the gate was taken", err)
	case <-time.After(100 * time.Millisecond):
	}
	<-bulkGate
	waitWrite(t, "the bulk write once the gate is free", done)

	// A client that reads nothing: its bulk write fills the socket and waits for it, without
	// holding the gate.
	stuck, stuckClient := tcpPair(t)
	Frame(stuck, []msg{{data: bytes.Repeat([]byte("x"), 16<<20)}})
	waiting := writeOut(stuck)
	time.Sleep(50 * time.Millisecond) // let it fill the socket; whether or not it has, the next must go
	Frame(sc, []msg{big})
	waitWrite(t, "another socket's bulk write while one waits for its client", writeOut(sc))
	select {
	case err := <-waiting:
		t.Fatalf("16 MiB written (err %v) to a client that reads nothing", err)
	default:
	}
	go io.Copy(io.Discard, stuckClient)
	waitWrite(t, "the waiting bulk write once its client reads", waiting)
}
