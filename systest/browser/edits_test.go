package browser

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// press clears the page's messages, then clicks the element: a message (sticky at the top of the
// page) would otherwise cover a button scrolled under it, and take the click.
func press(sel string) []chromedp.Action[chromedp.Void] {
	return []chromedp.Action[chromedp.Void]{chromedp.Evaluate[chromedp.Void](clearMessages), chromedp.Click(chromedp.CSS(sel))}
}

// order reads the participant list of a page, top first, as player ids joined by commas.
const order = `[...document.querySelectorAll('#participants > li')].map((li) => li.dataset.testid.replace('participant-', '')).join()`

// TestBrowserOrganiserEdits: the organiser adds players from a textarea, reorders the seeds
// (a move, then by rating), renames the tournament and gives it a description, hands out a
// personal link that signs a player in on another browser, starts, and deletes the tournament;
// a spectator tab that never reloads follows every step live.
func TestBrowserOrganiserEdits(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	base := startHub(ctx, t)
	browser := newBrowser(ctx, t) // 1280x900

	org := newTab(t, browser, "organiser")
	org.do("create the tournament",
		chromedp.Navigate(base+"/organiser.html"),
		chromedp.WaitVisible(chromedp.ID("create-name")),
		chromedp.SetValue(chromedp.ID("create-name"), "Edit Cup"),
		chromedp.SetValue(chromedp.ID("create-format"), "single_elimination"),
		chromedp.SetValue(chromedp.ID("create-max-players"), "8"),
		chromedp.Click(chromedp.ID("create-submit")),
	)
	org.wait("the organiser view", `location.search.includes('t=') && !document.getElementById('org-view').hidden`)
	tid := org.text(`[data-testid="tournament-id"]`)
	org.wait("the tournament state", `document.querySelector('[data-testid=tournament-status][data-status=registering]')`)
	orgToken := org.eval("read the organiser key", fmt.Sprintf(`localStorage.getItem('tourhub:organiser:' + %q) || ''`, tid))
	if tid == "" || orgToken == "" {
		t.Fatalf("organiser page: tournament id %q, key %q", tid, orgToken)
	}

	spec := newTab(t, browser, "spectator")
	spec.do("open the spectator page", chromedp.Navigate(base+"/spectator.html?t="+tid))
	spec.wait("the spectator's first snapshot", `document.querySelector('[data-testid=tournament-status][data-status=registering]')`)
	spec.do("mark the page", chromedp.Evaluate[chromedp.Void](`window.__e2eMarker = 'no reload'`))

	// Four players from the textarea, one with a rating: one request, one result, four links.
	org.do("add four players",
		chromedp.Evaluate[chromedp.Void](clearMessages),
		chromedp.SetValue(chromedp.ID("add-players"), "Ada\nGrace,2100\nLinus\nKen\n"),
		chromedp.Click(chromedp.CSS(`[data-testid=add-players-submit]`)),
	)
	org.wait("the answer to the batch", answered)
	if e := org.text(`[data-testid=msg-error]`); e != "" {
		t.Fatalf("adding players refused: %s", e)
	}
	org.wait("four participants", `document.querySelectorAll('#participants > li').length === 4`)
	org.wait("four personal links", `document.querySelectorAll('#player-links > li').length === 4`)
	if got := org.text(`[data-testid=add-result]`); !strings.Contains(got, "4 players") {
		t.Errorf("add result says %q; want how many were added (4 players)", got)
	}
	if got := org.eval("the textarea", `document.getElementById('add-players').value`); got != "" {
		t.Errorf("textarea still holds %q after the players were added", got)
	}
	var ids map[string]string // name -> player id
	if err := json.Unmarshal([]byte(org.eval("read the participants",
		`JSON.stringify(Object.fromEntries([...document.querySelectorAll('#participants > li')].map((li) => [li.querySelector('strong').textContent, li.dataset.playerId])))`)), &ids); err != nil {
		t.Fatal(err)
	}
	ada, grace, linus, ken := ids["Ada"], ids["Grace"], ids["Linus"], ids["Ken"]
	if ada == "" || grace == "" || linus == "" || ken == "" {
		t.Fatalf("participants on the organiser page: %v; want Ada, Grace, Linus and Ken", ids)
	}
	if got := org.text(fmt.Sprintf(`[data-testid="participant-%s"]`, grace)); !strings.Contains(got, "2100") {
		t.Errorf("Grace's row %q does not show her rating 2100", got)
	}
	seq := func(pids ...string) string { return strings.Join(pids, ",") }
	joined := seq(ada, grace, linus, ken)
	for _, b := range []*tab{org, spec} {
		b.wait("the four players in join order", order+` === `+q(joined))
	}
	for name, pid := range ids {
		if got := spec.text(fmt.Sprintf(`#participants [data-testid="participant-%s"]`, pid)); !strings.Contains(got, name) {
			t.Errorf("spectator row of %s reads %q", name, got)
		}
	}
	if got := org.text(fmt.Sprintf(`[data-testid="seed-%s"]`, linus)); got != "3." {
		t.Errorf("Linus's seed position %q; want 3.", got)
	}

	// Linus moves up one place: both pages show the new order.
	org.do("move Linus up", press(fmt.Sprintf(`[data-testid="move-up-%s"]`, linus))...)
	moved := seq(ada, linus, grace, ken)
	for _, b := range []*tab{org, spec} {
		b.wait("Linus second", order+` === `+q(moved))
	}
	org.wait("Linus's position 2", fmt.Sprintf(`document.querySelector('[data-testid="seed-%s"]').textContent === '2.'`, linus))
	if got := org.eval("top seed's move up", fmt.Sprintf(`String(document.querySelector('[data-testid="move-up-%s"]').disabled)`, ada)); got != "true" {
		t.Errorf("the top seed can be moved up (disabled=%s)", got)
	}

	// By rating: Grace (2100) first, the others (no rating) in join order.
	org.do("seed by rating", press(`[data-testid=seed-rating]`)...)
	rated := seq(grace, ada, linus, ken)
	for _, b := range []*tab{org, spec} {
		b.wait("the rating order", order+` === `+q(rated))
	}

	// A new name and a description with a line break and markup, shown as text.
	const desc = "Saturday 10:00\n<b>Bring</b> your own controller"
	org.do("edit the details",
		chromedp.SetValue(chromedp.CSS(`[data-testid=edit-name]`), "Winter Cup"),
		chromedp.SetValue(chromedp.CSS(`[data-testid=edit-description]`), desc))
	org.do("save the details", press(`[data-testid=edit-save]`)...)
	org.wait("the answer to the edit", answered)
	if e := org.text(`[data-testid=msg-error]`); e != "" {
		t.Fatalf("edit refused: %s", e)
	}
	descShown := fmt.Sprintf(`(document.querySelector('[data-testid=tournament-description]') || {}).textContent === %s`, q(desc))
	spec.wait("the new name and description", `document.querySelector('[data-testid=tournament-name]').textContent === 'Winter Cup' && `+descShown)
	org.wait("the new name and description on the organiser page", `document.querySelector('[data-testid=tournament-name]').textContent === 'Winter Cup' && `+descShown)
	if got := spec.eval("the description as text", `String(!!document.querySelector('[data-testid=tournament-description] *'))`); got != "false" {
		t.Error("the description was rendered as markup; want text")
	}
	lines := spec.eval("the description's lines", `(() => {
	  const el = document.querySelector('[data-testid=tournament-description]');
	  const cs = getComputedStyle(el);
	  return cs.whiteSpace + ' ' + String(el.getBoundingClientRect().height > 1.5 * parseFloat(cs.lineHeight));
	})()`)
	if lines != "pre-wrap true" {
		t.Errorf("description white-space and two lines: %q; want the line break kept (pre-wrap true)", lines)
	}

	// "Player link" issues a fresh link: it comes first in the list.
	org.do("ask for Ada's link", press(fmt.Sprintf(`[data-testid="player-link-%s"]`, ada))...)
	org.wait("Ada's link on top", fmt.Sprintf(`(document.querySelector('#player-links > li') || {dataset: {}}).dataset.playerId === %q`, ada))

	// Ken's personal link, opened in a browser that never saw this tournament, signs him in.
	link := org.eval("read Ken's link", fmt.Sprintf(`document.querySelector('[data-testid="link-%s-url"]').value`, ken))
	if !strings.HasPrefix(link, base+"/player.html?t="+tid+"#token=") {
		t.Fatalf("Ken's personal link %q; want %s/player.html?t=%s#token=...", link, base, tid)
	}
	kenTab := newTab(t, browser, "Ken (personal link)")
	kenTab.do("open the personal link", chromedp.Navigate(link))
	kenTab.wait("Ken recognised", fmt.Sprintf(`(document.querySelector('[data-testid=my-name][data-player-id="%s"]') || {}).textContent === 'Ken'`, ken))
	if got := kenTab.eval("the address", `location.hash`); got != "" {
		t.Errorf("the token stays in the address bar: hash %q", got)
	}
	if got := kenTab.eval("the stored token", fmt.Sprintf(`String(!!localStorage.getItem('tourhub:player:' + %q))`, tid)); got != "true" {
		t.Error("the personal link's token was not kept")
	}

	// A link with a token of another role or another tournament is refused, and says why.
	var other struct {
		Tournament struct {
			ID string `json:"id"`
		} `json:"tournament"`
		OrganiserToken string `json:"organiser_token"`
	}
	mustAPI(ctx, t, http.MethodPost, base+"/api/tournaments", "", map[string]any{"name": "Other Cup", "format": "round_robin"}, &other)
	var added struct {
		Players []struct {
			Token string `json:"token"`
		} `json:"players"`
	}
	mustAPI(ctx, t, http.MethodPost, base+"/api/tournaments/"+other.Tournament.ID+"/players/batch", other.OrganiserToken, map[string]any{"players": []map[string]any{{"name": "Stranger"}}}, &added)
	for _, bad := range []struct{ what, token, says string }{
		{"the organiser key", orgToken, "organiser"},
		{"another tournament's player", added.Players[0].Token, "another tournament"},
	} {
		b := newTab(t, browser, "link with "+bad.what)
		b.do("open the link", chromedp.Navigate(base+"/player.html?t="+tid+"#token="+bad.token))
		b.wait("the refusal", `document.querySelector('[data-testid=msg-error]')`)
		if got := b.text(`[data-testid=msg-error]`); !strings.Contains(got, bad.says) {
			t.Errorf("link with %s: message %q; want it to say %q", bad.what, got, bad.says)
		}
		b.wait("the page as for a newcomer", `!document.getElementById('join-view').hidden`)
		if got := b.eval("signed in?", fmt.Sprintf(`String(!!document.querySelector('[data-testid=my-name]') || !!localStorage.getItem('tourhub:player:' + %q))`, tid)); got != "false" {
			t.Errorf("link with %s signed the page in", bad.what)
		}
	}

	// The start: the seed and rating controls go, renaming stays.
	org.do("start", press(`#start`)...)
	org.wait("the running tournament", `document.querySelector('[data-testid=tournament-status][data-status=running]')`)
	for _, pid := range ids {
		for _, c := range []string{"move-up-", "move-down-", "seed-"} {
			if got := org.eval("a seed control", fmt.Sprintf(`String(!!document.querySelector('[data-testid="%s%s"]'))`, c, pid)); got != "false" {
				t.Errorf("%s%s still shown after the start", c, pid)
			}
		}
	}
	if got := org.eval("the seed tools", `String(document.getElementById('seed-tools').hidden && document.getElementById('add-form').hidden)`); got != "true" {
		t.Error("seed by rating, shuffle or add players still shown after the start")
	}
	org.do("open Ada's editor", press(fmt.Sprintf(`[data-testid="edit-%s"]`, ada))...)
	org.wait("the name field", fmt.Sprintf(`document.querySelector('[data-testid="edit-%s-name"]')`, ada))
	if got := org.eval("the rating field", fmt.Sprintf(`String(!!document.querySelector('[data-testid="edit-%s-rating"]'))`, ada)); got != "false" {
		t.Error("the rating can be edited after the start")
	}
	org.do("rename Ada", chromedp.SetValue(chromedp.CSS(fmt.Sprintf(`[data-testid="edit-%s-name"]`, ada)), "Ada L."))
	org.do("save Ada's name", press(fmt.Sprintf(`[data-testid="edit-%s-save"]`, ada))...)
	spec.wait("Ada's new name", fmt.Sprintf(`document.querySelector('#participants [data-testid="participant-%s"]').textContent.includes('Ada L.')`, ada))
	kenTab.wait("the start on Ken's page", `document.querySelector('[data-testid=tournament-status][data-status=running]') && document.querySelector('[data-testid=my-name]').textContent === 'Ken'`)

	// Deleting asks first, then the organiser page says so and every watcher gets the banner.
	org.do("delete", press(`[data-testid=delete]`)...)
	org.wait("the confirmation", `!document.getElementById('delete-confirm').hidden`)
	org.do("confirm", press(`[data-testid=delete-yes]`)...)
	org.wait("the deleted page", `!document.getElementById('deleted-view').hidden && document.getElementById('org-view').hidden`)
	if got := org.text(`[data-testid=deleted-view] h1`); got != "The tournament was deleted." {
		t.Errorf("organiser page says %q after the delete", got)
	}
	if got := org.attr(`[data-testid=back-to-list]`, "href"); got != "index.html" {
		t.Errorf("link back to the list: %q", got)
	}
	const deleted = `(document.querySelector('[data-testid=deleted-banner]') || {}).textContent === 'This tournament was deleted by its organiser.'`
	spec.wait("the deleted banner", deleted)
	kenTab.wait("the deleted banner on Ken's page", deleted+` && document.getElementById('me-view').hidden`)
	for _, b := range []*tab{spec, kenTab, org} {
		b.wait("no live dot", `(() => { const c = document.querySelector('[data-testid=conn-status]');
		  return c.dataset.state === 'ended' && getComputedStyle(c, '::before').display === 'none'; })()`)
	}
	if got := spec.eval("read the marker", `String(window.__e2eMarker)`); got != "no reload" {
		t.Errorf("spectator page was reloaded (marker %q); want live updates only", got)
	}
	if code, msg := apiCall(ctx, t, http.MethodGet, base+"/api/tournaments/"+tid, "", nil, nil); code != http.StatusNotFound {
		t.Errorf("GET the deleted tournament: %d %s; want 404", code, msg)
	}
}

// TestStateEditEvents: the model applies the organiser's edits (tournament_edited,
// player_edited, seeds_changed, tournament_deleted) and keeps the description of a snapshot;
// the seed order puts the placed players first; the header shows the description as text and a
// deleted tournament's banner.
func TestStateEditEvents(t *testing.T) {
	page := modulePage(t, "edit events")
	got := page.eval("apply the edit events", `import('/js/state.js').then((s) => {
	  const m = s.fromSnapshot({id: 't1', name: 'T', description: 'Old', format: 'single_elimination', status: 'registering', version: 1,
	    settings: {format: 'single_elimination', best_of: 1, seeding: 'given'},
	    participants: [{id: 1, name: 'Ada', rating: 5}, {id: 2, name: 'Grace'}, {id: 3, name: 'Linus'}, {id: 4, name: 'Ken'}], matches: [], standings: []});
	  const out = {snapshot: m.description};
	  s.applyEvents(m, [{type: 'tournament_edited', name: 'Winter Cup', description: 'Line 1\nLine 2'}], 2);
	  out.edited = [m.name, m.description];
	  s.applyEvents(m, [{type: 'tournament_edited', name: 'Winter Cup'}], 3);
	  out.cleared = m.description;
	  s.applyEvents(m, [{type: 'player_edited', player: 1, participant: {id: 1, name: 'Ada L.'}}], 4);
	  out.player = m.participants[0];
	  out.before = s.seedOrder(m).map((p) => p.id);
	  s.applyEvents(m, [{type: 'player_edited', player: 3, participant: {id: 3, name: 'Linus'}},
	    {type: 'seeds_changed', participants: [{id: 1, name: 'Ada L.', seed: 3}, {id: 2, name: 'Grace', seed: 1}, {id: 3, name: 'Linus', seed: 2}, {id: 4, name: 'Ken'}],
	     settings: {format: 'single_elimination', best_of: 3, seeding: 'given'}}], 5);
	  out.seeds = m.participants.map((p) => p.seed || 0);
	  out.order = s.seedOrder(m).map((p) => p.id);
	  out.settings = m.settings.best_of;
	  s.applyEvents(m, [{type: 'tournament_deleted'}], 6);
	  out.status = m.status;
	  out.v = m.version;
	  const r = s.fromSnapshot({id: 't2', status: 'registering', settings: {seeding: 'rating'},
	    participants: [{id: 1, name: 'A'}, {id: 2, name: 'B', rating: 10}, {id: 3, name: 'C'}]});
	  out.rating = s.seedOrder(r).map((p) => p.id);
	  out.none = r.description;
	  return JSON.stringify(out);
	})`)
	want := `{"snapshot":"Old","edited":["Winter Cup","Line 1\nLine 2"],"cleared":"","player":{"id":1,"name":"Ada L."},` +
		`"before":[1,2,3,4],"seeds":[3,1,2,0],"order":[2,3,1,4],"settings":3,"status":"deleted","v":6,"rating":[2,1,3],"none":""}`
	if got != want {
		t.Errorf("model after the edit events:\n got %s\nwant %s", got, want)
	}

	got = page.eval("render the header", `Promise.all([import('/js/state.js'), import('/js/page.js')]).then(([s, p]) => {
	  const m = s.fromSnapshot({id: 't1', name: 'T', description: '<img src=x onerror="window.pwned=1">\nSecond line', format: 'swiss',
	    status: 'registering', settings: {format: 'swiss'}, participants: []});
	  const el = document.createElement('section');
	  document.body.append(el);
	  p.renderHead(el, m);
	  const d = el.querySelector('[data-testid=tournament-description]');
	  const out = {text: d.textContent, markup: !!el.querySelector('img'), ws: getComputedStyle(d).whiteSpace, banner: !!el.querySelector('[data-testid=deleted-banner]')};
	  s.applyEvents(m, [{type: 'tournament_deleted'}], 2);
	  p.renderHead(el, m);
	  const b = el.querySelector('[data-testid=deleted-banner]');
	  out.deleted = b ? b.textContent : null;
	  out.status = el.querySelector('[data-testid=tournament-status]').dataset.status;
	  out.buttons = el.querySelectorAll('button, a, form').length;
	  s.applyEvents(m, [{type: 'tournament_edited', name: 'T'}], 3);
	  p.renderHead(el, m);
	  out.noDescription = !el.querySelector('[data-testid=tournament-description]');
	  el.remove();
	  return JSON.stringify(out);
	})`)
	want = `{"text":"<img src=x onerror=\"window.pwned=1\">\nSecond line","markup":false,"ws":"pre-wrap","banner":false,` +
		`"deleted":"This tournament was deleted by its organiser.","status":"deleted","buttons":0,"noDescription":true}`
	if got != want {
		t.Errorf("header:\n got %s\nwant %s", got, want)
	}
}
