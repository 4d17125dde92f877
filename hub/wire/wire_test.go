package wire

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"

	"github.com/tourhub/tourhub/hub/wire/wiretest"
	"github.com/tourhub/tourhub/match"
)

// TestRoundTrip: every entry of tournaments of every kind, played with random commands, decodes
// from its compact form to the events it was made of (compared as v1 writes them).
func TestRoundTrip(t *testing.T) {
	kinds := map[match.EventType]int{}
	var v1, v2 int
	for seed := uint64(1); seed <= 20; seed++ {
		for i, evs := range wiretest.Corpus(seed) {
			b, err := AppendEvent(nil, "t_corpus", int64(i+1), "1x9kq3v0b7d2m", evs)
			if err != nil {
				t.Fatalf("seed %d entry %d: %v", seed, i+1, err)
			}
			m, err := Decode(b)
			if err != nil {
				t.Fatalf("seed %d entry %d: %v\n%s", seed, i+1, err, b)
			}
			if m.Tournament != "t_corpus" || m.Version != int64(i+1) || m.Rev != "1x9kq3v0b7d2m" {
				t.Fatalf("envelope decoded as %q %d %q", m.Tournament, m.Version, m.Rev)
			}
			want, _ := json.Marshal(evs)
			got, _ := json.Marshal(m.Events)
			if !bytes.Equal(got, want) {
				t.Fatalf("seed %d entry %d decodes as\n%s\nwant\n%s\ncompact:\n%s", seed, i+1, got, want, b)
			}
			for _, ev := range evs {
				kinds[ev.Type]++
			}
			v1 += len(want)
			v2 += len(b)
		}
	}
	// The corpus must reach the events whose forms differ most (a test that never meets them
	// proves nothing about them).
	for _, k := range []match.EventType{match.EvMatchCompleted, match.EvMatchReady, match.EvMatchReported,
		match.EvMatchUpdated, match.EvEliminated, match.EvMatchDisputed, match.EvMatchReset, match.EvCorrected,
		match.EvStarted, match.EvRoundStarted, match.EvWithdrawn, match.EvFinished, match.EvTimedOut,
		match.EvDeadlineWarning, match.EvGroupStageFinished, match.EvPlayoffStarted, match.EvPlayerEdited} {
		if kinds[k] == 0 {
			t.Errorf("the corpus has no %s", k)
		}
	}
	t.Logf("%d kinds of event; events %d bytes in v1, whole messages %d bytes in v2", len(kinds), v1, v2)
}

// TestDecodeRefuses: what is not a v2 event message is an error, never a panic.
func TestDecodeRefuses(t *testing.T) {
	for _, in := range []string{``, `{}`, `[]`, `["event"]`, `["snapshot","t",1,"r",[]]`,
		`["event","t",1,"r",[[]]]`, `["event","t",1,"r",[[0]]]`, `["event","t",1,"r",[["c",[1,2]]]]`,
		`["event","t",1,"r",[["c",0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0]]]`, `["event","t",1,"r",[["u",0,0,0,[1]]]]`,
		`["event","t",1,"r",[["c",[1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0]]]]`} {
		if _, err := Decode([]byte(in)); err == nil {
			t.Errorf("Decode(%s) = nil error", in)
		}
	}
}

// checkList writes list in the compact form (appendList) and reads it back (decodeList): the
// same records, as v1 writes them.
func checkList[T any](t *testing.T, what string, list []T, appendList func([]byte, []T) ([]byte, error), decodeList func([]byte) ([]T, error)) {
	t.Helper()
	b, err := appendList(nil, list)
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeList(b)
	if err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	gj, _ := json.Marshal(got)
	wj, _ := json.Marshal(list)
	if !bytes.Equal(gj, wj) {
		t.Fatalf("%s decode as\n%s\nwant\n%s\ncompact\n%s", what, gj, wj, b)
	}
}

// TestMatchesRoundTrip: every list of matches of the corpus (starts, Swiss rounds, playoffs), as a
// v2 snapshot writes a state's matches, decodes to the same matches.
func TestMatchesRoundTrip(t *testing.T) {
	n := 0
	for seed := uint64(1); seed <= 5; seed++ {
		for _, ms := range wiretest.MatchLists(seed) {
			checkList(t, "matches", ms, AppendMatches, DecodeMatches)
			n++
		}
	}
	if n == 0 {
		t.Fatal("the corpus has no list of matches")
	}
	if ms, err := DecodeMatches([]byte(`[]`)); err != nil || len(ms) != 0 {
		t.Errorf("DecodeMatches([]) = %v, %v", ms, err)
	}
	if _, err := DecodeMatches([]byte(`[{"id":1}]`)); err == nil {
		t.Error("DecodeMatches of a v1 match: no error")
	}
}

// TestStandingsRoundTrip: every list of standings of the corpus, and points at the edges of
// encoding/json's float format, decode to the same standings, written as v1 writes them.
func TestStandingsRoundTrip(t *testing.T) {
	lists := wiretest.StandingLists(1)
	lists = append(lists, wiretest.StandingLists(2)...)
	var edges []match.Standing
	for i, p := range []float64{0.5, -1.5, 1e-7, 1.5e-7, 1e21, 123456789012345678, 0.1 + 0.2, -0.000001, 3} {
		edges = append(edges, match.Standing{Player: match.PlayerID(i + 1), Rank: i + 1, RankTo: i + 1, Points: p,
			TieBreaks: map[match.TieBreak]float64{"buchholz": p / 2}, Eliminated: i%2 == 0, Group: i % 3})
	}
	lists = append(lists, edges)
	if len(lists) < 3 {
		t.Fatalf("the corpus has %d lists of standings", len(lists)-1)
	}
	for _, ss := range lists {
		checkList(t, "standings", ss, AppendStandings, DecodeStandings)
	}
	// Points are written as encoding/json writes them, so that a client reads the same number.
	for _, p := range []float64{1e-7, 1e21, 0.1 + 0.2, -2.5e-8} {
		b, _ := appendFloat(nil, p)
		j, _ := json.Marshal(p)
		if !bytes.Equal(b, j) {
			t.Errorf("appendFloat(%v) = %s; encoding/json writes %s", p, b, j)
		}
	}
	if _, err := AppendStandings(nil, []match.Standing{{Player: 1, Points: math.Inf(1)}}); err == nil {
		t.Error("AppendStandings of an infinite score: no error (v1 fails on it too)")
	}
}
