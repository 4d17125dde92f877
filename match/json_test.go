package match

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

// TestPlayerIDJSON: nobody (an empty slot, no winner yet) is null in JSON, and null reads back as
// nobody; fields with omitempty still leave nobody out.
func TestPlayerIDJSON(t *testing.T) {
	m := Match{ID: 3, Bracket: BracketWinners, Round: 1, Status: MatchPending, Players: [2]PlayerID{0, 7}}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"players":[null,7]`, `"winner":null`, `"loser":null`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("match JSON %s lacks %s", b, want)
		}
	}
	var back Match
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Players != m.Players || back.Winner != 0 {
		t.Errorf("round trip: players %v winner %d; want %v and 0", back.Players, back.Winner, m.Players)
	}
	if b, _ := json.Marshal(Event{Type: EvMatchReady}); strings.Contains(string(b), "player") {
		t.Errorf("event JSON %s: an omitempty player id of nobody must be left out", b)
	}
	for in, want := range map[string]PlayerID{`12`: 12, `null`: 0, `-3`: -3} {
		var p PlayerID
		if err := json.Unmarshal([]byte(in), &p); err != nil || p != want {
			t.Errorf("unmarshal %s: %d %v; want %d", in, p, err, want)
		}
	}
	for _, in := range []string{`"12"`, `1.5`, `true`, `99999999999999999999`} {
		var p PlayerID
		if err := json.Unmarshal([]byte(in), &p); err == nil {
			t.Errorf("unmarshal %s: accepted as %d; want an error", in, p)
		}
	}
}

// TestJSONProblem checks the checker the property tests rely on: numbers beyond 2^53-1 (or not
// encodable at all) are found anywhere, and digits inside strings are not numbers.
func TestJSONProblem(t *testing.T) {
	for _, tc := range []struct {
		v   any
		bad bool
	}{
		{`a"1e99\"9e99`, false}, {9007199254740991, false}, {-9007199254740991, false}, {0.25, false},
		{9007199254740992, true}, {-9007199254740992, true}, {1.5e300, true}, {uint64(math.MaxUint64), true},
		{math.NaN(), true}, {math.Inf(-1), true},
		{map[string]any{"k": []any{1, "9e99", -3e20}}, true},
	} {
		if got := jsonProblem(tc.v); (got != "") != tc.bad {
			t.Errorf("jsonProblem(%#v) = %q; want a problem: %v", tc.v, got, tc.bad)
		}
	}
}
