package browser

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The bracket and standings views (static/js/bracket.js) on tournaments played through the API
// of a real hub: connectors between rounds, the champion, byes and the grand final reset drawn
// for what they are, the round robin results grid, tie-break columns, an elimination's standings
// while it runs, Swiss rounds counted alike live and reloaded, and the hint that a bracket
// scrolls on a phone.

// buMatch is the part of a match these tests read.
type buMatch struct {
	ID       int     `json:"id"`
	Bracket  string  `json:"bracket"`
	Round    int     `json:"round"`
	Group    int     `json:"group"`
	Status   string  `json:"status"`
	Players  [2]int  `json:"players"`
	Filled   [2]bool `json:"filled"`
	Winner   int     `json:"winner"`
	Loser    int     `json:"loser"`
	WinnerTo int     `json:"winner_to"`
}

// buState is the part of a tournament's state these tests read.
type buState struct {
	Status   string `json:"status"`
	Round    int    `json:"round"`
	Settings struct {
		Rounds    int      `json:"rounds"`
		TieBreaks []string `json:"tie_breaks"`
	} `json:"settings"`
	Matches   []buMatch `json:"matches"`
	Standings []struct {
		PlayerID  int                `json:"player_id"`
		Rank      int                `json:"rank"`
		RankTo    int                `json:"rank_to"`
		TieBreaks map[string]float64 `json:"tie_breaks"`
	} `json:"standings"`
}

func (tr *tourney) buRead(ctx context.Context, t *testing.T) buState {
	t.Helper()
	var s buState
	mustAPI(ctx, t, http.MethodGet, tr.url(""), "", nil, &s)
	return s
}

// buTourney creates a tournament with settings and registers players (by the organiser, in one
// batch), in that order: the first is the top seed.
func buTourney(ctx context.Context, t *testing.T, base string, settings map[string]any, players ...string) *tourney {
	t.Helper()
	tr := newTourney(ctx, t, base, settings)
	var list []map[string]any
	for _, n := range players {
		list = append(list, map[string]any{"name": n})
	}
	var batch struct {
		Players []struct {
			PlayerID int    `json:"player_id"`
			Name     string `json:"name"`
			Token    string `json:"token"`
		} `json:"players"`
	}
	mustAPI(ctx, t, http.MethodPost, tr.url("/players/batch"), tr.org, map[string]any{"players": list}, &batch)
	for _, p := range batch.Players {
		tr.pid[p.Name], tr.token[p.Name] = p.PlayerID, p.Token
	}
	return tr
}

// buPlay has the organiser decide ready matches, scores chosen by decide (nil: the match is
// left alone), until no ready match is decided any more; it returns the state then.
func buPlay(ctx context.Context, t *testing.T, tr *tourney, decide func(m buMatch) []int) buState {
	t.Helper()
	for {
		s := tr.buRead(ctx, t)
		played := 0
		for _, m := range s.Matches {
			if m.Status != "ready" {
				continue
			}
			if scores := decide(m); scores != nil {
				tr.command(ctx, t, fmt.Sprintf("/matches/%d/result", m.ID), map[string]any{"scores": scores})
				played++
			}
		}
		if played == 0 {
			return s
		}
	}
}

// buFirstWins: the first listed player wins 1-0.
func buFirstWins(buMatch) []int { return []int{1, 0} }

// buSpectator opens the spectator page of tr in a tab of its own, at a viewport of w x h, and
// waits for the tournament's status.
func buSpectator(t *testing.T, browser context.Context, tr *tourney, w, h int64, status string) *tab {
	t.Helper()
	spec := newTab(t, browser, "spectator")
	spec.do("size the window", chromedp.EmulateViewport(w, h))
	spec.do("open the spectator page", chromedp.Navigate(tr.base+"/spectator.html?t="+tr.id))
	spec.wait("the tournament "+status, fmt.Sprintf(`document.querySelector('[data-testid=tournament-status][data-status=%s]')`, status))
	return spec
}

// buShot saves a screenshot of the whole page as name.png, for a person to look at: in
// $TOURHUB_E2E_SCREENSHOTS if set, else in the test's temporary directory.
func buShot(t *testing.T, b *tab, name string) {
	t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	dir := os.Getenv("TOURHUB_E2E_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("screenshot directory: %v", err)
	}
	file := filepath.Join(dir, name+".png")
	if err := os.WriteFile(file, png, 0o644); err != nil {
		t.Fatalf("write screenshot: %v", err)
	}
	t.Logf("screenshot: %s", file)
}

// buConnectorCheck is a page expression: every connector path of the bracket (root: a selector)
// starts on the right edge of the card it names in data-from, level with the card, and ends on the
// left edge of the card named in data-to, level with it. It answers "ok" with the number of paths,
// or what is wrong.
func buConnectorCheck(root string) string {
	return fmt.Sprintf(`(() => {
	  const bad = [];
	  const paths = [...document.querySelectorAll(%q + ' svg.connectors path')];
	  for (const p of paths) {
	    const svg = p.ownerSVGElement.getBoundingClientRect();
	    const from = document.querySelector(%q + ' [data-match-id="' + p.dataset.from + '"]');
	    const to = document.querySelector(%q + ' [data-match-id="' + p.dataset.to + '"]');
	    if (!from || !to) { bad.push(p.dataset.from + '->' + p.dataset.to + ': a card is missing'); continue; }
	    const n = p.getTotalLength();
	    const a = p.getPointAtLength(0), b = p.getPointAtLength(n);
	    const f = from.getBoundingClientRect(), g = to.getBoundingClientRect();
	    const ax = a.x + svg.left, ay = a.y + svg.top, bx = b.x + svg.left, by = b.y + svg.top;
	    if (Math.abs(ax - f.right) > 1.5 || ay < f.top || ay > f.bottom) bad.push(p.dataset.from + ' starts at ' + [ax, ay] + ', card ' + [f.right, f.top, f.bottom]);
	    if (Math.abs(bx - g.left) > 1.5 || by < g.top || by > g.bottom) bad.push(p.dataset.from + ' ends at ' + [bx, by] + ', card ' + [g.left, g.top, g.bottom]);
	    if (bx <= ax) bad.push(p.dataset.from + ' does not go right');
	  }
	  return bad.length ? bad.join('; ') : 'ok ' + paths.length;
	})()`, root, root, root)
}

// buConnectorPairs is a page expression listing the connectors of root as "from>to" pairs, sorted.
func buConnectorPairs(root string) string {
	return fmt.Sprintf(`[...document.querySelectorAll(%q + ' svg.connectors path')].map((p) => p.dataset.from + '>' + p.dataset.to).sort().join(' ')`, root)
}

// buWantPairs lists the "from>to" winner links among matches of the given brackets, sorted as
// buConnectorPairs sorts them.
func buWantPairs(ms []buMatch, brackets ...string) string {
	in := map[int]bool{}
	for _, m := range ms {
		for _, b := range brackets {
			if m.Bracket == b {
				in[m.ID] = true
			}
		}
	}
	var out []string
	for _, m := range ms {
		if in[m.ID] && in[m.WinnerTo] {
			out = append(out, fmt.Sprintf("%d>%d", m.ID, m.WinnerTo))
		}
	}
	return buSortedJoin(out)
}

// buSortedJoin sorts s as JavaScript's default sort does (for ASCII text, byte order) and joins
// it with spaces.
func buSortedJoin(s []string) string {
	c := slices.Clone(s)
	slices.Sort(c)
	return strings.Join(c, " ")
}

// TestBracketUIConnectors: in an 8-player single elimination every match but the final is joined
// to the match its winner goes to, by a line from its card's right edge to the next card's left
// edge, on a wide screen and on a phone; decided lines are marked as such once results come in.
// In an 8-player double elimination the winners and losers brackets are joined the same way, and
// the grand final to its reset.
func TestBracketUIConnectors(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	base := startHub(ctx, t)
	browser := newBrowser(ctx, t)

	names := []string{"Ada", "Grace", "Linus", "Ken", "Barbara", "Edsger", "Donald", "Frances"}
	se := buTourney(ctx, t, base, map[string]any{"name": "Lines Cup", "format": "single_elimination"}, names...)
	se.command(ctx, t, "/start", struct{}{})
	s := se.buRead(ctx, t)
	want := buWantPairs(s.Matches, "winners")
	if strings.Count(want, ">") != 6 {
		t.Fatalf("8-player single elimination: %d winner links; want 6 (%s)", strings.Count(want, ">"), want)
	}
	spec := buSpectator(t, browser, se, 1280, 900, "running")
	spec.wait("the connectors", buConnectorPairs("#bracket")+` === `+q(want))
	if got := spec.eval("connector geometry", buConnectorCheck("#bracket")); got != "ok 6" {
		t.Errorf("wide screen connectors: %s", got)
	}
	final := 0
	for _, m := range s.Matches {
		if m.WinnerTo == 0 {
			final = m.ID
		}
	}
	if got := spec.eval("the final's connector", fmt.Sprintf(`String(document.querySelectorAll('#bracket [data-from="%d"]').length)`, final)); got != "0" {
		t.Errorf("the final has %s outgoing connectors; want none", got)
	}

	// Round 1 played: its four lines are decided, the others not yet.
	buPlay(ctx, t, se, func(m buMatch) []int {
		if m.Round == 1 {
			return []int{1, 0}
		}
		return nil
	})
	spec.wait("four decided lines", `document.querySelectorAll('#bracket svg.connectors path.decided').length === 4`)
	if got := spec.eval("connector geometry after results", buConnectorCheck("#bracket")); got != "ok 6" {
		t.Errorf("connectors after round 1: %s", got)
	}
	buShot(t, spec, "connectors-se-wide")

	// The organiser opens a semi-final's panel: its card grows, the lines follow it.
	org := newTab(t, browser, "organiser")
	org.do("open the organiser page",
		chromedp.Navigate(base+"/favicon.svg"),
		chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`localStorage.setItem(%s, %s)`, q("tourhub:organiser:"+se.id), q(se.org))),
		chromedp.Navigate(base+"/organiser.html?t="+se.id))
	org.wait("the connectors", buConnectorPairs("#bracket")+` === `+q(want))
	semi := 0
	for _, m := range se.buRead(ctx, t).Matches {
		if m.Round == 2 && semi == 0 {
			semi = m.ID
		}
	}
	tall := fmt.Sprintf(`document.querySelector('#bracket [data-testid="match-%d"]').getBoundingClientRect().height`, semi)
	before := org.eval("the card's height", `String(`+tall+`)`)
	org.do("open the panel", press(fmt.Sprintf(`[data-testid="tools-%d"]`, semi))...)
	org.wait("the taller card", tall+` > `+before+` + 40`)
	org.wait("the connectors redrawn", buConnectorCheck("#bracket")+` === 'ok 6'`)
	buShot(t, org, "connectors-se-organiser")

	// A phone: the same lines, drawn for the narrower cards.
	spec.do("a phone's viewport", chromedp.EmulateViewport(390, 844))
	spec.wait("the narrower bracket", `document.querySelector('#bracket .bracket').getBoundingClientRect().width < 800`)
	spec.wait("the connectors redrawn", buConnectorCheck("#bracket")+` === 'ok 6'`)
	buShot(t, spec, "connectors-se-phone")

	// Double elimination: winners and losers brackets, and the grand final to its reset.
	de := buTourney(ctx, t, base, map[string]any{"name": "Lines Double", "format": "double_elimination"}, names...)
	de.command(ctx, t, "/start", struct{}{})
	ds := de.buRead(ctx, t)
	wantW, wantL, wantGF := buWantPairs(ds.Matches, "winners"), buWantPairs(ds.Matches, "losers"), buWantPairs(ds.Matches, "grand_final")
	if wantL == "" || wantGF == "" {
		t.Fatalf("double elimination: losers links %q, grand final links %q; want both", wantL, wantGF)
	}
	dspec := buSpectator(t, browser, de, 1280, 900, "running")
	dspec.wait("the winners connectors", buConnectorPairs("[data-testid=bracket-winners]")+` === `+q(wantW))
	dspec.wait("the losers connectors", buConnectorPairs("[data-testid=bracket-losers]")+` === `+q(wantL))
	dspec.wait("the grand final's connector", buConnectorPairs("[data-testid=bracket-grand-final]")+` === `+q(wantGF))
	for _, root := range []string{"[data-testid=bracket-winners]", "[data-testid=bracket-losers]", "[data-testid=bracket-grand-final]"} {
		if got := dspec.eval("connector geometry", buConnectorCheck(root)); !strings.HasPrefix(got, "ok ") {
			t.Errorf("double elimination %s: %s", root, got)
		}
	}
	buShot(t, dspec, "connectors-de-wide")
}

// buLowerWins decides a match for the player registered first (the lower id): 1-0.
func buLowerWins(m buMatch) []int {
	if m.Players[0] < m.Players[1] {
		return []int{1, 0}
	}
	return []int{0, 1}
}

// buOpen navigates b to the spectator page of tr and waits for the tournament's status.
func buOpen(b *tab, tr *tourney, status string) {
	b.t.Helper()
	b.do("open the spectator page", chromedp.Navigate(tr.base+"/spectator.html?t="+tr.id))
	b.wait("the tournament "+status, fmt.Sprintf(`document.querySelector('[data-testid=tournament-status][data-status=%s]')`, status))
}

// TestBracketUIChampion: a finished tournament opens with its champion, in every format: a single
// elimination with its runner-up, a round robin, a Swiss, and a two-stage tournament whose
// playoff was won by the group stage's second (the banner names the playoff's winner). A running
// tournament has no banner.
func TestBracketUIChampion(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	base := startHub(ctx, t)
	browser := newBrowser(ctx, t)
	spec := newTab(t, browser, "spectator")
	names := []string{"Ada", "Grace", "Linus", "Ken"}

	running := buTourney(ctx, t, base, map[string]any{"name": "Not Yet", "format": "single_elimination"}, names...)
	running.command(ctx, t, "/start", struct{}{})
	buOpen(spec, running, "running")
	if got := spec.eval("a banner", `String(!!document.querySelector('[data-testid=champion-banner]'))`); got != "false" {
		t.Error("a running tournament shows a champion banner")
	}

	banner := func(what string) (champion, runnerUp string) {
		t.Helper()
		spec.wait(what+": the banner", `document.querySelector('[data-testid=champion-banner] [data-testid=champion-name]')`)
		return spec.text(`[data-testid=champion-banner] [data-testid=champion-name]`), spec.text(`[data-testid=champion-banner] [data-testid=runner-up-name]`)
	}

	// Single elimination: the final's winner and loser.
	se := buTourney(ctx, t, base, map[string]any{"name": "Banner Cup", "format": "single_elimination"}, names...)
	se.command(ctx, t, "/start", struct{}{})
	s := buPlay(ctx, t, se, buLowerWins)
	var final buMatch
	for _, m := range s.Matches {
		if m.Round == 2 {
			final = m
		}
	}
	nameOf := func(tr *tourney, id int) string {
		for n, pid := range tr.pid {
			if pid == id {
				return n
			}
		}
		return ""
	}
	buOpen(spec, se, "finished")
	if c, r := banner("single elimination"); c != nameOf(se, final.Winner) || r != nameOf(se, final.Loser) {
		t.Errorf("single elimination banner: champion %q, runner-up %q; want %q, %q", c, r, nameOf(se, final.Winner), nameOf(se, final.Loser))
	}
	buShot(t, spec, "champion-se")

	// Round robin and Swiss: the top of the table, no runner-up.
	for _, format := range []string{"round_robin", "swiss"} {
		tr := buTourney(ctx, t, base, map[string]any{"name": "Banner " + format, "format": format}, names...)
		tr.command(ctx, t, "/start", struct{}{})
		if st := buPlay(ctx, t, tr, buLowerWins); st.Status != "finished" {
			t.Fatalf("%s: status %s after every match; want finished", format, st.Status)
		}
		buOpen(spec, tr, "finished")
		if c, r := banner(format); c != "Ada" || r != "" {
			t.Errorf("%s banner: champion %q, runner-up %q; want Ada and no runner-up", format, c, r)
		}
	}

	// Two stages: Ada wins the group, Grace the playoff's final: Grace is the champion.
	two := buTourney(ctx, t, base, map[string]any{"name": "Banner Two", "format": "round_robin",
		"playoff": map[string]any{"format": "single_elimination", "advance": 2}}, names...)
	two.command(ctx, t, "/start", struct{}{})
	buPlay(ctx, t, two, buLowerWins)
	two.command(ctx, t, "/playoff", struct{}{})
	buPlay(ctx, t, two, func(m buMatch) []int {
		if m.Players[0] > m.Players[1] {
			return []int{1, 0}
		}
		return []int{0, 1}
	})
	buOpen(spec, two, "finished")
	if c, r := banner("two stages"); c != "Grace" || r != "Ada" {
		t.Errorf("two-stage banner: champion %q, runner-up %q; want the playoff's winner Grace, runner-up Ada", c, r)
	}
	buShot(t, spec, "champion-two-stage")
}

// buByeCheck is a page expression: what of the bracket shows a bye as a player ("bye" in a slot
// of a card), the cards drawn, and the slim bye lines drawn, as JSON.
const buByeCheck = `JSON.stringify({
  byeSlots: [...document.querySelectorAll('#bracket .match .slot')].filter((s) => /\bbye\b/i.test(s.textContent)).map((s) => s.closest('.match').dataset.matchId),
  cards: [...document.querySelectorAll('#bracket .match')].map((m) => Number(m.dataset.matchId)).sort((a, b) => a - b),
  byes: [...document.querySelectorAll('#bracket .match-bye')].map((m) => Number(m.dataset.matchId)).sort((a, b) => a - b),
  byeText: [...document.querySelectorAll('#bracket .match-bye')].every((m) => m.textContent.includes('advances (bye)')),
})`

// TestBracketUIDoubleByes: a double elimination of 5 or 6 players is not a wall of bye cards: a
// match between two byes is not drawn at all, a bye that sends a player on is one slim line, and
// only matches with a player on each side (or still to come) are cards. Played to the end with
// the winners-bracket player winning the grand final, the unused reset says it was not needed
// instead of showing "bye" against "bye", and the banner names champion and runner-up.
func TestBracketUIDoubleByes(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	base := startHub(ctx, t)
	browser := newBrowser(ctx, t)
	spec := newTab(t, browser, "spectator")
	spec.do("size the window", chromedp.EmulateViewport(1280, 900))

	for _, n := range []int{5, 6} {
		names := []string{"Ada", "Grace", "Linus", "Ken", "Barbara", "Edsger"}[:n]
		tr := buTourney(ctx, t, base, map[string]any{"name": fmt.Sprintf("Byes %d", n), "format": "double_elimination"}, names...)
		tr.command(ctx, t, "/start", struct{}{})
		s := tr.buRead(ctx, t)
		var cards, byes, hidden []int
		for _, m := range s.Matches {
			bye := [2]bool{m.Filled[0] && m.Players[0] == 0, m.Filled[1] && m.Players[1] == 0}
			switch {
			case bye[0] && bye[1]:
				hidden = append(hidden, m.ID)
			case bye[0] || bye[1]:
				byes = append(byes, m.ID)
			default:
				cards = append(cards, m.ID)
			}
		}
		if len(byes) == 0 || (n == 5 && len(hidden) == 0) {
			t.Fatalf("%d players: byes %v, matches between byes %v; want some of each (5 players) to test", n, byes, hidden)
		}
		buOpen(spec, tr, "running")
		want := fmt.Sprintf(`{"byeSlots":[],"cards":%s,"byes":%s,"byeText":true}`, buInts(cards), buInts(byes))
		spec.wait(fmt.Sprintf("%d players: cards and bye lines", n), buByeCheck+` === `+q(want))
		for _, id := range hidden {
			if got := spec.eval("a match between byes", fmt.Sprintf(`String(!!document.querySelector('#bracket [data-match-id="%d"]'))`, id)); got != "false" {
				t.Errorf("%d players: match %d (a bye against a bye) is drawn", n, id)
			}
		}
		buShot(t, spec, fmt.Sprintf("byes-de-%d", n))
		if n == 6 {
			continue
		}

		// Five players to the end: the top seed wins every match, the grand final included.
		s = buPlay(ctx, t, tr, buLowerWins)
		var gf, reset buMatch
		for _, m := range s.Matches {
			if m.Bracket == "grand_final" && m.Round == 1 {
				gf = m
			}
			if m.Bracket == "grand_final" && m.Round == 2 {
				reset = m
			}
		}
		if s.Status != "finished" || reset.ID == 0 || reset.Status != "void" || gf.Winner != tr.pid["Ada"] {
			t.Fatalf("after the grand final: status %s, reset %+v, grand final won by %d; want finished, a void reset, Ada (%d)", s.Status, reset, gf.Winner, tr.pid["Ada"])
		}
		spec.wait("the finished tournament", `document.querySelector('[data-testid=tournament-status][data-status=finished]')`)
		spec.wait("the reset not needed", `(document.querySelector('[data-testid=bracket-grand-final] [data-testid=gf-reset-not-needed]') || {textContent: ''}).textContent.includes('Not needed')`)
		if got := spec.eval("the reset's card", fmt.Sprintf(`String(!!document.querySelector('#bracket [data-testid="match-%d"]'))`, reset.ID)); got != "false" {
			t.Errorf("the unused reset (match %d) is drawn as a match", reset.ID)
		}
		if got := spec.eval("byes in the grand final", `document.querySelector('[data-testid=bracket-grand-final]').textContent`); strings.Contains(strings.ToLower(got), "bye") {
			t.Errorf("the grand final section reads %q; want no bye", got)
		}
		var bye struct {
			ByeSlots []string
		}
		if err := json.Unmarshal([]byte(spec.eval("byes at the end", buByeCheck)), &bye); err != nil || len(bye.ByeSlots) != 0 {
			t.Errorf("at the end, cards with a bye slot: %v (%v)", bye.ByeSlots, err)
		}
		if c, r := spec.text(`[data-testid=champion-name]`), spec.text(`[data-testid=runner-up-name]`); c != "Ada" || r == "" || r == "Ada" {
			t.Errorf("banner: champion %q, runner-up %q; want Ada and the grand final's loser", c, r)
		}
		buShot(t, spec, "byes-de-5-finished")
	}
}

func buInts(ids []int) string {
	if len(ids) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(ids)
	return string(b)
}

// TestBracketUICrossTable: a round robin in two groups shows, per group, a results grid of its
// players: each cell is the row player's result against the column player (won, lost or drawn,
// their score first), the diagonal is blank, and matches not played yet are empty; the grid
// follows results live.
func TestBracketUICrossTable(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	base := startHub(ctx, t)
	browser := newBrowser(ctx, t)
	tr := buTourney(ctx, t, base, map[string]any{"name": "Grid Cup", "format": "round_robin", "groups": 2, "best_of": 3, "allow_draws": true},
		"Ada", "Grace", "Linus", "Ken", "Barbara", "Edsger")
	tr.command(ctx, t, "/start", struct{}{})
	spec := buSpectator(t, browser, tr, 1280, 900, "running")
	spec.wait("two grids", `document.querySelector('[data-testid=crosstable-1]') && document.querySelector('[data-testid=crosstable-2]')`)

	// In each group: one match won 2-1, one drawn 1-1, one left to play.
	played := map[int]int{}
	s := buPlay(ctx, t, tr, func(m buMatch) []int {
		switch played[m.Group] {
		case 0:
			played[m.Group]++
			return []int{2, 1}
		case 1:
			played[m.Group]++
			return []int{1, 1}
		}
		return nil
	})
	cell := func(g, row, col int) string {
		return fmt.Sprintf(`(() => { const c = document.querySelector('[data-testid="cross-%d-%d-%d"]'); return c ? c.dataset.result + '|' + c.textContent.trim() : 'missing'; })()`, g, row, col)
	}
	spec.wait("the results in the grids", `document.querySelectorAll('[data-testid^=crosstable-] td[data-result="W"], [data-testid^=crosstable-] td[data-result="D"]').length === 6`)
	pending := 0
	for _, m := range s.Matches {
		a, b := m.Players[0], m.Players[1]
		var wantA, wantB string
		switch {
		case m.Status != "completed":
			wantA, wantB = "|", "|"
			pending++
		case m.Winner == a:
			wantA, wantB = "W|W 2-1", "L|L 1-2"
		case m.Winner == b:
			wantA, wantB = "L|L 1-2", "W|W 2-1"
		default:
			wantA, wantB = "D|D 1-1", "D|D 1-1"
		}
		if got := spec.eval("a cell", cell(m.Group, a, b)); got != wantA {
			t.Errorf("group %d, match %d: cell row %d column %d reads %q; want %q", m.Group, m.ID, a, b, got, wantA)
		}
		if got := spec.eval("a cell", cell(m.Group, b, a)); got != wantB {
			t.Errorf("group %d, match %d: cell row %d column %d reads %q; want %q", m.Group, m.ID, b, a, got, wantB)
		}
		for _, p := range []int{a, b} {
			if got := spec.eval("the diagonal", fmt.Sprintf(`(() => { const c = document.querySelector('[data-testid="cross-%d-%d-%d"]'); return c ? c.className + '|' + c.querySelectorAll('.res').length : 'missing'; })()`, m.Group, p, p)); got != "self|0" {
				t.Errorf("group %d: diagonal cell of %d reads %q; want a blank self cell", m.Group, p, got)
			}
		}
	}
	if pending != 2 {
		t.Fatalf("%d matches left to play; want one per group", pending)
	}
	// Each grid has its group's three players, with headers for rows and columns.
	for g := 1; g <= 2; g++ {
		if got := spec.eval("the grid's headers", fmt.Sprintf(`(() => { const t = document.querySelector('[data-testid=crosstable-%d]');
		  return t.querySelectorAll('thead th[scope=col]').length + ',' + t.querySelectorAll('tbody th[scope=row]').length + ',' + t.querySelectorAll('tbody td').length; })()`, g)); got != "3,3,9" {
			t.Errorf("group %d grid: column headers, row headers, cells = %s; want 3,3,9", g, got)
		}
	}
	buShot(t, spec, "crosstable")
	spec.do("a phone's viewport", chromedp.EmulateViewport(390, 844))
	buShot(t, spec, "crosstable-phone")
}

// TestBracketUITieBreaks: the standings of a round robin and a Swiss have a column per
// tie-break of the tournament's settings, in order, each header an abbreviation with its title,
// the values the hub's, and a legend under the table explaining each in a sentence: on a page
// loaded after a round, still after a live result (the page ranks as the hub does, with every
// tie-break), and at the end. A round robin
// ended in a five-way tie (everyone beat two and lost to two) says the five share 1st-5th place,
// tied on every tie-break.
func TestBracketUITieBreaks(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	base := startHub(ctx, t)
	browser := newBrowser(ctx, t)
	spec := newTab(t, browser, "spectator")

	// Swiss, four players: after round 1 (a reloaded page: the hub's standings), and at the end.
	sw := buTourney(ctx, t, base, map[string]any{"name": "Tie Swiss", "format": "swiss", "rounds": 2}, "Ada", "Grace", "Linus", "Ken")
	sw.command(ctx, t, "/start", struct{}{})
	buPlay(ctx, t, sw, func(m buMatch) []int {
		if m.Round == 1 {
			return buLowerWins(m)
		}
		return nil
	})
	check := func(tr *tourney, what string) {
		t.Helper()
		s := tr.buRead(ctx, t)
		tbs := s.Settings.TieBreaks
		if len(tbs) == 0 {
			t.Fatalf("%s: the state lists no tie-breaks", what)
		}
		head := spec.eval("the tie-break headers", `JSON.stringify([...document.querySelectorAll('[data-testid=standings] thead th.tb')].map((th) => {
		  const a = th.querySelector('abbr'); return [th.dataset.testid, a ? a.textContent : '', a ? a.title : '']; }))`)
		var got [][3]string
		if err := json.Unmarshal([]byte(head), &got); err != nil {
			t.Fatalf("%s: headers %q: %v", what, head, err)
		}
		if len(got) != len(tbs) {
			t.Fatalf("%s: tie-break columns %v; want one per tie-break of %v", what, got, tbs)
		}
		for i, tb := range tbs {
			if got[i][0] != "tb-head-"+tb || got[i][1] == "" || len(got[i][2]) < 20 {
				t.Errorf("%s: column %d is %v; want tie-break %s with an abbreviation and a title explaining it", what, i, got[i], tb)
			}
			if legend := spec.text(fmt.Sprintf(`[data-testid=tiebreak-legend] [data-testid="tb-legend-%s"]`, tb)); !strings.HasSuffix(legend, ".") || len(legend) < 15 {
				t.Errorf("%s: legend of %s reads %q; want a sentence", what, tb, legend)
			}
		}
		for _, st := range s.Standings {
			for _, tb := range tbs {
				want := strconv.FormatFloat(st.TieBreaks[tb], 'f', -1, 64)
				if got := spec.text(fmt.Sprintf(`[data-testid="tb-%s-%d"]`, tb, st.PlayerID)); got != want {
					t.Errorf("%s: %s of player %d reads %q; want the hub's %s", what, tb, st.PlayerID, got, want)
				}
			}
		}
	}
	buOpen(spec, sw, "running")
	spec.wait("the hub's table", `document.querySelector('[data-testid=standings] th.tb')`)
	check(sw, "Swiss after round 1")
	spec.do("mark the page", chromedp.Evaluate[chromedp.Void](`window.__buMarker = 'live'`))
	played := 0
	s := buPlay(ctx, t, sw, func(m buMatch) []int {
		if played > 0 {
			return nil
		}
		played++
		return buLowerWins(m)
	})
	for _, m := range s.Matches {
		if m.Round == 2 && m.Status == "completed" && m.Players[1] != 0 {
			spec.wait("the live result", fmt.Sprintf(`document.querySelector('[data-testid="match-%d"][data-status=completed]')`, m.ID))
		}
	}
	check(sw, "Swiss after a live result")
	if got := spec.eval("the table's title", `document.querySelector('[data-testid=standings]').closest('section').querySelector('h4').textContent`); got != "Standings" {
		t.Errorf("the live table is titled %q; want Standings", got)
	}
	if got := spec.eval("the marker", `String(window.__buMarker)`); got != "live" {
		t.Error("the spectator page was reloaded; want the live result applied to the page")
	}
	buPlay(ctx, t, sw, buLowerWins)
	spec.wait("the end", `document.querySelector('[data-testid=tournament-status][data-status=finished]') && document.querySelector('[data-testid=standings] th.tb')`)
	check(sw, "Swiss at the end")
	buShot(t, spec, "tiebreaks-swiss")

	// A five-way tie: i beats i+1 and i+2 (in a circle of five).
	names := []string{"Ada", "Grace", "Linus", "Ken", "Barbara"}
	rr := buTourney(ctx, t, base, map[string]any{"name": "Five Way", "format": "round_robin"}, names...)
	rr.command(ctx, t, "/start", struct{}{})
	pos := map[int]int{}
	for i, n := range names {
		pos[rr.pid[n]] = i
	}
	s = buPlay(ctx, t, rr, func(m buMatch) []int {
		if d := (pos[m.Players[1]] - pos[m.Players[0]] + 5) % 5; d == 1 || d == 2 {
			return []int{1, 0}
		}
		return []int{0, 1}
	})
	for _, st := range s.Standings {
		if st.Rank != 1 || st.RankTo != 5 {
			t.Fatalf("the hub ranks player %d %d-%d; want everyone 1-5", st.PlayerID, st.Rank, st.RankTo)
		}
	}
	buOpen(spec, rr, "finished")
	spec.wait("the tie note", `document.querySelector('[data-testid=tie-note]')`)
	check(rr, "round robin")
	note := spec.text(`[data-testid=tie-note]`)
	for _, n := range names {
		if !strings.Contains(note, n) {
			t.Errorf("the tie note %q does not name %s", note, n)
		}
	}
	if !strings.Contains(note, "1st-5th") || !strings.Contains(note, "tied on points and on every tie-break") {
		t.Errorf("the tie note reads %q; want that they share 1st-5th, tied on every tie-break", note)
	}
	if got := spec.eval("the ranks", `[...document.querySelectorAll('[data-testid=standings] td.rank')].map((td) => td.textContent).join()`); got != "1-5,1-5,1-5,1-5,1-5" {
		t.Errorf("ranks %q; want 1-5 for everyone", got)
	}
	if got := spec.text(`[data-testid=champion-banner] .champion-title`); got != "Shared first place" {
		t.Errorf("the banner of a five-way tie reads %q; want Shared first place", got)
	}
	buShot(t, spec, "tiebreaks-rr-five-way")
}

// buRanks is a page expression: the live elimination standings as "player:rank:in" lines.
const buRanks = `[...document.querySelectorAll('[data-testid=live-standings] tbody tr')].map((tr) =>
  tr.dataset.testid.replace('live-standing-', '') + ':' + tr.querySelector('td.rank').textContent + ':' + tr.dataset.in).sort().join(' ')`

// buHubRanks is what buRanks shows when the page ranks as the hub does.
func buHubRanks(ctx context.Context, t *testing.T, tr *tourney) string {
	t.Helper()
	var s struct {
		Participants []struct {
			ID         int  `json:"id"`
			Eliminated bool `json:"eliminated"`
		} `json:"participants"`
		Standings []struct {
			PlayerID int `json:"player_id"`
			Rank     int `json:"rank"`
			RankTo   int `json:"rank_to"`
		} `json:"standings"`
	}
	mustAPI(ctx, t, http.MethodGet, tr.url(""), "", nil, &s)
	out := map[int]bool{}
	for _, p := range s.Participants {
		out[p.ID] = p.Eliminated
	}
	var lines []string
	for _, st := range s.Standings {
		r := strconv.Itoa(st.Rank)
		if st.RankTo > st.Rank {
			r += "-" + strconv.Itoa(st.RankTo)
		}
		lines = append(lines, fmt.Sprintf("%d:%s:%t", st.PlayerID, r, !out[st.PlayerID]))
	}
	return buSortedJoin(lines)
}

// TestBracketUILiveStandings: while an elimination runs, a page that never reloads shows who is
// still in and where each of the others went out, ranked as the hub ranks them: an 8-player
// single elimination after three quarter-finals and a semi-final, a double elimination after its
// first round (the losers are still in, in the losers bracket).
func TestBracketUILiveStandings(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	base := startHub(ctx, t)
	browser := newBrowser(ctx, t)

	names := []string{"Ada", "Grace", "Linus", "Ken", "Barbara", "Edsger", "Donald", "Frances"}
	se := buTourney(ctx, t, base, map[string]any{"name": "Live Table", "format": "single_elimination"}, names...)
	se.command(ctx, t, "/start", struct{}{})
	spec := buSpectator(t, browser, se, 1280, 900, "running")
	spec.wait("the live table", `document.querySelectorAll('[data-testid=live-standings] tbody tr').length === 8`)
	spec.do("mark the page", chromedp.Evaluate[chromedp.Void](`window.__buMarker = 'live'`))

	// Three quarter-finals.
	qf := 0
	buPlay(ctx, t, se, func(m buMatch) []int {
		if m.Round == 1 && qf < 3 {
			qf++
			return buLowerWins(m)
		}
		return nil
	})
	want := buHubRanks(ctx, t, se)
	spec.wait("the table after three quarter-finals", buRanks+` === `+q(want))
	s := se.buRead(ctx, t)
	for _, m := range s.Matches {
		if m.Status != "completed" {
			continue
		}
		if got := spec.text(fmt.Sprintf(`[data-testid="live-status-%d"]`, m.Loser)); got != "Out in the quarter-finals" {
			t.Errorf("player %d lost quarter-final %d: status %q; want Out in the quarter-finals", m.Loser, m.ID, got)
		}
		if got := spec.text(fmt.Sprintf(`[data-testid="live-status-%d"]`, m.Winner)); got != "Still in" {
			t.Errorf("player %d won quarter-final %d: status %q; want Still in", m.Winner, m.ID, got)
		}
	}
	if got := spec.text(`[data-testid=still-in]`); !strings.HasPrefix(got, "5 of 8 players still in") {
		t.Errorf("the summary reads %q; want 5 of 8 players still in", got)
	}

	// The last quarter-final and one semi-final.
	sf := 0
	s = buPlay(ctx, t, se, func(m buMatch) []int {
		if m.Round == 1 || (m.Round == 2 && sf == 0) {
			if m.Round == 2 {
				sf++
			}
			return buLowerWins(m)
		}
		return nil
	})
	want = buHubRanks(ctx, t, se)
	spec.wait("the table after a semi-final", buRanks+` === `+q(want))
	for _, m := range s.Matches {
		if m.Round == 2 && m.Status == "completed" {
			if got := spec.text(fmt.Sprintf(`[data-testid="live-status-%d"]`, m.Loser)); got != "Out in the semi-finals" {
				t.Errorf("player %d lost semi-final %d: status %q; want Out in the semi-finals", m.Loser, m.ID, got)
			}
		}
	}
	if got := spec.eval("the marker", `String(window.__buMarker)`); got != "live" {
		t.Error("the spectator page was reloaded; want live updates only")
	}
	buShot(t, spec, "live-standings-se")

	// Double elimination after its first round.
	de := buTourney(ctx, t, base, map[string]any{"name": "Live Double", "format": "double_elimination"}, names[:4]...)
	de.command(ctx, t, "/start", struct{}{})
	dspec := buSpectator(t, browser, de, 1280, 900, "running")
	dspec.wait("the live table", `document.querySelectorAll('[data-testid=live-standings] tbody tr').length === 4`)
	s = buPlay(ctx, t, de, func(m buMatch) []int {
		if m.Bracket == "winners" && m.Round == 1 {
			return buLowerWins(m)
		}
		return nil
	})
	want = buHubRanks(ctx, t, de)
	dspec.wait("the table after round 1", buRanks+` === `+q(want))
	for _, m := range s.Matches {
		if m.Bracket == "winners" && m.Round == 1 {
			if got := dspec.text(fmt.Sprintf(`[data-testid="live-status-%d"]`, m.Loser)); got != "Still in (losers bracket)" {
				t.Errorf("player %d lost winners match %d: status %q; want Still in (losers bracket)", m.Loser, m.ID, got)
			}
		}
	}
}

// TestBracketUISwissRounds: a Swiss created without a number of rounds plays ceil(log2 n) of
// them; a page that watched the start says "Round 2 of 3" as a page loaded afterwards does.
func TestBracketUISwissRounds(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	base := startHub(ctx, t)
	browser := newBrowser(ctx, t)
	tr := buTourney(ctx, t, base, map[string]any{"name": "Rounds Swiss", "format": "swiss"}, "Ada", "Grace", "Linus", "Ken", "Barbara")
	spec := buSpectator(t, browser, tr, 1280, 900, "registering")
	spec.do("mark the page", chromedp.Evaluate[chromedp.Void](`window.__buMarker = 'live'`))
	tr.command(ctx, t, "/start", struct{}{})
	buPlay(ctx, t, tr, func(m buMatch) []int {
		if m.Round == 1 {
			return buLowerWins(m)
		}
		return nil
	})
	s := tr.buRead(ctx, t)
	if s.Settings.Rounds != 3 || s.Round != 2 {
		t.Fatalf("the hub: round %d of %d; want 2 of 3 (five players)", s.Round, s.Settings.Rounds)
	}
	facts := `[...document.querySelectorAll('#head .facts li')].map((li) => li.textContent).join('|')`
	rounds := `(document.querySelector('#bracket .format-swiss .rounds-list h4') || {textContent: ''}).textContent`
	spec.wait("round 2 of 3, live", facts+`.includes('Round 2 of 3')`)
	if got := spec.eval("the rounds title", rounds); got != "Rounds (of 3)" {
		t.Errorf("the live page's rounds are titled %q; want Rounds (of 3)", got)
	}
	liveFacts := spec.eval("the facts", facts)
	if got := spec.eval("the marker", `String(window.__buMarker)`); got != "live" {
		t.Fatal("the page was reloaded before the check; want the live page")
	}
	spec.do("reload", chromedp.Reload())
	spec.wait("the reloaded page", `document.querySelector('[data-testid=tournament-status][data-status=running]') && !window.__buMarker`)
	if got := spec.eval("the facts", facts); got != liveFacts {
		t.Errorf("the reloaded page's facts %q; the live page's %q: want the same", got, liveFacts)
	}
	if got := spec.eval("the rounds title", rounds); got != "Rounds (of 3)" {
		t.Errorf("the reloaded page's rounds are titled %q; want Rounds (of 3)", got)
	}
}

// TestBracketUIPhoneScroll: on a phone (390x844) an 8-player bracket is wider than the screen:
// a hint says it scrolls to later rounds (and the edge that hides them is shaded) until it is
// scrolled to the end; on a wide screen, where the whole bracket fits, there is no hint.
func TestBracketUIPhoneScroll(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	base := startHub(ctx, t)
	browser := newBrowser(ctx, t)
	tr := buTourney(ctx, t, base, map[string]any{"name": "Phone Cup", "format": "single_elimination"},
		"Ada", "Grace", "Linus", "Ken", "Barbara", "Edsger", "Donald", "Frances")
	tr.command(ctx, t, "/start", struct{}{})

	frame := `document.querySelector('[data-testid=bracket-winners]').closest('.bracket-frame')`
	hint := `(() => { const h = ` + frame + `.querySelector('[data-testid=scroll-hint]'); const r = h.getBoundingClientRect();
	  return getComputedStyle(h).display !== 'none' && r.width > 0 && r.left >= 0 && r.right <= innerWidth; })()`
	phone := buSpectator(t, browser, tr, 390, 844, "running")
	phone.wait("the bracket overflowing", frame+`.dataset.overflow === 'true' && `+frame+`.dataset.moreRight === 'true'`)
	if got := phone.eval("the hint", `String(`+hint+`)`); got != "true" {
		t.Error("on a phone the scroll hint is not shown on screen")
	}
	if got := phone.eval("the last round", `String(document.querySelector('[data-testid=bracket-winners] .round[data-round="3"]').getBoundingClientRect().left >= innerWidth)`); got != "true" {
		t.Fatal("the final is on screen at 390 px: nothing to scroll, the test proves nothing")
	}
	// Tables wider than the phone (the standings so far) can be scrolled from the keyboard.
	if got := phone.eval("wide tables", `String([...document.querySelectorAll('#bracket .table-scroll')].filter((b) =>
	  b.scrollWidth > b.clientWidth + 1 && (b.getAttribute('tabindex') !== '0' || !b.getAttribute('aria-label'))).length)`); got != "0" {
		t.Errorf("%s tables wider than the phone cannot be reached from the keyboard", got)
	}
	buShot(t, phone, "phone-scroll-start")
	phone.do("scroll to the end", chromedp.Evaluate[chromedp.Void](`(() => { const s = `+frame+`.querySelector('.bracket-scroll'); s.scrollLeft = s.scrollWidth; })()`))
	phone.wait("the end reached", frame+`.dataset.moreRight === 'false' && `+frame+`.dataset.moreLeft === 'true'`)
	if got := phone.eval("the hint", `String(`+hint+`)`); got != "false" {
		t.Error("the scroll hint stays once the bracket is scrolled to its end")
	}

	wide := buSpectator(t, browser, tr, 1280, 900, "running")
	wide.wait("the bracket laid out", frame+`.dataset.overflow === 'false'`)
	if got := wide.eval("the hint", `String(`+hint+`)`); got != "false" {
		t.Error("on a wide screen, with the whole bracket in view, the scroll hint is shown")
	}
}
