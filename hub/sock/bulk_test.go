//go:build linux || darwin || openbsd

package sock

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"testing"
	"time"
)

// tcpPair is a server Conn over loopback TCP (a real descriptor, as the node's sockets have),
// pacing its bulk writes at gate, and the client's end of it.
func tcpPair(t *testing.T, gate *BulkGate) (*Conn, net.Conn) {
	t.Helper()
	return tcpPairTimeout(t, gate, 10*time.Second)
}

// tcpPairTimeout is tcpPair with a write timeout of its own.
func tcpPairTimeout(t *testing.T, gate *BulkGate, writeTimeout time.Duration) (*Conn, net.Conn) {
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
	sc := NewConn(server, writeTimeout, gate)
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
	gate := NewBulkGate(1)
	sc, client := tcpPair(t, gate)
	go io.Copy(io.Discard, client)
	small := msg{data: bytes.Repeat([]byte("s"), 1000)}
	big := msg{data: bytes.Repeat([]byte("b"), 2*bulkMin)}

	gate.turn <- struct{}{} // another socket's turn
	Frame(sc, []msg{small})
	waitWrite(t, "a small write while the gate is taken", writeOut(sc))

	Frame(sc, []msg{big})
	done := writeOut(sc)
	select {
	case err := <-done:
		t.Fatalf("a bulk write went out (err %v) while the gate was taken", err)
	case <-time.After(100 * time.Millisecond):
	}
	<-gate.turn
	waitWrite(t, "the bulk write once the gate is free", done)

	// A client that reads nothing: its bulk write fills the socket and waits for it, without
	// holding the gate.
	stuck, stuckClient := tcpPair(t, gate)
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

// TestBulkGatePace: a turn that took d owes a pause of d*(1-share)/share, and the gate takes the
// pauses owed once they add up to pauseMin: from the first turn to any other, the time nobody
// wrote is at least what the turns before owed, less pauseMin, so that bulk writes take at most
// share of one CPU; the pauses are counted, and there are no more of them than pauseMin divides
// into what was owed (a pause after every turn of a few microseconds would be a timer's
// millisecond each, and pace the writes far below the share).
func TestBulkGatePace(t *testing.T) {
	const share = 0.25
	gate := NewBulkGate(share)
	type turn struct{ start, end time.Time }
	var turns []turn
	gate.onTurn = func(start, end time.Time) { turns = append(turns, turn{start, end}) }
	sc, client := tcpPair(t, gate)
	go io.Copy(io.Discard, client)
	for range 4 {
		Frame(sc, []msg{{data: bytes.Repeat([]byte("p"), 8<<20)}})
		waitWrite(t, "8 MiB in paced turns", writeOut(sc))
	}
	if min := 32 << 20 / bulkTurn; len(turns) < min {
		t.Fatalf("32 MiB written in %d turns; want %d or more, of at most %d bytes each", len(turns), min, bulkTurn)
	}
	rest := (1 - share) / share
	var took, owed time.Duration
	for i := 1; i < len(turns); i++ {
		took += turns[i-1].end.Sub(turns[i-1].start)
		owed = time.Duration(float64(took) * rest)
		if idle := turns[i].start.Sub(turns[0].start) - took; idle < owed-pauseMin {
			t.Fatalf("before turn %d: %v without writing, for %v of turns; want %v or more", i, idle, took, owed-pauseMin)
		}
	}
	if gate.Paused() <= 0 {
		t.Fatalf("Paused() = %v after %d paced turns; want the pauses counted", gate.Paused(), len(turns))
	}
	if most := int64(owed/time.Millisecond) + 1; gate.pauses.Load() > most {
		t.Errorf("%d pauses for %v owed by %d turns; want at most %d, of a millisecond or more each", gate.pauses.Load(), owed, len(turns), most)
	}
}

// TestBulkGateClosing: a bulk write of a socket that is closing waits for its turn only until
// the close deadline, then fails having written nothing, so that shutdown is not held up by other
// sockets' bulk writes; one whose turn comes in time is written.
func TestBulkGateClosing(t *testing.T) {
	gate := NewBulkGate(1)
	sc, client := tcpPair(t, gate)
	got := make(chan int64, 1)
	go func() { n, _ := io.Copy(io.Discard, client); got <- n }()
	gate.turn <- struct{}{} // another socket's turn, held
	Frame(sc, []msg{{data: bytes.Repeat([]byte("c"), 2*bulkMin)}})
	done := writeOut(sc)
	select {
	case err := <-done:
		t.Fatalf("a bulk write went out (err %v) while the gate was taken", err)
	case <-time.After(100 * time.Millisecond):
	}
	go sc.SetCloseBy(time.Now().Add(200 * time.Millisecond))
	select {
	case err := <-done:
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("closing socket's bulk write past its close deadline: err %v; want %v", err, os.ErrDeadlineExceeded)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a closing socket's bulk write still waits for its turn 10 s after its close deadline")
	}
	<-gate.turn
	sc.Close()
	if n := <-got; n != 0 {
		t.Fatalf("the client got %d bytes of a write that never had its turn", n)
	}

	// Its turn comes before the close deadline: written.
	sc, client = tcpPair(t, gate)
	go io.Copy(io.Discard, client)
	gate.turn <- struct{}{}
	Frame(sc, []msg{{data: bytes.Repeat([]byte("d"), 2*bulkMin)}})
	done = writeOut(sc)
	go sc.SetCloseBy(time.Now().Add(10 * time.Second)) // it waits for the writer, which holds the connection
	time.Sleep(50 * time.Millisecond)
	<-gate.turn
	waitWrite(t, "a closing socket's bulk write whose turn came in time", done)
}

// TestBulkGateWaitIsNotTheClients: the time a bulk write waits for its turn at the gate does not
// count against its write timeout; only the time it waits for its client does.
func TestBulkGateWaitIsNotTheClients(t *testing.T) {
	gate := NewBulkGate(1)
	sc, client := tcpPairTimeout(t, gate, 300*time.Millisecond)
	gate.turn <- struct{}{}                                     // other sockets' turns, for longer than the write timeout
	Frame(sc, []msg{{data: bytes.Repeat([]byte("w"), 16<<20)}}) // more than the socket takes at once
	done := writeOut(sc)
	time.Sleep(600 * time.Millisecond)
	<-gate.turn
	time.Sleep(100 * time.Millisecond) // its turn came: it filled the socket and waits for the client
	go io.Copy(io.Discard, client)
	waitWrite(t, "a bulk write that waited for its turn longer than the write timeout, to a client that reads", done)
}

// TestTurnOf: a turn takes the first bulkTurn bytes of what is framed, across segments, cutting
// the last one it reaches, and never more than maxIovecs segments.
func TestTurnOf(t *testing.T) {
	seg := func(n int) []byte { return bytes.Repeat([]byte{'x'}, n) }
	var iov [][]byte
	for _, c := range []struct {
		name string
		out  net.Buffers
		want []int // the turn's segment lengths
	}{
		{"one small segment", net.Buffers{seg(10)}, []int{10}},
		{"one big segment", net.Buffers{seg(3 * bulkTurn)}, []int{bulkTurn}},
		{"exactly a turn", net.Buffers{seg(bulkTurn / 2), seg(bulkTurn / 2), seg(5)}, []int{bulkTurn / 2, bulkTurn / 2}},
		{"cut across segments", net.Buffers{seg(100), seg(bulkTurn), seg(7)}, []int{100, bulkTurn - 100}},
		{"many tiny segments", func() net.Buffers {
			v := make(net.Buffers, maxIovecs+10)
			for i := range v {
				v[i] = seg(1)
			}
			return v
		}(), nil},
	} {
		got := turnOf(c.out, &iov)
		if c.want == nil { // maxIovecs segments of a byte each
			if len(got) != maxIovecs {
				t.Errorf("%s: %d segments; want %d", c.name, len(got), maxIovecs)
			}
			continue
		}
		var lens []int
		for _, b := range got {
			lens = append(lens, len(b))
		}
		if fmt.Sprint(lens) != fmt.Sprint(c.want) {
			t.Errorf("%s: segments %v; want %v", c.name, lens, c.want)
		}
	}
}
