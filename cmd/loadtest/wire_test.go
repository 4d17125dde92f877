package main

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/tourhub/tourhub/hub/wire"
	"github.com/tourhub/tourhub/hub/wire/wiretest"
)

// TestCompactEvents: the load tool's own reader of tourhub.v2's compact events (written apart
// from the hub's, from docs/protocol.md) reads every entry of tournaments of every kind as the
// hub writes them: the tournament and version, each event's type, and the matches it tracks, as
// it reads them from v1's form of the same events; and a v2 snapshot's compact matches.
func TestCompactEvents(t *testing.T) {
	n := 0
	for i, evs := range wiretest.Corpus(7) {
		v2, err := wire.AppendEvent(nil, "t_lt", int64(i+1), "r1", evs)
		if err != nil {
			t.Fatal(err)
		}
		evJSON, _ := json.Marshal(evs)
		v1 := []byte(fmt.Sprintf(`{"type":"event","tournament":"t_lt","epoch":"e","version":%d,"rev":"r1","events":%s}`, i+1, evJSON))
		for _, form := range [][]byte{v1, v2} {
			tid, v, ok := eventOf(form)
			if !ok || tid != "t_lt" || v != int64(i+1) {
				t.Fatalf("eventOf(%.60s) = %q %d %v", form, tid, v, ok)
			}
		}
		want, err := decodeEvents(v1)
		if err != nil {
			t.Fatal(err)
		}
		got, err := decodeEvents(v2)
		if err != nil {
			t.Fatalf("entry %d: %v\n%s", i+1, err, v2)
		}
		gj, _ := json.Marshal(got)
		wj, _ := json.Marshal(want)
		if string(gj) != string(wj) {
			t.Fatalf("entry %d reads as\n%s\nwant\n%s", i+1, gj, wj)
		}
		n++
	}
	// A v2 snapshot's compact matches read as v1's.
	for _, ms := range wiretest.MatchLists(8) {
		c, err := wire.AppendMatches(nil, ms)
		if err != nil {
			t.Fatal(err)
		}
		v1, _ := json.Marshal(ms)
		var got, want wireState
		if err := json.Unmarshal([]byte(`{"matches":`+string(c)+`}`), &got); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(`{"matches":`+string(v1)+`}`), &want); err != nil {
			t.Fatal(err)
		}
		if gj, wj := fmt.Sprint(got.Matches), fmt.Sprint(want.Matches); gj != wj || len(got.Matches) == 0 {
			t.Fatalf("compact matches read as %s; want %s", gj, wj)
		}
		n++
	}
	for _, m := range []string{`{"type":"snapshot","tournament":"t","version":3}`, `["event"]`, `["event","t",x,"r",[]]`, `[1,2]`} {
		if _, _, ok := eventOf([]byte(m)); ok {
			t.Errorf("eventOf(%s) = ok", m)
		}
	}
	t.Logf("%d entries", n)
}
