package ws

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
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
// oneSocket serves w on srv (started here), dials one client socket and returns it with the
// session the node runs for it; everything stops when the test ends.
func oneSocket(t *testing.T, w *Server, srv *httptest.Server) (*websocket.Conn, *session) {
	t.Helper()
	return oneSocketWith(t, w, srv, &websocket.DialOptions{})
}

// oneSocketWith is oneSocket with the client's dial options.
func oneSocketWith(t *testing.T, w *Server, srv *httptest.Server, opts *websocket.DialOptions) (*websocket.Conn, *session) {
	t.Helper()
	srv.Start()
	t.Cleanup(func() {
		srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		w.Drain(ctx)
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	opts.Subprotocols = []string{Subprotocol}
	c, _, err := websocket.Dial(ctx, srv.URL, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.CloseNow() })
	for {
		w.mu.Lock()
		for s := range w.sessions {
			w.mu.Unlock()
			return c, s
		}
		w.mu.Unlock()
		time.Sleep(time.Millisecond)
	}
}

// readRefs reads n messages from c and wants the i-th to carry "ref":"i".
func readRefs(ctx context.Context, t *testing.T, c *websocket.Conn, n int) {
	t.Helper()
	for i := range n {
		_, b, err := c.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if want := `"ref":"` + strconv.Itoa(i) + `"`; !bytes.Contains(b, []byte(want)) {
			t.Fatalf("message %d is %s; want %s", i, b, want)
		}
	}
}

func TestWriterBatches(t *testing.T) {
	w := New(Config{})
	srv := httptest.NewUnstartedServer(w)
	ln := &countingListener{Listener: srv.Listener}
	srv.Listener = ln
	c, s := oneSocket(t, w, srv)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	// Queue five messages as if fan-out had while the writer was busy, then let the writer run.
	const n = 5
	before := ln.writes.Load()
	s.qmu.Lock()
	for i := range n {
		s.pushLocked(outMsg{data: []byte(`{"type":"pong","ref":"` + strconv.Itoa(i) + `"}`), kind: "pong"})
	}
	s.writing = true
	s.workers.Add(1)
	s.qmu.Unlock()
	go s.flush()

	readRefs(ctx, t, c, n)
	if got := ln.writes.Load() - before; got != 1 {
		t.Errorf("%d writes to the connection for %d queued messages; want 1", got, n)
	}
}

// TestQueueGrowsByChunks: a socket's queue grows a chunk at a time, so that queueing to a socket
// whose writer is stuck never copies its queue into a bigger one (a thousand never-reading sockets
// subscribed together grow their queues on the same entry, on the deliverer's goroutine); the
// writer still gets every message once, in order, a chunk per batch.
func TestQueueGrowsByChunks(t *testing.T) {
	w := New(Config{QueueLen: 256, QueueBytes: 1 << 20})
	c, s := oneSocket(t, w, httptest.NewUnstartedServer(w))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	const n = 200
	s.qmu.Lock()
	s.writing = true // the writer is busy elsewhere: everything waits in the queue
	s.workers.Add(1)
	s.qmu.Unlock()
	for i := range n {
		ok, claimed := s.enqueue(outMsg{data: []byte(`{"type":"pong","ref":"` + strconv.Itoa(i) + `"}`), kind: "pong"})
		if !ok || claimed {
			t.Fatalf("message %d: queued %v, claimed %v; want queued behind the busy writer", i, ok, claimed)
		}
	}
	s.qmu.Lock()
	if s.count != n {
		t.Errorf("count %d; want %d", s.count, n)
	}
	if len(s.queue) > queueChunk || cap(s.queue) > 2*queueChunk {
		t.Errorf("the first chunk holds %d messages (room for %d); want at most %d", len(s.queue), cap(s.queue), queueChunk)
	}
	for i, ch := range s.more {
		if cap(ch) != queueChunk || (i < len(s.more)-1 && len(ch) != queueChunk) {
			t.Errorf("chunk %d: %d messages of %d; want chunks of %d", i+1, len(ch), cap(ch), queueChunk)
		}
	}
	s.qmu.Unlock()
	go s.flush()

	readRefs(ctx, t, c, n)
	s.qmu.Lock()
	defer s.qmu.Unlock()
	if s.count != 0 || s.queued != 0 || len(s.more) != 0 {
		t.Errorf("after the writer: count %d, bytes %d, %d chunks; want an empty queue", s.count, s.queued, len(s.more))
	}
}

// TestWriterFramesMessages: messages of every header form reach a real websocket client whole
// and in order, in one batch and one at a time.
func TestWriterFramesMessages(t *testing.T) {
	w := New(Config{})
	c, s := oneSocket(t, w, httptest.NewUnstartedServer(w))
	c.SetReadLimit(1 << 20)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sizes := []int{0, 1, 125, 126, 127, 65535, 65536, 200000}
	var want [][]byte
	for i, n := range sizes {
		want = append(want, bytes.Repeat([]byte{'a' + byte(i)}, n))
	}
	s.qmu.Lock()
	for _, b := range want[:4] { // one batch
		s.pushLocked(outMsg{data: b, kind: "event"})
	}
	s.writing = true
	s.workers.Add(1)
	s.qmu.Unlock()
	go s.flush()
	for _, b := range want[4:] { // one by one, as fan-out would
		s.send(outMsg{data: b, kind: "event"})
	}
	for i, b := range want {
		typ, got, err := c.Read(ctx)
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		if typ != websocket.MessageText || !bytes.Equal(got, b) {
			t.Fatalf("message %d: %v of %d bytes; want text of %d", i, typ, len(got), len(b))
		}
	}
}

// TestWriteNow: a message for a socket whose writer is idle is written by the sender itself,
// with no task for the pool. When the socket's send buffer does not take a batch whole, the
// sender still returns at once, and a writer on the pool writes the rest: the client reads every
// message whole and in order, and a close frame only after the last frame begun.
func TestWriteNow(t *testing.T) {
	w := New(Config{})
	srv := httptest.NewUnstartedServer(w)
	// The client's receive buffer is small, so that a few messages fill what is in between.
	dialer := &net.Dialer{}
	opts := &websocket.DialOptions{HTTPClient: &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := dialer.DialContext(ctx, network, addr)
			if err == nil {
				err = c.(*net.TCPConn).SetReadBuffer(32 << 10)
			}
			return c, err
		},
	}}}
	c, s := oneSocketWith(t, w, srv, opts)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if s.rc == nil {
		t.Fatal("the session of a TCP socket has no descriptor to write to without waiting")
	}
	if err := s.sc.Conn.(*net.TCPConn).SetWriteBuffer(32 << 10); err != nil {
		t.Fatal(err)
	}

	before := w.pool.Tasks()
	s.send(outMsg{data: []byte(`{"type":"pong","ref":"now"}`), kind: "pong"})
	if n := w.pool.Tasks() - before; n != 0 {
		t.Errorf("the pool ran %d tasks for one message to an idle socket; want 0 (the sender writes it)", n)
	}
	if _, b, err := c.Read(ctx); err != nil || !bytes.Contains(b, []byte(`"ref":"now"`)) {
		t.Fatalf("read %s, %v; want the message sent", b, err)
	}

	// sendAll sends n messages of 8 KiB, as fan-out would, on another goroutine: none may wait
	// for the client, which reads nothing meanwhile.
	pad := strings.Repeat("x", 8<<10)
	msg := func(i int) []byte {
		return []byte(`{"type":"pong","ref":"` + strconv.Itoa(i) + `","pad":"` + pad + `"}`)
	}
	sendAll := func(from, n int) {
		t.Helper()
		sent := make(chan struct{})
		go func() {
			defer close(sent)
			for i := from; i < from+n; i++ {
				s.send(outMsg{data: msg(i), kind: "pong"})
			}
		}()
		select {
		case <-sent:
		case <-time.After(10 * time.Second):
			t.Fatal("sending waited for a client that does not read")
		}
	}
	// readInOrder reads messages from, from+1, ... until the read fails, and returns the next.
	readInOrder := func(from int) (int, error) {
		for i := from; ; i++ {
			_, b, err := c.Read(ctx)
			if err != nil {
				return i, err
			}
			if !bytes.Equal(b, msg(i)) {
				t.Fatalf("message %d is %.60s... (%d bytes); want %d", i, b, len(b), len(msg(i)))
			}
		}
	}

	before = w.pool.Tasks()
	const n = 40
	sendAll(0, n)
	if w.pool.Tasks() == before {
		t.Error("no writer on the pool ran: the socket's buffers took 320 KiB without a reader")
	}
	for i := range n {
		_, b, err := c.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b, msg(i)) {
			t.Fatalf("message %d is %.60s... (%d bytes); want %d", i, b, len(b), len(msg(i)))
		}
	}

	// Closing with frames half written: the close frame follows the last frame begun, and the
	// messages not begun are dropped (a closing socket writes nothing more).
	sendAll(n, n)
	s.closeWith(websocket.StatusCode(4000), "test close")
	next, err := readInOrder(n)
	if got := websocket.CloseStatus(err); got != 4000 {
		t.Fatalf("after %d messages the read failed with %v; want close 4000", next-n, err)
	}
}

// TestPingsRunOnThePool: a socket's pings are written by the node's pool, whose goroutines have
// grown their stacks already, not by the timer's new goroutine of each ping; and the socket lives
// on, its client answering them. The socket does not park, so its reads are not on the pool: the
// pool's tasks are its pings.
func TestPingsRunOnThePool(t *testing.T) {
	w := New(Config{NoPark: true, PingEvery: 20 * time.Millisecond, PongWait: 5 * time.Second})
	c, s := oneSocket(t, w, httptest.NewUnstartedServer(w))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { // answers the pings (the library does, while a read waits)
		for ctx.Err() == nil {
			if _, _, err := c.Read(ctx); err != nil {
				return
			}
		}
	}()
	before := w.pool.Tasks()
	for deadline := time.Now().Add(10 * time.Second); w.pool.Tasks()-before < 5; {
		if time.Now().After(deadline) {
			t.Fatalf("the pool ran %d tasks in 10 s of pings every 20 ms; want its pings", w.pool.Tasks()-before)
		}
		time.Sleep(10 * time.Millisecond)
	}
	select {
	case <-s.done:
		t.Fatal("the socket closed: its pings or their pongs went wrong")
	default:
	}
}
