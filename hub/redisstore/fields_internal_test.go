package redisstore

import (
	"encoding/json"
	"testing"

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
		"no meta":         {"m:1": json.RawMessage(`{"id":1}`)},
		"bad meta":        {fieldMeta: json.RawMessage(`[`)},
		"bad player id":   {fieldMeta: meta, "p:x": json.RawMessage(`{"id":1}`)},
		"bad match id":    {fieldMeta: meta, "m:0": json.RawMessage(`{"id":0}`)},
		"bad match":       {fieldMeta: meta, "m:1": json.RawMessage(`{"id":"one"}`)},
		"hole in matches": {fieldMeta: meta, "m:5": json.RawMessage(`{"id":5}`)},
	} {
		if err := applyFields(old.Clone(), f); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// TestPayloadRoundTrip: what payload writes, parsePayload reads back as it was; anything that is
// not such a message is refused.
func TestPayloadRoundTrip(t *testing.T) {
	f := fieldSet{set: []string{"t", `{"id":"x","version":5}`, "m:2", `{"id":2}`}, del: []string{"p:3"}}
	events := []byte(`[{"type":"player_left","player":3}]`)
	m, err := parsePayload(payload("e_00ff", 5, events, "r9", "r8", f.object()))
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
	c, err := parsePayload(payload("e_00ff", 1, []byte(`[]`), "r1", "", ""))
	if err != nil || c.Version != 1 || c.Rev != "r1" || c.Prev != "" || c.Fields != nil || string(c.Events) != "[]" {
		t.Errorf("create: %+v %v", c, err)
	}
	for _, bad := range []string{
		"", "tourhub/2 e 1 r - 2", "tourhub/3 e 1 r - 2\n[]", "tourhub/1 e 1 - 2\n[]", "tourhub/2 e 0 r - 2\n[]",
		"tourhub/2 e 1 r - 3\n[]", "tourhub/2 e 1 r - x\n[]", "tourhub/2 e 1 - - 2\n[]", "tourhub/2 e 2 r - 2\n[]",
		"tourhub/2 e 2 r q 2\n[]", "tourhub/2 e 1 r - 2\n[]{}", "tourhub/2 e 1 r - 2 extra\n[]",
		`{"epoch":"e","version":1,"events":[]}`,
	} {
		if m, err := parsePayload(bad); err == nil {
			t.Errorf("parsePayload(%q) = %+v; want an error", bad, m)
		}
	}
}
