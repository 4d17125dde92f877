package api_test

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/tourhub/tourhub/hub/api"
	"github.com/tourhub/tourhub/hub/store"
	"github.com/tourhub/tourhub/hub/storetest"
)

// TestGetTournamentAnswers: GET /api/tournaments/{id} answers an unchanged state as it was
// encoded, without reading it again, with an ETag that names its position; If-None-Match with
// that tag answers 304 while the state is unchanged, and the new state once a command changed
// it. A state replayed at an earlier version (?version=N) is answered as it was encoded while the
// tournament does not change, and replayed again once it did. A deleted tournament is not found
// whatever was kept.
func TestGetTournamentAnswers(t *testing.T) {
	t.Parallel()
	var counter *storetest.LoadCounter
	e := newEnvWith(t, api.Config{}, envOpts{wrap: func(st store.Store) store.Store {
		counter = &storetest.LoadCounter{Store: st}
		return counter
	}})
	id, org, _ := e.tournament(map[string]any{"name": "Tagged", "format": "single_elimination"}, "Ada", "Grace")
	get := func(ifNoneMatch string, query ...string) reply {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), "GET", e.http.URL+"/api/tournaments/"+id+strings.Join(query, ""), nil)
		if err != nil {
			t.Fatal(err)
		}
		if ifNoneMatch != "" {
			req.Header.Set("If-None-Match", ifNoneMatch)
		}
		resp, err := e.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return reply{status: resp.StatusCode, header: resp.Header, body: body}
	}
	first := get("")
	tag := first.header.Get("ETag")
	if first.status != http.StatusOK || tag == "" {
		t.Fatalf("first GET: %d, ETag %q; want 200 with an ETag", first.status, tag)
	}
	loads := counter.Loads.Load()
	again := get("")
	if again.status != http.StatusOK || again.header.Get("ETag") != tag || !bytes.Equal(again.body, first.body) {
		t.Errorf("second GET: %d, ETag %q; want 200, %q and the same body", again.status, again.header.Get("ETag"), tag)
	}
	same := get(`"other", ` + tag)
	if same.status != http.StatusNotModified || len(same.body) != 0 || same.header.Get("ETag") != tag {
		t.Errorf("GET with If-None-Match of the state: %d, %d bytes, ETag %q; want 304, none, %q", same.status, len(same.body), same.header.Get("ETag"), tag)
	}
	if n := counter.Loads.Load() - loads; n != 0 {
		t.Errorf("the unchanged state was read %d times; want 0", n)
	}

	// A state replayed at an earlier version, likewise, while the tournament does not change.
	reads := counter.EventReads.Load()
	v2 := get("", "?version=2")
	v2tag := v2.header.Get("ETag")
	if v2.status != http.StatusOK || v2tag == "" || v2tag == tag {
		t.Fatalf("GET ?version=2: %d, ETag %q; want 200 and a tag of its own", v2.status, v2tag)
	}
	if again := get("", "?version=2"); again.status != http.StatusOK || again.header.Get("ETag") != v2tag || !bytes.Equal(again.body, v2.body) {
		t.Errorf("GET ?version=2 again: %d, ETag %q; want 200, %q and the same body", again.status, again.header.Get("ETag"), v2tag)
	}
	if same := get(v2tag, "?version=2"); same.status != http.StatusNotModified {
		t.Errorf("GET ?version=2 with its tag: %d; want 304", same.status)
	}
	if n := counter.EventReads.Load() - reads; n != 1 {
		t.Errorf("the log was read %d times for three GETs of version 2 of an unchanged tournament; want 1", n)
	}

	e.must(http.StatusCreated, "POST", "/api/tournaments/"+id+"/players", "", map[string]any{"name": "Linus"})
	if later := get("", "?version=2"); later.status != http.StatusOK || later.header.Get("ETag") != v2tag || !bytes.Equal(later.body, v2.body) {
		t.Errorf("GET ?version=2 after a join: %d, ETag %q; want the same state, %q", later.status, later.header.Get("ETag"), v2tag)
	}
	if n := counter.EventReads.Load() - reads; n != 2 {
		t.Errorf("the log was read %d times; want 2 (again once the tournament changed)", n)
	}
	changed := get(tag)
	if changed.status != http.StatusOK || changed.header.Get("ETag") == tag {
		t.Fatalf("GET with the old tag after a join: %d, ETag %q; want 200 and a new tag", changed.status, changed.header.Get("ETag"))
	}
	var v struct {
		Version      int64 `json:"version"`
		Participants []struct {
			Name string `json:"name"`
		} `json:"participants"`
	}
	changed.decode(t, &v)
	if len(v.Participants) != 3 || v.Participants[2].Name != "Linus" {
		t.Errorf("after the join: %+v; want Linus third", v)
	}

	e.must(http.StatusOK, "DELETE", "/api/tournaments/"+id, org, nil)
	if gone := get(""); gone.status != http.StatusNotFound {
		t.Errorf("GET after delete: %d %s; want 404", gone.status, gone.body)
	}
	if gone := get(changed.header.Get("ETag")); gone.status != http.StatusNotFound {
		t.Errorf("GET with the last tag after delete: %d; want 404", gone.status)
	}
}
