package ws_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/tourhub/tourhub/hub/ws"
	"github.com/tourhub/tourhub/match"
)

// readers counts the goroutines reading a socket for a session (parked sockets have none).
func readers() int {
	buf := make([]byte, 8<<20)
	buf = buf[:runtime.Stack(buf, true)]
	n := 0
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "ws.(*session).readTurn") {
			n++
		}
	}
	return n
}

// waitReaders waits until ok(readers()) holds.
func waitReaders(t *testing.T, what string, ok func(int) bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		n := readers()
		if ok(n) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d socket readers; want %s", n, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// bgClient reads its socket all the time, as a browser does (which is also what answers the
// server's pings), and hands over the messages it reads.
type bgClient struct {
	c    *websocket.Conn
	msgs chan []byte
	done chan error
}

func startReading(t *testing.T, c *websocket.Conn) *bgClient {
	b := &bgClient{c: c, msgs: make(chan []byte, 64), done: make(chan error, 1)}
	go func() {
		for {
			_, m, err := c.Read(context.Background())
			if err != nil {
				b.done <- err
				return
			}
			b.msgs <- m
		}
	}()
	t.Cleanup(func() { c.CloseNow() })
	return b
}

func (b *bgClient) next(t *testing.T, typ string) wsMsg {
	t.Helper()
	for {
		select {
		case raw := <-b.msgs:
			var m wsMsg
			if err := json.Unmarshal(raw, &m); err != nil {
				t.Fatalf("decode %s: %v", raw, err)
			}
			if m.Type == typ {
				return m
			}
		case err := <-b.done:
			t.Fatalf("socket ended before a %s: %v", typ, err)
		case <-time.After(10 * time.Second):
			t.Fatalf("no %s within 10s", typ)
		}
	}
}

// TestIdleSocketsPark: a socket with nothing to read holds no reader goroutine (it parks, unless
// parking is off), and parked sockets still get their events, answer the server's pings (for
// many intervals, without a reader staying behind), answer messages and the client's own pings,
// and are let go when the client hangs up.
func TestIdleSocketsPark(t *testing.T) {
	for _, noPark := range []bool{false, true} {
		t.Run(fmt.Sprintf("nopark=%v", noPark), func(t *testing.T) {
			const socks = 20
			n := newWSNode(t, wsNodeOpts{cfg: ws.Config{NoPark: noPark, PingEvery: 20 * time.Millisecond, PongWait: 5 * time.Second}})
			n.tourney(t, "tp", "Ada", "Grace")
			cs := make([]*bgClient, socks)
			for i := range cs {
				c := n.dial(t)
				c.subscribe("tp")
				cs[i] = startReading(t, c.c)
			}
			idle := func(what string) {
				t.Helper()
				if noPark {
					waitReaders(t, fmt.Sprintf("at least %d (%s)", socks, what), func(r int) bool { return r >= socks })
				} else {
					waitReaders(t, "0 (parked) "+what, func(r int) bool { return r == 0 })
				}
			}
			idle("after subscribing")

			// 25 ping intervals: every socket answers every ping, or its pong wait runs out.
			time.Sleep(25 * 20 * time.Millisecond)
			if got := n.ws.Sockets(); got != socks {
				t.Fatalf("%d sockets after pings; want %d", got, socks)
			}
			idle("after 25 pings")

			a := n.apply(t, "tp", match.Command{Type: match.CmdJoin, Name: "Linus"})
			for _, c := range cs {
				if m := c.next(t, "event"); m.Version != a.Version {
					t.Fatalf("event %d; want %d", m.Version, a.Version)
				}
			}
			for i, c := range cs {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				if err := c.c.Write(ctx, websocket.MessageText, []byte(`{"type":"ping","ref":"p`+fmt.Sprint(i)+`"}`)); err != nil {
					t.Fatal(err)
				}
				if m := c.next(t, "pong"); m.Ref != "p"+fmt.Sprint(i) {
					t.Errorf("pong %+v; want ref p%d", m, i)
				}
				if err := c.c.Ping(ctx); err != nil {
					t.Errorf("client ping: %v", err)
				}
				cancel()
			}
			idle("after messages and client pings")

			for _, c := range cs[:socks/2] {
				c.c.CloseNow()
			}
			deadline := time.Now().Add(10 * time.Second)
			for n.ws.Sockets() != socks-socks/2 {
				if time.Now().After(deadline) {
					t.Fatalf("%d sockets after %d clients hung up; want %d", n.ws.Sockets(), socks/2, socks-socks/2)
				}
				time.Sleep(5 * time.Millisecond)
			}
		})
	}
}

// rawSocket is a hand-made client connection, to send frames split as the test likes.
type rawSocket struct {
	t  *testing.T
	c  net.Conn
	br *bufio.Reader
}

func dialRaw(t *testing.T, base string) *rawSocket {
	t.Helper()
	u, _ := url.Parse(base)
	c, err := net.DialTimeout("tcp", u.Host, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(20 * time.Second))
	fmt.Fprintf(c, "GET /ws HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"+
		"Sec-WebSocket-Protocol: %s\r\nOrigin: %s\r\n\r\n", u.Host, ws.Subprotocol, wsTestOrigin)
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("handshake: %s", resp.Status)
	}
	return &rawSocket{t: t, c: c, br: br}
}

// frame is a masked client frame.
func frame(op byte, payload []byte) []byte {
	key := [4]byte{0x37, 0xfa, 0x21, 0x3d}
	f := []byte{0x80 | op}
	switch n := len(payload); {
	case n < 126:
		f = append(f, 0x80|byte(n))
	default:
		f = append(f, 0x80|126, byte(n>>8), byte(n))
	}
	f = append(f, key[:]...)
	for i, b := range payload {
		f = append(f, b^key[i%4])
	}
	return f
}

// sendSplit writes b in parts, cut at the given offsets, with a pause between them.
func (r *rawSocket) sendSplit(b []byte, cuts ...int) {
	r.t.Helper()
	last := 0
	for _, c := range append(cuts, len(b)) {
		if _, err := r.c.Write(b[last:c]); err != nil {
			r.t.Fatal(err)
		}
		last = c
		time.Sleep(30 * time.Millisecond)
	}
}

// read reads one server frame (unmasked, small).
func (r *rawSocket) read() (byte, []byte) {
	r.t.Helper()
	h := make([]byte, 2)
	if _, err := io.ReadFull(r.br, h); err != nil {
		r.t.Fatal(err)
	}
	n := int(h[1] & 0x7f)
	if n == 126 {
		ext := make([]byte, 2)
		io.ReadFull(r.br, ext)
		n = int(ext[0])<<8 | int(ext[1])
	}
	p := make([]byte, n)
	if _, err := io.ReadFull(r.br, p); err != nil {
		r.t.Fatal(err)
	}
	return h[0] & 0x0f, p
}

// TestParkedSocketSplitFrames: a parked socket reads frames that arrive in pieces (a ping cut
// inside its header, a message cut inside its header and its payload, a pong in two) and answers
// each as a whole, with or without parking.
func TestParkedSocketSplitFrames(t *testing.T) {
	for _, noPark := range []bool{false, true} {
		t.Run(fmt.Sprintf("nopark=%v", noPark), func(t *testing.T) {
			n := newWSNode(t, wsNodeOpts{cfg: ws.Config{NoPark: noPark}})
			r := dialRaw(t, n.srv.URL)

			r.sendSplit(frame(0x9, []byte("hello")), 1, 4)
			if op, p := r.read(); op != 0xa || string(p) != "hello" {
				t.Fatalf("got opcode %x %q; want a pong with hello", op, p)
			}
			msg := []byte(`{"type":"ping","ref":"split"}`)
			r.sendSplit(frame(0x1, msg), 1, 7, 20)
			op, p := r.read()
			if op != 0x1 || !bytes.Contains(p, []byte(`"type":"pong"`)) || !bytes.Contains(p, []byte(`"ref":"split"`)) {
				t.Fatalf("got opcode %x %s; want the pong message for ref split", op, p)
			}
			r.sendSplit(frame(0xa, []byte("x")), 3) // an unsolicited pong: nothing to answer
			r.sendSplit(append(frame(0x9, nil), frame(0x1, msg)...), 2)
			if op, p := r.read(); op != 0xa || len(p) != 0 {
				t.Fatalf("got opcode %x %q; want an empty pong", op, p)
			}
			if op, p := r.read(); op != 0x1 || !bytes.Contains(p, []byte(`"ref":"split"`)) {
				t.Fatalf("got opcode %x %s; want the pong message", op, p)
			}
			// A malformed control frame (fragmented ping) is the websocket package's to refuse.
			bad := frame(0x9, nil)
			bad[0] &^= 0x80
			r.sendSplit(bad)
			op, p = r.read()
			if op != 0x8 || len(p) < 2 || int(p[0])<<8|int(p[1]) != int(websocket.StatusProtocolError) {
				t.Fatalf("got opcode %x %q; want a close frame with 1002", op, p)
			}
		})
	}
}
