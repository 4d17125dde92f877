package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
	"github.com/golang-jwt/jwt/v5"

	"github.com/tourhub/tourhub/hub"
	"github.com/tourhub/tourhub/hub/api"
	"github.com/tourhub/tourhub/hub/command"
	"github.com/tourhub/tourhub/hub/memstore"
	"github.com/tourhub/tourhub/hub/store"
	"github.com/tourhub/tourhub/hub/view"
	"github.com/tourhub/tourhub/hub/ws"
	"github.com/tourhub/tourhub/match"
)

var httpSecret = []byte("test-secret-0123456789abcdef")

// env is one real hub node over real HTTP, on a memory store.
type env struct {
	t      *testing.T
	node   *hub.Node
	http   *httptest.Server
	client *http.Client
}

func newEnv(t *testing.T, cfg api.Config) *env { return newEnvWith(t, cfg, envOpts{}) }

// envOpts change what newEnvWith builds.
type envOpts struct {
	wrap func(store.Store) store.Store // wraps the node's store (nil: as it is)
	now  func() time.Time              // the command service's clock (nil: time.Now)
	ws   ws.Config                     // the WebSocket side's configuration
	mem  []memstore.Option             // the memory store's options
}

// newEnvWith is newEnv with opts.
func newEnvWith(t *testing.T, cfg api.Config, opts envOpts) *env {
	t.Helper()
	if cfg.RatePerSec == 0 {
		cfg.RatePerSec, cfg.Burst = 10000, 10000
	}
	mem := memstore.New(opts.mem...)
	t.Cleanup(func() { mem.Close() })
	var st store.Store = mem
	if opts.wrap != nil {
		st = opts.wrap(mem)
	}
	node, err := hub.New(hub.Config{Store: st, Due: memstore.NewDueSet(), Now: opts.now,
		Tokens: command.NewTokens(httpSecret, time.Hour, nil), API: cfg, WS: opts.ws})
	if err != nil {
		t.Fatalf("hub.New: %v", err)
	}
	hs := httptest.NewServer(node)
	t.Cleanup(hs.Close)
	t.Cleanup(func() { // sockets, and the poller of parked ones
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		node.Drain(ctx)
	})
	return &env{t: t, node: node, http: hs, client: &http.Client{Timeout: 10 * time.Second}}
}

// reply is one HTTP answer.
type reply struct {
	status int
	header http.Header
	body   []byte
}

func (r reply) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

// errCode returns the code of an error body, failing the test if the body is not one.
func (r reply) errCode(t *testing.T) string {
	t.Helper()
	var b struct {
		Error *struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(r.body, &b); err != nil || b.Error == nil || b.Error.Code == "" || b.Error.Message == "" {
		t.Fatalf("body %s is not {error:{code,message}}", r.body)
	}
	return b.Error.Code
}

// do sends body (a string is sent as is, anything else as JSON; nil sends nothing).
func (e *env) do(method, path, token string, body any) reply {
	e.t.Helper()
	var rd io.Reader
	ctype := "application/json"
	switch b := body.(type) {
	case nil:
	case csvBody:
		rd, ctype = strings.NewReader(string(b)), "text/csv; charset=utf-8"
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(e.t.Context(), method, e.http.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", ctype)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := e.client.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return reply{status: resp.StatusCode, header: resp.Header, body: raw}
}

// csvBody is a request body sent as text/csv.
type csvBody string

// must sends a request that must answer want.
func (e *env) must(want int, method, path, token string, body any) reply {
	e.t.Helper()
	r := e.do(method, path, token, body)
	if r.status != want {
		e.t.Fatalf("%s %s: status %d %s; want %d", method, path, r.status, r.body, want)
	}
	return r
}

type created struct {
	Tournament     view.View `json:"tournament"`
	OrganiserToken string    `json:"organiser_token"`
}

type joined struct {
	PlayerID int    `json:"player_id"`
	Token    string `json:"token"`
	Version  int64  `json:"version"`
}

type resultReply struct {
	Version   int64         `json:"version"`
	Duplicate bool          `json:"duplicate"`
	Match     *match.Match  `json:"match"`
	Events    []match.Event `json:"events"`
}

// tournament creates a tournament and joins players; it returns the id, the organiser token and
// the player tokens by player id.
func (e *env) tournament(body map[string]any, players ...string) (string, string, map[int]string) {
	e.t.Helper()
	var c created
	e.must(http.StatusCreated, "POST", "/api/tournaments", "", body).decode(e.t, &c)
	tokens := map[int]string{}
	for _, name := range players {
		var j joined
		e.must(http.StatusCreated, "POST", "/api/tournaments/"+c.Tournament.ID+"/players", "", map[string]any{"name": name}).decode(e.t, &j)
		tokens[j.PlayerID] = j.Token
	}
	return c.Tournament.ID, c.OrganiserToken, tokens
}

func (e *env) state(id string) view.View {
	e.t.Helper()
	var v view.View
	e.must(http.StatusOK, "GET", "/api/tournaments/"+id, "", nil).decode(e.t, &v)
	return v
}

func TestHTTPSingleElimination(t *testing.T) {
	t.Parallel()
	e := newEnv(t, api.Config{})
	players := []string{"Ada", "Grace", "Linus", "Ken", "Barbara"}
	id, org, tokens := e.tournament(map[string]any{"name": "Friday Cup", "format": "single_elimination", "best_of": 3}, players...)
	if len(tokens) != 5 {
		t.Fatalf("%d player tokens; want 5", len(tokens))
	}
	if v := e.state(id); v.Version != 6 || len(v.Participants) != 5 || v.Status != match.StatusRegistering {
		t.Fatalf("after 5 joins: version %d, %d participants, %s; want 6, 5, registering", v.Version, len(v.Participants), v.Status)
	}
	e.must(http.StatusOK, "POST", "/api/tournaments/"+id+"/start", org, nil)

	reported := 0
	for range 20 {
		v := e.state(id)
		if v.Status == match.StatusFinished {
			break
		}
		if v.Status != match.StatusRunning {
			t.Fatalf("status %s; want running", v.Status)
		}
		var ready []match.Match
		for _, m := range v.Matches {
			if m.Status == match.MatchReady {
				ready = append(ready, m)
			}
		}
		if len(ready) == 0 {
			t.Fatalf("running with no ready match: %+v", v.Matches)
		}
		for _, m := range ready {
			path := fmt.Sprintf("/api/tournaments/%s/matches/%d/result", id, m.ID)
			for side, p := range m.Players {
				var r resultReply
				e.must(http.StatusOK, "POST", path, tokens[int(p)], map[string]any{
					"scores": []int{2, 1}, "submission_id": fmt.Sprintf("m%d-p%d", m.ID, p),
				}).decode(t, &r)
				want := match.MatchReady
				if side == 1 {
					want = match.MatchCompleted
				}
				if r.Match == nil || r.Match.Status != want || r.Duplicate {
					t.Fatalf("report %d of match %d: %+v; want match %s, not duplicate", side+1, m.ID, r, want)
				}
			}
			reported++
		}
	}
	v := e.state(id)
	if v.Status != match.StatusFinished {
		t.Fatalf("status %s after reporting every match; want finished", v.Status)
	}
	if reported != 4 {
		t.Errorf("%d matches played; want 4 (5 players: 3 byes)", reported)
	}
	final := v.Matches[0]
	for _, m := range v.Matches {
		if m.Round > final.Round && m.Bracket == match.BracketWinners {
			final = m
		}
	}
	if len(v.Standings) != 5 || v.Standings[0].Rank != 1 || v.Standings[0].Player != final.Winner || final.Winner == 0 {
		t.Errorf("standings %+v; want 5 lines with the final's winner %d first", v.Standings, final.Winner)
	}
	type events struct {
		Epoch    string        `json:"epoch"`
		Version  int64         `json:"version"`
		Rev      string        `json:"rev"`
		Complete bool          `json:"complete"`
		Entries  []store.Entry `json:"entries"`
	}
	var ev events
	e.must(http.StatusOK, "GET", "/api/tournaments/"+id+"/events?after=0", "", nil).decode(t, &ev)
	if !ev.Complete || ev.Version != v.Version || int64(len(ev.Entries)) != v.Version || ev.Epoch != v.Epoch || ev.Rev != v.Rev {
		t.Errorf("events: complete %v version %d rev %s, %d entries, epoch %q; want complete, %d, %s, %d, %q", ev.Complete, ev.Version, ev.Rev, len(ev.Entries), ev.Epoch, v.Version, v.Rev, v.Version, v.Epoch)
	}
	// A copy's whole position: complete only on the stored history.
	at3 := ev.Entries[2]
	for _, tc := range []struct {
		query string
		want  bool
	}{
		{fmt.Sprintf("after=3&epoch=%s&rev=%s", v.Epoch, at3.Rev), true},
		{fmt.Sprintf("after=3&rev=%s", at3.Rev), true},
		{fmt.Sprintf("after=%d&epoch=%s&rev=%s", v.Version, v.Epoch, v.Rev), true},
		{"after=3&epoch=" + v.Epoch, true},
		{fmt.Sprintf("after=3&epoch=%s&rev=lost", v.Epoch), false},
		{fmt.Sprintf("after=%d&epoch=%s&rev=lost", v.Version, v.Epoch), false},
		{fmt.Sprintf("after=3&epoch=e_other&rev=%s", at3.Rev), false},
	} {
		var got events
		e.must(http.StatusOK, "GET", "/api/tournaments/"+id+"/events?"+tc.query, "", nil).decode(t, &got)
		if got.Complete != tc.want || (!tc.want && len(got.Entries) != 0) || got.Version != v.Version || got.Rev != v.Rev {
			t.Errorf("events?%s: complete %v, %d entries, head v%d %s; want complete %v (no entries if not), head v%d %s",
				tc.query, got.Complete, len(got.Entries), got.Version, got.Rev, tc.want, v.Version, v.Rev)
		}
	}
	var list struct {
		Tournaments []store.Summary `json:"tournaments"`
	}
	e.must(http.StatusOK, "GET", "/api/tournaments?status=finished", "", nil).decode(t, &list)
	if len(list.Tournaments) != 1 || list.Tournaments[0].ID != id || list.Tournaments[0].Players != 5 {
		t.Errorf("finished list %+v; want only %s with 5 players", list.Tournaments, id)
	}
}

func TestHTTPDispute(t *testing.T) {
	t.Parallel()
	e := newEnv(t, api.Config{})
	id, org, tokens := e.tournament(map[string]any{"name": "Dispute", "format": "single_elimination"}, "Ada", "Grace")
	e.must(http.StatusOK, "POST", "/api/tournaments/"+id+"/start", org, nil)
	m := e.state(id).Matches[0]
	path := fmt.Sprintf("/api/tournaments/%s/matches/%d/result", id, m.ID)
	var r resultReply
	e.must(http.StatusOK, "POST", path, tokens[int(m.Players[0])], map[string]any{"scores": []int{1, 0}}).decode(t, &r)
	e.must(http.StatusOK, "POST", path, tokens[int(m.Players[1])], map[string]any{"scores": []int{0, 1}}).decode(t, &r)
	if r.Match.Status != match.MatchDisputed {
		t.Fatalf("after disagreeing reports: %s; want disputed", r.Match.Status)
	}
	// A player cannot settle it; the organiser can.
	e.must(http.StatusOK, "POST", path, org, map[string]any{"scores": []int{0, 1}, "submission_id": "org-1"}).decode(t, &r)
	if r.Match.Status != match.MatchCompleted || r.Match.Winner != m.Players[1] {
		t.Fatalf("after the organiser's report: %+v; want completed, won by %d", r.Match, m.Players[1])
	}
	if v := e.state(id); v.Status != match.StatusFinished || v.Standings[0].Player != m.Players[1] {
		t.Errorf("state %s standings %+v; want finished with %d first", v.Status, v.Standings, m.Players[1])
	}
}

// TestHTTPJoinIdempotent: a join that carries a submission_id can be repeated (after a timeout,
// a 503 whose commit happened anyway): the repeat answers the same player with a token that works,
// and adds nobody. A submission id short enough to guess is refused; a repeat after the player left
// says so.
func TestHTTPJoinIdempotent(t *testing.T) {
	t.Parallel()
	e := newEnv(t, api.Config{})
	id, _, _ := e.tournament(map[string]any{"name": "Again", "format": "round_robin"})
	path := "/api/tournaments/" + id + "/players"
	type joined struct {
		PlayerID  int    `json:"player_id"`
		Token     string `json:"token"`
		Version   int64  `json:"version"`
		Duplicate bool   `json:"duplicate"`
	}
	body := map[string]any{"name": "Ada", "submission_id": "9b2e4c1a-77f0-4f3e-a8d1-5c6b0e2f9a13"}
	var first, again joined
	e.must(http.StatusCreated, "POST", path, "", body).decode(t, &first)
	e.must(http.StatusOK, "POST", path, "", map[string]any{"name": "Ada (retry)", "submission_id": body["submission_id"]}).decode(t, &again)
	if !again.Duplicate || first.Duplicate || again.PlayerID != first.PlayerID || again.Version != first.Version || again.Token == "" {
		t.Fatalf("repeat: %+v after %+v; want the same player and version, duplicate, a token", again, first)
	}
	if v := e.state(id); len(v.Participants) != 1 || v.Participants[0].Name != "Ada" {
		t.Fatalf("participants %+v; want Ada alone", v.Participants)
	}
	if r := e.do("POST", path, "", map[string]any{"name": "Bob", "submission_id": "short"}); r.status != http.StatusBadRequest || r.errCode(t) != command.CodeBadRequest {
		t.Errorf("a 5-character submission_id: %d %s; want 400 bad_request", r.status, r.body)
	}
	// The repeat's token is the player's: it may leave; a repeat after that is refused.
	e.must(http.StatusOK, "DELETE", fmt.Sprintf("%s/%d", path, again.PlayerID), again.Token, nil)
	if r := e.do("POST", path, "", body); r.status != http.StatusNotFound || r.errCode(t) != string(match.CodeUnknownPlayer) {
		t.Errorf("repeat after leaving: %d %s; want 404 unknown_player", r.status, r.body)
	}
}

func TestHTTPRepeatedSubmissionID(t *testing.T) {
	t.Parallel()
	e := newEnv(t, api.Config{})
	id, org, tokens := e.tournament(map[string]any{"name": "Twice", "format": "single_elimination", "best_of": 3}, "Ada", "Grace")
	e.must(http.StatusOK, "POST", "/api/tournaments/"+id+"/start", org, nil)
	m := e.state(id).Matches[0]
	path := fmt.Sprintf("/api/tournaments/%s/matches/%d/result", id, m.ID)
	p1, p2 := tokens[int(m.Players[0])], tokens[int(m.Players[1])]
	var first, again resultReply
	e.must(http.StatusOK, "POST", path, p1, map[string]any{"scores": []int{2, 0}, "submission_id": "s-1"}).decode(t, &first)
	before := e.state(id).Version
	for _, body := range []map[string]any{
		{"scores": []int{2, 0}, "submission_id": "s-1"},
		{"scores": []int{0, 2}, "submission_id": "s-1"}, // a repeat answers the first outcome, whatever it says
	} {
		e.must(http.StatusOK, "POST", path, p1, body).decode(t, &again)
		if !again.Duplicate || again.Version != first.Version || first.Duplicate {
			t.Errorf("repeat: duplicate %v version %d; want duplicate, version %d", again.Duplicate, again.Version, first.Version)
		}
	}
	if v := e.state(id).Version; v != before {
		t.Errorf("version %d after repeats; want %d", v, before)
	}
	// Ids belong to their reporter: the opponent's "s-1" is a new report.
	var other resultReply
	e.must(http.StatusOK, "POST", path, p2, map[string]any{"scores": []int{2, 0}, "submission_id": "s-1"}).decode(t, &other)
	if other.Duplicate || other.Version != before+1 || other.Match.Status != match.MatchCompleted {
		t.Errorf("opponent with the same id: %+v; want a new version %d completing the match", other, before+1)
	}
}

func TestHTTPBadInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t, api.Config{BodyLimit: 1024})
	id, org, tokens := e.tournament(map[string]any{"name": "Strict", "format": "single_elimination"}, "Ada", "Grace", "Linus", "Ken")
	other, otherOrg, _ := e.tournament(map[string]any{"name": "Other", "format": "round_robin"}, "Zed")
	e.must(http.StatusOK, "POST", "/api/tournaments/"+id+"/start", org, nil)
	v := e.state(id)
	var ready, pending match.Match
	for _, m := range v.Matches {
		if m.Status == match.MatchReady && ready.ID == 0 {
			ready = m
		}
		if m.Status == match.MatchPending && pending.ID == 0 {
			pending = m
		}
	}
	if ready.ID == 0 || pending.ID == 0 {
		t.Fatalf("want a ready and a pending match: %+v", v.Matches)
	}
	// Someone in no ready match with ready: the other first-round pair.
	var outsider int
	for pid := range tokens {
		if match.PlayerID(pid) != ready.Players[0] && match.PlayerID(pid) != ready.Players[1] {
			outsider = pid
		}
	}
	inside := int(ready.Players[0])
	result := fmt.Sprintf("/api/tournaments/%s/matches/%d/result", id, ready.ID)
	base := "/api/tournaments/" + id

	foreignKey := command.NewTokens([]byte("another hub's secret"), time.Hour, nil)
	foreign, _ := foreignKey.Issue(command.Claims{Tournament: id, Role: command.RoleOrganiser})
	past := command.NewTokens(httpSecret, time.Hour, func() time.Time { return time.Now().Add(-2 * time.Hour) })
	expired, _ := past.Issue(command.Claims{Tournament: id, Role: command.RoleOrganiser})
	none, _ := jwt.NewWithClaims(jwt.SigningMethodNone, jwt.MapClaims{"tid": id, "role": "organiser", "exp": time.Now().Add(time.Hour).Unix()}).SignedString(jwt.UnsafeAllowNoneSignatureType)
	noExp, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"tid": id, "role": "organiser"}).SignedString(httpSecret)
	nowhere, _ := command.NewTokens(httpSecret, time.Hour, nil).Issue(command.Claims{Tournament: "t_nowhere", Role: command.RoleOrganiser})

	for _, tc := range []struct {
		name, method, path, token string
		body                      any
		status                    int
		code                      string
	}{
		{"malformed JSON", "POST", "/api/tournaments", "", `{"name":"x",`, 400, "bad_request"},
		{"not JSON", "POST", "/api/tournaments", "", `name=x`, 400, "bad_request"},
		{"unknown field", "POST", "/api/tournaments", "", `{"name":"x","format":"swiss","colour":"red"}`, 400, "bad_request"},
		{"wrong type", "POST", "/api/tournaments", "", `{"name":"x","format":"swiss","best_of":"three"}`, 400, "bad_request"},
		{"array body", "POST", "/api/tournaments", "", `[1,2]`, 400, "bad_request"},
		{"two objects", "POST", "/api/tournaments", "", `{"name":"x","format":"swiss"}{}`, 400, "bad_request"},
		{"empty body", "POST", "/api/tournaments", "", nil, 400, "bad_request"},
		{"too large", "POST", "/api/tournaments", "", `{"name":"` + strings.Repeat("x", 2000) + `","format":"swiss"}`, 413, "too_large"},
		{"no name", "POST", "/api/tournaments", "", `{"format":"swiss"}`, 400, "invalid"},
		{"no format", "POST", "/api/tournaments", "", `{"name":"x"}`, 400, "invalid"},
		{"bad format", "POST", "/api/tournaments", "", `{"name":"x","format":"knockout"}`, 400, "invalid"},
		{"join started", "POST", base + "/players", "", `{"name":"Late"}`, 409, "already_started"},
		{"join without name", "POST", "/api/tournaments/" + other + "/players", "", `{"rating":5}`, 400, "invalid"},
		{"join taken name", "POST", "/api/tournaments/" + other + "/players", "", `{"name":"zed"}`, 422, "name_taken"},
		{"no token", "POST", result, "", `{"scores":[1,0]}`, 401, "unauthorized"},
		{"not bearer", "POST", base + "/cancel", "", nil, 401, "unauthorized"},
		{"garbage token", "POST", result, "not.a.jwt", `{"scores":[1,0]}`, 401, "unauthorized"},
		{"expired token", "POST", base + "/cancel", expired, nil, 401, "unauthorized"},
		{"foreign secret", "POST", base + "/cancel", foreign, nil, 401, "unauthorized"},
		{"alg none", "POST", base + "/cancel", none, nil, 401, "unauthorized"},
		{"no expiry", "POST", base + "/cancel", noExp, nil, 401, "unauthorized"},
		{"other tournament's token", "POST", base + "/cancel", otherOrg, nil, 401, "unauthorized"},
		{"player reports another match", "POST", result, tokens[outsider], `{"scores":[1,0]}`, 422, "not_in_match"},
		{"player starts", "POST", base + "/start", tokens[inside], nil, 403, "forbidden"},
		{"player cancels", "POST", base + "/cancel", tokens[inside], nil, 403, "forbidden"},
		{"player withdraws another", "POST", fmt.Sprintf("%s/players/%d/withdraw", base, outsider), tokens[inside], nil, 403, "forbidden"},
		{"player disqualifies self", "POST", fmt.Sprintf("%s/players/%d/withdraw", base, inside), tokens[inside], `{"disqualify":true}`, 403, "forbidden"},
		{"player forfeits both", "POST", fmt.Sprintf("%s/matches/%d/forfeit", base, ready.ID), tokens[inside], `{"both":true}`, 403, "forbidden"},
		{"player forfeits for another", "POST", fmt.Sprintf("%s/matches/%d/forfeit", base, ready.ID), tokens[inside], fmt.Sprintf(`{"player_id":%d}`, outsider), 403, "forbidden"},
		{"organiser forfeit without side", "POST", fmt.Sprintf("%s/matches/%d/forfeit", base, ready.ID), org, `{}`, 400, "bad_request"},
		{"player leaves another", "DELETE", fmt.Sprintf("%s/players/%d", base, outsider), tokens[inside], nil, 403, "forbidden"},
		{"unknown tournament", "GET", "/api/tournaments/t_nowhere", "", nil, 404, "not_found"},
		{"unknown tournament events", "GET", "/api/tournaments/t_nowhere/events", "", nil, 404, "not_found"},
		{"unknown tournament result", "POST", "/api/tournaments/t_nowhere/matches/1/result", nowhere, `{"scores":[1,0]}`, 404, "not_found"},
		{"unknown match", "POST", base + "/matches/999/result", org, `{"scores":[1,0]}`, 404, "unknown_match"},
		{"bad match id", "POST", base + "/matches/abc/result", org, `{"scores":[1,0]}`, 400, "bad_request"},
		{"zero match id", "POST", base + "/matches/0/result", org, `{"scores":[1,0]}`, 400, "bad_request"},
		{"unknown player", "POST", base + "/players/99/withdraw", org, nil, 404, "unknown_player"},
		{"pending match", "POST", fmt.Sprintf("%s/matches/%d/result", base, pending.ID), org, `{"scores":[1,0]}`, 409, "match_not_ready"},
		{"three scores", "POST", result, tokens[inside], `{"scores":[1,0,0]}`, 400, "bad_request"},
		{"one score", "POST", result, tokens[inside], `{"scores":[1]}`, 400, "bad_request"},
		{"no scores", "POST", result, tokens[inside], `{"submission_id":"x"}`, 400, "bad_request"},
		{"string scores", "POST", result, tokens[inside], `{"scores":["1","0"]}`, 400, "bad_request"},
		{"impossible score", "POST", result, tokens[inside], `{"scores":[1,1]}`, 422, "invalid_score"},
		{"negative score", "POST", result, tokens[inside], `{"scores":[-1,0]}`, 422, "invalid_score"},
		{"long submission id", "POST", result, tokens[inside], `{"scores":[1,0],"submission_id":"` + strings.Repeat("s", 200) + `"}`, 400, "bad_request"},
		{"start twice", "POST", base + "/start", org, nil, 409, "already_started"},
		{"start with a body", "POST", base + "/start", org, `{"now":true}`, 400, "bad_request"},
		{"bad list status", "GET", "/api/tournaments?status=done", "", nil, 400, "bad_request"},
		{"bad list limit", "GET", "/api/tournaments?limit=0", "", nil, 400, "bad_request"},
		{"unknown list parameter", "GET", "/api/tournaments?sort=name", "", nil, 400, "bad_request"},
		{"bad events after", "GET", base + "/events?after=-1", "", nil, 400, "bad_request"},
		{"unknown endpoint", "GET", "/api/nothing", "", nil, 404, "not_found"},
		{"wrong method", "PUT", "/api/tournaments", "", `{}`, 405, "method_not_allowed"},
		{"wrong method on a command", "DELETE", base + "/start", org, nil, 405, "method_not_allowed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := e.state(id).Version
			beforeOther := e.state(other).Version
			token := tc.token
			if tc.name == "not bearer" {
				token = ""
			}
			var r reply
			if tc.name == "not bearer" {
				req, _ := http.NewRequestWithContext(t.Context(), tc.method, e.http.URL+tc.path, nil)
				req.Header.Set("Authorization", "Basic "+org)
				resp, err := e.client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				raw, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				r = reply{status: resp.StatusCode, body: raw}
			} else {
				r = e.do(tc.method, tc.path, token, tc.body)
			}
			if r.status != tc.status {
				t.Errorf("status %d %s; want %d", r.status, r.body, tc.status)
			}
			if got := r.errCode(t); got != tc.code {
				t.Errorf("code %q; want %q", got, tc.code)
			}
			if after := e.state(id).Version; after != before {
				t.Errorf("version %d after a refused request; want %d", after, before)
			}
			if after := e.state(other).Version; after != beforeOther {
				t.Errorf("other tournament's version %d; want %d", after, beforeOther)
			}
		})
	}
}

func TestHTTPOrganiserAndPlayerCommands(t *testing.T) {
	t.Parallel()
	e := newEnv(t, api.Config{})
	id, org, tokens := e.tournament(map[string]any{"name": "Check", "format": "round_robin", "require_check_in": true}, "Ada", "Grace", "Linus", "Ken")
	base := "/api/tournaments/" + id
	e.must(http.StatusOK, "POST", base+"/check-in", tokens[1], nil)
	e.must(http.StatusOK, "POST", base+"/check-in", org, map[string]any{"player_id": 2})
	e.must(http.StatusOK, "POST", base+"/check-in", tokens[3], map[string]any{"player_id": 3})
	e.must(http.StatusBadRequest, "POST", base+"/check-in", org, nil)
	e.must(http.StatusForbidden, "POST", base+"/check-in", tokens[4], map[string]any{"player_id": 1})
	e.must(http.StatusOK, "DELETE", base+"/players/4", tokens[4], nil)
	var c struct {
		Version int64         `json:"version"`
		Events  []match.Event `json:"events"`
	}
	e.must(http.StatusOK, "POST", base+"/start", org, nil).decode(t, &c)
	v := e.state(id)
	if v.Status != match.StatusRunning || len(v.Participants) != 3 || c.Version != v.Version {
		t.Fatalf("after start: %s, %d participants, version %d/%d; want running with 3", v.Status, len(v.Participants), c.Version, v.Version)
	}
	m := v.Matches[0]
	for _, mm := range v.Matches {
		if mm.Status == match.MatchReady {
			m = mm
			break
		}
	}
	e.must(http.StatusOK, "POST", fmt.Sprintf("%s/matches/%d/forfeit", base, m.ID), tokens[int(m.Players[0])], nil)
	if got := e.state(id).Matches[m.ID-1]; got.Status != match.MatchCompleted || got.Winner != m.Players[1] || !got.Walkover {
		t.Errorf("after a forfeit: %+v; want a walkover won by %d", got, m.Players[1])
	}
	e.must(http.StatusOK, "POST", base+"/players/3/withdraw", org, map[string]any{"disqualify": true})
	e.must(http.StatusOK, "POST", base+"/cancel", org, nil)
	if v := e.state(id); v.Status != match.StatusCancelled {
		t.Errorf("status %s; want cancelled", v.Status)
	}
}

func TestHTTPRateLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t, api.Config{RatePerSec: 0.001, Burst: 3})
	for i := range 3 {
		e.must(http.StatusOK, "GET", "/api/tournaments", "", nil)
		_ = i
	}
	r := e.do("GET", "/api/tournaments", "", nil)
	if r.status != http.StatusTooManyRequests || r.errCode(t) != "rate_limited" || r.header.Get("Retry-After") == "" {
		t.Errorf("4th request: %d %s; want 429 rate_limited with Retry-After", r.status, r.body)
	}
	r = e.do("POST", "/api/tournaments", "", map[string]any{"name": "x", "format": "swiss"})
	if r.status != http.StatusTooManyRequests {
		t.Errorf("create past the limit: %d; want 429", r.status)
	}
	// Probes are not limited.
	e.must(http.StatusOK, "GET", "/healthz", "", nil)
	e.must(http.StatusOK, "GET", "/readyz", "", nil)
}

func TestHTTPProbesMetricsAndStatic(t *testing.T) {
	t.Parallel()
	e := newEnv(t, api.Config{})
	e.must(http.StatusOK, "GET", "/healthz", "", nil)
	e.must(http.StatusOK, "GET", "/readyz", "", nil)
	e.tournament(map[string]any{"name": "Metrics", "format": "swiss"}, "Ada")
	e.do("POST", "/api/tournaments", "", `{"name":"x","format":"swiss","best_of":"x"}`)
	m := e.must(http.StatusOK, "GET", "/metrics", "", nil)
	for _, want := range []string{
		`tourhub_http_requests_total{method="POST",route="/api/tournaments",status="201"} 1`,
		`tourhub_http_requests_total{method="POST",route="/api/tournaments",status="400"} 1`,
		`tourhub_commands_total{outcome="applied",type="join"} 1`,
		`tourhub_commands_total{outcome="applied",type="create"} 1`,
	} {
		if !strings.Contains(string(m.body), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	page := e.must(http.StatusOK, "GET", "/", "", nil)
	if !strings.Contains(strings.ToLower(string(page.body)), "<html") {
		t.Errorf("GET / is not the client page: %.100s", page.body)
	}
	for _, icon := range []string{"/favicon.ico", "/favicon.svg"} { // browsers ask for the first
		if r := e.must(http.StatusOK, "GET", icon, "", nil); r.header.Get("Content-Type") != "image/svg+xml" || !strings.Contains(string(r.body), "<svg") {
			t.Errorf("GET %s: %s %.60s; want the SVG icon", icon, r.header.Get("Content-Type"), r.body)
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := e.node.Drain(ctx); err != nil {
		t.Fatalf("Drain: %v", err)
	}
	r := e.do("GET", "/readyz", "", nil)
	if r.status != http.StatusServiceUnavailable || r.errCode(t) != "unavailable" {
		t.Errorf("readyz while draining: %d %s; want 503 unavailable", r.status, r.body)
	}
	e.must(http.StatusOK, "GET", "/healthz", "", nil)
}

func TestTokens(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	k := command.NewTokens(httpSecret, time.Hour, clock)
	for _, c := range []command.Claims{
		{Tournament: "t_1", Role: command.RoleOrganiser},
		{Tournament: "t_1", Role: command.RolePlayer, Player: 7},
		{Tournament: "t_1", Role: command.RoleSpectator},
	} {
		tok, err := k.Issue(c)
		if err != nil {
			t.Fatalf("Issue(%+v): %v", c, err)
		}
		got, err := k.Verify(tok)
		if err != nil || got != c {
			t.Errorf("Verify(Issue(%+v)) = %+v, %v", c, got, err)
		}
	}
	for _, c := range []command.Claims{{Role: command.RoleOrganiser}, {Tournament: "t", Role: command.RolePlayer}, {Tournament: "t", Role: "admin"}} {
		if _, err := k.Issue(c); err == nil {
			t.Errorf("Issue(%+v) succeeded; want an error", c)
		}
	}
	tok, _ := k.Issue(command.Claims{Tournament: "t_1", Role: command.RolePlayer, Player: 1})
	later := command.NewTokens(httpSecret, time.Hour, func() time.Time { return now.Add(time.Hour + time.Second) })
	if _, err := later.Verify(tok); err == nil {
		t.Error("an expired token verified")
	}
	hs384, _ := jwt.NewWithClaims(jwt.SigningMethodHS384, jwt.MapClaims{"tid": "t_1", "role": "organiser", "exp": now.Add(time.Hour).Unix()}).SignedString(httpSecret)
	if _, err := k.Verify(hs384); err == nil {
		t.Error("an HS384 token verified; only HS256 is valid")
	}
	if status, code, _ := command.ErrorBody(func() error { _, err := k.Verify("x"); return err }()); status != 401 || code != "unauthorized" {
		t.Errorf("ErrorBody(Verify garbage) = %d %s; want 401 unauthorized", status, code)
	}
}

func TestErrorBody(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		err    error
		status int
		code   string
	}{
		{&match.Error{Code: match.CodeNotInMatch, Message: "m"}, 422, "not_in_match"},
		{&match.Error{Code: match.CodeMatchNotReady, Message: "m"}, 409, "match_not_ready"},
		{&match.Error{Code: match.CodeUnknownMatch, Message: "m"}, 404, "unknown_match"},
		{&match.Error{Code: match.CodeInvalid, Message: "m"}, 400, "invalid"},
		{fmt.Errorf("load: %w", store.ErrNotFound), 404, "not_found"},
		{fmt.Errorf("apply: %w", store.ErrUnavailable), 503, "unavailable"},
		{store.ErrConflict, 409, "version_conflict"},
		{fmt.Errorf("redisstore: apply: %w", context.DeadlineExceeded), 503, "unavailable"},
		{command.Errorf(command.CodeRateLimited, "slow"), 429, "rate_limited"},
		{command.Errorf(command.CodeForbidden, "no"), 403, "forbidden"},
		{fmt.Errorf("redis: connection refused at 10.0.0.1"), 500, "internal"},
	} {
		status, code, msg := command.ErrorBody(tc.err)
		if status != tc.status || code != tc.code {
			t.Errorf("ErrorBody(%v) = %d %s; want %d %s", tc.err, status, code, tc.status, tc.code)
		}
		if status == 500 && msg != "internal error" {
			t.Errorf("internal error shown as %q; want \"internal error\"", msg)
		}
	}
}

// TestHTTPClock: the command service's clock stamps what the API shows (here the creation time).
func TestHTTPClock(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 7, 1, 18, 0, 0, 0, time.UTC)
	e := newEnvWith(t, api.Config{}, envOpts{now: func() time.Time { return now }})
	e.tournament(map[string]any{"name": "Clock", "format": "single_elimination"}, "Ada", "Grace")
	var list struct {
		Tournaments []store.Summary `json:"tournaments"`
	}
	e.must(http.StatusOK, "GET", "/api/tournaments", "", nil).decode(t, &list)
	if len(list.Tournaments) != 1 || !list.Tournaments[0].CreatedAt.Equal(now) {
		t.Errorf("list %+v; want one tournament created at %v (the injected clock)", list.Tournaments, now)
	}
}

// TestHTTPWebSocketRoute checks that /ws reaches the WebSocket side through the router (the
// upgrade survives the middleware) and that a result reported over HTTP reaches a subscriber.
func TestHTTPWebSocketRoute(t *testing.T) {
	t.Parallel()
	e := newEnv(t, api.Config{})
	id, org, tokens := e.tournament(map[string]any{"name": "Sockets", "format": "single_elimination"}, "Ada", "Grace")
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(e.http.URL, "http")+"/ws", nil)
	if err != nil {
		t.Fatalf("dial /ws: %v", err)
	}
	defer conn.CloseNow()
	read := func(typ string) map[string]any {
		t.Helper()
		for {
			var m map[string]any
			if err := wsjson.Read(ctx, conn, &m); err != nil {
				t.Fatalf("read %s: %v", typ, err)
			}
			if m["type"] == typ {
				return m
			}
		}
	}
	if err := wsjson.Write(ctx, conn, map[string]any{"type": "ping", "ref": "p1"}); err != nil {
		t.Fatal(err)
	}
	if m := read("pong"); m["ref"] != "p1" {
		t.Errorf("pong %v; want ref p1", m)
	}
	if err := wsjson.Write(ctx, conn, map[string]any{"type": "subscribe", "ref": "s1", "tournament": id}); err != nil {
		t.Fatal(err)
	}
	read("snapshot")
	e.must(http.StatusOK, "POST", "/api/tournaments/"+id+"/start", org, nil)
	if m := read("event"); m["version"] != float64(4) {
		t.Errorf("event %v; want version 4 (the start)", m)
	}
	m := e.state(id).Matches[0]
	e.must(http.StatusOK, "POST", fmt.Sprintf("/api/tournaments/%s/matches/%d/result", id, m.ID), tokens[int(m.Players[0])], map[string]any{"scores": []int{1, 0}})
	if ev := read("event"); ev["version"] != float64(5) {
		t.Errorf("event %v; want version 5 (the report)", ev)
	}
	conn.Close(websocket.StatusNormalClosure, "")
}

// TestCommandAnswerAsEncodingJSON: a command's answer ({"version","events"}, written without
// reflection) is byte for byte what encoding/json writes for it, newline included, for a start
// (every match of the bracket, names that JSON escapes) and a withdrawal.
func TestCommandAnswerAsEncodingJSON(t *testing.T) {
	t.Parallel()
	e := newEnv(t, api.Config{})
	id, org, _ := e.tournament(map[string]any{"name": "Answers", "format": "single_elimination"},
		"Ann", `Bo "the" <b>`, "Cy & co", "Di\u2028", "Ed")
	same := func(r reply) {
		t.Helper()
		var a struct {
			Version int64         `json:"version"`
			Events  []match.Event `json:"events"`
		}
		r.decode(t, &a)
		want, err := json.Marshal(a)
		if err != nil {
			t.Fatal(err)
		}
		if string(r.body) != string(want)+"\n" {
			t.Fatalf("answer\n got  %s\n want %s", r.body, want)
		}
		if len(a.Events) == 0 || a.Version == 0 {
			t.Fatalf("answer %s has no version or no events", r.body)
		}
		if ct := r.header.Get("Content-Type"); ct != "application/json" {
			t.Fatalf("Content-Type %q", ct)
		}
	}
	same(e.must(http.StatusOK, "POST", "/api/tournaments/"+id+"/start", org, nil))
	same(e.must(http.StatusOK, "POST", "/api/tournaments/"+id+"/players/2/withdraw", org, nil))
}
