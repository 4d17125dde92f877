package match

import (
	"cmp"
	"math/bits"
	"slices"
)

// Two-stage tournaments: a group stage (round robin groups or Swiss, the tournament's Format)
// followed by a playoff (single or double elimination, Settings.Playoff). When the group stage's
// last match is decided the tournament does not finish: the qualifiers are worked out and seeded
// (group_stage_finished), and it waits for the organiser's start_playoff, which may name other
// qualifiers or another order. The playoff is built after the group matches, in the same
// tournament, and its results decide the top places; everyone else is placed after the
// qualifiers by their group-stage record.
//
// Rules of stage:
//   - The group stage is played by Settings (best_of, draws, points, tie-breaks, time limits).
//   - The playoff by Settings.Playoff (format, best_of, third_place, grand_final), never with draws;
//     its matches have the match time limit, or else the round time limit as one (a playoff has
//     no rounds to share a deadline).
//   - Once the playoff has started, group results are final: a correction is refused. Before, a
//     correction works out the qualifiers again.

// Stages of a two-stage tournament (Tournament.Stage).
const (
	StageGroups  = 1
	StagePlayoff = 2
)

// Playoff is the second stage of a two-stage tournament.
type Playoff struct {
	// Format is single_elimination or double_elimination.
	Format Format `json:"format"`
	// Advance is how many players each round robin group sends on (Swiss: how many in all), the
	// best by the group standings (points, then the tie-breaks of the settings, in order).
	Advance int `json:"advance"`
	// BestOf is the playoff's series length (odd). Defaults to the group stage's, if odd, or 1.
	BestOf int `json:"best_of,omitempty"`
	// ThirdPlace and GrandFinal as for the formats themselves.
	ThirdPlace bool       `json:"third_place,omitempty"`
	GrandFinal GrandFinal `json:"grand_final,omitempty"`
}

// checkPlayoff fills the playoff's defaults and checks it against the group stage s.
func (s *Settings) checkPlayoff() *Error {
	p := s.Playoff
	if p == nil {
		return nil
	}
	if !s.pointsFormat() {
		return errorf(CodeInvalid, "playoff follows a group stage: the format must be round_robin or swiss, not %s", s.Format)
	}
	switch p.Format {
	case SingleElimination, DoubleElimination:
	case "":
		return errorf(CodeInvalid, "playoff.format is required: single_elimination or double_elimination")
	default:
		return errorf(CodeInvalid, "playoff.format must be single_elimination or double_elimination, not %q", p.Format)
	}
	if p.Advance < 1 || p.Advance > s.MaxPlayers {
		return errorf(CodeInvalid, "playoff.advance must be from 1 to max_players (%d), got %d", s.MaxPlayers, p.Advance)
	}
	if s.Format == Swiss && p.Advance < 2 {
		return errorf(CodeInvalid, "playoff.advance must be at least 2 after a Swiss stage (it is how many advance in all)")
	}
	if s.Format == RoundRobin && s.Groups == 1 && p.Advance < 2 {
		return errorf(CodeInvalid, "playoff.advance must be at least 2 with one group")
	}
	if p.BestOf == 0 {
		p.BestOf = 1
		if s.BestOf%2 == 1 {
			p.BestOf = s.BestOf
		}
	}
	if p.BestOf < 1 || p.BestOf > MaxBestOf || p.BestOf%2 == 0 {
		return errorf(CodeInvalid, "playoff.best_of must be odd, from 1 to %d, got %d", MaxBestOf, p.BestOf)
	}
	return checkEnding(p.Format, p.ThirdPlace, &p.GrandFinal, "playoff.")
}

// twoStage says whether t has a playoff after its group stage.
func (t *Tournament) twoStage() bool { return t.Settings.Playoff != nil }

// format is the format being played now: the playoff's once it started.
func (t *Tournament) format() Format {
	if t.Stage == StagePlayoff {
		return t.Settings.Playoff.Format
	}
	return t.Settings.Format
}

// playoffMatch says whether m belongs to the playoff of a two-stage tournament.
func (t *Tournament) playoffMatch(m *Match) bool {
	return t.twoStage() && m.Bracket != BracketGroup && m.Bracket != BracketSwiss
}

// rules are the settings m is played by: the playoff's for a playoff match (see the top of this
// file), the tournament's otherwise.
func (t *Tournament) rules(m *Match) Settings {
	if m == nil || !t.playoffMatch(m) {
		return t.Settings
	}
	return t.playoffRules()
}

// stageRules are the settings of the stage being played.
func (t *Tournament) stageRules() Settings {
	if t.Stage == StagePlayoff {
		return t.playoffRules()
	}
	return t.Settings
}

func (t *Tournament) playoffRules() Settings {
	s, p := t.Settings, t.Settings.Playoff
	s.Format, s.BestOf, s.ThirdPlace, s.GrandFinal = p.Format, p.BestOf, p.ThirdPlace, p.GrandFinal
	s.AllowDraws, s.Groups, s.Rounds, s.Legs, s.Points, s.TieBreaks = false, 0, 0, 0, nil, nil
	if s.MatchTimeLimit == 0 {
		s.MatchTimeLimit = s.RoundTimeLimit
	}
	s.RoundTimeLimit = 0
	return s
}

// groupStageDone is the end of the group stage of a two-stage tournament: it works out and seeds
// the qualifiers, and the tournament waits for start_playoff. With fewer than two qualifiers
// (withdrawals) there is no playoff and the tournament finishes on the group standings.
func (a *applier) groupStageDone(reason string) {
	t := a.t
	q := qualifiers(t)
	if len(q) < 2 {
		a.finishTournament("too few players qualified for the playoff")
		return
	}
	t.Qualifiers = q
	a.emit(Event{Type: EvGroupStageFinished, Standings: pointsStandings(t), Qualifiers: slices.Clone(q), Reason: reason})
}

// qualifiers returns the players the group standings send to the playoff, in seed order: the
// best Advance of each group (Swiss: of all) who have not withdrawn, all group winners first, then
// all runners-up and so on; players of one place are ordered by points, then the tie-breaks, then
// group. Then, place by place, each player takes the seed of their place that keeps them from
// players of their own group for the most rounds of the bracket (seedApart).
func qualifiers(t *Tournament) []PlayerID {
	type qual struct {
		s   Standing
		key []float64
	}
	var tiers [][]qual
	taken := map[int]int{} // by group
	tbs := t.Settings.TieBreaks
	for _, s := range pointsStandings(t) {
		p := t.participant(s.Player)
		if p == nil || p.Withdrawn || taken[s.Group] >= t.Settings.Playoff.Advance {
			continue
		}
		place := taken[s.Group]
		taken[s.Group]++
		for len(tiers) <= place {
			tiers = append(tiers, nil)
		}
		key := []float64{s.Points}
		for _, tb := range tbs {
			key = append(key, s.TieBreaks[tb])
		}
		tiers[place] = append(tiers[place], qual{s, key})
	}
	var groups [][]int // per tier, the group of each qualifier in seed order
	var order []PlayerID
	for _, tier := range tiers {
		slices.SortStableFunc(tier, func(x, y qual) int {
			for i := range x.key {
				if c := cmp.Compare(y.key[i], x.key[i]); c != 0 {
					return c
				}
			}
			return x.s.Group - y.s.Group
		})
		g := make([]int, len(tier))
		for i, q := range tier {
			order = append(order, q.s.Player)
			g[i] = q.s.Group
		}
		groups = append(groups, g)
	}
	if t.Settings.Format == RoundRobin && t.Settings.Groups > 1 {
		order = seedApart(order, groups)
	}
	return order
}

// seedApart reorders qualifiers within each place (tiers of groups, in seed order) so that
// players of one group meet as late as the bracket allows: going down the seeds, each player
// takes, among the seeds of their place still free, the one whose earliest meeting with a player
// of their group already placed is latest (the highest free seed on ties).
func seedApart(order []PlayerID, tiers [][]int) []PlayerID {
	size := 1 << log2ceil(len(order))
	pos := make([]int, size+1) // bracket line of each seed
	for line, seed := range bracketOrder(size) {
		pos[seed] = line
	}
	meet := func(a, b int) int { return bits.Len(uint(pos[a] ^ pos[b])) } // the round they can meet in
	out := make([]PlayerID, len(order))
	placed := map[int][]int{} // the seeds given so far to each group's players
	first := 0
	for _, tier := range tiers {
		free := make([]int, len(tier))
		for i := range free {
			free[i] = first + i + 1
		}
		for i, g := range tier {
			best, bestMeet := -1, -1
			for k, seed := range free {
				if seed == 0 {
					continue
				}
				m := 1 << 30
				for _, other := range placed[g] {
					m = min(m, meet(seed, other))
				}
				if m > bestMeet {
					best, bestMeet = k, m
				}
			}
			seed := free[best]
			free[best] = 0
			out[seed-1] = order[first+i]
			placed[g] = append(placed[g], seed)
		}
		first += len(tier)
	}
	return out
}

// startPlayoff starts the playoff with the qualifiers worked out at the end of the group stage,
// or the players the organiser names in c.Order (top seed first).
func (a *applier) startPlayoff(c Command) *Error {
	t := a.t
	if err := t.needStatus(StatusRunning); err != nil {
		return err
	}
	switch {
	case !t.twoStage():
		return errorf(CodeInvalid, "this tournament has no playoff (settings.playoff)")
	case t.Stage == StagePlayoff:
		return errorf(CodeAlreadyStarted, "the playoff has already started")
	case t.Qualifiers == nil:
		return errorf(CodeNotRunning, "the group stage is not over yet")
	}
	order := t.Qualifiers
	if len(c.Order) > 0 {
		if len(c.Order) < 2 {
			return errorf(CodeTooFewPlayers, "a playoff needs at least 2 players; order names %d", len(c.Order))
		}
		seen := make(map[PlayerID]bool, len(c.Order))
		for i, id := range c.Order {
			p := t.participant(id)
			switch {
			case p == nil:
				return errorf(CodeUnknownPlayer, "order[%d]: player %d is not in this tournament", i, id)
			case p.Withdrawn:
				return errorf(CodePlayerWithdrawn, "order[%d]: player %d has withdrawn", i, id)
			case seen[id]:
				return errorf(CodeInvalid, "order[%d]: player %d is listed twice", i, id)
			}
			seen[id] = true
		}
		order = slices.Clone(c.Order)
	}
	// Checks are done: from here on, change.
	t.Qualifiers = order
	t.Stage = StagePlayoff
	t.idx = nil
	in := make(map[PlayerID]bool, len(order))
	for _, id := range order {
		in[id] = true
	}
	for _, p := range t.Participants {
		if !in[p.ID] {
			a.eliminate(p.ID, 0)
		}
	}
	first := len(t.Matches)
	switch t.format() {
	case SingleElimination:
		buildSingle(t, order)
	case DoubleElimination:
		buildDouble(t, order)
	}
	t.idx = nil
	a.emit(Event{Type: EvPlayoffStarted, Qualifiers: slices.Clone(order)})
	at := len(a.events)
	for i := first; i < len(t.Matches); i++ {
		if m := &t.Matches[i]; m.Round == 1 && m.Bracket == BracketWinners {
			a.settle(m)
		}
	}
	a.events[at-1].Matches = cloneMatches(t.Matches[first:])
	a.checkFinished()
	return nil
}

// twoStageStandings ranks a two-stage tournament whose playoff has started: the qualifiers by
// the playoff (as an elimination ranks), then everyone else by their group-stage place, points and
// tie-breaks, tied where those are equal.
func twoStageStandings(t *Tournament) []Standing {
	in := make(map[PlayerID]bool, len(t.Qualifiers))
	for _, id := range t.Qualifiers {
		in[id] = true
	}
	sub := *t
	sub.Participants = nil
	for _, p := range t.Participants {
		if in[p.ID] {
			q := p
			q.Seed = slices.Index(t.Qualifiers, p.ID) + 1 // the playoff seed orders ties
			sub.Participants = append(sub.Participants, q)
		}
	}
	out := eliminationStandings(&sub)
	var rest []Standing
	for _, s := range pointsStandings(t) {
		if !in[s.Player] {
			rest = append(rest, s)
		}
	}
	key := func(s Standing) [2]float64 { return [2]float64{float64(s.Rank), -s.Points} }
	slices.SortStableFunc(rest, func(x, y Standing) int {
		kx, ky := key(x), key(y)
		if c := cmp.Compare(kx[0], ky[0]); c != 0 {
			return c
		}
		return cmp.Compare(kx[1], ky[1])
	})
	for i := 0; i < len(rest); {
		j := i
		for j < len(rest) && key(rest[j]) == key(rest[i]) {
			j++
		}
		for k := i; k < j; k++ {
			rest[k].Rank, rest[k].RankTo = len(out)+i+1, len(out)+j
			rest[k].Eliminated = true
		}
		i = j
	}
	return append(out, rest...)
}
