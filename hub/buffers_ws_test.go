package hub

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

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
	sb := &smallBuffers{ResponseWriter: f, hj: f, writeTimeout: time.Second}
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
	if c.(*sockConn).pending != nil {
		t.Errorf("pending bytes kept after they were read")
	}
}

// TestFirstPingSpread: sockets that connect together do not ping together: the first ping falls
// anywhere in the second half of the interval.
func TestFirstPingSpread(t *testing.T) {
	every := 20 * time.Second
	seen := map[time.Duration]bool{}
	lo, hi := every, time.Duration(0)
	for range 1000 {
		d := firstPing(every)
		if d < every/2 || d > every {
			t.Fatalf("first ping after %v; want within [%v, %v]", d, every/2, every)
		}
		seen[d] = true
		lo, hi = min(lo, d), max(hi, d)
	}
	if len(seen) < 900 || hi-lo < every/3 {
		t.Errorf("%d distinct first pings spanning %v; want them spread over the half interval", len(seen), hi-lo)
	}
}
