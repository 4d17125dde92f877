package match

import (
	"cmp"
	"math"
	"slices"
)

// pointsStandings ranks players by points, then by t.Settings.TieBreaks in order (defaults below), then by seed.
//
// Only completed group (round robin) and Swiss matches count. A match with one empty side and a
// winner is a bye or walkover: a win for points, with no opponent for Buchholz, Sonneborn-Berger
// or head-to-head. A double forfeit (no winner, not a draw) is a loss for both. A single forfeit
// is an ordinary win and loss between the two players.
//
// With no tie-breaks configured, round robin uses head_to_head, sonneborn_berger,
// game_difference, buchholz and Swiss buchholz, sonneborn_berger, head_to_head, game_difference.
// Round robin groups are ranked separately and listed in group order, each best first. Players
// equal on points and every tie-break share Rank..RankTo; the seed only orders them in the list.
// Withdrawn and disqualified players keep their results and are marked Eliminated.
func pointsStandings(t *Tournament) []Standing {
	pts := Points{Win: 3, Draw: 1, Loss: 0}
	if t.Settings.Points != nil {
		pts = *t.Settings.Points
	}
	tbs := t.Settings.TieBreaks
	if len(tbs) == 0 {
		tbs = pointsDefaultTieBreaks(t.Settings.Format)
	}

	type line struct {
		s    Standing
		seed int
		// results: opponent (0: none) and what this player got, for the tie-breaks.
		res []pointsResult
	}
	lines := make([]line, len(t.Participants))
	at := make(map[PlayerID]int, len(t.Participants))
	for i, p := range t.Participants {
		lines[i] = line{s: Standing{Player: p.ID, Eliminated: p.Eliminated || p.Withdrawn || p.Disqualified}, seed: p.Seed}
		at[p.ID] = i
	}
	grouped := map[PlayerID]bool{}
	for i := range t.Matches {
		m := &t.Matches[i]
		if m.Bracket != BracketGroup && m.Bracket != BracketSwiss {
			continue
		}
		if m.Bracket == BracketGroup {
			// A player's group is that of their matches, played or not.
			for _, p := range m.Players {
				if j, ok := at[p]; ok && !grouped[p] {
					lines[j].s.Group = m.Group
					grouped[p] = true
				}
			}
		}
		if m.Status != MatchCompleted {
			continue
		}
		for side, p := range m.Players {
			j, ok := at[p]
			if !ok {
				continue
			}
			opp := m.Players[1-side]
			var r pointsOutcome
			switch {
			case m.Winner == p:
				r = pointsWin
			case opp == 0:
				continue // one-sided and not won by this player: nothing to count
			case m.Draw:
				r = pointsDraw
			default:
				r = pointsLoss // includes a forfeit and a double forfeit
			}
			s := &lines[j].s
			switch r {
			case pointsWin:
				s.Wins++
			case pointsDraw:
				s.Draws++
			default:
				s.Losses++
			}
			s.GamesWon += m.Scores[side]
			s.GamesLost += m.Scores[1-side]
			if _, ok := at[opp]; !ok {
				opp = 0 // an opponent who left the tournament counts as none
			}
			lines[j].res = append(lines[j].res, pointsResult{opp: opp, got: r})
		}
	}
	for i := range lines {
		s := &lines[i].s
		// From the counts, so that equal records give exactly equal points.
		s.Points = pointsRound(float64(s.Wins)*pts.Win + float64(s.Draws)*pts.Draw + float64(s.Losses)*pts.Loss)
	}
	value := func(o pointsOutcome) float64 {
		switch o {
		case pointsWin:
			return pts.Win
		case pointsDraw:
			return pts.Draw
		}
		return pts.Loss
	}

	// Head-to-head needs the sets of players tied on points within a group.
	type tieKey struct {
		group  int
		points float64
	}
	tieSet := make(map[PlayerID]tieKey, len(lines))
	for _, l := range lines {
		tieSet[l.s.Player] = tieKey{l.s.Group, l.s.Points}
	}
	for i := range lines {
		l := &lines[i]
		l.s.TieBreaks = make(map[TieBreak]float64, len(tbs))
		for _, tb := range tbs {
			var v float64
			switch tb {
			case HeadToHead:
				for _, r := range l.res {
					if r.opp != 0 && tieSet[r.opp] == tieSet[l.s.Player] {
						v += value(r.got)
					}
				}
			case Buchholz:
				for _, r := range l.res {
					if r.opp != 0 {
						v += lines[at[r.opp]].s.Points
					}
				}
			case SonnebornBerger:
				for _, r := range l.res {
					if r.opp == 0 {
						continue
					}
					switch r.got {
					case pointsWin:
						v += lines[at[r.opp]].s.Points
					case pointsDraw:
						v += lines[at[r.opp]].s.Points / 2
					}
				}
			case GameDifference:
				v = float64(l.s.GamesWon - l.s.GamesLost)
			default:
				continue
			}
			l.s.TieBreaks[tb] = pointsRound(v)
		}
	}

	// equal compares everything that decides a rank: group, points, tie-breaks.
	equal := func(x, y *line) int {
		if c := cmp.Compare(x.s.Group, y.s.Group); c != 0 {
			return c
		}
		if c := cmp.Compare(y.s.Points, x.s.Points); c != 0 {
			return c
		}
		for _, tb := range tbs {
			if c := cmp.Compare(y.s.TieBreaks[tb], x.s.TieBreaks[tb]); c != 0 {
				return c
			}
		}
		return 0
	}
	slices.SortStableFunc(lines, func(x, y line) int {
		if c := equal(&x, &y); c != 0 {
			return c
		}
		// Seeds order the still tied; an unseeded player (0) after the seeded.
		if c := cmp.Compare(pointsSeedKey(x.seed), pointsSeedKey(y.seed)); c != 0 {
			return c
		}
		return cmp.Compare(x.s.Player, y.s.Player)
	})
	out := make([]Standing, len(lines))
	groupStart := 0
	for i := 0; i < len(lines); {
		if i == 0 || lines[i].s.Group != lines[i-1].s.Group {
			groupStart = i
		}
		j := i + 1
		for j < len(lines) && equal(&lines[i], &lines[j]) == 0 {
			j++
		}
		for k := i; k < j; k++ {
			out[k] = lines[k].s
			out[k].Rank, out[k].RankTo = i-groupStart+1, j-groupStart
		}
		i = j
	}
	return out
}

type pointsOutcome int8

const (
	pointsLoss pointsOutcome = iota
	pointsDraw
	pointsWin
)

// pointsResult is one counted match of a player.
type pointsResult struct {
	opp PlayerID // 0 for a bye
	got pointsOutcome
}

func pointsDefaultTieBreaks(f Format) []TieBreak {
	if f == Swiss {
		return []TieBreak{Buchholz, SonnebornBerger, HeadToHead, GameDifference}
	}
	return []TieBreak{HeadToHead, SonnebornBerger, GameDifference, Buchholz}
}

// pointsRound rounds to 1e-6 so that sums of fractional points compare equal when they should
// (0.1+0.2 and 0.3) and print cleanly.
func pointsRound(v float64) float64 {
	return math.Round(v*1e6) / 1e6
}

func pointsSeedKey(seed int) int {
	if seed <= 0 {
		return math.MaxInt
	}
	return seed
}
