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
		tbs = defaultTieBreaks(t.Settings.Format)
	}

	type line struct {
		s    Standing
		seed int
		res  []pointsResult // counted matches: opponent (0: none) and outcome
		key  []float64      // points, then each tie-break, for ranking
	}
	lines := make([]line, len(t.Participants))
	at := pointsIndex(t.Participants)
	for i, p := range t.Participants {
		lines[i] = line{s: Standing{Player: p.ID, Eliminated: p.Eliminated || p.Withdrawn || p.Disqualified}, seed: p.Seed}
	}
	counted := func(m *Match) bool {
		return m.Status == MatchCompleted && (m.Bracket == BracketGroup || m.Bracket == BracketSwiss)
	}
	// Results go into one array, each player's in a slice of it.
	nres := make([]int, len(lines))
	for i := range t.Matches {
		if m := &t.Matches[i]; counted(m) {
			for _, p := range m.Players {
				if j, ok := at(p); ok {
					nres[j]++
				}
			}
		}
	}
	all := make([]pointsResult, 0, 2*len(t.Matches))
	for j := range lines {
		lines[j].res = all[len(all) : len(all) : len(all)+nres[j]]
		all = all[:len(all)+nres[j]]
	}
	grouped := make([]bool, len(lines))
	for i := range t.Matches {
		m := &t.Matches[i]
		if m.Bracket == BracketGroup {
			// A player's group is that of their matches, played or not.
			for _, p := range m.Players {
				if j, ok := at(p); ok && !grouped[j] {
					lines[j].s.Group = m.Group
					grouped[j] = true
				}
			}
		}
		if !counted(m) {
			continue
		}
		for side, p := range m.Players {
			j, ok := at(p)
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
			s.addGamePoints(m, side)
			oi := -1 // an opponent who is not a participant counts as none
			if k, ok := at(opp); ok {
				oi = k
			}
			lines[j].res = append(lines[j].res, pointsResult{opp: int32(oi), got: r})
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

	keys := make([]float64, len(lines)*(1+len(tbs)))
	for i := range lines {
		l := &lines[i]
		l.key = keys[i*(1+len(tbs)) : (i+1)*(1+len(tbs))]
		l.key[0] = l.s.Points
		l.s.TieBreaks = make(map[TieBreak]float64, len(tbs))
		for ti, tb := range tbs {
			var v float64
			switch tb {
			case HeadToHead:
				// Points against the players tied on points with this one (same group).
				for _, r := range l.res {
					if o := r.opp; o >= 0 && lines[o].s.Points == l.s.Points && lines[o].s.Group == l.s.Group {
						v += value(r.got)
					}
				}
			case Buchholz:
				for _, r := range l.res {
					if r.opp >= 0 {
						v += lines[r.opp].s.Points
					}
				}
			case SonnebornBerger:
				for _, r := range l.res {
					if r.opp < 0 {
						continue
					}
					switch r.got {
					case pointsWin:
						v += lines[r.opp].s.Points
					case pointsDraw:
						v += lines[r.opp].s.Points / 2
					}
				}
			case GameDifference:
				v = float64(l.s.GamesWon - l.s.GamesLost)
			case GamePoints:
				v = float64(l.s.GamePointsFor - l.s.GamePointsAgainst)
			default:
				continue // unknown: settings are checked before a tournament exists
			}
			v = pointsRound(v)
			l.s.TieBreaks[tb] = v
			l.key[1+ti] = v
		}
	}

	// rankCmp compares what decides a rank: group, then points and tie-breaks, higher first.
	rankCmp := func(x, y *line) int {
		if c := cmp.Compare(x.s.Group, y.s.Group); c != 0 {
			return c
		}
		for i := range x.key {
			if c := cmp.Compare(y.key[i], x.key[i]); c != 0 {
				return c
			}
		}
		return 0
	}
	order := make([]*line, len(lines))
	for i := range lines {
		order[i] = &lines[i]
	}
	slices.SortFunc(order, func(x, y *line) int {
		if c := rankCmp(x, y); c != 0 {
			return c
		}
		// Seeds order the still tied; an unseeded player (0) after the seeded.
		if c := cmp.Compare(pointsSeedKey(x.seed), pointsSeedKey(y.seed)); c != 0 {
			return c
		}
		return cmp.Compare(x.s.Player, y.s.Player)
	})
	out := make([]Standing, len(order))
	groupStart := 0
	for i := 0; i < len(order); {
		if i == 0 || order[i].s.Group != order[i-1].s.Group {
			groupStart = i
		}
		j := i + 1
		for j < len(order) && rankCmp(order[i], order[j]) == 0 {
			j++
		}
		for k := i; k < j; k++ {
			out[k] = order[k].s
			out[k].Rank, out[k].RankTo = i-groupStart+1, j-groupStart
		}
		i = j
	}
	return out
}

// pointsIndex returns a lookup from player id to position in ps.
func pointsIndex(ps []Participant) func(PlayerID) (int, bool) {
	top := PlayerID(0)
	for _, p := range ps {
		top = max(top, p.ID)
	}
	if top <= 0 || int(top) > 4*len(ps)+1024 {
		m := make(map[PlayerID]int, len(ps))
		for i, p := range ps {
			m[p.ID] = i
		}
		return func(id PlayerID) (int, bool) {
			i, ok := m[id]
			return i, ok && id != 0
		}
	}
	pos := make([]int32, top+1)
	for i, p := range ps {
		if p.ID > 0 {
			pos[p.ID] = int32(i + 1)
		}
	}
	return func(id PlayerID) (int, bool) {
		if id <= 0 || id > top || pos[id] == 0 {
			return 0, false
		}
		return int(pos[id] - 1), true
	}
}

type pointsOutcome int8

const (
	pointsLoss pointsOutcome = iota
	pointsDraw
	pointsWin
)

// pointsResult is one counted match of a player.
type pointsResult struct {
	opp int32 // the opponent's position in the participants; -1 for none (a bye)
	got pointsOutcome
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
