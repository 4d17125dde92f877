package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// The hub's WebSocket subprotocols (docs/protocol.md): v2 differs from v1 only in its compact
// event messages, which browsers read.
const (
	subprotocol   = "tourhub.v1"
	subprotocolV2 = "tourhub.v2"
)

// dialer opens sockets and HTTP requests from a rotating set of loopback source addresses, so that
// more than one address's ~28k ephemeral ports can be used.
type dialer struct {
	clients []*http.Client // one per source address; static after construction
	next    atomic.Uint64
	origin  string // static after construction
	// deflate offers permessage-deflate on the hub's sockets, as browsers do; static after
	// construction.
	deflate bool
	// protocols are the subprotocols offered first on the hub's sockets, in order of preference;
	// static after construction.
	protocols []string
	// life bounds every socket's reader: the whole run, not the setup step that dialled it.
	life context.Context
}

func newDialer(life context.Context, sourceIPs []string, origin string) *dialer {
	d := &dialer{origin: origin, life: life, protocols: []string{subprotocolV2, subprotocol}}
	if len(sourceIPs) == 0 {
		sourceIPs = []string{""}
	}
	for _, ip := range sourceIPs {
		nd := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: -1}
		if ip != "" {
			nd.LocalAddr = &net.TCPAddr{IP: net.ParseIP(ip)}
		}
		tr := &http.Transport{
			DialContext:         nd.DialContext,
			MaxIdleConnsPerHost: 64,
			IdleConnTimeout:     30 * time.Second,
			DisableCompression:  true,
		}
		d.clients = append(d.clients, &http.Client{Transport: tr, Timeout: 15 * time.Second})
	}
	return d
}

// client returns the HTTP client of source address i (modulo their number).
func (d *dialer) client(i int) *http.Client { return d.clients[i%len(d.clients)] }

// rotate returns the next source address's client.
func (d *dialer) rotate() *http.Client {
	return d.clients[int(d.next.Add(1)-1)%len(d.clients)]
}

func (d *dialer) close() {
	for _, c := range d.clients {
		c.CloseIdleConnections()
	}
}

// wsURL turns a node's base URL (http://host:port) into its socket URL.
func wsURL(base string) (string, error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	switch u.Scheme {
	case "http":
		u.Scheme = "ws"
	case "https":
		u.Scheme = "wss"
	}
	u.Path = "/ws"
	return u.String(), nil
}

// msgHandler receives every message a socket reads, with the time the read returned.
type msgHandler func(c *conn, data []byte, at time.Time)

// conn is one client socket. Reads happen on the goroutine readLoop; writes are serialised by wmu.
type conn struct {
	id   int64
	node int
	ws   *websocket.Conn
	sio  bool // a socket.io socket (dialSocketIO)
	wmu  sync.Mutex
	on   atomic.Pointer[msgHandler]
	done chan struct{} // closed when readLoop returns
	// closing is set before we close the socket ourselves, so the reader does not count a drop.
	closing atomic.Bool
	err     error // set before done is closed

	// pending replies by ref; guarded by pmu.
	pmu     sync.Mutex
	pending map[string]chan []byte
	refSeq  atomic.Uint64
}

var connSeq atomic.Int64

// dialConn opens a socket to node (index into nodes) and starts its reader.
func (d *dialer) dialConn(ctx context.Context, nodes []string, node int, protocols []string, st *stats) (*conn, error) {
	u, err := wsURL(nodes[node])
	if err != nil {
		return nil, err
	}
	h := http.Header{}
	if d.origin != "" {
		h.Set("Origin", d.origin)
	}
	dctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	opts := &websocket.DialOptions{HTTPHeader: h, Subprotocols: append(slices.Clone(d.protocols), protocols...)}
	if d.deflate {
		// What a browser offers; the hub answers without context takeover either way. What the
		// load tool sends is small and goes uncompressed.
		opts.CompressionMode = websocket.CompressionContextTakeover
		opts.CompressionThreshold = 1 << 20
	}
	ws, err := d.dial(dctx, u, opts)
	if err != nil {
		return nil, err
	}
	return d.start(ws, node, false, st), nil
}

// dial opens a WebSocket to u from the next source address.
func (d *dialer) dial(ctx context.Context, u string, opts *websocket.DialOptions) (*websocket.Conn, error) {
	opts.HTTPClient = d.rotate()
	ws, resp, err := websocket.Dial(ctx, u, opts)
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", u, err)
	}
	return ws, nil
}

// peerSocketIO is --peer for socket.io servers.
const peerSocketIO = "socketio"

// dialSocketIO opens a socket.io 4 client socket to a peer baseline server (bench/baseline):
// engine.io 4 over WebSocket only, joined to the default namespace. The fan-out comparison then
// measures every server with the same client. The server's events arrive as
// 42["event",{...}], whose top-level fields fieldRaw finds as in the hub's messages; its pings
// ("2") are answered ("3").
func (d *dialer) dialSocketIO(ctx context.Context, nodes []string, node int, st *stats) (*conn, error) {
	u, err := wsURL(nodes[node])
	if err != nil {
		return nil, err
	}
	u = strings.TrimSuffix(u, "/ws") + "/socket.io/?EIO=4&transport=websocket"
	dctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	ws, err := d.dial(dctx, u, &websocket.DialOptions{})
	if err != nil {
		return nil, err
	}
	// The open packet (0{"sid":...}), our connect to the default namespace (40), its answer (40{...}).
	fail := func(err error) (*conn, error) {
		ws.CloseNow()
		return nil, fmt.Errorf("socket.io handshake with %s: %w", u, err)
	}
	if _, b, err := ws.Read(dctx); err != nil {
		return fail(err)
	} else if len(b) == 0 || b[0] != '0' {
		return fail(fmt.Errorf("got %.40q; want an open packet (0{...})", b))
	}
	if err := ws.Write(dctx, websocket.MessageText, []byte("40")); err != nil {
		return fail(err)
	}
	if _, b, err := ws.Read(dctx); err != nil {
		return fail(err)
	} else if !bytes.HasPrefix(b, []byte("40")) {
		return fail(fmt.Errorf("got %.40q; want a connect answer (40{...})", b))
	}
	return d.start(ws, node, true, st), nil
}

// start makes a dialled socket a conn and starts its reader. sio: it speaks socket.io.
func (d *dialer) start(ws *websocket.Conn, node int, sio bool, st *stats) *conn {
	ws.SetReadLimit(8 << 20)
	c := &conn{id: connSeq.Add(1), node: node, ws: ws, sio: sio, done: make(chan struct{}), pending: map[string]chan []byte{}}
	st.opened(node)
	// The end of the run closes the socket, which ends its reader. The reader's Read takes no
	// context: the websocket package would arm a timer for every message read.
	stop := context.AfterFunc(d.life, c.close)
	go func() {
		defer stop()
		c.readLoop(d.life, st)
	}()
	return c
}

// setHandler sets the function that sees every message (replies included).
func (c *conn) setHandler(h msgHandler) { c.on.Store(&h) }

func (c *conn) readLoop(ctx context.Context, st *stats) {
	defer close(c.done)
	for {
		_, data, err := c.ws.Read(context.Background())
		if err != nil {
			c.err = err
			dropped := ctx.Err() == nil && !c.closing.Load() && websocket.CloseStatus(err) != websocket.StatusNormalClosure
			st.closed(c.node, dropped)
			if dropped {
				if code := websocket.CloseStatus(err); code != -1 {
					st.fail(fmt.Sprintf("closed_%d", int(code)))
				} else {
					st.fail("closed_no_code")
				}
			}
			return
		}
		at := time.Now()
		if c.sio && len(data) == 1 && data[0] == '2' {
			c.pong()
			continue // an engine.io ping, not a message
		}
		st.received.Add(1)
		if h := c.on.Load(); h != nil {
			(*h)(c, data, at)
		}
		if ref := fieldString(data, "ref"); ref != "" {
			// Every message this tool sends has a ref, so the hub's rate_limited answers do too;
			// looking only at replies keeps the events, most of what is read, from a second scan.
			if fieldString(data, "type") == "error" && fieldString(data, "code") == codeRateLimited {
				st.wsRateLimited.Add(1)
			}
			c.pmu.Lock()
			ch, ok := c.pending[ref]
			delete(c.pending, ref)
			c.pmu.Unlock()
			if ok {
				ch <- data
			}
		}
	}
}

// send writes one JSON message, unless ctx has ended. The write itself is bounded by its own
// timeout only: the websocket package closes a connection whose write its context cuts short,
// and the reader would count that as a socket the server dropped (closed_no_code), when it was
// only the end of the run or of a failed setup.
func (c *conn) send(ctx context.Context, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := ctx.Err(); err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	return c.ws.Write(wctx, websocket.MessageText, b)
}

// pong answers an engine.io ping.
func (c *conn) pong() {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	wctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c.ws.Write(wctx, websocket.MessageText, []byte("3")) // a failure ends the reader's next Read
}

// newRef returns a fresh ref and the channel its reply will arrive on.
func (c *conn) newRef(prefix string) (string, chan []byte) {
	ref := prefix + strconv.FormatUint(c.refSeq.Add(1), 10)
	ch := make(chan []byte, 1)
	c.pmu.Lock()
	c.pending[ref] = ch
	c.pmu.Unlock()
	return ref, ch
}

func (c *conn) dropRef(ref string) {
	c.pmu.Lock()
	delete(c.pending, ref)
	c.pmu.Unlock()
}

// request sends a message with a fresh ref (set into m["ref"]) and waits for the reply with that
// ref. An "error" reply is returned as an error.
func (c *conn) request(ctx context.Context, m map[string]any, timeout time.Duration) ([]byte, error) {
	ref, ch := c.newRef("q")
	m["ref"] = ref
	if err := c.send(ctx, m); err != nil {
		c.dropRef(ref)
		return nil, err
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case b := <-ch:
		if fieldString(b, "type") == "error" {
			return b, fmt.Errorf("%s: %s", fieldString(b, "code"), fieldString(b, "message"))
		}
		return b, nil
	case <-c.done:
		c.dropRef(ref)
		return nil, fmt.Errorf("socket closed: %v", c.err)
	case <-t.C:
		c.dropRef(ref)
		return nil, fmt.Errorf("no reply to %v within %s", m["type"], timeout)
	case <-ctx.Done():
		c.dropRef(ref)
		return nil, ctx.Err()
	}
}

// close drops the socket without a close handshake, so that tearing down thousands of sockets
// does not take thousands of round trips.
func (c *conn) close() {
	c.closing.Store(true)
	c.ws.CloseNow()
}

// fieldRaw finds the first `"key":` in a JSON object written by the hub and returns its raw
// value. The hub writes top-level fields (type, ref, tournament, version) before any nested
// object, so the first occurrence is the top-level one; this avoids decoding every event at every
// spectator.
func fieldRaw(b []byte, key string) []byte {
	var pat [40]byte
	p := append(pat[:0], '"')
	p = append(p, key...)
	p = append(p, '"', ':')
	i := bytes.Index(b, p)
	if i < 0 {
		return nil
	}
	v := b[i+len(p):]
	for len(v) > 0 && v[0] == ' ' {
		v = v[1:]
	}
	if len(v) == 0 {
		return nil
	}
	if v[0] == '"' {
		j := bytes.IndexByte(v[1:], '"')
		if j < 0 {
			return nil
		}
		return v[:j+2]
	}
	j := bytes.IndexAny(v, ",}]")
	if j < 0 {
		return v
	}
	return v[:j]
}

// eventOf reads the tournament and version of an event message, in either protocol version's
// form: v1's object ({"type":"event","tournament":...,"version":...}, which the baseline servers
// send too) or v2's compact list (["event",tournament,version,rev,[...]]). ok is false for any
// other message.
func eventOf(data []byte) (tournament string, version int64, ok bool) {
	if rest, v2 := bytes.CutPrefix(data, []byte(`["event","`)); v2 {
		end := bytes.IndexByte(rest, '"')
		if end < 0 || bytes.IndexByte(rest[:end], '\\') >= 0 || len(rest) < end+2 || rest[end+1] != ',' {
			return "", 0, false
		}
		num := rest[end+2:]
		n := bytes.IndexByte(num, ',')
		if n < 0 {
			return "", 0, false
		}
		v, err := strconv.ParseInt(string(num[:n]), 10, 64)
		return string(rest[:end]), v, err == nil
	}
	if fieldString(data, "type") != "event" {
		return "", 0, false
	}
	return fieldString(data, "tournament"), fieldInt(data, "version"), true
}

// fieldString returns a top-level string field ("" when absent or not a plain string).
func fieldString(b []byte, key string) string {
	v := fieldRaw(b, key)
	if len(v) < 2 || v[0] != '"' {
		return ""
	}
	return string(v[1 : len(v)-1])
}

// fieldInt returns a top-level integer field (-1 when absent).
func fieldInt(b []byte, key string) int64 {
	v := fieldRaw(b, key)
	n, err := strconv.ParseInt(string(bytes.TrimSpace(v)), 10, 64)
	if err != nil {
		return -1
	}
	return n
}
