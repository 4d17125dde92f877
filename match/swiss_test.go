package match

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// swHistory is a symmetric set of pairs that have played.
type swHistory map[[2]PlayerID]bool

func (h swHistory) add(a, b PlayerID) { h[[2]PlayerID{min(a, b), max(a, b)}] = true }
func (h swHistory) played(a, b PlayerID) bool {
	return h[[2]PlayerID{min(a, b), max(a, b)}]
}

// swField returns n entrants with ids 1..n in rank order and no history.
func swField(n int) []SwissEntrant {
	es := make([]SwissEntrant, n)
	for i := range es {
		es[i] = SwissEntrant{ID: PlayerID(i + 1), Last: -1}
	}
	return es
}

// swWithPoints sets points by id (1-based positions in es).
func swWithPoints(es []SwissEntrant, pts ...float64) []SwissEntrant {
	for i, p := range pts {
		es[i].Points = p
	}
	return es
}

// swFormat writes pairs as "1-3 2-4" (side 0 first) and the bye as "bye 5".
func swFormat(pairs []Pairing, bye PlayerID) string {
	var b strings.Builder
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%d-%d", p.Players[0], p.Players[1])
	}
	if bye != 0 {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "bye %d", bye)
	}
	return b.String()
}

// swPerfect says, by exhaustive search over subsets, whether the players at the given positions of
// es can all be paired with no rematch. Only for small fields.
func swPerfect(es []SwissEntrant, pos []int, played func(a, b PlayerID) bool) bool {
	n := len(pos)
	if n%2 == 1 {
		return false
	}
	memo := make(map[uint32]bool)
	var rec func(mask uint32) bool
	rec = func(mask uint32) bool {
		if mask == 0 {
			return true
		}
		if v, ok := memo[mask]; ok {
			return v
		}
		i := 0
		for mask&(1<<i) == 0 {
			i++
		}
		ok := false
		for j := i + 1; j < n && !ok; j++ {
			if mask&(1<<j) != 0 && !played(es[pos[i]].ID, es[pos[j]].ID) {
				ok = rec(mask &^ (1 << i) &^ (1 << j))
			}
		}
		memo[mask] = ok
		return ok
	}
	return rec(1<<n - 1)
}

// swAnyPairing says whether any valid round exists: a rematch-free pairing of everybody, or of
// everybody but one player with the fewest byes when the count is odd.
func swAnyPairing(es []SwissEntrant, played func(a, b PlayerID) bool) bool {
	return swByeWorks(es, played, -1) || (len(es)%2 == 1 && slices.ContainsFunc(swByeCandidates(es), func(i int) bool {
		return swByeWorks(es, played, i)
	}))
}

// swByeWorks says whether the others can be paired when es[bye] sits out (bye -1: nobody).
func swByeWorks(es []SwissEntrant, played func(a, b PlayerID) bool, bye int) bool {
	var pos []int
	for i := range es {
		if i != bye {
			pos = append(pos, i)
		}
	}
	return swPerfect(es, pos, played)
}

// swByeCandidates lists the positions with the fewest byes, lowest-ranked first.
func swByeCandidates(es []SwissEntrant) []int {
	fewest := es[0].Byes
	for _, e := range es {
		fewest = min(fewest, e.Byes)
	}
	var out []int
	for i := len(es) - 1; i >= 0; i-- {
		if es[i].Byes == fewest {
			out = append(out, i)
		}
	}
	return out
}

// swCheck checks a successful pairing against the rules; exhaustive says the field is small
// enough to check the bye choice by brute force.
func swCheck(t testing.TB, es []SwissEntrant, played func(a, b PlayerID) bool, pairs []Pairing, bye PlayerID) {
	t.Helper()
	at := make(map[PlayerID]int, len(es))
	for i, e := range es {
		at[e.ID] = i
	}
	count := make(map[PlayerID]int, len(es))
	for _, p := range pairs {
		a, b := p.Players[0], p.Players[1]
		ia, oka := at[a]
		ib, okb := at[b]
		if !oka || !okb || a == b {
			t.Fatalf("pair %d-%d: not two distinct entrants", a, b)
		}
		count[a]++
		count[b]++
		if played(a, b) {
			t.Fatalf("pair %d-%d is a rematch", a, b)
		}
		// Sides.
		hi, lo := ia, ib
		if lo < hi {
			hi, lo = lo, hi
		}
		want := es[hi].ID
		switch x, y := es[hi], es[lo]; {
		case x.Colour < y.Colour:
		case y.Colour < x.Colour:
			want = y.ID
		case y.Last == 1 && x.Last != 1:
			want = y.ID
		}
		if a != want {
			t.Fatalf("pair %d-%d: side 0 is %d; want %d (colours %+v %+v)", a, b, a, want, es[ia], es[ib])
		}
	}
	if len(es)%2 == 1 {
		i, ok := at[bye]
		if !ok {
			t.Fatalf("bye = %d; want one of the entrants (odd count %d)", bye, len(es))
		}
		count[bye]++
		cands := swByeCandidates(es)
		if !slices.Contains(cands, i) {
			t.Fatalf("bye to %d with %d byes; someone has fewer", bye, es[i].Byes)
		}
		// Every lower-ranked candidate must have been impossible.
		for _, c := range cands {
			if c == i {
				break
			}
			if len(es) > 20 {
				t.Fatalf("bye to %d (rank %d); want the lowest-ranked eligible %d", bye, i+1, es[cands[0]].ID)
			}
			if swByeWorks(es, played, c) {
				t.Fatalf("bye to %d (rank %d), but %d (rank %d) is lower with as few byes and the others could be paired", bye, i+1, es[c].ID, c+1)
			}
		}
	} else if bye != 0 {
		t.Fatalf("bye = %d with an even count", bye)
	}
	for _, e := range es {
		if count[e.ID] != 1 {
			t.Fatalf("player %d appears %d times in %s", e.ID, count[e.ID], swFormat(pairs, bye))
		}
	}
	for i := 1; i < len(pairs); i++ {
		if swBetter(at, pairs[i]) < swBetter(at, pairs[i-1]) {
			t.Fatalf("boards out of order: %s", swFormat(pairs, bye))
		}
	}
}

func swBetter(at map[PlayerID]int, p Pairing) int { return min(at[p.Players[0]], at[p.Players[1]]) }

// swPair pairs in the plain phase first, as pairSwiss does, or (guided) straight in the guided
// phase.
func swPair(es []SwissEntrant, played func(a, b PlayerID) bool, guided bool) ([]Pairing, PlayerID, error) {
	if guided {
		return pairSwissBudget(es, played, 0)
	}
	return pairSwiss(es, played)
}

// swCross counts pairs whose players have different points.
func swCross(es []SwissEntrant, pairs []Pairing) int {
	pts := make(map[PlayerID]float64, len(es))
	for _, e := range es {
		pts[e.ID] = e.Points
	}
	n := 0
	for _, p := range pairs {
		if pts[p.Players[0]] != pts[p.Players[1]] {
			n++
		}
	}
	return n
}

func TestPairSwissTable(t *testing.T) {
	t.Parallel()
	type pair = [2]PlayerID
	tests := []struct {
		name   string
		es     []SwissEntrant
		played []pair
		want   string
		cross  int // cross-group pairs expected
	}{
		{name: "two", es: swField(2), want: "1-2"},
		{name: "three: bye to the last", es: swField(3), want: "1-2 bye 3"},
		{name: "four: top half against bottom half", es: swField(4), want: "1-3 2-4"},
		{name: "five", es: swField(5), want: "1-3 2-4 bye 5"},
		{name: "seven", es: swField(7), want: "1-4 2-5 3-6 bye 7"},
		{name: "eight", es: swField(8), want: "1-5 2-6 3-7 4-8"},
		{
			name: "four after round one: winners meet, losers meet",
			es:   swWithPoints(swField(4), 1, 1, 0, 0), played: []pair{{1, 3}, {2, 4}},
			want: "1-2 3-4",
		},
		{
			name: "rematch avoided inside the group by the next choice",
			es:   swField(4), played: []pair{{1, 3}},
			want: "1-4 2-3",
		},
		{
			name: "odd group floats its lowest player down",
			es:   swWithPoints(swField(6), 2, 2, 2, 1, 1, 1), played: []pair{},
			want: "1-2 3-4 5-6", cross: 1,
		},
		{
			name: "float to the highest of the next group not met",
			es:   swWithPoints(swField(6), 2, 2, 2, 1, 1, 1), played: []pair{{3, 4}},
			want: "1-2 3-5 4-6", cross: 1,
		},
		{
			name: "group that already met floats both down",
			es:   swWithPoints(swField(4), 2, 2, 0, 0), played: []pair{{1, 2}},
			want: "1-3 2-4", cross: 2,
		},
		{
			name: "lower in the group floats when the bottom one cannot be paired below",
			// 1,2,3 on 2 points; 4 on 0 has met 3, so 2 floats instead of 3.
			es: swWithPoints(swField(4), 2, 2, 2, 0), played: []pair{{3, 4}},
			want: "1-3 2-4", cross: 1,
		},
		{
			name: "bye skips a player who had one",
			es:   func() []SwissEntrant { e := swField(5); e[4].Byes = 1; return e }(),
			want: "1-3 2-5 bye 4",
		},
		{
			name: "everyone had a bye: the lowest with the fewest",
			es: func() []SwissEntrant {
				e := swField(3)
				e[0].Byes, e[1].Byes, e[2].Byes = 1, 1, 2
				return e
			}(),
			want: "1-3 bye 2",
		},
		{
			name: "everyone had one bye: the lowest",
			es: func() []SwissEntrant {
				e := swField(3)
				e[0].Byes, e[1].Byes, e[2].Byes = 1, 1, 1
				return e
			}(),
			want: "1-2 bye 3",
		},
		{
			name: "bye moves up when the others cannot be paired",
			es:   swField(3), played: []pair{{1, 2}},
			want: "1-3 bye 2",
		},
		{
			name: "bye by ranking, not by points",
			es:   swWithPoints(swField(5), 3, 3, 1, 1, 0),
			// 5 is lowest: bye. 1-2, 3-4 in their groups.
			want: "1-2 3-4 bye 5",
		},
		{
			name: "draws make three groups",
			es:   swWithPoints(swField(6), 1, 1, 0.5, 0.5, 0, 0), played: []pair{{1, 5}, {2, 6}, {3, 4}},
			// 3-4 drew with each other: both float; the 0.5 group is empty, so 3 and 4 meet 5 and 6.
			want: "1-2 3-5 4-6", cross: 2,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := swHistory{}
			for _, p := range tc.played {
				h.add(p[0], p[1])
			}
			for _, guided := range []bool{false, true} {
				pairs, bye, err := swPair(tc.es, h.played, guided)
				if err != nil {
					t.Fatalf("guided %v: pairSwiss: %v", guided, err)
				}
				if got := swFormat(pairs, bye); got != tc.want {
					t.Errorf("guided %v: pairing = %q; want %q", guided, got, tc.want)
				}
				swCheck(t, tc.es, h.played, pairs, bye)
				if got := swCross(tc.es, pairs); got != tc.cross {
					t.Errorf("guided %v: cross-group pairs = %d; want %d", guided, got, tc.cross)
				}
			}
		})
	}
}

func TestPairSwissSides(t *testing.T) {
	t.Parallel()
	e := func(id PlayerID, colour, last int) SwissEntrant {
		return SwissEntrant{ID: id, Colour: colour, Last: last}
	}
	tests := []struct {
		name string
		a, b SwissEntrant // a ranked higher
		want [2]PlayerID
	}{
		{"fresh: higher-ranked takes side 0", e(1, 0, -1), e(2, 0, -1), [2]PlayerID{1, 2}},
		{"lower balance takes side 0", e(1, 1, 0), e(2, 0, 1), [2]PlayerID{2, 1}},
		{"lower balance of the higher-ranked", e(1, -1, 1), e(2, 1, 0), [2]PlayerID{1, 2}},
		{"negative balances compare", e(1, -1, 1), e(2, -2, 1), [2]PlayerID{2, 1}},
		{"tie: last side 1 takes side 0", e(1, 0, 0), e(2, 0, 1), [2]PlayerID{2, 1}},
		{"tie: last side 1 of the higher-ranked", e(1, 0, 1), e(2, 0, 0), [2]PlayerID{1, 2}},
		{"tie, both last 1: higher-ranked", e(1, 0, 1), e(2, 0, 1), [2]PlayerID{1, 2}},
		{"tie, both last 0: higher-ranked", e(1, 0, 0), e(2, 0, 0), [2]PlayerID{1, 2}},
		{"tie, one never played: higher-ranked", e(1, 0, -1), e(2, 0, 0), [2]PlayerID{1, 2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			pairs, bye, err := pairSwiss([]SwissEntrant{tc.a, tc.b}, swHistory{}.played)
			if err != nil || bye != 0 || len(pairs) != 1 {
				t.Fatalf("pairSwiss = %v, bye %d, %v; want one pair", pairs, bye, err)
			}
			if pairs[0].Players != tc.want {
				t.Errorf("sides = %v; want %v", pairs[0].Players, tc.want)
			}
		})
	}
}

func TestPairSwissImpossible(t *testing.T) {
	t.Parallel()
	full := func(n int) swHistory {
		h := swHistory{}
		for a := 1; a <= n; a++ {
			for b := a + 1; b <= n; b++ {
				h.add(PlayerID(a), PlayerID(b))
			}
		}
		return h
	}
	tests := []struct {
		name string
		es   []SwissEntrant
		h    swHistory
	}{
		{"four after a full round robin", swWithPoints(swField(4), 9, 6, 3, 0), full(4)},
		{"two who met", swField(2), full(2)},
		{"three who all met", swField(3), full(3)},
		{"five after a full round robin, byes all used", func() []SwissEntrant {
			e := swField(5)
			for i := range e {
				e[i].Byes = 1
			}
			return e
		}(), full(5)},
		{"one player met everybody else", swField(6), func() swHistory {
			h := swHistory{}
			for b := 2; b <= 6; b++ {
				h.add(1, PlayerID(b))
			}
			return h
		}()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, guided := range []bool{false, true} {
				pairs, bye, err := swPair(tc.es, tc.h.played, guided)
				var me *Error
				if !errors.As(err, &me) || me.Code != CodeNoValidPairing {
					t.Fatalf("guided %v: pairSwiss = %s, %v; want a %s error", guided, swFormat(pairs, bye), err, CodeNoValidPairing)
				}
				if !strings.Contains(me.Message, "no pairing") || !strings.Contains(me.Message, "rematch") {
					t.Errorf("message %q should say plainly that no pairing without a rematch exists", me.Message)
				}
				if pairs != nil || bye != 0 {
					t.Errorf("failure returned pairs %v and bye %d; want none", pairs, bye)
				}
			}
		})
	}
}

func TestPairSwissEdgeCases(t *testing.T) {
	t.Parallel()
	pairs, bye, err := pairSwiss(nil, swHistory{}.played)
	if err != nil || len(pairs) != 0 || bye != 0 {
		t.Errorf("no entrants: %v, %d, %v; want nothing", pairs, bye, err)
	}
	pairs, bye, err = pairSwiss(swField(1), swHistory{}.played)
	if err != nil || len(pairs) != 0 || bye != 1 {
		t.Errorf("one entrant: %v, %d, %v; want the bye", pairs, bye, err)
	}
	for _, es := range [][]SwissEntrant{
		{{ID: 1}, {ID: 1}},
		{{ID: 0}, {ID: 2}},
	} {
		_, _, err := pairSwiss(es, swHistory{}.played)
		var me *Error
		if !errors.As(err, &me) || me.Code != CodeInvalid {
			t.Errorf("entrants %v: err = %v; want %s", es, err, CodeInvalid)
		}
	}
	// Success returns a nil error interface, not a typed nil.
	if _, _, err := pairSwiss(swField(4), swHistory{}.played); err != nil {
		t.Errorf("err = %#v; want nil", err)
	}
}

// swSim is a simulated Swiss event: the test's own bookkeeping of points, byes and sides.
type swSim struct {
	es   []SwissEntrant // by id - 1
	h    swHistory
	seed []int // rank tie-break: the initial order
}

func newSwSim(n int) *swSim {
	s := &swSim{es: swField(n), h: swHistory{}}
	for i := range s.es {
		s.seed = append(s.seed, i)
	}
	return s
}

// ranked returns the entrants best first: points, then initial order.
func (s *swSim) ranked() []SwissEntrant {
	out := slices.Clone(s.es)
	slices.SortStableFunc(out, func(a, b SwissEntrant) int {
		if a.Points != b.Points {
			if a.Points > b.Points {
				return -1
			}
			return 1
		}
		return s.seed[a.ID-1] - s.seed[b.ID-1]
	})
	return out
}

// play records the round with random results (win 1, draw 1/2, loss 0).
func (s *swSim) play(r *rand.Rand, pairs []Pairing, bye PlayerID, draws bool) {
	for _, p := range pairs {
		a, b := &s.es[p.Players[0]-1], &s.es[p.Players[1]-1]
		s.h.add(a.ID, b.ID)
		a.Colour++
		b.Colour--
		a.Last, b.Last = 0, 1
		switch x := r.IntN(10); {
		case draws && x < 2:
			a.Points += 0.5
			b.Points += 0.5
		case x < 6:
			a.Points++
		default:
			b.Points++
		}
	}
	if bye != 0 {
		s.es[bye-1].Points++
		s.es[bye-1].Byes++
	}
}

func TestPairSwissProperties(t *testing.T) {
	t.Parallel()
	for n := 2; n <= 130; n++ {
		for _, long := range []bool{false, true} {
			if long && n > 14 {
				continue
			}
			t.Run(fmt.Sprintf("n=%d/long=%v", n, long), func(t *testing.T) {
				t.Parallel()
				r := rand.New(rand.NewPCG(uint64(n), 42))
				rounds := max(1, log2Rounds(n))
				if long {
					rounds = n - 1
				}
				sim := newSwSim(n)
				if long && n%2 == 1 {
					rounds = n // a full round robin with byes
				}
				for round := 1; round <= rounds; round++ {
					es := sim.ranked()
					pairs, bye, err := pairSwiss(es, sim.h.played)
					gPairs, gBye, gErr := swPair(es, sim.h.played, true)
					if (err == nil) != (gErr == nil) {
						t.Fatalf("round %d: pairSwiss says %v but the guided phase alone %v", round, err, gErr)
					}
					for _, e := range []error{err, gErr} {
						if e != nil && strings.Contains(e.Error(), "limit") {
							t.Fatalf("round %d: %v", round, e)
						}
					}
					if err != nil {
						var me *Error
						if !errors.As(err, &me) || me.Code != CodeNoValidPairing {
							t.Fatalf("round %d: err = %v; want %s", round, err, CodeNoValidPairing)
						}
						if !long && n > 4 {
							t.Errorf("round %d of %d for %d players: %v", round, rounds, n, err)
						}
						if n <= 16 && swAnyPairing(es, sim.h.played) {
							t.Fatalf("round %d: %v, but a valid pairing exists", round, err)
						}
						return
					}
					swCheck(t, es, sim.h.played, pairs, bye)
					swCheck(t, es, sim.h.played, gPairs, gBye)
					if again, bye2, _ := pairSwiss(es, sim.h.played); !slices.Equal(again, pairs) || bye2 != bye {
						t.Fatalf("round %d: second call gave %s; first %s", round, swFormat(again, bye2), swFormat(pairs, bye))
					}
					if round == 2 && n%2 == 0 {
						// After a round with no draws there are two groups of n/2, and nobody in
						// a group has met anyone else in it: at most one pair crosses.
						if got, want := swCross(es, pairs), (n/2)%2; got != want {
							t.Errorf("round 2: %d cross-group pairs; want %d: %s", got, want, swFormat(pairs, bye))
						}
					}
					sim.play(r, pairs, bye, round > 2)
				}
			})
		}
	}
}

// log2Rounds is ceil(log2(n)), written here so the test does not lean on the engine's helper.
func log2Rounds(n int) int {
	r := 0
	for 1<<r < n {
		r++
	}
	return r
}

// TestPairSwissRoundRobinComplete runs Swiss for n-1 rounds on even fields: whenever the pairing
// gives up, no valid pairing may exist.
func TestPairSwissRoundRobinComplete(t *testing.T) {
	t.Parallel()
	for n := 4; n <= 12; n += 2 {
		for seed := uint64(0); seed < 20; seed++ {
			r := rand.New(rand.NewPCG(seed, uint64(n)))
			sim := newSwSim(n)
			for round := 1; round < n; round++ {
				es := sim.ranked()
				pairs, bye, err := pairSwiss(es, sim.h.played)
				exists := swAnyPairing(es, sim.h.played)
				if err != nil {
					if exists {
						t.Fatalf("n=%d seed %d round %d: %v, but a valid pairing exists", n, seed, round, err)
					}
					break
				}
				swCheck(t, es, sim.h.played, pairs, bye)
				gPairs, gBye, gErr := swPair(es, sim.h.played, true)
				if gErr != nil {
					t.Fatalf("n=%d seed %d round %d: guided: %v, but a valid pairing exists", n, seed, round, gErr)
				}
				swCheck(t, es, sim.h.played, gPairs, gBye)
				sim.play(r, pairs, bye, true)
			}
		}
	}
}

// TestPairSwissLongEvents runs Swiss events far longer than usual (n-1 rounds) on fields too big
// for brute force: the pairing must never give up on its budget, and the guided phase alone must
// agree on whether a round can be paired (it is exact).
func TestPairSwissLongEvents(t *testing.T) {
	t.Parallel()
	for _, n := range []int{16, 21, 32, 40} {
		for seed := uint64(0); seed < 3; seed++ {
			t.Run(fmt.Sprintf("n=%d/seed=%d", n, seed), func(t *testing.T) {
				t.Parallel()
				r := rand.New(rand.NewPCG(seed, uint64(n)))
				sim := newSwSim(n)
				for round := 1; round <= n; round++ {
					es := sim.ranked()
					pairs, bye, err := pairSwiss(es, sim.h.played)
					_, _, gErr := swPair(es, sim.h.played, true)
					for _, e := range []error{err, gErr} {
						if e != nil && strings.Contains(e.Error(), "limit") {
							t.Fatalf("round %d: %v", round, e)
						}
					}
					if (err == nil) != (gErr == nil) {
						t.Fatalf("round %d: pairSwiss says %v but the guided phase alone %v", round, err, gErr)
					}
					if err != nil {
						if round < n/2 {
							t.Errorf("stuck as early as round %d: %v", round, err)
						}
						return
					}
					swCheck(t, es, sim.h.played, pairs, bye)
					sim.play(r, pairs, bye, true)
				}
			})
		}
	}
}

func FuzzPairSwiss(f *testing.F) {
	f.Add([]byte{4, 0, 0, 0, 0, 1, 2, 3, 4})
	f.Add([]byte{7, 1, 2, 3, 4, 5, 6, 7, 0, 1, 1, 2, 2, 3})
	f.Add([]byte{5, 9, 9, 9, 9, 9, 0, 1, 0, 2, 0, 3, 0, 4, 1, 2, 1, 3, 1, 4, 2, 3, 2, 4, 3, 4})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		n := int(data[0]) % 17 // small enough to check by brute force
		unsorted := data[0]&0x80 != 0
		data = data[1:]
		es := make([]SwissEntrant, n)
		for i := range es {
			var b byte
			if i < len(data) {
				b = data[i]
			}
			es[i] = SwissEntrant{
				ID:     PlayerID(i + 1),
				Points: float64(b&7) / 2,
				Byes:   int(b>>3) & 1,
				Colour: int(b>>4)&3 - 1,
				Last:   int(b>>6)%3 - 1,
			}
		}
		// Ranking order: points descending as a caller gives it, ties as generated; or, to
		// check robustness, a ranking that disagrees with the points.
		slices.SortStableFunc(es, func(a, b SwissEntrant) int {
			if unsorted {
				return 0
			}
			switch {
			case a.Points > b.Points:
				return -1
			case a.Points < b.Points:
				return 1
			}
			return 0
		})
		h := swHistory{}
		if len(data) > n {
			rest := data[n:]
			for i := 0; i+1 < len(rest); i += 2 {
				if n > 0 {
					a, b := PlayerID(int(rest[i])%n+1), PlayerID(int(rest[i+1])%n+1)
					if a != b {
						h.add(a, b)
					}
				}
			}
		}
		for _, guided := range []bool{false, true} {
			pairs, bye, err := swPair(es, h.played, guided)
			if err != nil {
				var me *Error
				if !errors.As(err, &me) || me.Code != CodeNoValidPairing {
					t.Fatalf("guided %v: err = %v; want %s", guided, err, CodeNoValidPairing)
				}
				if swAnyPairing(es, h.played) {
					t.Fatalf("guided %v: %v, but a valid pairing exists", guided, err)
				}
				continue
			}
			swCheck(t, es, h.played, pairs, bye)
		}
	})
}

// swMidField builds a 1024-player field after five rounds of simulated play.
func swMidField(b testing.TB) *swSim {
	sim := newSwSim(1024)
	r := rand.New(rand.NewPCG(7, 7))
	for round := 1; round <= 5; round++ {
		pairs, bye, err := pairSwiss(sim.ranked(), sim.h.played)
		if err != nil {
			b.Fatalf("round %d: %v", round, err)
		}
		sim.play(r, pairs, bye, true)
	}
	return sim
}

func BenchmarkSwissPairing1024(b *testing.B) {
	b.Run("round1", func(b *testing.B) {
		es := swField(1024)
		h := swHistory{}
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := pairSwiss(es, h.played); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("round6", func(b *testing.B) {
		sim := swMidField(b)
		es := sim.ranked()
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := pairSwiss(es, sim.h.played); err != nil {
				b.Fatal(err)
			}
		}
	})
	// The guided phase alone on the same round: what a round costs when rematches force it.
	b.Run("round6-guided", func(b *testing.B) {
		sim := swMidField(b)
		es := sim.ranked()
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := swPair(es, sim.h.played, true); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestStartEventCarriesSettings: the start event carries the settings as the start completed
// them, so that a live client knows a Swiss tournament's round count (5 players: 3 rounds).
func TestStartEventCarriesSettings(t *testing.T) {
	tr := newTournament(t, Settings{Format: Swiss}, 5)
	ev := mustApply(t, tr, Command{Type: CmdStart})
	if ev[0].Type != EvStarted || ev[0].Settings == nil || ev[0].Settings.Rounds != 3 || tr.Settings.Rounds != 3 {
		t.Fatalf("start event %+v (settings %+v); want tournament_started with rounds 3", ev[0], ev[0].Settings)
	}
}
