package cluster

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tourhub/tourhub/internal/redistest"
	"github.com/tourhub/tourhub/match"
)

// scoresFor picks a deterministic result for m: whether the first player wins, and the scores of a
// best-of-n series. In a double-elimination grand final the player from the losers bracket wins,
// so that the reset match is played.
func scoresFor(t *match.Tournament, m match.Match, bestOf int) [2]int {
	firstWins := (int(m.ID)*5+m.Round)%7 < 4
	if m.Bracket == match.BracketGrandFinal && m.Round == 1 {
		for slot, f := range m.Feeds {
			if f.Match > 0 && t.Matches[f.Match-1].Bracket == match.BracketLosers {
				firstWins = slot == 0
			}
		}
	}
	if bestOf < 1 {
		bestOf = 1
	}
	need := bestOf/2 + 1
	if firstWins {
		return [2]int{need, need - 1}
	}
	return [2]int{need - 1, need}
}

// TestClusterWholeTournaments plays a whole tournament of every format across three nodes: players
// join on different nodes, hold sockets on different nodes, report over one node and confirm over
// another. Every socket on every node gets every version exactly once, in order; every player gets
// match_ready notices; the final standings equal a local replay of the same commands.
func TestClusterWholeTournaments(t *testing.T) {
	t.Parallel()
	c := newCluster(t, 3, redistest.Options{})
	cases := []struct {
		name     string
		settings match.Settings
		players  int
	}{
		{"single_elimination_third_place", match.Settings{Format: match.SingleElimination, BestOf: 3, ThirdPlace: true}, 8},
		{"double_elimination_reset", match.Settings{Format: match.DoubleElimination, GrandFinal: match.GrandFinalReset}, 7},
		{"round_robin", match.Settings{Format: match.RoundRobin}, 6},
		{"swiss", match.Settings{Format: match.Swiss}, 8},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			defer cancel()
			playWhole(ctx, t, c, tc.name, tc.settings, tc.players)
		})
	}
}

func playWhole(ctx context.Context, t *testing.T, c *cluster, name string, s match.Settings, nplayers int) {
	nodes := c.nodes
	tr := create(ctx, t, nodes[0], name, s)

	var spectators []*client
	for i, n := range nodes {
		sp := newClient(t, fmt.Sprintf("spectator@n%d", n.i), tr.id, "")
		sp.connect(ctx, n)
		spectators = append(spectators, sp)
		_ = i
	}
	players := map[match.PlayerID]*client{}
	nodeOf := func(p match.PlayerID) int { return int(p) % len(nodes) }
	for i := range nplayers {
		p := tr.join(ctx, t, nodes[i%len(nodes)], fmt.Sprintf("Player %d", i+1))
		pc := newClient(t, fmt.Sprintf("player%d@n%d", p, nodes[nodeOf(p)].i), tr.id, tr.players[p])
		pc.connect(ctx, nodes[nodeOf(p)])
		players[p] = pc
	}
	tr.start(ctx, t, nodes[1])

	bestOf := s.BestOf
	for round := 0; ; round++ {
		if round > 200 {
			t.Fatal("tournament did not finish after 200 passes")
		}
		st := getState(ctx, t, nodes[round%len(nodes)], tr.id)
		if st.Status == match.StatusFinished {
			break
		}
		if st.Status != match.StatusRunning {
			t.Fatalf("status %s; want running", st.Status)
		}
		local := &match.Tournament{Matches: st.Matches}
		played := 0
		for _, m := range st.Matches {
			if m.Status != match.MatchReady {
				continue
			}
			a, b := m.Players[0], m.Players[1]
			scores := scoresFor(local, m, bestOf)
			// a reports over a node other than the one holding b's socket; b confirms on b's.
			if nodeOf(a) != nodeOf(b) {
				players[a].report(ctx, m.ID, scores, fmt.Sprintf("p%d-m%d", a, m.ID))
				tr.cmds = append(tr.cmds, match.Command{Type: match.CmdReport, Match: m.ID, Scores: scores, By: a})
			} else {
				other := nodes[(nodeOf(b)+1)%len(nodes)]
				tr.reportHTTP(ctx, t, other, m.ID, a, scores, fmt.Sprintf("p%d-m%d", a, m.ID))
			}
			r := players[b].report(ctx, m.ID, scores, fmt.Sprintf("p%d-m%d", b, m.ID))
			tr.cmds = append(tr.cmds, match.Command{Type: match.CmdReport, Match: m.ID, Scores: scores, By: b})
			if r.Duplicate {
				t.Fatalf("confirmation of match %d marked duplicate", m.ID)
			}
			played++
		}
		if played == 0 {
			t.Fatalf("running with no ready match: %+v", st.Matches)
		}
	}

	final := getState(ctx, t, nodes[2], tr.id)
	if want := int64(len(tr.cmds)); final.Version != want {
		t.Errorf("final version %d; want %d (one per command)", final.Version, want)
	}
	all := append([]*client{}, spectators...)
	for _, p := range players {
		all = append(all, p)
	}
	for _, cl := range all {
		cl.waitVersion(ctx, final.Version)
	}
	for _, cl := range all {
		cl.check(final.Version)
	}
	for p, pc := range players {
		k := pc.noticeKinds()
		if k["match_ready"] == 0 {
			t.Errorf("player %d: no match_ready notice (notices %v)", p, k)
		}
	}

	local := tr.replay(t)
	if local.Status != match.StatusFinished {
		t.Errorf("local replay status %s; want finished", local.Status)
	}
	checkStandings(t, final.Standings, local)
	for i, m := range final.Matches {
		lm := local.Matches[i]
		if m.Status != lm.Status || m.Winner != lm.Winner || m.Players != lm.Players {
			t.Errorf("match %d: hub %s %v winner %d; local %s %v winner %d", m.ID, m.Status, m.Players, m.Winner, lm.Status, lm.Players, lm.Winner)
		}
	}
	switch s.Format {
	case match.DoubleElimination:
		if !hasMatch(final.Matches, match.BracketGrandFinal, 2, match.MatchCompleted) {
			t.Errorf("grand final reset was not played")
		}
	case match.SingleElimination:
		if !hasMatch(final.Matches, match.BracketThirdPlace, 0, match.MatchCompleted) {
			t.Errorf("third-place match was not played")
		}
	}
	t.Logf("%s: %d players, %d versions, %d sockets checked", name, nplayers, final.Version, len(all))
}

func hasMatch(ms []match.Match, b match.Bracket, round int, st match.MatchStatus) bool {
	for _, m := range ms {
		if m.Bracket == b && (round == 0 || m.Round == round) && m.Status == st {
			return true
		}
	}
	return false
}
