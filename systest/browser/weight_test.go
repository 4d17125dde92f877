package browser

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// pageBudget is the most a page may load before it is usable: its HTML, scripts and styles,
// uncompressed. The pages have no framework and no build step; the QR encoder (static/js/vendor)
// is loaded only when someone asks for a code, and is not counted.
const pageBudget = 200 << 10

// TestPageWeight loads each page as a visitor does and checks what it loads: every byte counted
// against pageBudget, nothing from static/js/vendor before it is asked for. It logs each page's
// bytes and first contentful paint (a measurement, never asserted: timings on a shared machine
// are not a test); `go test -run TestPageWeight -v ./systest/browser/` prints them.
func TestPageWeight(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	base := startHub(ctx, t)
	tr := newTourney(ctx, t, base, map[string]any{"name": "Weigh-in", "format": "single_elimination"})
	tr.join(ctx, t, "Ada", "Grace", "Linus", "Ken")
	tr.command(ctx, t, "/start", nil)
	browser := newBrowser(ctx, t)
	for _, pc := range []pageCase{
		{name: "list", path: "/index.html", ready: `document.querySelector('[data-testid=tournament-row]')`},
		{name: "organiser", path: "/organiser.html?t=" + tr.id, ready: `document.querySelector('[data-testid=tournament-status]')`, tid: tr.id, role: "organiser", token: tr.org},
		{name: "player", path: "/player.html?t=" + tr.id, ready: `document.querySelector('[data-testid=tournament-status]')`, tid: tr.id, role: "player", token: tr.token["Ada"]},
		{name: "spectator", path: "/spectator.html?t=" + tr.id, ready: `document.querySelector('[data-testid=tournament-status]')`},
	} {
		b := newTab(t, browser, pc.name)
		var steps []chromedp.Action[chromedp.Void]
		if pc.token != "" {
			steps = append(steps, chromedp.Navigate(base+"/favicon.svg"),
				chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`localStorage.setItem(%s, %s)`, q("tourhub:"+pc.role+":"+pc.tid), q(pc.token))))
		}
		b.do("open "+pc.path, append(steps, chromedp.Navigate(base+pc.path))...)
		b.wait(pc.name+" rendered", pc.ready)
		raw := b.eval("what the page loaded", `JSON.stringify({
			nav: performance.getEntriesByType('navigation')[0].decodedBodySize,
			res: performance.getEntriesByType('resource').filter(r => r.name.startsWith(location.origin) && !r.name.includes('/api/') && !r.name.endsWith('/ws'))
				.map(r => ({name: new URL(r.name).pathname, size: r.decodedBodySize})),
			fcp: (performance.getEntriesByName('first-contentful-paint')[0] || {startTime: -1}).startTime,
		})`)
		var got struct {
			Nav int
			Res []struct {
				Name string
				Size int
			}
			FCP float64
		}
		if err := json.Unmarshal([]byte(raw), &got); err != nil {
			t.Fatalf("%s: %q: %v", pc.name, raw, err)
		}
		total, files := got.Nav, 1
		for _, r := range got.Res {
			if strings.Contains(r.Name, "/vendor/") {
				t.Errorf("%s loads %s before anyone asked for it", pc.name, r.Name)
			}
			if r.Name == "/favicon.svg" {
				continue
			}
			total += r.Size
			files++
		}
		if total > pageBudget {
			t.Errorf("%s loads %d bytes in %d files; the budget is %d", pc.name, total, files, pageBudget)
		}
		t.Logf("%-9s %6.1f KiB in %2d files (HTML, JS, CSS, uncompressed), first contentful paint %.0f ms", pc.name, float64(total)/1024, files, got.FCP)
	}
}
