package ws_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"testing"
	"time"

	"github.com/tourhub/tourhub/hub/view"
	"github.com/tourhub/tourhub/hub/ws"
	"github.com/tourhub/tourhub/match"
)

// liveHeap is the heap in use after a collection.
func liveHeap() uint64 {
	runtime.GC()
	runtime.GC() // a second cycle lets go of what the first one's sync.Pool cleanup released
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// silentSocket is a client that subscribes and then reads nothing (but the small replies it is
// told to wait for), with a receive buffer as small as the kernel allows.
type silentSocket struct {
	t  *testing.T
	c  net.Conn
	br *bufio.Reader
}

func dialSilent(t *testing.T, base string) *silentSocket {
	t.Helper()
	u, _ := url.Parse(base)
	d := net.Dialer{Timeout: 5 * time.Second, Control: nil}
	c, err := d.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.(*net.TCPConn).SetReadBuffer(1); err != nil { // the kernel's minimum
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(30 * time.Second))
	fmt.Fprintf(c, "GET /ws HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"+
		"Sec-WebSocket-Protocol: %s\r\nOrigin: %s\r\n\r\n", u.Host, ws.Subprotocol, wsTestOrigin)
	br := bufio.NewReaderSize(c, 16)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("handshake: %s", resp.Status)
	}
	return &silentSocket{t: t, c: c, br: br}
}

// subscribe subscribes to id and reads the subscribed reply, but not the snapshot behind it.
func (s *silentSocket) subscribe(id string) {
	s.t.Helper()
	b, _ := json.Marshal(map[string]any{"type": "subscribe", "tournament": id})
	if _, err := s.c.Write(frame(0x1, b)); err != nil {
		s.t.Fatal(err)
	}
	h := make([]byte, 2)
	if _, err := io.ReadFull(s.br, h); err != nil {
		s.t.Fatal(err)
	}
	n := int(h[1] & 0x7f)
	if h[0]&0x0f != 0x1 || n >= 126 {
		s.t.Fatalf("frame % x; want the subscribed reply first", h)
	}
	p := make([]byte, n)
	if _, err := io.ReadFull(s.br, p); err != nil {
		s.t.Fatal(err)
	}
	var m wsMsg
	if err := json.Unmarshal(p, &m); err != nil || m.Type != "subscribed" {
		s.t.Fatalf("got %s; want subscribed", p)
	}
}

// TestWSNeverReadingSocketsShareMessages: sockets that subscribe to a big tournament one after
// another and then read nothing hold one copy of its snapshot between them, not one each (the
// snapshot is encoded once per version and not copied by the writers), and the memory returns
// once they are gone.
func TestWSNeverReadingSocketsShareMessages(t *testing.T) {
	const socks = 48
	n := newWSNode(t, wsNodeOpts{cfg: ws.Config{WriteTimeout: time.Minute, SendBuffer: 64 << 10}})
	names := make([]string, 512)
	for i := range names {
		names[i] = fmt.Sprintf("player %03d", i)
	}
	n.tourneyWith(t, "big", match.Settings{Format: match.DoubleElimination, MaxPlayers: len(names)}, names...)
	n.apply(t, "big", match.Command{Type: match.CmdStart})
	st, epoch, err := n.store.Load(t.Context(), "big")
	if err != nil {
		t.Fatal(err)
	}
	snap, _ := json.Marshal(view.NewView(st, epoch))
	size := uint64(len(snap))

	before := liveHeap()
	var cs []*silentSocket
	for range socks {
		c := dialSilent(t, n.srv.URL)
		c.subscribe("big")
		cs = append(cs, c)
	}
	during := liveHeap()
	held := during - min(before, during)
	// Each socket may hold its small buffers and what its writer copied (frameCopies), but the
	// snapshot only once between them (twice: the writers framing it share it too).
	if limit := 2*size + socks*32<<10; held > limit {
		t.Errorf("%d sockets that read nothing hold %d KiB after subscribing to a %d KiB snapshot; want at most %d KiB",
			socks, held>>10, size>>10, limit>>10)
	}

	for _, c := range cs {
		c.c.Close()
	}
	deadline := time.Now().Add(30 * time.Second)
	for n.ws.Sockets() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d sockets still open after their clients left", n.ws.Sockets())
		}
		time.Sleep(10 * time.Millisecond)
	}
	// What the sessions' goroutines and the pool's let go of, once they have all ended.
	after := liveHeap()
	for after > before+size && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		after = liveHeap()
	}
	if after > before+size {
		t.Errorf("heap %d KiB after the sockets left; want back to %d KiB (+%d)", after>>10, before>>10, size>>10)
	}
	t.Logf("snapshot %d KiB; heap %d KiB before, +%d KiB with %d sockets", size>>10, before>>10, held>>10, socks)
}
