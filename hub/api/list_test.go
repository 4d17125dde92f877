package api_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tourhub/tourhub/hub/api"
	"github.com/tourhub/tourhub/hub/command"
	"github.com/tourhub/tourhub/hub/store"
)

type listPage struct {
	Tournaments []store.Summary `json:"tournaments"`
	NextCursor  *string         `json:"next_cursor"`
}

// TestHTTPListPages: ?limit= pages the list with next_cursor, absent on the last page, and the
// filters apply across the pages.
func TestHTTPListPages(t *testing.T) {
	t.Parallel()
	e := newEnv(t, api.Config{})
	for i := range 7 {
		format, name := "round_robin", fmt.Sprintf("League %d", i)
		if i%2 == 0 {
			format, name = "swiss", fmt.Sprintf("Open Cup %d", i)
		}
		e.must(http.StatusCreated, "POST", "/api/tournaments", "", map[string]any{"name": name, "format": format})
	}
	// The order is the store's (hub/storetest holds it to newest first, ties by id): here, that
	// of one page of all.
	var one listPage
	e.must(http.StatusOK, "GET", "/api/tournaments", "", nil).decode(t, &one)
	var swiss, all []string
	for _, s := range one.Tournaments {
		all = append(all, s.ID)
		if s.Format == "swiss" {
			swiss = append(swiss, s.ID)
		}
	}
	if len(all) != 7 || len(swiss) != 4 || one.NextCursor != nil {
		t.Fatalf("list of all = %d tournaments, %d swiss, next_cursor %v; want 7, 4 and none", len(all), len(swiss), one.NextCursor)
	}
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"limit=3", all},
		{"limit=2&format=swiss", swiss},
		{"limit=1&name=" + url.QueryEscape("open CUP"), swiss},
		{"limit=3&status=registering&format=swiss&name=cup", swiss},
		{"format=double_elimination", nil},
	} {
		var got []string
		q := tc.query
		for pages := 1; ; pages++ {
			var p listPage
			e.must(http.StatusOK, "GET", "/api/tournaments?"+q, "", nil).decode(t, &p)
			for _, s := range p.Tournaments {
				got = append(got, s.ID)
			}
			if p.NextCursor == nil {
				break
			}
			if *p.NextCursor == "" || pages > 10 {
				t.Fatalf("%s: next_cursor %q on page %d", tc.query, *p.NextCursor, pages)
			}
			q = tc.query + "&cursor=" + *p.NextCursor
		}
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%s: paged %v; want %v", tc.query, got, tc.want)
		}
	}
}

// TestHTTPListRefused: a bad list parameter is 400 bad_request naming the parameter, the value and
// what it takes.
func TestHTTPListRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t, api.Config{})
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"status=done", []string{"status", `"done"`, "registering, running, finished or cancelled"}},
		{"format=knockout", []string{"format", `"knockout"`, "single_elimination, double_elimination, round_robin or swiss"}},
		{"name=" + strings.Repeat("x", 65), []string{"name", "at most 64 characters"}},
		{"name=%FF", []string{"name", "text"}},
		{"limit=101", []string{"limit", `"101"`, "from 1 to 100"}},
		{"limit=0", []string{"limit", `"0"`}},
		{"cursor=abc!", []string{"cursor", `"abc!"`, "next_cursor"}},
		{"cursor=bm90LWEtY3Vyc29y", []string{"cursor", "not a cursor"}},
	} {
		r := e.do("GET", "/api/tournaments?"+tc.query, "", nil)
		if r.status != http.StatusBadRequest || r.errCode(t) != command.CodeBadRequest {
			t.Errorf("%s: got %d %s; want 400 bad_request", tc.query, r.status, r.body)
			continue
		}
		for _, w := range tc.want {
			if msg := r.errMessage(t); !strings.Contains(msg, w) {
				t.Errorf("%s: message %q; want it to say %s", tc.query, msg, w)
			}
		}
	}
}
