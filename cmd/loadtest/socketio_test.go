package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// sioServer is a socket.io 4 server as the peer baseline's client sees it (engine.io 4 over
// WebSocket, the default namespace): open packet, connect, a ping before any event, and events as
// 42["event",{...}] on POST /publish. It fails the test on a client that breaks the protocol.
type sioServer struct {
	t       *testing.T
	mu      sync.Mutex
	socks   []*websocket.Conn
	version int
	pongs   int
}

func (s *sioServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/publish" && r.Method == http.MethodPost:
		s.mu.Lock()
		s.version++
		v, socks := s.version, append([]*websocket.Conn(nil), s.socks...)
		s.mu.Unlock()
		msg := fmt.Sprintf(`42["event",{"type":"event","tournament":"t_baseline","epoch":"e_1","version":%d,"events":[]}]`, v)
		for _, c := range socks {
			c.Write(r.Context(), websocket.MessageText, []byte(msg))
		}
		fmt.Fprintf(w, `{"version":%d}`, v)
	case r.URL.Path == "/socket.io/" && r.URL.Query().Get("EIO") == "4" && r.URL.Query().Get("transport") == "websocket":
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		ctx := r.Context()
		c.Write(ctx, websocket.MessageText, []byte(`0{"sid":"x","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}`))
		if _, b, err := c.Read(ctx); err != nil || string(b) != "40" {
			s.t.Errorf("client sent %q, %v; want 40 (connect to the default namespace)", b, err)
			c.CloseNow()
			return
		}
		c.Write(ctx, websocket.MessageText, []byte(`40{"sid":"y"}`))
		c.Write(ctx, websocket.MessageText, []byte("2"))
		if _, b, err := c.Read(ctx); err != nil || string(b) != "3" {
			s.t.Errorf("client answered the ping with %q, %v; want 3", b, err)
			c.CloseNow()
			return
		}
		s.mu.Lock()
		s.pongs++
		s.socks = append(s.socks, c)
		s.mu.Unlock()
		c.CloseRead(context.Background())
		<-ctx.Done()
	default:
		http.NotFound(w, r)
	}
}

// TestFanoutSocketIO: --peer socketio speaks socket.io to the baseline and counts its events.
func TestFanoutSocketIO(t *testing.T) {
	t.Parallel()
	srv := &sioServer{t: t}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out := filepath.Join(t.TempDir(), "f.json")
	var stdout, stderr bytes.Buffer
	err := run(ctx, []string{"--nodes", hs.URL + "," + hs.URL, "--scenario", "fanout", "--peer", "socketio",
		"--publish-url", hs.URL + "/publish", "--spectators", "10", "--repeats", "3", "--out", out, "--deadline", "50s"}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("fanout: %v\n%s", err, stderr.String())
	}
	var res Result
	b, _ := os.ReadFile(out)
	if err := json.Unmarshal(b, &res); err != nil || res.Fanout == nil {
		t.Fatalf("fanout result: %v %s", err, b)
	}
	if res.Fanout.Completed != 3 || res.Fanout.Deliveries != 30 || res.Fanout.Missing != 0 {
		t.Errorf("fanout: completed %d, deliveries %d, missing %d; want 3, 30, 0", res.Fanout.Completed, res.Fanout.Deliveries, res.Fanout.Missing)
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if srv.pongs != 10 {
		t.Errorf("%d sockets answered the ping; want 10", srv.pongs)
	}

	// --peer without what it needs is refused.
	for _, args := range [][]string{
		{"--scenario", "fanout", "--peer", "socketio"},
		{"--scenario", "latency", "--peer", "socketio", "--publish-url", hs.URL + "/publish"},
		{"--scenario", "fanout", "--peer", "centrifugo", "--publish-url", hs.URL + "/publish"},
	} {
		if _, err := parseFlags(append([]string{"--nodes", hs.URL}, args...), &stderr); err == nil {
			t.Errorf("parseFlags(%v) accepted it", args)
		}
	}
}
