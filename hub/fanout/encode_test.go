package fanout

import (
	"encoding/json"
	"testing"

	"github.com/tourhub/tourhub/hub/store"
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
			got, err := encodeEvent(tc.id, tc.epoch, e)
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
