// Package e2e drives the browser client against the real hub binary with headless Chromium: an
// organiser, four players and a spectator, each in their own browser context (so each has its own
// localStorage), play a four-player single-elimination tournament to the end.
package e2e

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// hubBin is the hub binary TestMain builds from ./cmd/hub.
var hubBin string

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "tourhub-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: temp dir:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	hubBin = filepath.Join(dir, "hub")
	build := exec.Command("go", "build", "-o", hubBin, "./cmd/hub")
	build.Dir = ".." // the module root
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: go build ./cmd/hub: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

// chromiumPath finds the browser: $CHROMIUM if set, else Debian's /usr/bin/chromium, else one
// on $PATH. A missing browser fails the test: CI installs it (see .ci/deps).
func chromiumPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("Chromium not found: install it (apt-get install chromium, or `make test` which runs .ci/deps) or set CHROMIUM to its path; this test never skips")
	return ""
}

// freeAddr returns a loopback address with a port nobody listens on right now.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// lockedBuffer collects the hub's output for the failure log.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startHub runs the hub binary on a free port and waits until /healthz answers. The process is
// stopped (SIGTERM, then kill) when the test ends.
func startHub(ctx context.Context, t *testing.T) string {
	t.Helper()
	addr := freeAddr(t)
	var out lockedBuffer
	cmd := exec.Command(hubBin, "--addr", addr)
	cmd.Stdout = &out
	cmd.Stderr = &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start hub: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("hub output:\n%s", out.String())
		}
	})
	base := "http://" + addr
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
		case err := <-exited:
			t.Fatalf("hub exited before it was healthy: %v\n%s", err, out.String())
		case <-ctx.Done():
			t.Fatalf("hub not healthy at %s/healthz: %v\n%s", base, ctx.Err(), out.String())
		case <-tick.C:
		}
	}
}

// tab is one page in its own browser context.
type tab struct {
	t    *testing.T
	name string
	ctx  context.Context
}

// newTab opens a tab in a fresh browser context (its own cookies and localStorage) and records
// the page's uncaught exceptions and console errors, which fail the test.
func newTab(t *testing.T, browser context.Context, name string) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("%s: open tab: %v", name, err)
	}
	exceptions := chromedp.Events(ctx, runtime.ExceptionThrown)
	console := chromedp.Events(ctx, runtime.ConsoleAPICalled)
	var wg sync.WaitGroup
	wg.Go(func() {
		for ev, err := range exceptions {
			if err != nil {
				return
			}
			d := ev.ExceptionDetails
			msg := d.Text
			if d.Exception != nil && d.Exception.Description != "" {
				msg = d.Exception.Description
			}
			t.Errorf("%s: uncaught exception in the page: %s (%s:%d)", name, msg, d.URL, d.LineNumber+1)
		}
	})
	wg.Go(func() {
		for ev, err := range console {
			if err != nil {
				return
			}
			var parts []string
			for _, a := range ev.Args {
				if a.Description != "" {
					parts = append(parts, a.Description)
				} else {
					parts = append(parts, strings.Trim(string(a.Value), `"`))
				}
			}
			t.Logf("%s: console.%s: %s", name, ev.Type, strings.Join(parts, " "))
		}
	})
	t.Cleanup(func() {
		cancel()
		wg.Wait()
	})
	return &tab{t: t, name: name, ctx: ctx}
}

func (b *tab) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.fatal(what, err)
	}
}

// fatal stops the test with what the page showed, so a failure says why.
func (b *tab) fatal(what string, err error) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(b.ctx), 3*time.Second)
	defer cancel()
	msgs, _ := chromedp.Run(ctx, chromedp.Evaluate[string](
		`[...document.querySelectorAll('#messages .msg, [data-testid=conn-status]')].map(e => e.textContent).join(' | ')`))
	b.t.Fatalf("%s: %s: %v (page shows: %q)", b.name, what, err, msgs)
}

// wait polls a JavaScript condition until it is true.
func (b *tab) wait(what, cond string) {
	b.t.Helper()
	if _, err := chromedp.Run(b.ctx, chromedp.Poll[chromedp.Void](cond, chromedp.WithPollingTimeout(0), chromedp.WithPollingMutation())); err != nil {
		b.fatal("wait for "+what, err)
	}
}

func (b *tab) eval(what, expr string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](expr))
	if err != nil {
		b.fatal(what, err)
	}
	return s
}

func (b *tab) text(sel string) string {
	b.t.Helper()
	return b.eval("read "+sel, fmt.Sprintf(`(document.querySelector(%q) || {textContent: ''}).textContent.trim()`, sel))
}

func (b *tab) attr(sel, name string) string {
	b.t.Helper()
	return b.eval("read "+sel, fmt.Sprintf(`(document.querySelector(%q) || {getAttribute: () => ''}).getAttribute(%q) || ''`, sel, name))
}

func q(s string) string { return strconv.Quote(s) }

func TestBrowserSingleElimination(t *testing.T) {
	chromium := chromiumPath(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	base := startHub(ctx, t)

	profile := t.TempDir()
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(chromium),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("disable-renderer-backgrounding", true),
		chromedp.Flag("disable-backgrounding-occluded-windows", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1280, 900),
	)
	t.Cleanup(cancelAlloc) // runs before TempDir's cleanup: the browser is gone before its profile
	browser, cancelBrowser := chromedp.NewContext(alloc)
	t.Cleanup(cancelBrowser)
	if err := chromedp.Do(browser); err != nil {
		t.Fatalf("start Chromium (%s): %v", chromium, err)
	}

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

	// Each player reports their semi-final over the socket: the first listed player wins 1-0,
	// and both sides report the same score.
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
		p.do("report the semi-final",
			chromedp.SetValue(chromedp.CSS(`#report-form input[data-slot="0"]`), "1"),
			chromedp.SetValue(chromedp.CSS(`#report-form input[data-slot="1"]`), "0"),
			chromedp.Click(chromedp.ID("report-submit")),
		)
		p.wait("the hub's answer to the report", `document.querySelector('[data-testid=msg-ok], [data-testid=my-report]') || document.querySelector('#next-match[data-status=pending]') || document.querySelector('#next-match:not([data-match-id="`+mid+`"])')`)
		if e := p.text(`[data-testid=msg-error]`); e != "" {
			t.Fatalf("player %s: report refused: %s", nameOf[pid], e)
		}
	}
	if len(semis) != 2 {
		t.Fatalf("players were in %d different semi-finals; want 2", len(semis))
	}

	// The spectator's bracket moves on by itself: both semi-finals completed, finalists shown.
	for mid := range semis {
		spec.wait("semi-final "+mid+" completed", fmt.Sprintf(`document.querySelector('#bracket [data-testid="match-%s"][data-status=completed]')`, mid))
		w := spec.text(fmt.Sprintf(`[data-testid="match-%s"] .slot.winner .name`, mid))
		if w == "" {
			t.Fatalf("semi-final %s shows no winner", mid)
		}
		if first := spec.text(fmt.Sprintf(`[data-testid="match-%s-p0"]`, mid)); first != w {
			t.Fatalf("semi-final %s winner %q; want the first listed player %q (both sides reported 1-0)", mid, w, first)
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
			chromedp.SetValue(chromedp.CSS(`#report-form input[data-slot="0"]`), "1"),
			chromedp.SetValue(chromedp.CSS(`#report-form input[data-slot="1"]`), "0"),
			chromedp.Click(chromedp.ID("report-submit")),
		)
		p.wait("the hub's answer to the final report", `document.querySelector('[data-testid=msg-ok], [data-testid=my-report], [data-testid=msg-error]') || document.querySelector('[data-testid=tournament-status][data-status=finished]')`)
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

	shot, err := chromedp.Run(spec.ctx, chromedp.FullScreenshot(90))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	dir := t.TempDir()
	if d := os.Getenv("TOURHUB_E2E_SCREENSHOTS"); d != "" {
		dir = d // keep it for a human to look at
	}
	file := filepath.Join(dir, "spectator-finished.jpg")
	if err := os.WriteFile(file, shot, 0o644); err != nil {
		t.Fatalf("write screenshot: %v", err)
	}
	t.Logf("spectator screenshot: %s", file)
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Fatal("the scenario ran out of time")
	}
}
