package match

// Elimination brackets are built once, at start, as a graph: every match slot is fed by a seeded
// player or by the winner or loser of an earlier match, and every match knows where its winner and
// loser go. Results then flow along the edges, so a result touches only the matches it feeds.

// bracketOrder returns the seed numbers (1-based) in bracket line order for a bracket of size n
// (a power of two): 1, n, n/2+1... so that adjacent pairs are 1vn, and seeds 1 and 2 can only meet
// in the final. For 8: 1 8 4 5 2 7 3 6.
func bracketOrder(n int) []int {
	order := []int{1}
	for size := 2; size <= n; size *= 2 {
		next := make([]int, 0, size)
		for _, s := range order {
			next = append(next, s, size+1-s)
		}
		order = next
	}
	return order
}

// builder appends matches and wires them.
type builder struct {
	t *Tournament
}

func (b *builder) add(br Bracket, round int) MatchID {
	id := MatchID(len(b.t.Matches) + 1)
	b.t.Matches = append(b.t.Matches, Match{ID: id, Bracket: br, Round: round, Status: MatchPending})
	return id
}

// link sends the winner (or loser) of from into slot of to.
func (b *builder) link(from MatchID, take Outcome, to MatchID, slot int) {
	f := b.t.match(from)
	if take == TakeWinner {
		f.WinnerTo = to
	} else {
		f.LoserTo = to
	}
	b.t.match(to).Feeds[slot] = Feed{Match: from, Take: take}
}

// seedFirstRound builds the first winners round for the seeded players (index 0 = seed 1) and
// returns its matches in bracket order. Seeds beyond len(players) are byes.
func (b *builder) seedFirstRound(players []PlayerID, size int) []MatchID {
	order := bracketOrder(size)
	ids := make([]MatchID, size/2)
	for i := range ids {
		ids[i] = b.add(BracketWinners, 1)
		m := b.t.match(ids[i])
		for slot := 0; slot < 2; slot++ {
			seed := order[2*i+slot]
			m.Filled[slot] = true
			if seed <= len(players) {
				m.Players[slot] = players[seed-1]
			}
		}
	}
	return ids
}

// buildSingle builds a single elimination bracket. It returns the matches to settle at start.
func buildSingle(t *Tournament, players []PlayerID) {
	b := &builder{t: t}
	size := 1 << log2ceil(len(players))
	rounds := [][]MatchID{b.seedFirstRound(players, size)}
	for r := 2; len(rounds[len(rounds)-1]) > 1; r++ {
		prev := rounds[len(rounds)-1]
		cur := make([]MatchID, len(prev)/2)
		for i := range cur {
			cur[i] = b.add(BracketWinners, r)
			b.link(prev[2*i], TakeWinner, cur[i], 0)
			b.link(prev[2*i+1], TakeWinner, cur[i], 1)
		}
		rounds = append(rounds, cur)
	}
	if t.stageRules().ThirdPlace && len(rounds) >= 2 {
		semis := rounds[len(rounds)-2]
		third := b.add(BracketThirdPlace, 1)
		b.link(semis[0], TakeLoser, third, 0)
		b.link(semis[1], TakeLoser, third, 1)
	}
}

// dropOrder says which losers-bracket match receives the loser of winners round wr, match i (of m).
// Alternating reversal and half swap keeps a dropped player away from the players they have just
// beaten, where the bracket size allows it.
func dropOrder(wr, i, m int) int {
	if m == 1 {
		return i
	}
	if wr%2 == 0 {
		return m - 1 - i
	}
	return (i + m/2) % m
}

// buildDouble builds a double elimination bracket: winners rounds, losers rounds (two per winners
// round after the first: a round of losers-bracket survivors, then one where the next winners
// round's losers drop in), and the grand final(s).
func buildDouble(t *Tournament, players []PlayerID) {
	b := &builder{t: t}
	k := log2ceil(len(players))
	size := 1 << k
	wins := [][]MatchID{b.seedFirstRound(players, size)}
	for r := 2; r <= k; r++ {
		prev := wins[r-2]
		cur := make([]MatchID, len(prev)/2)
		for i := range cur {
			cur[i] = b.add(BracketWinners, r)
			b.link(prev[2*i], TakeWinner, cur[i], 0)
			b.link(prev[2*i+1], TakeWinner, cur[i], 1)
		}
		wins = append(wins, cur)
	}
	wfinal := wins[k-1][0]
	lfinal := MatchID(0) // the match whose winner is the losers-bracket champion
	loserOfFinal := wfinal
	if k >= 2 {
		// Losers round 1: the losers of winners round 1, in pairs.
		w1 := wins[0]
		cur := make([]MatchID, len(w1)/2)
		for i := range cur {
			cur[i] = b.add(BracketLosers, 1)
			b.link(w1[2*i], TakeLoser, cur[i], 0)
			b.link(w1[2*i+1], TakeLoser, cur[i], 1)
		}
		lr := 1
		for wr := 2; wr <= k; wr++ {
			// Drop-in round: survivors against the losers of winners round wr.
			drop := wins[wr-1]
			next := make([]MatchID, len(cur))
			lr++
			for i := range next {
				next[i] = b.add(BracketLosers, lr)
				b.link(cur[i], TakeWinner, next[i], 0)
			}
			for i, w := range drop {
				b.link(w, TakeLoser, next[dropOrder(wr, i, len(drop))], 1)
			}
			cur = next
			if wr == k {
				break
			}
			// Survivors round: halve the field.
			lr++
			next = make([]MatchID, len(cur)/2)
			for i := range next {
				next[i] = b.add(BracketLosers, lr)
				b.link(cur[2*i], TakeWinner, next[i], 0)
				b.link(cur[2*i+1], TakeWinner, next[i], 1)
			}
			cur = next
		}
		lfinal = cur[0]
		loserOfFinal = 0
	}
	if t.stageRules().GrandFinal == GrandFinalNone {
		return
	}
	gf := b.add(BracketGrandFinal, 1)
	b.link(wfinal, TakeWinner, gf, 0)
	if lfinal != 0 {
		b.link(lfinal, TakeWinner, gf, 1)
	} else {
		b.link(loserOfFinal, TakeLoser, gf, 1)
	}
	if t.stageRules().GrandFinal == GrandFinalReset {
		reset := b.add(BracketGrandFinal, 2)
		b.link(gf, TakeWinner, reset, 0)
		b.link(gf, TakeLoser, reset, 1)
	}
}
