package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/tourhub/tourhub/hub/api"
	"github.com/tourhub/tourhub/hub/command"
	"github.com/tourhub/tourhub/hub/store"
)

// errMessage returns the message of an error body.
func (r reply) errMessage(t *testing.T) string {
	t.Helper()
	var b struct {
		Error struct{ Message string } `json:"error"`
	}
	r.decode(t, &b)
	return b.Error.Message
}

// TestHTTPQueryParameters: every API route takes only the query parameters it declares, each
// once; anything else is 400 bad_request naming the parameter and the ones the route takes, on the
// routes that take none too, and changes nothing.
func TestHTTPQueryParameters(t *testing.T) {
	t.Parallel()
	e := newEnv(t, api.Config{})
	id, org, tok := e.tournament(map[string]any{"name": "Query", "format": "single_elimination"}, "Ada", "Grace")
	base := "/api/tournaments/" + id
	for _, tc := range []struct {
		name, method, path, token string
		want                      []string // in the message
	}{
		{"state", "GET", base + "?verbose=1", "", []string{`"verbose"`, "takes only version"}},
		{"export", "GET", base + "/export?format=csv", "", []string{`"format"`, "takes no query parameters"}},
		{"events misspelt", "GET", base + "/events?afer=3", "", []string{`"afer"`, "takes only after"}},
		{"events twice", "GET", base + "/events?after=1&after=2", "", []string{`"after"`, "given 2 times"}},
		{"list", "GET", "/api/tournaments?sort=name", "", []string{`"sort"`, "takes only status, format, name, limit and cursor"}},
		{"list twice", "GET", "/api/tournaments?limit=5&limit=7", "", []string{`"limit"`, "given 2 times"}},
		{"join", "POST", base + "/players?name=Linus", "", []string{`"name"`, "takes no query parameters"}},
		{"start", "POST", base + "/start?now=1", org, []string{`"now"`, "takes no query parameters"}},
		{"result", "POST", base + "/matches/1/result?scores=1,0", tok[1], []string{`"scores"`}},
		{"leave", "DELETE", base + "/players/2?force=1", tok[2], []string{`"force"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := e.state(id).Version
			var body any
			if tc.method == "POST" && strings.Contains(tc.path, "/result") {
				body = map[string]any{"scores": []int{1, 0}}
			} else if tc.method == "POST" && strings.HasSuffix(strings.Split(tc.path, "?")[0], "/players") {
				body = map[string]any{"name": "Linus"}
			}
			r := e.do(tc.method, tc.path, tc.token, body)
			if r.status != http.StatusBadRequest || r.errCode(t) != command.CodeBadRequest {
				t.Fatalf("got %d %s; want 400 bad_request", r.status, r.body)
			}
			for _, w := range tc.want {
				if msg := r.errMessage(t); !strings.Contains(msg, w) {
					t.Errorf("message %q; want it to say %s", msg, w)
				}
			}
			if after := e.state(id).Version; after != before {
				t.Errorf("version %d after a refused request; want %d", after, before)
			}
		})
	}
	// The declared ones still work.
	e.must(http.StatusOK, "GET", "/api/tournaments?status=registering&limit=5", "", nil)
	e.must(http.StatusOK, "GET", base+"/events?after=1", "", nil)
	e.must(http.StatusOK, "GET", base, "", nil)
}

// TestRouteQueryNamesRoutes: every route routeQuery declares parameters for is a registered
// route, so that a renamed route cannot silently lose its parameters.
func TestRouteQueryNamesRoutes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, api.Config{})
	registered := map[string]bool{}
	for _, r := range api.Routes(e.node.API) {
		registered[r.Method+" "+r.Path] = true
	}
	for k := range api.RouteQuery {
		if !registered[k] {
			t.Errorf("routeQuery lists %q, which is not a registered route", k)
		}
	}
	if len(api.RouteQuery) == 0 {
		t.Error("routeQuery is empty")
	}
}

// TestHTTPDecodeMessages: a value of the wrong form names its field and shows a valid one; a
// date is not answered with Go's layout string, nor a bad duration with "malformed JSON". Nothing
// is created.
func TestHTTPDecodeMessages(t *testing.T) {
	t.Parallel()
	e := newEnv(t, api.Config{})
	for _, tc := range []struct {
		name, field string
		want        []string
	}{
		{"date words", `"scheduled_start":"tomorrow"`, []string{"field scheduled_start", `"2026-12-03T18:00:00Z"`, `not "tomorrow"`}},
		{"date without zone", `"scheduled_start":"2026-12-03 18:00"`, []string{"field scheduled_start", `"2026-12-03T18:00:00Z"`}},
		{"date zone out of range", `"scheduled_start":"2026-12-03T18:00:00+25:00"`, []string{"field scheduled_start", `"2026-12-03T18:00:00Z"`}},
		{"date as number", `"scheduled_start":5`, []string{"field scheduled_start", `"2026-12-03T18:00:00Z"`, "not 5"}},
		{"duration words", `"match_time_limit":"ten minutes"`, []string{"field match_time_limit", `"ten minutes"`, `"90s"`, `"10m"`}},
		{"duration bool", `"warn_before":true`, []string{"field warn_before", `"90s"`, `"10m"`}},
		{"duration huge seconds", `"check_in_window":1e300`, []string{"field check_in_window", "out of range"}},
		{"number too big for float64", `"points":{"win":1e400}`, []string{"field points.win", "1e400", "out of range"}},
		{"number too big for int", `"max_players":99999999999999999999`, []string{"field max_players", "out of range"}},
		{"fraction for int", `"best_of":1.5`, []string{"field best_of must be a whole number", "1.5"}},
		{"string for int", `"best_of":"three"`, []string{"field best_of must be a whole number"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do("POST", "/api/tournaments", "", `{"name":"Cup","format":"swiss",`+tc.field+`}`)
			if r.status != http.StatusBadRequest || r.errCode(t) != command.CodeBadRequest {
				t.Fatalf("got %d %s; want 400 bad_request", r.status, r.body)
			}
			msg := r.errMessage(t)
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("message %q; want it to say %s", msg, w)
				}
			}
			for _, bad := range []string{"2006-01-02", "malformed JSON", "Settings", "parsing time"} {
				if strings.Contains(msg, bad) {
					t.Errorf("message %q says %q", msg, bad)
				}
			}
		})
	}
	var list struct{ Tournaments []store.Summary }
	e.must(http.StatusOK, "GET", "/api/tournaments", "", nil).decode(t, &list)
	if len(list.Tournaments) != 0 {
		t.Errorf("%d tournaments after refused creates; want 0", len(list.Tournaments))
	}
}

// TestHTTPBounds: the inputs that could crash a node or reach a browser as a number it cannot hold
// are refused with 400 invalid at creation, and names without a visible character or that only
// look like another player's are refused at the join.
func TestHTTPBounds(t *testing.T) {
	t.Parallel()
	e := newEnv(t, api.Config{})
	for _, tc := range []struct{ name, body, want string }{
		{"points 1e303", `{"name":"Cup","format":"round_robin","points":{"win":1e303,"draw":1,"loss":0}}`, "points.win"},
		{"random_seed 2^53", `{"name":"Cup","format":"swiss","seeding":"random","random_seed":9007199254740992}`, "random_seed"},
		{"scheduled_start year 1", `{"name":"Cup","format":"swiss","scheduled_start":"0001-01-01T00:00:00Z"}`, "scheduled_start"},
		{"scheduled_start year 9999", `{"name":"Cup","format":"swiss","scheduled_start":"9999-12-31T23:59:59Z"}`, "scheduled_start"},
		{"invisible name", `{"name":"\u200b\u200d","format":"swiss"}`, "visible"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do("POST", "/api/tournaments", "", tc.body)
			if r.status != http.StatusBadRequest || r.errCode(t) != "invalid" {
				t.Fatalf("got %d %s; want 400 invalid", r.status, r.body)
			}
			if msg := r.errMessage(t); !strings.Contains(msg, tc.want) {
				t.Errorf("message %q; want it to name %s", msg, tc.want)
			}
		})
	}
	id, _, _ := e.tournament(map[string]any{"name": "Cup", "format": "swiss"}, "Ada")
	join := "/api/tournaments/" + id + "/players"
	if r := e.do("POST", join, "", `{"name":"\u3164"}`); r.status != http.StatusBadRequest || r.errCode(t) != "invalid" {
		t.Errorf("join with a Hangul filler: %d %s; want 400 invalid", r.status, r.body)
	}
	if r := e.do("POST", join, "", `{"name":"A\u200bda"}`); r.status != http.StatusUnprocessableEntity || r.errCode(t) != "name_taken" {
		t.Errorf("join as A, zero-width space, da: %d %s; want 422 name_taken", r.status, r.body)
	}
}

// TestHTTPRetention: a tournament's retention is set at creation within the node's values
// (--retention 2h and --idle-retention 24h here, the memory store's defaults) and shown in its
// state; a value out of bounds is 400 invalid naming the field, the value, the bound and the flag,
// and creates nothing.
func TestHTTPRetention(t *testing.T) {
	t.Parallel()
	e := newEnv(t, api.Config{})
	retentionOf := func(id string) string {
		t.Helper()
		var v struct {
			Settings struct {
				Retention json.RawMessage `json:"retention"`
			} `json:"settings"`
		}
		e.must(http.StatusOK, "GET", "/api/tournaments/"+id, "", nil).decode(t, &v)
		return string(v.Settings.Retention)
	}
	for _, tc := range []struct{ name, retention, want string }{
		{"given", `,"retention":{"finished":"10m","idle":"1h","log":"15m"}`, `{"finished":"10m0s","idle":"1h0m0s","log":"15m0s"}`},
		{"not given", ``, `{"finished":"2h0m0s","idle":"24h0m0s","log":"24h0m0s"}`},
		{"seconds, idle only", `,"retention":{"idle":120}`, `{"finished":"2h0m0s","idle":"2m0s","log":"2h0m0s"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c created
			e.must(http.StatusCreated, "POST", "/api/tournaments", "", `{"name":"Cup","format":"swiss"`+tc.retention+`}`).decode(t, &c)
			if got := retentionOf(c.Tournament.ID); got != tc.want {
				t.Errorf("state's settings.retention = %s; want %s", got, tc.want)
			}
		})
	}
	for _, tc := range []struct {
		name, retention, code string
		want                  []string
	}{
		{"finished over --retention", `{"finished":"3h"}`, "invalid", []string{"retention.finished", "3h0m0s", "2h0m0s", "--retention"}},
		{"idle over --idle-retention", `{"idle":"48h"}`, "invalid", []string{"retention.idle", "48h0m0s", "24h0m0s", "--idle-retention"}},
		{"idle under a minute", `{"idle":"59s"}`, "invalid", []string{"retention.idle", "59s", "1m0s"}},
		{"log over the tournament's", `{"finished":"10m","idle":"1h","log":"2h"}`, "invalid", []string{"retention.log", "2h0m0s", "1h0m0s"}},
		{"log in words", `{"log":"a day"}`, command.CodeBadRequest, []string{"field retention.log", `"a day"`, `"90s"`}},
		{"unknown kind", `{"stream":"1h"}`, command.CodeBadRequest, []string{"stream"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do("POST", "/api/tournaments", "", `{"name":"Cup","format":"swiss","retention":`+tc.retention+`}`)
			if r.status != http.StatusBadRequest || r.errCode(t) != tc.code {
				t.Fatalf("got %d %s; want 400 %s", r.status, r.body, tc.code)
			}
			msg := r.errMessage(t)
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("message %q; want it to say %s", msg, w)
				}
			}
		})
	}
	var list struct{ Tournaments []store.Summary }
	e.must(http.StatusOK, "GET", "/api/tournaments", "", nil).decode(t, &list)
	if len(list.Tournaments) != 3 {
		t.Errorf("%d tournaments; want 3 (refused creates create nothing)", len(list.Tournaments))
	}
}
