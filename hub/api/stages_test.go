package api_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/tourhub/tourhub/hub/api"
	"github.com/tourhub/tourhub/hub/view"
	"github.com/tourhub/tourhub/match"
)

// playReady reports every ready match of the given brackets as won by its first player, until
// none is left.
func playReady(t *testing.T, e *env, id, org string) view.View {
	t.Helper()
	for {
		v := e.state(id)
		done := true
		for _, m := range v.Matches {
			if m.Status == match.MatchReady {
				e.must(200, "POST", fmt.Sprintf("/api/tournaments/%s/matches/%d/result", id, m.ID), org, map[string]any{"scores": []int{1, 0}})
				done = false
				break
			}
		}
		if done {
			return v
		}
	}
}

// TestTwoStage: round robin groups, then a playoff the organiser starts (here with the
// qualifiers reordered): one tournament id, the stage and qualifiers in the state, the events and
// the notices of who qualified, and 409 for starting it early or twice.
func TestTwoStage(t *testing.T) {
	t.Parallel()
	e := newEnv(t, api.Config{})
	id, org, tok := e.tournament(map[string]any{"name": "Two Stage", "format": "round_robin", "groups": 2,
		"playoff": map[string]any{"format": "single_elimination", "advance": 2, "third_place": true}},
		"Ada", "Grace", "Linus", "Ken", "Barbara", "Edsger")
	base := "/api/tournaments/" + id
	e.must(400, "POST", "/api/tournaments", "", map[string]any{"name": "Bad", "format": "single_elimination", "playoff": map[string]any{"format": "single_elimination", "advance": 2}})
	e.must(200, "POST", base+"/start", org, nil)
	e.must(409, "POST", base+"/playoff", org, nil)
	v := playReady(t, e, id, org)
	if v.Status != match.StatusRunning || v.Stage != match.StageGroups || len(v.Qualifiers) != 4 {
		t.Fatalf("after the groups: %s, stage %d, qualifiers %v; want running, 1, four", v.Status, v.Stage, v.Qualifiers)
	}
	var q noticesReply
	e.must(200, "GET", fmt.Sprintf("%s/notices?after=%d", base, v.Version-1), tok[int(v.Qualifiers[0])], nil).decode(t, &q)
	if len(q.Notices) != 1 || q.Notices[0].Kind != "qualified" || !strings.Contains(q.Notices[0].Text, "seed 1") {
		t.Errorf("the top qualifier's notices %v; want qualified as seed 1", q.texts())
	}
	e.must(403, "POST", base+"/playoff", tok[1], nil)
	order := []match.PlayerID{v.Qualifiers[3], v.Qualifiers[2], v.Qualifiers[1], v.Qualifiers[0]}
	e.must(422, "POST", base+"/playoff", org, map[string]any{"order": []int{int(order[0])}})
	e.must(200, "POST", base+"/playoff", org, map[string]any{"order": order})
	e.must(409, "POST", base+"/playoff", org, nil)
	v = e.state(id)
	if v.Stage != match.StagePlayoff || fmt.Sprint(v.Qualifiers) != fmt.Sprint(order) {
		t.Fatalf("stage %d, qualifiers %v; want 2 and the organiser's %v", v.Stage, v.Qualifiers, order)
	}
	out := map[int]bool{}
	for _, p := range v.Participants {
		if p.Eliminated {
			out[int(p.ID)] = true
		}
	}
	if len(out) != 2 {
		t.Errorf("%d players eliminated at the playoff's start; want the 2 who did not qualify", len(out))
	}
	for p := range out {
		var n noticesReply
		e.must(200, "GET", fmt.Sprintf("%s/notices?after=%d", base, v.Version-1), tok[p], nil).decode(t, &n)
		if len(n.Notices) != 1 || !strings.Contains(n.Notices[0].Text, "did not qualify") {
			t.Errorf("player %d's notices %v; want that they did not qualify", p, n.texts())
		}
	}
	v = playReady(t, e, id, org)
	if v.Status != match.StatusFinished || len(v.Standings) != 6 || !contains(order, v.Standings[0].Player) || contains(order, v.Standings[5].Player) {
		t.Fatalf("end: %s, standings %+v; want finished, a qualifier first, a non-qualifier last", v.Status, v.Standings)
	}
}

func contains(ps []match.PlayerID, p match.PlayerID) bool {
	for _, x := range ps {
		if x == p {
			return true
		}
	}
	return false
}
