package memstore_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tourhub/tourhub/hub/memstore"
	"github.com/tourhub/tourhub/match"
)

// BenchmarkApplyResult1024 applies one result to a running 1,024-player double elimination
// through the store (the engine's work, the store's copies and its log), each iteration a
// different ready match; the tournament is rebuilt outside the timer when none is left.
func BenchmarkApplyResult1024(b *testing.B) {
	b.ReportAllocs()
	ctx := context.Background()
	s := memstore.New()
	defer s.Close()
	n := 0
	fresh := func() (string, []match.MatchID) {
		n++
		id := fmt.Sprintf("t_bench%d", n)
		if _, err := s.Create(ctx, id, match.Command{Type: match.CmdCreate, Name: "Bench",
			Settings: &match.Settings{Format: match.DoubleElimination}}, time.Now()); err != nil {
			b.Fatal(err)
		}
		for i := 1; i <= 1024; i++ {
			if _, err := s.Apply(ctx, id, match.Command{Type: match.CmdJoin, Name: fmt.Sprintf("P%d", i)}, ""); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := s.Apply(ctx, id, match.Command{Type: match.CmdStart}, ""); err != nil {
			b.Fatal(err)
		}
		st, _, err := s.Load(ctx, id)
		if err != nil {
			b.Fatal(err)
		}
		var ready []match.MatchID
		for _, m := range st.Matches {
			if m.Status == match.MatchReady {
				ready = append(ready, m.ID)
			}
		}
		return id, ready
	}
	b.StopTimer()
	id, ready := fresh()
	b.StartTimer()
	for b.Loop() {
		if len(ready) == 0 {
			b.StopTimer()
			id, ready = fresh()
			b.StartTimer()
		}
		m := ready[len(ready)-1]
		ready = ready[:len(ready)-1]
		if _, err := s.Apply(ctx, id, match.Command{Type: match.CmdReport, Match: m, Scores: [2]int{1, 0}}, ""); err != nil {
			b.Fatal(err)
		}
	}
}
