package match

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

func benchTournament(b *testing.B, s Settings, n int) *Tournament {
	tr := &Tournament{}
	if _, err := Apply(tr, Command{Type: CmdCreate, Tournament: "b", Name: "Bench", Settings: &s}); err != nil {
		b.Fatal(err)
	}
	for i := 1; i <= n; i++ {
		if _, err := Apply(tr, Command{Type: CmdJoin, Name: fmt.Sprintf("P%d", i)}); err != nil {
			b.Fatal(err)
		}
	}
	return tr
}

// BenchmarkCreateStartDoubleElimination1024 creates, fills and starts a 1024-player double
// elimination (2,047 matches).
func BenchmarkCreateStartDoubleElimination1024(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		tr := benchTournament(b, Settings{Format: DoubleElimination}, 1024)
		if _, err := Apply(tr, Command{Type: CmdStart}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkApplyResultDoubleElimination1024 applies one organiser result in a running
// 1024-player double elimination. Each iteration reports a different ready match; the
// tournament is rebuilt (outside the timer) when it runs out of ready matches.
func BenchmarkApplyResultDoubleElimination1024(b *testing.B) {
	b.ReportAllocs()
	r := rand.New(rand.NewPCG(1, 2))
	fresh := func() (*Tournament, []MatchID) {
		tr := benchTournament(b, Settings{Format: DoubleElimination}, 1024)
		if _, err := Apply(tr, Command{Type: CmdStart}); err != nil {
			b.Fatal(err)
		}
		var ready []MatchID
		for i := range tr.Matches {
			if tr.Matches[i].Status == MatchReady {
				ready = append(ready, tr.Matches[i].ID)
			}
		}
		return tr, ready
	}
	tr, ready := fresh()
	for b.Loop() {
		if len(ready) == 0 {
			b.StopTimer()
			tr, ready = fresh()
			b.StartTimer()
		}
		id := ready[len(ready)-1]
		ready = ready[:len(ready)-1]
		if _, err := Apply(tr, Command{Type: CmdReport, Match: id, Scores: [2]int{r.IntN(2), 0}}); err != nil {
			// A 0-0 draw is invalid: report the other way round.
			if _, err := Apply(tr, Command{Type: CmdReport, Match: id, Scores: [2]int{0, 1}}); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkSwissRoundPairing1024 measures pairing a Swiss round of 1024 players through the
// engine: the last result of round 2 triggers the pairing of round 3.
func BenchmarkSwissNextRound1024(b *testing.B) {
	b.ReportAllocs()
	base := benchTournament(b, Settings{Format: Swiss}, 1024)
	if _, err := Apply(base, Command{Type: CmdStart}); err != nil {
		b.Fatal(err)
	}
	playRound := func(tr *Tournament, leaveOne bool) MatchID {
		var last MatchID
		for i := range tr.Matches {
			if m := &tr.Matches[i]; m.Status == MatchReady {
				if leaveOne && last == 0 {
					last = m.ID
					continue
				}
				if _, err := Apply(tr, Command{Type: CmdReport, Match: m.ID, Scores: [2]int{1, 0}}); err != nil {
					b.Fatal(err)
				}
			}
		}
		return last
	}
	playRound(base, false) // round 1 done, round 2 paired
	last := playRound(base, true)
	for b.Loop() {
		b.StopTimer()
		tr := base.Clone()
		b.StartTimer()
		if _, err := Apply(tr, Command{Type: CmdReport, Match: last, Scores: [2]int{0, 1}}); err != nil {
			b.Fatal(err)
		}
		if tr.Round != 3 {
			b.Fatalf("round %d; want 3", tr.Round)
		}
	}
}

// BenchmarkMatchJSON writes one completed match with a report, feeds and its time, by
// encoding/json ("reflect") and by Match.AppendJSON into a buffer used again ("append", as a
// node's commit does before it copies the bytes out); and the events of that result (the match
// completed, the next one ready, the loser eliminated) by each.
func BenchmarkMatchJSON(b *testing.B) {
	m := Match{ID: 17, Bracket: BracketWinners, Round: 2, Status: MatchCompleted, Players: [2]PlayerID{3, 9},
		Filled: [2]bool{true, true}, Feeds: [2]Feed{{Match: 3, Take: TakeWinner}, {Match: 4, Take: TakeWinner}},
		Scores: [2]int{2, 1}, Winner: 3, Loser: 9, Reports: [2]*Report{{Scores: [2]int{2, 1}}, nil},
		ReadyAt: time.Date(2026, 12, 6, 4, 0, 0, 123456789, time.UTC), WinnerTo: 25}
	next := Match{ID: 25, Bracket: BracketWinners, Round: 3, Status: MatchReady, Players: [2]PlayerID{3, 12},
		Filled: [2]bool{true, true}, Feeds: [2]Feed{{Match: 17, Take: TakeWinner}, {Match: 18, Take: TakeWinner}},
		ReadyAt: m.ReadyAt, WinnerTo: 29}
	events := []Event{{Type: EvMatchCompleted, Match: &m}, {Type: EvMatchReady, Match: &next}, {Type: EvEliminated, Player: 9, MatchID: 17}}
	var buf []byte
	for _, bc := range []struct {
		name string
		f    func() ([]byte, error)
	}{
		{"match/reflect", func() ([]byte, error) { return json.Marshal(&m) }},
		{"match/append", func() (b []byte, err error) { buf, err = m.AppendJSON(buf[:0]); return buf, err }},
		{"events/reflect", func() ([]byte, error) { return json.Marshal(events) }},
		{"events/append", func() (b []byte, err error) { buf, err = AppendEvents(buf[:0], events); return buf, err }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := bc.f(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
