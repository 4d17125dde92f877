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
		// What encoding/json reads of v1's form (the struct tags of wireEvent and wireMatch) is
		// what decodeEvents must read of either form.
		var ref struct {
			Events []wireEvent `json:"events"`
		}
		if err := json.Unmarshal(v1, &ref); err != nil {
			t.Fatal(err)
		}
		wj, _ := json.Marshal(ref.Events)
		for _, form := range [][]byte{v1, v2} {
			got, err := decodeEvents(form)
			if err != nil {
				t.Fatalf("entry %d: %v\n%s", i+1, err, form)
			}
			if gj, _ := json.Marshal(got); string(gj) != string(wj) {
				t.Fatalf("entry %d reads as\n%s\nwant\n%s\nfrom\n%s", i+1, gj, wj, form)
			}
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
		var want []wireMatch // encoding/json by the struct tags
		if err := json.Unmarshal(v1, &want); err != nil {
			t.Fatal(err)
		}
		wj := fmt.Sprint(want)
		for _, form := range [][]byte{c, v1} {
			var got wireState // through wireMatches.UnmarshalJSON, as the HTTP answers are read
			if err := json.Unmarshal([]byte(`{"matches":`+string(form)+`}`), &got); err != nil {
				t.Fatal(err)
			}
			status, matches, err := decodeSnapshot([]byte(`{"type":"snapshot","state":{"status":"running","matches":` + string(form) + `}}`))
			if err != nil || status != "running" {
				t.Fatalf("decodeSnapshot: %q, %v", status, err)
			}
			if gj, sj := fmt.Sprint(got.Matches), fmt.Sprint(matches); gj != wj || sj != wj || len(want) == 0 {
				t.Fatalf("matches %.80s read as %s and %s; want %s", form, gj, sj, wj)
			}
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

// TestDecodeRefuses: what is not an event message or a snapshot as the hub writes them is an
// error, never a panic or a half-read message taken as whole.
func TestDecodeRefuses(t *testing.T) {
	for _, m := range []string{``, `x`, `[`, `{"events":`, `{"events":{}}`, `{"events":[1]}`,
		`{"events":[{"type":1}]}`, `{"events":[{"match":{"id":"1"}}]}`, `{"events":[{"match":{"players":[1,"2"]}}]}`,
		`{"events":[{"matches":[7]}]}`, `["event","t",1,"r"]`, `["event","t",1,"r",{}]`, `["event","t",1,"r",[[]]]`,
		`["event","t",1,"r",[[1]]]`, `["event","t",1,"r",[["c",{}]]]`, `["event","t",1,"r",[["c",[1.5]]]]`,
		`["event","t",1,"r",[["c",[1,2]]]]`, `["event","t",1,"r",[["c",0,0,0,0,0,0,0,0,[[1,"x",0,1,[1,2.5]]]]]]`,
		`["event","t",1,"r",[]] x`} {
		if evs, err := decodeEvents([]byte(m)); err == nil {
			t.Errorf("decodeEvents(%s) = %v, no error", m, evs)
		}
	}
	for _, m := range []string{``, `[]`, `{"state":[]}`, `{"state":{"status":3}}`, `{"state":{"matches":{}}}`,
		`{"state":{"matches":[[1,"ready",0,1,[1,"2"]]]}}`, `{"state":{}}}`} {
		if st, ms, err := decodeSnapshot([]byte(m)); err == nil {
			t.Errorf("decodeSnapshot(%s) = %q %v, no error", m, st, ms)
		}
	}
}

// FuzzDecode: no input makes the readers panic.
func FuzzDecode(f *testing.F) {
	for i, evs := range wiretest.Corpus(3) {
		v2, err := wire.AppendEvent(nil, "t_lt", int64(i+1), "r1", evs)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(v2)
		evJSON, _ := json.Marshal(evs)
		f.Add([]byte(`{"type":"event","events":` + string(evJSON) + `}`))
	}
	f.Add([]byte(`{"type":"snapshot","state":{"status":"running","matches":[[1,"ready",0,1,[1,2]]]}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = decodeEvents(b)
		_, _, _ = decodeSnapshot(b)
	})
}

// BenchmarkDecodeEvents: the v2 event message of docs/protocol.md, as the generator reads each
// one that moves a group's tournament forward.
func BenchmarkDecodeEvents(b *testing.B) {
	msg := []byte(`["event","t_9f2c1a",18,"2b7x0mq9d1k4e",[["c",[5,"completed","winners",1,[3,6],[2,1],3,6,9,0,"2026-12-04T16:43:15.712809721Z",3]],["x",0,6,5],["m",[9,"ready","winners",2,[1,3],0,0,0,13,0,"2026-12-04T16:45:02.1Z",3,0,0,[5,6]]]]]`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodeEvents(msg); err != nil {
			b.Fatal(err)
		}
	}
}
