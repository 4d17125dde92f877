package browser

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/coder/websocket"

	"github.com/tourhub/tourhub/static"
)

// The client page: static/js/client.js in a bare page that records what the client does.
const clientPage = `<!doctype html><meta charset="utf-8"><title>client</title>
<script type="module">
import {Hub, HubError} from '/js/client.js';
window.log = {applied: [], statuses: [], notices: [], errors: []};
const hub = new Hub({
  onSnapshot: (tid, state, pos) => log.applied.push('snapshot@' + pos.epoch + '/' + pos.version),
  onEvent: (tid, events, pos) => log.applied.push('event@' + pos.epoch + '/' + pos.version),
  onNotice: (tid, n) => log.notices.push(n.kind),
  onStatus: (s, d) => log.statuses.push(d && d.code ? s + ':' + d.code : s),
  onError: (err) => log.errors.push(err.code),
});
window.hub = hub;
window.reportResult = (scores) => hub.report('t1', 5, scores, 'sub-1').then(
  (r) => 'ok:' + r.version, (e) => 'err:' + (e instanceof HubError ? e.code : e));
window.joinAs = (name) => hub.join('t2', {name, submission_id: 'sub-join-0123456789'}).then(
  (r) => 'ok:' + r.player_id, (e) => 'err:' + (e instanceof HubError ? e.code : e));
hub.auth('t1', 'tok-1');
hub.subscribe('t1');
</script>`

// scriptedHub is a /ws endpoint that plays a script per connection: the test reads what the
// client sends and answers as a hub would, including gaps, duplicates and close codes.
type scriptedHub struct {
	conns chan *websocket.Conn
}

func (s *scriptedHub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// Same-origin only, like the hub. It plays v1's messages and answers tourhub.v1, as a node
	// from before tourhub.v2 would: the client offers v2 first, and reads v1's events all the same.
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{Subprotocols: []string{"tourhub.v1"}})
	if err != nil {
		return
	}
	s.conns <- c
	<-r.Context().Done() // the test owns the connection until it closes it
}

type msg map[string]any

func read(ctx context.Context, t *testing.T, c *websocket.Conn) msg {
	t.Helper()
	_, b, err := c.Read(ctx)
	if err != nil {
		t.Fatalf("read from client: %v", err)
	}
	var m msg
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("client sent %q: %v", b, err)
	}
	return m
}

func expect(ctx context.Context, t *testing.T, c *websocket.Conn, typ string, fields msg) msg {
	t.Helper()
	m := read(ctx, t, c)
	if m["type"] == "ping" {
		m = read(ctx, t, c)
	}
	if m["type"] != typ {
		t.Fatalf("client sent %v; want type %q", m, typ)
	}
	for k, want := range fields {
		if got := m[k]; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("client sent %s=%v in %v; want %v", k, got, m, want)
		}
	}
	return m
}

func absent(t *testing.T, m msg, keys ...string) {
	t.Helper()
	for _, k := range keys {
		if _, ok := m[k]; ok {
			t.Fatalf("client sent %s in %v; want none on a first subscribe", k, m)
		}
	}
}

func send(ctx context.Context, t *testing.T, c *websocket.Conn, m msg) {
	t.Helper()
	b, _ := json.Marshal(m)
	if err := c.Write(ctx, websocket.MessageText, b); err != nil {
		t.Fatalf("write to client: %v", err)
	}
}

func event(v int) msg {
	return msg{"type": "event", "tournament": "t1", "epoch": "e1", "version": v, "rev": fmt.Sprint("r", v), "events": []msg{{"type": "player_joined", "participant": msg{"id": v, "name": fmt.Sprint("P", v)}}}}
}

// TestClientResumesAndFillsGaps checks client.js against the protocol: auth then subscribe on
// every connection, events applied once and in order, a gap answered by a re-subscribe from the
// last version, resume with (epoch, version, rev) after a 4001 close, replies matched by ref (a
// report's and a join's, whose token is sent again on the reconnect), and no reconnect after
// 1008.
func TestClientResumesAndFillsGaps(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	sh := &scriptedHub{conns: make(chan *websocket.Conn, 4)}
	mux := http.NewServeMux()
	mux.Handle("/ws", sh)
	mux.HandleFunc("/client.html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, clientPage)
	})
	mux.Handle("/", http.FileServerFS(static.FS))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	browser := newBrowser(ctx, t)
	page := newTab(t, browser, "client")
	page.do("open the client page", chromedp.Navigate(srv.URL+"/client.html"))

	next := func() *websocket.Conn {
		t.Helper()
		select {
		case c := <-sh.conns:
			return c
		case <-ctx.Done():
			t.Fatal("the client did not connect")
			return nil
		}
	}

	// First connection: auth, a first subscribe, a snapshot, then a gap.
	c1 := next()
	expect(ctx, t, c1, "auth", msg{"token": "tok-1"})
	sub := expect(ctx, t, c1, "subscribe", msg{"tournament": "t1"})
	absent(t, sub, "epoch", "version", "rev")
	send(ctx, t, c1, msg{"type": "subscribed", "ref": sub["ref"], "tournament": "t1", "epoch": "e1", "version": 5, "recovered": false})
	send(ctx, t, c1, msg{"type": "snapshot", "tournament": "t1", "epoch": "e1", "version": 5, "rev": "r5",
		"state": msg{"id": "t1", "name": "T", "format": "single_elimination", "status": "registering", "epoch": "e1", "version": 5, "rev": "r5", "participants": []msg{}, "matches": []msg{}}})
	send(ctx, t, c1, event(6))
	send(ctx, t, c1, event(6)) // a duplicate: ignored
	send(ctx, t, c1, event(8)) // a gap: the client asks again from 6
	resub := expect(ctx, t, c1, "subscribe", msg{"tournament": "t1", "epoch": "e1", "version": 6, "rev": "r6"})
	send(ctx, t, c1, msg{"type": "subscribed", "ref": resub["ref"], "tournament": "t1", "epoch": "e1", "version": 6, "recovered": true})
	send(ctx, t, c1, event(7))
	send(ctx, t, c1, event(8))
	send(ctx, t, c1, msg{"type": "notice", "tournament": "t1", "version": 8, "kind": "match_ready", "match": 5, "text": "Your match is ready."})
	page.wait("events up to 8", `log.applied.length === 4 && log.notices.length === 1`)

	// A report is answered by ref: an error rejects the promise with its code.
	page.do("report", chromedp.Evaluate[chromedp.Void](`window.pending = reportResult([1, 0]); undefined`))
	rep := expect(ctx, t, c1, "report", msg{"tournament": "t1", "match": 5, "submission_id": "sub-1"})
	send(ctx, t, c1, msg{"type": "error", "ref": rep["ref"], "code": "not_in_match", "message": "player 3 is not in match 5"})
	if got := page.eval("await the report", `window.pending`); got != "err:not_in_match" {
		t.Fatalf("report promise gave %q; want err:not_in_match", got)
	}

	// A join over the socket is answered by ref too; its token is kept for the reconnects.
	page.do("join", chromedp.Evaluate[chromedp.Void](`window.pending = joinAs('Ada'); undefined`))
	join := expect(ctx, t, c1, "join", msg{"tournament": "t2", "name": "Ada", "submission_id": "sub-join-0123456789"})
	send(ctx, t, c1, msg{"type": "error", "ref": join["ref"], "code": "full", "message": "the tournament is full (2 players)"})
	if got := page.eval("await the join", `window.pending`); got != "err:full" {
		t.Fatalf("join promise gave %q; want err:full", got)
	}
	page.do("join again", chromedp.Evaluate[chromedp.Void](`window.pending = joinAs('Ada'); undefined`))
	join = expect(ctx, t, c1, "join", msg{"tournament": "t2", "name": "Ada"})
	send(ctx, t, c1, msg{"type": "joined", "ref": join["ref"], "tournament": "t2", "player_id": 3, "token": "tok-2", "version": 4, "duplicate": false})
	if got := page.eval("await the join", `window.pending`); got != "ok:3" {
		t.Fatalf("join promise gave %q; want ok:3", got)
	}

	// The hub drops the client as a slow consumer: it reconnects and resumes from 8.
	// Close waits for the browser's close frame, which nobody reads here: close in the
	// background and go on with the reconnect.
	var closers sync.WaitGroup
	defer closers.Wait()
	closers.Go(func() { c1.Close(4001, "slow consumer") })
	c2 := next()
	expect(ctx, t, c2, "auth", msg{"token": "tok-1"})
	expect(ctx, t, c2, "auth", msg{"token": "tok-2"}) // the joined player's, kept
	expect(ctx, t, c2, "subscribe", msg{"tournament": "t1", "epoch": "e1", "version": 8, "rev": "r8"})
	send(ctx, t, c2, msg{"type": "subscribed", "tournament": "t1", "epoch": "e1", "version": 8, "recovered": true})
	send(ctx, t, c2, event(8)) // already had it
	send(ctx, t, c2, event(9))
	page.wait("event 9", `log.applied.length === 5`)
	page.do("report again", chromedp.Evaluate[chromedp.Void](`window.pending = reportResult([1, 0]); undefined`))
	rep = expect(ctx, t, c2, "report", msg{"submission_id": "sub-1"})
	send(ctx, t, c2, msg{"type": "reported", "ref": rep["ref"], "tournament": "t1", "version": 10, "duplicate": false, "match": msg{"id": 5, "status": "ready"}})
	if got := page.eval("await the report", `window.pending`); got != "ok:10" {
		t.Fatalf("report promise gave %q; want ok:10", got)
	}

	// A policy violation means stop: the client says so and does not come back.
	closers.Go(func() { c2.Close(websocket.StatusPolicyViolation, "protocol abuse") })
	page.wait("the stopped status", `log.statuses.includes("stopped:1008")`)

	want := `["snapshot@e1/5","event@e1/6","event@e1/7","event@e1/8","event@e1/9"]`
	if got := page.eval("read the log", `JSON.stringify(log.applied)`); got != want {
		t.Errorf("applied %s; want %s", got, want)
	}
	statuses := page.eval("read the statuses", `JSON.stringify(log.statuses)`)
	if want := `["connecting","open","reconnecting:4001","connecting","open","stopped:1008"]`; statuses != want {
		t.Errorf("statuses %s; want %s", statuses, want)
	}
	select {
	case <-sh.conns:
		t.Error("the client reconnected after 1008; want it to stop")
	default:
	}
}

// modulePage opens a page of the embedded client on a plain file server (no hub), to run the
// client's modules in the browser.
func modulePage(t *testing.T, name string) *tab {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	srv := httptest.NewServer(http.FileServerFS(static.FS))
	t.Cleanup(srv.Close)
	page := newTab(t, newBrowser(ctx, t), name)
	page.do("open a page", chromedp.Navigate(srv.URL+"/spectator.html"))
	return page
}

// TestClientModules runs the pure parts of the client in the browser: the reconnect delays
// (exponential, capped, full jitter) and the tournament model patched by events.
func TestClientModules(t *testing.T) {
	page := modulePage(t, "modules")

	tests := []struct {
		name, expr, want string
	}{
		{"no delay at zero jitter", `m.backoff(3, () => 0)`, "0"},
		{"first delay under the base", `m.backoff(0, () => 0.9999)`, "249"},
		{"doubles per attempt", `m.backoff(2, () => 0.5)`, "500"},
		{"capped at 10 s", `m.backoff(12, () => 0.9999)`, "9999"},
		{"capped for huge attempts", `m.backoff(5000, () => 0.5)`, "5000"},
		{"jitter spreads", `new Set(Array.from({length: 50}, () => m.backoff(6))).size > 10`, "true"},
	}
	for _, tc := range tests {
		got := page.eval(tc.name, `import('/js/client.js').then((m) => String(`+tc.expr+`))`)
		if got != tc.want {
			t.Errorf("%s: %s = %s; want %s", tc.name, tc.expr, got, tc.want)
		}
	}

	// Durations as the hub writes them (Go's form) and as the pages say them.
	tests = []struct {
		name, expr, want string
	}{
		{"hours", `m.goDuration('2h0m0s')`, "7200000"},
		{"fractions", `m.goDuration('1.5s')`, "1500"},
		{"every unit", `m.goDuration('1h1m1s1ms1us1ns')`, "3661001.001001"},
		{"not a duration", `m.goDuration('2 hours')`, "NaN"},
		{"trailing junk", `m.goDuration('2hx')`, "NaN"},
		{"empty", `m.goDuration('')`, "NaN"},
		{"missing", `m.goDuration(undefined)`, "NaN"},
		{"days", `m.durationWords(m.goDuration('168h0m0s'))`, "7 days"},
		{"one of each", `m.durationWords(m.goDuration('25h0m0s'))`, "1 day 1 hour"},
		{"two largest units, rounded down", `m.durationWords(m.goDuration('1h30m59s'))`, "1 hour 30 minutes"},
		{"a zero between", `m.durationWords(m.goDuration('24h5m0s'))`, "1 day"},
		{"seconds", `m.durationWords(59000)`, "59 seconds"},
		{"nothing", `m.durationWords(0)`, "less than a second"},
		{"old tournament, no cap told", `m.keepingText({settings: {}}, 0)`,
			"This hub keeps a tournament, and its changes for replays, for a limited time after its last change. Download the results (JSON) to keep them: the create page imports the file into any hub."},
		{"history gone", `m.historyGoneText({settings: {retention: {log: '24h0m0s'}}}, 10000)`,
			"The history of this tournament is no longer kept: this hub keeps the last 10,000 changes of a tournament for 1 day after its last change."},
		{"history gone, nothing known", `m.historyGoneText({}, undefined)`,
			"The history of this tournament is no longer kept: this hub keeps a tournament's changes for a limited time."},
	}
	for _, tc := range tests {
		got := page.eval(tc.name, `import('/js/page.js').then((m) => String(`+tc.expr+`))`)
		if got != tc.want {
			t.Errorf("%s: %s = %s; want %s", tc.name, tc.expr, got, tc.want)
		}
	}

	// A model built from a snapshot and patched by events, as every page renders it.
	got := page.eval("apply events", `import('/js/state.js').then((s) => {
	  const m = s.fromSnapshot({id: 't1', name: 'T', format: 'single_elimination', status: 'registering', version: 1,
	    settings: {format: 'single_elimination', best_of: 1}, participants: [], matches: [], standings: []});
	  const P = (id, name) => ({id, name});
	  s.applyEvents(m, [{type: 'player_joined', participant: P(1, 'Ada')}], 2);
	  s.applyEvents(m, [{type: 'player_joined', participant: P(2, 'Grace')}], 3);
	  s.applyEvents(m, [{type: 'player_joined', participant: P(3, 'Linus')}], 4);
	  s.applyEvents(m, [{type: 'player_left', player: 3}], 5);
	  const match = {id: 1, bracket: 'winners', round: 1, status: 'ready', players: [1, 2], scores: [0, 0], winner: 0};
	  s.applyEvents(m, [{type: 'tournament_started', participants: [{...P(1, 'Ada'), seed: 1}, {...P(2, 'Grace'), seed: 2}], matches: [match]}], 6);
	  const next = s.nextMatchFor(m, 2);
	  s.applyEvents(m, [{type: 'match_completed', match: {...match, status: 'completed', scores: [1, 0], winner: 1, loser: 2}},
	    {type: 'player_eliminated', player: 2},
	    {type: 'tournament_finished', standings: [{player_id: 1, rank: 1, rank_to: 1}, {player_id: 2, rank: 2, rank_to: 2}]}], 7);
	  return JSON.stringify({v: m.version, status: m.status, names: m.participants.map((p) => p.name), next: next && next.id,
	    opp: s.opponentOf(next, 2), m1: m.matches[0].status, elim: m.participants[1].eliminated, st: m.standings.length,
	    after: s.nextMatchFor(m, 2)});
	})`)
	want := `{"v":7,"status":"finished","names":["Ada","Grace"],"next":1,"opp":1,"m1":"completed","elim":true,"st":2,"after":null}`
	if got != want {
		t.Errorf("model after events:\n got %s\nwant %s", got, want)
	}
}

// TestBracketDeadlines renders match cards as the spectator page does: an open match with a time
// limit shows when it must be reported (highlighted once the players were warned), an overdue one
// says the time ran out, and a completed one shows no deadline.
func TestBracketDeadlines(t *testing.T) {
	page := modulePage(t, "deadlines")
	got := page.eval("render cards", `Promise.all([import('/js/state.js'), import('/js/bracket.js')]).then(([s, b]) => {
	  const model = s.fromSnapshot({id: 't1', name: 'T', format: 'single_elimination', status: 'running', version: 9,
	    settings: {format: 'single_elimination', best_of: 1}, participants: [{id: 1, name: 'Ada', seed: 1}, {id: 2, name: 'Grace', seed: 2}],
	    matches: [], standings: []});
	  const at = '2026-11-22T18:30:00Z';
	  const card = (m) => {
	    const el = b.matchCard({id: 1, bracket: 'winners', round: 1, players: [1, 2], scores: [0, 0], winner: 0, ...m}, model);
	    const d = el.querySelector('[data-testid=match-1-deadline]');
	    return {text: d ? d.textContent.replace(/[0-9:]+.*$/, '') : null, cls: d ? d.className : null,
	      when: d ? d.querySelector('time').getAttribute('datetime') : null, overdue: !!el.querySelector('[data-testid=match-1-overdue]')};
	  };
	  return JSON.stringify([card({status: 'ready', deadline: at}), card({status: 'ready', deadline: at, warned: true}),
	    card({status: 'disputed', deadline: at, warned: true, overdue: true}), card({status: 'completed', deadline: at}),
	    card({status: 'ready'})]);
	})`)
	want := `[{"text":"Report by ","cls":"deadline","when":"2026-11-22T18:30:00.000Z","overdue":false},` +
		`{"text":"Report by ","cls":"deadline near","when":"2026-11-22T18:30:00.000Z","overdue":false},` +
		`{"text":"Time ran out at ","cls":"deadline overdue","when":"2026-11-22T18:30:00.000Z","overdue":true},` +
		`{"text":null,"cls":null,"when":null,"overdue":false},` +
		`{"text":null,"cls":null,"when":null,"overdue":false}]`
	if got != want {
		t.Errorf("deadline lines:\n got %s\nwant %s", got, want)
	}

	// The timed events patch the model like the others: a warning marks the match, an overdue
	// timeout too, and a reopened tournament runs again.
	got = page.eval("timed events", `import('/js/state.js').then((s) => {
	  const m = s.fromSnapshot({id: 't1', name: 'T', format: 'single_elimination', status: 'finished', version: 3,
	    settings: {format: 'single_elimination', best_of: 1}, participants: [], standings: [],
	    matches: [{id: 1, bracket: 'winners', round: 1, status: 'ready', players: [1, 2], deadline: '2026-11-22T18:30:00Z'}]});
	  s.applyEvents(m, [{type: 'match_deadline_warning', at: '2026-11-22T18:30:00Z',
	    match: {id: 1, bracket: 'winners', round: 1, status: 'ready', players: [1, 2], deadline: '2026-11-22T18:30:00Z', warned: true}}], 4);
	  const warned = m.matches[0].warned === true;
	  s.applyEvents(m, [{type: 'match_timed_out', reason: 'time limit: waiting for the organiser',
	    match: {id: 1, bracket: 'winners', round: 1, status: 'ready', players: [1, 2], deadline: '2026-11-22T18:30:00Z', warned: true, overdue: true}},
	    {type: 'tournament_reopened', reason: 'a correction reopened the bracket'}], 5);
	  return JSON.stringify({warned, overdue: m.matches[0].overdue === true, status: m.status, v: m.version});
	})`)
	if want := `{"warned":true,"overdue":true,"status":"running","v":5}`; got != want {
		t.Errorf("model after timed events:\n got %s\nwant %s", got, want)
	}
}
