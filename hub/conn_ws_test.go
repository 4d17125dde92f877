package hub

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
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
// oneSocket serves w on srv (started here), dials one client socket and returns it with the
// session the node runs for it; everything stops when the test ends.
func oneSocket(t *testing.T, w *WS, srv *httptest.Server) (*websocket.Conn, *session) {
	t.Helper()
	return oneSocketWith(t, w, srv, &websocket.DialOptions{})
}

// oneSocketWith is oneSocket with the client's dial options.
func oneSocketWith(t *testing.T, w *WS, srv *httptest.Server, opts *websocket.DialOptions) (*websocket.Conn, *session) {
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

func TestWriterBatches(t *testing.T) {
	w := NewWS(WSConfig{})
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

// TestSockConnFrames: outside a batch every write goes to the connection; a batch's frames go
// out in one write, small payloads copied, a big one written from the message itself (shared by
// every socket that sends it, not copied per socket), all in order.
func TestSockConnFrames(t *testing.T) {
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
	small := []outMsg{{data: []byte("c")}, {data: []byte("d")}}
	if rest := sc.frame(small); len(rest) != 0 {
		t.Fatalf("%d small messages left unframed", len(rest))
	}
	if writes.Load() != 2 {
		t.Fatalf("a framed message reached the connection before writeOut")
	}
	if err := sc.writeOut(); err != nil {
		t.Fatal(err)
	}
	if s := read(4); s != "\x81\x01c\x81\x01d" || writes.Load() != 3 {
		t.Fatalf("read %q with %d writes; want both frames with 3", s, writes.Load())
	}

	big := bytes.Repeat([]byte("x"), copyMax+1)
	sc.wmu.Lock()
	rest := sc.frameLocked([]outMsg{{data: []byte("e")}, {data: big}, {data: []byte("f")}}, frameCopies, frameWindow)
	shared := false
	for _, seg := range sc.out {
		if len(seg) > 0 && &seg[0] == &big[0] {
			shared = true
		}
	}
	sc.wmu.Unlock()
	if len(rest) != 0 || !shared {
		t.Fatalf("a big payload was copied (shared %v, %d left)", shared, len(rest))
	}
	if err := sc.writeOut(); err != nil {
		t.Fatal(err)
	}
	want := "\x81\x01e" + string(appendFrameHeader(nil, opText, len(big))) + string(big) + "\x81\x01f"
	if s := read(len(want)); s != want {
		t.Fatalf("read %d bytes; want the three frames in order (%d bytes)", len(s), len(want))
	}

	// A batch bigger than the window is framed a window at a time, whether its messages are
	// copied or shared.
	for _, size := range []int{copyMax, frameWindow / 2} {
		var many []outMsg
		for range 2*frameCopies/copyMax + 1 {
			many = append(many, outMsg{data: bytes.Repeat([]byte("y"), size)})
		}
		rest := sc.frame(many)
		sc.wmu.Lock()
		copied := 0
		for _, b := range sc.bufs {
			copied += len(*b)
		}
		sc.wmu.Unlock()
		if len(rest) == 0 || copied > frameCopies+copyMax+10 {
			t.Errorf("messages of %d bytes: %d of %d left unframed, %d bytes copied; want a window framed", size, len(rest), len(many), copied)
		}
		n := len(many) - len(rest)
		sc.writeOut()
		read(n * (size + len(appendFrameHeader(nil, opText, size))))
	}
	sc.wmu.Lock()
	idle := len(sc.out) == 0 && len(sc.bufs) == 0
	sc.wmu.Unlock()
	if !idle {
		t.Errorf("the connection holds frame buffers once everything was written")
	}
	server.Close()
	<-done
}

// TestFrameHeaders: the frame header the writer puts before each message, at the length
// boundaries of the three header forms (RFC 6455, 5.2).
func TestFrameHeaders(t *testing.T) {
	for _, tc := range []struct {
		n    int
		want []byte
	}{
		{0, []byte{0x81, 0}},
		{125, []byte{0x81, 125}},
		{126, []byte{0x81, 126, 0, 126}},
		{65535, []byte{0x81, 126, 0xff, 0xff}},
		{65536, []byte{0x81, 127, 0, 0, 0, 0, 0, 1, 0, 0}},
		{1 << 24, []byte{0x81, 127, 0, 0, 0, 0, 1, 0, 0, 0}},
	} {
		if got := appendFrameHeader(nil, opText, tc.n); !bytes.Equal(got, tc.want) {
			t.Errorf("header of %d bytes = % x; want % x", tc.n, got, tc.want)
		}
	}
}

// TestWriterFramesMessages: messages of every header form reach a real websocket client whole
// and in order, in one batch and one at a time.
func TestWriterFramesMessages(t *testing.T) {
	w := NewWS(WSConfig{})
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
		s.queue = append(s.queue, outMsg{data: b, kind: "event"})
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

// TestNoFramesAfterClose: once a close frame went out, the session's frames are dropped: nothing
// may follow it (RFC 6455, 5.5.1).
func TestNoFramesAfterClose(t *testing.T) {
	server, client := net.Pipe()
	defer client.Close()
	var writes atomic.Int64
	sc := newSockConn(countingConn{server, &writes}, time.Second)
	defer sc.Close()
	go io.Copy(io.Discard, client)
	sc.frame([]outMsg{{data: []byte("before")}})
	if err := sc.writeOut(); err != nil || writes.Load() != 1 {
		t.Fatalf("%d writes, %v; want the message written", writes.Load(), err)
	}
	if _, err := sc.Write([]byte{closeFrameStart, 2, 0x03, 0xe8}); err != nil { // as the websocket package closes
		t.Fatal(err)
	}
	sc.frame([]outMsg{{data: []byte("after")}, {op: opPing}})
	sc.writeOut()
	if sc.writeNow([]outMsg{{data: []byte("now")}}) != true {
		t.Errorf("writeNow after the close frame left something to write")
	}
	if writes.Load() != 2 {
		t.Errorf("%d writes; want 2 (the message, the close frame, nothing after)", writes.Load())
	}
}

// TestWriteNow: a message for a socket whose writer is idle is written by the sender itself,
// with no task for the pool. When the socket's send buffer does not take a batch whole, the
// sender still returns at once, and a writer on the pool writes the rest: the client reads every
// message whole and in order, and a close frame only after the last frame begun.
func TestWriteNow(t *testing.T) {
	w := NewWS(WSConfig{})
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

	before := w.pool.tasks.Load()
	s.send(outMsg{data: []byte(`{"type":"pong","ref":"now"}`), kind: "pong"})
	if n := w.pool.tasks.Load() - before; n != 0 {
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

	before = w.pool.tasks.Load()
	const n = 40
	sendAll(0, n)
	if w.pool.tasks.Load() == before {
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
