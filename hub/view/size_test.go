package view

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"

	"github.com/tourhub/tourhub/hub/sock"
	"github.com/tourhub/tourhub/hub/store"
	"github.com/tourhub/tourhub/match"
)

// TestWireSize keeps the bytes a client receives from growing back: a match leaves out the
// fields at their zero value that docs/openapi.yaml marks optional (filled, feeds, forfeited,
// reports), and what is left out decodes to the same match. Ceilings, measured when the compact
// form came in (issue 15 has the targets): a running 512-player single elimination's state
// 206,111 bytes before, 171,645 after; the events of one result 295 before, 231 after.
func TestWireSize(t *testing.T) {
	tr := &match.Tournament{}
	mustApply(t, tr, match.Command{Type: match.CmdCreate, Tournament: "t_size", Name: "Size",
		Settings: &match.Settings{Format: match.SingleElimination}})
	for i := 1; i <= 512; i++ {
		mustApply(t, tr, match.Command{Type: match.CmdJoin, Name: fmt.Sprintf("Player %d", i)})
	}
	mustApply(t, tr, match.Command{Type: match.CmdStart})
	events := mustApply(t, tr, match.Command{Type: match.CmdReport, Match: 1, Scores: [2]int{1, 0}})

	state, err := json.Marshal(NewView(tr, store.Position{Epoch: "e_size", Version: tr.Version, Rev: "r_size"}))
	if err != nil {
		t.Fatal(err)
	}
	ev, err := json.Marshal(events)
	if err != nil {
		t.Fatal(err)
	}
	// The events of a result: match_completed, player_eliminated with the match that put the
	// loser out, and match_updated with the slot of the next match it filled: a live copy needs
	// both to equal a snapshot (13 bytes for the first, 90 for the second).
	if len(state) > 172_000 || len(ev) > 335 {
		t.Errorf("state %d bytes, events of a result %d bytes; want at most 172,000 and 335", len(state), len(ev))
	}

	// On the wire, to a client that negotiated compression (every browser): the snapshot's
	// compressed form, issue 15's target 4 (a 512-player single elimination's snapshot at most
	// 64 KB).
	z, ok := sock.AppendDeflate(nil, state)
	if !ok || len(z) > 64_000 {
		t.Errorf("state compressed: %d bytes (compressed %v); want at most 64,000", len(z), ok)
	}
	t.Logf("state %d bytes, %d compressed; events of a result %d bytes", len(state), len(z), len(ev))

	var back View
	if err := json.Unmarshal(state, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back.Matches, tr.Matches) {
		for i := range tr.Matches {
			if !reflect.DeepEqual(back.Matches[i], tr.Matches[i]) {
				t.Fatalf("match %d decodes as %+v; want %+v", i+1, back.Matches[i], tr.Matches[i])
			}
		}
	}
}

func mustApply(t *testing.T, tr *match.Tournament, c match.Command) []match.Event {
	t.Helper()
	ev, err := match.Apply(tr, c)
	if err != nil {
		t.Fatalf("%s: %v", c.Type, err)
	}
	return ev
}
