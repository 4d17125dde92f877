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
