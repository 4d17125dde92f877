package hub

import (
	"context"
	"fmt"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/tourhub/tourhub/hub/store"
	"github.com/tourhub/tourhub/match"
)

// BenchmarkWSFanout measures the fan-out hot path: one entry encoded once (with the notices when
// players listen) and pushed to every subscriber's queue. The queues are emptied after each entry,
// as the writers would.
func BenchmarkWSFanout(b *testing.B) {
	done := match.Match{ID: 5, Bracket: match.BracketWinners, Round: 1, Status: match.MatchCompleted,
		Players: [2]match.PlayerID{3, 6}, Filled: [2]bool{true, true}, Scores: [2]int{2, 1}, Winner: 3, Loser: 6, WinnerTo: 9}
	next := match.Match{ID: 9, Bracket: match.BracketWinners, Round: 2, Status: match.MatchReady,
		Players: [2]match.PlayerID{1, 3}, Filled: [2]bool{true, true}}
	events := []match.Event{
		{Type: match.EvMatchCompleted, Match: &done},
		{Type: match.EvEliminated, Player: 6},
		{Type: match.EvMatchReady, Match: &next},
	}
	for _, tc := range []struct {
		subs    int
		players bool
	}{{1, false}, {100, false}, {1000, false}, {1000, true}} {
		name := fmt.Sprintf("subscribers=%d", tc.subs)
		if tc.players {
			name += "/players"
		}
		b.Run(name, func(b *testing.B) {
			w := NewWS(WSConfig{QueueLen: 8})
			t := &topic{id: "t", subs: make(map[*session]*sub), names: map[match.PlayerID]string{1: "Ada", 3: "Grace", 6: "Linus"}}
			w.broker.topics["t"] = t
			sessions := make([]*session, tc.subs)
			for i := range sessions {
				s := newSession(w, nil, nil, nil, "")
				defer s.cancel()
				// No connection here: act as if a writer ran, so that only the queueing is measured.
				s.writing = true
				sessions[i] = s
				sb := &sub{s: s, at: store.Position{Epoch: "e"}} // live, caught up to version 0 of epoch e
				if tc.players {
					sb.player = match.PlayerID(i%8 + 1)
				}
				t.subs[s] = sb
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				w.broker.deliver("t", "e", store.Entry{Version: int64(i + 1), Events: events}, false, time.Now())
				for _, s := range sessions {
					s.qmu.Lock()
					s.queue, s.queued = s.queue[:0], 0
					s.qmu.Unlock()
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*tc.subs), "ns/recipient")
		})
	}
}

// BenchmarkWSFanoutWrite is BenchmarkWSFanout with the writes: real sockets on loopback whose
// clients read everything, so each delivery is written by fan-out itself (writeNow) in one
// write system call. ns/recipient is wall time and includes the kernel's delivery to the client's
// socket; allocs/op include the clients' reads (one message each). pool-tasks/recipient is 0 while
// every socket takes its message at once.
func BenchmarkWSFanoutWrite(b *testing.B) {
	const subs = 100
	w := NewWS(WSConfig{})
	srv := httptest.NewServer(w)
	defer func() {
		srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		w.Drain(ctx)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var readers sync.WaitGroup
	var clients []*websocket.Conn
	defer func() {
		for _, c := range clients {
			c.CloseNow()
		}
		readers.Wait()
	}()
	for range subs {
		c, _, err := websocket.Dial(ctx, srv.URL, &websocket.DialOptions{Subprotocols: []string{Subprotocol}})
		if err != nil {
			b.Fatal(err)
		}
		clients = append(clients, c)
		readers.Add(1)
		go func() {
			defer readers.Done()
			for {
				if _, _, err := c.Read(context.Background()); err != nil {
					return
				}
			}
		}()
	}
	t := &topic{id: "t", subs: make(map[*session]*sub), names: map[match.PlayerID]string{}}
	w.broker.topics["t"] = t
	for len(t.subs) < subs {
		w.mu.Lock()
		for s := range w.sessions {
			t.subs[s] = &sub{s: s, at: store.Position{Epoch: "e"}}
		}
		w.mu.Unlock()
		time.Sleep(time.Millisecond)
	}
	events := []match.Event{{Type: match.EvCheckedIn, Player: 1}}
	before := w.pool.Tasks()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		w.broker.deliver("t", "e", store.Entry{Version: int64(i + 1), Events: events}, false, time.Now())
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*subs), "ns/recipient")
	b.ReportMetric(float64(w.pool.Tasks()-before)/float64(b.N*subs), "pool-tasks/recipient")
}
