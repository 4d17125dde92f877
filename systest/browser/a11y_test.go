package browser

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// axeSource is axe-core (testdata/README.md), injected into each page TestAccessibility checks.
//
//go:embed testdata/axe.min.js
var axeSource string

// viewport is a window size the pages are checked at.
type viewport struct {
	name          string
	width, height int64
}

var viewports = []viewport{{"desktop", 1280, 900}, {"phone", 390, 844}}

// pageCase is one page in one state: where it is, how to tell it has rendered, and the
// organiser or player token the browser holds for it (set in localStorage before it loads).
type pageCase struct {
	name, path, ready string
	tid, role, token  string
}

// screenshotDir is where TestAccessibility leaves its screenshots for people to look at:
// $TOURHUB_E2E_SCREENSHOTS, or tourhub-screenshots in the temporary directory.
func screenshotDir(t *testing.T) string {
	dir := os.Getenv("TOURHUB_E2E_SCREENSHOTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "tourhub-screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("screenshot directory: %v", err)
	}
	return dir
}

// TestAccessibility opens every page in the states people see it in (the list and create form,
// the organiser's page registering and running, a player's page with a match to play, the
// spectator page of each format running and finished, the embed view, an unknown tournament),
// at desktop and phone size, and checks each with axe-core's WCAG 2.1 A and AA rules (labels,
// names, contrast, roles, landmarks) and by keyboard: the first controls reached with Tab each
// show where the focus is. Every page is also screenshotted (full page) into screenshotDir.
func TestAccessibility(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	base := startHub(ctx, t, "--http-rate", "1000", "--http-burst", "1000") // the set-up's requests come from one address
	cases := accessibilityCases(ctx, t, base)
	browser := newBrowser(ctx, t)
	dir := screenshotDir(t)
	checked := false
	for _, vp := range viewports {
		for _, pc := range cases {
			name := pc.name + "-" + vp.name
			b := newTab(t, browser, name)
			steps := []chromedp.Action[chromedp.Void]{chromedp.EmulateViewport(vp.width, vp.height)}
			if pc.token != "" {
				steps = append(steps, chromedp.Navigate(base+"/favicon.svg"),
					chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`localStorage.setItem(%s, %s)`, q("tourhub:"+pc.role+":"+pc.tid), q(pc.token))))
			}
			steps = append(steps, chromedp.Navigate(base+pc.path))
			b.do("open "+pc.path, steps...)
			b.wait(pc.name+" rendered", pc.ready)
			b.wait("fonts and layout settled", `document.readyState === 'complete'`)

			shot, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
			if err != nil {
				t.Fatalf("%s: screenshot: %v", name, err)
			}
			if err := os.WriteFile(filepath.Join(dir, name+".png"), shot, 0o644); err != nil {
				t.Fatalf("write screenshot: %v", err)
			}

			for _, v := range axeViolations(t, b, "document") {
				t.Errorf("%s: %s (%s): %s\n\t%s", name, v.ID, v.Impact, v.Help, strings.Join(v.Nodes, "\n\t"))
			}
			checkFocusVisible(t, b, name)
			if !checked {
				// The check itself works: an unlabelled field and grey-on-grey text added to this
				// page are found.
				b.eval("add faults", `document.body.insertAdjacentHTML('beforeend', '<div id=a11y-fault><input type=text><p style="color:#bbb;background:#ccc">faint</p></div>'); 'ok'`)
				ids := map[string]bool{}
				for _, v := range axeViolations(t, b, "'#a11y-fault'") {
					ids[v.ID] = true
				}
				if !ids["label"] || !ids["color-contrast"] {
					t.Fatalf("axe-core found %v in a fragment with an unlabelled input and faint text; want label and color-contrast", ids)
				}
				checked = true
			}
		}
	}
	t.Logf("screenshots of %d pages at %d sizes: %s", len(cases), len(viewports), dir)
}

type axeViolation struct {
	ID, Impact, Help string
	Nodes            []string
}

// axeViolations runs axe-core's WCAG 2.1 A and AA rules on the part of b's page that the
// JavaScript expression context names, injecting axe-core first if the page lacks it.
func axeViolations(t *testing.T, b *tab, context string) []axeViolation {
	t.Helper()
	if b.eval("axe-core present", `String(typeof axe !== 'undefined')`) != "true" {
		b.eval("inject axe-core", axeSource+`; 'ok'`)
	}
	raw := b.eval("run axe-core", `axe.run(`+context+`, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}, resultTypes: ['violations']})
		.then(r => JSON.stringify(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ': ' + (n.failureSummary || '').split('\n').slice(1, 2).join(''))}))))`)
	var out []axeViolation
	if err := json.Unmarshal([]byte(raw), &out); err != nil {
		t.Fatalf("%s: axe answer %q: %v", b.name, raw, err)
	}
	return out
}

// checkFocusVisible presses Tab up to eight times and checks that each element it reaches is a
// visible control that shows the focus (an outline or a box shadow).
func checkFocusVisible(t *testing.T, b *tab, name string) {
	t.Helper()
	seen := map[string]bool{}
	for i := 0; i < 8; i++ {
		b.do("press Tab", chromedp.KeyEvent(kb.Tab))
		got := b.eval("the focused element", `(() => {
			const el = document.activeElement;
			if (!el || el === document.body) return '';
			const s = getComputedStyle(el), r = el.getBoundingClientRect();
			const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0;
			const shadow = s.boxShadow && s.boxShadow !== 'none';
			const what = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.dataset.testid ? '[' + el.dataset.testid + ']' : '');
			return JSON.stringify({what, shows: outline || shadow, visible: r.width > 0 && r.height > 0});
		})()`)
		if got == "" {
			return // past the last control
		}
		var f struct {
			What           string
			Shows, Visible bool
		}
		if err := json.Unmarshal([]byte(got), &f); err != nil {
			t.Fatalf("%s: focus %q: %v", name, got, err)
		}
		if seen[f.What] {
			return // wrapped around
		}
		seen[f.What] = true
		if !f.Visible || !f.Shows {
			t.Errorf("%s: Tab reaches %s, which does not show the focus (visible %v, outline or shadow %v)", name, f.What, f.Visible, f.Shows)
		}
	}
}

// accessibilityCases makes the tournaments the pages are checked with.
func accessibilityCases(ctx context.Context, t *testing.T, base string) []pageCase {
	t.Helper()
	org := func(tr *tourney) pageCase {
		return pageCase{path: "/organiser.html?t=" + tr.id, ready: `document.querySelector('[data-testid=tournament-status]')`, tid: tr.id, role: "organiser", token: tr.org}
	}
	spec := func(tr *tourney) pageCase {
		return pageCase{path: "/spectator.html?t=" + tr.id, ready: `document.querySelector('[data-testid=tournament-status]')`}
	}
	named := func(name string, pc pageCase) pageCase { pc.name = name; return pc }
	names := []string{"Ada", "Grace", "Linus", "Ken", "Barbara", "Edsger", "Donald", "Frances"}

	reg := newTourney(ctx, t, base, map[string]any{"name": "Club Night", "format": "single_elimination", "description": "Thursday, 19:00"})
	reg.join(ctx, t, names[:3]...)

	se := newTourney(ctx, t, base, map[string]any{"name": "Winter Cup", "format": "single_elimination", "best_of": 3, "third_place": true})
	se.join(ctx, t, names...)
	se.command(ctx, t, "/start", nil)
	playRound(ctx, t, se, 1, 2)

	rr := newTourney(ctx, t, base, map[string]any{"name": "League", "format": "round_robin"})
	rr.join(ctx, t, names[:4]...)
	rr.command(ctx, t, "/start", nil)
	for r := 1; r <= 3; r++ {
		playRound(ctx, t, rr, r, 1)
	}

	sw := newTourney(ctx, t, base, map[string]any{"name": "Swiss Open", "format": "swiss", "rounds": 3})
	sw.join(ctx, t, names[:6]...)
	sw.command(ctx, t, "/start", nil)
	playRound(ctx, t, sw, 1, 1)

	de := newTourney(ctx, t, base, map[string]any{"name": "Double Trouble", "format": "double_elimination"})
	de.join(ctx, t, names[:6]...)
	de.command(ctx, t, "/start", nil)
	playRound(ctx, t, de, 1, 1)

	// A player of the single elimination whose round 2 match is ready.
	st := se.state(ctx, t)
	player := ""
	for _, m := range st.Matches {
		if m.Round == 2 && m.Status == "ready" {
			for n, id := range se.pid {
				if id == m.Players[0] {
					player = n
				}
			}
			break
		}
	}
	if player == "" {
		t.Fatalf("no ready round 2 match in %+v", st.Matches)
	}

	return []pageCase{
		{name: "list", path: "/index.html", ready: `document.querySelectorAll('[data-testid=tournament-row]').length >= 5`},
		named("organiser-registering", org(reg)),
		named("organiser-running", org(se)),
		{name: "player", path: "/player.html?t=" + se.id, ready: `document.querySelector('[data-testid=next-match]') && document.querySelector('[data-testid=tournament-status]')`,
			tid: se.id, role: "player", token: se.token[player]},
		{name: "join", path: "/player.html?t=" + reg.id, ready: `document.querySelector('[data-testid=join-form]') && document.querySelector('[data-testid=tournament-status]')`},
		named("spectator-single", spec(se)),
		named("spectator-round-robin-finished", spec(rr)),
		named("spectator-swiss", spec(sw)),
		named("spectator-double", spec(de)),
		named("embed", pageCase{path: "/spectator.html?embed=1&t=" + se.id, ready: `document.querySelector('[data-testid=tournament-status]')`}),
		{name: "unknown-tournament", path: "/spectator.html?t=t_nope", ready: `document.querySelector('[data-testid=not-found]')`},
	}
}

// playRound reports every ready match of round r as won wins-0 by its first player, as the
// organiser.
func playRound(ctx context.Context, t *testing.T, tr *tourney, r, wins int) {
	t.Helper()
	for _, m := range tr.state(ctx, t).Matches {
		if m.Round == r && m.Status == "ready" {
			mustAPI(ctx, t, http.MethodPost, tr.url(fmt.Sprintf("/matches/%d/result", m.ID)), tr.org, map[string]any{"scores": []int{wins, 0}}, nil)
		}
	}
}
