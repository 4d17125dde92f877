package browser

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// chromiumPath finds the browser: $CHROMIUM if set, else Debian's /usr/bin/chromium, else one
// on $PATH. A missing browser fails the test: CI installs it (see .ci/deps).
func chromiumPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("CHROMIUM"); p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("CHROMIUM=%s: %v; point it at a Chromium binary or unset it", p, err)
		}
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

// newBrowser starts headless Chromium with a fresh profile; it is stopped when ctx ends or the
// test does.
func newBrowser(ctx context.Context, t *testing.T) context.Context {
	t.Helper()
	chromium := chromiumPath(t)
	profile := t.TempDir()
	tmp := t.TempDir() // Chromium's own temporary files (its singleton socket), removed with the test
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
		chromedp.Env("TMPDIR="+tmp),
		chromedp.WindowSize(1280, 900),
	)
	t.Cleanup(cancelAlloc) // runs before TempDir's cleanup: the browser is gone before its profile
	browser, cancelBrowser := chromedp.NewContext(alloc)
	t.Cleanup(cancelBrowser)
	if err := chromedp.Do(browser); err != nil {
		t.Fatalf("start Chromium (%s): %v", chromium, err)
	}
	return browser
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
	msgs, rerr := chromedp.Run(ctx, chromedp.Evaluate[string](
		`[...document.querySelectorAll('#messages .msg, [data-testid=conn-status]')].map(e => e.textContent).join(' | ')`))
	if rerr != nil {
		b.t.Fatalf("%s: %s: %v (and the page could not be read: %v)", b.name, what, err, rerr)
	}
	b.t.Fatalf("%s: %s: %v (page shows: %q)", b.name, what, err, msgs)
}

// wait polls a JavaScript condition until it is true.
func (b *tab) wait(what, cond string) {
	b.t.Helper()
	// While a page is still loading (just navigated to: the create form goes to the organiser
	// page), its elements may not exist yet, and a condition that reads one throws: that is "not
	// yet". Once the document is parsed, a throw is the condition's error and fails the test.
	guarded := "(() => { try { return (" + cond + "); } catch (e) { if (document.readyState === 'loading') return false; throw e; } })()"
	for {
		_, err := chromedp.Run(b.ctx, chromedp.Poll[chromedp.Void](guarded, chromedp.WithPollingTimeout(0), chromedp.WithPollingInterval(20*time.Millisecond)))
		if err == nil {
			return
		}
		// A navigation (the create form goes to the organiser page) ends the poll's JavaScript
		// context; poll again in the new page.
		if b.ctx.Err() == nil && (strings.Contains(err.Error(), "navigated or closed") || strings.Contains(err.Error(), "context was destroyed") || strings.Contains(err.Error(), "Cannot find context")) {
			continue
		}
		b.fatal("wait for "+what, err)
	}
}

func (b *tab) eval(what, expr string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](expr, chromedp.EvalAwaitPromise))
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
