package redisstore

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/tourhub/tourhub/match"
)

// applyObjectsFull is applyObjects as it was before splitObject: every object decoded in full. The
// reference TestSplitObjectAsDecode holds applyObjects to.
func applyObjectsFull(t *match.Tournament, objects []json.RawMessage, version int64) (json.RawMessage, error) {
	fields := make(map[string]json.RawMessage)
	lastMeta := false
	for _, o := range objects {
		var f map[string]json.RawMessage
		if err := decode(o, &f); err != nil {
			return nil, err
		}
		_, lastMeta = f[fieldMeta]
		maps.Copy(fields, f)
	}
	if err := applyFields(t, fields); err != nil {
		return nil, err
	}
	if lastMeta && t.Version != version {
		return nil, errWrongVersion
	}
	t.Version = version
	return fields[fieldMeta], nil
}

var errWrongVersion = errors.New("the fields say another version")

// commitObjects plays a tournament of format with n players (joins, one more who leaves, start,
// both players' reports of every ready match until it finishes) and returns, for every command after the
// create, the state it was applied to and the fields it published (object) and pushed on the
// recent list (appendRecent).
func commitObjects(t testing.TB, format match.Format, n int) (bases []*match.Tournament, objects []string) {
	t.Helper()
	tr := &match.Tournament{}
	settings := &match.Settings{Format: format}
	if format == match.Swiss {
		settings.Rounds = 3
	}
	if _, err := match.Apply(tr, match.Command{Type: match.CmdCreate, Tournament: "t_split", Name: `split "<&>"`,
		Settings: settings}); err != nil {
		t.Fatal(err)
	}
	_, rest, err := encodeMeta(tr)
	if err != nil {
		t.Fatal(err)
	}
	apply := func(c match.Command) {
		t.Helper()
		base := tr.Clone()
		_, ch, err := match.ApplyChanges(tr, c)
		if err != nil {
			t.Fatalf("%s: %v", c.Type, err)
		}
		f, err := changedFields(tr, ch, rest)
		if err != nil {
			t.Fatal(err)
		}
		rest = f.metaRest
		bases = append(bases, base, base)
		objects = append(objects, publishedObject(&f), string(f.appendRecent(nil)))
	}
	for i := range n {
		apply(match.Command{Type: match.CmdJoin, Name: "p" + strconv.Itoa(i) + strings.Repeat(`é\"`, i%3), Rating: float64(i)})
	}
	apply(match.Command{Type: match.CmdJoin, Name: "leaves"}) // a deleted field: "p:N":null
	apply(match.Command{Type: match.CmdLeave, Player: tr.LastPlayer})
	apply(match.Command{Type: match.CmdStart})
	for tr.Status == match.StatusRunning {
		i := slices.IndexFunc(tr.Matches, func(m match.Match) bool { return m.Status == match.MatchReady })
		if i < 0 {
			break
		}
		m := tr.Matches[i]
		apply(match.Command{Type: match.CmdReport, Match: m.ID, By: m.Players[0], Scores: [2]int{1, 0}})
		apply(match.Command{Type: match.CmdReport, Match: m.ID, By: m.Players[1], Scores: [2]int{1, 0}})
	}
	return bases, objects
}

// TestSplitObjectAsDecode: applyObjects, which splits the objects appendFieldsObject writes without
// decoding them, brings a state to exactly what the full decode of every object does, or fails
// where it fails: for every commit of a played tournament of each format, and for each of those
// objects altered (a byte deleted, replaced or inserted, whitespace added, a member repeated, a
// name escaped). It also checks that the split is taken for every object as written.
func TestSplitObjectAsDecode(t *testing.T) {
	r := rand.New(rand.NewPCG(6, 12))
	junk := []byte(`{}[]",:\ ntrue0-1.5e9` + "\t\x01\xff")
	alter := func(o string) string {
		i := r.IntN(len(o) + 1)
		switch r.IntN(6) {
		case 0:
			if i == len(o) {
				i--
			}
			return o[:i] + o[i+1:]
		case 1:
			if i == len(o) {
				i--
			}
			return o[:i] + string(junk[r.IntN(len(junk))]) + o[i+1:]
		case 2:
			return o[:i] + string(junk[r.IntN(len(junk))]) + o[i:]
		case 3:
			return o[:i] + " " + o[i:]
		case 4: // the first member twice
			first := o[1:min(len(o), 1+skipValue([]byte(o), strings.Index(o, ":")+1)-1)]
			return "{" + first + "," + o[1:]
		default:
			return strings.Replace(o, `"m:`, `"\u006d:`, 1)
		}
	}
	taken, both, failed := 0, 0, 0
	for _, c := range []struct {
		format match.Format
		n      int
	}{{match.SingleElimination, 16}, {match.DoubleElimination, 8}, {match.RoundRobin, 6}, {match.Swiss, 8}} {
		bases, objects := commitObjects(t, c.format, c.n)
		for i, o := range objects {
			if _, ok := splitObject([]byte(o), nil); !ok {
				t.Fatalf("%s commit %d: splitObject refused %s", c.format, i/2+2, o)
			}
			variants := []string{o}
			for range 40 {
				variants = append(variants, alter(o))
			}
			for _, v := range variants {
				if _, ok := splitObject([]byte(v), nil); ok {
					taken++
				}
				if checkAsFullDecode(t, fmt.Sprintf("%s commit %d", c.format, i/2+2), bases[i], []byte(v)) {
					both++
				} else {
					failed++
				}
			}
		}
	}
	t.Logf("%d objects taken by the split; %d applied alike, %d refused by both", taken, both, failed)
}

// checkAsFullDecode applies the commit fields o to copies of base, with applyObjects and with
// applyObjectsFull, and fails t unless both refuse them or both make the same state and return
// the same tournament's own field. It reports whether they applied them; label names o in a
// failure.
func checkAsFullDecode(t *testing.T, label string, base *match.Tournament, o []byte) bool {
	t.Helper()
	version := base.Version + 1
	got, want := base.Clone(), base.Clone()
	gm, gerr := applyObjects(got, []json.RawMessage{o}, nil, version)
	wm, werr := applyObjectsFull(want, []json.RawMessage{o}, version)
	if (gerr != nil) != (werr != nil) {
		t.Fatalf("%s, %s:\nsplit: %v\nfull decode: %v", label, o, gerr, werr)
	}
	if gerr != nil {
		return false
	}
	gj, _ := json.Marshal(got)
	wj, _ := json.Marshal(want)
	if string(gj) != string(wj) || string(gm) != string(wm) {
		t.Fatalf("%s, %s:\nsplit made %s (t %s)\nfull decode %s (t %s)", label, o, gj, gm, wj, wm)
	}
	return true
}
