// Package wiretest plays tournaments of every kind through the engine with random commands, for
// the tests of the wire forms: every entry's events, as the hub would send them.
package wiretest

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/tourhub/tourhub/match"
)

// Corpus returns the events of every successful command of a set of tournaments played with
// random commands from seed: every format, deadlines, series with game scores, draws, forfeits,
// withdrawals, disputes, corrections, timeouts, edits and two stages.
func Corpus(seed uint64) [][]match.Event {
	var out [][]match.Event
	for _, s := range Steps(seed) {
		out = append(out, s.Events)
	}
	return out
}

// Step is one successful command of Steps: its tournament, its events and the state it made (a
// copy).
type Step struct {
	Tournament string
	Events     []match.Event
	State      *match.Tournament
}

// Steps is Corpus with each entry's tournament and state.
func Steps(seed uint64) []Step {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	limit := match.Duration(10 * time.Minute)
	kinds := []match.Settings{
		{Format: match.SingleElimination, ThirdPlace: true},
		{Format: match.SingleElimination, BestOf: 3, MatchTimeLimit: limit, WarnBefore: match.Duration(time.Minute)},
		{Format: match.DoubleElimination, GrandFinal: match.GrandFinalReset},
		{Format: match.DoubleElimination, GrandFinal: match.GrandFinalSingle, MatchTimeLimit: limit},
		{Format: match.RoundRobin, Groups: 2, AllowDraws: true},
		{Format: match.RoundRobin, Legs: 2, BestOf: 3},
		{Format: match.Swiss, AllowDraws: true, RoundTimeLimit: limit},
		{Format: match.RoundRobin, Groups: 2, Playoff: &match.Playoff{Format: match.SingleElimination, Advance: 2}},
		{Format: match.Swiss, Playoff: &match.Playoff{Format: match.DoubleElimination, Advance: 4}},
	}
	var out []Step
	for k, s := range kinds {
		players := 3 + rng.IntN(14)
		out = append(out, play(rng, fmt.Sprintf("t_corpus%d", k), s, players)...)
	}
	return out
}

// play runs one tournament and returns each command that applied.
func play(rng *rand.Rand, id string, s match.Settings, players int) []Step {
	now := time.Date(2026, 12, 4, 12, 0, 0, 123456789, time.UTC)
	t := &match.Tournament{}
	var out []Step
	apply := func(c match.Command) bool {
		now = now.Add(time.Duration(1+rng.IntN(90)) * time.Second)
		c.At = now
		evs, err := match.Apply(t, c)
		if err != nil {
			return false
		}
		out = append(out, Step{Tournament: id, Events: evs, State: t.Clone()})
		return true
	}
	settings := s
	apply(match.Command{Type: match.CmdCreate, Tournament: id, Name: "Corpus " + id, Description: "Every <kind> & more", Settings: &settings})
	for i := 0; i < players; i++ {
		apply(match.Command{Type: match.CmdJoin, Name: fmt.Sprintf("Player %d é", i+1), Rating: float64(rng.IntN(2000))})
	}
	apply(match.Command{Type: match.CmdEditPlayer, Player: 1, Edit: &match.Edit{Name: ptr("Renamed \"one\"")}})
	apply(match.Command{Type: match.CmdStart})
	best := max(t.Settings.BestOf, 1)
	for step := 0; step < 2000 && t.Status == match.StatusRunning; step++ {
		var ready, done []*match.Match
		for i := range t.Matches {
			switch t.Matches[i].Status {
			case match.MatchReady, match.MatchDisputed:
				ready = append(ready, &t.Matches[i])
			case match.MatchCompleted:
				done = append(done, &t.Matches[i])
			}
		}
		if len(ready) == 0 {
			if !apply(match.Command{Type: match.CmdStartPlayoff}) { // a group stage waiting for it
				break
			}
			continue
		}
		m := ready[rng.IntN(len(ready))]
		scores := randomScores(rng, best, t.Settings.AllowDraws)
		switch r := rng.IntN(20); {
		case r < 10:
			c := match.Command{Type: match.CmdReport, Match: m.ID, Scores: scores}
			if rng.IntN(3) == 0 {
				c.Games = gamesOf(rng, scores)
			}
			apply(c)
		case r < 13: // both players report, sometimes disagreeing
			apply(match.Command{Type: match.CmdReport, Match: m.ID, Scores: scores, By: m.Players[0]})
			if rng.IntN(3) == 0 {
				scores = [2]int{scores[1], scores[0]}
			}
			apply(match.Command{Type: match.CmdReport, Match: m.ID, Scores: scores, By: m.Players[1]})
		case r < 15:
			apply(match.Command{Type: match.CmdForfeit, Match: m.ID, Player: m.Players[rng.IntN(2)]})
		case r == 15:
			apply(match.Command{Type: match.CmdForfeit, Match: m.ID, Both: true})
		case r == 16 && len(done) > 0: // a correction
			d := done[rng.IntN(len(done))]
			apply(match.Command{Type: match.CmdReport, Match: d.ID, Scores: randomScores(rng, best, t.Settings.AllowDraws)})
		case r == 17:
			apply(match.Command{Type: match.CmdWithdraw, Player: m.Players[rng.IntN(2)], Disqualify: rng.IntN(2) == 0})
		case r == 18 && !m.Deadline.IsZero():
			apply(match.Command{Type: match.CmdWarn, Match: m.ID, At: m.Deadline})
			now = m.Deadline.Add(time.Second)
			apply(match.Command{Type: match.CmdTimeout, Match: m.ID})
		default:
			apply(match.Command{Type: match.CmdEdit, Edit: &match.Edit{Name: ptr(fmt.Sprintf("Corpus %d", rng.IntN(100)))}})
		}
	}
	return out
}

func randomScores(rng *rand.Rand, best int, draws bool) [2]int {
	win := best/2 + 1
	if draws && rng.IntN(4) == 0 {
		n := rng.IntN(win)
		return [2]int{n, n}
	}
	lose := rng.IntN(win)
	if rng.IntN(2) == 0 {
		return [2]int{win, lose}
	}
	return [2]int{lose, win}
}

// gamesOf returns game points that agree with scores (games won each).
func gamesOf(rng *rand.Rand, scores [2]int) match.Games {
	var g match.Games
	for i := 0; i < scores[0]; i++ {
		g = append(g, [2]int{11, rng.IntN(10)})
	}
	for i := 0; i < scores[1]; i++ {
		g = append(g, [2]int{rng.IntN(10), 11})
	}
	return g
}

func ptr[T any](v T) *T { return &v }

// MatchLists returns every list of matches in Corpus(seed)'s events (starts, Swiss rounds,
// playoffs): what a state's matches look like.
func MatchLists(seed uint64) [][]match.Match {
	return lists(seed, func(ev match.Event) []match.Match { return ev.Matches })
}

// StandingLists returns every list of standings in Corpus(seed)'s events (finishes, group
// stages).
func StandingLists(seed uint64) [][]match.Standing {
	return lists(seed, func(ev match.Event) []match.Standing { return ev.Standings })
}

// lists returns the non-empty lists that of picks from Corpus(seed)'s events.
func lists[T any](seed uint64, of func(match.Event) []T) [][]T {
	var out [][]T
	for _, evs := range Corpus(seed) {
		for _, ev := range evs {
			if l := of(ev); len(l) > 0 {
				out = append(out, l)
			}
		}
	}
	return out
}
