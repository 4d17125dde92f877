package match

// buildRoundRobin schedules every pair of each group once with the circle method: one player stays
// put while the others rotate, so each round pairs everyone (an odd group gets a sitting-out slot,
// which makes no match). Groups are filled by snake seeding (1 2 3 3 2 1 ...), so they are even.
// All matches exist from the start; a match is ready when both its players have finished their
// earlier rounds, so nobody has two playable matches at once.
func buildRoundRobin(t *Tournament, players []PlayerID) *Error {
	g := t.Settings.Groups
	if g > len(players)/2 {
		g = max(1, len(players)/2)
	}
	groups := make([][]PlayerID, g)
	for i, p := range players {
		k := i % (2 * g)
		if k >= g {
			k = 2*g - 1 - k
		}
		groups[k] = append(groups[k], p)
	}
	for gi, members := range groups {
		if len(members) > MaxGroupSize {
			return errorf(CodeInvalid, "a round robin group of %d players is too large (at most %d): use more groups", len(members), MaxGroupSize)
		}
		ring := append([]PlayerID(nil), members...)
		if len(ring)%2 == 1 {
			ring = append(ring, 0)
		}
		n := len(ring)
		for r := 1; r < n; r++ {
			for i := 0; i < n/2; i++ {
				a, c := ring[i], ring[n-1-i]
				if a == 0 || c == 0 {
					continue
				}
				if i == 0 && r%2 == 0 { // the fixed player alternates sides
					a, c = c, a
				}
				id := MatchID(len(t.Matches) + 1)
				t.Matches = append(t.Matches, Match{
					ID: id, Bracket: BracketGroup, Round: r, Group: gi + 1, Status: MatchPending,
					Players: [2]PlayerID{a, c}, Filled: [2]bool{true, true},
				})
			}
			// Rotate everything but the first.
			last := ring[n-1]
			copy(ring[2:], ring[1:n-1])
			ring[1] = last
		}
	}
	return nil
}
