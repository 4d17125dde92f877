package hub

import (
	"bytes"
	"context"
	"net"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// countingConn counts the writes to a connection.
type countingConn struct {
	net.Conn
	writes *atomic.Int64
}

func (c countingConn) Write(p []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(p)
}

type countingListener struct {
	net.Listener
	writes atomic.Int64
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return countingConn{c, &l.writes}, nil
}

// TestWriterBatches: messages that wait together in a socket's queue go out in one write to the
// connection, in order, and the client reads each as its own message.
func TestWriterBatches(t *testing.T) {
	w := NewWS(WSConfig{})
	srv := httptest.NewUnstartedServer(w)
	ln := &countingListener{Listener: srv.Listener}
	srv.Listener = ln
	srv.Start()
	defer srv.Close()
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		w.Drain(ctx)
	}()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, srv.URL, &websocket.DialOptions{Subprotocols: []string{Subprotocol}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	var s *session
	for s == nil {
		w.mu.Lock()
		for x := range w.sessions {
			s = x
		}
		w.mu.Unlock()
	}

	// Queue five messages as if fan-out had while the writer was busy, then let the writer run.
	const n = 5
	before := ln.writes.Load()
	s.qmu.Lock()
	for i := range n {
		s.queue = append(s.queue, outMsg{data: []byte(`{"type":"pong","ref":"` + strconv.Itoa(i) + `"}`), kind: "pong"})
	}
	s.writing = true
	s.workers.Add(1)
	s.qmu.Unlock()
	go s.flush()

	for i := range n {
		_, b, err := c.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if want := `"ref":"` + strconv.Itoa(i) + `"`; !bytes.Contains(b, []byte(want)) {
			t.Fatalf("message %d is %s; want %s", i, b, want)
		}
	}
	if got := ln.writes.Load() - before; got != 1 {
		t.Errorf("%d writes to the connection for %d queued messages; want 1", got, n)
	}
}

// TestSockConnGathers: outside a batch every write goes to the connection; inside one, writes
// are gathered into one, and a batch past gatherMax goes out early.
func TestSockConnGathers(t *testing.T) {
	server, client := net.Pipe()
	defer client.Close()
	var writes atomic.Int64
	sc := newSockConn(countingConn{server, &writes}, time.Second)
	defer sc.Close()

	var mu sync.Mutex
	var got bytes.Buffer
	done := make(chan struct{})
	go func() {
		defer close(done)
		b := make([]byte, 32<<10)
		for {
			n, err := client.Read(b)
			mu.Lock()
			got.Write(b[:n])
			mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	read := func(want int) string {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for {
			mu.Lock()
			n := got.Len()
			mu.Unlock()
			if n >= want {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("read %d bytes; want %d", n, want)
			}
			time.Sleep(time.Millisecond)
		}
		mu.Lock()
		defer mu.Unlock()
		s := got.String()
		got.Reset()
		return s
	}

	sc.Write([]byte("a"))
	sc.Write([]byte("b"))
	if s := read(2); s != "ab" || writes.Load() != 2 {
		t.Fatalf("read %q with %d writes; want ab with 2", s, writes.Load())
	}
	sc.gather()
	sc.Write([]byte("c"))
	sc.Write([]byte("d"))
	if writes.Load() != 2 {
		t.Fatalf("a gathered write reached the connection")
	}
	if err := sc.release(); err != nil {
		t.Fatal(err)
	}
	if s := read(2); s != "cd" || writes.Load() != 3 {
		t.Fatalf("read %q with %d writes; want cd with 3", s, writes.Load())
	}
	big := bytes.Repeat([]byte("x"), gatherMax)
	sc.gather()
	sc.Write(big) // past gatherMax: out at once
	if s := read(gatherMax); len(s) != gatherMax || writes.Load() != 4 {
		t.Fatalf("read %d bytes with %d writes; want %d with 4", len(s), writes.Load(), gatherMax)
	}
	sc.Write([]byte("e"))
	sc.release()
	if s := read(1); s != "e" || writes.Load() != 5 {
		t.Fatalf("read %q with %d writes; want e with 5", s, writes.Load())
	}
	sc.release() // nothing gathered: no write
	sc.gather()
	if err := sc.release(); err != nil || writes.Load() != 5 {
		t.Fatalf("an empty batch wrote (%d writes, %v)", writes.Load(), err)
	}
	server.Close()
	<-done
}
