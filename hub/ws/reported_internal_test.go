package ws

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/tourhub/tourhub/match"
)

// TestReportedAsEncodingJSON: appendReported writes encoding/json's bytes for the answers to
// reports: every match of a played double elimination (ready, reported by one side, completed),
// none, refs and ids with characters encoding/json escapes, duplicates.
func TestReportedAsEncodingJSON(t *testing.T) {
	tr := &match.Tournament{}
	must := func(c match.Command) {
		t.Helper()
		if _, err := match.Apply(tr, c); err != nil {
			t.Fatalf("%s: %v", c.Type, err)
		}
	}
	must(match.Command{Type: match.CmdCreate, Tournament: "t_r", Name: "r", Settings: &match.Settings{Format: match.DoubleElimination, BestOf: 3}})
	for _, name := range []string{"a", "b", "c", "d", "e"} {
		must(match.Command{Type: match.CmdJoin, Name: name})
	}
	must(match.Command{Type: match.CmdStart})
	var matches []*match.Match
	seen := func() {
		for i := range tr.Matches {
			m := tr.Matches[i]
			matches = append(matches, &m)
		}
	}
	seen()
	for tr.Status == match.StatusRunning {
		i := slices.IndexFunc(tr.Matches, func(m match.Match) bool { return m.Status == match.MatchReady })
		if i < 0 {
			break
		}
		m := tr.Matches[i]
		must(match.Command{Type: match.CmdReport, Match: m.ID, By: m.Players[0], Scores: [2]int{2, 1}})
		seen()
		must(match.Command{Type: match.CmdReport, Match: m.ID, By: m.Players[1], Scores: [2]int{2, 1}})
		seen()
	}
	matches = append(matches, nil)
	refs := []string{"", "r1", `<&>"\` + "\u2028\x01\xff", "ü"}
	n := 0
	for i, m := range matches {
		for j, ref := range refs {
			r := reportedMsg{"reported", ref, []string{"t_r", "t_<&>"}[(i+j)%2], int64(i * 7), (i+j)%3 == 0, m}
			want, err := json.Marshal(r)
			if err != nil {
				t.Fatal(err)
			}
			got, err := appendReported(nil, r)
			if err != nil || string(got) != string(want) {
				t.Fatalf("appendReported:\n%s (%v)\nencoding/json:\n%s", got, err, want)
			}
			n++
		}
	}
	t.Logf("%d answers compared", n)
	var names []string // a member added to reportedMsg must be added to appendReported
	for f := range reflect.TypeFor[reportedMsg]().Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		names = append(names, name)
	}
	if got := strings.Join(names, " "); got != "type ref tournament version duplicate match" {
		t.Errorf("reportedMsg's members are %q; appendReported writes type ref tournament version duplicate match", got)
	}
}
