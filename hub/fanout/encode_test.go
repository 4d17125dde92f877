package fanout

import (
	"encoding/json"
	"strconv"
	"testing"

	"github.com/tourhub/tourhub/hub/store"
	"github.com/tourhub/tourhub/hub/wire"
	"github.com/tourhub/tourhub/match"
)

// TestEncodeEvent: the event message is what encoding/json makes of it, whether the events are
// encoded here or passed through as the store holds them, and whatever the id and epoch hold.
func TestEncodeEvent(t *testing.T) {
	m := match.Match{ID: 2, Bracket: match.BracketWinners, Round: 1, Status: match.MatchReady, Players: [2]match.PlayerID{1, 0}}
	events := []match.Event{{Type: match.EvMatchReady, Match: &m}, {Type: match.EvEliminated, Player: 3}}
	raw, err := json.Marshal(events)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ id, epoch string }{
		{"t_abc123", "e_0011223344556677"},
		{`quote" back\ slash`, "tab\tnew\nline"},
		{"<html> & more", "é ünïcode ✓"},
		{"", ""},
		{"\x00\x1f\x7f", "\u2028\u2029"},
	} {
		for _, e := range []store.Entry{
			{Version: 7, Rev: "k3x9", Prev: "a1", Events: events},
			{Version: 7, Rev: "k3x9", Prev: "a1", Events: events, Raw: raw},
			{Version: 1, Rev: "z"},
		} {
			want, err := json.Marshal(struct {
				Type       string        `json:"type"`
				Tournament string        `json:"tournament"`
				Epoch      string        `json:"epoch"`
				Version    int64         `json:"version"`
				Rev        string        `json:"rev"`
				Events     []match.Event `json:"events"`
			}{"event", tc.id, tc.epoch, e.Version, e.Rev, eventsOrEmpty(e.Events)})
			if err != nil {
				t.Fatal(err)
			}
			got, err := encodeEvent(tc.id, tc.epoch, e, bothForms, bothForms, nil)
			if err != nil {
				t.Fatalf("encodeEvent: %v", err)
			}
			if string(got.Data) != string(want) {
				t.Errorf("encodeEvent(%q, %q, raw %v):\n got %s\nwant %s", tc.id, tc.epoch, e.Raw != nil, got.Data, want)
			}
		}
	}
}

// eventsOrEmpty is es, or an empty list for nil (as the encoder writes it).
func eventsOrEmpty(es []match.Event) []match.Event {
	if es == nil {
		return []match.Event{}
	}
	return es
}

// TestCompactSnapshotSize keeps issue 15's target 4 for a tourhub.v2 snapshot: a running
// 512-player single elimination's snapshot at most 64 KB without compression (v1's is 172 KB;
// measured when compact standings came in: 55,967 bytes), and its v2 form reads back as v1's.
func TestCompactSnapshotSize(t *testing.T) {
	tr := &match.Tournament{}
	apply := func(c match.Command) {
		t.Helper()
		if _, err := match.Apply(tr, c); err != nil {
			t.Fatal(err)
		}
	}
	apply(match.Command{Type: match.CmdCreate, Tournament: "t_size", Name: "Size", Settings: &match.Settings{Format: match.SingleElimination}})
	for i := 1; i <= 512; i++ {
		apply(match.Command{Type: match.CmdJoin, Name: "Player " + strconv.Itoa(i)})
	}
	apply(match.Command{Type: match.CmdStart})
	apply(match.Command{Type: match.CmdReport, Match: 1, Scores: [2]int{1, 0}})
	head := store.Position{Epoch: "e_size", Version: tr.Version, Rev: "r_size"}
	v1, err := encodeSnapshot("t_size", head, tr, false)
	if err != nil {
		t.Fatal(err)
	}
	v2, err := encodeSnapshot("t_size", head, tr, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(v2.Data) > 64_000 || len(v2.Data)*3 > len(v1.Data) {
		t.Errorf("snapshot: v1 %d bytes, v2 %d; want v2 at most 64,000 and a third of v1", len(v1.Data), len(v2.Data))
	}
	var s1, s2 struct {
		State map[string]json.RawMessage `json:"state"`
	}
	if json.Unmarshal(v1.Data, &s1) != nil || json.Unmarshal(v2.Data, &s2) != nil {
		t.Fatal("a snapshot is not JSON")
	}
	ms, err := wire.DecodeMatches(s2.State["matches"])
	if err != nil {
		t.Fatal(err)
	}
	ss, err := wire.DecodeStandings(s2.State["standings"])
	if err != nil {
		t.Fatal(err)
	}
	mj, _ := json.Marshal(ms)
	sj, _ := json.Marshal(ss)
	if string(mj) != string(s1.State["matches"]) || string(sj) != string(s1.State["standings"]) {
		t.Error("the v2 snapshot's matches or standings do not read back as v1's")
	}
	for k, v := range s1.State {
		if k != "matches" && k != "standings" && string(s2.State[k]) != string(v) {
			t.Errorf("state.%s: v2 %s; want v1's %s", k, s2.State[k], v)
		}
	}
	if len(s2.State) != len(s1.State) {
		t.Errorf("v2 state has %d fields; v1's %d", len(s2.State), len(s1.State))
	}
	t.Logf("snapshot: v1 %d bytes (%d compressed), v2 %d (%d compressed)", len(v1.Data), len(v1.Deflated), len(v2.Data), len(v2.Deflated))
}
