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

// The pairing search runs in two phases. The plain phase is a depth-first search over score
// groups in order of preference; a normal round needs a few steps per player (a step is a
// played() call or a choice of floaters), and the phase gives up after swissPlainBudget steps.
// Only when rematches leave few valid pairings (many rounds for the size of the field) does the
// guided phase run: it keeps a perfect matching of the players left (Edmonds' blossom algorithm)
// and pairs them top down in the same order of preference, taking each choice only if the others
// can still all be paired. It never walks into a dead end, and when it finds nothing that is a
// proof that no pairing exists. Its work (pairs examined) is bounded by swissGuidedBudget.
const (
	swissPlainBudget  = 20_000
	swissGuidedBudget = 5_000_000
)

// pairSwiss pairs a whole round at once.
//
// With an odd count the bye goes to the lowest-ranked entrant among those with the fewest byes
// (so nobody gets a second bye while someone has none); if no pairing of the others exists with
// that bye, the next lowest-ranked of them is tried. The others are paired in score groups (equal
// Points), top half against bottom half (Dutch system); players who cannot be paired in their
// group (odd group, or rematches) float down to the next group, the lowest-ranked first, and are
// paired there with the highest-ranked players they have not met. No pair ever repeats a match
// that played reports. The search backtracks over these choices, the preferred one first (see
// swissPlainBudget for its two phases); if it finds nothing it returns an *Error with
// CodeNoValidPairing, which says whether no pairing exists or the search gave up.
//
// Sides: the player with the lower Colour balance takes side 0; on a tie the one whose Last side
// was 1; else the higher-ranked. Pairs are returned best board first. played must be symmetric.
// The result depends only on the arguments.
func pairSwiss(entrants []SwissEntrant, played func(a, b PlayerID) bool) (pairs []Pairing, bye PlayerID, err error) {
	return pairSwissBudget(entrants, played, swissPlainBudget)
}

// pairSwissBudget is pairSwiss with the plain phase's budget given (tests force the guided phase
// with 0).
func pairSwissBudget(entrants []SwissEntrant, played func(a, b PlayerID) bool, plainBudget int) (pairs []Pairing, bye PlayerID, err error) {
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
	s := &swissSearch{ent: entrants, played: played, limit: plainBudget}
	byeAt, ok := s.attempt(order)
	if !ok && s.exhausted {
		s.guided, s.exhausted, s.steps, s.limit = true, false, 0, swissGuidedBudget
		s.allowed = make([]int8, n*n)
		byeAt, ok = s.attempt(order)
	}
	if !ok {
		return nil, 0, s.failure(n)
	}
	if byeAt >= 0 {
		bye = entrants[byeAt].ID
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
	limit     int
	exhausted bool // the budget ran out

	// The guided phase.
	guided  bool
	allowed []int8 // n*n cache of met: 0 unknown, 1 may meet, 2 met
	bl      blossom
	list    []int32 // the players being paired, by points then rank
	alive   []bool  // by position in list: not yet paired
}

// attempt pairs everybody, or everybody but the bye when the count is odd. The bye candidates
// are those with the fewest byes, lowest-ranked (by the caller's ranking) first. It returns the
// entrant index of the bye (-1: none).
func (s *swissSearch) attempt(order []int32) (int, bool) {
	n := len(order)
	if n%2 == 0 {
		return -1, s.run(order)
	}
	fewest := s.ent[0].Byes
	for _, e := range s.ent {
		fewest = min(fewest, e.Byes)
	}
	rest := make([]int32, 0, n-1)
	for c := int32(n - 1); c >= 0; c-- {
		if s.ent[c].Byes != fewest {
			continue
		}
		rest = rest[:0]
		for _, o := range order {
			if o != c {
				rest = append(rest, o)
			}
		}
		if s.run(rest) {
			return int(c), true
		}
		if s.exhausted {
			break
		}
	}
	return -1, false
}

func (s *swissSearch) failure(n int) *Error {
	if s.exhausted {
		return errorf(CodeNoValidPairing, "could not find a pairing of %d players without a rematch: the search reached its limit, so one may exist but is too hard to find; the round cannot be paired", n)
	}
	return errorf(CodeNoValidPairing, "no pairing of %d players without a rematch exists: every possible pairing repeats a match already played", n)
}

// step spends one unit of the budget and says whether the search may go on.
func (s *swissSearch) step() bool { return s.spend(1) }

func (s *swissSearch) spend(k int) bool {
	if s.exhausted {
		return false
	}
	s.steps += k
	if s.steps > s.limit {
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
	if s.allowed == nil {
		return s.played(s.ent[a].ID, s.ent[b].ID)
	}
	i := int(a)*len(s.ent) + int(b)
	if s.allowed[i] == 0 {
		s.allowed[i] = 1
		if s.played(s.ent[a].ID, s.ent[b].ID) {
			s.allowed[i] = 2
		}
	}
	return s.allowed[i] == 2
}

// run pairs the players of order (sorted by points, best first), all of them.
func (s *swissSearch) run(order []int32) bool {
	s.pairs = s.pairs[:0]
	if s.guided {
		return s.guidedRun(order)
	}
	s.groups = s.groups[:0]
	for i := 0; i < len(order); {
		j := i + 1
		for j < len(order) && cmp.Compare(s.ent[order[j]].Points, s.ent[order[i]].Points) == 0 {
			j++
		}
		s.groups = append(s.groups, order[i:j])
		i = j
	}
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
			s.pairs = append(s.pairs, [2]int32{min(p, q), max(p, q)})
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

// guidedRun pairs list (players by points, then rank) top down. It keeps a perfect matching of
// the players not yet paired and takes the preferred opponent for the top player whose removal
// leaves one (the matching is repaired with at most two augmenting paths), so it never backtracks.
func (s *swissSearch) guidedRun(list []int32) bool {
	m := len(list)
	s.list = list
	s.alive = slices.Grow(s.alive[:0], m)[:m]
	for i := range s.alive {
		s.alive[i] = true
	}
	edge := func(i, j int) bool {
		if !s.alive[i] || !s.alive[j] || !s.step() {
			return false // out of budget: no edges, so every search ends at once
		}
		return !s.met(s.list[i], s.list[j])
	}
	if !s.bl.perfect(m, edge) {
		return false
	}
	rem := make([]int, m) // positions in list, not yet paired
	for i := range rem {
		rem[i] = i
	}
	for len(rem) > 0 {
		p := rem[0]
		pts := s.ent[list[p]].Points
		k := 1 // players left on p's points, all at the front of rem
		for k < len(rem) && cmp.Compare(s.ent[list[rem[k]]].Points, pts) == 0 {
			k++
		}
		h := k / 2
		chosen := -1
		for t := 0; t < len(rem)-1 && chosen < 0; t++ {
			// Within p's group the Dutch order (as in pairList), then everyone below, top down.
			var j int
			switch {
			case t >= k-1:
				j = t + 1
			case t < k-h:
				j = h + t
			default:
				j = h - 1 - (t - (k - h))
			}
			q := rem[j]
			if s.met(list[p], list[q]) {
				continue
			}
			if s.bl.remove(p, q, s.alive) {
				chosen = j
			}
			if s.exhausted {
				return false
			}
		}
		if chosen < 0 {
			return false // cannot happen: the matching says p has a partner
		}
		s.pairs = append(s.pairs, [2]int32{min(list[p], list[rem[chosen]]), max(list[p], list[rem[chosen]])})
		rem = slices.Delete(rem, chosen, chosen+1)[1:]
	}
	return true
}

// blossom finds maximum matchings in general graphs (Edmonds' algorithm: search for augmenting
// paths from each unmatched vertex, shrinking odd cycles into their base). Its slices are scratch
// space reused between calls.
type blossom struct {
	mate, parent, base []int
	used, inBlossom    []bool
	queue, saved       []int
	edge               func(i, j int) bool
}

// perfect says whether the graph on 0..m-1 with the given edges has a perfect matching.
func (b *blossom) perfect(m int, edge func(i, j int) bool) bool {
	if m%2 == 1 {
		return false
	}
	b.edge = edge
	grow := func(x []int) []int { return slices.Grow(x[:0], m)[:m] }
	b.mate, b.parent, b.base = grow(b.mate), grow(b.parent), grow(b.base)
	b.used = slices.Grow(b.used[:0], m)[:m]
	b.inBlossom = slices.Grow(b.inBlossom[:0], m)[:m]
	for i := range b.mate {
		b.mate[i] = -1
	}
	// Greedy start: most vertices are matched at once.
	for i := 0; i < m; i++ {
		if b.mate[i] >= 0 {
			continue
		}
		for j := i + 1; j < m; j++ {
			if b.mate[j] < 0 && edge(i, j) {
				b.mate[i], b.mate[j] = j, i
				break
			}
		}
	}
	for r := 0; r < m; r++ {
		if b.mate[r] >= 0 {
			continue
		}
		// With no augmenting path from r now there is none later: r stays unmatched.
		v := b.augmentingPath(r, m)
		if v < 0 {
			return false
		}
		b.flip(v)
	}
	return true
}

// remove takes p and q out of the graph (alive marks who is in it) if the others still have a
// perfect matching, and says whether it did. The current matching is perfect on entry and exit.
func (b *blossom) remove(p, q int, alive []bool) bool {
	if b.mate[p] == q {
		alive[p], alive[q] = false, false
		return true
	}
	alive[p], alive[q] = false, false
	x, y := b.mate[p], b.mate[q]
	if b.edge(x, y) { // their partners can simply meet each other
		b.mate[p], b.mate[q], b.mate[x], b.mate[y] = -1, -1, y, x
		return true
	}
	saved := append(b.saved[:0], b.mate...)
	b.saved = saved
	b.mate[p], b.mate[q], b.mate[x], b.mate[y] = -1, -1, -1, -1
	for _, r := range [2]int{x, y} {
		if b.mate[r] >= 0 {
			continue // matched by the first path
		}
		v := b.augmentingPath(r, len(b.mate))
		if v < 0 {
			copy(b.mate, saved)
			alive[p], alive[q] = true, true
			return false
		}
		b.flip(v)
	}
	return true
}

func (b *blossom) flip(v int) {
	for v >= 0 {
		pv := b.parent[v]
		ppv := b.mate[pv]
		b.mate[v], b.mate[pv] = pv, v
		v = ppv
	}
}

// augmentingPath searches from root and returns the unmatched end of an augmenting path, with
// parent links to walk it back, or -1.
func (b *blossom) augmentingPath(root, m int) int {
	for i := 0; i < m; i++ {
		b.used[i], b.parent[i], b.base[i] = false, -1, i
	}
	b.used[root] = true
	b.queue = append(b.queue[:0], root)
	for qi := 0; qi < len(b.queue); qi++ {
		v := b.queue[qi]
		for to := 0; to < m; to++ {
			if to == v || b.base[v] == b.base[to] || b.mate[v] == to || !b.edge(v, to) {
				continue
			}
			if to == root || b.mate[to] >= 0 && b.parent[b.mate[to]] >= 0 {
				// An odd cycle: shrink it to its base.
				cur := b.lca(v, to, m)
				for i := 0; i < m; i++ {
					b.inBlossom[i] = false
				}
				b.markPath(v, cur, to)
				b.markPath(to, cur, v)
				for i := 0; i < m; i++ {
					if b.inBlossom[b.base[i]] {
						b.base[i] = cur
						if !b.used[i] {
							b.used[i] = true
							b.queue = append(b.queue, i)
						}
					}
				}
			} else if b.parent[to] < 0 {
				b.parent[to] = v
				if b.mate[to] < 0 {
					return to
				}
				b.used[b.mate[to]] = true
				b.queue = append(b.queue, b.mate[to])
			}
		}
	}
	return -1
}

// lca is the base of the blossom closing at edge a-b: the first common vertex of their paths to
// the root.
func (b *blossom) lca(x, y, m int) int {
	seen := b.inBlossom // free until the caller clears it
	for i := 0; i < m; i++ {
		seen[i] = false
	}
	for {
		x = b.base[x]
		seen[x] = true
		if b.mate[x] < 0 {
			break
		}
		x = b.parent[b.mate[x]]
	}
	for {
		y = b.base[y]
		if seen[y] {
			return y
		}
		y = b.parent[b.mate[y]]
	}
}

// markPath marks the blossom vertices on the path from v down to base cur, pointing their
// parents across the closing edge.
func (b *blossom) markPath(v, cur, child int) {
	for b.base[v] != cur {
		b.inBlossom[b.base[v]], b.inBlossom[b.base[b.mate[v]]] = true, true
		b.parent[v] = child
		child = b.mate[v]
		v = b.parent[b.mate[v]]
	}
}
