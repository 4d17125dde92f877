package redisstore

import (
	"encoding/json"
	"log/slog"
	"strconv"
	"testing"

	"github.com/tourhub/tourhub/match"
)

// TestAdvanceWhileTurnTaken: the watcher applies the published fields it holds once maxLater wait,
// but only holding the tournament's turn (a command may be changing the cached state in place);
// while the turn stays taken the entry holds up to maxWaiting commits, then is dropped (the next
// command reads the state), and when the turn is free it is applied at maxLater.
func TestAdvanceWhileTurnTaken(t *testing.T) {
	commit := func(v int64) published {
		meta, _ := json.Marshal(match.Tournament{ID: "t", Version: v})
		f, _ := json.Marshal(map[string]json.RawMessage{fieldMeta: meta})
		return published{Epoch: "e", Version: v, Rev: "r" + strconv.FormatInt(v, 10), Prev: "r" + strconv.FormatInt(v-1, 10), Fields: f}
	}
	for _, tc := range []struct {
		name string
		free bool
	}{{"turn taken", false}, {"turn free", true}} {
		t.Run(tc.name, func(t *testing.T) {
			sc := newStateCache(slog.New(slog.DiscardHandler))
			sc.put("t", &cached{epoch: "e", rev: "r1", v: 1, t: &match.Tournament{ID: "t", Version: 1,
				Participants: []match.Participant{}, Matches: []match.Match{}}, gone: make(chan struct{})})
			tries := 0
			lock := func() (func(), bool) {
				tries++
				return func() {}, tc.free
			}
			for v := int64(2); v <= 1+maxWaiting; v++ {
				sc.advance("t", commit(v), lock)
				c := sc.get("t")
				switch {
				case tc.free && (c == nil || len(c.later) >= maxLater || c.version() != v):
					t.Fatalf("v%d with the turn free: entry %+v; want it at v%d, fewer than %d held", v, c, v, maxLater)
				case !tc.free && v <= maxWaiting && (c == nil || c.version() != v || c.t.Version != 1):
					t.Fatalf("v%d with the turn taken: entry %+v; want v%d held undecoded on v1", v, c, v)
				case !tc.free && v > maxWaiting && c != nil:
					t.Fatalf("v%d with the turn taken: %d commits held; want the entry dropped past %d", v, len(c.later), maxWaiting)
				}
			}
			if tries == 0 {
				t.Error("the turn was never asked for")
			}
		})
	}
}

// TestCacheBytes: the cache holds at most about maxBytes of states: putting one past it evicts
// other entries, never the one just put, and its count of bytes stays the sum of its entries'
// sizes through replacements and drops.
func TestCacheBytes(t *testing.T) {
	sc := newStateCache(slog.New(slog.DiscardHandler))
	state := func(matches int) *match.Tournament {
		return &match.Tournament{Participants: make([]match.Participant, matches+1), Matches: make([]match.Match, matches)}
	}
	one := stateSize(state(100))
	sc.maxBytes = 5*one + one/2 // room for five
	sum := func() int {
		n := 0
		for _, c := range sc.m {
			n += c.size
		}
		return n
	}
	for i := range 12 {
		id := "t" + strconv.Itoa(i)
		sc.put(id, newCached("e", "r", state(100), ""))
		if sc.get(id) == nil {
			t.Fatalf("put %s: not cached", id)
		}
		if sc.bytes > sc.maxBytes || sc.bytes != sum() || len(sc.m) > 5 {
			t.Fatalf("after %d puts: %d bytes counted, %d held in %d entries; want at most %d, in at most 5", i+1, sc.bytes, sum(), len(sc.m), sc.maxBytes)
		}
	}
	for id := range sc.m { // a bigger state replaces an entry: others make room
		sc.put(id, newCached("e", "r2", state(300), ""))
		if c := sc.get(id); c == nil || c.rev != "r2" || sc.bytes > sc.maxBytes || sc.bytes != sum() {
			t.Fatalf("replaced %s: entry %v, %d bytes counted, %d held; want it cached within %d", id, c, sc.bytes, sum(), sc.maxBytes)
		}
		sc.drop(id)
		break
	}
	if sc.bytes != sum() || len(sc.m) != 0 && sc.bytes == 0 {
		t.Fatalf("after a drop: %d bytes counted, %d held", sc.bytes, sum())
	}
	huge := state(10 * 100) // bigger than the bound alone: kept (the command needs it), the rest evicted
	sc.put("huge", newCached("e", "r", huge, ""))
	if sc.get("huge") == nil || len(sc.m) != 1 || sc.bytes != sum() {
		t.Fatalf("a state over the bound: %d entries, %d bytes counted, %d held; want it alone", len(sc.m), sc.bytes, sum())
	}
}
