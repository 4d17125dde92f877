package redisstore

import (
	"reflect"
	"testing"

	"github.com/tourhub/tourhub/match"
)

// FuzzFieldReaders gives a node's fast readers of stored and published fields arbitrary bytes:
// decodeMeta (a tournament's own field, t) and applyObjects with its splitObject (the fields of a
// commit, published or on the recent list). Neither may panic, and each must read what the general
// decoder reads: decodeMeta what decode reads (both refuse, or both read the same tournament), and
// applyObjects, on the state the commit was applied to, what it does with every object decoded
// in full (applyObjectsFull): the same error or none, and the same state. The seeds are the
// fields played tournaments of each format write (commitObjects) and their own fields; base picks
// the state. TestSplitObjectAsDecode and TestMetaAsEncodingJSON alter such fields at random; this
// explores from them with coverage (make fuzz).
func FuzzFieldReaders(f *testing.F) {
	var bases []*match.Tournament
	for _, c := range []struct {
		format match.Format
		n      int
	}{{match.SingleElimination, 8}, {match.DoubleElimination, 6}, {match.RoundRobin, 5}, {match.Swiss, 6}} {
		states, objects := commitObjects(f, c.format, c.n)
		for i, o := range objects {
			if i%2 == 0 { // each commit's state comes twice: for its published and its recent object
				bases = append(bases, states[i])
			}
			f.Add(uint16(len(bases)-1), []byte(o))
		}
		meta, _, err := encodeMeta(states[len(states)-1])
		if err != nil {
			f.Fatal(err)
		}
		f.Add(uint16(0), []byte(meta))
	}
	f.Fuzz(func(t *testing.T, base uint16, b []byte) {
		var want, got match.Tournament
		werr, gerr := decode(b, &want), decodeMeta(b, &got)
		if (werr != nil) != (gerr != nil) {
			t.Fatalf("%s:\ndecodeMeta: %v\ndecode: %v", b, gerr, werr)
		}
		if werr == nil && !reflect.DeepEqual(&want, &got) {
			t.Fatalf("decodeMeta of %s:\n got  %+v\n want %+v", b, got, want)
		}

		checkAsFullDecode(t, "fields", bases[int(base)%len(bases)], b)
	})
}
