package match

import (
	"encoding/json"
	"fmt"
	"math"
	"testing"
	"time"
)

// Values the fuzzer picks numeric settings and command fields from: ordinary ones, the documented
// bounds, just past them, and the extremes a decoder or a Go caller can hand in.
var (
	fuzzPoints    = []float64{0, 1, 3, -1, 0.5, 0.1, 2.5, 1000, -1000, 1000.5, 1e303, -1e303, math.MaxFloat64, math.NaN(), math.Inf(1), math.Inf(-1)}
	fuzzSeeds     = []uint64{0, 42, 1<<53 - 1, 1 << 53, math.MaxUint64}
	fuzzYears     = []int{2026, 2026, 2026, 1, 0, -1, 1969, 1970, 8999, 9000, 9999, 10000}
	fuzzDurations = []Duration{Duration(time.Minute), Duration(30 * time.Minute), Duration(30 * 24 * time.Hour), Duration(30*24*time.Hour + 1), -1, math.MaxInt64, math.MinInt64}
	fuzzRatings   = []float64{0, 1500, 1e6, 1e6 + 1, -1, 1e303, math.NaN(), math.Inf(1)}
	fuzzScores    = []int{0, 1, 2, 3, 5, 99, 100, -1, 1 << 62, math.MaxInt, math.MinInt}
)

// FuzzApply feeds arbitrary command sequences, decoded from the fuzzer's bytes, to a tournament of
// any format with settings that may be out of bounds. Nothing may panic; a rejected command must
// leave the state byte-for-byte unchanged; an accepted one must add exactly one to the version,
// keep every invariant, and leave a state and events that encode with encoding/json and hold only
// numbers a JavaScript client can represent (see jsonProblem).
func FuzzApply(f *testing.F) {
	f.Add([]byte{0, 5, 1, 3, 2, 0, 0, 9, 9, 9, 9, 3, 1, 1, 0})
	f.Add([]byte{1, 8, 2, 7, 3, 3, 0, 0, 1, 1, 2, 2, 5, 4, 6})
	f.Add([]byte{2, 6, 0, 2, 4, 1, 2, 3, 4, 5, 6, 7, 8, 7, 7, 7})
	f.Add([]byte{3, 9, 1, 0, 0, 0, 0, 4, 4, 4, 4, 8, 8, 2, 2})
	f.Fuzz(func(t *testing.T, data []byte) {
		next := func() int {
			if len(data) == 0 {
				return 0
			}
			b := data[0]
			data = data[1:]
			return int(b)
		}
		pick := func(n int) int { return next() % n }
		s := Settings{Format: allFormats[pick(4)], BestOf: 1 + 2*pick(3)}
		switch s.Format {
		case SingleElimination:
			s.ThirdPlace = pick(2) == 0
		case DoubleElimination:
			s.GrandFinal = []GrandFinal{GrandFinalNone, GrandFinalSingle, GrandFinalReset}[pick(3)]
		default:
			s.AllowDraws = pick(2) == 0
			if pick(2) == 0 {
				s.Points = &Points{Win: fuzzPoints[pick(len(fuzzPoints))], Draw: fuzzPoints[pick(len(fuzzPoints))], Loss: fuzzPoints[pick(len(fuzzPoints))]}
			}
			if pick(2) == 0 { // a two-stage tournament
				s.Playoff = &Playoff{Format: []Format{SingleElimination, DoubleElimination}[pick(2)], Advance: pick(5)}
				if s.Format == RoundRobin {
					s.Groups = 1 + pick(3)
				}
			}
		}
		if pick(2) == 0 {
			s.Seeding, s.RandomSeed = SeedRandom, fuzzSeeds[pick(len(fuzzSeeds))]
		}
		// Time settings on some tournaments; every command carries a clock that the fuzzer moves.
		now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
		if pick(2) == 0 {
			s.MatchTimeLimit = Duration(time.Duration(1+pick(30)) * time.Minute)
			if pick(4) == 0 {
				s.MatchTimeLimit = fuzzDurations[pick(len(fuzzDurations))]
			}
			s.OnTimeout = []TimeoutRule{TimeoutForfeit, TimeoutOrganiser}[pick(2)]
		}
		if pick(3) == 0 {
			start := now.Add(time.Duration(pick(90)) * time.Minute)
			if y := fuzzYears[pick(len(fuzzYears))]; y != 2026 {
				start = time.Date(y, 6, 1, 12, 0, 0, 0, time.UTC)
			}
			s.ScheduledStart = &start
			if pick(2) == 0 {
				s.CheckInWindow = Duration(time.Duration(1+pick(60)) * time.Minute)
			}
		}
		tr := &Tournament{}
		ev, err := Apply(tr, Command{Type: CmdCreate, Tournament: "f", Name: "Fuzz", Settings: &s, At: now})
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("create %+v: error %T is not *Error", s, err)
			}
			if tr.Version != 0 || tr.ID != "" {
				t.Fatalf("create %+v rejected (%v) but the state changed", s, err)
			}
			return
		}
		if msg := jsonProblem(ev); msg != "" {
			t.Fatalf("create %+v: events: %s", s, msg)
		}
		for len(data) > 0 {
			c := Command{}
			now = now.Add(time.Duration(pick(8)) * time.Minute)
			switch pick(14) {
			case 0, 1:
				c = Command{Type: CmdJoin, Name: fmt.Sprintf("p%d", pick(40))}
				if pick(4) == 0 {
					c.Rating = fuzzRatings[pick(len(fuzzRatings))]
				}
			case 2:
				c = Command{Type: CmdStart}
			case 3, 4, 5:
				c = Command{Type: CmdReport, Match: MatchID(pick(64)), Scores: [2]int{pick(5), pick(5)}, By: PlayerID(pick(20))}
				if pick(4) == 0 {
					c.Scores = [2]int{fuzzScores[pick(len(fuzzScores))], fuzzScores[pick(len(fuzzScores))]}
				}
				if pick(3) == 0 {
					c.Games = make(Games, pick(5))
					for i := range c.Games {
						c.Games[i] = [2]int{pick(13) - 1, pick(13) - 1}
					}
				}
			case 6:
				c = Command{Type: CmdForfeit, Match: MatchID(pick(64)), Player: PlayerID(pick(20)), Both: pick(3) == 0}
			case 7:
				c = Command{Type: CmdWithdraw, Player: PlayerID(pick(20)), Disqualify: pick(2) == 0}
			case 8:
				c = Command{Type: []CommandType{CmdLeave, CmdCheckIn, CmdCancel, "bogus", ""}[pick(5)], Player: PlayerID(pick(20))}
			case 10:
				// Whatever the sweeper would fire now.
				if due := DueCommands(tr, now); len(due) > 0 {
					c = due[pick(len(due))]
				}
			case 11:
				// A timed command at any time, due or not (another node's late sweep).
				c = Command{Type: []CommandType{CmdOpenCheckIn, CmdWarnCheckIn, CmdWarn, CmdTimeout}[pick(4)], Match: MatchID(pick(64))}
			case 12:
				// A node whose clock is wildly off.
				now = time.Date(fuzzYears[pick(len(fuzzYears))], 12, 31, 23, 0, 0, 0, time.UTC)
				c = Command{Type: []CommandType{CmdStart, CmdTimeout, CmdWarn}[pick(3)], Match: MatchID(pick(64))}
			case 13:
				// The organiser's edits, sound or not.
				e := &Edit{}
				if pick(2) == 0 {
					e.Name = str(fmt.Sprintf("p%d", pick(40)))
				}
				if pick(3) == 0 {
					e.Rating = rating(fuzzRatings[pick(len(fuzzRatings))])
				}
				if pick(2) == 0 {
					e.Seed = num(pick(24) - 2)
				}
				order := make([]PlayerID, pick(24))
				for i := range order {
					order[i] = PlayerID(pick(24))
				}
				c = [...]Command{
					{Type: CmdEditPlayer, Player: PlayerID(pick(24)), Edit: e},
					{Type: CmdSeed, Seeding: []Seeding{SeedGiven, SeedRating, SeedRandom, "odd"}[pick(4)], Order: order, RandomSeed: uint64(pick(1 << 16))},
					{Type: CmdAddPlayers, Players: []NewPlayer{{Name: fmt.Sprintf("p%d", pick(40))}, {Name: fmt.Sprintf("p%d", pick(40)), Rating: fuzzRatings[pick(len(fuzzRatings))]}}},
					{Type: CmdEdit, Edit: &Edit{Name: str(fmt.Sprintf("Fuzz %d", pick(4))), Description: e.Name}},
					{Type: CmdStartPlayoff, Order: order[:min(len(order), pick(4))]},
				}[pick(5)]
				if pick(16) == 0 {
					c = Command{Type: CmdDelete}
				}
			case 9:
				// Report a ready match correctly, so that fuzzed tournaments progress.
				for i := range tr.Matches {
					if m := &tr.Matches[i]; m.Status == MatchReady {
						w := pick(2)
						var sc [2]int
						sc[w] = s.BestOf/2 + 1
						c = Command{Type: CmdReport, Match: m.ID, Scores: sc}
						break
					}
				}
			}
			if c.At.IsZero() {
				c.At = now
			}
			before, _ := json.Marshal(tr)
			old := tr.Clone()
			was := old.Matches
			v := tr.Version
			ev, ch, err := ApplyChanges(tr, c)
			if err != nil {
				if _, ok := err.(*Error); !ok {
					t.Fatalf("%+v: error %T is not *Error", c, err)
				}
				after, _ := json.Marshal(tr)
				if string(before) != string(after) {
					t.Fatalf("%+v rejected (%v) but the state changed", c, err)
				}
				continue
			}
			if tr.Version != v+1 {
				t.Fatalf("%+v: version %d -> %d", c, v, tr.Version)
			}
			if msg := checkInvariants(tr); msg != "" {
				t.Fatalf("%+v: %s", c, msg)
			}
			if msg := eventsCarryMatches(was, tr, ev); msg != "" {
				t.Fatalf("%+v with settings %+v: %s", c, s, msg)
			}
			if msg := changesCover(old, tr, ch); msg != "" {
				t.Fatalf("%+v with settings %+v: %s", c, s, msg)
			}
			if msg := undoes(old, c); msg != "" {
				t.Fatalf("%+v with settings %+v: %s", c, s, msg)
			}
			if msg := jsonProblem(ev); msg != "" {
				t.Fatalf("%+v with settings %+v: events: %s", c, s, msg)
			}
			if msg := jsonProblem(tr); msg != "" {
				t.Fatalf("%+v with settings %+v: state: %s", c, s, msg)
			}
		}
	})
}
