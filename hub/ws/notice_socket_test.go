package ws_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/tourhub/tourhub/hub/command"
	"github.com/tourhub/tourhub/match"
)

// TestWSNoticesByeAndDoubleForfeit follows two tournaments over real sockets: a Swiss bye reaches
// its player as a walkover notice naming the bye match, and after the organiser's double forfeit
// in an elimination both players get an eliminated notice naming the match.
func TestWSNoticesByeAndDoubleForfeit(t *testing.T) {
	t.Parallel()
	n := newWSNode(t, wsNodeOpts{})
	players := func(id string, ids []match.PlayerID) []*wsClient {
		t.Helper()
		var cs []*wsClient
		for _, p := range ids {
			c := n.dial(t, "token."+n.token(t, command.Claims{Tournament: id, Role: command.RolePlayer, Player: int(p)}))
			c.expect("auth_ok")
			c.subscribe(id)
			cs = append(cs, c)
		}
		return cs
	}
	matchOf := func(m wsMsg) match.MatchID {
		var id match.MatchID
		if err := json.Unmarshal(m.Match, &id); err != nil {
			t.Fatalf("notice %+v: match %s: %v", m, m.Match, err)
		}
		return id
	}

	ids := n.tourneyWith(t, "sw", match.Settings{Format: match.Swiss}, "Ada", "Grace", "Linus")
	cs := players("sw", ids)
	start := n.apply(t, "sw", match.Command{Type: match.CmdStart})
	var bye match.Match
	for _, m := range n.load(t, "sw").Matches {
		if m.Players[1] == 0 {
			bye = m
		}
	}
	if bye.ID == 0 {
		t.Fatalf("no bye among %+v", n.load(t, "sw").Matches)
	}
	for i, c := range cs {
		kinds, by := wsCollect(t, c, start.Version)
		if ids[i] == bye.Players[0] {
			if strings.Join(kinds, ",") != "walkover" || matchOf(by["walkover"]) != bye.ID || !strings.Contains(by["walkover"].Text, "bye in round 1") {
				t.Errorf("the bye's player got %v %+v; want one walkover notice for match %d", kinds, by["walkover"], bye.ID)
			}
		} else if strings.Join(kinds, ",") != "match_ready" {
			t.Errorf("player %d got %v; want match_ready", ids[i], kinds)
		}
	}

	ids = n.tourneyWith(t, "df", match.Settings{Format: match.SingleElimination}, "Ada", "Grace")
	cs = players("df", ids)
	start = n.apply(t, "df", match.Command{Type: match.CmdStart})
	final := n.load(t, "df").Matches[0].ID
	done := n.apply(t, "df", match.Command{Type: match.CmdForfeit, Match: final, Both: true})
	for i, c := range cs {
		kinds, by := wsCollect(t, c, done.Version)
		if strings.Join(kinds, ",") != "match_ready,eliminated,finished" {
			t.Errorf("player %d got %v; want match_ready, eliminated, finished", ids[i], kinds)
		}
		if e := by["eliminated"]; len(e.Match) == 0 || matchOf(e) != final || !strings.Contains(e.Text, "double forfeit") {
			t.Errorf("player %d: eliminated notice %+v; want match %d, a double forfeit", ids[i], e, final)
		}
	}
}
