package redisstore

import (
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tourhub/tourhub/match"
)

// TestApplyFieldsEdges: cases the engine rarely or never produces, and malformed commits.
func TestApplyFieldsEdges(t *testing.T) {
	old := &match.Tournament{ID: "x", Version: 4,
		Participants: []match.Participant{{ID: 1, Name: "a"}, {ID: 3, Name: "c"}},
		Matches:      []match.Match{{ID: 1}, {ID: 2}, {ID: 3}}}
	meta := json.RawMessage(`{"id":"x","version":5}`)
	got := old.Clone()
	err := applyFields(got, map[string]json.RawMessage{fieldMeta: meta,
		"p:2": json.RawMessage(`{"id":2,"name":"b"}`), "p:1": json.RawMessage(`null`),
		"m:2": json.RawMessage(`null`), "m:3": json.RawMessage(`null`), "m:1": json.RawMessage(`{"id":1,"round":7}`)})
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != 5 || len(got.Participants) != 2 || got.Participants[0].ID != 2 || got.Participants[1].ID != 3 ||
		len(got.Matches) != 1 || got.Matches[0].Round != 7 {
		t.Errorf("applied: %+v", got)
	}
	for name, f := range map[string]map[string]json.RawMessage{
		"bad meta":        {fieldMeta: json.RawMessage(`[`)},
		"bad player id":   {fieldMeta: meta, "p:x": json.RawMessage(`{"id":1}`)},
		"bad match id":    {fieldMeta: meta, "m:0": json.RawMessage(`{"id":0}`)},
		"bad match":       {fieldMeta: meta, "m:1": json.RawMessage(`{"id":"one"}`)},
		"hole in matches": {fieldMeta: meta, "m:5": json.RawMessage(`{"id":5}`)},
		"another player":  {fieldMeta: meta, "p:2": json.RawMessage(`{"id":4,"name":"d"}`)},
		"no player id":    {fieldMeta: meta, "p:2": json.RawMessage(`{"name":"b"}`)},
		"another match":   {fieldMeta: meta, "m:1": json.RawMessage(`{"id":2,"round":7}`)},
	} {
		if err := applyFields(old.Clone(), f); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// TestPayloadRoundTrip: what appendPayload writes, parsePayload reads back as it was; anything
// that is not such a message is refused.
func TestPayloadRoundTrip(t *testing.T) {
	f := fieldSet{set: []string{"t", `{"id":"x","version":5}`, "m:2", `{"id":2}`}, del: []string{"p:3"}}
	events := []byte(`[{"type":"player_left","player":3}]`)
	m, err := parsePayload(string(appendPayload(nil, "e_00ff", 5, events, nil, "r9", "r8", &f, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if m.Epoch != "e_00ff" || m.Version != 5 || m.Rev != "r9" || m.Prev != "r8" || string(m.Events) != string(events) {
		t.Errorf("read %+v", m)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(m.Fields, &fields); err != nil || len(fields) != 3 || string(fields["p:3"]) != "null" ||
		string(fields["m:2"]) != `{"id":2}` {
		t.Errorf("fields %s (%v)", m.Fields, err)
	}
	if m.Annex != nil {
		t.Errorf("a message without an annex read with one: %q", m.Annex)
	}
	annex := []byte("a1\n[\"event\"]\n3 {}\n")
	a, err := parsePayload(string(appendPayload([]byte("kept"), "e_00ff", 5, events, annex, "r9", "r8", &f, nil)[4:]))
	if err != nil || string(a.Annex) != string(annex) || string(a.Events) != string(events) || string(a.Fields) != string(m.Fields) || a.Prev != "r8" {
		t.Errorf("with an annex: read %+v, %v", a, err)
	}
	c, err := parsePayload(string(appendPayload(nil, "e_00ff", 1, []byte(`[]`), nil, "r1", "", nil, nil)))
	if err != nil || c.Version != 1 || c.Rev != "r1" || c.Prev != "" || c.Fields != nil || string(c.Events) != "[]" {
		t.Errorf("create: %+v %v", c, err)
	}
	for _, bad := range []string{
		"", "tourhub/2 e 1 r - 2", "tourhub/3 e 1 r - 2\n[]", "tourhub/1 e 1 - 2\n[]", "tourhub/2 e 0 r - 2\n[]",
		"tourhub/2 e 1 r - 3\n[]", "tourhub/2 e 1 r - x\n[]", "tourhub/2 e 1 - - 2\n[]", "tourhub/2 e 2 r - 2\n[]",
		"tourhub/2 e 2 r q 2\n[]", "tourhub/2 e 1 r - 2\n[]{}", "tourhub/2 e 1 r - 2 extra\n[]",
		"tourhub/3 e 2 r q 2 0\n[]{}", "tourhub/3 e 2 r q 2 3\n[]ab", "tourhub/3 e 2 r q 2 x\n[]ab{}", "tourhub/2 e 2 r q 2 1\n[]a{}",
		"tourhub/3 e 2 r q 2 1\n[]a", "tourhub/3 e 1 r - 2 1\n[]a{}", "tourhub/3 e 2 r q 2 1 extra\n[]a{}",
		"tourhub/3 e 2 r q 2 1 x y z\n[]a{}", "tourhub/3  e 2 r q 2 1\n[]a{}", "tourhub/2 e 2 r q 2 \n[]{}",
		`{"epoch":"e","version":1,"events":[]}`,
	} {
		if m, err := parsePayload(bad); err == nil {
			t.Errorf("parsePayload(%q) = %+v; want an error", bad, m)
		}
	}
}

// TestMetaLeftOut: a command that changes nothing of the tournament's own field but its version
// (a report in a running tournament) publishes its fields without that field, one that changes
// more (a join raises last_player) with it; a watcher applying either, or several, gets the
// tournament the hash holds, the version from the commit.
func TestMetaLeftOut(t *testing.T) {
	tr := &match.Tournament{}
	if _, err := match.Apply(tr, match.Command{Type: match.CmdCreate, Tournament: "t_m", Name: "meta",
		Settings: &match.Settings{Format: match.SingleElimination}}); err != nil {
		t.Fatal(err)
	}
	_, rest, err := encodeMeta(tr)
	if err != nil || rest == "" {
		t.Fatalf("encodeMeta: %q, %v", rest, err)
	}
	watcher := tr.Clone()
	var objects []json.RawMessage
	apply := func(cmd match.Command, wantMeta bool) {
		t.Helper()
		_, ch, err := match.ApplyChanges(tr, cmd)
		if err != nil {
			t.Fatal(err)
		}
		f, err := changedFields(tr, ch, rest)
		if err != nil {
			t.Fatal(err)
		}
		if ch.MetaSame != !wantMeta {
			t.Errorf("%s: the engine's MetaSame %v; want %v", cmd.Type, ch.MetaSame, !wantMeta)
		}
		if full, _, err := encodeMeta(tr); err != nil || f.set[1] != full {
			t.Errorf("%s: t written %s; encodeMeta writes %s (%v)", cmd.Type, f.set[1], full, err)
		}
		if f.set[0] != fieldMeta || !strings.HasPrefix(f.set[1], `{"version":`) {
			t.Fatalf("the hash's fields start %q %.20q; want t with its version first", f.set[0], f.set[1])
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal([]byte(publishedObject(&f)), &obj); err != nil {
			t.Fatal(err)
		}
		if _, has := obj[fieldMeta]; has != wantMeta || f.metaSame == wantMeta {
			t.Errorf("%s: published t %v (metaSame %v); want %v", cmd.Type, has, f.metaSame, wantMeta)
		}
		rest = f.metaRest
		objects = append(objects, json.RawMessage(publishedObject(&f)))
	}
	for i := range 4 {
		apply(match.Command{Type: match.CmdJoin, Name: "p" + string(rune('a'+i))}, true)
	}
	apply(match.Command{Type: match.CmdStart}, true)
	m := tr.Matches[0]
	apply(match.Command{Type: match.CmdReport, Match: m.ID, By: m.Players[0], Scores: [2]int{1, 0}}, false)
	apply(match.Command{Type: match.CmdReport, Match: m.ID, By: m.Players[1], Scores: [2]int{1, 0}}, false)

	// One commit at a time, and all at once.
	one := watcher.Clone()
	for i, o := range objects {
		if _, err := applyObjects(one, []json.RawMessage{o}, nil, int64(i+2)); err != nil {
			t.Fatalf("commit %d: %v", i+2, err)
		}
	}
	all := watcher.Clone()
	meta, err := applyObjects(all, objects, nil, tr.Version)
	if err != nil {
		t.Fatal(err)
	}
	for name, got := range map[string]*match.Tournament{"one at a time": one, "together": all} {
		a, _ := json.Marshal(got)
		b, _ := json.Marshal(tr)
		if string(a) != string(b) {
			t.Errorf("%s: the watcher's tournament\n%s\nwant\n%s", name, a, b)
		}
	}
	if restOf(string(meta)) == "" || restOf(string(meta)) != rest {
		t.Errorf("the newest t applied %.60q; want the one of the start", meta)
	}
	// The last commit's t must say the version it is applied as.
	if _, err := applyObjects(watcher.Clone(), objects[:5], nil, 9); err == nil {
		t.Error("a start's t applied as version 9: no error")
	}
}

// TestRestOf: the tournament's own field without its version, only for a field written with the
// version first; anything else is not known ("").
func TestRestOf(t *testing.T) {
	for in, want := range map[string]string{
		`{"version":12,"id":"x"}`: `"id":"x"}`,
		`{"version":1,}`:          `}`,
		`{"id":"x","version":12}`: "",
		`{"version":,"id":"x"}`:   "",
		`{"version":12}`:          "",
		`{"version":12`:           "",
		``:                        "",
	} {
		if got := restOf(in); got != want {
			t.Errorf("restOf(%q) = %q; want %q", in, got, want)
		}
	}
}

// TestEncodeMeta: the tournament's own field starts with its version, leaves the participants
// and matches out (they have fields of their own), decodes to the tournament without them, and
// leaves the tournament as it was.
func TestEncodeMeta(t *testing.T) {
	tr := &match.Tournament{}
	if _, err := match.Apply(tr, match.Command{Type: match.CmdCreate, Tournament: "t_m", Name: "meta",
		Settings: &match.Settings{Format: match.SingleElimination}}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"p1", "p2", "p3"} {
		if _, err := match.Apply(tr, match.Command{Type: match.CmdJoin, Name: name}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := match.Apply(tr, match.Command{Type: match.CmdStart}); err != nil {
		t.Fatal(err)
	}
	before := tr.Clone()
	field, rest, err := encodeMeta(tr)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(field, `{"version":5,`) || rest == "" || !strings.HasSuffix(field, rest) {
		t.Errorf("field %s, rest %s; want the version first and the rest after it", field, rest)
	}
	if strings.Contains(field, `"participants"`) || strings.Contains(field, `"matches"`) {
		t.Errorf("field %s has the participants or matches", field)
	}
	var got match.Tournament
	if err := json.Unmarshal([]byte(field), &got); err != nil {
		t.Fatal(err)
	}
	want := before.Clone()
	want.Participants, want.Matches = nil, nil
	if wj, gj := mustJSON(t, want), mustJSON(t, &got); wj != gj {
		t.Errorf("field decodes to\n%s\nwant\n%s", gj, wj)
	}
	if bj, tj := mustJSON(t, before), mustJSON(t, tr); bj != tj {
		t.Errorf("encoding changed the tournament:\n%s\nwas\n%s", tj, bj)
	}
}

// metaReference is how encoding/json writes a tournament's own field (t): the version first, then
// the tournament without the participants and matches, hidden by nil fields of the same names.
// encodeMeta wrote it so before match.AppendOwnJSON, and must still.
type metaReference struct {
	Version int64 `json:"version"`
	*match.Tournament
	Participants *struct{} `json:"participants,omitempty"`
	Matches      *struct{} `json:"matches,omitempty"`
}

// TestMetaAsEncodingJSON: the tournament's own field encodeMeta writes is encoding/json's bytes,
// and decodeMeta reads it as encoding/json does, after every command of tournaments of every
// format played out (with a playoff, points, time limits, a withdrawal), with plain names (read
// without reflection, by match.DecodeOwn) and with a name to escape (read by decode). A field in
// another form (a hub from before: the version elsewhere, spaces) is read as encoding/json does.
func TestMetaAsEncodingJSON(t *testing.T) {
	fast := 0
	check := func(tr *match.Tournament, plain bool) {
		t.Helper()
		field, rest, err := encodeMeta(tr)
		if err != nil {
			t.Fatal(err)
		}
		if want := mustJSON(t, &metaReference{Version: tr.Version, Tournament: tr}); field != want {
			t.Fatalf("encodeMeta:\n got  %s\n want %s", field, want)
		}
		sameMeta(t, []byte(field))
		var own match.Tournament
		if match.DecodeOwn([]byte(rest[:len(rest)-1]), &own) {
			fast++
		} else if plain {
			t.Fatalf("match.DecodeOwn refused the members of %s", field)
		}
	}
	for _, f := range []match.Format{match.SingleElimination, match.DoubleElimination, match.RoundRobin, match.Swiss} {
		for _, name := range []string{"Friday cup", `say "<hi>"`} {
			plain := !strings.ContainsAny(name, `"<>`)
			s := &match.Settings{Format: f, BestOf: 3, MatchTimeLimit: match.Duration(10 * time.Minute)}
			if f == match.RoundRobin || f == match.Swiss {
				s.AllowDraws, s.Playoff = true, &match.Playoff{Format: match.SingleElimination, Advance: 2}
			}
			tr := &match.Tournament{}
			at := time.Date(2026, 12, 6, 19, 0, 0, 0, time.UTC)
			apply := func(c match.Command) {
				t.Helper()
				c.At = at
				if _, err := match.Apply(tr, c); err != nil {
					t.Fatalf("%s: %v", c.Type, err)
				}
				check(tr, plain)
			}
			apply(match.Command{Type: match.CmdCreate, Tournament: "t_meta", Name: name, Settings: s})
			for i := range 7 {
				apply(match.Command{Type: match.CmdJoin, Name: "P" + strconv.Itoa(i+1)})
			}
			apply(match.Command{Type: match.CmdStart})
			apply(match.Command{Type: match.CmdWithdraw, Player: 7})
			for range 200 {
				if tr.Status != match.StatusRunning {
					break
				}
				m := firstReady(tr)
				if m == nil {
					apply(match.Command{Type: match.CmdStartPlayoff})
					continue
				}
				apply(match.Command{Type: match.CmdReport, Match: m.ID, Scores: [2]int{2, 1}})
			}
			if tr.Status != match.StatusFinished {
				t.Fatalf("%s: %s after the play", f, tr.Status)
			}
		}
	}
	if fast == 0 {
		t.Fatal("match.DecodeOwn took no field: the test does not reach it")
	}
	for _, field := range []string{
		`{"id":"t_old","version":4,"name":"old","settings":{"format":"swiss","best_of":1,"max_players":8},"status":"registering","last_player":2}`,
		`{"version": 4, "id":"t_old","name":"old","settings":{"format":"swiss","best_of":1,"max_players":8},"status":"registering","last_player":2}`,
		`{"version":4,"id":"t_old","name":"old","status":"registering","settings":{"format":"swiss","best_of":1,"max_players":8},"last_player":2}`,
	} {
		sameMeta(t, []byte(field))
	}
	// What encoding/json refuses, decodeMeta refuses: a version with a leading zero, a member
	// after the closing brace, a truncated field.
	for _, field := range []string{
		`{"version":04,"id":"t_old","name":"old","settings":{"format":"swiss","best_of":1,"max_players":8},"status":"registering","last_player":2}`,
		`{"version":4,"id":"t_old","name":"old","settings":{"format":"swiss","best_of":1,"max_players":8},"status":"registering","last_player":2}}`,
		`{"version":4,"id":"t_old","name":"old","settings":{"format":"swiss","best_of":1,"max_players":8},"status":"registering","last_player":`,
	} {
		var want, got match.Tournament
		if json.Unmarshal([]byte(field), &want) == nil || decodeMeta([]byte(field), &got) == nil {
			t.Errorf("%s: encoding/json and decodeMeta must both refuse it", field)
		}
	}
}

// sameMeta fails unless decodeMeta reads field as encoding/json does.
func sameMeta(t *testing.T, field []byte) {
	t.Helper()
	var want, got match.Tournament
	if err := json.Unmarshal(field, &want); err != nil {
		t.Fatalf("encoding/json: %v\n%s", err, field)
	}
	if err := decodeMeta(field, &got); err != nil {
		t.Fatalf("decodeMeta: %v\n%s", err, field)
	}
	if !reflect.DeepEqual(&want, &got) {
		t.Fatalf("decodeMeta of %s:\n got  %+v\n want %+v", field, got, want)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestFollowedStateActsAsStored: a node that ran commands on its cached state (a withdraw builds
// the engine's index of who plays which match) and then brings it forward with another node's
// commits that left the tournament's own field out judges the next command as the committer's
// state does: the index is rebuilt from the applied matches.
func TestFollowedStateActsAsStored(t *testing.T) {
	a := &match.Tournament{}
	if _, err := match.Apply(a, match.Command{Type: match.CmdCreate, Tournament: "t_f", Name: "follow",
		Settings: &match.Settings{Format: match.SingleElimination}}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"p1", "p2", "p3", "p4"} {
		if _, err := match.Apply(a, match.Command{Type: match.CmdJoin, Name: name}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := match.Apply(a, match.Command{Type: match.CmdStart}); err != nil {
		t.Fatal(err)
	}
	_, rest, _ := encodeMeta(a)
	b := a.Clone()
	both := func(cmd match.Command) {
		t.Helper()
		for _, x := range []*match.Tournament{a, b} {
			if _, err := match.Apply(x, cmd); err != nil {
				t.Fatal(err)
			}
		}
	}
	report := func(m match.Match, by match.PlayerID) match.Command {
		return match.Command{Type: match.CmdReport, Match: m.ID, By: by, Scores: [2]int{1, 0}}
	}
	// The first round's first match on both nodes, and its loser withdrawing: b's engine indexes
	// the players' matches.
	m1 := a.Matches[0]
	both(report(m1, m1.Players[0]))
	both(report(m1, m1.Players[1]))
	both(match.Command{Type: match.CmdWithdraw, Player: m1.Players[1]})
	// The second match on a only; b follows from the published fields.
	m2 := a.Matches[1]
	var objects []json.RawMessage
	for _, by := range m2.Players {
		_, ch, err := match.ApplyChanges(a, report(m2, by))
		if err != nil {
			t.Fatal(err)
		}
		f, err := changedFields(a, ch, rest)
		if err != nil {
			t.Fatal(err)
		}
		if !f.metaSame {
			t.Fatalf("report by %d changed the tournament's own field", by)
		}
		rest = f.metaRest
		objects = append(objects, json.RawMessage(publishedObject(&f)))
	}
	if _, err := applyObjects(b, objects, nil, a.Version); err != nil {
		t.Fatal(err)
	}
	// The second match's winner withdraws: the final, which b filled from the fields, is forfeited.
	w := m2.Players[0]
	cmd := match.Command{Type: match.CmdWithdraw, Player: w}
	ea, err := match.Apply(a, cmd)
	if err != nil {
		t.Fatal(err)
	}
	eb, err := match.Apply(b, cmd)
	if err != nil {
		t.Fatal(err)
	}
	ja, _ := json.Marshal(ea)
	jb, _ := json.Marshal(eb)
	if string(ja) != string(jb) {
		t.Errorf("the follower's withdraw:\n%s\nthe committer's:\n%s", jb, ja)
	}
}

// publishedObject is the fields of f as the published message carries them (appendObject).
func publishedObject(f *fieldSet) string { return string(f.appendObject(nil, nil)) }

// BenchmarkMeta measures the tournament's own field of a running 16-player single elimination,
// which a join, a start and a finish write and every node that follows or checks the tournament
// reads: encodeMeta and decodeMeta, beside encoding/json's Marshal of the same field and decode
// (reflection), what they replaced.
func BenchmarkMeta(b *testing.B) {
	tr := &match.Tournament{}
	at := time.Date(2026, 12, 6, 19, 0, 0, 0, time.UTC)
	for _, c := range []match.Command{{Type: match.CmdCreate, Tournament: "t_bench_meta", Name: "Friday cup",
		Settings: &match.Settings{Format: match.SingleElimination, MatchTimeLimit: match.Duration(10 * time.Minute)}}} {
		c.At = at
		if _, err := match.Apply(tr, c); err != nil {
			b.Fatal(err)
		}
	}
	for i := range 16 {
		if _, err := match.Apply(tr, match.Command{Type: match.CmdJoin, Name: "P" + strconv.Itoa(i+1), At: at}); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := match.Apply(tr, match.Command{Type: match.CmdStart, At: at}); err != nil {
		b.Fatal(err)
	}
	field, _, err := encodeMeta(tr)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("encode", func(b *testing.B) {
		for b.Loop() {
			if _, _, err := encodeMeta(tr); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encode-encoding-json", func(b *testing.B) {
		for b.Loop() {
			if _, err := json.Marshal(&metaReference{Version: tr.Version, Tournament: tr}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decode", func(b *testing.B) {
		for b.Loop() {
			var t match.Tournament
			if err := decodeMeta([]byte(field), &t); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decode-reflection", func(b *testing.B) {
		for b.Loop() {
			var t match.Tournament
			if err := decode([]byte(field), &t); err != nil {
				b.Fatal(err)
			}
		}
	})
}
