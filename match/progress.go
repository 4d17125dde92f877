package match

import (
	"slices"
	"strings"
	"time"
	"unicode"
)

// How results flow. A match settles once both slots are filled: two players make it ready, one
// player makes it a walkover, none makes it void. A completed match fills the slots it feeds,
// which may settle them in turn. A correction first clears everything downstream that depended on
// the old result, then lets the new result flow.

// index maps players to their matches. It is derived, never serialised, and rebuilt on demand.
type index struct {
	byPlayer map[PlayerID][]MatchID
	names    map[string]bool // folded participant names; built by nameTaken
}

// foldName is the form in which names are compared for "name taken": lower case, without
// invisible characters (see invisible), and with every run of spaces as one space (a browser
// shows "A  B" and "A\u00a0B" as "A B"). Two names that look the same fold the same.
func foldName(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range strings.ToLower(s) {
		switch {
		case invisible(r):
			continue
		case unicode.IsSpace(r):
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}

// nameTaken says whether another participant has this name, as foldName compares them.
func (t *Tournament) nameTaken(name string) bool {
	t.playerMatches(0) // builds idx
	if t.idx.names == nil {
		t.idx.names = make(map[string]bool, len(t.Participants))
		for _, p := range t.Participants {
			t.idx.names[foldName(p.Name)] = true
		}
	}
	return t.idx.names[foldName(name)]
}

func (t *Tournament) playerMatches(p PlayerID) []MatchID {
	if t.idx == nil {
		t.idx = &index{byPlayer: make(map[PlayerID][]MatchID, len(t.Participants))}
		for i := range t.Matches {
			t.indexMatch(&t.Matches[i])
		}
	}
	return t.idx.byPlayer[p]
}

// indexMatch records m's players; elimination matches are indexed as players fill them.
func (t *Tournament) indexMatch(m *Match) {
	if t.idx == nil {
		return
	}
	for _, p := range m.Players {
		if p != 0 {
			ids := t.idx.byPlayer[p]
			if len(ids) == 0 || ids[len(ids)-1] != m.ID {
				t.idx.byPlayer[p] = append(ids, m.ID)
			}
		}
	}
}

// fill puts p (0: nobody) into a slot and settles the match.
func (a *applier) fill(id MatchID, slot int, p PlayerID) {
	m := a.t.match(id)
	m.Players[slot] = p
	m.Filled[slot] = true
	if a.t.idx != nil && p != 0 {
		ids := a.t.idx.byPlayer[p]
		if len(ids) == 0 || ids[len(ids)-1] != id {
			a.t.idx.byPlayer[p] = append(ids, id)
		}
	}
	a.settle(m)
	if m.Status == MatchPending {
		// Waiting for its other slot: no ready, completed or void event carries it, so say
		// that this slot is filled, or a live copy would show it empty until then.
		a.emitSlots(m)
	}
}

// emitSlots says that pending match m's slots changed (match_updated).
func (a *applier) emitSlots(m *Match) {
	a.emit(Event{Type: EvMatchUpdated, MatchID: m.ID, Slots: &Slots{Players: m.Players, Filled: m.Filled}})
}

// settle decides a pending match whose slots are both filled (elimination, or a round robin match
// whose players are free).
func (a *applier) settle(m *Match) {
	if m.Status != MatchPending || !m.Filled[0] || !m.Filled[1] {
		return
	}
	gone := [2]bool{a.t.absent(m.Players[0]), a.t.absent(m.Players[1])}
	switch {
	case gone[0] && gone[1]:
		m.Status = MatchVoid
		for _, p := range m.Players {
			if p != 0 {
				m.Forfeited[sideOf(m, p)] = true
			}
		}
		a.emitMatch(EvMatchVoid, m)
		a.afterResult(m)
	case gone[0] || gone[1]:
		var f [2]bool
		for i := range f {
			f[i] = gone[i] && m.Players[i] != 0
		}
		m.Walkover = true
		m.Forfeited = f
		w := 0
		if gone[0] {
			w = 1
		}
		m.Winner, m.Loser = m.Players[w], m.Players[1-w]
		m.Status = MatchCompleted
		a.emitMatch(EvMatchCompleted, m)
		a.afterResult(m) // a round robin walkover frees both players' next matches too
	default:
		m.Status = MatchReady
		a.stampReady(m)
		a.emitMatch(EvMatchReady, m)
	}
}

// complete records a played result.
func (a *applier) complete(m *Match, scores [2]int, games Games, w int, draw bool) {
	m.Scores = scores
	m.Games = games.ptr()
	m.Draw = draw
	if draw {
		m.Winner, m.Loser = 0, 0
	} else {
		m.Winner, m.Loser = m.Players[w], m.Players[1-w]
	}
	m.Status = MatchCompleted
	a.emitMatch(EvMatchCompleted, m)
	a.afterResult(m)
}

// completeForfeit records a forfeit by one side (the other wins) or both (nobody wins).
func (a *applier) completeForfeit(m *Match, f [2]bool) {
	m.Walkover = true
	m.Games = nil
	m.Forfeited = f
	m.Reports = [2]*Report{}
	switch {
	case f[0] && f[1]:
		m.Winner, m.Loser = 0, 0
	case f[0]:
		m.Winner, m.Loser = m.Players[1], m.Players[0]
	default:
		m.Winner, m.Loser = m.Players[0], m.Players[1]
	}
	m.Status = MatchCompleted
	a.emitMatch(EvMatchCompleted, m)
	a.afterResult(m)
}

func (a *applier) afterResult(m *Match) {
	switch a.t.format() {
	case SingleElimination, DoubleElimination:
		a.route(m)
	case RoundRobin:
		for _, p := range m.Players {
			for _, id := range a.t.playerMatches(p) {
				if n := a.t.match(id); n.Status == MatchPending {
					a.readyIfFree(n)
					break
				}
			}
		}
	case Swiss:
		a.swissRoundDone()
	}
}

// route sends a completed or void elimination match's winner and loser on, and eliminates a loser
// with nowhere to go.
func (a *applier) route(m *Match) {
	t := a.t
	if m.Bracket == BracketGrandFinal && m.Round == 1 && m.WinnerTo != 0 && m.WinnerTo == m.LoserTo {
		// Grand final with reset: the reset is played only if the losers-bracket player won.
		reset := t.match(m.WinnerTo)
		if m.Status == MatchCompleted && m.Winner != 0 && m.Winner == m.Players[1] {
			reset.Players = [2]PlayerID{m.Winner, m.Loser}
			reset.Filled = [2]bool{true, true}
			t.indexMatch(reset)
			a.settle(reset)
			return
		}
		reset.Filled = [2]bool{true, true}
		reset.Status = MatchVoid
		a.emitMatch(EvMatchVoid, reset)
		for _, p := range m.Players {
			if p != 0 && p != m.Winner {
				a.eliminate(p, m.ID)
			}
		}
		return
	}
	winner, loser := m.Winner, m.Loser
	if m.Status == MatchVoid || (m.Forfeited[0] && m.Forfeited[1]) {
		winner, loser = 0, 0
		for _, p := range m.Players {
			if p != 0 {
				a.eliminate(p, m.ID)
			}
		}
	}
	if m.WinnerTo != 0 {
		a.fill(m.WinnerTo, slotFed(t.match(m.WinnerTo), m.ID, TakeWinner), winner)
	}
	if t.absent(loser) {
		loser = 0
	}
	if m.LoserTo != 0 {
		a.fill(m.LoserTo, slotFed(t.match(m.LoserTo), m.ID, TakeLoser), loser)
	} else if loser != 0 {
		a.eliminate(loser, m.ID)
	}
}

func slotFed(m *Match, from MatchID, take Outcome) int {
	if m.Feeds[0].Match == from && m.Feeds[0].Take == take {
		return 0
	}
	return 1
}

// readyIfFree makes a round robin match ready when both players have finished every earlier match
// (walkover if one of them has withdrawn).
func (a *applier) readyIfFree(m *Match) {
	if m.Status != MatchPending {
		return
	}
	for _, p := range m.Players {
		for _, id := range a.t.playerMatches(p) {
			if id == m.ID {
				break
			}
			if s := a.t.match(id).Status; s != MatchCompleted && s != MatchVoid {
				return
			}
		}
	}
	a.settle(m)
}

// correct is an organiser's new result for a completed match.
func (a *applier) correct(m *Match, scores [2]int, games Games) *Error {
	t := a.t
	if m.Players[0] == 0 || m.Players[1] == 0 {
		return errorf(CodeMatchCompleted, "match %d was a bye; there is no result to correct", m.ID)
	}
	if t.absent(m.Players[0]) || t.absent(m.Players[1]) {
		return errorf(CodePlayerWithdrawn, "match %d involves a withdrawn player; its walkover stands", m.ID)
	}
	if t.Stage == StagePlayoff && !t.playoffMatch(m) {
		return errorf(CodeAlreadyStarted, "the playoff has started: group-stage results are final")
	}
	w, draw, err := t.rules(m).seriesResult(scores)
	if err != nil {
		return err
	}
	if err := t.rules(m).CheckGames(scores, games); err != nil {
		return err
	}
	if scores == m.Scores && !m.Walkover && slices.Equal(games, m.gameList()) {
		return errorf(CodeInvalid, "match %d is already %d-%d with these games: nothing to correct", m.ID, scores[0], scores[1])
	}
	was := m.clone()
	sameOutcome := !m.Walkover && draw == m.Draw && (draw || m.Players[w] == m.Winner)
	if sameOutcome || t.rules(m).pointsFormat() {
		// No bracket moves: only the record and the standings change. (Swiss pairings already
		// made stand.)
		m.Scores, m.Draw, m.Walkover, m.Forfeited, m.Reports = scores, draw, false, [2]bool{}, [2]*Report{}
		m.Games = games.ptr()
		if draw {
			m.Winner, m.Loser = 0, 0
		} else {
			m.Winner, m.Loser = m.Players[w], m.Players[1-w]
		}
		a.emitMatch(EvMatchCompleted, m)
		switch {
		case t.Status == StatusFinished:
			a.emit(Event{Type: EvFinished, Standings: Standings(t), Reason: "result corrected"})
		case t.Stage == StageGroups && t.Qualifiers != nil:
			a.groupStageDone("result corrected") // the qualifiers again
		}
		a.corrected(m, &was)
		return nil
	}
	a.clearResult(m)
	m.Status = MatchReady
	a.complete(m, scores, games, w, draw)
	a.checkFinished()
	a.corrected(m, &was)
	return nil
}

// corrected records, last in the entry, what the organiser's correction changed: m as it is now
// and as it was (for the players' notices and the history).
func (a *applier) corrected(m, was *Match) {
	now := m.clone()
	a.emit(Event{Type: EvCorrected, Match: &now, Was: was})
}

// clearResult undoes m's result and everything that depended on it, and leaves m pending.
func (a *applier) clearResult(m *Match) {
	t := a.t
	if m.Status == MatchCompleted || m.Status == MatchVoid {
		if m.WinnerTo != 0 {
			a.unfill(m.WinnerTo, slotFed(t.match(m.WinnerTo), m.ID, TakeWinner))
		}
		if m.LoserTo != 0 && m.LoserTo != m.WinnerTo {
			a.unfill(m.LoserTo, slotFed(t.match(m.LoserTo), m.ID, TakeLoser))
		}
		for _, p := range m.Players {
			a.reinstate(p, m.ID)
		}
	}
	m.Status = MatchPending
	m.Winner, m.Loser, m.Scores, m.Draw, m.Walkover, m.Games = 0, 0, [2]int{}, false, false, nil
	m.Forfeited, m.Reports = [2]bool{}, [2]*Report{}
	m.ReadyAt, m.Deadline, m.Warned, m.Overdue = time.Time{}, time.Time{}, false, false
}

// unfill empties one slot of a downstream match, clearing its own result first.
func (a *applier) unfill(id MatchID, slot int) {
	m := a.t.match(id)
	if !m.Filled[slot] && m.Status == MatchPending {
		return
	}
	wasLive := m.Status != MatchPending
	a.clearResult(m)
	if m.WinnerTo == 0 && m.LoserTo == 0 && m.Bracket == BracketGrandFinal && m.Round == 2 {
		m.Players, m.Filled = [2]PlayerID{}, [2]bool{} // a reset is fed by both slots of one match
	} else {
		m.Players[slot], m.Filled[slot] = 0, false
	}
	if wasLive {
		a.emitMatch(EvMatchReset, m)
	} else {
		a.emitSlots(m) // a pending match lost the player its slot had
	}
	if a.t.Status == StatusFinished {
		a.t.Status = StatusRunning
		a.emit(Event{Type: EvReopened, Reason: "a correction reopened the bracket"})
	}
}

// checkFinished ends the tournament when every match is decided.
func (a *applier) checkFinished() {
	t := a.t
	if t.Status != StatusRunning {
		return
	}
	if t.format() == Swiss {
		return // swissRoundDone decides
	}
	if t.twoStage() && t.Stage == StageGroups && t.Qualifiers != nil {
		return // waiting for start_playoff
	}
	for i := range t.Matches {
		if s := t.Matches[i].Status; s != MatchCompleted && s != MatchVoid {
			return
		}
	}
	a.finish("")
}

// finish ends the stage being played: the tournament, or the group stage of a two-stage one.
func (a *applier) finish(reason string) {
	if a.t.twoStage() && a.t.Stage != StagePlayoff {
		a.groupStageDone(reason)
		return
	}
	a.finishTournament(reason)
}

func (a *applier) finishTournament(reason string) {
	a.t.Status = StatusFinished
	a.t.Note = reason
	a.emit(Event{Type: EvFinished, Standings: Standings(a.t), Reason: reason})
}
