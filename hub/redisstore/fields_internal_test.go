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
	got, err := applyFields(old, map[string]json.RawMessage{fieldMeta: meta,
		"p:2": json.RawMessage(`{"id":2,"name":"b"}`), "p:1": json.RawMessage(`null`),
		"m:2": json.RawMessage(`null`), "m:3": json.RawMessage(`null`), "m:1": json.RawMessage(`{"id":1,"round":7}`)})
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != 5 || len(got.Participants) != 2 || got.Participants[0].ID != 2 || got.Participants[1].ID != 3 ||
		len(got.Matches) != 1 || got.Matches[0].Round != 7 {
		t.Errorf("applied: %+v", got)
	}
	if len(old.Participants) != 2 || old.Participants[0].ID != 1 || len(old.Matches) != 3 || old.Matches[0].Round != 0 {
		t.Errorf("old changed: %+v", old)
	}
	for name, f := range map[string]map[string]json.RawMessage{
		"no meta":         {"m:1": json.RawMessage(`{"id":1}`)},
		"bad meta":        {fieldMeta: json.RawMessage(`[`)},
		"bad player id":   {fieldMeta: meta, "p:x": json.RawMessage(`{"id":1}`)},
		"bad match id":    {fieldMeta: meta, "m:0": json.RawMessage(`{"id":0}`)},
		"bad match":       {fieldMeta: meta, "m:1": json.RawMessage(`{"id":"one"}`)},
		"hole in matches": {fieldMeta: meta, "m:5": json.RawMessage(`{"id":5}`)},
	} {
		if _, err := applyFields(old, f); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
