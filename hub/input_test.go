package hub_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/tourhub/tourhub/hub"
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
	e := newEnv(t, hub.Config{})
	id, org, tok := e.tournament(map[string]any{"name": "Query", "format": "single_elimination"}, "Ada", "Grace")
	base := "/api/tournaments/" + id
	for _, tc := range []struct {
		name, method, path, token string
		want                      []string // in the message
	}{
		{"state", "GET", base + "?verbose=1", "", []string{`"verbose"`, "takes no query parameters"}},
		{"events misspelt", "GET", base + "/events?afer=3", "", []string{`"afer"`, "takes only after"}},
		{"events twice", "GET", base + "/events?after=1&after=2", "", []string{`"after"`, "given 2 times"}},
		{"list", "GET", "/api/tournaments?sort=name", "", []string{`"sort"`, "takes only status and limit"}},
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
			if r.status != http.StatusBadRequest || r.errCode(t) != hub.CodeBadRequest {
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
	e := newEnv(t, hub.Config{})
	registered := map[string]bool{}
	for _, r := range hub.Routes(e.srv) {
		registered[r.Method+" "+r.Path] = true
	}
	for k := range hub.RouteQuery {
		if !registered[k] {
			t.Errorf("routeQuery lists %q, which is not a registered route", k)
		}
	}
	if len(hub.RouteQuery) == 0 {
		t.Error("routeQuery is empty")
	}
}
