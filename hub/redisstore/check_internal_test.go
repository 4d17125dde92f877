package redisstore

import (
	"testing"

	"github.com/tourhub/tourhub/hub/store"
)

// TestPositionCheckLost: the position check takes a worker for one that lost a pub/sub message
// only when it is off the stored position at two checks in a row without delivering anything in
// between; a worker merely behind at one check (the commit's message on its way, or a busy
// tournament whose worker keeps delivering) is left to pub/sub.
func TestPositionCheckLost(t *testing.T) {
	at := func(v int64) store.Position {
		return store.Position{Epoch: "e_1", Version: v, Rev: "r" + string(rune('a'+v))}
	}
	type check struct{ seen, stored store.Position }
	for _, tc := range []struct {
		name   string
		checks []check
		want   []bool // lost, at each check
	}{
		{"up to date", []check{{at(2), at(2)}, {at(2), at(2)}}, []bool{false, false}},
		{"message on its way", []check{{at(1), at(2)}, {at(2), at(2)}}, []bool{false, false}},
		{"message lost", []check{{at(1), at(2)}, {at(1), at(2)}, {at(1), at(2)}}, []bool{false, true, true}},
		{"busy: behind at every check, delivering", []check{{at(1), at(3)}, {at(3), at(5)}, {at(5), at(7)}}, []bool{false, false, false}},
		{"caught up in between", []check{{at(1), at(2)}, {at(2), at(2)}, {at(2), at(3)}}, []bool{false, false, false}},
		{"store rolled back", []check{{at(5), at(3)}, {at(5), at(3)}}, []bool{false, true}},
		{"epoch changed", []check{{at(5), store.Position{Epoch: "e_2", Version: 1, Rev: "x"}}, {at(5), store.Position{Epoch: "e_2", Version: 1, Rev: "x"}}}, []bool{false, true}},
		{"same version, another rev", []check{{at(5), store.Position{Epoch: "e_1", Version: 5, Rev: "x"}}, {at(5), store.Position{Epoch: "e_1", Version: 5, Rev: "x"}}}, []bool{false, true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, other := &watcher{id: "t"}, &watcher{id: "u"}
			off := offs{}
			for i, c := range tc.checks {
				next := offs{}
				if got := off.lost(next, w, c.seen, c.stored); got != tc.want[i] {
					t.Errorf("check %d (delivered v%d %s, stored v%d %s): got lost %v; want %v",
						i+1, c.seen.Version, c.seen.Rev, c.stored.Version, c.stored.Rev, got, tc.want[i])
				}
				// Another worker at the same positions changes nothing for w.
				if got := off.lost(next, other, c.seen, c.stored); got != tc.want[i] {
					t.Errorf("check %d, second worker: got lost %v; want %v", i+1, got, tc.want[i])
				}
				off = next
			}
		})
	}
}
