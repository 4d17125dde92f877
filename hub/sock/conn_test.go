package sock

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
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

// msg is a Message for the tests: a text frame, or opPing etc.
type msg struct {
	op   byte
	data []byte
}

func (m msg) Frame() (byte, []byte) {
	if m.op == 0 {
		return OpText, m.data
	}
	return m.op, m.data
}

// TestConnFrames: outside a batch every write goes to the connection; a batch's frames go
// out in one write, small payloads copied, a big one written from the message itself (shared by
// every socket that sends it, not copied per socket), all in order.
func TestConnFrames(t *testing.T) {
	server, client := net.Pipe()
	defer client.Close()
	var writes atomic.Int64
	sc := NewConn(countingConn{server, &writes}, time.Second, nil)
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
	small := []msg{{data: []byte("c")}, {data: []byte("d")}}
	if rest := Frame(sc, small); len(rest) != 0 {
		t.Fatalf("%d small messages left unframed", len(rest))
	}
	if writes.Load() != 2 {
		t.Fatalf("a framed message reached the connection before WriteOut")
	}
	if err := sc.WriteOut(); err != nil {
		t.Fatal(err)
	}
	if s := read(4); s != "\x81\x01c\x81\x01d" || writes.Load() != 3 {
		t.Fatalf("read %q with %d writes; want both frames with 3", s, writes.Load())
	}

	big := bytes.Repeat([]byte("x"), copyMax+1)
	sc.wmu.Lock()
	rest := frameLocked(sc, []msg{{data: []byte("e")}, {data: big}, {data: []byte("f")}}, frameCopies, frameWindow)
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
	if err := sc.WriteOut(); err != nil {
		t.Fatal(err)
	}
	want := "\x81\x01e" + string(appendFrameHeader(nil, OpText, len(big))) + string(big) + "\x81\x01f"
	if s := read(len(want)); s != want {
		t.Fatalf("read %d bytes; want the three frames in order (%d bytes)", len(s), len(want))
	}

	// A batch bigger than the window is framed a window at a time, whether its messages are
	// copied or shared.
	for _, size := range []int{copyMax, frameWindow / 2} {
		var many []msg
		for range 2*frameCopies/copyMax + 1 {
			many = append(many, msg{data: bytes.Repeat([]byte("y"), size)})
		}
		rest := Frame(sc, many)
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
		sc.WriteOut()
		read(n * (size + len(appendFrameHeader(nil, OpText, size))))
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
		if got := appendFrameHeader(nil, OpText, tc.n); !bytes.Equal(got, tc.want) {
			t.Errorf("header of %d bytes = % x; want % x", tc.n, got, tc.want)
		}
	}
}

// TestNoFramesAfterClose: once a close frame went out, the session's frames are dropped: nothing
// may follow it (RFC 6455, 5.5.1).
func TestNoFramesAfterClose(t *testing.T) {
	server, client := net.Pipe()
	defer client.Close()
	var writes atomic.Int64
	sc := NewConn(countingConn{server, &writes}, time.Second, nil)
	defer sc.Close()
	go io.Copy(io.Discard, client)
	Frame(sc, []msg{{data: []byte("before")}})
	if err := sc.WriteOut(); err != nil || writes.Load() != 1 {
		t.Fatalf("%d writes, %v; want the message written", writes.Load(), err)
	}
	if _, err := sc.Write([]byte{closeFrameStart, 2, 0x03, 0xe8}); err != nil { // as the websocket package closes
		t.Fatal(err)
	}
	Frame(sc, []msg{{data: []byte("after")}, {op: OpPing}})
	sc.WriteOut()
	if WriteNow(sc, []msg{{data: []byte("now")}}) != true {
		t.Errorf("WriteNow after the close frame left something to write")
	}
	if writes.Load() != 2 {
		t.Errorf("%d writes; want 2 (the message, the close frame, nothing after)", writes.Load())
	}
}

type fakeHijacker struct {
	http.ResponseWriter
	conn net.Conn
	brw  *bufio.ReadWriter
}

func (f fakeHijacker) Hijack() (net.Conn, *bufio.ReadWriter, error) { return f.conn, f.brw, nil }

// TestSmallBuffersKeepsPendingBytes: bytes the client sent right behind the handshake, which
// net/http had already buffered, are read first from the swapped connection, then the rest;
// what net/http had not flushed yet is written before the swap.
func TestSmallBuffersKeepsPendingBytes(t *testing.T) {
	server, client := net.Pipe()
	defer server.Close()
	defer client.Close()
	// net/http's reader holds "early" (read from the client before the hijack).
	br := bufio.NewReaderSize(io.MultiReader(strings.NewReader("early"), server), 4096)
	if _, err := br.Peek(5); err != nil {
		t.Fatal(err)
	}
	bw := bufio.NewWriterSize(server, 4096)
	bw.WriteString("unflushed ")
	f := fakeHijacker{ResponseWriter: httptest.NewRecorder(), conn: server, brw: bufio.NewReadWriter(br, bw)}

	got := make(chan string, 1)
	go func() {
		b := make([]byte, len("unflushed "))
		io.ReadFull(client, b)
		got <- string(b)
		client.Write([]byte(" late"))
	}()
	sb, ok := NewResponseWriter(f, time.Second, 0, nil)
	if !ok {
		t.Fatal("a hijackable writer was refused")
	}
	c, brw, err := sb.Hijack()
	if err != nil {
		t.Fatal(err)
	}
	if s := <-got; s != "unflushed " {
		t.Errorf("client read %q before the swap; want the unflushed bytes", s)
	}
	if brw.Reader.Size() != connReadBuf || brw.Writer.Size() != connWriteBuf {
		t.Errorf("buffers %d/%d; want %d/%d", brw.Reader.Size(), brw.Writer.Size(), connReadBuf, connWriteBuf)
	}
	b := make([]byte, len("early late"))
	if _, err := io.ReadFull(brw.Reader, b); err != nil || string(b) != "early late" {
		t.Errorf("read %q %v; want the pending bytes, then the connection's", b, err)
	}
	if c.(*Conn).pending != nil {
		t.Errorf("pending bytes kept after they were read")
	}
}
