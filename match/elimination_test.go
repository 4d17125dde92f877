package match

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestBracketOrder(t *testing.T) {
	tests := []struct {
		n    int
		want []int
	}{
		{2, []int{1, 2}},
		{4, []int{1, 4, 2, 3}},
		{8, []int{1, 8, 4, 5, 2, 7, 3, 6}},
		{16, []int{1, 16, 8, 9, 4, 13, 5, 12, 2, 15, 7, 10, 3, 14, 6, 11}},
	}
	for _, tc := range tests {
		if got := bracketOrder(tc.n); !slices.Equal(got, tc.want) {
			t.Errorf("bracketOrder(%d) = %v; want %v", tc.n, got, tc.want)
		}
	}
}

// TestSingleEliminationShapes checks byes and seeding for 2..17 players: byes only in round 1 and
// to the top seeds, every real round-1 pairing is seed s against seed size+1-s, and seeds 1 and 2
// are in different halves.
func TestSingleEliminationShapes(t *testing.T) {
	for n := 2; n <= 17; n++ {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			tr := started(t, Settings{Format: SingleElimination}, n)
			size := 1 << log2ceil(n)
			byes := size - n
			seed := map[PlayerID]int{}
			for _, p := range tr.Participants {
				seed[p.ID] = p.Seed
			}
			gotByes := 0
			var round1 []Match
			for _, m := range tr.Matches {
				if m.Round == 1 {
					round1 = append(round1, m)
				}
				if m.Round > 1 && m.Walkover && (m.Players[0] == 0 || m.Players[1] == 0) {
					t.Errorf("bye in round %d: %+v", m.Round, m)
				}
			}
			if len(round1) != size/2 {
				t.Fatalf("round 1 has %d matches; want %d", len(round1), size/2)
			}
			for i, m := range round1 {
				s0, s1 := seed[m.Players[0]], seed[m.Players[1]]
				if m.Players[1] == 0 {
					gotByes++
					if s0 > byes {
						t.Errorf("bye given to seed %d; byes go to the top %d seeds", s0, byes)
					}
					if m.Status != MatchCompleted || m.Winner != m.Players[0] {
						t.Errorf("bye match %d not a walkover for seed %d: %+v", m.ID, s0, m)
					}
					continue
				}
				if s0+s1 != size+1 {
					t.Errorf("round-1 match %d pairs seeds %d and %d; want sum %d", i, s0, s1, size+1)
				}
			}
			if gotByes != byes {
				t.Errorf("got %d byes; want %d", gotByes, byes)
			}
			// Seeds 1 and 2 are in different halves of round 1.
			half := func(s int) int {
				for i, m := range round1 {
					if seed[m.Players[0]] == s || seed[m.Players[1]] == s {
						return i * 2 / len(round1)
					}
				}
				return -1
			}
			if n >= 2 && size >= 2 && len(round1) > 1 && half(1) == half(2) {
				t.Errorf("seeds 1 and 2 in the same half")
			}
		})
	}
}

func TestSingleEliminationEightExact(t *testing.T) {
	tr := started(t, Settings{Format: SingleElimination}, 8)
	want := [][2]PlayerID{{1, 8}, {4, 5}, {2, 7}, {3, 6}}
	for i, w := range want {
		if got := tr.Matches[i].Players; got != w {
			t.Errorf("match %d players %v; want %v", i+1, got, w)
		}
	}
}

// TestSingleEliminationPlacements plays an 8-player bracket where the top seed always wins and
// checks tied placements: 1, 2, 3-4, 5-8; and with a third-place match 1, 2, 3, 4, 5-8.
func TestSingleEliminationPlacements(t *testing.T) {
	for _, third := range []bool{false, true} {
		tr := started(t, Settings{Format: SingleElimination, ThirdPlace: third}, 8)
		for tr.Status == StatusRunning {
			for i := range tr.Matches {
				m := &tr.Matches[i]
				if m.Status == MatchReady {
					w := 0
					if m.Players[1] < m.Players[0] {
						w = 1
					}
					mustApply(t, tr, Command{Type: CmdReport, Match: m.ID, Scores: winScores(rand.New(rand.NewPCG(1, 1)), 1, w)})
				}
			}
		}
		got := map[PlayerID][2]int{}
		for _, s := range Standings(tr) {
			got[s.Player] = [2]int{s.Rank, s.RankTo}
		}
		want := map[PlayerID][2]int{1: {1, 1}, 2: {2, 2}, 3: {3, 4}, 4: {3, 4}, 5: {5, 8}, 6: {5, 8}, 7: {5, 8}, 8: {5, 8}}
		if third {
			want[3], want[4] = [2]int{3, 3}, [2]int{4, 4}
		}
		for p, w := range want {
			if got[p] != w {
				t.Errorf("third=%v: player %d placed %v; want %v", third, p, got[p], w)
			}
		}
	}
}

func TestDoubleEliminationGrandFinal(t *testing.T) {
	// Seeds win every match except where noted; player 1 is the winners-bracket champion.
	play := func(t *testing.T, gf GrandFinal, lbWinsFirst bool) *Tournament {
		tr := started(t, Settings{Format: DoubleElimination, GrandFinal: gf}, 4)
		for tr.Status == StatusRunning {
			progressed := false
			for i := range tr.Matches {
				m := &tr.Matches[i]
				if m.Status != MatchReady {
					continue
				}
				w := 0
				if m.Players[1] < m.Players[0] {
					w = 1
				}
				if m.Bracket == BracketGrandFinal && m.Round == 1 && lbWinsFirst {
					w = 1
				}
				mustApply(t, tr, Command{Type: CmdReport, Match: m.ID, Scores: winScores(rand.New(rand.NewPCG(2, 2)), 1, w)})
				progressed = true
			}
			if !progressed {
				t.Fatalf("stuck:\n%s", dump(tr))
			}
		}
		return tr
	}
	count := func(tr *Tournament, st MatchStatus) (n int) {
		for _, m := range tr.Matches {
			if m.Bracket == BracketGrandFinal && m.Status == st {
				n++
			}
		}
		return n
	}
	t.Run("reset not needed", func(t *testing.T) {
		tr := play(t, GrandFinalReset, false)
		if c, v := count(tr, MatchCompleted), count(tr, MatchVoid); c != 1 || v != 1 {
			t.Errorf("grand finals completed %d void %d; want 1 and 1", c, v)
		}
		if s := Standings(tr); s[0].Player != 1 || s[0].RankTo != 1 {
			t.Errorf("champion %+v; want player 1 alone", s[0])
		}
	})
	t.Run("reset played", func(t *testing.T) {
		tr := play(t, GrandFinalReset, true)
		if c := count(tr, MatchCompleted); c != 2 {
			t.Errorf("grand finals completed %d; want 2\n%s", c, dump(tr))
		}
		// Player 1 lost GF1 then (lower id wins) won the reset.
		if s := Standings(tr); s[0].Player != 1 || s[1].Rank != 2 {
			t.Errorf("standings %+v", s)
		}
	})
	t.Run("single grand final", func(t *testing.T) {
		tr := play(t, GrandFinalSingle, true)
		if c := count(tr, MatchCompleted); c != 1 {
			t.Errorf("grand finals %d; want 1", c)
		}
		if s := Standings(tr); s[0].Player == 1 {
			t.Errorf("the losers-bracket player won the only grand final, but player 1 is first")
		}
	})
	t.Run("no grand final", func(t *testing.T) {
		tr := play(t, GrandFinalNone, false)
		if c := count(tr, MatchCompleted) + count(tr, MatchVoid); c != 0 {
			t.Errorf("grand finals %d; want none", c)
		}
		s := Standings(tr)
		if s[0].Player != 1 || s[1].Rank != 2 || s[1].RankTo != 2 {
			t.Errorf("standings %+v", s[:2])
		}
	})
}

// TestDoubleEliminationNoImmediateRematch: a player dropping from winners round 2 never meets, in
// its first losers-bracket match, the player it beat in winners round 1 (for 8+ players).
func TestDoubleEliminationNoImmediateRematch(t *testing.T) {
	for _, n := range []int{8, 16, 32, 64} {
		r := rand.New(rand.NewPCG(uint64(n), 9))
		for rep := 0; rep < 20; rep++ {
			tr := started(t, Settings{Format: DoubleElimination}, n)
			playOut(t, tr, r)
			met := map[[2]PlayerID]int{}
			for _, m := range tr.Matches {
				if m.Status != MatchCompleted || m.Players[0] == 0 || m.Players[1] == 0 {
					continue
				}
				key := [2]PlayerID{min(m.Players[0], m.Players[1]), max(m.Players[0], m.Players[1])}
				if prev, ok := met[key]; ok && m.Bracket == BracketLosers && m.Round == 2 && tr.match(MatchID(prev)).Round == 1 {
					t.Fatalf("n=%d: players %v met in winners round 1 and again in losers round 2", n, key)
				}
				met[key] = int(m.ID)
			}
		}
	}
}

func TestDoubleEliminationShape(t *testing.T) {
	for n := 2; n <= 17; n++ {
		tr := started(t, Settings{Format: DoubleElimination}, n)
		k := log2ceil(n)
		size := 1 << k
		var w, l, gf int
		for _, m := range tr.Matches {
			switch m.Bracket {
			case BracketWinners:
				w++
			case BracketLosers:
				l++
			case BracketGrandFinal:
				gf++
			}
		}
		wantL := 0
		if k >= 2 {
			wantL = size - 2
		}
		if w != size-1 || l != wantL || gf != 2 {
			t.Errorf("n=%d: winners %d losers %d grand finals %d; want %d %d 2", n, w, l, gf, size-1, wantL)
		}
		playOut(t, tr, rand.New(rand.NewPCG(uint64(n), 3)))
		s := Standings(tr)
		if s[0].Rank != 1 || s[0].RankTo != 1 || len(s) != n {
			t.Errorf("n=%d: standings %+v", n, s)
		}
	}
}

// TestCorrection changes a semi-final result after the final was played: the final is reset and
// re-fed with the new winner, the old winner is eliminated and the old loser reinstated.
func TestCorrection(t *testing.T) {
	tr := started(t, Settings{Format: SingleElimination, BestOf: 3}, 4)
	// Semis: match 1 (1 v 4), match 2 (2 v 3); final is match 3.
	mustApply(t, tr, Command{Type: CmdReport, Match: 1, Scores: [2]int{2, 0}})
	mustApply(t, tr, Command{Type: CmdReport, Match: 2, Scores: [2]int{2, 1}})
	mustApply(t, tr, Command{Type: CmdReport, Match: 3, Scores: [2]int{2, 1}})
	if tr.Status != StatusFinished {
		t.Fatalf("status %s; want finished", tr.Status)
	}
	ev := mustApply(t, tr, Command{Type: CmdReport, Match: 1, Scores: [2]int{1, 2}})
	types := map[EventType]int{}
	for _, e := range ev {
		types[e.Type]++
	}
	if types[EvMatchReset] != 1 || types[EvReinstated] != 2 || types[EvReopened] != 1 || types[EvMatchReady] != 1 {
		t.Errorf("events %v; want one reset, two reinstated (old semi loser and final loser), one reopened and one ready", types)
	}
	final := tr.match(3)
	if final.Status != MatchReady || final.Players != [2]PlayerID{4, 2} {
		t.Errorf("final %+v; want ready with players 4 and 2", final)
	}
	if tr.participant(1).Eliminated != true || tr.participant(4).Eliminated {
		t.Errorf("player 1 eliminated=%v, player 4 eliminated=%v; want true, false", tr.participant(1).Eliminated, tr.participant(4).Eliminated)
	}
	if tr.Status != StatusRunning {
		t.Errorf("status %s; want running", tr.Status)
	}
	// Same winner, other score: only the record changes.
	ev = mustApply(t, tr, Command{Type: CmdReport, Match: 1, Scores: [2]int{0, 2}})
	if len(ev) != 2 || ev[0].Type != EvMatchCompleted || ev[1].Type != EvCorrected {
		t.Fatalf("score-only correction events %v; want match_completed, match_corrected", ev)
	}
	if c := ev[1]; c.Match.Scores != [2]int{0, 2} || c.Was == nil || c.Was.Scores == c.Match.Scores || c.Was.Winner != c.Match.Winner {
		t.Errorf("match_corrected: now %+v, was %+v; want the new scores, the old ones and the same winner", c.Match, c.Was)
	}
	// The same scores again: nothing to correct, refused.
	if _, err := Apply(tr, Command{Type: CmdReport, Match: 1, Scores: [2]int{0, 2}}); err == nil {
		t.Error("a correction to the scores the match already has was accepted")
	}
}

// TestCorrectionDoubleElimination corrects a winners-round-1 result after both brackets moved on.
func TestCorrectionDoubleElimination(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	for n := 3; n <= 20; n++ {
		tr := started(t, Settings{Format: DoubleElimination}, n)
		// Play until roughly half the matches are done, then flip the first real round-1 result.
		for steps := 0; steps < len(tr.Matches)/2 && tr.Status == StatusRunning; steps++ {
			for i := range tr.Matches {
				if m := &tr.Matches[i]; m.Status == MatchReady {
					mustApply(t, tr, Command{Type: CmdReport, Match: m.ID, Scores: winScores(r, 1, r.IntN(2))})
					break
				}
			}
		}
		for i := range tr.Matches {
			m := &tr.Matches[i]
			if m.Status == MatchCompleted && !m.Walkover {
				flip := [2]int{m.Scores[1], m.Scores[0]}
				mustApply(t, tr, Command{Type: CmdReport, Match: m.ID, Scores: flip})
				break
			}
		}
		playOut(t, tr, r)
		if s := Standings(tr); s[0].RankTo != 1 {
			t.Fatalf("n=%d: no single champion after correction: %+v", n, s[:2])
		}
	}
}
