package browser

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The standings a page keeps live (static/js/standings.js, applied by state.js after every
// event) against the hub's own: tournaments of every format are driven through the API with
// seeded random results, and after every command the live model of a page that follows the
// tournament over the socket must hold exactly the standings GET /api/tournaments/{id} answers.

// lsState is the part of a tournament's state the driver reads; Standings stay raw to be
// compared as JSON.
type lsState struct {
	Version    int    `json:"version"`
	Status     string `json:"status"`
	Stage      int    `json:"stage"`
	Qualifiers []int  `json:"qualifiers"`
	Settings   struct {
		BestOf     int  `json:"best_of"`
		AllowDraws bool `json:"allow_draws"`
		Playoff    *struct {
			BestOf int `json:"best_of"`
		} `json:"playoff"`
	} `json:"settings"`
	Participants []struct {
		ID         int  `json:"id"`
		Withdrawn  bool `json:"withdrawn"`
		Eliminated bool `json:"eliminated"`
	} `json:"participants"`
	Matches   []lsMatch       `json:"matches"`
	Standings json.RawMessage `json:"standings"`
}

type lsMatch struct {
	ID      int    `json:"id"`
	Bracket string `json:"bracket"`
	Status  string `json:"status"`
	Players [2]int `json:"players"`
}

// lsCase is one tournament to drive. Rates are per command: games, how often a result gives
// each game's points; forfeit, how often a ready match is forfeited instead (one in five of them
// by both sides); fix, how often the organiser corrects a completed result instead.
type lsCase struct {
	name                 string
	settings             map[string]any
	players              int
	games, forfeit, fix  float64
	withdraw, disqualify int // after how many results a player withdraws, is disqualified (0: never)
}

// lsPage is the script a page runs to follow tournaments as every page does (page.js
// liveTournament: client.js's socket into state.js's model) and to answer, once its model of a
// tournament has reached a version, that model's version and standings.
const lsPage = `(() => {
  const live = {};
  const entry = (tid) => live[tid] || (live[tid] = {model: null, waits: []});
  window.__lsFollow = (tid) => import('/js/page.js').then((p) => {
    p.liveTournament(tid, {render(model) {
      const e = entry(tid);
      e.model = model;
      e.waits = e.waits.filter((w) => !w());
    }});
    return 'ok';
  });
  window.__lsAt = (tid, v) => new Promise((resolve, reject) => {
    const e = entry(tid);
    const done = () => {
      if (!e.model || e.model.version < v) return false;
      resolve(JSON.stringify({version: e.model.version, standings: e.model.standings}));
      return true;
    };
    if (done()) return;
    e.waits.push(done);
    setTimeout(() => reject(new Error('the model of ' + tid + ' is at version ' + (e.model && e.model.version) + '; want ' + v)), 10000);
  });
  return 'ok';
})()`

// TestLiveStandingsMatchHub: after every command of tournaments in every format (round robin in
// one to three groups and two legs, draws, custom and fractional points, tie-breaks in several
// orders with game points; Swiss with byes; single and double elimination; two-stage
// tournaments), with withdrawals, disqualifications, forfeits and corrections along the way, a
// page's live model holds the hub's standings exactly: every field of every line, in order. A
// spectator page follows each tournament in the same tab, so every state is also drawn.
func TestLiveStandingsMatchHub(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	base := startHub(ctx, t, "--http-rate", "1000", "--http-burst", "1000") // every command comes from one address
	page := newTab(t, newBrowser(ctx, t), "standings")

	chess := map[string]any{"win": 1, "draw": 0.5, "loss": 0}
	cases := []lsCase{
		{name: "round robin, chess points", players: 7, withdraw: 9, settings: map[string]any{"format": "round_robin",
			"allow_draws": true, "points": chess, "tie_breaks": []string{"sonneborn_berger", "buchholz", "head_to_head", "game_difference"}}},
		{name: "round robin, two groups, two legs, game points", players: 9, games: 0.9, disqualify: 15, settings: map[string]any{"format": "round_robin",
			"groups": 2, "legs": 2, "best_of": 2, "allow_draws": true, "tie_breaks": []string{"game_points", "game_difference", "head_to_head", "buchholz"}}},
		{name: "round robin, three groups, fractional points", players: 10, games: 0.5, forfeit: 0.2, settings: map[string]any{"format": "round_robin",
			"groups": 3, "best_of": 3, "points": map[string]any{"win": 0.3, "draw": 0.2, "loss": 0.1},
			"tie_breaks": []string{"head_to_head", "buchholz", "sonneborn_berger", "game_points"}}},
		{name: "round robin, defaults, corrections", players: 6, fix: 0.15, settings: map[string]any{"format": "round_robin",
			"points": map[string]any{"win": 2, "draw": 0, "loss": -1}}},
		{name: "swiss, odd, chess points", players: 9, withdraw: 6, settings: map[string]any{"format": "swiss",
			"rounds": 4, "allow_draws": true, "points": chess}},
		{name: "swiss, best of 3, game points", players: 7, games: 0.8, forfeit: 0.1, disqualify: 4, fix: 0.1, settings: map[string]any{"format": "swiss",
			"best_of": 3, "seeding": "random", "random_seed": 7, "tie_breaks": []string{"game_points", "sonneborn_berger", "head_to_head"}}},
		{name: "single elimination, third place", players: 11, games: 0.5, fix: 0.1, withdraw: 3, settings: map[string]any{"format": "single_elimination",
			"best_of": 3, "third_place": true}},
		{name: "double elimination, reset", players: 10, fix: 0.1, forfeit: 0.1, withdraw: 5, settings: map[string]any{"format": "double_elimination"}},
		{name: "double elimination, single final", players: 6, games: 0.3, fix: 0.1, settings: map[string]any{"format": "double_elimination",
			"grand_final": "single", "best_of": 3, "seeding": "random", "random_seed": 3}},
		{name: "two stages: groups, single elimination", players: 10, withdraw: 7, fix: 0.05, settings: map[string]any{"format": "round_robin",
			"groups": 2, "allow_draws": true, "playoff": map[string]any{"format": "single_elimination", "advance": 2, "third_place": true}}},
		{name: "two stages: Swiss, double elimination", players: 8, disqualify: 14, fix: 0.05, settings: map[string]any{"format": "swiss",
			"rounds": 3, "playoff": map[string]any{"format": "double_elimination", "advance": 4}}},
	}
	seeds := 2
	if n, err := strconv.Atoi(os.Getenv("TOURHUB_STANDINGS_SEEDS")); err == nil && n > 0 {
		seeds = n // a longer hunt: TOURHUB_STANDINGS_SEEDS=50 go test -run TestLiveStandings ...
	}
	for i, c := range cases {
		for k := range seeds {
			lsDrive(ctx, t, base, page, c, uint64(1000*(i+1)+k))
		}
	}
}

// lsDrive creates c's tournament, follows it on page, and plays it to the end with results drawn
// from seed, comparing the page's standings with the hub's after every command.
func lsDrive(ctx context.Context, t *testing.T, base string, page *tab, c lsCase, seed uint64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 0))
	settings := map[string]any{"name": c.name}
	for k, v := range c.settings {
		settings[k] = v
	}
	tr := newTourney(ctx, t, base, settings)
	page.do("open the spectator page of "+c.name, chromedp.Navigate(base+"/spectator.html?t="+tr.id))
	page.wait("the spectator page", `document.querySelector('[data-testid=tournament-status]')`)
	page.eval("follow "+c.name, lsPage)
	page.eval("follow "+c.name, fmt.Sprintf(`__lsFollow(%q)`, tr.id))

	var players []map[string]any
	for i := range c.players {
		players = append(players, map[string]any{"name": fmt.Sprintf("P%d", i+1), "rating": rng.IntN(3000)})
	}
	did := "the create"
	check := func() lsState {
		t.Helper()
		return lsCompare(ctx, t, page, tr, fmt.Sprintf("%s (seed %d), after %s", c.name, seed, did))
	}
	check()
	mustAPI(ctx, t, http.MethodPost, tr.url("/players/batch"), tr.org, map[string]any{"players": players}, nil)
	did = "the players joined"
	check()
	tr.command(ctx, t, "/start", struct{}{})
	did = "the start"
	results, out, fixes, forfeits := 0, 0, 0, 0
	for step := 0; ; step++ {
		s := check()
		if s.Status == "finished" {
			t.Logf("%s (seed %d): standings equal at all %d versions: %d results (%d forfeited), %d corrections, %d withdrawn",
				c.name, seed, s.Version, results, forfeits, fixes, out)
			return
		}
		if step > 1000 {
			t.Fatalf("%s: not finished after %d commands", c.name, step)
		}
		if s.Settings.Playoff != nil && s.Stage == 1 && len(s.Qualifiers) > 0 {
			tr.command(ctx, t, "/playoff", struct{}{})
			did = "the playoff started"
			continue
		}
		if (c.withdraw > 0 && results >= c.withdraw && out == 0) || (c.disqualify > 0 && results >= c.disqualify && out == 0) {
			var in []int
			for _, p := range s.Participants {
				if !p.Withdrawn && !p.Eliminated {
					in = append(in, p.ID)
				}
			}
			pid := in[rng.IntN(len(in))]
			dq := c.disqualify > 0
			tr.command(ctx, t, fmt.Sprintf("/players/%d/withdraw", pid), map[string]any{"disqualify": dq})
			did, out = fmt.Sprintf("player %d withdrew (disqualified: %t)", pid, dq), out+1
			continue
		}
		if rng.Float64() < c.fix {
			if m, ok := lsFixable(rng, s); ok {
				body := lsResult(rng, s, m, c.games)
				if code, _ := apiCall(ctx, t, http.MethodPost, tr.url(fmt.Sprintf("/matches/%d/result", m.ID)), tr.org, body, nil); code < 300 {
					did, fixes = fmt.Sprintf("match %d corrected to %v", m.ID, body), fixes+1
				}
				continue
			}
		}
		var ready []lsMatch
		for _, m := range s.Matches {
			if m.Status == "ready" {
				ready = append(ready, m)
			}
		}
		if len(ready) == 0 {
			t.Fatalf("%s (seed %d): no ready match at version %d (status %s)", c.name, seed, s.Version, s.Status)
		}
		m := ready[rng.IntN(len(ready))]
		results++
		if rng.Float64() < c.forfeit {
			body := map[string]any{"player_id": m.Players[rng.IntN(2)]}
			if rng.IntN(5) == 0 {
				body = map[string]any{"both": true}
			}
			tr.command(ctx, t, fmt.Sprintf("/matches/%d/forfeit", m.ID), body)
			did, forfeits = fmt.Sprintf("match %d forfeited (%v)", m.ID, body), forfeits+1
			continue
		}
		body := lsResult(rng, s, m, c.games)
		tr.command(ctx, t, fmt.Sprintf("/matches/%d/result", m.ID), body)
		did = fmt.Sprintf("match %d reported %v", m.ID, body)
	}
}

// lsFixable picks a completed match the organiser may correct: two players, neither withdrawn,
// of the stage being played.
func lsFixable(rng *rand.Rand, s lsState) (lsMatch, bool) {
	gone := map[int]bool{}
	for _, p := range s.Participants {
		gone[p.ID] = p.Withdrawn
	}
	var list []lsMatch
	for _, m := range s.Matches {
		group := m.Bracket == "group" || m.Bracket == "swiss"
		if m.Status != "completed" || m.Players[0] == 0 || m.Players[1] == 0 || gone[m.Players[0]] || gone[m.Players[1]] || (s.Stage == 2 && group) {
			continue
		}
		list = append(list, m)
	}
	if len(list) == 0 {
		return lsMatch{}, false
	}
	return list[rng.IntN(len(list))], true
}

// lsResult draws a valid result for m: a draw now and then where the stage allows draws, else a
// win for either side by any score the series allows; with probability games, each game's points
// too (the games each side won, the winner's last).
func lsResult(rng *rand.Rand, s lsState, m lsMatch, games float64) map[string]any {
	group := m.Bracket == "group" || m.Bracket == "swiss"
	n := s.Settings.BestOf
	if !group && s.Settings.Playoff != nil {
		n = s.Settings.Playoff.BestOf
	}
	var sc [2]int
	var list [][2]int
	game := func(w int) {
		g := [2]int{rng.IntN(10), rng.IntN(10)}
		g[w] = 11
		list = append(list, g)
	}
	if group && s.Settings.AllowDraws && rng.IntN(4) == 0 {
		k := rng.IntN(n/2 + 1)
		sc = [2]int{k, k}
		for range k {
			game(0)
			game(1)
		}
		if 2*k < n {
			v := rng.IntN(12)
			list = append(list, [2]int{v, v})
		}
	} else {
		need := n/2 + 1
		w, lose := rng.IntN(2), rng.IntN(min(need-1, n-need)+1)
		sc[w], sc[1-w] = need, lose
		for range lose {
			game(1 - w)
		}
		for range need {
			game(w)
		}
	}
	body := map[string]any{"scores": sc}
	if rng.Float64() < games {
		body["games"] = list
	}
	return body
}

// lsCompare reads the hub's state, waits until the page's model of the tournament is at its
// version, and fails with the first difference between the two standings.
func lsCompare(ctx context.Context, t *testing.T, page *tab, tr *tourney, what string) lsState {
	t.Helper()
	var s lsState
	mustAPI(ctx, t, http.MethodGet, tr.url(""), "", nil, &s)
	raw := page.eval("the page's model at version "+fmt.Sprint(s.Version), fmt.Sprintf(`__lsAt(%q, %d)`, tr.id, s.Version))
	var got struct {
		Version   int `json:"version"`
		Standings any `json:"standings"`
	}
	if err := json.Unmarshal([]byte(raw), &got); err != nil {
		t.Fatalf("%s: the page's model %q: %v", what, raw, err)
	}
	var want any
	if err := json.Unmarshal(s.Standings, &want); err != nil {
		t.Fatalf("%s: the hub's standings %s: %v", what, s.Standings, err)
	}
	if got.Version != s.Version {
		t.Fatalf("%s: the page's model is at version %d; want the hub's %d", what, got.Version, s.Version)
	}
	if d := lsDiff(got.Standings, want); d != "" {
		t.Fatalf("%s, version %d: the page's standings differ from the hub's:\n%s", what, s.Version, d)
	}
	return s
}

// lsDiff describes the first difference between the page's standings (got) and the hub's (want),
// with both lines in full; "" when they are equal.
func lsDiff(got, want any) string {
	g, _ := got.([]any)
	w, _ := want.([]any)
	for i := range max(len(g), len(w)) {
		var a, b any
		if i < len(g) {
			a = g[i]
		}
		if i < len(w) {
			b = w[i]
		}
		switch {
		case reflect.DeepEqual(a, b):
			continue
		case i >= len(g) || i >= len(w):
			return fmt.Sprintf("the page has %d lines, the hub %d; line %d:\n  page: %s\n  hub:  %s", len(g), len(w), i+1, lsJSON(a), lsJSON(b))
		}
		return fmt.Sprintf("line %d: %s\n  page: %s\n  hub:  %s", i+1, lsFieldDiff("", a, b), lsJSON(a), lsJSON(b))
	}
	if got == nil || want == nil {
		return fmt.Sprintf("page %s; hub %s", lsJSON(got), lsJSON(want))
	}
	return ""
}

// lsFieldDiff names the first field that differs between two lines (objects, compared key by
// key: the player and the place first, then in sorted order).
func lsFieldDiff(path string, a, b any) string {
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if !aok || !bok {
		return fmt.Sprintf("%s: page %s, hub %s", strings.TrimPrefix(path, "."), lsJSON(a), lsJSON(b))
	}
	var keys []string
	for k := range am {
		keys = append(keys, k)
	}
	for k := range bm {
		if _, ok := am[k]; !ok {
			keys = append(keys, k)
		}
	}
	first := map[string]int{"player_id": 1, "rank": 2, "rank_to": 3}
	sort.Slice(keys, func(i, j int) bool {
		a, b := first[keys[i]], first[keys[j]]
		if a == 0 {
			a = 4
		}
		if b == 0 {
			b = 4
		}
		return a < b || a == b && keys[i] < keys[j]
	})
	for _, k := range keys {
		x, inA := am[k]
		y, inB := bm[k]
		switch {
		case !inA:
			return fmt.Sprintf("%s.%s: missing on the page, hub %s", strings.TrimPrefix(path, "."), k, lsJSON(y))
		case !inB:
			return fmt.Sprintf("%s.%s: page %s, missing on the hub", strings.TrimPrefix(path, "."), k, lsJSON(x))
		case !reflect.DeepEqual(x, y):
			return lsFieldDiff(path+"."+k, x, y)
		}
	}
	return "equal"
}

func lsJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
