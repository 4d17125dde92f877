package browser

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// apiCall sends a request to the hub's API (body as JSON unless it is a []byte) and decodes a 2xx
// answer into out; it returns the status, and the error message of any other answer.
func apiCall(ctx context.Context, t *testing.T, method, url, token string, body, out any) (int, string) {
	t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		r = bytes.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		r = bytes.NewReader(j)
	}
	req, _ := http.NewRequestWithContext(ctx, method, url, r)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	if res.StatusCode >= 300 {
		return res.StatusCode, string(data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: %v in %q", method, url, err, data)
		}
	}
	return res.StatusCode, ""
}

// mustAPI is apiCall for requests that must succeed.
func mustAPI(ctx context.Context, t *testing.T, method, url, token string, body, out any) {
	t.Helper()
	if code, msg := apiCall(ctx, t, method, url, token, body, out); code >= 300 {
		t.Fatalf("%s %s: %d %s", method, url, code, msg)
	}
}

type apiMatch struct {
	ID      int      `json:"id"`
	Round   int      `json:"round"`
	Status  string   `json:"status"`
	Players []int    `json:"players"`
	Games   [][2]int `json:"games"`
	Reports []*struct {
		Scores []int `json:"scores"`
	} `json:"reports"`
}

type apiState struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Status   string `json:"status"`
	Version  int    `json:"version"`
	Settings struct {
		Legs int `json:"legs"`
	} `json:"settings"`
	Matches      []apiMatch `json:"matches"`
	Participants []struct {
		ID   int    `json:"id"`
		Name string `json:"name"`
	} `json:"participants"`
	Standings []struct {
		PlayerID int `json:"player_id"`
		Rank     int `json:"rank"`
		RankTo   int `json:"rank_to"`
	} `json:"standings"`
}

type apiNotice struct {
	Version int    `json:"version"`
	Kind    string `json:"kind"`
	Match   int    `json:"match"`
	Text    string `json:"text"`
}

// tourney is a tournament made through the API: its organiser token and its players' ids and
// tokens by name.
type tourney struct {
	base, id, org string
	pid           map[string]int
	token         map[string]string
}

func (tr *tourney) url(p string) string { return tr.base + "/api/tournaments/" + tr.id + p }

func newTourney(ctx context.Context, t *testing.T, base string, settings map[string]any) *tourney {
	t.Helper()
	var cr struct {
		Tournament     apiState `json:"tournament"`
		OrganiserToken string   `json:"organiser_token"`
	}
	mustAPI(ctx, t, http.MethodPost, base+"/api/tournaments", "", settings, &cr)
	return &tourney{base: base, id: cr.Tournament.ID, org: cr.OrganiserToken, pid: map[string]int{}, token: map[string]string{}}
}

func (tr *tourney) join(ctx context.Context, t *testing.T, names ...string) {
	t.Helper()
	for _, n := range names {
		var j struct {
			PlayerID int    `json:"player_id"`
			Token    string `json:"token"`
		}
		mustAPI(ctx, t, http.MethodPost, tr.url("/players"), "", map[string]any{"name": n}, &j)
		tr.pid[n], tr.token[n] = j.PlayerID, j.Token
	}
}

// command posts an organiser command and returns the version it made.
func (tr *tourney) command(ctx context.Context, t *testing.T, p string, body any) int {
	t.Helper()
	var r struct {
		Version int `json:"version"`
	}
	mustAPI(ctx, t, http.MethodPost, tr.url(p), tr.org, body, &r)
	return r.Version
}

func (tr *tourney) state(ctx context.Context, t *testing.T) apiState {
	t.Helper()
	var s apiState
	mustAPI(ctx, t, http.MethodGet, tr.url(""), "", nil, &s)
	return s
}

// matchOf returns the match of round r that the player is in.
func (s apiState) matchOf(t *testing.T, r, pid int) apiMatch {
	t.Helper()
	for _, m := range s.Matches {
		if m.Round == r && (m.Players[0] == pid || m.Players[1] == pid) {
			return m
		}
	}
	t.Fatalf("no round %d match of player %d in %+v", r, pid, s.Matches)
	return apiMatch{}
}

// played is a four-player single elimination (best of 3) played to the end by the organiser:
// Ada beats Ken 2-1 with game points, Grace beats Linus 2-0, Ada beats Grace 2-0.
type played struct {
	*tourney
	started, end int    // the versions of the start and of the last result
	semi         int    // the match with game points
	semiGames    string // its games as its card shows them
}

func playSingleElimination(ctx context.Context, t *testing.T, base, name string) played {
	t.Helper()
	tr := newTourney(ctx, t, base, map[string]any{"name": name, "format": "single_elimination", "best_of": 3, "max_players": 4})
	tr.join(ctx, t, "Ada", "Grace", "Linus", "Ken")
	p := played{tourney: tr}
	p.started = tr.command(ctx, t, "/start", struct{}{})
	s := tr.state(ctx, t)
	semi := s.matchOf(t, 1, tr.pid["Ada"])
	p.semi = semi.ID
	result := map[string]any{"scores": []int{2, 1}, "games": [][]int{{11, 3}, {8, 11}, {11, 9}}}
	p.semiGames = "11-3 · 8-11 · 11-9"
	if semi.Players[0] != tr.pid["Ada"] {
		result = map[string]any{"scores": []int{1, 2}, "games": [][]int{{3, 11}, {11, 8}, {9, 11}}}
		p.semiGames = "3-11 · 11-8 · 9-11"
	}
	tr.command(ctx, t, fmt.Sprintf("/matches/%d/result", p.semi), result)
	tr.command(ctx, t, fmt.Sprintf("/matches/%d/result", s.matchOf(t, 1, tr.pid["Grace"]).ID), map[string]any{"scores": []int{2, 0}})
	final := tr.state(ctx, t).matchOf(t, 2, tr.pid["Ada"])
	scores := []int{2, 0}
	if final.Players[0] != tr.pid["Ada"] {
		scores = []int{0, 2}
	}
	p.end = tr.command(ctx, t, fmt.Sprintf("/matches/%d/result", final.ID), map[string]any{"scores": scores})
	if st := tr.state(ctx, t); st.Status != "finished" || st.Version != p.end {
		t.Fatalf("after the final: status %s at version %d; want finished at %d", st.Status, st.Version, p.end)
	}
	return p
}

// replayTo moves the spectator's replay slider to version n, as a drag let go there does.
func replayTo(n int) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => {
	  const r = document.getElementById('replay-range');
	  r.value = '%d';
	  r.dispatchEvent(new Event('input', {bubbles: true}));
	  r.dispatchEvent(new Event('change', {bubbles: true}));
	})()`, n))
}

// shown is the condition that the replay draws version v ("live" for the live state) and its
// label says so.
func shown(v string, label string) string {
	return fmt.Sprintf(`(() => { const l = document.getElementById('replay-label');
	  return l.dataset.shown === %q && l.textContent === %q; })()`, v, label)
}

// TestBrowserReplay: a finished tournament on the spectator page offers a replay: the slider
// goes to version 1 (registering, nobody yet), to the start (a bracket without results) and to
// the end; Previous and Next step by one; a version fetched once is not fetched again; a change
// arriving meanwhile is held back until "Back to live". The match played with game points shows
// them on its card, the standings show the game points, and the three download links answer.
func TestBrowserReplay(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	base := startHub(ctx, t)
	p := playSingleElimination(ctx, t, base, "Replay Cup")
	browser := newBrowser(ctx, t)

	games := fmt.Sprintf(`[data-testid="match-%d-games"]`, p.semi)
	semiGames := p.semiGames
	spec := newTab(t, browser, "spectator")
	// Every ?version= request of the page is counted, to see the cache at work.
	if _, err := chromedp.Call(spec.ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: `
	  window.__versions = [];
	  const fetch0 = window.fetch;
	  window.fetch = function (u, o) {
	    const m = /[?&]version=(\d+)/.exec(String(u));
	    if (m) window.__versions.push(Number(m[1]));
	    return fetch0.call(this, u, o);
	  };`}); err != nil {
		t.Fatal(err)
	}
	spec.do("open the spectator page", chromedp.Navigate(base+"/spectator.html?t="+p.id))
	spec.wait("the finished tournament", `document.querySelector('[data-testid=tournament-status][data-status=finished]')`)
	if got := spec.text(games); got != semiGames {
		t.Errorf("semi-final %d shows games %q; want %s", p.semi, got, semiGames)
	}
	end := fmt.Sprint(p.end)
	spec.wait("the replay control", `!document.getElementById('replay-view').hidden && `+shown("live", "Version "+end+" of "+end+" (live)"))
	if got := spec.eval("the slider", `(() => { const r = document.getElementById('replay-range');
	  return [r.min, r.max, r.value, document.querySelector('label[for=replay-range]').textContent].join(); })()`); got != "1,"+end+","+end+",Version" {
		t.Errorf("slider min,max,value,label = %s; want 1,%s,%s,Version", got, end, end)
	}
	if got := spec.eval("the live button", `String(document.getElementById('replay-live').disabled && document.getElementById('replay-next').disabled)`); got != "true" {
		t.Error("Back to live or Next enabled on the live state")
	}

	// The semi-final played with game points shows them under its score; the standings too.
	if got := spec.eval("matches with games", `String(document.querySelectorAll('#bracket .match .games').length)`); got != "1" {
		t.Errorf("%s match cards show games; want 1 (only one result gave them)", got)
	}
	if got := spec.eval("standings head", `[...document.querySelectorAll('[data-testid=standings] thead th')].map((th) => th.textContent).join()`); got != "Rank,Player,W,L,Game pts" {
		t.Errorf("standings columns %q; want Rank,Player,W,L,Game pts", got)
	}
	for name, want := range map[string]string{"Ada": "30-23", "Ken": "23-30", "Grace": "0-0"} {
		if got := spec.text(fmt.Sprintf(`[data-testid="game-points-%d"]`, p.pid[name])); got != want {
			t.Errorf("%s's game points %q; want %s", name, got, want)
		}
	}

	// Version 1: the tournament as created, nobody registered.
	spec.do("replay version 1", replayTo(1))
	spec.wait("version 1", shown("1", "Version 1 of "+end)+
		` && document.querySelector('[data-testid=tournament-status][data-status=registering]')`+
		` && document.querySelector('#bracket [data-testid=bracket-empty]') && !document.getElementById('participants-empty').hidden`)
	if got := spec.eval("buttons at version 1", `String(document.getElementById('replay-prev').disabled) + String(document.getElementById('replay-live').disabled)`); got != "truefalse" {
		t.Errorf("at version 1: Previous disabled, Back to live disabled = %s; want truefalse", got)
	}

	// A change now (the organiser renames the finished tournament) reaches the live copy, not
	// the page: the slider's end moves, what is drawn stays.
	var edit struct {
		Version int `json:"version"`
	}
	mustAPI(ctx, t, http.MethodPatch, p.url(""), p.org, map[string]any{"name": "Replay Cup (renamed)"}, &edit)
	newest := fmt.Sprint(edit.Version)
	spec.wait("the new version in the label", shown("1", "Version 1 of "+newest)+` && document.getElementById('replay-range').max === `+q(newest))
	if got := spec.text(`[data-testid=tournament-name]`); got != "Replay Cup" {
		t.Errorf("while replaying version 1 the page shows the name %q; want the name of then, Replay Cup", got)
	}

	// The version just after the start: the bracket without any result.
	started := fmt.Sprint(p.started)
	spec.do("replay the start", replayTo(p.started))
	spec.wait("the start", shown(started, "Version "+started+" of "+newest)+
		` && document.querySelector('[data-testid=tournament-status][data-status=running]')`)
	if got := spec.eval("the bracket at the start", `[...document.querySelectorAll('#bracket .match')].map((m) => m.dataset.status).join()`); got != "ready,ready,pending" {
		t.Errorf("matches at the start: %s; want ready,ready,pending", got)
	}
	if got := spec.eval("games at the start", `String(!!document.querySelector('#bracket .match .games'))`); got != "false" {
		t.Error("games shown before any result")
	}

	// Previous and Next step one version; the start, fetched before, is not fetched again.
	spec.do("previous", press(`#replay-prev`)...)
	before := fmt.Sprint(p.started - 1)
	spec.wait("the version before the start", shown(before, "Version "+before+" of "+newest)+
		` && document.querySelector('[data-testid=tournament-status][data-status=registering]') && document.querySelectorAll('#participants li').length === 4`)
	spec.do("next", press(`#replay-next`)...)
	spec.wait("the start again", shown(started, "Version "+started+" of "+newest))
	if got := spec.eval("fetches of the start", fmt.Sprintf(`String(window.__versions.filter((v) => v === %d).length)`, p.started)); got != "1" {
		t.Errorf("version %d fetched %s times; want once (cached)", p.started, got)
	}

	// The end: the final decided, the old name still.
	spec.do("replay the end", replayTo(p.end))
	spec.wait("the end", shown(end, "Version "+end+" of "+newest)+
		` && document.querySelector('[data-testid=tournament-status][data-status=finished]') && document.querySelectorAll('#bracket .match[data-status=completed]').length === 3`)
	if got := spec.text(games); got != semiGames {
		t.Errorf("replayed semi-final shows games %q; want %s", got, semiGames)
	}
	if got := spec.text(`[data-testid=tournament-name]`); got != "Replay Cup" {
		t.Errorf("replayed name %q; want Replay Cup", got)
	}

	// Back to live: the rename shows now.
	spec.do("back to live", press(`#replay-live`)...)
	spec.wait("the live state", shown("live", "Version "+newest+" of "+newest+" (live)")+
		` && document.querySelector('[data-testid=tournament-name]').textContent === 'Replay Cup (renamed)'`)
	if got := spec.eval("the live button", `String(document.getElementById('replay-live').disabled)`); got != "true" {
		t.Error("Back to live still enabled on the live state")
	}

	// The downloads: plain links, each answering.
	got := spec.eval("fetch the downloads", `Promise.all([...document.querySelectorAll('#downloads a[download]')].map((a) =>
	  fetch(a.href).then((r) => a.textContent + '=' + r.status))).then((l) => l.join())`)
	if want := "Download results (JSON)=200,Standings (CSV)=200,Matches (CSV)=200"; got != want {
		t.Errorf("downloads: %s; want %s", got, want)
	}
	if got := spec.attr(`[data-testid=download-json]`, "href"); got != "/api/tournaments/"+p.id+"/export" {
		t.Errorf("JSON download link %q", got)
	}
}

// TestBrowserReplayHistoryGone: when the hub no longer holds the whole history (here: it keeps 3
// commands), the replay says so and its control goes; the live state stays.
func TestBrowserReplayHistoryGone(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	base := startHub(ctx, t, "--max-events", "3")
	tr := newTourney(ctx, t, base, map[string]any{"name": "Short Cup", "format": "round_robin",
		"retention": map[string]string{"finished": "90m", "idle": "3h", "log": "2h"}})
	tr.join(ctx, t, "Ada", "Grace")
	tr.command(ctx, t, "/cancel", struct{}{})
	browser := newBrowser(ctx, t)

	// Both pages with downloads say how long the hub keeps the tournament and how much of its
	// history: this tournament's retention and this node's --max-events.
	keeping := "This hub keeps the tournament for 1 hour 30 minutes after its last change once it is over (3 hours while it is not), " +
		"and its history (the last 3 changes, for replays) for 2 hours. Download the results (JSON) to keep them longer: the create page imports the file into any hub."
	org := newTab(t, browser, "organiser")
	org.do("open the organiser link", chromedp.Navigate(base+"/organiser.html?t="+tr.id+"#token="+tr.org))
	org.wait("the retention note", `document.querySelector('[data-testid=keeping]').textContent !== ''`)
	if got := org.text(`[data-testid=keeping]`); got != keeping {
		t.Errorf("organiser page: %q; want %q", got, keeping)
	}

	spec := newTab(t, browser, "spectator")
	spec.do("open the spectator page", chromedp.Navigate(base+"/spectator.html?t="+tr.id))
	spec.wait("the retention note", `document.querySelector('[data-testid=keeping]').textContent !== ''`)
	if got := spec.text(`[data-testid=keeping]`); got != keeping {
		t.Errorf("spectator page: %q; want %q", got, keeping)
	}
	spec.wait("the replay control", `document.querySelector('[data-testid=tournament-status][data-status=cancelled]') && !document.getElementById('replay-view').hidden && !document.getElementById('replay-prev').disabled`)
	spec.do("previous", press(`#replay-prev`)...)
	spec.wait("the message", `!document.getElementById('replay-gone').hidden && document.getElementById('replay-controls').hidden && document.getElementById('replay-gone').textContent.includes('keeps')`)
	if got, want := spec.text(`[data-testid=replay-gone]`), "The history of this tournament is no longer kept: this hub keeps the last 3 changes of a tournament for 2 hours after its last change."; got != want {
		t.Errorf("message %q; want %q", got, want)
	}
	if got := spec.eval("the page", `document.querySelector('[data-testid=tournament-status]').dataset.status + ' ' + document.querySelectorAll('#participants li').length + ' ' + document.querySelectorAll('#messages .msg-error').length`); got != "cancelled 2 0" {
		t.Errorf("status, players, errors after the answer: %s; want the live state (cancelled 2) and no error", got)
	}
}

// noticesOnPage reads the player's message list, top first, as [kind, text].
const noticesOnPage = `JSON.stringify([...document.querySelectorAll('#notices [data-testid=notice]')].map((li) =>
  [li.dataset.kind, li.lastChild.textContent]))`

// noticesJSON is the hub's list as the page shows it: newest on top.
func noticesJSON(list []apiNotice) string {
	rows := make([][]any, 0, len(list))
	for i := len(list) - 1; i >= 0; i-- {
		rows = append(rows, []any{list[i].Kind, list[i].Text})
	}
	b, _ := json.Marshal(rows)
	return string(b)
}

func (tr *tourney) notices(ctx context.Context, t *testing.T, token string) (int, []apiNotice) {
	t.Helper()
	var r struct {
		Version  int         `json:"version"`
		Complete bool        `json:"complete"`
		Notices  []apiNotice `json:"notices"`
	}
	mustAPI(ctx, t, http.MethodGet, tr.url("/notices?after=0"), token, nil, &r)
	if !r.Complete {
		t.Fatalf("notices: complete false")
	}
	return r.Version, r.Notices
}

// TestBrowserNoticesSurviveReload: a player's messages come back after a reload, each once, in
// the order they came; one committed while the reloaded page's socket is not up yet is fetched
// once it is; and ones that arrive live while the page is still fetching the earlier ones (the
// hub's list then has them too) are shown once.
func TestBrowserNoticesSurviveReload(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	base := startHub(ctx, t)
	tr := newTourney(ctx, t, base, map[string]any{"name": "Notice Cup", "format": "single_elimination", "max_players": 4})

	ada := joinOnPage(t, newBrowser(ctx, t), base, tr.id, "Ada")
	adaToken := ada.eval("Ada's key", fmt.Sprintf(`localStorage.getItem('tourhub:player:' + %q) || ''`, tr.id))
	adaID, _ := strconv.Atoi(ada.attr(`[data-testid=my-name]`, "data-player-id"))
	tr.join(ctx, t, "Grace", "Linus", "Ken")

	// The start and two results: Ada's semi-final is ready, she wins it, the final is ready.
	tr.command(ctx, t, "/start", struct{}{})
	s := tr.state(ctx, t)
	semi := s.matchOf(t, 1, adaID)
	scores := []int{1, 0}
	if semi.Players[0] != adaID {
		scores = []int{0, 1}
	}
	tr.command(ctx, t, fmt.Sprintf("/matches/%d/result", semi.ID), map[string]any{"scores": scores})
	tr.command(ctx, t, fmt.Sprintf("/matches/%d/result", s.matchOf(t, 1, tr.pid["Grace"]).ID), map[string]any{"scores": []int{1, 0}})
	_, list := tr.notices(ctx, t, adaToken)
	if len(list) != 3 {
		t.Fatalf("Ada has %d notices; want 3 (match ready, won, final ready): %+v", len(list), list)
	}
	want := noticesJSON(list)
	ada.wait("the three notices", noticesOnPage+` === `+q(want))

	ada.do("reload", chromedp.Reload())
	ada.wait("the same notices after the reload", noticesOnPage+` === `+q(want))

	// A reload whose socket is held back until Grace has reported the final: the hub sends no
	// notice to a socket that was not there, and the subscription's snapshot repeats none, so the
	// page must fetch the notices again once its socket is up (authenticated and subscribed).
	if _, err := chromedp.Call(ada.ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: `
	  const WebSocket0 = window.WebSocket;
	  function HeldSocket(url, protocols) {
	    if (sessionStorage.getItem('e2e-hold-socket')) {
	      window.__socketHeld = true;
	      throw new Error('socket held by the test');
	    }
	    return new WebSocket0(url, protocols);
	  }
	  Object.assign(HeldSocket, {CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3});
	  HeldSocket.prototype = WebSocket0.prototype;
	  window.WebSocket = HeldSocket;`}); err != nil {
		t.Fatal(err)
	}
	ada.do("hold the socket", chromedp.Evaluate[chromedp.Void](`sessionStorage.setItem('e2e-hold-socket', '1')`))
	ada.do("reload", chromedp.Reload())
	ada.wait("the earlier notices, the socket held", `window.__socketHeld === true && `+noticesOnPage+` === `+q(want))
	final := tr.state(ctx, t).matchOf(t, 2, adaID)
	graceFirst := final.Players[0] == tr.pid["Grace"]
	graceWins := []int{0, 1}
	if graceFirst {
		graceWins = []int{1, 0}
	}
	mustAPI(ctx, t, http.MethodPost, tr.url(fmt.Sprintf("/matches/%d/result", final.ID)), tr.token["Grace"], map[string]any{"scores": graceWins}, nil)
	seen, list := tr.notices(ctx, t, adaToken)
	if len(list) != 4 || list[3].Kind != "reported" {
		t.Fatalf("after Grace's report Ada has %+v; want a fourth notice, reported", list)
	}
	ada.do("release the socket", chromedp.Evaluate[chromedp.Void](`sessionStorage.removeItem('e2e-hold-socket')`))
	ada.wait("Grace's report once the socket is up, once", noticesOnPage+` === `+q(noticesJSON(list)))

	// Another reload, and the page's request for the earlier notices is held until the final's
	// result has come live: the hub's answer then has those too, and each is shown once.
	if _, err := chromedp.Call(ada.ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: `
	  let release;
	  const gate = new Promise((r) => { release = r; });
	  window.__releaseNotices = () => release();
	  const fetch0 = window.fetch;
	  window.fetch = function (u, o) {
	    if (!String(u).includes('/notices')) return fetch0.call(this, u, o);
	    window.__noticesHeld = (window.__noticesHeld || 0) + 1;
	    return gate.then(() => fetch0.call(window, u, o));
	  };`}); err != nil {
		t.Fatal(err)
	}
	ada.do("reload", chromedp.Reload())
	// The page asks on loading, and again once the hub has its socket's auth and subscription:
	// from then on the notices come live.
	ada.wait("the page live, both its notices requests held",
		`window.__noticesHeld === 2 && document.querySelector('[data-testid=my-name]') && document.querySelector('[data-testid=conn-status]').dataset.state === 'open'`)
	adaWins := []int{1, 0}
	if graceFirst {
		adaWins = []int{0, 1}
	}
	tr.command(ctx, t, fmt.Sprintf("/matches/%d/result", final.ID), map[string]any{"scores": adaWins})
	_, list = tr.notices(ctx, t, adaToken)
	var fresh []apiNotice
	for _, n := range list {
		if n.Version > seen {
			fresh = append(fresh, n)
		}
	}
	if len(fresh) < 2 {
		t.Fatalf("the final's result gave Ada %+v; want her win and the finish", fresh)
	}
	ada.wait("the live notices of the final", noticesOnPage+` === `+q(noticesJSON(fresh)))
	ada.do("release the request", chromedp.Evaluate[chromedp.Void](`window.__releaseNotices()`))
	ada.wait("every notice once", noticesOnPage+` === `+q(noticesJSON(list)))
	if got := ada.eval("errors", `String(document.querySelectorAll('#messages .msg-error').length)`); got != "0" {
		t.Errorf("%s error messages on the player page", got)
	}
}

// TestBrowserImport: a finished tournament's export, imported through the organiser page's form,
// is a new tournament the browser organises, finished, with the same standings; an edited file is
// refused with the hub's reason.
func TestBrowserImport(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	base := startHub(ctx, t)
	p := playSingleElimination(ctx, t, base, "Export Cup")
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, p.url("/export"), nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	export, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("export: %d %v", res.StatusCode, err)
	}
	dir := t.TempDir()
	good := filepath.Join(dir, p.id+".json")
	edited := filepath.Join(dir, "edited.json")
	if err := os.WriteFile(good, export, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(edited, bytes.Replace(export, []byte(`"Export Cup"`), []byte(`"Exported Cup"`), 1), 0o644); err != nil {
		t.Fatal(err)
	}

	browser := newBrowser(ctx, t)
	orig := newTab(t, browser, "original")
	orig.do("open the original", chromedp.Navigate(base+"/spectator.html?t="+p.id))
	orig.wait("its standings", `document.querySelectorAll('[data-testid=standings] tbody tr').length === 4`)
	standings := orig.eval("read the standings", `document.querySelector('[data-testid=standings]').innerText`)

	org := newTab(t, browser, "organiser")
	org.do("open the organiser page", chromedp.Navigate(base+"/organiser.html"))
	org.wait("the import form", `!document.getElementById('import-view').hidden && document.querySelector('label[for=import-file]')`)
	org.do("import an edited file",
		chromedp.SetUploadFiles(chromedp.ID("import-file"), []string{edited}),
		chromedp.Evaluate[chromedp.Void](clearMessages),
		chromedp.Click(chromedp.ID("import-submit")),
	)
	org.wait("the refusal", `document.querySelector('[data-testid=msg-error]')`)
	if got := org.text(`[data-testid=msg-error]`); !strings.Contains(got, "Could not import") || !strings.Contains(got, "edited") {
		t.Errorf("an edited file: message %q; want why it was refused", got)
	}
	if got := org.eval("the address", `location.search`); got != "" {
		t.Errorf("a refused import went to %q", got)
	}

	org.do("import the export",
		chromedp.SetUploadFiles(chromedp.ID("import-file"), []string{good}),
		chromedp.Evaluate[chromedp.Void](clearMessages),
		chromedp.Click(chromedp.ID("import-submit")),
	)
	org.wait("the organiser view", `location.search.includes('t=') && !document.getElementById('org-view').hidden`)
	org.wait("the imported tournament", `document.querySelector('[data-testid=tournament-status][data-status=finished]') && document.querySelectorAll('[data-testid=standings] tbody tr').length === 4`)
	tid := org.text(`[data-testid=tournament-id]`)
	if tid == "" || tid == p.id {
		t.Fatalf("imported tournament id %q; want a new one (the original is %s)", tid, p.id)
	}
	if got := org.eval("the organiser key", fmt.Sprintf(`String(!!localStorage.getItem('tourhub:organiser:' + %q))`, tid)); got != "true" {
		t.Error("the imported tournament's organiser key was not kept")
	}
	if got := org.eval("read the standings", `document.querySelector('[data-testid=standings]').innerText`); got != standings {
		t.Errorf("imported standings:\n%s\nwant the original's:\n%s", got, standings)
	}
	if got := org.text(`[data-testid=tournament-name]`); got != "Export Cup" {
		t.Errorf("imported name %q", got)
	}
	if got := org.text(fmt.Sprintf(`[data-testid="match-%d-games"]`, p.semi)); got != p.semiGames {
		t.Errorf("imported semi-final games %q", got)
	}
	// The organiser page offers the downloads too, for the new id.
	if got := org.attr(`[data-testid=download-matches]`, "href"); got != "/api/tournaments/"+tid+"/export/matches.csv" {
		t.Errorf("organiser's matches download %q", got)
	}
	var st apiState
	mustAPI(ctx, t, http.MethodGet, base+"/api/tournaments/"+tid, "", nil, &st)
	if st.Status != "finished" || st.Version != p.end {
		t.Errorf("imported state: %s at version %d; want finished at %d", st.Status, st.Version, p.end)
	}
}

// TestBrowserGameScores: the create form makes a double round robin; a player reports with game
// points on the player page (a typo is refused before anything is sent), the opponent agrees,
// the organiser sets the return match with game points from the match panel, and the spectator
// sees the games on the cards and the game points in the standings.
func TestBrowserGameScores(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	base := startHub(ctx, t)
	browser := newBrowser(ctx, t)

	org := newTab(t, browser, "organiser")
	org.do("create a double round robin",
		chromedp.Navigate(base+"/organiser.html"),
		chromedp.WaitVisible(chromedp.ID("create-name")),
		chromedp.SetValue(chromedp.ID("create-name"), "Ping Pong"),
		chromedp.SetValue(chromedp.ID("create-format"), "round_robin"),
		chromedp.Evaluate[chromedp.Void](`document.getElementById('create-format').dispatchEvent(new Event('change'))`),
		chromedp.SetValue(chromedp.ID("create-best-of"), "3"),
		chromedp.Click(chromedp.ID("create-double")),
		chromedp.Click(chromedp.ID("create-submit")),
	)
	org.wait("the organiser view", `location.search.includes('t=') && !document.getElementById('org-view').hidden && document.querySelector('[data-testid=tournament-status]')`)
	tr := &tourney{base: base, id: org.text(`[data-testid=tournament-id]`), pid: map[string]int{}, token: map[string]string{}}
	tr.org = org.eval("the organiser key", fmt.Sprintf(`localStorage.getItem('tourhub:organiser:' + %q) || ''`, tr.id))
	if st := tr.state(ctx, t); st.Settings.Legs != 2 {
		t.Fatalf("created with legs %d; want 2 (double round robin)", st.Settings.Legs)
	}
	org.wait("the double round robin in the header", `document.querySelector('[data-testid=double-round-robin]')`)

	ada := joinOnPage(t, browser, base, tr.id, "Ada")
	tr.join(ctx, t, "Grace")
	spec := newTab(t, browser, "spectator")
	spec.do("open the spectator page", chromedp.Navigate(base+"/spectator.html?t="+tr.id))
	spec.wait("two players", `document.querySelectorAll('#participants li').length === 2`)
	org.wait("two players", `document.querySelectorAll('#participants > li').length === 2`)
	org.do("start", press(`#start`)...)

	ada.wait("the report form", `document.querySelector('#next-match[data-status=ready] #report-form')`)
	first := ada.attr(`#report-form`, "data-my-slot") == "0"
	mid := ada.attr(`#report-form`, "data-match-id")
	games, a, b := "11-3 8-11, 11-9", "2", "1"
	wantGames := [][2]int{{11, 3}, {8, 11}, {11, 9}}
	if !first { // Ada is the second player: her points second
		games, a, b = "3-11 11-8, 9-11", "1", "2"
		wantGames = [][2]int{{3, 11}, {11, 8}, {9, 11}}
	}
	if got := ada.eval("the games field", `(() => { const i = document.querySelector('#report-form .games-input');
	  return i.type + ' ' + document.querySelector('label[for="' + i.id + '"]').textContent; })()`); got != "text Game points (optional)" {
		t.Errorf("game points field: %q", got)
	}
	ada.do("report with a typo in the games",
		chromedp.Evaluate[chromedp.Void](clearMessages),
		chromedp.SetValue(chromedp.CSS(`#report-form input[data-slot="0"]`), a),
		chromedp.SetValue(chromedp.CSS(`#report-form input[data-slot="1"]`), b),
		chromedp.SetValue(chromedp.CSS(`#report-form .games-input`), "11-3 eleven-9"),
		chromedp.Click(chromedp.ID("report-submit")),
	)
	ada.wait("the refusal", answered)
	if got := ada.text(`[data-testid=msg-error]`); !strings.Contains(got, `"eleven-9"`) || !strings.Contains(got, "Nothing was reported") {
		t.Errorf("a typo in the games: message %q; want it to name the bad game and say nothing was sent", got)
	}
	for _, m := range tr.state(ctx, t).Matches {
		if fmt.Sprint(m.ID) == mid && len(m.Reports) > 0 {
			t.Fatalf("a report with an unreadable game reached the hub: %+v", m.Reports)
		}
	}
	ada.do("report with game points",
		chromedp.Evaluate[chromedp.Void](clearMessages),
		chromedp.SetValue(chromedp.CSS(`#report-form input[data-slot="0"]`), a),
		chromedp.SetValue(chromedp.CSS(`#report-form input[data-slot="1"]`), b),
		chromedp.SetValue(chromedp.CSS(`#report-form .games-input`), games),
		chromedp.Click(chromedp.ID("report-submit")),
	)
	ada.wait("the hub's answer", answered)
	if e := ada.text(`[data-testid=msg-error]`); e != "" {
		t.Fatalf("report refused: %s", e)
	}
	ada.wait("Ada's report with its games", `(document.querySelector('[data-testid=my-report]') || {}).textContent === 'You reported `+a+`-`+b+` (`+
		strings.Join([]string{gameText(wantGames[0]), gameText(wantGames[1]), gameText(wantGames[2])}, " · ")+`). Waiting for Grace to confirm.'`)

	// Grace agrees, with the same games.
	scores := []int{2, 1}
	if !first {
		scores = []int{1, 2}
	}
	mustAPI(ctx, t, http.MethodPost, tr.url("/matches/"+mid+"/result"), tr.token["Grace"], map[string]any{"scores": scores, "games": wantGames}, nil)
	spec.wait("the games on the card", fmt.Sprintf(`document.querySelector('#bracket [data-testid="match-%s"][data-status=completed]') && (document.querySelector('[data-testid="match-%s-games"]') || {}).textContent === %q`,
		mid, mid, strings.Join([]string{gameText(wantGames[0]), gameText(wantGames[1]), gameText(wantGames[2])}, " · ")))
	adaID, _ := strconv.Atoi(ada.attr(`[data-testid=my-name]`, "data-player-id"))
	spec.wait("the game points in the table", fmt.Sprintf(`(document.querySelector('[data-testid="game-points-%d"]') || {}).textContent === '30-23'`, adaID))
	// The live table, as the hub's: game points, then the default tie-breaks' columns.
	if got := spec.eval("table head", `[...document.querySelectorAll('[data-testid=standings] thead th')].map((th) => th.textContent).join()`); got != "Rank,Player,W,D,L,Pts,Games,Game pts,H2H,SB,GD,Bu" {
		t.Errorf("table columns %q; want Rank,Player,W,D,L,Pts,Games,Game pts,H2H,SB,GD,Bu", got)
	}

	// The return match, set by the organiser from the match panel: games that do not give the
	// score are refused with the hub's reason, then the right ones go through.
	var ret apiMatch
	for _, m := range tr.state(ctx, t).Matches {
		if fmt.Sprint(m.ID) != mid {
			ret = m
		}
	}
	org.wait("the return match ready", fmt.Sprintf(`document.querySelector('#bracket [data-testid="match-%d"][data-status=ready]')`, ret.ID))
	org.do("open the match panel", press(fmt.Sprintf(`[data-testid="tools-%d"]`, ret.ID))...)
	form := fmt.Sprintf("result-%d", ret.ID)
	org.wait("the games field", fmt.Sprintf(`document.querySelector('[data-testid="%s-games"]')`, form))
	setResult := func(what, games string) {
		org.do(what,
			chromedp.Evaluate[chromedp.Void](clearMessages),
			chromedp.SetValue(chromedp.ID(form+"-score-0"), "2"),
			chromedp.SetValue(chromedp.ID(form+"-score-1"), "0"),
			chromedp.SetValue(chromedp.ID(form+"-games"), games),
			chromedp.Click(chromedp.CSS(fmt.Sprintf(`[data-testid="%s-submit"]`, form))),
		)
		org.wait("the hub's answer", answered)
	}
	setResult("set games that do not give the score", "11-5")
	if got := org.text(`[data-testid=msg-error]`); !strings.Contains(got, "1-0") {
		t.Errorf("games 11-5 for 2-0: message %q; want the hub's reason (the games give 1-0)", got)
	}
	setResult("set the result with games", "11-5, 11-7")
	if e := org.text(`[data-testid=msg-error]`); e != "" {
		t.Fatalf("result refused: %s", e)
	}
	spec.wait("the finished tournament", `document.querySelector('[data-testid=tournament-status][data-status=finished]')`)
	if got := spec.text(fmt.Sprintf(`[data-testid="match-%d-games"]`, ret.ID)); got != "11-5 · 11-7" {
		t.Errorf("return match games %q; want 11-5 · 11-7", got)
	}
	// Ada: 30-23 in the first match; the return match's first player won 22-12.
	want := "52-35"
	if ret.Players[0] != adaID {
		want = "42-45"
	}
	spec.wait("the final game points", fmt.Sprintf(`(document.querySelector('[data-testid="game-points-%d"]') || {}).textContent === %q`, adaID, want))
}

// joinOnPage opens the player page of tournament tid in a new tab and joins as name.
func joinOnPage(t *testing.T, browser context.Context, base, tid, name string) *tab {
	t.Helper()
	p := newTab(t, browser, name)
	p.do("join",
		chromedp.Navigate(base+"/player.html?t="+tid),
		chromedp.WaitVisible(chromedp.ID("join-name")),
		chromedp.SetValue(chromedp.ID("join-name"), name),
		chromedp.Click(chromedp.ID("join-submit")),
	)
	p.wait(name+"'s entry", `document.querySelector('[data-testid=my-name][data-player-id]')`)
	return p
}

func gameText(g [2]int) string { return fmt.Sprintf("%d-%d", g[0], g[1]) }
