package api_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/tourhub/tourhub/hub/api"
	"github.com/tourhub/tourhub/match"
)

type noticesReply struct {
	Version  int64 `json:"version"`
	Complete bool  `json:"complete"`
	Notices  []struct {
		Type       string `json:"type"`
		Tournament string `json:"tournament"`
		Version    int64  `json:"version"`
		Kind       string `json:"kind"`
		Match      int    `json:"match"`
		Text       string `json:"text"`
	} `json:"notices"`
}

func (r noticesReply) texts() []string {
	var out []string
	for _, n := range r.Notices {
		out = append(out, fmt.Sprintf("%d %s: %s", n.Version, n.Kind, n.Text))
	}
	return out
}

// TestMissedNotices: a player fetches the notices they missed, derived from the log: their own
// only, from ?after on; a correction is told as what changed. Nobody else may read them.
func TestMissedNotices(t *testing.T) {
	t.Parallel()
	e := newEnv(t, api.Config{})
	id, org, tok := e.tournament(map[string]any{"name": "Notice Cup", "format": "single_elimination"}, "Ada", "Grace", "Linus", "Ken")
	base := "/api/tournaments/" + id
	start := e.state(id).Version
	e.must(200, "POST", base+"/start", org, nil)
	v := e.state(id)
	m1 := v.Matches[0] // Ada (1) against Ken (4)
	if m1.Players != [2]match.PlayerID{1, 4} {
		t.Fatalf("match 1 players %v; want [1 4]", m1.Players)
	}
	e.must(200, "POST", base+"/matches/1/result", tok[1], map[string]any{"scores": []int{1, 0}})
	reported := e.state(id).Version
	e.must(200, "POST", base+"/matches/1/result", tok[4], map[string]any{"scores": []int{1, 0}})
	e.must(200, "POST", base+"/matches/1/result", org, map[string]any{"scores": []int{0, 1}})

	var ken noticesReply
	e.must(200, "GET", base+"/notices", tok[4], nil).decode(t, &ken)
	want := []string{
		fmt.Sprintf("%d match_ready: Your round 1 match against Ada is ready.", start+1),
		fmt.Sprintf("%d reported: Ada reported match 1 as 0-1 (your score first): report the same to confirm, or your scores to dispute.", reported),
		fmt.Sprintf("%d eliminated: You were eliminated by Ada (0-1).", reported+1),
		fmt.Sprintf("%d corrected: The organiser corrected your round 1 match against Ada (match 1): it is now 1-0 (you won); it was 0-1 (you lost). You are back in the tournament.", reported+2),
	}
	if got := ken.texts(); strings.Join(got, "\n") != strings.Join(want, "\n") || !ken.Complete || ken.Version != reported+2 {
		t.Errorf("Ken's notices (complete %v, version %d):\n%s\nwant (complete, version %d):\n%s", ken.Complete, ken.Version,
			strings.Join(got, "\n"), reported+2, strings.Join(want, "\n"))
	}
	for _, n := range ken.Notices {
		if n.Type != "notice" || n.Tournament != id {
			t.Errorf("notice %+v; want type notice of %s", n, id)
		}
	}
	var later noticesReply
	e.must(200, "GET", fmt.Sprintf("%s/notices?after=%d", base, reported+1), tok[4], nil).decode(t, &later)
	if len(later.Notices) != 1 || later.Notices[0].Kind != "corrected" {
		t.Errorf("Ken's notices after %d: %v; want only the correction", reported+1, later.texts())
	}
	var grace noticesReply
	e.must(200, "GET", base+"/notices", tok[2], nil).decode(t, &grace)
	for _, n := range grace.Notices {
		if strings.Contains(n.Text, "Ken") || n.Match == 1 {
			t.Errorf("Grace got a notice of match 1: %+v", n)
		}
	}
	e.must(403, "GET", base+"/notices", org, nil)
	e.must(401, "GET", base+"/notices", "", nil)
	e.must(400, "GET", base+"/notices?after=-1", tok[4], nil)
	e.must(400, "GET", base+"/notices?after=999", tok[4], nil)
	other, _, otherTok := e.tournament(map[string]any{"name": "Other", "format": "swiss"}, "Ada")
	e.must(401, "GET", "/api/tournaments/"+other+"/notices", tok[4], nil)
	var none noticesReply
	r := e.must(200, "GET", "/api/tournaments/"+other+"/notices", otherTok[1], nil)
	if err := json.Unmarshal(r.body, &none); err != nil || none.Notices == nil || len(none.Notices) != 0 {
		t.Errorf("a player with no notices: %s; want an empty list", r.body)
	}
}
