package api_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/tourhub/tourhub/hub/api"
	"github.com/tourhub/tourhub/match"
)

// specChecker is an http.RoundTripper that checks every real answer (and every request that
// succeeded) against docs/openapi.yaml, and records which operations and statuses it saw.
type specChecker struct {
	t      *testing.T
	router routers.Router
	next   http.RoundTripper

	mu   sync.Mutex
	seen map[string]bool // "METHOD /path/template STATUS"; guarded by mu
}

func loadSpec(t *testing.T, serverURL string) routers.Router {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile("../../docs/openapi.yaml")
	if err != nil {
		t.Fatalf("load openapi.yaml: %v", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		t.Fatalf("openapi.yaml is not valid OpenAPI: %v", err)
	}
	doc.Servers = openapi3.Servers{{URL: serverURL}}
	r, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatalf("router: %v", err)
	}
	return r
}

func (c *specChecker) RoundTrip(req *http.Request) (*http.Response, error) {
	var reqBody []byte
	if req.Body != nil {
		reqBody, _ = io.ReadAll(req.Body)
		req.Body.Close()
		req.Body = io.NopCloser(bytes.NewReader(reqBody))
	}
	resp, err := c.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))

	check := req.Clone(req.Context())
	check.Body = io.NopCloser(bytes.NewReader(reqBody))
	route, params, err := c.router.FindRoute(check)
	if err != nil {
		c.t.Errorf("%s %s: not in openapi.yaml: %v", req.Method, req.URL.Path, err)
		return resp, nil
	}
	opts := &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, IncludeResponseStatus: true, MultiError: true}
	in := &openapi3filter.RequestValidationInput{Request: check, PathParams: params, Route: route, Options: opts}
	if resp.StatusCode < 300 {
		if err := openapi3filter.ValidateRequest(req.Context(), in); err != nil {
			c.t.Errorf("%s %s %s: request does not match openapi.yaml: %v", req.Method, req.URL.Path, reqBody, err)
		}
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header, Options: opts}
	out.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(req.Context(), out); err != nil {
		c.t.Errorf("%s %s -> %d %s: answer does not match openapi.yaml: %v", req.Method, req.URL.Path, resp.StatusCode, trim(body), err)
	}
	c.mu.Lock()
	c.seen[fmt.Sprintf("%s %s %d", req.Method, route.Path, resp.StatusCode)] = true
	c.mu.Unlock()
	return resp, nil
}

func trim(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "..."
	}
	return string(b)
}

// TestOpenAPI drives every endpoint of a real server over real HTTP and checks each answer
// against docs/openapi.yaml.
func TestOpenAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t, api.Config{BodyLimit: 4096})
	checker := &specChecker{t: t, router: loadSpec(t, e.http.URL), next: http.DefaultTransport, seen: map[string]bool{}}
	e.client.Transport = checker

	// A single elimination, played out with an agreement, a dispute and a forfeit.
	id, org, tok := e.tournament(map[string]any{"name": "Spec Cup", "format": "single_elimination", "best_of": 3, "third_place": true, "match_time_limit": "30m",
		"retention": map[string]any{"finished": "1h", "idle": 3600, "log": "30m"}},
		"Ada", "Grace", "Linus", "Ken", "Barbara")
	base := "/api/tournaments/" + id
	e.must(200, "DELETE", base+"/players/5", tok[5], nil)
	e.must(200, "POST", base+"/start", org, nil)
	v := e.state(id)
	var ready []match.Match
	for _, m := range v.Matches {
		if m.Status == match.MatchReady {
			ready = append(ready, m)
		}
	}
	if len(ready) != 2 {
		t.Fatalf("%d ready matches; want 2", len(ready))
	}
	m1, m2 := ready[0], ready[1]
	res := func(m match.Match) string { return fmt.Sprintf("%s/matches/%d/result", base, m.ID) }
	e.must(200, "POST", res(m1), tok[int(m1.Players[0])], map[string]any{"scores": []int{2, 1}, "submission_id": "a1"})
	e.must(200, "POST", res(m1), tok[int(m1.Players[0])], map[string]any{"scores": []int{2, 1}, "submission_id": "a1"})
	e.must(200, "POST", res(m1), tok[int(m1.Players[1])], map[string]any{"scores": []int{2, 1}})
	e.must(200, "POST", res(m2), tok[int(m2.Players[0])], map[string]any{"scores": []int{2, 0}})
	e.must(200, "POST", res(m2), tok[int(m2.Players[1])], map[string]any{"scores": []int{0, 2}})
	e.must(200, "POST", res(m2), org, map[string]any{"scores": []int{0, 2}, "submission_id": "org"})
	v = e.state(id)
	for _, m := range v.Matches {
		if m.Status == match.MatchReady && m.Bracket == match.BracketThirdPlace {
			e.must(200, "POST", fmt.Sprintf("%s/matches/%d/forfeit", base, m.ID), tok[int(m.Players[0])], nil)
		} else if m.Status == match.MatchReady {
			e.must(200, "POST", fmt.Sprintf("%s/matches/%d/forfeit", base, m.ID), org, map[string]any{"player_id": int(m.Players[1])})
		}
	}
	e.must(409, "POST", base+"/cancel", org, nil)
	e.must(200, "GET", base, "", nil)
	e.must(200, "GET", base+"/events", "", nil)
	e.must(200, "GET", base+"/events?after=3", "", nil)

	// A round robin with check-in, a withdrawal and a cancel.
	rr, rrOrg, rrTok := e.tournament(map[string]any{"name": "Spec League", "format": "round_robin", "require_check_in": true, "points": map[string]any{"win": 3, "draw": 1, "loss": 0}},
		"Ada", "Grace", "Linus")
	rrBase := "/api/tournaments/" + rr
	e.must(200, "POST", rrBase+"/check-in", rrTok[1], nil)
	e.must(200, "POST", rrBase+"/check-in", rrOrg, map[string]any{"player_id": 2})
	e.must(200, "POST", rrBase+"/check-in", rrTok[3], map[string]any{})
	e.must(200, "POST", rrBase+"/start", rrOrg, nil)
	e.must(200, "POST", rrBase+"/players/3/withdraw", rrTok[3], nil)
	e.must(200, "POST", rrBase+"/players/2/withdraw", rrOrg, map[string]any{"disqualify": true})
	e.must(200, "GET", rrBase, "", nil)
	spare, spareOrg := spareTournament(e)
	e.must(200, "POST", "/api/tournaments/"+spare+"/cancel", spareOrg, nil)

	e.must(200, "GET", "/api/tournaments", "", nil)
	e.must(200, "GET", "/api/tournaments?status=running&limit=5", "", nil)
	var first struct {
		NextCursor string `json:"next_cursor"`
	}
	e.must(200, "GET", "/api/tournaments?limit=1&name=SPEC", "", nil).decode(t, &first)
	if first.NextCursor == "" {
		t.Fatal("a page of 1 of the 2 Spec tournaments has no next_cursor")
	}
	e.must(200, "GET", "/api/tournaments?limit=1&name=SPEC&cursor="+first.NextCursor, "", nil)
	e.must(200, "GET", "/api/tournaments?format=swiss&status=cancelled", "", nil)
	e.must(200, "GET", "/healthz", "", nil)
	e.must(200, "GET", "/readyz", "", nil)
	e.must(200, "GET", "/metrics", "", nil)

	// Errors.
	e.must(400, "POST", "/api/tournaments", "", `{"name":`)
	e.must(400, "POST", "/api/tournaments", "", map[string]any{"name": "Long", "format": "swiss", "retention": map[string]any{"finished": "3h"}})
	e.must(400, "GET", "/api/tournaments?limit=1000", "", nil)
	e.must(400, "GET", "/api/tournaments?cursor=bm90LWEtY3Vyc29y", "", nil)
	e.must(400, "GET", "/api/tournaments?format=knockout", "", nil)
	e.must(400, "GET", base+"/events?after=x", "", nil)
	e.must(400, "GET", base+"?verbose=1", "", nil)
	e.must(413, "POST", "/api/tournaments", "", `{"name":"`+strings.Repeat("x", 5000)+`"}`)
	e.must(401, "POST", base+"/start", "", nil)
	e.must(403, "POST", base+"/start", tok[1], nil)
	e.must(404, "GET", "/api/tournaments/t_none", "", nil)
	e.must(404, "POST", base+"/matches/99/result", org, map[string]any{"scores": []int{1, 0}})
	e.must(409, "POST", base+"/players", "", map[string]any{"name": "Late"})
	spare, spareOrg = spareTournament(e)
	e.must(201, "POST", "/api/tournaments/"+spare+"/players", "", map[string]any{"name": "Ada"})
	e.must(422, "POST", "/api/tournaments/"+spare+"/players", "", map[string]any{"name": "ADA"})
	e.must(422, "POST", "/api/tournaments/"+spare+"/start", spareOrg, nil)

	// The organiser's edits.
	ed, edOrg, edTok := e.tournament(map[string]any{"name": "Spec Edit", "description": "Friday", "format": "single_elimination"}, "Ada", "Grace")
	edBase := "/api/tournaments/" + ed
	e.must(200, "PATCH", edBase, edOrg, map[string]any{"name": "Spec Edited", "description": "Saturday\nat noon"})
	e.must(403, "PATCH", edBase, edTok[1], map[string]any{"name": "Mine"})
	e.must(400, "PATCH", edBase, edOrg, map[string]any{"colour": "red"})
	e.must(201, "POST", edBase+"/players/batch", edOrg, map[string]any{"players": []any{map[string]any{"name": "Linus", "rating": 1800}, map[string]any{"name": "Ken"}}})
	e.must(201, "POST", edBase+"/players/batch", edOrg, csvBody("name,rating\nBarbara,1900\n\"Hopper, G\",\n"))
	e.must(422, "POST", edBase+"/players/batch", edOrg, map[string]any{"players": []any{map[string]any{"name": "ada"}}})
	e.must(400, "POST", edBase+"/players/batch", edOrg, csvBody("Edsger,fast\n"))
	e.must(200, "PATCH", edBase+"/players/1", edTok[1], map[string]any{"name": "Ada L."})
	e.must(403, "PATCH", edBase+"/players/1", edTok[1], map[string]any{"seed": 2})
	e.must(200, "PATCH", edBase+"/players/4", edOrg, map[string]any{"seed": 1, "rating": 2000})
	e.must(200, "POST", edBase+"/seeds", edOrg, map[string]any{"seeding": "given", "order": []int{2, 1, 4, 3, 5, 6}})
	e.must(200, "POST", edBase+"/seeds", edOrg, map[string]any{"seeding": "random"})
	e.must(400, "POST", edBase+"/seeds", edOrg, map[string]any{"seeding": "given", "order": []int{1}})
	e.must(200, "POST", edBase+"/players/4/token", edOrg, nil)
	e.must(404, "POST", edBase+"/players/9/token", edOrg, nil)
	e.must(403, "POST", edBase+"/players/4/token", edTok[2], nil)
	// A two-stage tournament: groups, then the playoff.
	ts, tsOrg, _ := e.tournament(map[string]any{"name": "Spec Stages", "format": "round_robin", "groups": 2,
		"playoff": map[string]any{"format": "double_elimination", "advance": 1}}, "Ada", "Grace", "Linus", "Ken")
	e.must(200, "POST", "/api/tournaments/"+ts+"/start", tsOrg, nil)
	e.must(409, "POST", "/api/tournaments/"+ts+"/playoff", tsOrg, nil)
	playReady(t, e, ts, tsOrg)
	e.must(200, "POST", "/api/tournaments/"+ts+"/playoff", tsOrg, nil)
	e.must(200, "GET", "/api/tournaments/"+ts, "", nil)
	e.must(200, "GET", edBase+"?version=3", "", nil)
	e.must(200, "GET", edBase+"/notices?after=1", edTok[1], nil)
	e.must(400, "GET", edBase+"?version=99", "", nil)
	exp := e.must(200, "GET", edBase+"/export", "", nil)
	e.must(201, "POST", "/api/tournaments/import", "", string(exp.body))
	e.must(200, "GET", edBase+"/export/standings.csv", "", nil)
	e.must(200, "GET", edBase+"/export/matches.csv", "", nil)
	e.must(200, "DELETE", edBase, edOrg, nil)
	e.must(200, "GET", "/api/config", "", nil)
	createOnce := map[string]any{"name": "Once", "format": "swiss", "submission_id": "c7d1e0f2-openapi-create"}
	e.must(201, "POST", "/api/tournaments", "", createOnce)
	e.must(200, "POST", "/api/tournaments", "", createOnce)
	e.must(404, "GET", edBase, "", nil)
	e.must(404, "DELETE", edBase, edOrg, nil)

	for _, want := range []string{
		"POST /api/tournaments 201", "GET /api/tournaments 200", "GET /api/tournaments/{id} 200",
		"GET /api/tournaments/{id}/events 200", "POST /api/tournaments/{id}/players 201",
		"DELETE /api/tournaments/{id}/players/{pid} 200", "POST /api/tournaments/{id}/players/{pid}/withdraw 200",
		"POST /api/tournaments/{id}/check-in 200", "POST /api/tournaments/{id}/start 200",
		"POST /api/tournaments/{id}/cancel 200", "POST /api/tournaments/{id}/matches/{mid}/result 200",
		"POST /api/tournaments/{id}/matches/{mid}/forfeit 200", "PATCH /api/tournaments/{id} 200", "DELETE /api/tournaments/{id} 200",
		"PATCH /api/tournaments/{id}/players/{pid} 200", "POST /api/tournaments/{id}/players/batch 201",
		"POST /api/tournaments/{id}/players/{pid}/token 200", "POST /api/tournaments/{id}/seeds 200", "GET /healthz 200",
		"GET /api/tournaments/{id}/export 200", "POST /api/tournaments/{id}/playoff 200", "GET /api/tournaments/{id}/notices 200", "GET /api/tournaments/{id}/export/standings.csv 200",
		"GET /api/tournaments/{id}/export/matches.csv 200", "POST /api/tournaments/import 201", "GET /readyz 200", "GET /metrics 200",
		"GET /api/config 200", "POST /api/tournaments 200",
	} {
		if !checker.seen[want] {
			t.Errorf("never exercised %s", want)
		}
	}
}

// spareTournament creates a bare Swiss tournament and returns its id and organiser token.
func spareTournament(e *env) (string, string) {
	e.t.Helper()
	var c created
	e.must(201, "POST", "/api/tournaments", "", map[string]any{"name": "Spare", "format": "swiss"}).decode(e.t, &c)
	return c.Tournament.ID, c.OrganiserToken
}
