package ws_test

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/tourhub/tourhub/hub/ws"
	"github.com/tourhub/tourhub/match"
)

// readCounter counts the bytes a client reads off the wire.
type readCounter struct {
	net.Conn
	n *atomic.Int64
}

func (c readCounter) Read(p []byte) (int, error) {
	k, err := c.Conn.Read(p)
	c.n.Add(int64(k))
	return k, err
}

// dialCounting dials n with compression offered (as browsers do) or not, counting the bytes read.
func dialCounting(t *testing.T, n *wsNode, mode websocket.CompressionMode, read *atomic.Int64) (*wsClient, string) {
	t.Helper()
	c, resp := dialOffering(t, n, []string{ws.Subprotocol}, mode, read)
	return c, resp.Header.Get("Sec-WebSocket-Extensions")
}

// dialOffering dials n offering protocols and compression mode, counting the bytes read from
// the connection into read; it returns the client and the handshake's response.
func dialOffering(t *testing.T, n *wsNode, protocols []string, mode websocket.CompressionMode, read *atomic.Int64) (*wsClient, *http.Response) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tr := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return readCounter{c, read}, nil
	}}
	c, resp, err := websocket.Dial(ctx, n.srv.URL, &websocket.DialOptions{
		Subprotocols:    protocols,
		HTTPHeader:      http.Header{"Origin": {wsTestOrigin}},
		HTTPClient:      &http.Client{Transport: tr},
		CompressionMode: mode,
		// The client compresses what it sends too, however short, so that the node must inflate it.
		CompressionThreshold: 1,
	})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	c.SetReadLimit(1 << 24)
	t.Cleanup(func() { c.CloseNow() })
	return &wsClient{t: t, c: c}, resp
}

// TestDeflate: a client that offers permessage-deflate gets it without context takeover either
// way, and is sent the compressed form of a big snapshot (a fraction of its bytes on the wire),
// which decodes to the same message the plain client gets; its own compressed messages are read.
// The events of a result go uncompressed (sock.DeflateMin) and arrive alike. With NoDeflate the
// offer is declined.
func TestDeflate(t *testing.T) {
	t.Parallel()
	n := newWSNode(t, wsNodeOpts{})
	names := make([]string, 128)
	for i := range names {
		names[i] = "Player " + wsItoa(i+1)
	}
	n.tourney(t, "td", names...)
	n.apply(t, "td", match.Command{Type: match.CmdStart})

	var plainRead, zRead atomic.Int64
	plain, ext := dialCounting(t, n, websocket.CompressionDisabled, &plainRead)
	if ext != "" {
		t.Fatalf("a client that offered nothing got %q", ext)
	}
	z, ext := dialCounting(t, n, websocket.CompressionContextTakeover, &zRead)
	if !strings.Contains(ext, "permessage-deflate") || !strings.Contains(ext, "server_no_context_takeover") ||
		!strings.Contains(ext, "client_no_context_takeover") {
		t.Fatalf("extensions %q; want permessage-deflate without context takeover either way", ext)
	}

	snapshot := func(c *wsClient, read *atomic.Int64) ([]byte, int64) {
		t.Helper()
		before := read.Load()
		c.send(map[string]any{"type": "subscribe", "tournament": "td"}) // compressed by z's client
		c.expect("subscribed")
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, b, err := c.c.Read(ctx)
		if err != nil || !bytes.HasPrefix(b, []byte(`{"type":"snapshot"`)) {
			t.Fatalf("read %.40q, %v; want the snapshot", b, err)
		}
		return b, read.Load() - before
	}
	ps, pWire := snapshot(plain, &plainRead)
	zs, zWire := snapshot(z, &zRead)
	if !bytes.Equal(ps, zs) {
		t.Fatalf("the compressed snapshot decodes to %d bytes that differ from the plain %d", len(zs), len(ps))
	}
	if pWire < int64(len(ps)) || zWire*4 > pWire {
		t.Errorf("snapshot of %d bytes: %d bytes on the wire plain, %d compressed; want under a quarter", len(ps), pWire, zWire)
	}

	a := n.apply(t, "td", match.Command{Type: match.CmdReport, Match: 1, Scores: [2]int{1, 0}})
	pe := wsReadEvents(t, plain, a.Version-1, a.Version)
	ze := wsReadEvents(t, z, a.Version-1, a.Version)
	if len(pe) != 1 || len(ze) != 1 || len(pe[0].Events) != len(ze[0].Events) {
		t.Fatalf("events %+v and %+v; want the same one", pe, ze)
	}

	// A message that is small compressed but over the read limit inflated closes the socket with
	// 1009 (a compression bomb is bounded like any big message).
	var bombRead atomic.Int64
	bomb, _ := dialCounting(t, n, websocket.CompressionContextTakeover, &bombRead)
	big := `{"type":"ping","ref":"` + strings.Repeat("a", 1<<20) + `"}`
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = bomb.c.Write(ctx, websocket.MessageText, []byte(big))
	if _, _, err := bomb.c.Read(ctx); websocket.CloseStatus(err) != websocket.StatusMessageTooBig {
		t.Errorf("a message of 1 MiB inflated: %v; want close 1009", err)
	}

	off := newWSNode(t, wsNodeOpts{cfg: ws.Config{NoDeflate: true}})
	var offRead atomic.Int64
	if _, ext := dialCounting(t, off, websocket.CompressionContextTakeover, &offRead); ext != "" {
		t.Errorf("NoDeflate: extensions %q; want none", ext)
	}
}
