// Package browser drives the browser client (static/) with headless Chromium.
//
// TestBrowserSingleElimination runs the real hub binary (cmd/hub, built by proctest) and
// plays a four-player single-elimination tournament through the pages: the organiser creates and
// starts it, four players join in their own browser contexts (each with its own localStorage), a
// fifth is refused, players report over the socket, one semi-final is disputed and the organiser
// decides it, finalists get their notices, and a spectator page that never reloads follows the
// bracket to the final standings. The client tests (client_test.go) check client.js against a
// scripted socket. Chromium missing is a failure, never a skip.
package browser

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/tourhub/tourhub/internal/proctest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	proctest.Cleanup()
	os.Exit(code)
}

// startHub runs the hub binary (with args) on a port the kernel picks as the hub binds it and
// waits until /healthz answers. The process is stopped when the test ends.
func startHub(ctx context.Context, t *testing.T, args ...string) string {
	t.Helper()
	p := proctest.StartListening(t, "hub", proctest.Build(t, proctest.Hub), append([]string{"--addr", "127.0.0.1:0"}, args...)...)
	base := p.URL()
	tick := time.NewTicker(25 * time.Millisecond)
	defer tick.Stop()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/healthz", nil)
		if res, err := http.DefaultClient.Do(req); err == nil {
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return base
			}
		}
		select {
		case <-p.Done():
			t.Fatalf("hub exited before it was healthy:\n%s", p.Out.String())
		case <-ctx.Done():
			t.Fatalf("hub not healthy at %q/healthz: %v\n%s", base, ctx.Err(), p.Out.String())
		case <-tick.C:
		}
	}
}

// clearMessages empties a page's message area, so that the next message is the answer to what
// the test does next; answered waits for that answer.
const (
	clearMessages = `document.getElementById('messages').replaceChildren()`
	answered      = `document.querySelector('#messages [data-testid=msg-ok], #messages [data-testid=msg-error]')`
)

func TestBrowserSingleElimination(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second) // generous: CI machines can be slow
	defer cancel()
	base := startHub(ctx, t)

	browser := newBrowser(ctx, t)

	// The organiser creates the tournament.
	org := newTab(t, browser, "organiser")
	org.do("create the tournament",
		chromedp.Navigate(base+"/organiser.html"),
		chromedp.WaitVisible(chromedp.ID("create-name")),
		chromedp.SetValue(chromedp.ID("create-name"), "E2E Cup"),
		chromedp.SetValue(chromedp.ID("create-format"), "single_elimination"),
		chromedp.SetValue(chromedp.ID("create-best-of"), "1"),
		chromedp.SetValue(chromedp.ID("create-max-players"), "4"),
		chromedp.Click(chromedp.ID("create-submit")),
	)
	org.wait("the organiser view", `location.search.includes('t=') && !document.getElementById('org-view').hidden`)
	tid := org.text(`[data-testid="tournament-id"]`)
	if tid == "" {
		t.Fatal("organiser page shows no tournament id after create")
	}
	org.wait("the tournament state", `document.querySelector('[data-testid=tournament-status][data-status=registering]')`)

	// A spectator watches from now on, without ever reloading; the marker proves it.
	spec := newTab(t, browser, "spectator")
	spec.do("open the spectator page", chromedp.Navigate(base+"/spectator.html?t="+tid))
	spec.wait("the spectator's first snapshot", `document.querySelector('[data-testid=tournament-status][data-status=registering]')`)
	spec.do("mark the page", chromedp.Evaluate[chromedp.Void](`window.__e2eMarker = 'no reload'`))

	// Four players join, each in their own browser context.
	names := []string{"Ada", "Grace", "Linus", "Ken"}
	players := map[string]*tab{}  // by player id
	nameOf := map[string]string{} // player id -> name
	for _, name := range names {
		p := newTab(t, browser, "player "+name)
		p.do("join",
			chromedp.Navigate(base+"/player.html?t="+tid),
			chromedp.WaitVisible(chromedp.ID("join-name")),
			chromedp.SetValue(chromedp.ID("join-name"), name),
			chromedp.Click(chromedp.ID("join-submit")),
		)
		p.wait("the player's own entry", `document.querySelector('[data-testid=my-name][data-player-id]')`)
		pid := p.attr(`[data-testid=my-name]`, "data-player-id")
		if got := p.text(`[data-testid=my-name]`); got != name {
			t.Fatalf("player page shows name %q; want %q", got, name)
		}
		players[pid] = p
		nameOf[pid] = name
	}

	// A fifth player is turned away with a message that says why.
	late := newTab(t, browser, "late player")
	late.do("try to join a full tournament",
		chromedp.Navigate(base+"/player.html?t="+tid),
		chromedp.WaitVisible(chromedp.ID("join-name")),
		chromedp.SetValue(chromedp.ID("join-name"), "Edsger"),
		chromedp.Click(chromedp.ID("join-submit")),
	)
	late.wait("the error message", `document.querySelector('[data-testid=msg-error]')`)
	if msg := late.text(`[data-testid=msg-error]`); !strings.Contains(msg, "full") {
		t.Errorf("joining a full tournament shows %q; want a message saying it is full", msg)
	}

	// The organiser and the spectator saw them join live.
	for pid := range players {
		org.wait("participant "+pid+" on the organiser page", fmt.Sprintf(`document.querySelector('#participants [data-testid="participant-%s"]')`, pid))
		spec.wait("participant "+pid+" on the spectator page", fmt.Sprintf(`document.querySelector('#participants [data-testid="participant-%s"]')`, pid))
	}

	org.do("start", chromedp.Click(chromedp.ID("start")))
	spec.wait("the running tournament", `document.querySelector('[data-testid=tournament-status][data-status=running]')`)
	spec.wait("two ready semi-finals", `document.querySelectorAll('#bracket .round[data-round="1"] .match[data-status=ready]').length === 2`)
	if n := spec.eval("count rounds", `String(document.querySelectorAll('#bracket .round').length)`); n != "2" {
		t.Fatalf("spectator bracket has %s rounds; want 2 (semi-finals, final)", n)
	}
	final := spec.attr(`#bracket .round[data-round="2"] .match`, "data-match-id")
	if final == "" {
		t.Fatal("spectator bracket has no final")
	}

	// Each player reports their semi-final over the socket; the first listed player wins 1-0.
	// In one semi-final the second player claims the opposite, so it is disputed and the
	// organiser decides; in the other both sides agree.
	disputed := spec.attr(`#bracket .round[data-round="1"] .match`, "data-match-id")
	winners := map[string]bool{}
	semis := map[string]bool{}
	for pid, p := range players {
		p.wait("a ready match", `document.querySelector('#next-match[data-status=ready] #report-form')`)
		mid := p.attr(`#next-match`, "data-match-id")
		semis[mid] = true
		if opp := p.text(`[data-testid=opponent]`); opp == "" || opp == nameOf[pid] {
			t.Fatalf("player %s sees opponent %q", nameOf[pid], opp)
		}
		first := p.attr(`#report-form`, "data-match-id")
		if first != mid {
			t.Fatalf("report form is for match %s; next match is %s", first, mid)
		}
		a, b := "1", "0"
		if mid == disputed && p.attr(`#report-form`, "data-my-slot") == "1" {
			a, b = "0", "1"
		}
		p.do("report the semi-final",
			chromedp.Evaluate[chromedp.Void](clearMessages),
			chromedp.SetValue(chromedp.CSS(`#report-form input[data-slot="0"]`), a),
			chromedp.SetValue(chromedp.CSS(`#report-form input[data-slot="1"]`), b),
			chromedp.Click(chromedp.ID("report-submit")),
		)
		p.wait("the hub's answer to the report", answered)
		if e := p.text(`[data-testid=msg-error]`); e != "" {
			t.Fatalf("player %s: report refused: %s", nameOf[pid], e)
		}
	}
	if len(semis) != 2 {
		t.Fatalf("players were in %d different semi-finals; want 2", len(semis))
	}

	// The organiser sees the dispute and enters the final score.
	spec.wait("the disputed semi-final", fmt.Sprintf(`document.querySelector('#bracket [data-testid="match-%s"][data-status=disputed]')`, disputed))
	org.wait("the dispute on the organiser page", fmt.Sprintf(`document.querySelector('#disputes [data-testid="dispute-%s"]')`, disputed))
	org.do("resolve the dispute",
		chromedp.SetValue(chromedp.ID(fmt.Sprintf("resolve-%s-score-0", disputed)), "1"),
		chromedp.SetValue(chromedp.ID(fmt.Sprintf("resolve-%s-score-1", disputed)), "0"),
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`[data-testid="resolve-%s-submit"]`, disputed))),
	)
	org.wait("the dispute gone", fmt.Sprintf(`!document.querySelector('#disputes [data-testid="dispute-%s"]')`, disputed))

	// The spectator's bracket moves on by itself: both semi-finals completed, finalists shown.
	for mid := range semis {
		spec.wait("semi-final "+mid+" completed", fmt.Sprintf(`document.querySelector('#bracket [data-testid="match-%s"][data-status=completed]')`, mid))
		w := spec.text(fmt.Sprintf(`[data-testid="match-%s"] .slot.winner .name`, mid))
		if w == "" {
			t.Fatalf("semi-final %s shows no winner", mid)
		}
		if first := spec.text(fmt.Sprintf(`[data-testid="match-%s-p0"]`, mid)); first != w {
			t.Fatalf("semi-final %s winner %q; want the first listed player %q (reported or decided 1-0)", mid, w, first)
		}
		for pid, n := range nameOf {
			if n == w {
				winners[pid] = true
			}
		}
	}
	spec.wait("the final ready", fmt.Sprintf(`document.querySelector('#bracket [data-testid="match-%s"][data-status=ready]')`, final))
	finalists := []string{spec.text(fmt.Sprintf(`[data-testid="match-%s-p0"]`, final)), spec.text(fmt.Sprintf(`[data-testid="match-%s-p1"]`, final))}
	for _, f := range finalists {
		found := false
		for pid := range winners {
			found = found || nameOf[pid] == f
		}
		if !found {
			t.Fatalf("final shows %q; want the semi-final winners", finalists)
		}
	}

	// Finalists hear of their match from the hub's personal notices and report the final.
	var champion, runnerUp string
	for pid := range winners {
		p := players[pid]
		p.wait("the match_ready notice for the final", fmt.Sprintf(`document.querySelector('#notices [data-testid=notice][data-kind=match_ready][data-match-id="%s"]')`, final))
		p.wait("the final as next match", fmt.Sprintf(`document.querySelector('#next-match[data-match-id="%s"][data-status=ready] #report-form')`, final))
	}
	for pid := range winners {
		p := players[pid]
		p.do("report the final",
			chromedp.Evaluate[chromedp.Void](clearMessages),
			chromedp.SetValue(chromedp.CSS(`#report-form input[data-slot="0"]`), "1"),
			chromedp.SetValue(chromedp.CSS(`#report-form input[data-slot="1"]`), "0"),
			chromedp.Click(chromedp.ID("report-submit")),
		)
		p.wait("the hub's answer to the final report", answered)
		if e := p.text(`[data-testid=msg-error]`); e != "" {
			t.Fatalf("player %s: final report refused: %s", nameOf[pid], e)
		}
	}
	spec.wait("the finished tournament", `document.querySelector('[data-testid=tournament-status][data-status=finished]')`)
	spec.wait("the final completed", fmt.Sprintf(`document.querySelector('#bracket [data-testid="match-%s"][data-status=completed]')`, final))
	champion = spec.text(fmt.Sprintf(`[data-testid="match-%s"] .slot.winner .name`, final))
	if champion != finalists[0] {
		t.Fatalf("champion %q; want %q (both reported 1-0 for the first player)", champion, finalists[0])
	}
	runnerUp = finalists[1]

	// Final standings on the spectator page: 1, 2, then the semi-final losers tied at 3-4.
	spec.wait("the standings", `document.querySelectorAll('[data-testid=standings] tbody tr').length === 4`)
	for pid, n := range nameOf {
		want := "3-4"
		switch n {
		case champion:
			want = "1"
		case runnerUp:
			want = "2"
		}
		if got := spec.text(fmt.Sprintf(`[data-testid=standings] [data-testid="rank-%s"]`, pid)); got != want {
			t.Errorf("spectator standings: %s ranked %q; want %q", n, got, want)
		}
	}
	if got := spec.eval("read the marker", `String(window.__e2eMarker)`); got != "no reload" {
		t.Errorf("spectator page was reloaded (marker %q); want live updates only", got)
	}
	if got := spec.attr(`[data-testid=conn-status]`, "data-state"); got != "open" {
		t.Errorf("spectator connection indicator %q; want open", got)
	}

	// The champion's own page tells them where they placed.
	for pid, n := range nameOf {
		if n == champion {
			players[pid].wait("the champion's placement", `document.querySelector('[data-testid=my-placement][data-rank="1"]')`)
		}
	}

	// The list page finds it under its status.
	list := newTab(t, browser, "list")
	list.do("filter the list",
		chromedp.Navigate(base+"/index.html"),
		chromedp.WaitVisible(chromedp.ID("status-filter")),
		chromedp.SetValue(chromedp.ID("status-filter"), "finished"),
		chromedp.Click(chromedp.ID("refresh")),
	)
	list.wait("the finished tournament in the list", fmt.Sprintf(`document.querySelector('[data-testid=tournament-row][data-id=%q][data-status=finished]')`, tid))
	if n := list.eval("count other statuses", `String(document.querySelectorAll('[data-testid=tournament-row]:not([data-status=finished])').length)`); n != "0" {
		t.Errorf("the finished filter lists %s tournaments of another status", n)
	}

	shot, err := chromedp.Run(spec.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	dir := t.TempDir()
	if d := os.Getenv("TOURHUB_E2E_SCREENSHOTS"); d != "" {
		dir = d // keep it for a human to look at
	}
	file := filepath.Join(dir, "spectator-finished.png")
	if err := os.WriteFile(file, shot, 0o644); err != nil {
		t.Fatalf("write screenshot: %v", err)
	}
	t.Logf("spectator screenshot: %s", file)
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Fatal("the scenario ran out of time")
	}
}
