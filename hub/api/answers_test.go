package api_test

import (
	"bytes"
	"io"
	"net/http"
	"testing"

	"github.com/tourhub/tourhub/hub/api"
	"github.com/tourhub/tourhub/hub/store"
	"github.com/tourhub/tourhub/hub/storetest"
)

// TestGetTournamentAnswers: GET /api/tournaments/{id} answers an unchanged state as it was
// encoded, without reading it again, with an ETag that names its position; If-None-Match with
// that tag answers 304 while the state is unchanged, and the new state once a command changed
// it. A deleted tournament is not found whatever was kept.
func TestGetTournamentAnswers(t *testing.T) {
	t.Parallel()
	var counter *storetest.LoadCounter
	e := newEnvWith(t, api.Config{}, envOpts{wrap: func(st store.Store) store.Store {
		counter = &storetest.LoadCounter{Store: st}
		return counter
	}})
	id, org, _ := e.tournament(map[string]any{"name": "Tagged", "format": "single_elimination"}, "Ada", "Grace")
	get := func(ifNoneMatch string) reply {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), "GET", e.http.URL+"/api/tournaments/"+id, nil)
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

	e.must(http.StatusCreated, "POST", "/api/tournaments/"+id+"/players", "", map[string]any{"name": "Linus"})
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
