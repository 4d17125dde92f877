package match

// buildRoundRobin schedules every pair of each group once with the circle method: one player stays
// put while the others rotate, so each round pairs everyone (an odd group gets a sitting-out slot,
// which makes no match). Groups are filled by snake seeding (1 2 3 3 2 1 ...), so they are even.
// All matches exist from the start; a match is ready when both its players have finished their
// earlier rounds, so nobody has two playable matches at once. With two legs (a double round
// robin) the first leg's rounds are played again after it, each pair with its sides swapped.
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
	legs := max(1, t.Settings.Legs) // 0: a tournament stored before legs existed
	for gi, members := range groups {
		if len(members) > t.Settings.maxGroupSize() {
			return errorf(CodeInvalid, "a round robin group of %d players is too large (at most %d): use more groups", len(members), t.Settings.maxGroupSize())
		}
		first := len(t.Matches)
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
		leg := t.Matches[first:len(t.Matches):len(t.Matches)]
		for l := 1; l < legs; l++ {
			for _, m := range leg {
				id := MatchID(len(t.Matches) + 1)
				t.Matches = append(t.Matches, Match{
					ID: id, Bracket: BracketGroup, Round: m.Round + l*(n-1), Group: m.Group, Status: MatchPending,
					Players: [2]PlayerID{m.Players[1], m.Players[0]}, Filled: [2]bool{true, true},
				})
			}
		}
	}
	return nil
}

// maxGroupSize is the largest round robin group s allows: MaxGroupSize, halved for a double
// round robin, so that nobody plays more than MaxGroupSize-1 matches.
func (s Settings) maxGroupSize() int { return MaxGroupSize / max(1, s.Legs) }
