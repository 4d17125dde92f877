package api_test

import (
	"strings"
	"testing"

	"github.com/tourhub/tourhub/hub/api"
	"github.com/tourhub/tourhub/match"
)

// TestResultGames: a result may carry each game's points; malformed games are 400 naming the
// field, games that do not give the scores 422 invalid_score, and neither changes anything. A
// double round robin schedules every pair twice.
func TestResultGames(t *testing.T) {
	t.Parallel()
	e := newEnv(t, api.Config{})
	id, org, _ := e.tournament(map[string]any{"name": "Games", "format": "round_robin", "best_of": 3, "legs": 2,
		"tie_breaks": []string{"game_points", "head_to_head"}}, "Ada", "Grace")
	base := "/api/tournaments/" + id
	e.must(200, "POST", base+"/start", org, nil)
	v := e.state(id)
	if len(v.Matches) != 2 || v.Matches[0].Players != [2]match.PlayerID{v.Matches[1].Players[1], v.Matches[1].Players[0]} {
		t.Fatalf("double round robin of 2: matches %+v; want the pair twice, sides swapped", v.Matches)
	}
	before := v.Version
	for body, want := range map[string]string{
		`{"scores":[2,1],"games":[[11,3,5],[8,11],[11,9]]}`: "games[0] must be two numbers",
		`{"scores":[2,1],"games":[[11,3],[8,11],[11.5,9]]}`: "games[2] must be whole numbers",
		`{"scores":[2,1],"games":"11-3"}`:                   "field games: games must be a list",
	} {
		r := e.do("POST", base+"/matches/1/result", org, body)
		if r.status != 400 || !strings.Contains(string(r.body), want) {
			t.Errorf("%s: %d %s; want 400 saying %q", body, r.status, r.body, want)
		}
	}
	r := e.do("POST", base+"/matches/1/result", org, `{"scores":[2,1],"games":[[11,3],[11,8]]}`)
	if r.status != 422 || !strings.Contains(string(r.body), "invalid_score") {
		t.Errorf("games that give 2-0 for a 2-1: %d %s; want 422 invalid_score", r.status, r.body)
	}
	if after := e.state(id).Version; after != before {
		t.Fatalf("version %d after refused results; want %d", after, before)
	}
	var res resultReply
	e.must(200, "POST", base+"/matches/1/result", org, map[string]any{"scores": []int{2, 1}, "games": [][2]int{{11, 3}, {8, 11}, {11, 9}}}).decode(t, &res)
	if res.Match == nil || res.Match.Games == nil || len(*res.Match.Games) != 3 {
		t.Fatalf("result answer %+v; want the match with its 3 games", res.Match)
	}
	st := e.state(id).Standings
	if st[0].GamePointsFor != 30 || st[0].GamePointsAgainst != 23 || st[0].TieBreaks[match.GamePoints] != 7 {
		t.Errorf("leader %+v; want 30 game points for, 23 against, game_points 7", st[0])
	}
}
