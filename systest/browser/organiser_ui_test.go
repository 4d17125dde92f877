package browser

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// organiserTab opens the organiser page of tr in a fresh browser context that holds tr's organiser
// key (as the browser that created it does), and waits for the tournament's state.
func organiserTab(t *testing.T, browser context.Context, base string, tr *tourney) *tab {
	t.Helper()
	org := newTab(t, browser, "organiser of "+tr.id)
	org.do("open the organiser page with the key",
		chromedp.Navigate(base+"/favicon.svg"),
		chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`localStorage.setItem(%s, %s)`, q("tourhub:organiser:"+tr.id), q(tr.org))),
		chromedp.Navigate(base+"/organiser.html?t="+tr.id))
	org.wait("the tournament state", `document.querySelector('[data-testid=tournament-status]')`)
	return org
}

// shoot saves full-page screenshots of b at desktop and phone size (name-desktop.png,
// name-phone.png) in $TOURHUB_E2E_SCREENSHOTS, for a person to look at; without it, nothing is
// saved. The page is left at desktop size.
func shoot(t *testing.T, b *tab, name string) {
	t.Helper()
	dir := os.Getenv("TOURHUB_E2E_SCREENSHOTS")
	if dir == "" {
		return
	}
	sizes := []struct {
		name          string
		width, height int64
	}{{"desktop", 1280, 900}, {"phone", 390, 844}}
	for _, vp := range sizes {
		b.do("resize to "+vp.name, chromedp.EmulateViewport(vp.width, vp.height))
		shot, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("%s: screenshot: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, name+"-"+vp.name+".png"), shot, 0o644); err != nil {
			t.Fatalf("write screenshot: %v", err)
		}
	}
	b.do("back to desktop size", chromedp.EmulateViewport(sizes[0].width, sizes[0].height))
}

// uiState is the part of a tournament's state these tests read.
type uiState struct {
	Status       string `json:"status"`
	Name         string `json:"name"`
	Description  string `json:"description"`
	Participants []struct {
		ID        int  `json:"id"`
		CheckedIn bool `json:"checked_in"`
	} `json:"participants"`
	Matches []struct {
		ID      int    `json:"id"`
		Round   int    `json:"round"`
		Status  string `json:"status"`
		Players []int  `json:"players"`
		Winner  int    `json:"winner"`
	} `json:"matches"`
	Standings []struct {
		PlayerID int `json:"player_id"`
		Rank     int `json:"rank"`
	} `json:"standings"`
	Settings struct {
		RequireCheckIn bool `json:"require_check_in"`
		Playoff        *struct {
			Format     string `json:"format"`
			Advance    int    `json:"advance"`
			ThirdPlace bool   `json:"third_place"`
			GrandFinal string `json:"grand_final"`
		} `json:"playoff"`
	} `json:"settings"`
}

func (tr *tourney) ui(ctx context.Context, t *testing.T) uiState {
	t.Helper()
	var s uiState
	mustAPI(ctx, t, http.MethodGet, tr.url(""), "", nil, &s)
	return s
}

// setScore fills a match's "set the final score" form on the organiser page and sends it.
func setScore(org *tab, form string, a, b int) {
	org.t.Helper()
	org.do("set the score of "+form,
		chromedp.SetValue(chromedp.ID(form+"-score-0"), fmt.Sprint(a)),
		chromedp.SetValue(chromedp.ID(form+"-score-1"), fmt.Sprint(b)))
	org.do("send the score of "+form, press(fmt.Sprintf(`[data-testid="%s-submit"]`, form))...)
	org.wait("the answer to "+form, answered)
	if e := org.text(`[data-testid=msg-error]`); e != "" {
		org.t.Fatalf("%s refused: %s", form, e)
	}
}

// TestOrganiserUICorrectionAfterEnd: once a single elimination is finished, the organiser page
// still offers the correction panel on its completed matches (as the API allows an organiser's
// result on a completed match then). Correcting the final from the page changes the champion and
// the tournament stays finished; correcting a semi-final reopens it, and the final is to be played
// again with its panel (forfeits included) back.
func TestOrganiserUICorrectionAfterEnd(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	base := startHub(ctx, t)
	browser := newBrowser(ctx, t)

	tr := newTourney(ctx, t, base, map[string]any{"name": "Late Fix Cup", "format": "single_elimination", "max_players": 4})
	tr.join(ctx, t, "Ada", "Grace", "Linus", "Ken")
	tr.command(ctx, t, "/start", struct{}{})
	playReady(ctx, t, tr, "winners")
	s := tr.ui(ctx, t)
	if s.Status != "finished" {
		t.Fatalf("after every match: status %s; want finished", s.Status)
	}
	final, semi := s.Matches[0], s.Matches[0]
	for _, m := range s.Matches {
		if m.Round == 2 {
			final = m
		} else if m.Round == 1 {
			semi = m
		}
	}
	champion, runnerUp := final.Winner, final.Players[0]+final.Players[1]-final.Winner

	org := organiserTab(t, browser, base, tr)
	org.wait("the finished tournament", `document.querySelector('[data-testid=tournament-status][data-status=finished]')`)
	for _, m := range []int{final.ID, semi.ID} {
		org.wait(fmt.Sprintf("the correction panel of match %d", m), fmt.Sprintf(`document.querySelector('[data-testid="tools-%d"]')`, m))
	}
	if got := org.text(`[data-testid=bracket-hint]`); !strings.Contains(got, "corrected") {
		t.Errorf("the bracket's hint after the end reads %q; want that a result can still be corrected", got)
	}
	if got := org.eval("forfeit buttons", `String(document.querySelectorAll('[data-testid^=forfeit-]').length)`); got != "0" {
		t.Errorf("%s forfeit buttons after the end; want none (only corrections)", got)
	}

	// The final, the other way round: the runner-up becomes the champion.
	org.do("open the final's panel", press(fmt.Sprintf(`[data-testid="tools-%d"]`, final.ID))...)
	shoot(t, org, "organiser-finished-correction")
	want := []int{1, 0}
	if final.Players[0] == champion {
		want = []int{0, 1}
	}
	setScore(org, fmt.Sprintf("result-%d", final.ID), want[0], want[1])
	s = tr.ui(ctx, t)
	winner := 0
	for _, m := range s.Matches {
		if m.ID == final.ID {
			winner = m.Winner
		}
	}
	if s.Status != "finished" || winner != runnerUp || s.Standings[0].PlayerID != runnerUp {
		t.Fatalf("after the correction of the final: status %s, final won by %d, first %d; want finished, %d, %d",
			s.Status, winner, s.Standings[0].PlayerID, runnerUp, runnerUp)
	}
	org.wait("the new champion on the page", fmt.Sprintf(`(document.querySelector('[data-testid="match-%d"] .slot.winner .name') || {}).textContent === %s`,
		final.ID, q(org.eval("the runner-up's name", fmt.Sprintf(`(document.querySelector('#participants [data-testid="participant-%d"] strong') || {}).textContent || ''`, runnerUp)))))

	// A semi-final, the other way round: the bracket reopens and the final waits to be played.
	org.do("open the semi-final's panel", press(fmt.Sprintf(`[data-testid="tools-%d"]`, semi.ID))...)
	want = []int{1, 0}
	if semi.Players[0] == semi.Winner {
		want = []int{0, 1}
	}
	setScore(org, fmt.Sprintf("result-%d", semi.ID), want[0], want[1])
	org.wait("the reopened tournament", `document.querySelector('[data-testid=tournament-status][data-status=running]')`)
	org.wait("the final ready with its forfeits", fmt.Sprintf(`document.querySelector('[data-testid="match-%d"][data-status=ready] [data-testid="forfeit-%d-both"]')`, final.ID, final.ID))
	if s := tr.ui(ctx, t); s.Status != "running" {
		t.Errorf("after the correction of a semi-final: status %s; want running (the final is played again)", s.Status)
	}
}

// TestOrganiserUICheckIn: the organiser page offers "Check in" only while check-in is open: never
// in a tournament that does not require it; in one that does, it checks a player in, and the
// control hint counts who has. With a check-in window that has not opened yet (the hub refuses a
// check-in then) there is no button, and the hint says when check-in opens; once the window is
// open (the sweeper opened it, or the live model took check_in_opened) the buttons are there.
func TestOrganiserUICheckIn(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	base := startHub(ctx, t, "--sweep-every", "50ms")
	browser := newBrowser(ctx, t)

	off := newTourney(ctx, t, base, map[string]any{"name": "Walk-in Cup", "format": "single_elimination"})
	off.join(ctx, t, "Ada", "Grace")
	on := newTourney(ctx, t, base, map[string]any{"name": "Check-in Cup", "format": "single_elimination", "require_check_in": true})
	on.join(ctx, t, "Ada", "Grace", "Linus")

	org := organiserTab(t, browser, base, off)
	org.wait("both players with their buttons", `document.querySelectorAll('#participants > li [data-testid^="edit-"]').length === 2`)
	if got := org.eval("check-in buttons", `String(document.querySelectorAll('[data-testid^="checkin-"]').length)`); got != "0" {
		t.Errorf("%s check-in buttons in a tournament without check-in; want none", got)
	}
	if got := org.text(`#control-hint`); strings.Contains(got, "checked in") {
		t.Errorf("control hint %q speaks of check-in in a tournament without it", got)
	}

	org = organiserTab(t, browser, base, on)
	org.wait("three players", `document.querySelectorAll('#participants > li').length === 3`)
	for n, pid := range on.pid {
		if got := org.attr(fmt.Sprintf(`[data-testid="checkin-%d"]`, pid), "aria-label"); got != "Check in "+n {
			t.Errorf("check-in button of %s labelled %q; want %q", n, got, "Check in "+n)
		}
	}
	if got := org.text(`#control-hint`); !strings.Contains(got, "0 checked in") {
		t.Errorf("control hint %q; want it to count 0 checked in", got)
	}
	ada := on.pid["Ada"]
	org.do("check Ada in", press(fmt.Sprintf(`[data-testid="checkin-%d"]`, ada))...)
	org.wait("Ada checked in", fmt.Sprintf(`!document.querySelector('[data-testid="checkin-%d"]') &&
	  document.querySelector('[data-testid="participant-%d"]').textContent.includes('checked in')`, ada, ada))
	org.wait("the count", `document.getElementById('control-hint').textContent.includes('1 checked in')`)
	for _, p := range on.ui(ctx, t).Participants {
		if p.CheckedIn != (p.ID == ada) {
			t.Errorf("player %d checked_in %v on the hub; want only Ada (%d)", p.ID, p.CheckedIn, ada)
		}
	}

	// A window that opens an hour before a start three hours away: not open yet.
	start := time.Now().Add(3 * time.Hour).UTC().Truncate(time.Minute)
	later := newTourney(ctx, t, base, map[string]any{"name": "Window Cup", "format": "single_elimination",
		"scheduled_start": start.Format(time.RFC3339), "check_in_window": "1h"})
	later.join(ctx, t, "Ada", "Grace")
	org = organiserTab(t, browser, base, later)
	org.wait("both players with their buttons", `document.querySelectorAll('#participants > li [data-testid^="edit-"]').length === 2`)
	if got := org.eval("check-in buttons", `String(document.querySelectorAll('[data-testid^="checkin-"]').length)`); got != "0" {
		t.Errorf("%s check-in buttons before the check-in window opens; want none", got)
	}
	opens := org.eval("the opening time as the page writes it", fmt.Sprintf(`new Date(%q).toLocaleString([], {dateStyle: 'medium', timeStyle: 'short'})`,
		start.Add(-time.Hour).Format(time.RFC3339)))
	if got := org.text(`#control-hint`); !strings.Contains(got, "Check-in opens at "+opens+", 1 hour before the scheduled start") {
		t.Errorf("control hint %q before the window opens; want it to say check-in opens at %s, 1 hour before the scheduled start", got, opens)
	}
	if code, msg := apiCall(ctx, t, http.MethodPost, later.url("/check-in"), later.org, map[string]any{"player_id": later.pid["Ada"]}, nil); code != http.StatusConflict || !strings.Contains(msg, "check_in_closed") {
		t.Errorf("a check-in before the window opens: %d %s; want 409 check_in_closed, as the page has no button for it", code, msg)
	}
	got := org.eval("the model's check-in", `import('/js/state.js').then((s) => {
	  const m = s.fromSnapshot({id: 'x', status: 'registering', settings: {require_check_in: true, check_in_window: '1h0m0s'}, participants: [], matches: []});
	  const before = s.checkInOpen(m);
	  s.applyEvents(m, [{type: 'check_in_opened'}], 2);
	  const open = s.fromSnapshot({id: 'x', status: 'registering', check_in_open: true, settings: {require_check_in: true, check_in_window: '1h0m0s'}, participants: []});
	  return JSON.stringify([before, s.checkInOpen(m), s.checkInOpen(open), s.checkInOpen({...open, status: 'running'})]);
	})`)
	if got != "[false,true,true,false]" {
		t.Errorf("checkInOpen before the window, after check_in_opened, from an open snapshot, once running: %s; want [false,true,true,false]", got)
	}

	// A window longer than the time left before the start: the hub opens it at once.
	opened := newTourney(ctx, t, base, map[string]any{"name": "Open Window Cup", "format": "single_elimination",
		"scheduled_start": time.Now().Add(time.Hour).UTC().Format(time.RFC3339), "check_in_window": "2h"})
	opened.join(ctx, t, "Ada", "Grace")
	org = organiserTab(t, browser, base, opened)
	org.wait("the check-in buttons once the window is open", `document.querySelectorAll('[data-testid^="checkin-"]').length === 2`)
	if got := org.text(`#control-hint`); !strings.Contains(got, "0 checked in") {
		t.Errorf("control hint %q with the window open; want it to count 0 checked in", got)
	}
	org.do("check Grace in", press(fmt.Sprintf(`[data-testid="checkin-%d"]`, opened.pid["Grace"]))...)
	org.wait("the count", `document.getElementById('control-hint').textContent.includes('1 checked in')`)

	// The player page offers Check in by the same rule: not without check-in, not before the
	// window opens (it says when it opens instead), and while it is open.
	player := newTab(t, browser, "player")
	for _, c := range []struct {
		tr         *tourney
		name, want string
	}{
		{off, "Ada", "no button, no hint"},
		{later, "Ada", "hint"},
		{opened, "Ada", "button"},
	} {
		player.do("open "+c.tr.id+" as "+c.name, chromedp.Navigate(base+"/player.html?t="+c.tr.id+"#token="+c.tr.token[c.name]))
		player.wait("the player's card", `document.querySelector('[data-testid=my-name]')`)
		got := player.eval("check-in on the player page", `(() => {
		  const b = !document.getElementById('check-in').hidden, hint = document.getElementById('check-in-hint');
		  return b ? 'button' : hint.hidden ? 'no button, no hint' : 'hint';
		})()`)
		if got != c.want {
			t.Errorf("player page of %s: %s; want %s", c.tr.id, got, c.want)
		}
	}
	if got := player.text(`#check-in-hint`); got != "" {
		t.Errorf("hint %q while check-in is open; want none", got)
	}
	player.do("open the not yet open one again", chromedp.Navigate(base+"/player.html?t="+later.id+"#token="+later.token["Grace"]))
	player.wait("the hint", `!document.getElementById('check-in-hint').hidden`)
	if got, want := player.text(`#check-in-hint`), "Check-in opens at "+opens+", 1 hour before the scheduled start."; !strings.HasPrefix(got, want) {
		t.Errorf("player hint %q; want it to start %q", got, want)
	}
}

// TestOrganiserUILimits: the create form and the organiser's edit fields take their bounds from
// GET /api/config: a name of 65 characters cannot be typed or sent, one of 64 is created; the
// numbers' maxima and the description's length are the hub's.
func TestOrganiserUILimits(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	base := startHub(ctx, t)
	browser := newBrowser(ctx, t)

	org := newTab(t, browser, "organiser")
	org.do("open the create form", chromedp.Navigate(base+"/organiser.html"), chromedp.WaitVisible(chromedp.ID("create-name")))
	org.wait("the hub's limits in the form", `document.getElementById('create-name').maxLength === 64`)
	bounds := org.eval("the form's bounds", `['create-description'].map((id) => document.getElementById(id).maxLength)
	  .concat(['create-best-of', 'create-max-players', 'create-rounds', 'create-playoff-best-of', 'create-playoff-advance'].map((id) => document.getElementById(id).max)).join()`)
	if bounds != "2000,99,1024,64,99,1024" {
		t.Errorf("description length and the maxima of best of, players, rounds, playoff best of, advancing: %s; want 2000,99,1024,64,99,1024", bounds)
	}

	// Typed: the 65th character does not go in.
	long := strings.Repeat("x", 65)
	org.do("type 65 characters", chromedp.SendKeys(chromedp.ID("create-name"), long))
	if got := org.eval("the typed name", `String(document.getElementById('create-name').value.length)`); got != "64" {
		t.Errorf("after typing 65 characters the name holds %s; want 64", got)
	}
	// Put in another way (a script, an old browser): the form refuses to send it.
	org.do("set 65 characters", chromedp.SetValue(chromedp.ID("create-name"), long))
	org.do("submit", press(`#create-submit`)...)
	org.wait("the refusal", `document.querySelector('[data-testid=msg-error]')`)
	if got := org.text(`[data-testid=msg-error]`); !strings.Contains(got, "65 characters") || !strings.Contains(got, "at most 64") {
		t.Errorf("a 65-character name says %q; want that it has 65 characters, at most 64", got)
	}
	if got := org.attr(`#create-name`, "aria-invalid"); got != "true" {
		t.Errorf("the refused name's aria-invalid is %q; want true", got)
	}
	var list struct {
		Tournaments []struct{} `json:"tournaments"`
	}
	mustAPI(ctx, t, http.MethodGet, base+"/api/tournaments", "", nil, &list)
	if len(list.Tournaments) != 0 {
		t.Fatalf("the hub has %d tournaments after the refused form; want none", len(list.Tournaments))
	}

	name := strings.Repeat("Cup ", 15) + "1234" // 64 characters
	org.do("set 64 characters", chromedp.SetValue(chromedp.ID("create-name"), name))
	org.do("submit", press(`#create-submit`)...)
	org.wait("the organiser view", `location.search.includes('t=') && !document.getElementById('org-view').hidden`)
	tr := &tourney{base: base, id: org.text(`[data-testid=tournament-id]`)}
	if s := tr.ui(ctx, t); s.Name != name {
		t.Fatalf("created name %q; want the 64 characters %q", s.Name, name)
	}

	// The organiser's edit fields have the same bounds, and a longer name is not sent.
	org.wait("the hub's limits in the edit form", `document.getElementById('edit-name').maxLength === 64 && document.getElementById('edit-description').maxLength === 2000`)
	org.do("set a 65-character name", chromedp.SetValue(chromedp.ID("edit-name"), long))
	org.do("save", press(`[data-testid=edit-save]`)...)
	org.wait("the refusal", `document.querySelector('[data-testid=msg-error]')`)
	if got := org.text(`[data-testid=msg-error]`); !strings.Contains(got, "at most 64") {
		t.Errorf("a 65-character new name says %q; want at most 64", got)
	}
	if s := tr.ui(ctx, t); s.Name != name {
		t.Errorf("the name became %q; want it unchanged", s.Name)
	}
}

// TestOrganiserUIShareLinks: with --public-url, the organiser's share links (spectators, players,
// the organiser's own, and a player's personal link) name the public address, each draws its QR
// code on demand, and the organiser's own link opened in another browser makes that browser the
// organiser. The page names its icon and the share stylesheet.
func TestOrganiserUIShareLinks(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	const public = "http://public.example:1234"
	base := startHub(ctx, t, "--public-url", public)
	browser := newBrowser(ctx, t)

	tr := newTourney(ctx, t, base, map[string]any{"name": "Share Cup", "format": "single_elimination"})
	tr.join(ctx, t, "Ada", "Grace")
	org := organiserTab(t, browser, base, tr)
	org.wait("the share links", `document.querySelector('[data-testid=organiser-link-url]')`)

	head := org.eval("the head's links", `[...document.querySelectorAll('head link')].map((l) => l.rel + ' ' + l.getAttribute('href') + ' ' + (l.type || '-')).join('; ')`)
	for _, want := range []string{"icon favicon.svg image/svg+xml", "stylesheet css/share.css -"} {
		if !strings.Contains(head, want) {
			t.Errorf("the head links %q; want %q", head, want)
		}
	}
	if got := org.eval("share.css applied", `String(!!document.querySelector('link[href="css/share.css"]').sheet)`); got != "true" {
		t.Error("css/share.css did not load")
	}

	for testid, want := range map[string]string{
		"watch-link":     public + "/spectator.html?t=" + tr.id,
		"join-link":      public + "/player.html?t=" + tr.id,
		"organiser-link": public + "/organiser.html?t=" + tr.id + "#token=",
	} {
		got := org.eval("read "+testid, fmt.Sprintf(`document.querySelector('[data-testid="%s-url"]').value`, testid))
		if testid == "organiser-link" && !strings.HasPrefix(got, want) || testid != "organiser-link" && got != want {
			t.Errorf("%s is %q; want %q", testid, got, want)
		}
	}

	// QR codes, drawn when asked for: the spectators' link, then the organiser's own (folded away).
	org.do("show the spectators' QR code", press(`[data-testid=watch-link-qr-button]`)...)
	org.wait("the spectators' QR code", `document.querySelector('[data-testid=watch-link-qr]:not([hidden]) svg')`)
	if got := org.attr(`[data-testid=watch-link-qr-button]`, "aria-expanded"); got != "true" {
		t.Errorf("the QR button's aria-expanded is %q once open; want true", got)
	}
	if got := org.eval("the organiser link folded", `String(document.querySelector('[data-testid=organiser-link-view]').open)`); got != "false" {
		t.Error("the organiser's own link (it holds the key) is shown unfolded")
	}
	org.do("unfold the organiser link", press(`[data-testid=organiser-link-view] summary`)...)
	org.do("show the organiser's QR code", press(`[data-testid=organiser-link-qr-button]`)...)
	org.wait("the organiser's QR code", `document.querySelector('[data-testid=organiser-link-qr]:not([hidden]) svg')`)

	// A player's personal link names the public address too.
	ada := tr.pid["Ada"]
	org.do("ask for Ada's link", press(fmt.Sprintf(`[data-testid="player-link-%d"]`, ada))...)
	org.wait("Ada's link", fmt.Sprintf(`document.querySelector('[data-testid="link-%d-url"]')`, ada))
	if got := org.eval("Ada's link", fmt.Sprintf(`document.querySelector('[data-testid="link-%d-url"]').value`, ada)); !strings.HasPrefix(got, public+"/player.html?t="+tr.id+"#token=") {
		t.Errorf("Ada's personal link %q; want %s/player.html?t=%s#token=...", got, public, tr.id)
	}
	org.do("show Ada's QR code", press(fmt.Sprintf(`[data-testid="link-%d-qr-button"]`, ada))...)
	org.wait("Ada's QR code", fmt.Sprintf(`document.querySelector('[data-testid="link-%d-qr"]:not([hidden]) svg')`, ada))

	shoot(t, org, "organiser-share")

	// The organiser's own link, in a browser that never saw the tournament (public.example is
	// not a real host: the link is opened on the hub's own address, path and fragment as given).
	link := org.eval("the organiser link", `document.querySelector('[data-testid=organiser-link-url]').value`)
	other := newTab(t, newBrowser(ctx, t), "another device")
	other.do("open the organiser link", chromedp.Navigate(base+strings.TrimPrefix(link, public)))
	other.wait("the organiser view", `!document.getElementById('org-view').hidden && document.querySelector('[data-testid=tournament-status][data-status=registering]')`)
	if got := other.eval("the address", `location.hash`); got != "" {
		t.Errorf("the key stays in the address bar: hash %q", got)
	}
	if got := other.eval("the stored key", fmt.Sprintf(`localStorage.getItem(%s) || ''`, q("tourhub:organiser:"+tr.id))); got != tr.org {
		t.Error("the organiser link's key was not kept")
	}
	other.do("start the tournament there", press(`#start`)...)
	other.wait("the running tournament", `document.querySelector('[data-testid=tournament-status][data-status=running]')`)
	if s := tr.ui(ctx, t); s.Status != "running" {
		t.Errorf("after the start from the other device: status %s; want running", s.Status)
	}

	// A player's key in an organiser link does not make anyone the organiser.
	wrong := newTab(t, browser, "organiser link with a player's key")
	wrong.do("open it", chromedp.Navigate(base+"/organiser.html?t="+tr.id+"#token="+tr.token["Grace"]))
	wrong.wait("the refusal", `document.querySelector('[data-testid=msg-error]') && !document.getElementById('token-view').hidden`)
	if got := wrong.text(`[data-testid=msg-error]`); !strings.Contains(got, "player") {
		t.Errorf("an organiser link with a player's key says %q; want that it is a player's", got)
	}
}

// TestOrganiserUIPlayoffEndings: the create form offers the playoff's third-place match for a
// single-elimination playoff and its grand final for a double-elimination one (each only then),
// and the tournament is created with them.
func TestOrganiserUIPlayoffEndings(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	base := startHub(ctx, t)
	browser := newBrowser(ctx, t)
	org := newTab(t, browser, "organiser")
	shown := func(testid string) bool {
		t.Helper()
		return org.eval("is "+testid+" shown", fmt.Sprintf(`String(!!document.querySelector('[data-testid=%s]').offsetParent)`, testid)) == "true"
	}
	endings := func() string {
		t.Helper()
		return fmt.Sprintf("third place %v, grand final %v", shown("create-playoff-third-place-field"), shown("create-playoff-grand-final-field"))
	}
	// create fills in the form for format with a playoff, lets playoff set the playoff's fields,
	// and creates the tournament.
	create := func(name, format string, playoff func()) *tourney {
		t.Helper()
		org.do("fill in the form",
			chromedp.Navigate(base+"/organiser.html"),
			chromedp.WaitVisible(chromedp.ID("create-name")),
			chromedp.SetValue(chromedp.ID("create-name"), name),
			chromedp.SetValue(chromedp.ID("create-format"), format),
			chromedp.Evaluate[chromedp.Void](`document.getElementById('create-format').dispatchEvent(new Event('change'))`))
		if got := endings(); got != "third place false, grand final false" {
			t.Errorf("%s with no playoff chosen: %s shown; want neither", name, got)
		}
		org.do("choose a playoff", chromedp.Click(chromedp.ID("create-playoff")), chromedp.WaitVisible(chromedp.ID("create-playoff-advance")))
		playoff()
		org.do("create", press(`#create-submit`)...)
		org.wait("the organiser view", `location.search.includes('t=') && !document.getElementById('org-view').hidden`)
		return &tourney{base: base, id: org.text(`[data-testid=tournament-id]`)}
	}

	// A round robin in two groups, then a single elimination with a third-place match.
	tr := create("Groups Cup", "round_robin", func() {
		if got := endings(); got != "third place true, grand final false" {
			t.Errorf("a single-elimination playoff shows %s; want the third place only", got)
		}
		org.do("two groups and a third place", chromedp.SetValue(chromedp.ID("create-groups"), "2"), chromedp.Click(chromedp.ID("create-playoff-third-place")))
	})
	if p := tr.ui(ctx, t).Settings.Playoff; p == nil || p.Format != "single_elimination" || !p.ThirdPlace || p.GrandFinal != "" {
		t.Errorf("created playoff %+v; want single elimination with a third-place match", p)
	}

	// A Swiss, then a double elimination of four with a one-match grand final.
	tr = create("Swiss Cup", "swiss", func() {
		org.do("a double-elimination playoff",
			chromedp.SetValue(chromedp.ID("create-playoff-format"), "double_elimination"),
			chromedp.Evaluate[chromedp.Void](`document.getElementById('create-playoff-format').dispatchEvent(new Event('change'))`))
		if got := endings(); got != "third place false, grand final true" {
			t.Errorf("a double-elimination playoff shows %s; want the grand final only", got)
		}
		shoot(t, org, "organiser-create-playoff")
		org.do("four players, one grand final",
			chromedp.SetValue(chromedp.ID("create-playoff-advance"), "4"),
			chromedp.SetValue(chromedp.ID("create-playoff-grand-final"), "single"))
	})
	if p := tr.ui(ctx, t).Settings.Playoff; p == nil || p.Format != "double_elimination" || p.Advance != 4 || p.GrandFinal != "single" || p.ThirdPlace {
		t.Errorf("created playoff %+v; want double elimination of 4 with a one-match grand final", p)
	}
}
