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
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/tourhub/tourhub/internal/proctest"
	"github.com/tourhub/tourhub/internal/redistest"
)

// startFloor runs n relay floor nodes (bench/baseline/floor) on redisURL and returns their base
// URLs.
func startFloor(t *testing.T, redisURL string, n int) []string {
	t.Helper()
	bin := proctest.Build(t, proctest.Floor)
	var urls []string
	for i := 0; i < n; i++ {
		urls = append(urls, proctest.StartListening(t, "floor", bin, "--addr", "127.0.0.1:0", "--redis", redisURL).URL())
	}
	return urls
}

// TestRelayAgainstFloor drives two relay floor nodes on a real Redis with --relay: every report
// is answered with a version and reaches every other socket of its slot, on both nodes.
func TestRelayAgainstFloor(t *testing.T) {
	t.Parallel()
	nodes := startFloor(t, redistest.Start(t).URL(), 2)
	for _, tc := range []struct {
		scenario string
		args     []string
	}{
		{"latency", []string{"--rate", "40", "--duration", "2s"}},
		{"maxrate", []string{"--rate", "20", "--step", "2s", "--duration", "5s"}},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			t.Parallel()
			out := filepath.Join(t.TempDir(), "r.json")
			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			defer cancel()
			var stdout, stderr bytes.Buffer
			// 2 slots of 4 players and 1 spectator each: 4 receipts a report (not the sender's own).
			args := append([]string{"--nodes", strings.Join(nodes, ","), "--relay", "--scenario", tc.scenario,
				"--players", "8", "--tournament-size", "4", "--spectators", "2", "--deadline", "60s", "--out", out,
				"--min-rate-pct", "0"}, tc.args...) // what is measured, not that a loaded machine keeps up
			if err := run(ctx, args, &stdout, &stderr); err != nil {
				t.Fatalf("run: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
			}
			b, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			var res Result
			if err := json.Unmarshal(b, &res); err != nil {
				t.Fatal(err)
			}
			l := res.Latency
			if l == nil || !l.Relay || l.Acked == 0 {
				t.Fatalf("no relay results measured: %s", b)
			}
			if res.Failure != "" || len(res.Errors) != 0 || res.Sockets != 10 || res.HTTPCalls != 0 {
				t.Errorf("got failure %q, errors %v, %d sockets, %d HTTP calls; want none, none, 10, 0", res.Failure, res.Errors, res.Sockets, res.HTTPCalls)
			}
			if l.Acked != l.Sent {
				t.Errorf("got %d of %d reports answered; want all", l.Acked, l.Sent)
			}
			if l.CrossNode == nil || l.CrossNode.Count == 0 {
				t.Fatalf("got cross-node latency %+v; want receipts with two nodes", l.CrossNode)
			}
			if got, want := l.CrossNode.Count+l.SameNode.Count, 4*l.Acked; got != uint64(want) || l.LostReceipts != 0 {
				t.Errorf("got %d receipts (%d cross-node), %d lost; want %d (4 for each of %d reports), none lost",
					got, l.CrossNode.Count, l.LostReceipts, want, l.Acked)
			}
			// Whether a step holds depends on how busy the machine is, so only that the steps
			// were measured is checked: answered reports and cross-node deliveries.
			if tc.scenario == "maxrate" && len(l.Steps) == 0 {
				t.Errorf("got no maxrate steps; want at least one")
			}
			for _, s := range l.Steps {
				if s.Achieved <= 0 || s.CrossNode == nil || s.CrossNode.Count == 0 {
					t.Errorf("step %v/s: got achieved %v/s, cross-node latency %+v; want reports answered and delivered across nodes", s.Target, s.Achieved, s.CrossNode)
				}
			}
			if want := "per slot (relay)"; !strings.Contains(stdout.String(), want) {
				t.Errorf("table lacks %q:\n%s", want, stdout.String())
			}
		})
	}
	// --relay is refused where it means nothing.
	var stderr bytes.Buffer
	if _, err := parseFlags([]string{"--nodes", nodes[0], "--relay", "--scenario", "fanout"}, &stderr); err == nil {
		t.Error("parseFlags accepted --relay with --scenario fanout")
	}
}

// slowRelay is a relay floor whose subscribe answers take delay, recording when the last
// subscribe was answered and when the first report came.
type slowRelay struct {
	delay                       time.Duration
	mu                          sync.Mutex
	lastSubscribed, firstReport time.Time
	reports                     int
}

func (s *slowRelay) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{Subprotocols: []string{subprotocolV2, subprotocol}})
	if err != nil {
		return
	}
	defer c.CloseNow()
	ctx := r.Context()
	for {
		_, b, err := c.Read(ctx)
		if err != nil {
			return
		}
		var m struct{ Type, Ref, Tournament string }
		if json.Unmarshal(b, &m) != nil {
			return
		}
		var reply string
		switch m.Type {
		case "subscribe":
			time.Sleep(s.delay)
			s.mu.Lock()
			s.lastSubscribed = time.Now()
			s.mu.Unlock()
			reply = fmt.Sprintf(`{"type":"subscribed","ref":%q,"tournament":%q}`, m.Ref, m.Tournament)
		case "report":
			s.mu.Lock()
			if s.reports++; s.reports == 1 {
				s.firstReport = time.Now()
			}
			v := s.reports
			s.mu.Unlock()
			reply = fmt.Sprintf(`{"type":"reported","ref":%q,"tournament":%q,"version":%d}`, m.Ref, m.Tournament, v)
		default:
			return
		}
		if c.Write(ctx, websocket.MessageText, []byte(reply)) != nil {
			return
		}
	}
}

// TestRelayStaggersReportsNotSetups: with --relay and --pace tournament every slot subscribes
// before the stagger window, which spreads the slots' first reports alone. Subscribing inside it,
// a slot's pacer took its phase from when its subscribing ended, so slow subscribes (625 slots
// subscribing in target 1's 0.625 s window) left the slots bunched for the whole run.
func TestRelayStaggersReportsNotSetups(t *testing.T) {
	t.Parallel()
	srv := &slowRelay{delay: 300 * time.Millisecond}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var stdout, stderr bytes.Buffer
	// 4 slots of 4 at 8 reports/s: each slot one report every 0.5 s, staggered over 0.5 s.
	err := run(ctx, []string{"--nodes", hs.URL, "--relay", "--scenario", "latency", "--players", "16",
		"--tournament-size", "4", "--rate", "8", "--duration", "1s", "--deadline", "50s", "--min-rate-pct", "0"}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("run: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if srv.reports == 0 {
		t.Fatalf("no reports:\n%s", stderr.String())
	}
	if !srv.firstReport.After(srv.lastSubscribed) {
		t.Errorf("the first report came %v before the last subscribe was answered; want every slot subscribed first",
			srv.lastSubscribed.Sub(srv.firstReport))
	}
}
