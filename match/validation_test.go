package match

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// TestRejections: every kind of bad command gets its typed error and leaves the state unchanged.
func TestRejections(t *testing.T) {
	registering := func(t *testing.T) *Tournament {
		return newTournament(t, Settings{Format: SingleElimination, BestOf: 3, MaxPlayers: 4}, 3)
	}
	running := func(t *testing.T) *Tournament {
		tr := newTournament(t, Settings{Format: SingleElimination, BestOf: 3}, 4)
		mustApply(t, tr, Command{Type: CmdStart})
		return tr
	}
	full := func(t *testing.T) *Tournament {
		tr := registering(t)
		mustApply(t, tr, Command{Type: CmdJoin, Name: "P4"})
		return tr
	}
	finished := func(t *testing.T) *Tournament {
		tr := started(t, Settings{Format: SingleElimination}, 2)
		mustApply(t, tr, Command{Type: CmdReport, Match: 1, Scores: [2]int{1, 0}})
		return tr
	}
	set := func(s Settings) *Settings { return &s }
	tests := []struct {
		name  string
		state func(*testing.T) *Tournament
		cmd   Command
		code  Code
	}{
		{"no type", registering, Command{}, CodeInvalid},
		{"unknown type", registering, Command{Type: "explode"}, CodeInvalid},
		{"create twice", registering, Command{Type: CmdCreate, Tournament: "x", Name: "x", Settings: set(Settings{Format: Swiss})}, CodeAlreadyExists},
		{"create without format", func(*testing.T) *Tournament { return &Tournament{} }, Command{Type: CmdCreate, Tournament: "x", Name: "x", Settings: set(Settings{})}, CodeInvalid},
		{"create unknown format", func(*testing.T) *Tournament { return &Tournament{} }, Command{Type: CmdCreate, Tournament: "x", Name: "x", Settings: set(Settings{Format: "ladder"})}, CodeInvalid},
		{"create even best_of elimination", func(*testing.T) *Tournament { return &Tournament{} }, Command{Type: CmdCreate, Tournament: "x", Name: "x", Settings: set(Settings{Format: SingleElimination, BestOf: 2})}, CodeInvalid},
		{"create too many players", func(*testing.T) *Tournament { return &Tournament{} }, Command{Type: CmdCreate, Tournament: "x", Name: "x", Settings: set(Settings{Format: Swiss, MaxPlayers: 5000})}, CodeInvalid},
		{"create draws in elimination", func(*testing.T) *Tournament { return &Tournament{} }, Command{Type: CmdCreate, Tournament: "x", Name: "x", Settings: set(Settings{Format: DoubleElimination, AllowDraws: true})}, CodeInvalid},
		{"create empty name", func(*testing.T) *Tournament { return &Tournament{} }, Command{Type: CmdCreate, Tournament: "x", Name: "  ", Settings: set(Settings{Format: Swiss})}, CodeInvalid},
		{"create unknown tie-break", func(*testing.T) *Tournament { return &Tournament{} }, Command{Type: CmdCreate, Tournament: "x", Name: "x", Settings: set(Settings{Format: Swiss, TieBreaks: []TieBreak{"coin_toss"}})}, CodeInvalid},
		{"join empty name", registering, Command{Type: CmdJoin, Name: ""}, CodeInvalid},
		{"join control characters", registering, Command{Type: CmdJoin, Name: "a\x00b"}, CodeInvalid},
		{"join long name", registering, Command{Type: CmdJoin, Name: string(make([]byte, 200))}, CodeInvalid},
		{"join taken name", registering, Command{Type: CmdJoin, Name: "p1"}, CodeNameTaken},
		{"join full", full, Command{Type: CmdJoin, Name: "P9"}, CodeFull},
		{"join after start", running, Command{Type: CmdJoin, Name: "Late"}, CodeAlreadyStarted},
		{"leave unknown", registering, Command{Type: CmdLeave, Player: 99}, CodeUnknownPlayer},
		{"check in unknown", registering, Command{Type: CmdCheckIn, Player: 99}, CodeUnknownPlayer},
		{"start twice", running, Command{Type: CmdStart}, CodeAlreadyStarted},
		{"start with one player", func(t *testing.T) *Tournament { return newTournament(t, Settings{Format: Swiss}, 1) }, Command{Type: CmdStart}, CodeTooFewPlayers},
		{"report before start", registering, Command{Type: CmdReport, Match: 1, Scores: [2]int{2, 0}}, CodeNotRunning},
		{"report unknown match", running, Command{Type: CmdReport, Match: 99, Scores: [2]int{2, 0}}, CodeUnknownMatch},
		{"report match zero", running, Command{Type: CmdReport, Match: 0, Scores: [2]int{2, 0}}, CodeUnknownMatch},
		{"report pending match", running, Command{Type: CmdReport, Match: 3, Scores: [2]int{2, 0}}, CodeMatchNotReady},
		{"report impossible score", running, Command{Type: CmdReport, Match: 1, Scores: [2]int{3, 0}}, CodeInvalidScore},
		{"report unfinished series", running, Command{Type: CmdReport, Match: 1, Scores: [2]int{1, 0}}, CodeInvalidScore},
		{"report negative", running, Command{Type: CmdReport, Match: 1, Scores: [2]int{-1, 2}}, CodeInvalidScore},
		{"report draw not allowed", running, Command{Type: CmdReport, Match: 1, Scores: [2]int{1, 1}}, CodeInvalidScore},
		{"report by outsider", running, Command{Type: CmdReport, Match: 1, Scores: [2]int{2, 0}, By: 2}, CodeNotInMatch},
		{"report by unknown player", running, Command{Type: CmdReport, Match: 1, Scores: [2]int{2, 0}, By: 77}, CodeUnknownPlayer},
		{"forfeit someone else", running, Command{Type: CmdForfeit, Match: 1, Player: 4, By: 1}, CodeNotInMatch},
		{"forfeit player not in match", running, Command{Type: CmdForfeit, Match: 1, Player: 2}, CodeNotInMatch},
		{"double forfeit by player", running, Command{Type: CmdForfeit, Match: 1, Both: true, By: 1}, CodeInvalid},
		{"withdraw before start", registering, Command{Type: CmdWithdraw, Player: 1}, CodeNotRunning},
		{"withdraw unknown", running, Command{Type: CmdWithdraw, Player: 42}, CodeUnknownPlayer},
		{"cancel finished", finished, Command{Type: CmdCancel}, CodeFinished},
		{"player reports on finished", finished, Command{Type: CmdReport, Match: 1, Scores: [2]int{0, 1}, By: 1}, CodeFinished},
		{"player corrects completed", func(t *testing.T) *Tournament {
			tr := running(t)
			mustApply(t, tr, Command{Type: CmdReport, Match: 1, Scores: [2]int{2, 0}})
			return tr
		}, Command{Type: CmdReport, Match: 1, Scores: [2]int{0, 2}, By: 1}, CodeMatchCompleted},
		{"warn without limit", running, Command{Type: CmdWarn, Match: 1, At: t0}, CodeNotDue},
		{"timeout without limit", running, Command{Type: CmdTimeout, Match: 1, At: t0}, CodeNotDue},
		{"open check-in without window", registering, Command{Type: CmdOpenCheckIn, At: t0}, CodeInvalid},
		{"warn check-in without window", registering, Command{Type: CmdWarnCheckIn, At: t0}, CodeInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := tc.state(t)
			before, _ := json.Marshal(tr)
			ev, err := Apply(tr, tc.cmd)
			if err == nil {
				t.Fatalf("accepted; events %v", ev)
			}
			e, ok := err.(*Error)
			if !ok || e.Code != tc.code {
				t.Fatalf("error %v; want code %s", err, tc.code)
			}
			if e.Message == "" {
				t.Error("empty message")
			}
			after, _ := json.Marshal(tr)
			if string(before) != string(after) {
				t.Errorf("state changed by a rejected command")
			}
		})
	}
}

func TestDisputeFlow(t *testing.T) {
	tr := started(t, Settings{Format: SingleElimination, BestOf: 3}, 2)
	mustApply(t, tr, Command{Type: CmdReport, Match: 1, By: 1, Scores: [2]int{2, 1}})
	if _, err := Apply(tr, Command{Type: CmdReport, Match: 1, By: 1, Scores: [2]int{2, 1}}); err == nil {
		t.Error("repeated identical report accepted")
	}
	mustApply(t, tr, Command{Type: CmdReport, Match: 1, By: 2, Scores: [2]int{1, 2}})
	if s := tr.match(1).Status; s != MatchDisputed {
		t.Fatalf("status %s; want disputed", s)
	}
	mustApply(t, tr, Command{Type: CmdReport, Match: 1, Scores: [2]int{2, 0}})
	if m := tr.match(1); m.Status != MatchCompleted || m.Winner != 1 || tr.Status != StatusFinished {
		t.Fatalf("after organiser decision: %+v, %s", m, tr.Status)
	}
}

func TestLeaveAndRejoin(t *testing.T) {
	tr := newTournament(t, Settings{Format: Swiss}, 3)
	mustApply(t, tr, Command{Type: CmdLeave, Player: 3})
	mustApply(t, tr, Command{Type: CmdJoin, Name: "P3"})
	if id := tr.Participants[len(tr.Participants)-1].ID; id != 4 {
		t.Fatalf("rejoined with id %d; want 4 (ids are never reused)", id)
	}
}

func TestDeterministicRandomSeeding(t *testing.T) {
	a := started(t, Settings{Format: SingleElimination, Seeding: SeedRandom, RandomSeed: 42}, 16)
	b := started(t, Settings{Format: SingleElimination, Seeding: SeedRandom, RandomSeed: 42}, 16)
	c := started(t, Settings{Format: SingleElimination, Seeding: SeedRandom, RandomSeed: 43}, 16)
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	jc, _ := json.Marshal(c)
	if string(ja) != string(jb) {
		t.Error("same seed gave different brackets")
	}
	if string(ja) == string(jc) {
		t.Error("different seeds gave the same bracket")
	}
}

// TestScoreBounds: each score is games won, 0 to best_of, and two huge scores whose sum overflows
// int are not a draw. Checked on every path a score is read: a player's report, the organiser's
// decision, and the organiser's correction of a completed match.
func TestScoreBounds(t *testing.T) {
	const big = 1 << 62
	const maxInt = int(^uint(0) >> 1)
	ready := func(t *testing.T) *Tournament {
		return started(t, Settings{Format: RoundRobin, BestOf: 3, AllowDraws: true}, 2)
	}
	completed := func(t *testing.T) *Tournament {
		tr := ready(t)
		mustApply(t, tr, Command{Type: CmdReport, Match: 1, Scores: [2]int{2, 1}})
		return tr
	}
	for _, sc := range [][2]int{{big, big}, {maxInt, maxInt}, {maxInt, 0}, {0, maxInt}, {4, 0}, {maxInt, -maxInt}, {-1, -1}} {
		for _, tc := range []struct {
			name  string
			state func(*testing.T) *Tournament
			by    PlayerID
		}{
			{"player report", ready, 1},
			{"organiser decision", ready, 0},
			{"correction", completed, 0},
		} {
			t.Run(fmt.Sprintf("%s %d-%d", tc.name, sc[0], sc[1]), func(t *testing.T) {
				tr := tc.state(t)
				before, _ := json.Marshal(tr)
				_, err := Apply(tr, Command{Type: CmdReport, Match: 1, Scores: sc, By: tc.by})
				if e, ok := err.(*Error); !ok || e.Code != CodeInvalidScore {
					t.Fatalf("got %v; want %s", err, CodeInvalidScore)
				}
				if after, _ := json.Marshal(tr); string(after) != string(before) {
					t.Errorf("state changed by a refused score")
				}
			})
		}
	}
	// The edges that are results: 0-0 and 1-1 draws, 2-0 and 2-1 wins in a best-of-3 with draws.
	for _, sc := range [][2]int{{0, 0}, {1, 1}, {2, 0}, {1, 2}} {
		mustApply(t, ready(t), Command{Type: CmdReport, Match: 1, Scores: sc})
	}
}

// TestNumericBounds: every numeric setting and command field outside its documented bound is
// refused with invalid and changes nothing. Each of these used to be accepted and could leave a
// state that encoding/json cannot encode (points.win 1e303 makes the standings +Inf; a year past
// 9999 has no RFC 3339 form) or a number a JavaScript client cannot hold (a random_seed over 2^53).
func TestNumericBounds(t *testing.T) {
	at := func(y int) *time.Time { v := time.Date(y, 6, 1, 12, 0, 0, 0, time.UTC); return &v }
	weirdZone := time.Date(2026, 6, 1, 12, 0, 0, 0, time.FixedZone("far", 25*3600))
	nan, inf := math.NaN(), math.Inf(1)
	creates := []struct {
		name string
		s    Settings
	}{
		{"points.win 1e303", Settings{Format: RoundRobin, Points: &Points{Win: 1e303}}},
		{"points.loss -1e303", Settings{Format: Swiss, Points: &Points{Win: 3, Draw: 1, Loss: -1e303}}},
		{"points.win NaN", Settings{Format: RoundRobin, Points: &Points{Win: nan, Draw: 1}}},
		{"points.draw NaN", Settings{Format: RoundRobin, Points: &Points{Win: 3, Draw: nan}}},
		{"points.win +Inf", Settings{Format: Swiss, Points: &Points{Win: inf}}},
		{"points.win just over", Settings{Format: Swiss, Points: &Points{Win: MaxPoints + 0.5}}},
		{"points.loss just under", Settings{Format: Swiss, Points: &Points{Win: 1, Loss: -MaxPoints - 1}}},
		{"random_seed 2^53", Settings{Format: SingleElimination, Seeding: SeedRandom, RandomSeed: 1 << 53}},
		{"random_seed max uint64", Settings{Format: SingleElimination, Seeding: SeedRandom, RandomSeed: math.MaxUint64}},
		{"scheduled_start year 10000", Settings{Format: SingleElimination, ScheduledStart: at(10000)}},
		{"scheduled_start year -1", Settings{Format: SingleElimination, ScheduledStart: at(-1)}},
		{"scheduled_start year 0", Settings{Format: SingleElimination, ScheduledStart: at(0)}},
		{"scheduled_start after maxTime", Settings{Format: SingleElimination, ScheduledStart: at(9000)}},
		{"scheduled_start before minTime", Settings{Format: SingleElimination, ScheduledStart: at(1969)}},
		{"scheduled_start zone offset of 25h", Settings{Format: SingleElimination, ScheduledStart: &weirdZone}},
		{"match_time_limit over 30 days", Settings{Format: SingleElimination, MatchTimeLimit: Duration(MaxDuration + 1)}},
		{"match_time_limit max int64", Settings{Format: SingleElimination, MatchTimeLimit: math.MaxInt64}},
		{"round_time_limit negative", Settings{Format: Swiss, RoundTimeLimit: math.MinInt64}},
		{"best_of over 99", Settings{Format: Swiss, BestOf: MaxBestOf + 2}},
		{"rounds over 64", Settings{Format: Swiss, Rounds: MaxRounds + 1}},
	}
	for _, tc := range creates {
		t.Run("create "+tc.name, func(t *testing.T) {
			tr := &Tournament{}
			s := tc.s
			_, err := Apply(tr, Command{Type: CmdCreate, Tournament: "t", Name: "Bounds", Settings: &s, At: t0})
			if e, ok := err.(*Error); !ok || e.Code != CodeInvalid {
				t.Fatalf("got %v; want %s", err, CodeInvalid)
			}
			if tr.Version != 0 || tr.ID != "" {
				t.Errorf("state changed by a refused create: %+v", tr)
			}
		})
	}
	commands := []struct {
		name string
		cmd  Command
	}{
		{"join rating NaN", Command{Type: CmdJoin, Name: "X", Rating: nan}},
		{"join rating +Inf", Command{Type: CmdJoin, Name: "X", Rating: inf}},
		{"join rating over", Command{Type: CmdJoin, Name: "X", Rating: MaxRating + 1}},
		{"join rating negative", Command{Type: CmdJoin, Name: "X", Rating: -1}},
		{"start in year 9999", Command{Type: CmdStart, At: *at(9999)}},
		{"start before 1970", Command{Type: CmdStart, At: *at(1969)}},
	}
	for _, tc := range commands {
		t.Run(tc.name, func(t *testing.T) {
			tr := newTournament(t, Settings{Format: RoundRobin, MatchTimeLimit: Duration(MaxDuration)}, 3)
			before, _ := json.Marshal(tr)
			_, err := Apply(tr, tc.cmd)
			if e, ok := err.(*Error); !ok || e.Code != CodeInvalid {
				t.Fatalf("got %v; want %s", err, CodeInvalid)
			}
			if after, _ := json.Marshal(tr); string(after) != string(before) {
				t.Errorf("state changed by a refused command")
			}
		})
	}
}

// TestBoundsEncode plays tournaments whose settings sit on the documented bounds to the end: every
// event (mustApply) and the final state encode, with numbers a JavaScript client holds exactly.
func TestBoundsEncode(t *testing.T) {
	late := maxTime.Add(-time.Hour)
	for _, s := range []Settings{
		{Format: RoundRobin, BestOf: MaxBestOf, AllowDraws: true, Points: &Points{Win: MaxPoints, Draw: MaxPoints - 0.000001, Loss: -MaxPoints},
			Seeding: SeedRandom, RandomSeed: MaxRandomSeed, RoundTimeLimit: Duration(MaxDuration), ScheduledStart: &late},
		{Format: Swiss, BestOf: MaxBestOf, Points: &Points{Win: -MaxPoints + 1, Draw: -MaxPoints + 0.5, Loss: -MaxPoints}, MatchTimeLimit: Duration(MaxDuration)},
		{Format: DoubleElimination, BestOf: MaxBestOf, MatchTimeLimit: Duration(MaxDuration), Seeding: SeedRating},
	} {
		t.Run(string(s.Format), func(t *testing.T) {
			tr := &Tournament{}
			mustApply(t, tr, Command{Type: CmdCreate, Tournament: "t", Name: "Edge", Settings: &s, At: minTime})
			for i := 1; i <= 24; i++ {
				mustApply(t, tr, Command{Type: CmdJoin, Name: fmt.Sprintf("P%d", i), Rating: MaxRating * float64(i%3) / 2})
			}
			mustApply(t, tr, Command{Type: CmdStart, At: maxTime})
			// Every report at maxTime: deadlines fall up to 23 round lengths later.
			r := rand.New(rand.NewPCG(5, 5))
			for steps := 0; tr.Status == StatusRunning; steps++ {
				if steps > 10000 {
					t.Fatal("did not finish")
				}
				for i := range tr.Matches {
					if m := &tr.Matches[i]; m.Status == MatchReady {
						mustApply(t, tr, Command{Type: CmdReport, Match: m.ID, Scores: winScores(r, MaxBestOf, r.IntN(2)), At: maxTime})
						break
					}
				}
			}
			if msg := jsonProblem(tr); msg != "" {
				t.Fatalf("final state: %s", msg)
			}
			if msg := jsonProblem(Standings(tr)); msg != "" {
				t.Fatalf("standings: %s", msg)
			}
		})
	}
}

// TestDurationJSONBounds: a duration is a Go duration string or a number of seconds within what
// time.Duration holds; anything else is an error that shows a valid form.
func TestDurationJSONBounds(t *testing.T) {
	for in, want := range map[string]Duration{`"90s"`: Duration(90 * time.Second), `"1h30m"`: Duration(90 * time.Minute), `600`: Duration(10 * time.Minute), `1.5`: Duration(1500 * time.Millisecond)} {
		var d Duration
		if err := json.Unmarshal([]byte(in), &d); err != nil || d != want {
			t.Errorf("unmarshal %s: %v %v; want %v", in, time.Duration(d), err, time.Duration(want))
		}
	}
	for _, in := range []string{`"ten minutes"`, `1e300`, `-1e300`, `9300000000`, `true`, `{}`} {
		var d Duration
		err := json.Unmarshal([]byte(in), &d)
		if err == nil {
			t.Errorf("unmarshal %s: accepted as %v; want an error", in, time.Duration(d))
			continue
		}
		if !strings.Contains(err.Error(), `"90s"`) && !strings.Contains(err.Error(), "out of range") {
			t.Errorf("unmarshal %s: error %q shows no valid form and no range", in, err)
		}
	}
}

// TestNames: a name needs a visible character, may not hold control characters or line breaks,
// keeps the joiners that emoji and scripts need, and clashes with another participant's name when
// the two differ only by case, invisible characters or the kind and number of spaces.
func TestNames(t *testing.T) {
	refused := []string{
		"\u200b", "\u200b\u200c\u200d", "\u2060", "\ufeff", "\u00ad", "\u3164", "\u115f\u1160", "\ufe0f",
		"\u034f", " \u200b ", "\u202e", "\U000e0041\U000e0042", "\u0301", "\u180e",
		"a\u0085b", "a\u009bb", "a\u2028b", "a\u2029b", "a\nb", "a\x7fb",
	}
	for _, name := range refused {
		t.Run(fmt.Sprintf("join %+q", name), func(t *testing.T) {
			tr := newTournament(t, Settings{Format: Swiss}, 1)
			before, _ := json.Marshal(tr)
			_, err := Apply(tr, Command{Type: CmdJoin, Name: name})
			if e, ok := err.(*Error); !ok || e.Code != CodeInvalid {
				t.Fatalf("got %v; want %s", err, CodeInvalid)
			}
			if after, _ := json.Marshal(tr); string(after) != string(before) {
				t.Errorf("state changed by a refused name")
			}
		})
		t.Run(fmt.Sprintf("create %+q", name), func(t *testing.T) {
			_, err := Apply(&Tournament{}, Command{Type: CmdCreate, Tournament: "t", Name: name, Settings: &Settings{Format: Swiss}})
			if e, ok := err.(*Error); !ok || e.Code != CodeInvalid {
				t.Fatalf("got %v; want %s", err, CodeInvalid)
			}
		})
	}

	// Accepted as given: emoji sequences (ZWJ, variation selector), Persian with a ZWNJ, Hindi
	// with a ZWJ, accents, CJK, a name with a braille blank and a letter.
	tr := newTournament(t, Settings{Format: Swiss}, 0)
	for _, name := range []string{"👨\u200d👩\u200d👧", "میخواهم", "نامه\u200cها", "क्\u200dष", "❤\ufe0f", "Zoë", "李雷", "Ada Lovelace", "\u2800x"} {
		ev := mustApply(t, tr, Command{Type: CmdJoin, Name: name})
		if got := ev[0].Participant.Name; got != name {
			t.Errorf("joined as %+q; want %+q kept as given", got, name)
		}
	}
	// Taken: the same name up to case, invisible characters and spaces.
	for _, name := range []string{"ADA LOVELACE", "Ada\u200b Lovelace", "\u2060Ada Lovelace\u200d", "Ada  Lovelace", "Ada\u00a0Lovelace",
		"A\u00adda Lovelace", "Ada\u3000Lovelace", "👨👩👧", "❤", "ZOË", "میخواهم\u200c"} {
		t.Run(fmt.Sprintf("taken %+q", name), func(t *testing.T) {
			if _, err := Apply(tr, Command{Type: CmdJoin, Name: name}); err == nil || err.(*Error).Code != CodeNameTaken {
				t.Fatalf("got %v; want %s", err, CodeNameTaken)
			}
		})
	}
	// Not taken: a visible difference.
	mustApply(t, tr, Command{Type: CmdJoin, Name: "AdaLovelace"})
}

// TestNameTakenAfterLeave: two participants whose names fold the same (possible in a state saved
// before invisible characters were ignored) keep the name taken while one of them remains.
func TestNameTakenAfterLeave(t *testing.T) {
	tr := newTournament(t, Settings{Format: Swiss}, 0)
	tr.Participants = []Participant{{ID: 1, Name: "Ada"}, {ID: 2, Name: "Ada\u200b"}}
	tr.LastPlayer = 2
	if _, err := Apply(tr, Command{Type: CmdJoin, Name: "ada"}); err == nil {
		t.Fatal("join ada accepted; want name_taken")
	}
	mustApply(t, tr, Command{Type: CmdLeave, Player: 2})
	if _, err := Apply(tr, Command{Type: CmdJoin, Name: "ada"}); err == nil || err.(*Error).Code != CodeNameTaken {
		t.Fatalf("join ada after the look-alike left: %v; want name_taken (Ada is still in)", err)
	}
}
