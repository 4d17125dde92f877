package match

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"
)

// FuzzApply feeds arbitrary command sequences, decoded from the fuzzer's bytes, to a tournament of
// any format. Nothing may panic; a rejected command must leave the state byte-for-byte unchanged;
// an accepted one must add exactly one to the version and keep every invariant.
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
		s := Settings{Format: allFormats[next()%4], BestOf: 1 + 2*(next()%3)}
		switch s.Format {
		case SingleElimination:
			s.ThirdPlace = next()%2 == 0
		case DoubleElimination:
			s.GrandFinal = []GrandFinal{GrandFinalNone, GrandFinalSingle, GrandFinalReset}[next()%3]
		default:
			s.AllowDraws = next()%2 == 0
		}
		// Time settings on some tournaments; every command carries a clock that the fuzzer moves.
		now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
		if next()%2 == 0 {
			s.MatchTimeLimit = Duration(time.Duration(1+next()%30) * time.Minute)
			s.OnTimeout = []TimeoutRule{TimeoutForfeit, TimeoutOrganiser}[next()%2]
		}
		if next()%3 == 0 {
			start := now.Add(time.Duration(next()%90) * time.Minute)
			s.ScheduledStart = &start
			if next()%2 == 0 {
				s.CheckInWindow = Duration(time.Duration(1+next()%60) * time.Minute)
			}
		}
		tr := &Tournament{}
		if _, err := Apply(tr, Command{Type: CmdCreate, Tournament: "f", Name: "Fuzz", Settings: &s, At: now}); err != nil {
			t.Fatalf("create: %v", err)
		}
		for len(data) > 0 {
			c := Command{}
			now = now.Add(time.Duration(next()%8) * time.Minute)
			switch next() % 12 {
			case 0, 1:
				c = Command{Type: CmdJoin, Name: fmt.Sprintf("p%d", next()%40)}
			case 2:
				c = Command{Type: CmdStart}
			case 3, 4, 5:
				c = Command{Type: CmdReport, Match: MatchID(next() % 64), Scores: [2]int{next() % 5, next() % 5}, By: PlayerID(next() % 20)}
			case 6:
				c = Command{Type: CmdForfeit, Match: MatchID(next() % 64), Player: PlayerID(next() % 20), Both: next()%3 == 0}
			case 7:
				c = Command{Type: CmdWithdraw, Player: PlayerID(next() % 20), Disqualify: next()%2 == 0}
			case 8:
				c = Command{Type: []CommandType{CmdLeave, CmdCheckIn, CmdCancel, "bogus", ""}[next()%5], Player: PlayerID(next() % 20)}
			case 10:
				// Whatever the sweeper would fire now.
				if due := DueCommands(tr, now); len(due) > 0 {
					c = due[next()%len(due)]
				}
			case 11:
				// A timed command at any time, due or not (another node's late sweep).
				c = Command{Type: []CommandType{CmdOpenCheckIn, CmdWarnCheckIn, CmdWarn, CmdTimeout}[next()%4], Match: MatchID(next() % 64)}
			case 9:
				// Report a ready match correctly, so that fuzzed tournaments progress.
				for i := range tr.Matches {
					if m := &tr.Matches[i]; m.Status == MatchReady {
						w := next() % 2
						var sc [2]int
						sc[w] = s.BestOf/2 + 1
						c = Command{Type: CmdReport, Match: m.ID, Scores: sc}
						break
					}
				}
			}
			c.At = now
			before, _ := json.Marshal(tr)
			v := tr.Version
			_, err := Apply(tr, c)
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
		}
	})
}
