package match

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

var allFormats = []Format{SingleElimination, DoubleElimination, RoundRobin, Swiss}

func settingsFor(f Format, r *rand.Rand) Settings {
	s := Settings{Format: f, BestOf: []int{1, 3, 5}[r.IntN(3)]}
	switch f {
	case SingleElimination:
		s.ThirdPlace = r.IntN(2) == 0
	case DoubleElimination:
		s.GrandFinal = []GrandFinal{GrandFinalNone, GrandFinalSingle, GrandFinalReset}[r.IntN(3)]
	case RoundRobin:
		s.AllowDraws = r.IntN(2) == 0
		s.Groups = 1 + r.IntN(3)
		s.Legs = 1 + r.IntN(2)
	case Swiss:
		s.AllowDraws = r.IntN(2) == 0
	}
	if s.pointsFormat() {
		// Defaults, or points at and inside the documented bounds.
		s.Points = []*Points{nil, {Win: 1, Draw: 0.5}, {Win: 2, Draw: 1, Loss: -1}, {Win: MaxPoints, Draw: MaxPoints - 0.000001, Loss: -MaxPoints}}[r.IntN(4)]
	}
	s.Seeding = []Seeding{SeedGiven, SeedRandom, SeedRating}[r.IntN(3)]
	s.RandomSeed = r.Uint64() >> 11 // at most MaxRandomSeed
	return s
}

// TestProperties plays random tournaments of every format and size 2..130 to the end, checking the
// invariants after every command (see checkInvariants) and these at the end: eliminations have
// exactly one champion and everyone placed; round robin pairs every couple of a group exactly
// once; Swiss never repeats a pairing and gives at most one bye per player.
func TestProperties(t *testing.T) {
	sizes := []int{2, 3, 4, 5, 6, 7, 8, 9, 13, 16, 17, 31, 33, 64, 100, 130}
	for _, f := range allFormats {
		for _, n := range sizes {
			t.Run(fmt.Sprintf("%s/%d", f, n), func(t *testing.T) {
				t.Parallel()
				reps := 3
				if n > 40 {
					reps = 1
				}
				for rep := 0; rep < reps; rep++ {
					r := rand.New(rand.NewPCG(uint64(n), uint64(rep)))
					s := settingsFor(f, r)
					if f == RoundRobin && n > 64 {
						s.Groups = 4
					}
					tr := started(t, s, n)
					playOut(t, tr, r)
					checkFinal(t, tr)
				}
			})
		}
	}
}

func checkFinal(t *testing.T, tr *Tournament) {
	t.Helper()
	if tr.Status != StatusFinished {
		t.Fatalf("status %s; want finished", tr.Status)
	}
	st := Standings(tr)
	if len(st) != len(tr.Participants) {
		t.Fatalf("standings list %d players; want %d", len(st), len(tr.Participants))
	}
	seen := map[PlayerID]bool{}
	for _, s := range st {
		if seen[s.Player] {
			t.Fatalf("player %d twice in standings", s.Player)
		}
		seen[s.Player] = true
	}
	pairs := map[[2]PlayerID]int{}
	byes := map[PlayerID]int{}
	for _, m := range tr.Matches {
		if m.Status != MatchCompleted && m.Status != MatchVoid {
			t.Fatalf("finished with match %d %s", m.ID, m.Status)
		}
		a, b := m.Players[0], m.Players[1]
		if a == 0 || b == 0 {
			if tr.Settings.Format == Swiss {
				byes[a+b]++
			}
			continue
		}
		pairs[[2]PlayerID{min(a, b), max(a, b)}]++
	}
	switch tr.Settings.Format {
	case SingleElimination, DoubleElimination:
		if st[0].Rank != 1 || st[0].RankTo != 1 {
			t.Fatalf("no single champion: %+v", st[:2])
		}
		for _, p := range tr.Participants {
			if !p.Eliminated && p.ID != st[0].Player && tr.Settings.GrandFinal != GrandFinalNone && !wonThirdPlace(tr, p.ID) {
				t.Fatalf("player %d not eliminated but not champion", p.ID)
			}
		}
	case RoundRobin:
		group := map[PlayerID]int{}
		for _, m := range tr.Matches {
			group[m.Players[0]], group[m.Players[1]] = m.Group, m.Group
		}
		for _, a := range tr.Participants {
			for _, b := range tr.Participants {
				if legs := max(1, tr.Settings.Legs); a.ID < b.ID && group[a.ID] == group[b.ID] && pairs[[2]PlayerID{a.ID, b.ID}] != legs {
					t.Fatalf("players %d and %d of group %d met %d times; want %d (legs)", a.ID, b.ID, group[a.ID], pairs[[2]PlayerID{a.ID, b.ID}], legs)
				}
			}
		}
	case Swiss:
		for k, c := range pairs {
			if c > 1 {
				t.Fatalf("pairing %v repeated %d times", k, c)
			}
		}
		for p, c := range byes {
			if c > 1 {
				t.Fatalf("player %d had %d byes", p, c)
			}
		}
		if tr.Round != tr.Settings.Rounds && tr.Note == "" {
			t.Fatalf("finished after %d of %d rounds with no reason", tr.Round, tr.Settings.Rounds)
		}
	}
}

// TestWithdrawals withdraws and disqualifies random players mid-event in every format: their
// future matches become walkovers (in the losers bracket too) and the tournament still ends.
func TestWithdrawals(t *testing.T) {
	for _, f := range allFormats {
		for _, n := range []int{3, 5, 8, 12, 21} {
			t.Run(fmt.Sprintf("%s/%d", f, n), func(t *testing.T) {
				t.Parallel()
				r := rand.New(rand.NewPCG(uint64(n), 77))
				tr := started(t, settingsFor(f, r), n)
				withdrawn := 0
				for tr.Status == StatusRunning {
					if withdrawn < n/3 && r.IntN(4) == 0 {
						p := tr.Participants[r.IntN(len(tr.Participants))]
						if !p.Withdrawn {
							mustApply(t, tr, Command{Type: CmdWithdraw, Player: p.ID, Disqualify: r.IntN(2) == 0})
							withdrawn++
							for _, m := range tr.Matches {
								if (m.Status == MatchReady || m.Status == MatchDisputed) && sideOf(&m, p.ID) >= 0 {
									t.Fatalf("withdrawn player %d still in playable match %d", p.ID, m.ID)
								}
							}
							continue
						}
					}
					for i := range tr.Matches {
						if m := &tr.Matches[i]; m.Status == MatchReady {
							mustApply(t, tr, Command{Type: CmdReport, Match: m.ID, Scores: winScores(r, tr.Settings.BestOf, r.IntN(2))})
							break
						}
					}
				}
				checkFinal(t, tr)
			})
		}
	}
}

func TestForfeits(t *testing.T) {
	for _, f := range allFormats {
		t.Run(string(f), func(t *testing.T) {
			r := rand.New(rand.NewPCG(3, 3))
			tr := started(t, Settings{Format: f}, 9)
			for tr.Status == StatusRunning {
				for i := range tr.Matches {
					m := &tr.Matches[i]
					if m.Status != MatchReady {
						continue
					}
					final := f != RoundRobin && f != Swiss && m.WinnerTo == 0 && m.Bracket != BracketThirdPlace
					switch r.IntN(3) {
					case 0:
						if final { // a double forfeit in the final leaves no champion; tested apart
							mustApply(t, tr, Command{Type: CmdReport, Match: m.ID, Scores: [2]int{0, 1}})
							break
						}
						mustApply(t, tr, Command{Type: CmdForfeit, Match: m.ID, Both: true})
					case 1:
						mustApply(t, tr, Command{Type: CmdForfeit, Match: m.ID, Player: m.Players[1], By: m.Players[1]})
						if m.Winner != m.Players[0] {
							t.Fatalf("forfeit by side 1 gave winner %d", m.Winner)
						}
					default:
						mustApply(t, tr, Command{Type: CmdReport, Match: m.ID, Scores: [2]int{1, 0}})
					}
					break
				}
			}
			checkFinal(t, tr)
		})
	}
}

func wonThirdPlace(tr *Tournament, p PlayerID) bool {
	for _, m := range tr.Matches {
		if m.Bracket == BracketThirdPlace && m.Winner == p {
			return true
		}
	}
	return false
}

func TestDoubleForfeitFinal(t *testing.T) {
	tr := started(t, Settings{Format: SingleElimination}, 2)
	mustApply(t, tr, Command{Type: CmdForfeit, Match: 1, Both: true})
	if tr.Status != StatusFinished {
		t.Fatalf("status %s; want finished", tr.Status)
	}
	for _, s := range Standings(tr) {
		if s.Rank != 1 || s.RankTo != 2 || !s.Eliminated {
			t.Errorf("standing %+v; want both eliminated, tied 1-2", s)
		}
	}
}

// TestRoundRobinWalkoverFreesNextMatch: a withdrawal that turns a player's pending round robin
// match into a walkover frees the opponent's next match. With three players, player 3 withdrawing
// at the start forfeits 2-3, makes 3-1 a walkover, and 1-2 must then be ready; it used to stay
// pending with the tournament running and nothing to play.
func TestRoundRobinWalkoverFreesNextMatch(t *testing.T) {
	tr := started(t, Settings{Format: RoundRobin}, 3)
	mustApply(t, tr, Command{Type: CmdWithdraw, Player: 3})
	for _, m := range tr.Matches {
		if m.Players == [2]PlayerID{1, 2} && m.Status != MatchReady {
			t.Fatalf("match %d (1-2) is %s; want ready\n%s", m.ID, m.Status, dump(tr))
		}
	}
	playOut(t, tr, rand.New(rand.NewPCG(1, 2)))
	checkFinal(t, tr)
}
