package match

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// mustApply applies c and fails the test on error, checking the version step, the invariants and
// that every event encodes for a JavaScript client (see jsonProblem).
func mustApply(t testing.TB, tr *Tournament, c Command) []Event {
	t.Helper()
	before := tr.Version
	var old *Tournament
	if len(tr.Matches) <= maxCarryCheck {
		old = tr.Clone()
	}
	ev, ch, err := ApplyChanges(tr, c)
	if err != nil {
		t.Fatalf("apply %+v: %v", c, err)
	}
	if old != nil {
		if msg := eventsCarryMatches(old.Matches, tr, ev); msg != "" {
			t.Fatalf("events of %s: %s", c.Type, msg)
		}
		if msg := changesCover(old, tr, ch); msg != "" {
			t.Fatalf("changes of %s: %s", c.Type, msg)
		}
		if msg := undoes(old, c); msg != "" {
			t.Fatalf("undo of %s: %s", c.Type, msg)
		}
	}
	if msg := jsonProblem(ev); msg != "" {
		t.Fatalf("events of %s: %s", c.Type, msg)
	}
	if tr.Version != before+1 {
		t.Fatalf("version after %s = %d; want %d", c.Type, tr.Version, before+1)
	}
	if msg := checkInvariants(tr); msg != "" {
		t.Fatalf("after %s: %s", c.Type, msg)
	}
	return ev
}

// changesCover checks what a store relies on to write only what a command changed: every match
// and participant that differs between old and now (changed, added or removed) is in ch, nothing
// that is the same in both is, and ch is in id order without repeats.
func changesCover(old, now *Tournament, ch Changes) string {
	if !slices.IsSorted(ch.Matches) || len(slices.Compact(slices.Clone(ch.Matches))) != len(ch.Matches) ||
		!slices.IsSorted(ch.Participants) || len(slices.Compact(slices.Clone(ch.Participants))) != len(ch.Participants) {
		return fmt.Sprintf("changes not in id order once each: %+v", ch)
	}
	for i := range max(len(old.Matches), len(now.Matches)) {
		if i < len(old.Matches) && i < len(now.Matches) && old.Matches[i].Equal(&now.Matches[i]) {
			continue
		}
		if _, ok := slices.BinarySearch(ch.Matches, MatchID(i+1)); !ok {
			return fmt.Sprintf("match %d changed, added or removed, and Changes.Matches %v does not name it", i+1, ch.Matches)
		}
	}
	for _, id := range ch.Matches {
		if i := int(id) - 1; i < len(old.Matches) && i < len(now.Matches) && old.Matches[i].Equal(&now.Matches[i]) {
			return fmt.Sprintf("Changes.Matches %v names match %d, which the command left as it was", ch.Matches, id)
		}
	}
	before := make(map[PlayerID]Participant, len(old.Participants))
	for _, p := range old.Participants {
		before[p.ID] = p
	}
	for _, id := range ch.Participants {
		if q, ok := before[id]; ok {
			if p, ok := now.Participant(id); ok && p == q {
				return fmt.Sprintf("Changes.Participants %v names participant %d, whom the command left as they were", ch.Participants, id)
			}
		}
	}
	for _, p := range now.Participants {
		if q, ok := before[p.ID]; ok && q == p {
			delete(before, p.ID)
			continue
		}
		delete(before, p.ID)
		if _, ok := slices.BinarySearch(ch.Participants, p.ID); !ok {
			return fmt.Sprintf("participant %d changed or added, and Changes.Participants %v does not name them", p.ID, ch.Participants)
		}
	}
	for id := range before { // removed
		if _, ok := slices.BinarySearch(ch.Participants, id); !ok {
			return fmt.Sprintf("participant %d removed, and Changes.Participants %v does not name them", id, ch.Participants)
		}
	}
	if ch.MetaSame {
		if was, is := ownFields(old), ownFields(now); was != is {
			return fmt.Sprintf("Changes.MetaSame, but the tournament's own fields went from\n%s\nto\n%s", was, is)
		}
	}
	return ""
}

// ownFields is the JSON of t's own fields: all but its version, participants and matches.
func ownFields(t *Tournament) string {
	c := *t
	c.Version, c.Participants, c.Matches, c.idx, c.dirty = 0, nil, nil, nil, nil
	b, err := json.Marshal(&c)
	if err != nil {
		return err.Error()
	}
	return string(b)
}

// undoes checks Changes.Undo: c applied to a copy of old and undone leaves the copy as old was.
func undoes(old *Tournament, c Command) string {
	want, err := json.Marshal(old)
	if err != nil {
		return err.Error()
	}
	cp := old.Clone()
	_, ch, err := ApplyChanges(cp, c)
	if err != nil {
		return fmt.Sprintf("on a copy: %v", err)
	}
	ch.Undo(cp)
	got, err := json.Marshal(cp)
	if err != nil {
		return err.Error()
	}
	if string(got) != string(want) {
		return fmt.Sprintf("undone:\n%s\nwant:\n%s", got, want)
	}
	// And the undone copy takes the command again as old would.
	if _, err := Apply(cp, c); err != nil {
		return fmt.Sprintf("again after the undo: %v", err)
	}
	return ""
}

// maxCarryCheck bounds the tournaments whose commands eventsCarryMatches checks: it compares
// every match at every command, which made the property tests' biggest tournaments (hundreds to
// thousands of matches) twenty times slower under -race. Every format, correction, deadline and
// edit is exercised below it (tournaments of up to 9 players, and the property tests' small sizes).
const maxCarryCheck = 64

// eventsCarryMatches checks what a live client relies on: every match the command changed is in
// its events, and the last event that carries it has it as the state now does, so that a copy
// kept by replacing each carried match (and setting the slots match_updated gives) equals the
// state (as a snapshot would give it); and each player_eliminated names the match the state
// says put the player out.
func eventsCarryMatches(was []Match, tr *Tournament, ev []Event) string {
	last := map[MatchID]*Match{}
	for i := range ev {
		if m := ev[i].Match; m != nil {
			last[m.ID] = m
		}
		if sl := ev[i].Slots; sl != nil { // match_updated: the slots of the match as last known
			id := ev[i].MatchID
			m, ok := last[id]
			switch {
			case ok:
				c := m.clone()
				m = &c
			case int(id) >= 1 && int(id) <= len(was):
				c := was[id-1].clone()
				m = &c
			default:
				continue // unknown to the client: reported below as not carried
			}
			m.Players, m.Filled = sl.Players, sl.Filled
			last[id] = m
		}
		for j := range ev[i].Matches {
			last[ev[i].Matches[j].ID] = &ev[i].Matches[j]
		}
	}
	// player_eliminated names the match that put the player out, as the state records it.
	for _, e := range ev {
		if e.Type != EvEliminated {
			continue
		}
		if p := tr.participant(e.Player); p != nil && p.Eliminated && p.EliminatedIn != e.MatchID {
			return fmt.Sprintf("player_eliminated of %d names match %d; the state says %d", e.Player, e.MatchID, p.EliminatedIn)
		}
	}
	for i := range tr.Matches {
		now := &tr.Matches[i]
		if i < len(was) && was[i].Equal(now) {
			continue
		}
		got, ok := last[now.ID]
		switch {
		case !ok:
			return fmt.Sprintf("match %d changed and no event carries it: %+v -> %+v", now.ID, matchAt(was, i), *now)
		case !got.Equal(now):
			return fmt.Sprintf("match %d: the last event carrying it has %+v; the state %+v", now.ID, *got, *now)
		}
	}
	return ""
}

func matchAt(ms []Match, i int) any {
	if i < len(ms) {
		return ms[i]
	}
	return "(new)"
}

// newTournament creates a tournament with n players named P1..Pn.
func newTournament(t testing.TB, s Settings, n int) *Tournament {
	t.Helper()
	tr := &Tournament{}
	mustApply(t, tr, Command{Type: CmdCreate, Tournament: "t1", Name: "Test Cup", Settings: &s})
	for i := 1; i <= n; i++ {
		mustApply(t, tr, Command{Type: CmdJoin, Name: fmt.Sprintf("P%d", i)})
	}
	return tr
}

func started(t testing.TB, s Settings, n int) *Tournament {
	t.Helper()
	tr := newTournament(t, s, n)
	mustApply(t, tr, Command{Type: CmdStart})
	return tr
}

// winScores returns scores where side w wins a best-of-n series, with some variety.
func winScores(r *rand.Rand, bestOf, w int) [2]int {
	need := bestOf/2 + 1
	var sc [2]int
	sc[w] = need
	sc[1-w] = r.IntN(need)
	return sc
}

// readyMatches is the ids of tr's ready matches.
func readyMatches(tr *Tournament) []MatchID {
	var ready []MatchID
	for i := range tr.Matches {
		if tr.Matches[i].Status == MatchReady {
			ready = append(ready, tr.Matches[i].ID)
		}
	}
	return ready
}

// playOut reports random results for every ready match until the tournament ends, checking
// invariants after each command. It returns the number of results reported.
func playOut(t testing.TB, tr *Tournament, r *rand.Rand) int {
	t.Helper()
	n := 0
	for steps := 0; tr.Status == StatusRunning; steps++ {
		if steps > 200000 {
			t.Fatalf("tournament did not finish after %d steps", steps)
		}
		ready := readyMatches(tr)
		if len(ready) == 0 && tr.Stage == StageGroups && tr.Qualifiers != nil {
			mustApply(t, tr, Command{Type: CmdStartPlayoff})
			continue
		}
		if len(ready) == 0 {
			t.Fatalf("running with no ready match:\n%s", dump(tr))
		}
		id := ready[r.IntN(len(ready))]
		var sc [2]int
		if tr.Settings.AllowDraws && r.IntN(5) == 0 {
			g := r.IntN(tr.Settings.BestOf/2 + 1)
			sc = [2]int{g, g}
		} else {
			sc = winScores(r, tr.Settings.BestOf, r.IntN(2))
		}
		m := tr.match(id)
		var games Games
		if r.IntN(2) == 0 {
			games = gamesOf(r, sc)
		}
		if r.IntN(2) == 0 {
			mustApply(t, tr, Command{Type: CmdReport, Match: id, Scores: sc, Games: games, By: m.Players[0]})
			mustApply(t, tr, Command{Type: CmdReport, Match: id, Scores: sc, Games: games, By: m.Players[1]})
		} else {
			mustApply(t, tr, Command{Type: CmdReport, Match: id, Scores: sc, Games: games})
		}
		n++
	}
	return n
}

// gamesOf makes games that give the series scores sc: the side with fewer wins takes its games
// first, so that the series is decided by the last game.
func gamesOf(r *rand.Rand, sc [2]int) Games {
	lo := 0
	if sc[1] < sc[0] {
		lo = 1
	}
	var g Games
	for _, n := range [2]int{lo, 1 - lo} {
		for range sc[n] {
			var pts [2]int
			pts[n], pts[1-n] = 11, r.IntN(10)
			g = append(g, pts)
		}
	}
	return g
}

// checkInvariants returns "" when the state is consistent, or what is wrong.
func checkInvariants(tr *Tournament) string {
	live := map[PlayerID]MatchID{}
	for i := range tr.Matches {
		m := &tr.Matches[i]
		if m.ID != MatchID(i+1) {
			return fmt.Sprintf("match at %d has id %d", i, m.ID)
		}
		if m.Status != MatchReady && m.Status != MatchDisputed {
			if m.Status == MatchCompleted && m.Winner != 0 && sideOf(m, m.Winner) < 0 {
				return fmt.Sprintf("match %d winner %d is not one of its players", m.ID, m.Winner)
			}
			continue
		}
		if m.Players[0] == 0 || m.Players[1] == 0 || m.Players[0] == m.Players[1] {
			return fmt.Sprintf("playable match %d has players %v", m.ID, m.Players)
		}
		for _, p := range m.Players {
			if other, ok := live[p]; ok {
				return fmt.Sprintf("player %d is in two unfinished matches: %d and %d", p, other, m.ID)
			}
			live[p] = m.ID
			pp := tr.participant(p)
			if pp == nil || pp.Eliminated || pp.Withdrawn {
				return fmt.Sprintf("match %d is playable but player %d is eliminated or withdrawn", m.ID, p)
			}
		}
	}
	return ""
}

func dump(tr *Tournament) string {
	s := fmt.Sprintf("%s %s v%d round %d\n", tr.Settings.Format, tr.Status, tr.Version, tr.Round)
	for _, m := range tr.Matches {
		s += fmt.Sprintf("  #%d %s r%d %s %v filled=%v w=%d l=%d ->%d/%d\n", m.ID, m.Bracket, m.Round,
			m.Status, m.Players, m.Filled, m.Winner, m.Loser, m.WinnerTo, m.LoserTo)
	}
	return s
}

// jsonProblem returns "" when v encodes with encoding/json and every number in the encoding is
// one a JavaScript client holds exactly (|x| <= 2^53-1, the largest safe integer), or what is wrong.
// The hub sends the state and the events to browsers as they encode here. (It scans the bytes
// rather than decoding tokens: mustApply calls it for every command of the property tests.)
func jsonProblem(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return "json.Marshal: " + err.Error()
	}
	for i := 0; i < len(b); i++ {
		switch c := b[i]; {
		case c == '"': // skip the string, escapes included
			for i++; i < len(b) && b[i] != '"'; i++ {
				if b[i] == '\\' {
					i++
				}
			}
		case c == '-' || c >= '0' && c <= '9':
			j := i + 1
			for j < len(b) && strings.IndexByte("0123456789.eE+-", b[j]) >= 0 {
				j++
			}
			n := string(b[i:j])
			if f, err := strconv.ParseFloat(n, 64); err != nil || math.Abs(f) > maxSafeInteger {
				return fmt.Sprintf("number %s is beyond what a JavaScript client holds exactly", n)
			}
			i = j - 1
		}
	}
	return ""
}

// maxSafeInteger is JavaScript's Number.MAX_SAFE_INTEGER, 2^53-1.
const maxSafeInteger = 1<<53 - 1
