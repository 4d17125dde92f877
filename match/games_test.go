package match

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// TestCheckGames: games must agree with the series' scores, and each refusal says why.
func TestCheckGames(t *testing.T) {
	bo3 := Settings{Format: SingleElimination, BestOf: 3}
	rr2 := Settings{Format: RoundRobin, BestOf: 2, AllowDraws: true}
	for _, tc := range []struct {
		s      Settings
		scores [2]int
		games  Games
		ok     bool
	}{
		{bo3, [2]int{2, 1}, Games{{11, 3}, {8, 11}, {11, 9}}, true},
		{bo3, [2]int{0, 2}, Games{{3, 11}, {9, 11}}, true},
		{bo3, [2]int{2, 0}, nil, true},                                // games are optional
		{bo3, [2]int{2, 0}, Games{{11, 3}, {11, 3}, {3, 11}}, false},  // a game after the decision
		{bo3, [2]int{2, 1}, Games{{11, 3}, {11, 8}, {3, 11}}, false},  // decided after two
		{bo3, [2]int{2, 1}, Games{{11, 3}, {8, 11}}, false},           // the games give 1-1
		{bo3, [2]int{2, 0}, Games{{11, 11}, {11, 3}, {11, 3}}, false}, // a drawn game without draws
		{bo3, [2]int{2, 0}, Games{{-1, 3}, {11, 3}}, false},
		{bo3, [2]int{2, 0}, Games{{MaxGamePoints + 1, 3}, {11, 3}}, false},
		{bo3, [2]int{2, 0}, Games{{11, 3}, {11, 3}, {11, 3}, {11, 3}}, false}, // more than best_of
		{rr2, [2]int{1, 1}, Games{{11, 5}, {3, 11}}, true},
		{rr2, [2]int{1, 0}, Games{{11, 5}, {7, 7}}, true}, // a drawn game where draws are allowed
		{rr2, [2]int{1, 1}, Games{{11, 5}, {7, 7}}, false},
	} {
		err := tc.s.CheckGames(tc.scores, tc.games)
		if (err == nil) != tc.ok {
			t.Errorf("best-of-%d %v with games %v: error %v; want ok %v", tc.s.BestOf, tc.scores, tc.games, err, tc.ok)
		}
		if err != nil && err.Code != CodeInvalidScore {
			t.Errorf("%v %v: code %s; want invalid_score", tc.scores, tc.games, err.Code)
		}
	}
}

// TestGameScores: reports carry games; players who agree on the score but not the games dispute;
// the organiser's result and a games-only correction set them; the game_points tie-break orders
// by points scored in games.
func TestGameScores(t *testing.T) {
	tr := started(t, Settings{Format: RoundRobin, BestOf: 3, TieBreaks: []TieBreak{GamePoints}}, 2)
	g := Games{{11, 3}, {8, 11}, {11, 9}}
	mustApply(t, tr, Command{Type: CmdReport, Match: 1, By: tr.Matches[0].Players[0], Scores: [2]int{2, 1}, Games: g})
	ev := mustApply(t, tr, Command{Type: CmdReport, Match: 1, By: tr.Matches[0].Players[1], Scores: [2]int{2, 1}, Games: Games{{11, 3}, {8, 11}, {11, 7}}})
	if ev[0].Type != EvMatchDisputed {
		t.Fatalf("the same scores with other games: %s; want match_disputed", ev[0].Type)
	}
	mustApply(t, tr, Command{Type: CmdReport, Match: 1, Scores: [2]int{2, 1}, Games: g})
	m := tr.Matches[0]
	if m.Status != MatchCompleted || m.Games == nil || !slices.Equal(*m.Games, g) {
		t.Fatalf("match after the organiser's result: %s, games %v; want completed with %v", m.Status, m.Games, g)
	}
	if got, _ := json.Marshal(m); !strings.Contains(string(got), `"games":[[11,3],[8,11],[11,9]]`) {
		t.Errorf("match JSON %s; want its games", got)
	}
	st := Standings(tr)
	a := st[0]
	if a.GamePointsFor != 30 || a.GamePointsAgainst != 23 || a.TieBreaks[GamePoints] != 7 {
		t.Errorf("winner's line %+v; want game points 30 for, 23 against, tie-break 7", a)
	}
	if _, err := Apply(tr, Command{Type: CmdReport, Match: 1, Scores: [2]int{2, 1}, Games: g}); err == nil {
		t.Error("a correction to the same scores and games was accepted")
	}
	ev = mustApply(t, tr, Command{Type: CmdReport, Match: 1, Scores: [2]int{2, 1}, Games: Games{{11, 0}, {0, 11}, {11, 0}}})
	if last := ev[len(ev)-1]; last.Type != EvCorrected || last.Was.Games == nil || (*last.Was.Games)[0] != [2]int{11, 3} {
		t.Errorf("games-only correction events %+v; want match_corrected with the old games", ev)
	}
	mustApply(t, tr, Command{Type: CmdReport, Match: 1, Scores: [2]int{2, 0}})
	if tr.Matches[0].Games != nil {
		t.Errorf("a correction without games kept %v", *tr.Matches[0].Games)
	}
}

// TestGamePointsTieBreak: a three-way cycle (1 beats 2 by 11-9, 2 beats 3 by 11-6, 3 beats 1 by
// 11-2) is level on points and on games; game points (-7, +3, +4) order it 3, 2, 1.
func TestGamePointsTieBreak(t *testing.T) {
	tr := started(t, Settings{Format: RoundRobin, BestOf: 1, TieBreaks: []TieBreak{GameDifference, GamePoints}}, 3)
	beats := map[PlayerID]PlayerID{1: 2, 2: 3, 3: 1}
	loserPts := map[PlayerID]int{1: 9, 2: 6, 3: 2} // by winner
	for tr.Status == StatusRunning {
		i := slices.IndexFunc(tr.Matches, func(m Match) bool { return m.Status == MatchReady })
		m := tr.Matches[i]
		w := 0
		if beats[m.Players[1]] == m.Players[0] {
			w = 1
		}
		var sc [2]int
		var g [2]int
		sc[w], g[w], g[1-w] = 1, 11, loserPts[m.Players[w]]
		mustApply(t, tr, Command{Type: CmdReport, Match: m.ID, Scores: sc, Games: Games{g}})
	}
	var order []PlayerID
	var gp []float64
	for _, s := range Standings(tr) {
		order, gp = append(order, s.Player), append(gp, s.TieBreaks[GamePoints])
	}
	if !slices.Equal(order, []PlayerID{3, 2, 1}) || !slices.Equal(gp, []float64{4, 3, -7}) {
		t.Errorf("order %v with game points %v; want [3 2 1] with [4 3 -7]", order, gp)
	}
}

// TestDoubleRoundRobin: with two legs every pair of a group meets twice, sides swapped, in the
// rounds after the first leg's.
func TestDoubleRoundRobin(t *testing.T) {
	for _, n := range []int{2, 3, 4, 5, 8} {
		tr := started(t, Settings{Format: RoundRobin, Legs: 2}, n)
		if want := n * (n - 1); len(tr.Matches) != want {
			t.Fatalf("%d players: %d matches; want %d", n, len(tr.Matches), want)
		}
		seen := map[[2]PlayerID]int{}
		rounds := 0
		for _, m := range tr.Matches {
			seen[m.Players]++
			rounds = max(rounds, m.Round)
		}
		for p, k := range seen {
			if k != 1 || seen[[2]PlayerID{p[1], p[0]}] != 1 {
				t.Fatalf("%d players: pair %v meets %d times with these sides, %d with the other; want once each", n, p, k, seen[[2]PlayerID{p[1], p[0]}])
			}
		}
		ring := n + n%2
		if rounds != 2*(ring-1) {
			t.Errorf("%d players: %d rounds; want %d", n, rounds, 2*(ring-1))
		}
	}
	if _, err := (Settings{Format: RoundRobin, Legs: 3}).withDefaults(); err == nil {
		t.Error("legs 3 accepted")
	}
	if _, err := (Settings{Format: Swiss, Legs: 2}).withDefaults(); err == nil {
		t.Error("legs on Swiss accepted")
	}
	tr := newTournament(t, Settings{Format: RoundRobin, Legs: 2}, MaxGroupSize/2+1)
	if _, err := Apply(tr, Command{Type: CmdStart}); err == nil {
		t.Errorf("a double round robin group of %d started; at most %d", MaxGroupSize/2+1, MaxGroupSize/2)
	}
}
