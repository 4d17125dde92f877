package match

// Swiss rounds are made one at a time: when every match of the current round is decided, the next
// round is paired from the standings of that moment (see pairSwiss). When no pairing without a
// rematch exists, the tournament ends after the rounds played and says why.

// swissRoundDone pairs the next round, or finishes, once the current round is decided.
func (a *applier) swissRoundDone() {
	t := a.t
	if t.Status != StatusRunning {
		return
	}
	for i := len(t.Matches) - 1; i >= 0 && t.Matches[i].Round == t.Round; i-- {
		if s := t.Matches[i].Status; s != MatchCompleted && s != MatchVoid {
			return
		}
	}
	if t.Round >= t.Settings.Rounds {
		a.finish("")
		return
	}
	a.nextSwissRound()
}

// nextSwissRound pairs and opens round t.Round+1.
func (a *applier) nextSwissRound() {
	t := a.t
	var entrants []SwissEntrant
	for _, s := range pointsStandings(t) {
		if p := t.participant(s.Player); p != nil && !p.Withdrawn {
			entrants = append(entrants, SwissEntrant{ID: p.ID, Points: s.Points, Byes: p.Byes, Last: -1})
		}
	}
	if len(entrants) < 2 {
		a.finish("fewer than two players remain")
		return
	}
	pos := make(map[PlayerID]int, len(entrants))
	for i, e := range entrants {
		pos[e.ID] = i
	}
	played := make(map[[2]PlayerID]bool, len(t.Matches))
	for i := range t.Matches {
		m := &t.Matches[i]
		x, y := m.Players[0], m.Players[1]
		if x == 0 || y == 0 {
			continue
		}
		played[[2]PlayerID{min(x, y), max(x, y)}] = true
		for side, p := range m.Players {
			if j, ok := pos[p]; ok {
				if side == 0 {
					entrants[j].Colour++
				} else {
					entrants[j].Colour--
				}
				entrants[j].Last = side
			}
		}
	}
	pairs, bye, err := pairSwiss(entrants, func(x, y PlayerID) bool {
		return played[[2]PlayerID{min(x, y), max(x, y)}]
	})
	if err != nil {
		a.finish(err.Error())
		return
	}
	t.Round++
	t.RoundStartedAt = a.at
	first := len(t.Matches)
	for _, pr := range pairs {
		id := MatchID(len(t.Matches) + 1)
		t.Matches = append(t.Matches, Match{ID: id, Bracket: BracketSwiss, Round: t.Round,
			Status: MatchReady, Players: pr.Players, Filled: [2]bool{true, true}})
		t.indexMatch(&t.Matches[id-1])
	}
	if bye != 0 {
		id := MatchID(len(t.Matches) + 1)
		t.Matches = append(t.Matches, Match{ID: id, Bracket: BracketSwiss, Round: t.Round,
			Status: MatchCompleted, Players: [2]PlayerID{bye, 0}, Filled: [2]bool{true, true},
			Winner: bye, Walkover: true})
		t.indexMatch(&t.Matches[id-1])
		t.participant(bye).Byes++
	}
	a.emit(Event{Type: EvRoundStarted, Round: t.Round, Matches: cloneMatches(t.Matches[first:])})
	for i := first; i < len(t.Matches); i++ {
		if t.Matches[i].Status == MatchReady {
			a.stampReady(&t.Matches[i])
			a.emitMatch(EvMatchReady, &t.Matches[i])
		}
	}
	if len(pairs) == 0 { // only a bye: the round is already decided
		a.swissRoundDone()
	}
}
