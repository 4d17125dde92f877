package match

import (
	"cmp"
	"encoding/binary"
	"slices"
)

// SwissEntrant is a player as the pairing sees it, listed in ranking order (best first) by the caller.
type SwissEntrant struct {
	ID     PlayerID
	Points float64
	Byes   int // byes already received
	Colour int // games as side 0 minus games as side 1 so far
	Last   int // side of the last game: 0, 1, or -1 if none
}

// Pairing is one match of a round: Players[0] takes side 0 (white/home).
type Pairing struct{ Players [2]PlayerID }

// swissBudget bounds the pairing search. A normal round needs about one step per player; the
// budget only matters when rematches leave few valid pairings, and it keeps a hopeless search from
// running away (every step is a played() call or a choice of floaters).
const swissBudget = 200_000

// pairSwiss pairs a whole round at once.
//
// With an odd count the bye goes to the lowest-ranked entrant among those with the fewest byes
// (so nobody gets a second bye while someone has none); if no pairing of the others exists with
// that bye, the next lowest-ranked of them is tried. The others are paired in score groups (equal
// Points), top half against bottom half (Dutch system); players who cannot be paired in their
// group (odd group, or rematches) float down to the next group, the lowest-ranked first, and are
// paired there with the highest-ranked players they have not met. No pair ever repeats a match
// that played reports. The search backtracks over these choices, the preferred one first, within
// swissBudget steps; if it finds nothing it returns an *Error with CodeNoValidPairing.
//
// Sides: the player with the lower Colour balance takes side 0; on a tie the one whose Last side
// was 1; else the higher-ranked. Pairs are returned best board first. played must be symmetric.
// The result depends only on the arguments.
func pairSwiss(entrants []SwissEntrant, played func(a, b PlayerID) bool) (pairs []Pairing, bye PlayerID, err error) {
	n := len(entrants)
	seen := make(map[PlayerID]bool, n)
	for _, e := range entrants {
		if e.ID == 0 || seen[e.ID] {
			return nil, 0, errorf(CodeInvalid, "swiss pairing: player ids must be non-zero and distinct (got %d twice or zero)", e.ID)
		}
		seen[e.ID] = true
	}
	if n == 0 {
		return nil, 0, nil
	}
	// order holds entrant indices (their rank) by points, best first; stable, so equal points keep
	// the caller's ranking.
	order := make([]int32, n)
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortStableFunc(order, func(a, b int32) int {
		return cmp.Compare(entrants[b].Points, entrants[a].Points)
	})
	s := &swissSearch{ent: entrants, played: played}

	byeAt := -1 // position in order of the bye
	if n%2 == 1 {
		fewest := entrants[0].Byes
		for _, e := range entrants {
			fewest = min(fewest, e.Byes)
		}
		// Candidates: fewest byes, lowest-ranked (by the caller's ranking) first.
		var cands []int32
		for i := n - 1; i >= 0; i-- {
			if entrants[i].Byes == fewest {
				cands = append(cands, int32(i))
			}
		}
		rest := make([]int32, 0, n-1)
		for _, c := range cands {
			rest = rest[:0]
			for _, o := range order {
				if o != c {
					rest = append(rest, o)
				}
			}
			if s.run(rest) {
				byeAt = int(c)
				break
			}
			if s.exhausted {
				break
			}
		}
		if byeAt < 0 {
			return nil, 0, s.failure(n)
		}
		bye = entrants[byeAt].ID
	} else if !s.run(order) {
		return nil, 0, s.failure(n)
	}

	// Board order: by the better rank in each pair.
	slices.SortFunc(s.pairs, func(a, b [2]int32) int { return cmp.Compare(a[0], b[0]) })
	pairs = make([]Pairing, len(s.pairs))
	for i, p := range s.pairs {
		pairs[i] = Pairing{Players: swissSides(entrants, p[0], p[1])}
	}
	return pairs, bye, nil
}

// swissSides puts the player due side 0 first. a is the higher-ranked of the two.
func swissSides(ent []SwissEntrant, a, b int32) [2]PlayerID {
	x, y := ent[a], ent[b]
	switch {
	case x.Colour < y.Colour:
		return [2]PlayerID{x.ID, y.ID}
	case y.Colour < x.Colour:
		return [2]PlayerID{y.ID, x.ID}
	case y.Last == 1 && x.Last != 1:
		return [2]PlayerID{y.ID, x.ID}
	}
	return [2]PlayerID{x.ID, y.ID}
}

// swissSearch is the state of one pairing search. Players are entrant indices, which are also
// their ranks (lower is better).
type swissSearch struct {
	ent    []SwissEntrant
	played func(a, b PlayerID) bool

	groups    [][]int32 // score groups, best first, each in rank order
	pairs     [][2]int32
	failed    map[string]bool // bracket(g, floaters) known to have no pairing
	key       []byte
	steps     int
	exhausted bool // the budget ran out
}

func (s *swissSearch) failure(n int) *Error {
	if s.exhausted {
		return errorf(CodeNoValidPairing, "could not find a pairing of %d players without a rematch: the search gave up after %d steps, so one may exist but is too hard to find; the round cannot be paired", n, swissBudget)
	}
	return errorf(CodeNoValidPairing, "no pairing of %d players without a rematch exists: every possible pairing repeats a match already played", n)
}

// step spends one unit of the budget and says whether the search may go on.
func (s *swissSearch) step() bool {
	if s.exhausted {
		return false
	}
	s.steps++
	if s.steps > swissBudget {
		s.exhausted = true
		return false
	}
	return true
}

// met says whether the players of ranks a and b may not meet again.
func (s *swissSearch) met(a, b int32) bool {
	if a > b {
		a, b = b, a
	}
	return s.played(s.ent[a].ID, s.ent[b].ID)
}

// run pairs the players of order (sorted by points, best first), all of them.
func (s *swissSearch) run(order []int32) bool {
	s.groups = s.groups[:0]
	for i := 0; i < len(order); {
		j := i + 1
		for j < len(order) && cmp.Compare(s.ent[order[j]].Points, s.ent[order[i]].Points) == 0 {
			j++
		}
		s.groups = append(s.groups, order[i:j])
		i = j
	}
	s.pairs = s.pairs[:0]
	clear(s.failed)
	return s.bracket(0, nil)
}

// bracket pairs group g together with the players floated down into it (floaters, in rank order,
// all ranked above the group), then every group below. It tries the fewest floaters first, and
// among those the lowest-ranked first. Whether the groups below can be paired depends only on who
// floats into them, so for each choice of floaters one pairing of this bracket is enough.
func (s *swissSearch) bracket(g int, floaters []int32) bool {
	if g == len(s.groups) {
		return len(floaters) == 0
	}
	if !s.step() {
		return false
	}
	key := s.failKey(g, floaters)
	if s.failed[key] {
		return false
	}
	members := make([]int32, 0, len(floaters)+len(s.groups[g]))
	members = append(members, floaters...)
	members = append(members, s.groups[g]...)
	k := len(members)
	last := g == len(s.groups)-1
	mark := len(s.pairs)
	rest := make([]int32, 0, k)
	down := make([]int32, 0, k)
	for f := k % 2; f <= k; f += 2 {
		if last && f > 0 {
			break // nobody below to float to
		}
		// c holds f positions counted from the bottom, ascending, in colexicographic order: the
		// highest-ranked floater is as low as possible.
		c := make([]int, f)
		for i := range c {
			c[i] = i
		}
		for {
			if !s.step() {
				return false
			}
			rest, down = rest[:0], down[:0]
			j := 0 // walks c from the top of the bracket down: position k-1-c[f-1-j]
			for i := range members {
				if j < f && i == k-1-c[f-1-j] {
					down = append(down, members[i])
					j++
				} else {
					rest = append(rest, members[i])
				}
			}
			if s.canPair(rest) && s.pairList(rest, s.ent[s.groups[g][0]].Points) {
				if s.bracket(g+1, down) {
					return true
				}
				s.pairs = s.pairs[:mark]
			}
			if s.exhausted {
				return false
			}
			if !nextColex(c, k) {
				break
			}
		}
	}
	if s.failed == nil {
		s.failed = make(map[string]bool)
	}
	s.failed[key] = true
	return false
}

// failKey names a bracket state for the failure memo.
func (s *swissSearch) failKey(g int, floaters []int32) string {
	s.key = binary.AppendUvarint(s.key[:0], uint64(g))
	for _, f := range floaters {
		s.key = binary.AppendUvarint(s.key, uint64(f))
	}
	return string(s.key)
}

// nextColex advances c (f distinct values in 0..k-1, ascending) to the next combination in
// colexicographic order, or reports that c was the last.
func nextColex(c []int, k int) bool {
	for i := range c {
		limit := k
		if i+1 < len(c) {
			limit = c[i+1]
		}
		if c[i]+1 < limit {
			c[i]++
			for j := 0; j < i; j++ {
				c[j] = j
			}
			return true
		}
	}
	return false
}

// canPair is a quick necessary check: everyone in list has someone in it they have not met.
// It usually costs one played() call per player and saves a blind search when someone has
// already met everybody left.
func (s *swissSearch) canPair(list []int32) bool {
	for i, p := range list {
		ok := false
		for d := 1; d < len(list); d++ { // nearest first: most often a fresh opponent
			q := list[(i+d)%len(list)]
			if !s.step() {
				return false
			}
			if !s.met(p, q) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// pairList pairs every player of rem (rank order; floaters from above first, then the group whose
// points are pts), preferring the Dutch choice: the top player, if a floater, meets the
// highest-ranked group player; otherwise the remaining group splits in halves and the top player
// meets the first of the lower half, then the next ones down, then the upper half from its bottom
// up. It backtracks on rematches and restores rem when it fails.
func (s *swissSearch) pairList(rem []int32, pts float64) bool {
	k := len(rem)
	if k == 0 {
		return true
	}
	p := rem[0]
	nf := 0 // floaters in rem, all at the front
	for nf < k && cmp.Compare(s.ent[rem[nf]].Points, pts) != 0 {
		nf++
	}
	h := k / 2
	for t := 0; t < k-1; t++ {
		var j int
		if nf > 0 { // p is a floater: group players top down, then the other floaters
			if t < k-nf {
				j = nf + t
			} else {
				j = 1 + t - (k - nf)
			}
		} else if t < k-h {
			j = h + t
		} else {
			j = h - 1 - (t - (k - h))
		}
		if !s.step() {
			return false
		}
		q := rem[j]
		if s.met(p, q) {
			continue
		}
		copy(rem[j:], rem[j+1:]) // rem[1:k-1] is now rem without p and q, in order
		if s.pairList(rem[1:k-1], pts) {
			s.pairs = append(s.pairs, [2]int32{p, q})
			return true
		}
		copy(rem[j+1:], rem[j:k-1])
		rem[j] = q
		if s.exhausted {
			return false
		}
	}
	return false
}
