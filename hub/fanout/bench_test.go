package fanout

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/tourhub/tourhub/hub/store"
	"github.com/tourhub/tourhub/match"
)

// benchSub is a Subscriber that only counts what it is queued: the table's own work is measured
// (the sockets' queueing is ws's BenchmarkWSFanoutWrite).
type benchSub struct{ queued int }

func (s *benchSub) Enqueue(Msg) Enqueued  { s.queued++; return Queued }
func (s *benchSub) Flush()                {}
func (s *benchSub) Slow(string)           {}
func (s *benchSub) Refused(string, error) {}
func (s *benchSub) Resync()               {}
func (s *benchSub) Ended(string, error)   {}
func (s *benchSub) Compact() bool         { return false }
func (s *benchSub) Deflate() bool         { return false }

// BenchmarkFanout measures the fan-out hot path: one entry encoded once (with the notices when
// players listen) and queued for every subscriber.
func BenchmarkFanout(b *testing.B) {
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
			tb := New(Config{QueueLen: 8})
			defer tb.Close()
			t := &topic{id: "t", subs: make(map[Subscriber]*sub), names: map[match.PlayerID]string{1: "Ada", 3: "Grace", 6: "Linus"}}
			tb.topics["t"] = t
			for i := range tc.subs {
				s := &benchSub{}
				sb := &sub{s: s, at: store.Position{Epoch: "e", Rev: "r0"}} // live, caught up to version 0 of epoch e
				if tc.players {
					sb.player = match.PlayerID(i%8 + 1)
				}
				t.subs[s] = sb
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				v := int64(i + 1)
				tb.Deliver("t", "e", store.Entry{Version: v, Rev: "r" + strconv.FormatInt(v, 10), Prev: "r" + strconv.FormatInt(v-1, 10), Events: events}, false)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*tc.subs), "ns/recipient")
		})
	}
}

// BenchmarkSnapshot measures what a node does once per tournament and version for the sockets
// that subscribe to it (a catch-up): the tourhub.v2 snapshot of a 16-player single elimination
// just started (what the latency scenario's players subscribe to) and of a 512-player one,
// encoded and compressed.
func BenchmarkSnapshot(b *testing.B) {
	for _, n := range []int{16, 512} {
		b.Run("single_elimination_"+strconv.Itoa(n), func(b *testing.B) {
			tr := &match.Tournament{}
			at := time.Date(2026, 12, 7, 15, 6, 47, 469573963, time.UTC)
			apply := func(c match.Command) {
				at = at.Add(time.Millisecond)
				c.At = at // stamped as a node stamps commands: the times are in the snapshot
				if _, err := match.Apply(tr, c); err != nil {
					b.Fatal(err)
				}
			}
			apply(match.Command{Type: match.CmdCreate, Tournament: "t_7bae512c40937dc7", Name: "load g4 c1", Settings: &match.Settings{Format: match.SingleElimination}})
			for i := 1; i <= n; i++ {
				apply(match.Command{Type: match.CmdJoin, Name: "p" + strconv.Itoa(i)})
			}
			apply(match.Command{Type: match.CmdStart})
			head := store.Position{Epoch: "e_ff5f5c3c27d8d7f2", Version: tr.Version, Rev: "1np14glaeczt6"}
			b.ReportAllocs()
			var m Msg
			for b.Loop() {
				var err error
				if m, err = encodeSnapshot("t_7bae512c40937dc7", head, tr, true); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(m.Data)), "bytes")
			b.ReportMetric(float64(len(m.Deflated)), "deflated-bytes")
		})
	}
}
