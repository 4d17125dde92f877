package browser

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/tourhub/tourhub/internal/proctest"
)

// The live pages (player, spectator, list) as people use them: an unknown tournament, messages
// said once, the server's limits in the forms, the next-match panel, notifications, share links
// on the public address, the embeddable view, a phone-sized list and the icon.

// liveMatch is a match of the state with what the next-match panel shows.
type liveMatch struct {
	ID       int    `json:"id"`
	Round    int    `json:"round"`
	Status   string `json:"status"`
	Players  []int  `json:"players"`
	Deadline string `json:"deadline"`
}

func (tr *tourney) matches(ctx context.Context, t *testing.T) []liveMatch {
	t.Helper()
	var s struct {
		Matches []liveMatch `json:"matches"`
	}
	mustAPI(ctx, t, http.MethodGet, tr.url(""), "", nil, &s)
	return s.Matches
}

// liveOpenAs opens the player page of name in a tab of its own, signed in with the personal link
// (the token in the fragment), and waits for the page to know the player.
func liveOpenAs(t *testing.T, browserCtx context.Context, tr *tourney, name string, before ...chromedp.Action[chromedp.Void]) *tab {
	t.Helper()
	p := newTab(t, browserCtx, name)
	p.do("prepare", before...)
	p.do("open the personal link", chromedp.Navigate(tr.base+"/player.html?t="+tr.id+"#token="+url.QueryEscape(tr.token[name])))
	p.wait(name+"'s entry", fmt.Sprintf(`document.querySelector('[data-testid=my-name][data-player-id="%d"]')`, tr.pid[name]))
	return p
}

// liveShot saves a screenshot of the tab for a human to look at, when TOURHUB_E2E_SCREENSHOTS names
// a directory; otherwise it does nothing.
func liveShot(tb *tab, name string) {
	tb.t.Helper()
	dir := os.Getenv("TOURHUB_E2E_SCREENSHOTS")
	if dir == "" {
		return
	}
	shot, err := chromedp.Run(tb.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		tb.t.Fatalf("%s: screenshot: %v", tb.name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), shot, 0o644); err != nil {
		tb.t.Fatalf("write screenshot: %v", err)
	}
}

// liveOnScreen is true when the element exists and takes up room on the page.
func liveOnScreen(sel string) string {
	return fmt.Sprintf(`(() => { const e = document.querySelector(%q); return Boolean(e && e.getClientRects().length); })()`, sel)
}

// TestLiveUIUnknownTournament: a link to a tournament the hub does not have shows one
// not-found message with the way to the list, not "Loading..." for ever under a green "Live".
func TestLiveUIUnknownTournament(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	base := startHub(ctx, t)
	b := newBrowser(ctx, t)
	for _, pg := range []string{"player", "spectator"} {
		tb := newTab(t, b, pg)
		tb.do("open an unknown tournament", chromedp.Navigate(base+"/"+pg+".html?t=nope"))
		tb.wait("the not-found message", liveOnScreen(`[data-testid=not-found]`))
		if got := tb.text(`[data-testid=not-found]`); !strings.Contains(got, "nope") {
			t.Errorf("%s: not-found message %q; want it to name the tournament", pg, got)
		}
		if got := tb.attr(`[data-testid=not-found-list]`, "href"); got != "index.html" {
			t.Errorf("%s: not-found link %q; want index.html", pg, got)
		}
		if tb.eval("loading shown", `String(`+liveOnScreen(`#head`)+`)`) != "false" {
			t.Errorf("%s: the tournament's head (Loading the tournament...) is still shown", pg)
		}
		if got := tb.attr(`[data-testid=conn-status]`, "data-state"); got == "open" {
			t.Errorf("%s: connection indicator %q (%q); want it not live", pg, got, tb.text(`[data-testid=conn-status]`))
		}
		if n := tb.eval("messages", `String(document.querySelectorAll('#messages .msg').length)`); n != "0" {
			t.Errorf("%s: %s flash messages besides the not-found one (%q); want the one message", pg, n, tb.text(`#messages`))
		}
		liveShot(tb, "not-found-"+pg)
	}
}

// TestLiveUIMessagesOnce: a refusal reads as one sentence (the hub's message, then what to do,
// not the same thing twice), and the same message is not stacked.
func TestLiveUIMessagesOnce(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	base := startHub(ctx, t)
	tr := newTourney(ctx, t, base, map[string]any{"name": "Small Cup", "format": "single_elimination", "max_players": 2})
	tr.join(ctx, t, "Ada", "Grace")
	late := newTab(t, newBrowser(ctx, t), "late")
	late.do("try to join a full tournament",
		chromedp.Navigate(base+"/player.html?t="+tr.id),
		chromedp.WaitVisible(chromedp.ID("join-name")),
		chromedp.SetValue(chromedp.ID("join-name"), "Edsger"),
		chromedp.Click(chromedp.ID("join-submit")))
	late.wait("the refusal", `document.querySelector('[data-testid=msg-error]')`)
	msg := late.eval("the refusal", `document.querySelector('[data-testid=msg-error] span').textContent`)
	if n := strings.Count(strings.ToLower(msg), "full"); n != 1 {
		t.Errorf("refusal %q says full %d times; want once", msg, n)
	}
	if !strings.HasPrefix(msg, "Could not join: the tournament is full (2 players).") {
		t.Errorf("refusal %q; want one sentence starting \"Could not join: the tournament is full (2 players).\"", msg)
	}
	late.do("try again", chromedp.Click(chromedp.ID("join-submit")))
	late.wait("the join button back", `!document.getElementById('join-submit').disabled`)
	if n := late.eval("count", `String(document.querySelectorAll('#messages .msg').length)`); n != "1" {
		t.Errorf("%s messages after the same refusal twice; want 1", n)
	}
	n := late.eval("flash the same twice", `import('./js/dom.js').then((m) => {
		m.flash('Saved.', 'ok');
		m.flash('Saved.', 'ok');
		return String(document.querySelectorAll('#messages [data-testid=msg-ok]').length);
	})`)
	if n != "1" {
		t.Errorf("the same message flashed twice shows %s times; want once", n)
	}
}

// TestLiveUILimits: the join form takes a name as long as the hub does (64), and a best-of-3's
// score boxes go up to the 2 wins that decide it; game points beyond the hub's bound are refused
// before anything is sent.
func TestLiveUILimits(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	base := startHub(ctx, t)
	tr := newTourney(ctx, t, base, map[string]any{"name": "Limits", "format": "single_elimination", "best_of": 3})
	tr.join(ctx, t, "Ada")
	long := strings.Repeat("Abcdefgh", 8)
	p := newTab(t, newBrowser(ctx, t), "long name")
	p.do("join with a 64-character name",
		chromedp.Navigate(base+"/player.html?t="+tr.id),
		chromedp.WaitVisible(chromedp.ID("join-name")))
	p.wait("the hub's limits", `document.getElementById('join-name').maxLength === 64`)
	p.do("type the name", chromedp.SendKeys(chromedp.ID("join-name"), long), chromedp.Click(chromedp.ID("join-submit")))
	p.wait("the player's entry", `document.querySelector('[data-testid=my-name][data-player-id]')`)
	if got := p.text(`[data-testid=my-name]`); got != long {
		t.Errorf("joined as %q (%d characters); want the 64-character name", got, len(got))
	}
	tr.command(ctx, t, "/start", nil)
	p.wait("the report form", `document.querySelector('#report-form input[data-slot="0"]')`)
	for _, slot := range []string{"0", "1"} {
		if got := p.attr(`#report-form input[data-slot="`+slot+`"]`, "max"); got != "2" {
			t.Errorf("best of 3: score box %s takes up to %q; want 2", slot, got)
		}
	}
	p.do("report games with too many points",
		chromedp.Evaluate[chromedp.Void](clearMessages),
		chromedp.SetValue(chromedp.CSS(`#report-form input[data-slot="0"]`), "2"),
		chromedp.SetValue(chromedp.CSS(`#report-form input[data-slot="1"]`), "0"),
		chromedp.SetValue(chromedp.CSS(`[data-testid=report-games]`), "10001-3 11-2"),
		chromedp.Click(chromedp.ID("report-submit")))
	p.wait("the refusal", `document.querySelector('[data-testid=msg-error]')`)
	if got := p.text(`[data-testid=msg-error]`); !strings.Contains(got, "10000") {
		t.Errorf("game points over the bound: %q; want a message naming 10000", got)
	}
	for _, m := range tr.matches(ctx, t) {
		if m.Status != "ready" {
			t.Errorf("match %d is %s; want it still ready (nothing reported)", m.ID, m.Status)
		}
	}
}

// TestLiveUINextMatch: the player's panel names the opponent, the deadline of a match with a
// time limit, links to the report form; and once through, whose result the next match waits for.
func TestLiveUINextMatch(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	base := startHub(ctx, t)
	tr := newTourney(ctx, t, base, map[string]any{"name": "Timed Cup", "format": "single_elimination", "match_time_limit": "1h"})
	tr.join(ctx, t, "Ada", "Grace", "Linus", "Ken")
	b := newBrowser(ctx, t)
	ada := liveOpenAs(t, b, tr, "Ada", chromedp.EmulateViewport(390, 844))
	tr.command(ctx, t, "/start", nil)

	var mine, other liveMatch
	for _, m := range tr.matches(ctx, t) {
		if m.Round != 1 {
			continue
		}
		if m.Players[0] == tr.pid["Ada"] || m.Players[1] == tr.pid["Ada"] {
			mine = m
		} else {
			other = m
		}
	}
	if mine.ID == 0 || other.ID == 0 || mine.Deadline == "" {
		t.Fatalf("Ada's match %+v, the other %+v; want two ready semi-finals with deadlines", mine, other)
	}
	opp := mine.Players[0]
	side := 1
	if opp == tr.pid["Ada"] {
		opp, side = mine.Players[1], 0
	}
	var oppName string
	for n, id := range tr.pid {
		if id == opp {
			oppName = n
		}
	}
	ada.wait("the ready match", fmt.Sprintf(`document.querySelector('#next-match[data-match-id="%d"][data-status=ready]')`, mine.ID))
	if got := ada.text(`[data-testid=opponent]`); got != oppName {
		t.Errorf("next match against %q; want %q", got, oppName)
	}
	same := ada.eval("the deadline", fmt.Sprintf(`(() => {
		const t = document.querySelector('[data-testid=next-deadline] time');
		return String(Boolean(t) && new Date(t.getAttribute('datetime')).getTime() === new Date(%q).getTime());
	})()`, mine.Deadline))
	if same != "true" {
		t.Errorf("next match deadline %q; want the match's %s", ada.text(`[data-testid=next-deadline]`), mine.Deadline)
	}
	if got := ada.eval("the link's target", `(() => {
		const a = document.querySelector('[data-testid=next-report-link]');
		return a && document.querySelector(a.getAttribute('href')) ? a.getAttribute('href') : '';
	})()`); got != "#report-form" {
		t.Errorf("link to the report form %q; want #report-form, on the page", got)
	}
	liveShot(ada, "next-match-ready-390")

	// Ada wins her semi-final (the organiser enters it): her final waits for the other one.
	scores := []int{0, 0}
	scores[side] = 1
	mustAPI(ctx, t, http.MethodPost, tr.url(fmt.Sprintf("/matches/%d/result", mine.ID)), tr.org, map[string]any{"scores": scores}, nil)
	ada.wait("the final, waiting", `document.querySelector('#next-match[data-status=pending] [data-testid=opponent-tbd]')`)
	if got, want := ada.text(`[data-testid=opponent-tbd]`), fmt.Sprintf("the winner of match %d", other.ID); !strings.Contains(got, want) {
		t.Errorf("final opponent %q; want %q", got, want)
	}
	liveShot(ada, "next-match-pending-390")
}

// liveNotificationSpy replaces window.Notification by one that records what the page shows and
// leaves the permission to the browser.
const liveNotificationSpy = `(() => {
	const Real = window.Notification;
	window.__notes = [];
	window.__asked = 0;
	class Spy {
		constructor(title, options) { window.__notes.push({title, body: (options && options.body) || '', tag: (options && options.tag) || ''}); }
		close() {}
		static get permission() { return Real.permission; }
		static requestPermission() { window.__asked++; return Real.requestPermission(); }
	}
	window.Notification = Spy;
})();`

// TestLiveUINotification: once the player asked for it (and the browser allows it), a match of
// theirs that becomes ready shows a notification naming the opponent.
func TestLiveUINotification(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	base := startHub(ctx, t)
	tr := newTourney(ctx, t, base, map[string]any{"name": "Ping Cup", "format": "single_elimination"})
	tr.join(ctx, t, "Ada", "Grace")
	b := newBrowser(ctx, t)
	ada := liveOpenAs(t, b, tr, "Ada", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.CallBrowser(ctx, browser.SetPermission, browser.SetPermissionParams{
			Permission:       &browser.PermissionDescriptor{Name: "notifications"},
			Setting:          browser.PermissionSettingGranted,
			Origin:           base,
			BrowserContextID: chromedp.FromContext(ctx).BrowserContextID,
		})
		if err != nil {
			return fmt.Errorf("grant notifications: %w", err)
		}
		_, err = chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: liveNotificationSpy})
		return err
	}))
	ada.wait("the notify button", liveOnScreen(`[data-testid=notify-button]`))
	if got := ada.attr(`[data-testid=notify-button]`, "aria-pressed"); got != "false" {
		t.Errorf("notify button pressed %q before it was clicked; want false", got)
	}
	if got := ada.eval("asked", `String(window.__asked)`); got != "0" {
		t.Errorf("the page asked for the permission %s times before the click; want never", got)
	}
	ada.do("ask to be notified", chromedp.Click(chromedp.CSS(`[data-testid=notify-button]`)))
	ada.wait("notifications on", `document.querySelector('[data-testid=notify-button]').getAttribute('aria-pressed') === 'true'`)
	if got := ada.eval("asked", `String(window.__asked)`); got != "1" {
		t.Errorf("the page asked for the permission %s times; want once, on the click", got)
	}
	if got := ada.eval("none yet", `String(window.__notes.length)`); got != "0" {
		t.Errorf("%s notifications before any match; want none", got)
	}
	tr.command(ctx, t, "/start", nil)
	ada.wait("the notification", `window.__notes.length > 0`)
	title := ada.eval("its title", `window.__notes[0].title`)
	if !strings.Contains(title, "Grace") {
		t.Errorf("notification %q; want it to name the opponent, Grace", title)
	}
	if got := ada.eval("count", `String(window.__notes.length)`); got != "1" {
		t.Errorf("%s notifications for one ready match; want 1", got)
	}
	liveShot(ada, "notify-on")
}

// TestLiveUIShareLinks: the spectator page offers its link, and the player page the player's
// personal link, on the hub's public address (--public-url), with a QR code; the personal link
// signs another browser in as the same player.
func TestLiveUIShareLinks(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	const public = "http://public.example:1234"
	base := startHub(ctx, t, "--public-url", public)
	tr := newTourney(ctx, t, base, map[string]any{"name": "Shared Cup", "format": "single_elimination"})
	b := newBrowser(ctx, t)

	spec := newTab(t, b, "spectator")
	spec.do("open", chromedp.Navigate(base+"/spectator.html?t="+tr.id))
	spec.wait("the share link", `document.querySelector('[data-testid=spectator-link-url]')`)
	want := public + "/spectator.html?t=" + tr.id
	if got := spec.eval("the link", `document.querySelector('[data-testid=spectator-link-url]').value`); got != want {
		t.Errorf("spectator link %q; want %q", got, want)
	}
	spec.do("show the QR code", chromedp.Click(chromedp.CSS(`[data-testid=spectator-link-qr-button]`)))
	spec.wait("the QR code", liveOnScreen(`[data-testid=spectator-link-qr] svg`))
	if got := spec.eval("the embed code", `document.querySelector('[data-testid=embed-code]').value`); !strings.Contains(got, want+"&amp;embed=1") {
		t.Errorf("embed code %q; want an iframe of %s&embed=1", got, want)
	}
	liveShot(spec, "spectator-share")

	ada := joinOnPage(t, b, base, tr.id, "Ada")
	pid := ada.attr(`[data-testid=my-name]`, "data-player-id")
	ada.do("open the personal link", chromedp.Click(chromedp.CSS(`#device-link summary`)))
	ada.wait("the personal link", liveOnScreen(`[data-testid=personal-link-url]`))
	link := ada.eval("the link", `document.querySelector('[data-testid=personal-link-url]').value`)
	prefix := public + "/player.html?t=" + tr.id + "#token="
	if !strings.HasPrefix(link, prefix) {
		t.Fatalf("personal link %q; want it to start with %q", link, prefix)
	}
	ada.do("show its QR code", chromedp.Click(chromedp.CSS(`[data-testid=personal-link-qr-button]`)))
	ada.wait("the QR code", liveOnScreen(`[data-testid=personal-link-qr] svg`))
	liveShot(ada, "player-personal-link")

	// The same link on this hub's address, in a browser that never joined: Ada again.
	phone := newTab(t, b, "another device")
	phone.do("open the personal link", chromedp.Navigate(base+strings.TrimPrefix(link, public)))
	phone.wait("Ada on the other device", fmt.Sprintf(`document.querySelector('[data-testid=my-name][data-player-id="%s"]')`, pid))
}

// TestLiveUIEmbed: spectator.html?embed=1 is a compact live view without the page's header and
// navigation, with a link to the full page in a new tab; another site may frame it, and it tells
// the framing page its height and version as they change.
func TestLiveUIEmbed(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	base := startHub(ctx, t)
	tr := newTourney(ctx, t, base, map[string]any{"name": "Embedded Cup", "format": "single_elimination"})
	tr.join(ctx, t, "Ada", "Grace", "Linus", "Ken")
	tr.command(ctx, t, "/start", nil)
	b := newBrowser(ctx, t)

	emb := newTab(t, b, "embed")
	emb.do("open the compact view", chromedp.Navigate(base+"/spectator.html?t="+tr.id+"&embed=1"))
	emb.wait("the bracket", `document.querySelectorAll('#bracket .match').length === 3`)
	for _, sel := range []string{".topbar", "nav", "#players-view", "#downloads-view", "#share-view"} {
		if emb.eval("shown "+sel, `String(`+liveOnScreen(sel)+`)`) != "false" {
			t.Errorf("compact view shows %s; want it left out", sel)
		}
	}
	if n := emb.eval("organiser links", `String([...document.querySelectorAll('a[href*="organiser"]')].filter(a => a.getClientRects().length).length)`); n != "0" {
		t.Errorf("compact view shows %s organiser links; want none", n)
	}
	if got := emb.attr(`[data-testid=embed-open]`, "target"); got != "_blank" {
		t.Errorf("link to the full page opens in %q; want _blank", got)
	}
	if got, want := emb.eval("full page", `document.querySelector('[data-testid=embed-open]').href`), base+"/spectator.html?t="+tr.id; got != want {
		t.Errorf("link to the full page %q; want %q", got, want)
	}
	emb.wait("live", `document.querySelector('[data-testid=conn-status]').dataset.state === 'open'`)
	m := tr.matches(ctx, t)[0]
	mustAPI(ctx, t, http.MethodPost, tr.url(fmt.Sprintf("/matches/%d/result", m.ID)), tr.org, map[string]any{"scores": []int{1, 0}}, nil)
	emb.wait("the result, live", fmt.Sprintf(`document.querySelector('#bracket [data-testid="match-%d"][data-status=completed]')`, m.ID))
	liveShot(emb, "embed-1280")

	// Framed by a page of another origin: nothing stops the frame, and it tells its parent.
	res, err := http.Get(base + "/spectator.html")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if xfo, csp := res.Header.Get("X-Frame-Options"), res.Header.Get("Content-Security-Policy"); xfo != "" || strings.Contains(csp, "frame-ancestors") {
		t.Errorf("spectator.html is served with X-Frame-Options %q, Content-Security-Policy %q; want it frameable", xfo, csp)
	}
	// The framing page is on localhost, the frame on 127.0.0.1: two sites. (A data: page cannot
	// frame a loopback address: Chromium's local network access rules block it.)
	host := newTab(t, b, "host site")
	site := strings.Replace(base, "127.0.0.1", "localhost", 1)
	host.do("open another site", chromedp.Navigate(site+"/healthz"))
	host.eval("frame the compact view", fmt.Sprintf(`(() => {
		window.__embed = [];
		addEventListener('message', (e) => { if (e.data && e.data.type === 'tourhub:embed') window.__embed.push(e.data); });
		const f = document.createElement('iframe');
		f.src = %q;
		f.title = 'Embedded Cup';
		f.style = 'width: 600px; height: 400px; border: 1px solid #999';
		document.body.replaceChildren(f);
		return location.origin;
	})()`, base+"/spectator.html?t="+tr.id+"&embed=1"))
	host.wait("the frame's height", fmt.Sprintf(`window.__embed.some((m) => m.tournament === %q && m.height > 100)`, tr.id))
	v := host.eval("its version", `String(Math.max(...window.__embed.map((m) => m.version)))`)
	tr.command(ctx, t, "/matches/"+fmt.Sprint(tr.matches(ctx, t)[1].ID)+"/result", map[string]any{"scores": []int{0, 1}})
	host.wait("a newer version from the frame", fmt.Sprintf(`window.__embed.some((m) => m.version > %s)`, v))
	liveShot(host, "embed-framed")
}

// TestLiveUIPhoneList: on a phone (390 px wide) every tournament's links are on screen, however
// long its name.
func TestLiveUIPhoneList(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	base := startHub(ctx, t)
	long := newTourney(ctx, t, base, map[string]any{"name": "The Saturday Morning Table Tennis Open, Riverside Club 2026", "format": "swiss"})
	short := newTourney(ctx, t, base, map[string]any{"name": "Cup", "format": "single_elimination"})
	list := newTab(t, newBrowser(ctx, t), "phone")
	list.do("open the list on a phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile), chromedp.Navigate(base+"/index.html"))
	list.wait("both rows", `document.querySelectorAll('[data-testid=tournament-row]').length === 2`)
	for _, tr := range []*tourney{long, short} {
		for _, link := range []string{"join-" + tr.id, "watch-" + tr.id} {
			got := list.eval("where "+link+" is", fmt.Sprintf(`(() => {
				const r = document.querySelector('[data-testid=%q]').getBoundingClientRect();
				return r.left >= 0 && r.right <= window.innerWidth && r.width > 0 ? 'on screen' : JSON.stringify([r.left, r.right, window.innerWidth]);
			})()`, link))
			if got != "on screen" {
				t.Errorf("%s at %s; want it within the 390 px screen", link, got)
			}
		}
	}
	liveShot(list, "list-390")
}

// TestLiveUIIcon: the list, player and spectator pages name the icon, and the hub serves it.
func TestLiveUIIcon(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	base := startHub(ctx, t)
	tb := newTab(t, newBrowser(ctx, t), "pages")
	for _, pg := range []string{"index.html", "player.html", "spectator.html"} {
		tb.do("open "+pg, chromedp.Navigate(base+"/"+pg))
		got := tb.eval("the icon", `(async () => {
			const l = document.querySelector('link[rel=icon]');
			if (!l) return 'no icon';
			const r = await fetch(l.href);
			return r.ok && l.type === 'image/svg+xml' && (await r.text()).startsWith('<svg') ? 'ok' : 'bad ' + l.href + ' ' + r.status;
		})()`)
		if got != "ok" {
			t.Errorf("%s: icon %s; want favicon.svg, served", pg, got)
		}
	}
}

// dropAfterJoin makes the page's sockets close themselves right after sending a join message: the
// hub gets the join, the page never gets its answer.
const dropAfterJoin = `(() => {
  const Real = window.WebSocket;
  window.WebSocket = class extends Real {
    send(data) {
      super.send(data);
      if (typeof data === 'string' && data.includes('"type":"join"')) this.close();
    }
  };
})();`

// TestLiveUIJoinOverSocket: the player page joins over its socket when it is open (one join
// message, no HTTP join, and the socket then reports for the player without an auth); a socket
// join whose answer is lost is sent again over HTTP with the same submission_id, and makes one
// player, not two.
func TestLiveUIJoinOverSocket(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	base := startHub(ctx, t)
	tr := newTourney(ctx, t, base, map[string]any{"name": "Socket Cup", "format": "single_elimination", "max_players": 3})
	b := newBrowser(ctx, t)
	joins := func() float64 {
		t.Helper()
		v, _ := proctest.Metric(ctx, t, base, `tourhub_ws_messages_in_total{type="join"}`)
		return v
	}

	ada := newTab(t, b, "Ada")
	ada.do("open the page", chromedp.Navigate(base+"/player.html?t="+tr.id), chromedp.WaitVisible(chromedp.ID("join-name")))
	ada.wait("the live connection", `document.querySelector('[data-testid=conn-status]').dataset.state === 'open'`)
	ada.do("join", chromedp.SetValue(chromedp.ID("join-name"), "Ada"), chromedp.Click(chromedp.ID("join-submit")))
	ada.wait("Ada's entry", `document.querySelector('[data-testid=my-name][data-player-id]')`)
	if n := joins(); n != 1 {
		t.Errorf("%v join messages after Ada joined on an open socket; want 1", n)
	}

	// Grace's socket drops the moment her join is sent, so its answer is lost: the page joins
	// again over HTTP with the same submission_id, which answers the player the socket join made
	// (one Grace, not two), and the reconnected socket authenticates with her token.
	grace := newTab(t, b, "Grace")
	grace.do("open the page with a socket that drops after a join",
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: dropAfterJoin})
			return err
		}),
		chromedp.Navigate(base+"/player.html?t="+tr.id), chromedp.WaitVisible(chromedp.ID("join-name")))
	grace.wait("the live connection", `document.querySelector('[data-testid=conn-status]').dataset.state === 'open'`)
	grace.do("join", chromedp.SetValue(chromedp.ID("join-name"), "Grace"), chromedp.Click(chromedp.ID("join-submit")))
	grace.wait("Grace's entry", `document.querySelector('[data-testid=my-name][data-player-id]')`)
	if n := joins(); n != 2 {
		t.Errorf("%v join messages after Grace's; want 2", n)
	}
	if got := len(tr.state(ctx, t).Participants); got != 2 {
		t.Errorf("%d players; want Ada and one Grace", got)
	}
	grace.wait("the socket back", `document.querySelector('[data-testid=conn-status]').dataset.state === 'open'`)

	// The start needs both (at least two players); Ada's socket is hers: her report over it is
	// recorded.
	tr.command(ctx, t, "/start", nil)
	ada.wait("the report form", `document.querySelector('#report-form input[data-slot="0"]')`)
	ada.do("report 1-0",
		chromedp.Evaluate[chromedp.Void](clearMessages),
		chromedp.SetValue(chromedp.CSS(`#report-form input[data-slot="0"]`), "1"),
		chromedp.SetValue(chromedp.CSS(`#report-form input[data-slot="1"]`), "0"),
		chromedp.Click(chromedp.ID("report-submit")))
	ada.wait("the report's answer", `document.querySelector('[data-testid=msg-ok], [data-testid=msg-error]')`)
	if msg := ada.text(`#messages`); !strings.Contains(msg, "Reported 1-0") {
		t.Errorf("Ada's report: %q; want it recorded", msg)
	}
}
