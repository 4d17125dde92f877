package match

import "slices"

// Standings returns the standings at this moment, best first. For eliminations, players still in
// share the best ranks they can still reach; eliminated players get their final placement, tied
// with everyone eliminated at the same stage (5th-8th). For round robin and Swiss: points, then the
// tie-breaks of Settings.TieBreaks (see pointsStandings).
func Standings(t *Tournament) []Standing {
	if t.twoStage() && t.Stage == StagePlayoff {
		return twoStageStandings(t)
	}
	if t.Settings.pointsFormat() {
		return pointsStandings(t)
	}
	return eliminationStandings(t)
}

// eliminationStandings ranks by how far each player got. The stage key of a player eliminated in
// a match is that match's depth in the bracket; players still in rank above everyone eliminated,
// and those with no loss above those with one (double elimination).
func eliminationStandings(t *Tournament) []Standing {
	type line struct {
		s   Standing
		key float64
		pos int // seed, for a stable order inside ties
	}
	lines := make([]line, len(t.Participants))
	at := make(map[PlayerID]int, len(t.Participants))
	for i, p := range t.Participants {
		lines[i] = line{s: Standing{Player: p.ID, Eliminated: p.Eliminated}, pos: p.Seed}
		at[p.ID] = i
	}
	winnersRounds, losersRounds := 0, 0
	for i := range t.Matches {
		m := &t.Matches[i]
		switch m.Bracket {
		case BracketWinners:
			winnersRounds = max(winnersRounds, m.Round)
		case BracketLosers:
			losersRounds = max(losersRounds, m.Round)
		}
		if m.Status != MatchCompleted || m.Bracket == BracketGroup || m.Bracket == BracketSwiss {
			continue // (a two-stage tournament's group matches: its playoff ranks the qualifiers)
		}
		for side, p := range m.Players {
			j, ok := at[p]
			if !ok {
				continue
			}
			s := &lines[j].s
			s.GamesWon += m.Scores[side]
			s.addGamePoints(m, side)
			s.GamesLost += m.Scores[1-side]
			switch p {
			case m.Winner:
				if m.Players[1-side] != 0 {
					s.Wins++
				}
			case m.Loser:
				s.Losses++
			}
		}
	}
	for i := range lines {
		l := &lines[i]
		p := &t.Participants[i]
		switch {
		case !p.Eliminated && l.s.Losses == 0:
			l.key = 1e6
		case !p.Eliminated:
			// One loss and still in: double elimination losers bracket, or a third-place match.
			l.key = 1e5
			if t.format() == SingleElimination {
				l.key = float64(winnersRounds-1) + 0.75
			}
		default:
			l.key = stageKey(t, p.EliminatedIn, winnersRounds, losersRounds)
		}
	}
	slices.SortStableFunc(lines, func(x, y line) int {
		switch {
		case x.key > y.key:
			return -1
		case x.key < y.key:
			return 1
		}
		return x.pos - y.pos
	})
	out := make([]Standing, len(lines))
	for i := 0; i < len(lines); {
		j := i
		for j < len(lines) && lines[j].key == lines[i].key {
			j++
		}
		for k := i; k < j; k++ {
			out[k] = lines[k].s
			out[k].Rank, out[k].RankTo = i+1, j
		}
		i = j
	}
	return out
}

// stageKey orders elimination stages: higher is better.
func stageKey(t *Tournament, in MatchID, winnersRounds, losersRounds int) float64 {
	if in == 0 || int(in) > len(t.Matches) {
		return -1 // withdrew before playing
	}
	m := t.match(in)
	switch m.Bracket {
	case BracketThirdPlace:
		return float64(winnersRounds-1) + 0.5
	case BracketLosers:
		return float64(m.Round)
	case BracketGrandFinal:
		return float64(losersRounds + 1)
	}
	if t.format() == DoubleElimination {
		// Out of the winners bracket at once (double forfeit or withdrawal): just below the
		// losers round that player would have dropped into.
		if m.Round == 1 {
			return 0.5
		}
		return float64(2*(m.Round-1)) - 0.5
	}
	return float64(m.Round)
}

// addGamePoints adds the points of m's games to side's line, if the result gave its games.
func (s *Standing) addGamePoints(m *Match, side int) {
	for _, g := range m.gameList() {
		s.GamePointsFor += g[side]
		s.GamePointsAgainst += g[1-side]
	}
}
