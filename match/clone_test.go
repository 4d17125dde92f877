package match

import (
	"encoding/json"
	"testing"
)

// TestCloneKeepsEmptyLists: a copy encodes as its original does; an empty participant list stays
// [] (a store hands out states and copies of states, and clients see the same JSON from both).
func TestCloneKeepsEmptyLists(t *testing.T) {
	tr := &Tournament{}
	if _, err := Apply(tr, Command{Type: CmdCreate, Tournament: "t_c", Name: "Copy", Settings: &Settings{Format: SingleElimination}}); err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(tr)
	b, _ := json.Marshal(tr.Clone())
	if string(a) != string(b) {
		t.Errorf("copy encodes as\n%s\nwant\n%s", b, a)
	}
}

// TestReindex: what the engine derived from the participants (the names taken) is rebuilt after
// Reindex, so a participant added from outside the engine counts.
func TestReindex(t *testing.T) {
	tr := &Tournament{}
	if _, err := Apply(tr, Command{Type: CmdCreate, Tournament: "t_r", Name: "r", Settings: &Settings{Format: SingleElimination}}); err != nil {
		t.Fatal(err)
	}
	if _, err := Apply(tr, Command{Type: CmdJoin, Name: "ada"}); err != nil { // builds the index
		t.Fatal(err)
	}
	tr.Participants = append(tr.Participants, Participant{ID: 2, Name: "grace"})
	tr.LastPlayer = 2
	tr.Reindex()
	if _, err := Apply(tr, Command{Type: CmdJoin, Name: "Grace"}); err == nil {
		t.Error("a name taken from outside the engine joined again after Reindex")
	}
}
