package api_test

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/tourhub/tourhub/hub/api"
	"github.com/tourhub/tourhub/hub/memstore"
	"github.com/tourhub/tourhub/hub/view"
	"github.com/tourhub/tourhub/match"
)

// playHistory plays a small tournament through the API, with edits, and returns its id, its
// organiser token and its state after every version (index v-1).
func playHistory(t *testing.T, e *env) (string, string, []view.View) {
	t.Helper()
	id, org, _ := e.tournament(map[string]any{"name": "History Cup", "format": "round_robin", "best_of": 3})
	base := "/api/tournaments/" + id
	var states []view.View
	record := func() {
		v := e.state(id)
		for int64(len(states)) < v.Version-1 {
			states = append(states, view.View{}) // versions this test did not see: filled below
		}
		states = append(states, v)
	}
	record()
	var added struct {
		Players []struct {
			PlayerID int    `json:"player_id"`
			Token    string `json:"token"`
		} `json:"players"`
	}
	e.must(201, "POST", base+"/players/batch", org, csvBody("name,rating\n=HYPERLINK(\"x\"),1500\nGrace,1900\nLinus\nKen,1700\n")).decode(t, &added)
	record()
	e.must(200, "POST", base+"/seeds", org, map[string]any{"seeding": "rating"})
	record()
	e.must(200, "PATCH", base, org, map[string]any{"description": "Three rounds"})
	record()
	e.must(200, "POST", base+"/start", org, nil)
	record()
	for {
		v := e.state(id)
		if v.Status != match.StatusRunning {
			break
		}
		for _, m := range v.Matches {
			if m.Status == match.MatchReady {
				games := [][2]int{{11, int(m.ID)}, {11, 2}}
				if m.ID%2 == 1 {
					games = [][2]int{{11, int(m.ID)}, {4, 11}, {11, 2}}
				}
				e.must(200, "POST", fmt.Sprintf("%s/matches/%d/result", base, m.ID), org, map[string]any{"scores": []int{2, int(m.ID) % 2}, "games": games})
				record()
				break
			}
		}
	}
	return id, org, states
}

// TestHistory: the state at every version, replayed from the log, is the state that version had;
// versions out of range are refused.
func TestHistory(t *testing.T) {
	t.Parallel()
	e := newEnv(t, api.Config{})
	id, _, states := playHistory(t, e)
	base := "/api/tournaments/" + id
	for v, want := range states {
		if want.Version == 0 {
			continue
		}
		var got view.View
		e.must(200, "GET", fmt.Sprintf("%s?version=%d", base, v+1), "", nil).decode(t, &got)
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(want)
		if string(g) != string(w) {
			t.Fatalf("version %d:\n got %s\nwant %s", v+1, g, w)
		}
	}
	for _, q := range []string{"0", "-1", "x", "1.5", fmt.Sprint(len(states) + 1)} {
		e.must(400, "GET", base+"?version="+q, "", nil)
	}
	e.must(404, "GET", "/api/tournaments/t_none?version=1", "", nil)
}

// TestHistoryGone: once the log is trimmed, earlier versions are 410 history_gone and the export
// carries the state without a history, which cannot be imported.
func TestHistoryGone(t *testing.T) {
	t.Parallel()
	e := newEnvWith(t, api.Config{}, envOpts{mem: []memstore.Option{memstore.WithMaxEvents(3)}})
	id, _, _ := playHistory(t, e)
	r := e.must(410, "GET", "/api/tournaments/"+id+"?version=1", "", nil)
	if !strings.Contains(string(r.body), `"history_gone"`) {
		t.Errorf("answer %s; want code history_gone", r.body)
	}
	var ex map[string]json.RawMessage
	e.must(200, "GET", "/api/tournaments/"+id+"/export", "", nil).decode(t, &ex)
	if _, ok := ex["history"]; ok || ex["tournament"] == nil {
		t.Errorf("export of a trimmed log has keys %v; want the tournament without history", keys(ex))
	}
	raw, _ := json.Marshal(ex)
	e.must(400, "POST", "/api/tournaments/import", "", string(raw))
}

func keys(m map[string]json.RawMessage) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestExportImport: an export imports as a new tournament with the same result and a working
// organiser token; an edited or foreign file is refused and creates nothing.
func TestExportImport(t *testing.T) {
	t.Parallel()
	e := newEnv(t, api.Config{})
	id, _, states := playHistory(t, e)
	final := states[len(states)-1]
	r := e.must(200, "GET", "/api/tournaments/"+id+"/export", "", nil)
	if cd := r.header.Get("Content-Disposition"); !strings.Contains(cd, id+".json") {
		t.Errorf("Content-Disposition %q; want a download named %s.json", cd, id)
	}
	var ex struct {
		Format        string          `json:"format"`
		FormatVersion int             `json:"format_version"`
		Tournament    view.View       `json:"tournament"`
		History       []match.Command `json:"history"`
	}
	r.decode(t, &ex)
	if ex.Format != "tourhub-export" || ex.FormatVersion != 1 || int64(len(ex.History)) != final.Version || ex.Tournament.Version != final.Version {
		t.Fatalf("export: format %q %d, %d commands, version %d; want tourhub-export 1 with %d commands", ex.Format, ex.FormatVersion, len(ex.History), ex.Tournament.Version, final.Version)
	}

	before := len(listIDs(t, e))
	var c created
	e.must(201, "POST", "/api/tournaments/import", "", string(r.body)).decode(t, &c)
	got := e.state(c.Tournament.ID)
	if c.Tournament.ID == id || got.Version != final.Version || got.Status != match.StatusFinished || got.Description != "Three rounds" {
		t.Fatalf("imported %s at version %d, %s, %q; want a new id at %d, finished, with the description", c.Tournament.ID, got.Version, got.Status, got.Description, final.Version)
	}
	g, _ := json.Marshal([]any{got.Participants, got.Matches, got.Standings})
	w, _ := json.Marshal([]any{final.Participants, final.Matches, final.Standings})
	if string(g) != string(w) {
		t.Fatalf("imported tournament differs:\n got %s\nwant %s", g, w)
	}
	e.must(200, "PATCH", "/api/tournaments/"+c.Tournament.ID, c.OrganiserToken, map[string]any{"name": "History Cup (copy)"})

	// Refusals create nothing.
	var doc map[string]any
	if err := json.Unmarshal(r.body, &doc); err != nil {
		t.Fatal(err)
	}
	edited := func(change func(map[string]any)) string {
		var d map[string]any
		json.Unmarshal(r.body, &d)
		change(d)
		b, _ := json.Marshal(d)
		return string(b)
	}
	for name, body := range map[string]string{
		"another format":  edited(func(d map[string]any) { d["format"] = "challonge" }),
		"a later version": edited(func(d map[string]any) { d["format_version"] = 2 }),
		"a changed score": edited(func(d map[string]any) {
			h := d["history"].([]any)
			last := h[len(h)-1].(map[string]any)
			last["scores"] = []any{0, 2}
		}),
		"a refused command": edited(func(d map[string]any) {
			h := d["history"].([]any)
			d["history"] = append(h, map[string]any{"type": "join", "name": "Late", "at": "2026-12-03T20:00:00Z"})
		}),
		"no create first": edited(func(d map[string]any) { d["history"] = d["history"].([]any)[1:] }),
		"not JSON":        "tourhub",
	} {
		rr := e.do("POST", "/api/tournaments/import", "", body)
		if rr.status != http.StatusBadRequest {
			t.Errorf("import of %s: %d %s; want 400", name, rr.status, rr.body)
		}
	}
	if after := len(listIDs(t, e)); after != before+1 {
		t.Errorf("%d tournaments after the refused imports; want %d", after, before+1)
	}
}

func listIDs(t *testing.T, e *env) []string {
	var l struct {
		Tournaments []struct {
			ID string `json:"id"`
		} `json:"tournaments"`
	}
	e.must(200, "GET", "/api/tournaments?limit=100", "", nil).decode(t, &l)
	var out []string
	for _, x := range l.Tournaments {
		out = append(out, x.ID)
	}
	return out
}

// TestExportCSV: standings and matches as CSV, best first, names that a spreadsheet would run as
// a formula written as text.
func TestExportCSV(t *testing.T) {
	t.Parallel()
	e := newEnv(t, api.Config{})
	id, _, states := playHistory(t, e)
	final := states[len(states)-1]
	read := func(path string) [][]string {
		r := e.must(200, "GET", "/api/tournaments/"+id+"/export/"+path, "", nil)
		if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
			t.Errorf("%s: Content-Type %q; want text/csv", path, ct)
		}
		rows, err := csv.NewReader(strings.NewReader(string(r.body))).ReadAll()
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		return rows
	}
	st := read("standings.csv")
	if len(st) != 1+len(final.Standings) || st[0][0] != "rank" || st[0][3] != "name" {
		t.Fatalf("standings.csv has %d rows, header %v; want %d rows after rank,...,name", len(st), st[0], 1+len(final.Standings))
	}
	names := map[string]bool{}
	for i, row := range st[1:] {
		s := final.Standings[i]
		if row[0] != fmt.Sprint(s.Rank) || row[2] != fmt.Sprint(s.Player) || row[9] != fmt.Sprint(s.Points) {
			t.Errorf("standings row %d: %v; want rank %d, player %d, points %v", i+1, row, s.Rank, s.Player, s.Points)
		}
		names[row[3]] = true
	}
	if !names[`'=HYPERLINK("x")`] {
		t.Errorf("names %v; want the formula-like name written with a leading apostrophe", names)
	}
	ms := read("matches.csv")
	if len(ms) != 1+len(final.Matches) || ms[0][0] != "match_id" {
		t.Fatalf("matches.csv has %d rows, header %v; want %d rows", len(ms), ms[0], 1+len(final.Matches))
	}
	for i, row := range ms[1:] {
		m := final.Matches[i]
		var games []string
		for _, g := range *m.Games {
			games = append(games, fmt.Sprintf("%d-%d", g[0], g[1]))
		}
		if row[0] != fmt.Sprint(m.ID) || row[9] != fmt.Sprint(m.Scores[0]) || row[11] != fmt.Sprint(int(m.Winner)) || row[16] != strings.Join(games, " ") {
			t.Errorf("matches row %d: %v; want match %d, %d-%d, winner %d", i+1, row, m.ID, m.Scores[0], m.Scores[1], m.Winner)
		}
	}
}
