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
