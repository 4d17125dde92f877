// PLACEHOLDER committed by the lead so the package compiles; the Swiss/points helper replaces this
// whole file (match/swiss.go and match/points.go are theirs).
package match

type SwissEntrant struct {
	ID     PlayerID
	Points float64
	Byes   int
	Colour int
	Last   int
}
type Pairing struct{ Players [2]PlayerID }

func pairSwiss(e []SwissEntrant, played func(a, b PlayerID) bool) ([]Pairing, PlayerID, error) {
	var ps []Pairing
	var bye PlayerID
	used := map[PlayerID]bool{}
	for i := range e {
		if used[e[i].ID] {
			continue
		}
		for j := i + 1; j < len(e); j++ {
			if !used[e[j].ID] && !played(e[i].ID, e[j].ID) {
				used[e[i].ID], used[e[j].ID] = true, true
				ps = append(ps, Pairing{[2]PlayerID{e[i].ID, e[j].ID}})
				break
			}
		}
		if !used[e[i].ID] {
			if bye != 0 {
				return nil, 0, errorf(CodeNoValidPairing, "stub")
			}
			bye = e[i].ID
			used[bye] = true
		}
	}
	return ps, bye, nil
}
