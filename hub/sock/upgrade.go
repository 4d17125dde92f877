package sock

import (
	"bufio"
	"bytes"
	"net"
	"net/http"
	"time"
)

// Buffer sizes of an accepted connection. net/http hands a hijacked connection 4 KiB for
// reading and 4 KiB for writing, which every socket would hold for its life. Client messages are
// small (and limited by ReadLimit): a bigger one is read straight into the message by the
// websocket package. Messages to the client are framed and gathered by the socket's writer (see
// Conn), so the write buffer only carries the control frames the websocket package writes.
const (
	connReadBuf  = 512
	connWriteBuf = 256
)

// hijacker finds the http.Hijacker of rw, through the Unwrap methods of wrapping writers (as
// http.ResponseController does).
func hijacker(rw http.ResponseWriter) (http.Hijacker, bool) {
	for {
		switch t := rw.(type) {
		case http.Hijacker:
			return t, true
		case interface{ Unwrap() http.ResponseWriter }:
			rw = t.Unwrap()
		default:
			return nil, false
		}
	}
}

// ResponseWriter is the http.ResponseWriter to give to websocket.Accept: its Hijack swaps
// net/http's buffers for small ones and the connection for a Conn, and sets the kernel's send
// buffer of a TCP connection to the one asked for (when positive).
type ResponseWriter struct {
	http.ResponseWriter
	hj           http.Hijacker
	writeTimeout time.Duration
	sendBuffer   int
	gate         *BulkGate
	conn         *Conn         // set by Hijack
	br           *bufio.Reader // set by Hijack: the reader the websocket package reads conn through
}

// NewResponseWriter wraps rw for an upgrade whose connection gives every write writeTimeout,
// has a kernel send buffer of sendBuffer bytes (0: the system's) and paces its bulk writes at
// gate (nil: not paced). ok is false when rw cannot be hijacked (not HTTP/1.1).
func NewResponseWriter(rw http.ResponseWriter, writeTimeout time.Duration, sendBuffer int, gate *BulkGate) (w *ResponseWriter, ok bool) {
	hj, ok := hijacker(rw)
	if !ok {
		return nil, false
	}
	return &ResponseWriter{ResponseWriter: rw, hj: hj, writeTimeout: writeTimeout, sendBuffer: sendBuffer, gate: gate}, true
}

// Conn is the connection once hijacked (nil before).
func (w *ResponseWriter) Conn() *Conn { return w.conn }

// Reader is the buffered reader the websocket package reads the connection through (nil before
// the hijack).
func (w *ResponseWriter) Reader() *bufio.Reader { return w.br }

// Hijack implements http.Hijacker.
func (w *ResponseWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, brw, err := w.hj.Hijack()
	if err != nil {
		return nil, nil, err
	}
	if brw.Writer.Buffered() > 0 {
		if err := brw.Writer.Flush(); err != nil {
			c.Close()
			return nil, nil, err
		}
	}
	if tc, ok := c.(*net.TCPConn); ok && w.sendBuffer > 0 {
		if err := tc.SetWriteBuffer(w.sendBuffer); err != nil {
			c.Close()
			return nil, nil, err
		}
	}
	sc := NewConn(c, w.writeTimeout, w.gate)
	if n := brw.Reader.Buffered(); n > 0 {
		// Bytes the client sent after the handshake, already read by net/http.
		b, _ := brw.Reader.Peek(n)
		sc.pending = bytes.Clone(b)
	}
	w.conn, w.br = sc, bufio.NewReaderSize(sc, connReadBuf)
	return sc, bufio.NewReadWriter(w.br, bufio.NewWriterSize(sc, connWriteBuf)), nil
}
