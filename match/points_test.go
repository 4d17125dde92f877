package match

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// ptTournament returns a running tournament of the given format with players 1..len(seeds);
// seeds[i] is the seed of player i+1.
func ptTournament(f Format, seeds ...int) *Tournament {
	t := &Tournament{ID: "t", Settings: Settings{Format: f, BestOf: 1}, Status: StatusRunning}
	for i, s := range seeds {
		t.Participants = append(t.Participants, Participant{ID: PlayerID(i + 1), Name: fmt.Sprintf("P%d", i+1), Seed: s})
	}
	return t
}

// ptAdd appends matches, numbering them and putting them in the format's bracket.
func ptAdd(t *Tournament, ms ...Match) {
	for _, m := range ms {
		m.ID = MatchID(len(t.Matches) + 1)
		if m.Bracket == "" {
			m.Bracket = BracketSwiss
			if t.Settings.Format == RoundRobin {
				m.Bracket = BracketGroup
			}
		}
		if m.Status == "" {
			m.Status = MatchCompleted
		}
		m.Filled = [2]bool{true, true}
		t.Matches = append(t.Matches, m)
	}
}

// ptGame is a completed match with scores a-b: the higher score wins, equal is a draw.
func ptGame(a, b PlayerID, sa, sb int) Match {
	m := Match{Players: [2]PlayerID{a, b}, Scores: [2]int{sa, sb}}
	switch {
	case sa > sb:
		m.Winner, m.Loser = a, b
	case sb > sa:
		m.Winner, m.Loser = b, a
	default:
		m.Draw = true
	}
	return m
}

func ptBye(p PlayerID) Match {
	return Match{Players: [2]PlayerID{p, 0}, Winner: p, Walkover: true}
}

// ptForfeit: side forfeits to the other.
func ptForfeit(a, b PlayerID, side int) Match {
	m := Match{Players: [2]PlayerID{a, b}, Walkover: true}
	m.Forfeited[side] = true
	m.Winner, m.Loser = m.Players[1-side], m.Players[side]
	return m
}

func ptDoubleForfeit(a, b PlayerID) Match {
	return Match{Players: [2]PlayerID{a, b}, Walkover: true, Forfeited: [2]bool{true, true}}
}

var ptAbbrev = map[TieBreak]string{HeadToHead: "hh", Buchholz: "bh", SonnebornBerger: "sb", GameDifference: "gd"}

// ptLines writes each standing as "P1 #1-1 g0 2/0/0 p2 4:1 bh2 sb2 hh0 gd3": player, ranks, group,
// wins/draws/losses, points, games, then the tie-breaks in the order configured (x marks
// eliminated).
func ptLines(t *testing.T, tr *Tournament, ss []Standing) string {
	t.Helper()
	tbs := tr.Settings.TieBreaks
	if len(tbs) == 0 {
		tbs = defaultTieBreaks(tr.Settings.Format)
	}
	var lines []string
	for _, s := range ss {
		var b strings.Builder
		fmt.Fprintf(&b, "P%d #%d-%d g%d %d/%d/%d p%g %d:%d", s.Player, s.Rank, s.RankTo, s.Group,
			s.Wins, s.Draws, s.Losses, s.Points, s.GamesWon, s.GamesLost)
		if len(s.TieBreaks) != len(tbs) {
			t.Errorf("player %d has tie-breaks %v; want exactly %v", s.Player, s.TieBreaks, tbs)
		}
		for _, tb := range tbs {
			v, ok := s.TieBreaks[tb]
			if !ok {
				t.Errorf("player %d: tie-break %s missing", s.Player, tb)
			}
			fmt.Fprintf(&b, " %s%g", ptAbbrev[tb], v)
		}
		if s.Eliminated {
			b.WriteString(" x")
		}
		lines = append(lines, b.String())
	}
	return strings.Join(lines, "\n")
}

// ptSwissSix is a 6-player Swiss after two rounds with chess points (1, 1/2, 0) and seeds in
// reverse of the ids, so that seed order never agrees with a tie-break by accident.
//
//	R1: 1 beat 2 2-1, 3 beat 4 2-0, 5 drew 6 1-1
//	R2: 1 beat 3 2-0, 2 beat 5 2-1, 6 beat 4 2-0
//
// Points: 1:2 6:1.5 2:1 3:1 5:0.5 4:0. Players 2 and 3 are tied on points.
func ptSwissSix(tbs ...TieBreak) *Tournament {
	t := ptTournament(Swiss, 6, 5, 4, 3, 2, 1)
	t.Settings.Points = &Points{Win: 1, Draw: 0.5, Loss: 0}
	t.Settings.TieBreaks = tbs
	ptAdd(t, ptGame(1, 2, 2, 1), ptGame(3, 4, 2, 0), ptGame(5, 6, 1, 1),
		ptGame(1, 3, 2, 0), ptGame(2, 5, 2, 1), ptGame(6, 4, 2, 0))
	return t
}

func TestPointsStandings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		t    *Tournament
		want string
	}{
		{
			// Buchholz: 1: 1+1, 2: 2+0.5, 3: 0+2, 4: 1+1.5, 5: 1.5+1, 6: 0.5+0.
			// Sonneborn-Berger: 1: 1+1, 2: 0.5 (beat 5), 3: 0 (beat 4 on 0), 5: 1.5/2, 6: 0.5/2 + 0.
			// 2 and 3 split on Buchholz 2.5 to 2.
			name: "swiss defaults: buchholz splits the tie",
			t:    ptSwissSix(),
			want: `P1 #1-1 g0 2/0/0 p2 4:1 bh2 sb2 hh0 gd3
P6 #2-2 g0 1/1/0 p1.5 3:1 bh0.5 sb0.25 hh0 gd2
P2 #3-3 g0 1/0/1 p1 3:3 bh2.5 sb0.5 hh0 gd0
P3 #4-4 g0 1/0/1 p1 2:2 bh2 sb0 hh0 gd0
P5 #5-5 g0 0/1/1 p0.5 2:3 bh2.5 sb0.75 hh0 gd-1
P4 #6-6 g0 0/0/2 p0 0:4 bh2.5 sb0 hh0 gd-4`,
		},
		{
			name: "sonneborn-berger alone splits the tie",
			t:    ptSwissSix(SonnebornBerger),
			want: `P1 #1-1 g0 2/0/0 p2 4:1 sb2
P6 #2-2 g0 1/1/0 p1.5 3:1 sb0.25
P2 #3-3 g0 1/0/1 p1 3:3 sb0.5
P3 #4-4 g0 1/0/1 p1 2:2 sb0
P5 #5-5 g0 0/1/1 p0.5 2:3 sb0.75
P4 #6-6 g0 0/0/2 p0 0:4 sb0`,
		},
		{
			// Equal game difference: 2 and 3 share 3rd-4th, listed by seed (3 has seed 4, 2 seed 5).
			name: "game difference equal: shared rank, seed orders",
			t:    ptSwissSix(GameDifference),
			want: `P1 #1-1 g0 2/0/0 p2 4:1 gd3
P6 #2-2 g0 1/1/0 p1.5 3:1 gd2
P3 #3-4 g0 1/0/1 p1 2:2 gd0
P2 #3-4 g0 1/0/1 p1 3:3 gd0
P5 #5-5 g0 0/1/1 p0.5 2:3 gd-1
P4 #6-6 g0 0/0/2 p0 0:4 gd-4`,
		},
		{
			// 2 and 3 never met: head-to-head is 0 for both.
			name: "head-to-head without a meeting leaves the tie",
			t:    ptSwissSix(HeadToHead, Buchholz),
			want: `P1 #1-1 g0 2/0/0 p2 4:1 hh0 bh2
P6 #2-2 g0 1/1/0 p1.5 3:1 hh0 bh0.5
P2 #3-3 g0 1/0/1 p1 3:3 hh0 bh2.5
P3 #4-4 g0 1/0/1 p1 2:2 hh0 bh2
P5 #5-5 g0 0/1/1 p0.5 2:3 hh0 bh2.5
P4 #6-6 g0 0/0/2 p0 0:4 hh0 bh2.5`,
		},
		{
			// Round robin of 5 with 3/1/0. 1, 2 and 3 all finish on 7; among themselves 1 beat 2
			// and drew 3 (4), 2 beat 3 (3), 3 drew 1 (1). Seeds are reversed.
			// SB: 1: 7 + 7/2 + 3, 2: 7 + 3 + 4/2, 3: 7/2 + 3 + 4, 4: 4, 5: 7 + 7/2.
			name: "round robin: three-way head-to-head splits",
			t: func() *Tournament {
				t := ptTournament(RoundRobin, 5, 4, 3, 2, 1)
				t.Settings.AllowDraws = true
				for _, m := range []Match{
					ptGame(1, 2, 1, 0), ptGame(1, 3, 0, 0), ptGame(2, 3, 1, 0), ptGame(1, 4, 1, 0),
					ptGame(5, 1, 1, 0), ptGame(2, 4, 1, 0), ptGame(2, 5, 0, 0), ptGame(3, 4, 1, 0),
					ptGame(3, 5, 1, 0), ptGame(4, 5, 1, 0),
				} {
					m.Group = 1
					ptAdd(t, m)
				}
				return t
			}(),
			want: `P1 #1-1 g1 2/1/1 p7 2:1 hh4 sb13.5 gd1 bh21
P2 #2-2 g1 2/1/1 p7 2:1 hh3 sb12 gd1 bh21
P3 #3-3 g1 2/1/1 p7 2:1 hh1 sb10.5 gd1 bh21
P5 #4-4 g1 1/1/2 p4 1:2 hh0 sb10.5 gd-1 bh24
P4 #5-5 g1 1/0/3 p3 1:3 hh0 sb4 gd-2 bh25`,
		},
		{
			// A cycle: each beat one and lost to one, so points, head-to-head (3 each),
			// Sonneborn-Berger (3 each) and Buchholz (6 each) are level. Game difference:
			// 1: 3+1 - 0+3 = +1, 2: 0+3 - 3+2 = -2, 3: 2+3 - 3+1 = +1. 1 and 3 stay tied and
			// share 1st-2nd; 3 is listed first, being seed 1.
			name: "round robin: three-way cycle, game difference, then a shared rank",
			t: func() *Tournament {
				t := ptTournament(RoundRobin, 2, 3, 1)
				t.Settings.BestOf = 5
				for _, m := range []Match{ptGame(1, 2, 3, 0), ptGame(2, 3, 3, 2), ptGame(3, 1, 3, 1)} {
					m.Group = 1
					ptAdd(t, m)
				}
				return t
			}(),
			want: `P3 #1-2 g1 1/0/1 p3 5:4 hh3 sb3 gd1 bh6
P1 #1-2 g1 1/0/1 p3 4:3 hh3 sb3 gd1 bh6
P2 #3-3 g1 1/0/1 p3 3:5 hh3 sb3 gd-2 bh6`,
		},
		{
			// R1: 2 forfeits to 1; 3 has the bye. R2: 1 and 3 both forfeit; 2 has the bye.
			// Everyone has one win and one loss (3 points). A bye has no opponent: Buchholz is
			// 1: 3+3 (the double forfeit still met 3), 2: 3, 3: 3. 3 withdrew: still ranked.
			name: "swiss: forfeit, double forfeit, byes, withdrawal",
			t: func() *Tournament {
				t := ptTournament(Swiss, 1, 2, 3)
				t.Participants[2].Withdrawn = true
				ptAdd(t, ptForfeit(1, 2, 1), ptBye(3), ptDoubleForfeit(1, 3), ptBye(2))
				return t
			}(),
			want: `P1 #1-1 g0 1/0/1 p3 0:0 bh6 sb3 hh3 gd0
P2 #2-3 g0 1/0/1 p3 0:0 bh3 sb0 hh0 gd0
P3 #2-3 g0 1/0/1 p3 0:0 bh3 sb0 hh0 gd0 x`,
		},
		{
			// The same with win 3, draw 2, loss 1: a loss (also a double forfeit) is worth 1.
			// Head-to-head: 1: 3 (beat 2) + 1 (double forfeit with 3); 2: 1; 3: 1.
			name: "custom points: losses score",
			t: func() *Tournament {
				t := ptTournament(Swiss, 1, 2, 3)
				t.Settings.Points = &Points{Win: 3, Draw: 2, Loss: 1}
				t.Participants[1].Withdrawn, t.Participants[1].Disqualified = true, true
				ptAdd(t, ptForfeit(1, 2, 1), ptBye(3), ptDoubleForfeit(1, 3), ptBye(2))
				return t
			}(),
			want: `P1 #1-1 g0 1/0/1 p4 0:0 bh8 sb4 hh4 gd0
P2 #2-3 g0 1/0/1 p4 0:0 bh4 sb0 hh1 gd0 x
P3 #2-3 g0 1/0/1 p4 0:0 bh4 sb0 hh1 gd0`,
		},
		{
			// Two groups ranked separately, in group order. Group 1: 1 beat 4, 1 drew 5, 5 beat
			// 4: 1 and 5 level on everything (hh 1, sb 0 + 4/2, gd +1, bh 4), so they share
			// 1st-2nd. Group 2: 3 beat 2, 2 beat 6, 3-6 not played yet: 2 and 3 on 3 points,
			// split by head-to-head. An elimination-bracket match does not count.
			name: "round robin groups",
			t: func() *Tournament {
				t := ptTournament(RoundRobin, 1, 2, 3, 4, 5, 6)
				t.Settings.Groups = 2
				t.Settings.AllowDraws = true
				g1 := []Match{ptGame(1, 4, 1, 0), ptGame(1, 5, 0, 0), ptGame(4, 5, 0, 1)}
				g2 := []Match{ptGame(2, 3, 0, 1), ptGame(2, 6, 1, 0), {Players: [2]PlayerID{3, 6}, Status: MatchReady}}
				for _, m := range g1 {
					m.Group = 1
					ptAdd(t, m)
				}
				for _, m := range g2 {
					m.Group = 2
					ptAdd(t, m)
				}
				other := ptGame(6, 1, 1, 0)
				other.Bracket = BracketWinners
				ptAdd(t, other)
				return t
			}(),
			want: `P1 #1-2 g1 1/1/0 p4 1:0 hh1 sb2 gd1 bh4
P5 #1-2 g1 1/1/0 p4 1:0 hh1 sb2 gd1 bh4
P4 #3-3 g1 0/0/2 p0 0:2 hh0 sb0 gd-2 bh8
P3 #1-1 g2 1/0/0 p3 1:0 hh3 sb3 gd1 bh3
P2 #2-2 g2 1/0/1 p3 1:1 hh0 sb0 gd0 bh3
P6 #3-3 g2 0/0/1 p0 0:1 hh0 sb0 gd-1 bh3`,
		},
		{
			// Nothing played: everybody shares 1st-4th, listed by seed, the unseeded last by id.
			name: "no results: one shared rank",
			t:    ptTournament(Swiss, 2, 1, 0, 0),
			want: `P2 #1-4 g0 0/0/0 p0 0:0 bh0 sb0 hh0 gd0
P1 #1-4 g0 0/0/0 p0 0:0 bh0 sb0 hh0 gd0
P3 #1-4 g0 0/0/0 p0 0:0 bh0 sb0 hh0 gd0
P4 #1-4 g0 0/0/0 p0 0:0 bh0 sb0 hh0 gd0`,
		},
		{
			// Fractional points that do not add up exactly in binary (0.1 + 0.2 + 0.3) are
			// rounded, so equal totals still tie.
			name: "fractional points compare exactly",
			t: func() *Tournament {
				t := ptTournament(Swiss, 1, 2, 3, 4)
				t.Settings.Points = &Points{Win: 0.2, Draw: 0.1, Loss: 0}
				t.Settings.AllowDraws = true
				t.Settings.TieBreaks = []TieBreak{Buchholz}
				ptAdd(t, ptGame(1, 2, 0, 0), ptGame(3, 4, 1, 0),
					ptGame(1, 3, 0, 0), ptGame(2, 4, 0, 0),
					ptGame(1, 4, 0, 0), ptGame(2, 3, 0, 1))
				return t
			}(),
			// 1: D D D = 0.3; 2: D D L = 0.2; 3: W D W = 0.5; 4: L D D = 0.2.
			// Buchholz 2: 0.3 + 0.2 + 0.5 = 1; 4: 0.5 + 0.2 + 0.3 = 1: tied.
			want: `P3 #1-1 g0 2/1/0 p0.5 2:0 bh0.7
P1 #2-2 g0 0/3/0 p0.3 0:0 bh0.9
P2 #3-4 g0 0/2/1 p0.2 0:1 bh1
P4 #3-4 g0 0/2/1 p0.2 0:1 bh1`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := ptLines(t, tc.t, pointsStandings(tc.t))
			if got != tc.want {
				t.Errorf("standings:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
}

// TestPointsStandingsSharedRanks checks on random round robins that ranks are consistent: within
// a group, Rank counts the players strictly ahead, RankTo the players not behind, and players
// share a rank exactly when points and every tie-break are equal.
func TestPointsStandingsSharedRanks(t *testing.T) {
	t.Parallel()
	for seed := uint64(0); seed < 50; seed++ {
		tr := ptTournament(RoundRobin, 1, 2, 3, 4, 5, 6, 7, 8)
		tr.Settings.AllowDraws = true
		r := seed
		next := func() uint64 { r = r*6364136223846793005 + 1442695040888963407; return r >> 33 }
		for a := PlayerID(1); a <= 8; a++ {
			for b := a + 1; b <= 8; b++ {
				if next()%5 == 0 {
					continue // not played yet
				}
				m := ptGame(a, b, int(next()%2), int(next()%2))
				m.Group = 1
				ptAdd(tr, m)
			}
		}
		ss := pointsStandings(tr)
		tbs := defaultTieBreaks(RoundRobin)
		same := func(x, y Standing) bool {
			if x.Points != y.Points {
				return false
			}
			for _, tb := range tbs {
				if x.TieBreaks[tb] != y.TieBreaks[tb] {
					return false
				}
			}
			return true
		}
		for i, x := range ss {
			ahead, notBehind := 0, 0
			for j, y := range ss {
				if same(x, y) {
					notBehind++
					continue
				}
				if j < i {
					ahead++
					notBehind++
				}
			}
			if x.Rank != ahead+1 || x.RankTo != notBehind {
				t.Fatalf("seed %d: player %d at %d has ranks %d-%d; want %d-%d\n%s", seed, x.Player, i, x.Rank, x.RankTo, ahead+1, notBehind, ptLines(t, tr, ss))
			}
			if i > 0 && ss[i-1].Points < x.Points {
				t.Fatalf("seed %d: points not descending at %d", seed, i)
			}
		}
	}
}

// TestPointsStandingsDefaults checks the default points and both default tie-break orders.
func TestPointsStandingsDefaults(t *testing.T) {
	t.Parallel()
	for _, f := range []Format{RoundRobin, Swiss} {
		tr := ptTournament(f, 1, 2)
		m := ptGame(2, 1, 1, 0)
		m.Group = 1
		if f == Swiss {
			m.Group = 0
		}
		ptAdd(tr, m)
		ss := pointsStandings(tr)
		if len(ss) != 2 || ss[0].Player != 2 || ss[0].Points != 3 || ss[1].Points != 0 {
			t.Fatalf("%s: %+v; want player 2 first on 3 points, player 1 on 0", f, ss)
		}
		want := []TieBreak{HeadToHead, SonnebornBerger, GameDifference, Buchholz}
		if f == Swiss {
			want = []TieBreak{Buchholz, SonnebornBerger, HeadToHead, GameDifference}
		}
		if got := defaultTieBreaks(f); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s default tie-breaks = %v; want %v", f, got, want)
		}
		for _, tb := range want {
			if _, ok := ss[0].TieBreaks[tb]; !ok {
				t.Errorf("%s: tie-break %s missing from %v", f, tb, ss[0].TieBreaks)
			}
		}
	}
}

// BenchmarkPointsStandings1024 ranks a 1024-player Swiss after five rounds (the engine does this
// before pairing each round).
func BenchmarkPointsStandings1024(b *testing.B) {
	sim := newSwSim(1024)
	tr := &Tournament{ID: "t", Settings: Settings{Format: Swiss, BestOf: 3, AllowDraws: true}, Status: StatusRunning}
	for i := range sim.es {
		tr.Participants = append(tr.Participants, Participant{ID: PlayerID(i + 1), Seed: i + 1})
	}
	r := rand.New(rand.NewPCG(3, 3))
	for round := 1; round <= 5; round++ {
		pairs, bye, err := pairSwiss(sim.ranked(), sim.h.played)
		if err != nil {
			b.Fatal(err)
		}
		before := make(map[PlayerID]float64, len(sim.es))
		for _, e := range sim.es {
			before[e.ID] = e.Points
		}
		sim.play(r, pairs, bye, true)
		for _, p := range pairs {
			a, c := p.Players[0], p.Players[1]
			var sc [2]int
			switch da := sim.es[a-1].Points - before[a]; {
			case da == 1:
				sc = [2]int{2, r.IntN(2)}
			case da == 0:
				sc = [2]int{r.IntN(2), 2}
			default:
				sc = [2]int{1, 1}
			}
			m := ptGame(a, c, sc[0], sc[1])
			m.Round = round
			ptAdd(tr, m)
		}
		if bye != 0 {
			ptAdd(tr, ptBye(bye))
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		pointsStandings(tr)
	}
}
