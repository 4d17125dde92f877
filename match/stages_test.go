package match

import (
	"encoding/json"
	"fmt"
	"math/bits"
	"math/rand/v2"
	"slices"
	"testing"
)

func playoff(f Format, advance int) *Playoff { return &Playoff{Format: f, Advance: advance} }

// TestPlayoffSettings: every bad two-stage setting is refused at create, and one that cannot be
// met by the players registered is refused at the start.
func TestPlayoffSettings(t *testing.T) {
	for name, s := range map[string]Settings{
		"after an elimination":  {Format: SingleElimination, Playoff: playoff(SingleElimination, 2)},
		"no playoff format":     {Format: RoundRobin, Playoff: &Playoff{Advance: 2}},
		"a round robin playoff": {Format: RoundRobin, Playoff: playoff(RoundRobin, 2)},
		"nobody advances":       {Format: RoundRobin, Groups: 2, Playoff: playoff(SingleElimination, 0)},
		"one after Swiss":       {Format: Swiss, Playoff: playoff(SingleElimination, 1)},
		"one from one group":    {Format: RoundRobin, Playoff: playoff(SingleElimination, 1)},
		"even best_of":          {Format: RoundRobin, Playoff: &Playoff{Format: SingleElimination, Advance: 2, BestOf: 2}},
		"third place in double": {Format: RoundRobin, Playoff: &Playoff{Format: DoubleElimination, Advance: 2, ThirdPlace: true}},
		"grand final in single": {Format: RoundRobin, Playoff: &Playoff{Format: SingleElimination, Advance: 2, GrandFinal: GrandFinalNone}},
	} {
		tr := &Tournament{}
		if _, err := Apply(tr, Command{Type: CmdCreate, Tournament: "t", Name: "Cup", Settings: &s}); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	tr := newTournament(t, Settings{Format: RoundRobin, Groups: 2, Playoff: playoff(SingleElimination, 4)}, 6)
	if _, err := Apply(tr, Command{Type: CmdStart}); err == nil || err.(*Error).Code != CodeTooFewPlayers {
		t.Errorf("4 to advance from groups of 3: %v; want too_few_players", err)
	}
	if tr.Settings.Playoff.BestOf != 1 {
		t.Errorf("playoff best_of %d; want the default 1", tr.Settings.Playoff.BestOf)
	}
}

// playGroups reports every group-stage match, the first player winning (with draws only where
// the rule asks for them), until the group stage is over.
func playGroups(t *testing.T, tr *Tournament, win func(m *Match) int) {
	t.Helper()
	for tr.Status == StatusRunning && tr.Qualifiers == nil {
		i := slices.IndexFunc(tr.Matches, func(m Match) bool { return m.Status == MatchReady })
		if i < 0 {
			t.Fatalf("group stage with no ready match:\n%s", dump(tr))
		}
		m := &tr.Matches[i]
		var sc [2]int
		sc[win(m)] = 1
		mustApply(t, tr, Command{Type: CmdReport, Match: m.ID, Scores: sc})
	}
}

// TestGroupsToPlayoff: four round robin groups send two each. Group winners are seeds 1-4, and
// no two players of one group meet before the final; the event carries the qualifiers; the
// playoff starts after the group matches, plays out, and ranks the qualifiers above everyone.
func TestGroupsToPlayoff(t *testing.T) {
	tr := newTournament(t, Settings{Format: RoundRobin, Groups: 4, Playoff: playoff(SingleElimination, 2)}, 16)
	mustApply(t, tr, Command{Type: CmdStart})
	groupOf := map[PlayerID]int{}
	for _, m := range tr.Matches {
		groupOf[m.Players[0]], groupOf[m.Players[1]] = m.Group, m.Group
	}
	// The lower id wins every group match: each group's two lowest ids qualify.
	playGroups(t, tr, func(m *Match) int {
		if m.Players[0] < m.Players[1] {
			return 0
		}
		return 1
	})
	if tr.Status != StatusRunning || tr.Stage != StageGroups || len(tr.Qualifiers) != 8 {
		t.Fatalf("after the groups: %s, stage %d, qualifiers %v; want running, groups, 8", tr.Status, tr.Stage, tr.Qualifiers)
	}
	q := tr.Qualifiers
	winners := map[PlayerID]bool{}
	for g := 1; g <= 4; g++ {
		best := PlayerID(1 << 20)
		for p, pg := range groupOf {
			if pg == g {
				best = min(best, p)
			}
		}
		winners[best] = true
	}
	for i, p := range q {
		if (i < 4) != winners[p] {
			t.Errorf("seed %d is player %d, a group winner: %v; want the 4 winners as seeds 1-4", i+1, p, winners[p])
		}
	}
	pos := map[int]int{}
	for line, seed := range bracketOrder(8) {
		pos[seed] = line
	}
	for i := range q {
		for j := i + 1; j < len(q); j++ {
			if groupOf[q[i]] == groupOf[q[j]] {
				if r := bits.Len(uint(pos[i+1] ^ pos[j+1])); r != 3 {
					t.Errorf("seeds %d and %d (group %d) can meet in round %d; want only the final (3)", i+1, j+1, groupOf[q[i]], r)
				}
			}
		}
	}
	groupMatches := len(tr.Matches)
	ev := mustApply(t, tr, Command{Type: CmdStartPlayoff})
	if tr.Stage != StagePlayoff || len(tr.Matches) != groupMatches+7 {
		t.Fatalf("stage %d with %d matches; want the playoff's 7 after the %d group matches", tr.Stage, len(tr.Matches), groupMatches)
	}
	var started *Event
	eliminated := 0
	for i := range ev {
		switch ev[i].Type {
		case EvPlayoffStarted:
			started = &ev[i]
		case EvEliminated:
			eliminated++
		}
	}
	if started == nil || !slices.Equal(started.Qualifiers, q) || len(started.Matches) != 7 || eliminated != 8 {
		t.Fatalf("start_playoff events: started %+v, %d eliminated; want the qualifiers, 7 matches, 8 eliminated", started, eliminated)
	}
	if _, err := Apply(tr, Command{Type: CmdReport, Match: 1, Scores: [2]int{0, 1}}); err == nil || err.(*Error).Code != CodeAlreadyStarted {
		t.Errorf("a group correction after the playoff started: %v; want already_started", err)
	}
	playOut(t, tr, rand.New(rand.NewPCG(1, 2)))
	st := Standings(tr)
	in := map[PlayerID]bool{}
	for _, p := range q {
		in[p] = true
	}
	for i, s := range st {
		if (i < 8) != in[s.Player] {
			t.Errorf("place %d is player %d, a qualifier: %v; want the 8 qualifiers first", i+1, s.Player, in[s.Player])
		}
	}
	if st[0].Rank != 1 || st[0].RankTo != 1 || st[8].Rank != 9 {
		t.Errorf("standings %+v; want one champion and the rest from 9th", st)
	}
}

// TestPlayoffOverrideAndCorrection: a correction while the playoff waits works the qualifiers out
// again; the organiser may start the playoff with other players in another order; a withdrawn
// player cannot be named.
func TestPlayoffOverrideAndCorrection(t *testing.T) {
	tr := newTournament(t, Settings{Format: Swiss, Rounds: 2, Playoff: playoff(DoubleElimination, 2)}, 4)
	mustApply(t, tr, Command{Type: CmdStart})
	playGroups(t, tr, func(m *Match) int { return 0 })
	before := slices.Clone(tr.Qualifiers)
	// Turn round 2's first match around: the qualifiers change.
	var r2 *Match
	for i := range tr.Matches {
		if tr.Matches[i].Round == 2 && tr.Matches[i].Players[1] != 0 {
			r2 = &tr.Matches[i]
			break
		}
	}
	ev := mustApply(t, tr, Command{Type: CmdReport, Match: r2.ID, Scores: [2]int{0, 1}})
	if !slices.ContainsFunc(ev, func(e Event) bool { return e.Type == EvGroupStageFinished }) || slices.Equal(tr.Qualifiers, before) {
		t.Errorf("a correction while waiting: qualifiers %v (before %v), events %v; want them worked out again", tr.Qualifiers, before, ev)
	}
	mustApply(t, tr, Command{Type: CmdWithdraw, Player: 4})
	if slices.Contains(tr.Qualifiers, 4) {
		t.Errorf("a withdrawn player still qualifies: %v", tr.Qualifiers)
	}
	for _, c := range []Command{
		{Type: CmdStartPlayoff, Order: []PlayerID{1}},
		{Type: CmdStartPlayoff, Order: []PlayerID{1, 1}},
		{Type: CmdStartPlayoff, Order: []PlayerID{1, 9}},
		{Type: CmdStartPlayoff, Order: []PlayerID{1, 4}},
	} {
		if _, err := Apply(tr, c); err == nil {
			t.Errorf("start_playoff with order %v accepted", c.Order)
		}
	}
	mustApply(t, tr, Command{Type: CmdStartPlayoff, Order: []PlayerID{3, 2, 1}})
	if !slices.Equal(tr.Qualifiers, []PlayerID{3, 2, 1}) {
		t.Errorf("qualifiers %v; want the organiser's [3 2 1]", tr.Qualifiers)
	}
	if _, err := Apply(tr, Command{Type: CmdStartPlayoff}); err == nil {
		t.Error("a second start_playoff accepted")
	}
	playOut(t, tr, rand.New(rand.NewPCG(3, 4)))
	if st := Standings(tr); !slices.Contains([]PlayerID{1, 2, 3}, st[0].Player) || st[3].Player != 4 {
		t.Errorf("standings %+v; want a champion among 1-3 and player 4 last", st)
	}
}

// TestStagesProperties plays two-stage tournaments of 2..130 players, every group format and
// playoff format, to a valid end, checking the invariants after every command: the qualifiers
// are the advertised number, rank above everyone else, and one of them is the sole champion;
// replaying the same commands gives the same qualifiers (advancement is deterministic).
func TestStagesProperties(t *testing.T) {
	for _, n := range []int{2, 3, 4, 5, 7, 8, 9, 16, 17, 33, 64, 100, 130} {
		for _, group := range []Format{RoundRobin, Swiss} {
			for _, po := range []Format{SingleElimination, DoubleElimination} {
				t.Run(fmt.Sprintf("%s-%s/%d", group, po, n), func(t *testing.T) {
					t.Parallel()
					r := rand.New(rand.NewPCG(uint64(n), 7))
					s := settingsFor(group, r)
					s.Groups, s.Legs = 0, 0
					advance := 2
					if group == RoundRobin {
						s.Groups = max(1, min(n/4, 1+r.IntN(4)))
						if n > 64 {
							s.Groups = 8
						}
						advance = min(n/s.Groups, 1+r.IntN(3))
						if s.Groups == 1 {
							advance = max(2, advance)
						}
					} else {
						advance = min(n, 2+r.IntN(6))
					}
					s.Playoff = &Playoff{Format: po, Advance: advance}
					var cmds []Command
					tr := &Tournament{}
					do := func(c Command) {
						cmds = append(cmds, c)
						mustApply(t, tr, c)
					}
					do(Command{Type: CmdCreate, Tournament: "t", Name: "Cup", Settings: &s})
					for i := 1; i <= n; i++ {
						do(Command{Type: CmdJoin, Name: fmt.Sprintf("P%d", i), Rating: float64(r.IntN(3000))})
					}
					if _, err := Apply(tr.Clone(), Command{Type: CmdStart}); err != nil {
						if err.(*Error).Code != CodeTooFewPlayers || n >= 4 && group == Swiss {
							t.Fatalf("start: %v", err)
						}
						return // too few for these settings: refused, as it should be
					}
					do(Command{Type: CmdStart})
					for steps := 0; tr.Status == StatusRunning; steps++ {
						if steps > 100000 {
							t.Fatal("no end")
						}
						if tr.Stage == StageGroups && tr.Qualifiers != nil {
							do(Command{Type: CmdStartPlayoff})
							continue
						}
						i := slices.IndexFunc(tr.Matches, func(m Match) bool { return m.Status == MatchReady })
						if i < 0 {
							t.Fatalf("running with no ready match:\n%s", dump(tr))
						}
						m := tr.Matches[i]
						do(Command{Type: CmdReport, Match: m.ID, Scores: winScores(r, tr.rules(&m).BestOf, r.IntN(2))})
					}
					if tr.Status != StatusFinished {
						t.Fatalf("status %s", tr.Status)
					}
					if tr.Stage == StagePlayoff {
						want := advance
						if group == RoundRobin {
							want = advance * min(s.Groups, n/2)
						}
						if len(tr.Qualifiers) != want {
							t.Errorf("%d qualifiers; want %d", len(tr.Qualifiers), want)
						}
						st := Standings(tr)
						if len(st) != n || st[0].Rank != 1 || st[0].RankTo != 1 || !slices.Contains(tr.Qualifiers, st[0].Player) {
							t.Fatalf("standings %+v; want all %d players, one champion among the qualifiers", st, n)
						}
						for i, line := range st {
							if (i < len(tr.Qualifiers)) != slices.Contains(tr.Qualifiers, line.Player) || line.Rank > i+1 || line.RankTo < i+1 {
								t.Fatalf("place %d: %+v; want the qualifiers first and ranks that hold the place", i+1, line)
							}
						}
					}
					again := &Tournament{}
					for _, c := range cmds {
						if _, err := Apply(again, c); err != nil {
							t.Fatalf("replay %s: %v", c.Type, err)
						}
					}
					a, _ := json.Marshal(tr)
					b, _ := json.Marshal(again)
					if string(a) != string(b) {
						t.Error("the same commands gave another tournament")
					}
				})
			}
		}
	}
}
