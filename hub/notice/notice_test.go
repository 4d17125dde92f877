package notice

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tourhub/tourhub/hub/store"
	"github.com/tourhub/tourhub/match"
)

func TestWSNoticeKinds(t *testing.T) {
	t.Parallel()
	names := map[match.PlayerID]string{1: "Ada", 2: "Grace", 3: "Linus", 4: "Ken"}
	final := match.Match{ID: 3, Bracket: match.BracketWinners, Round: 2, Status: match.MatchReady, Players: [2]match.PlayerID{1, 4}}
	won := match.Match{ID: 1, Round: 1, Status: match.MatchCompleted, Players: [2]match.PlayerID{1, 2}, Scores: [2]int{1, 2}, Winner: 2, Loser: 1}
	walk := match.Match{ID: 2, Round: 1, Status: match.MatchCompleted, Players: [2]match.PlayerID{3, 4}, Winner: 4, Loser: 3, Walkover: true}
	bye := match.Match{ID: 4, Round: 1, Status: match.MatchCompleted, Players: [2]match.PlayerID{3, 0}, Winner: 3, Walkover: true}
	disputed := match.Match{ID: 5, Round: 1, Status: match.MatchDisputed, Players: [2]match.PlayerID{2, 3}}
	reported := match.Match{ID: 6, Round: 1, Status: match.MatchReady, Players: [2]match.PlayerID{2, 3},
		Reports: [2]*match.Report{nil, {Scores: [2]int{0, 2}}}}
	due := time.Date(2026, 11, 22, 18, 30, 0, 0, time.UTC)
	timed := match.Match{ID: 8, Round: 1, Status: match.MatchReady, Players: [2]match.PlayerID{1, 2}, Deadline: due}
	gf := match.Match{ID: 7, Bracket: match.BracketGrandFinal, Round: 2, Status: match.MatchReady, Players: [2]match.PlayerID{1, 2}}

	type want struct {
		player match.PlayerID
		kind   string
		text   string
	}
	for _, tc := range []struct {
		name   string
		events []match.Event
		want   []want
	}{
		{"ready once though announced twice", []match.Event{
			{Type: match.EvRoundStarted, Round: 2, Matches: []match.Match{final}},
			{Type: match.EvMatchReady, Match: &final},
		}, []want{
			{1, "match_ready", "Your round 2 match against Ken is ready."},
			{4, "match_ready", "Your round 2 match against Ada is ready."},
		}},
		{"won and eliminated", []match.Event{
			{Type: match.EvMatchCompleted, Match: &won},
			{Type: match.EvEliminated, Player: 1},
		}, []want{
			{2, "match_won", "You beat Ada (2-1)."},
			{1, "eliminated", "You were eliminated by Grace (1-2)."},
		}},
		{"walkover", []match.Event{{Type: match.EvMatchCompleted, Match: &walk}}, []want{
			{4, "walkover", "You win match 2 against Linus by walkover."},
		}},
		{"bye", []match.Event{{Type: match.EvMatchCompleted, Match: &bye}}, []want{
			{3, "walkover", "You advance from match 4 by walkover."},
		}},
		{"eliminated without a match", []match.Event{{Type: match.EvEliminated, Player: 3}}, []want{
			{3, "eliminated", "You were eliminated."},
		}},
		{"disputed", []match.Event{{Type: match.EvMatchDisputed, Match: &disputed}}, []want{
			{2, "disputed", "The scores reported for match 5 disagree; the organiser will decide."},
			{3, "disputed", "The scores reported for match 5 disagree; the organiser will decide."},
		}},
		{"reported to the opponent only", []match.Event{{Type: match.EvMatchReported, Match: &reported, Player: 3}}, []want{
			{2, "reported", "Linus reported match 6 as 0-2 (your score first): report the same to confirm, or your scores to dispute."},
		}},
		{"grand final reset", []match.Event{{Type: match.EvMatchReady, Match: &gf}}, []want{
			{1, "match_ready", "Your grand final reset against Grace is ready."},
			{2, "match_ready", "Your grand final reset against Ada is ready."},
		}},
		{"finished with ties", []match.Event{{Type: match.EvFinished, Standings: []match.Standing{
			{Player: 1, Rank: 1, RankTo: 1}, {Player: 2, Rank: 2, RankTo: 2}, {Player: 3, Rank: 3, RankTo: 4}, {Player: 4, Rank: 3, RankTo: 4},
		}}}, []want{
			{1, "finished", "The tournament is over: you placed 1st."},
			{2, "finished", "The tournament is over: you placed 2nd."},
			{3, "finished", "The tournament is over: you placed 3rd-4th."},
			{4, "finished", "The tournament is over: you placed 3rd-4th."},
		}},
		{"deadline warning", []match.Event{{Type: match.EvDeadlineWarning, Match: &timed, At: due}}, []want{
			{1, "deadline_warning", "Your round 1 match against Grace must be reported by 18:30:00 UTC, or the time limit rule applies."},
			{2, "deadline_warning", "Your round 1 match against Ada must be reported by 18:30:00 UTC, or the time limit rule applies."},
		}},
		{"timed out", []match.Event{{Type: match.EvTimedOut, Match: &timed, Reason: "time limit: nobody reported, double forfeit"}}, []want{
			{1, "timed_out", "The time for your round 1 match ran out (time limit: nobody reported, double forfeit)."},
			{2, "timed_out", "The time for your round 1 match ran out (time limit: nobody reported, double forfeit)."},
		}},
		{"check-in open", []match.Event{{Type: match.EvCheckInOpened, At: due}}, []want{
			{1, "check_in_open", "Check-in is open until 18:30:00 UTC: check in or you will be dropped."},
			{2, "check_in_open", "Check-in is open until 18:30:00 UTC: check in or you will be dropped."},
			{3, "check_in_open", "Check-in is open until 18:30:00 UTC: check in or you will be dropped."},
			{4, "check_in_open", "Check-in is open until 18:30:00 UTC: check in or you will be dropped."},
		}},
		{"check-in closing: only who has not checked in", []match.Event{{Type: match.EvCheckInClosing, At: due,
			Participants: []match.Participant{{ID: 2, Name: "Grace"}, {ID: 4, Name: "Rob"}}}}, []want{
			{2, "check_in_closing", "Check-in closes at 18:30:00 UTC and you have not checked in: check in now or you will be dropped."},
			{4, "check_in_closing", "Check-in closes at 18:30:00 UTC and you have not checked in: check in now or you will be dropped."},
		}},
		{"nothing personal", []match.Event{{Type: match.EvPlayerJoined, Participant: &match.Participant{ID: 5, Name: "Rob"}}}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Derive("t", store.Entry{Version: 9, Events: tc.events}, names)
			if err != nil {
				t.Fatal(err)
			}
			// DeriveFor one player is exactly that player's part of Derive, for every kind.
			for p := match.PlayerID(1); p <= 5; p++ {
				one, err := DeriveFor("t", store.Entry{Version: 9, Events: tc.events}, names, func(q match.PlayerID) bool { return q == p })
				if err != nil {
					t.Fatal(err)
				}
				if len(one) > 1 || (len(one) == 1 && one[p] == nil) {
					t.Errorf("DeriveFor player %d: notices of %d players: %v", p, len(one), one)
				}
				if !slices.EqualFunc(one[p], got[p], func(a, b []byte) bool { return string(a) == string(b) }) {
					t.Errorf("DeriveFor player %d: %q; Derive gave them %q", p, one[p], got[p])
				}
			}
			n := 0
			for _, ms := range got {
				n += len(ms)
			}
			if n != len(tc.want) {
				t.Fatalf("got %d notices; want %d", n, len(tc.want))
			}
			seen := map[match.PlayerID]int{}
			for _, w := range tc.want {
				ms := got[w.player]
				if seen[w.player] >= len(ms) {
					t.Fatalf("player %d: too few notices", w.player)
				}
				var m noticeMsg
				if err := json.Unmarshal(ms[seen[w.player]], &m); err != nil {
					t.Fatal(err)
				}
				seen[w.player]++
				if m.Type != "notice" || m.Tournament != "t" || m.Version != 9 || m.Kind != w.kind || m.Text != w.text {
					t.Errorf("player %d: got %+v; want %s %q", w.player, m, w.kind, w.text)
				}
			}
		})
	}
}

func TestWSOrdinal(t *testing.T) {
	t.Parallel()
	for n, want := range map[int]string{1: "1st", 2: "2nd", 3: "3rd", 4: "4th", 11: "11th", 12: "12th", 13: "13th", 21: "21st", 22: "22nd", 101: "101st", 111: "111th"} {
		if got := ordinal(n); got != want {
			t.Errorf("ordinal(%d) = %s; want %s", n, got, want)
		}
	}
}

// TestWSNoticesFromEngine derives notices from the events the engine really emits: the
// eliminated notice after a double forfeit (the organiser's, or a timeout's) names the match, and
// every bye is announced once as a walkover (Swiss byes have no match_completed event of their
// own; elimination byes are in both tournament_started and match_completed).
func TestWSNoticesFromEngine(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 22, 18, 0, 0, 0, time.UTC)
	type notice struct {
		player match.PlayerID
		kind   string
		match  match.MatchID
		text   string
	}
	for _, tc := range []struct {
		name string
		s    match.Settings
		n    int
		// play applies the commands before the one whose notices are checked, and returns that one.
		play func(t *testing.T, tr *match.Tournament) match.Command
		want []notice
	}{
		{"organiser's double forfeit eliminates both, naming the match", match.Settings{Format: match.SingleElimination}, 4,
			func(t *testing.T, tr *match.Tournament) match.Command {
				engineApply(t, tr, match.Command{Type: match.CmdStart})
				return match.Command{Type: match.CmdForfeit, Match: 1, Both: true}
			}, []notice{
				{1, "eliminated", 1, "You were eliminated: nobody won match 1 (a double forfeit)."},
				{4, "eliminated", 1, "You were eliminated: nobody won match 1 (a double forfeit)."},
			}},
		{"timed-out double forfeit eliminates both, naming the match", match.Settings{Format: match.DoubleElimination, MatchTimeLimit: match.Duration(10 * time.Minute)}, 4,
			func(t *testing.T, tr *match.Tournament) match.Command {
				engineApply(t, tr, match.Command{Type: match.CmdStart, At: at})
				engineApply(t, tr, match.Command{Type: match.CmdReport, Match: 1, Scores: [2]int{1, 0}, At: at})
				engineApply(t, tr, match.Command{Type: match.CmdReport, Match: 2, Scores: [2]int{1, 0}, At: at})
				// Winners' round 1 is played (1 and 2 win); the losers' first match, 4 against 3,
				// times out with nobody reporting: a double forfeit, and both are out.
				for _, m := range tr.Matches {
					if m.Bracket == match.BracketLosers && m.Status == match.MatchReady {
						return match.Command{Type: match.CmdTimeout, Match: m.ID, At: at.Add(10 * time.Minute)}
					}
				}
				t.Fatal("no ready losers-bracket match")
				return match.Command{}
			}, []notice{
				{4, "timed_out", 4, "The time for your losers round 1 match ran out (time limit: nobody reported, double forfeit)."},
				{3, "timed_out", 4, "The time for your losers round 1 match ran out (time limit: nobody reported, double forfeit)."},
				{4, "eliminated", 4, "You were eliminated: nobody won match 4 (a double forfeit)."},
				{3, "eliminated", 4, "You were eliminated: nobody won match 4 (a double forfeit)."},
			}},
		{"a Swiss bye at the start", match.Settings{Format: match.Swiss}, 3,
			func(t *testing.T, tr *match.Tournament) match.Command { return match.Command{Type: match.CmdStart} },
			[]notice{
				{1, "match_ready", 1, "Your round 1 match against Grace is ready."},
				{2, "match_ready", 1, "Your round 1 match against Ada is ready."},
				{3, "walkover", 2, "You have a bye in round 1 (match 2): it counts as a win."},
			}},
		{"a Swiss bye in a later round", match.Settings{Format: match.Swiss, Rounds: 2}, 3,
			func(t *testing.T, tr *match.Tournament) match.Command {
				engineApply(t, tr, match.Command{Type: match.CmdStart})
				return match.Command{Type: match.CmdReport, Match: 1, Scores: [2]int{1, 0}}
			}, []notice{
				{1, "match_won", 1, "You beat Grace (1-0)."},
				{1, "match_ready", 3, "Your round 2 match against Linus is ready."},
				{3, "match_ready", 3, "Your round 2 match against Ada is ready."},
				{2, "walkover", 4, "You have a bye in round 2 (match 4): it counts as a win."},
			}},
		{"a correction that turns a result tells both players, once each", match.Settings{Format: match.SingleElimination}, 4,
			func(t *testing.T, tr *match.Tournament) match.Command {
				engineApply(t, tr, match.Command{Type: match.CmdStart})
				engineApply(t, tr, match.Command{Type: match.CmdReport, Match: 1, Scores: [2]int{1, 0}})
				return match.Command{Type: match.CmdReport, Match: 1, Scores: [2]int{0, 1}}
			}, []notice{
				{1, "corrected", 1, "The organiser corrected your round 1 match against Ken (match 1): it is now 0-1 (you lost); it was 1-0 (you won). You are out of the tournament."},
				{4, "corrected", 1, "The organiser corrected your round 1 match against Ada (match 1): it is now 1-0 (you won); it was 0-1 (you lost). You are back in the tournament."},
			}},
		{"a correction of the score only", match.Settings{Format: match.SingleElimination, BestOf: 3}, 2,
			func(t *testing.T, tr *match.Tournament) match.Command {
				engineApply(t, tr, match.Command{Type: match.CmdStart})
				engineApply(t, tr, match.Command{Type: match.CmdReport, Match: 1, Scores: [2]int{2, 0}})
				return match.Command{Type: match.CmdReport, Match: 1, Scores: [2]int{2, 1}}
			}, []notice{
				{1, "corrected", 1, "The organiser corrected your round 1 match against Grace (match 1): it is now 2-1 (you won); it was 2-0 (you won)."},
				{2, "corrected", 1, "The organiser corrected your round 1 match against Ada (match 1): it is now 1-2 (you lost); it was 0-2 (you lost)."},
			}},
		{"an elimination bye, once", match.Settings{Format: match.SingleElimination}, 3,
			func(t *testing.T, tr *match.Tournament) match.Command { return match.Command{Type: match.CmdStart} },
			[]notice{
				{1, "walkover", 1, "You advance from match 1 by walkover."},
				{2, "match_ready", 2, "Your round 1 match against Linus is ready."},
				{3, "match_ready", 2, "Your round 1 match against Grace is ready."},
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := &match.Tournament{}
			engineApply(t, tr, match.Command{Type: match.CmdCreate, Tournament: "t", Name: "Cup", Settings: &tc.s})
			names := map[match.PlayerID]string{}
			for i, name := range []string{"Ada", "Grace", "Linus", "Ken"}[:tc.n] {
				engineApply(t, tr, match.Command{Type: match.CmdJoin, Name: name})
				names[match.PlayerID(i+1)] = name
			}
			cmd := tc.play(t, tr)
			ev := engineApply(t, tr, cmd)
			got, err := Derive("t", store.Entry{Version: tr.Version, Events: ev}, names)
			if err != nil {
				t.Fatal(err)
			}
			var gotList []notice
			for p := match.PlayerID(1); int(p) <= tc.n; p++ {
				for _, o := range got[p] {
					var m noticeMsg
					if err := json.Unmarshal(o, &m); err != nil {
						t.Fatal(err)
					}
					if m.Kind == NoticeFinished {
						continue
					}
					gotList = append(gotList, notice{p, m.Kind, m.Match, m.Text})
				}
			}
			for _, w := range tc.want {
				if !slices.Contains(gotList, w) {
					t.Errorf("missing %+v", w)
				}
			}
			if len(gotList) != len(tc.want) {
				t.Errorf("got %d notices %+v; want %d", len(gotList), gotList, len(tc.want))
			}
		})
	}
}

func engineApply(t *testing.T, tr *match.Tournament, c match.Command) []match.Event {
	t.Helper()
	ev, err := match.Apply(tr, c)
	if err != nil {
		t.Fatalf("apply %s: %v", c.Type, err)
	}
	return ev
}

// TestNoticeUnencodable: a notice that cannot be encoded (a deadline past the year 9999, which
// RFC 3339 cannot write; the engine no longer makes one) is left out with an error, not a panic,
// and the other notices of the entry (player 1's match_won) still go out.
func TestNoticeUnencodable(t *testing.T) {
	far := time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
	m := &match.Match{ID: 4, Status: match.MatchReady, Players: [2]match.PlayerID{1, 2}, Deadline: far}
	done := &match.Match{ID: 3, Status: match.MatchCompleted, Players: [2]match.PlayerID{1, 3}, Winner: 1, Loser: 3, Scores: [2]int{1, 0}}
	got, err := Derive("t", store.Entry{Version: 5, Events: []match.Event{
		{Type: match.EvDeadlineWarning, Match: m},
		{Type: match.EvMatchCompleted, Match: done},
	}}, map[match.PlayerID]string{1: "Ada", 2: "Grace", 3: "Linus"})
	if err == nil || !strings.Contains(err.Error(), "deadline_warning") {
		t.Errorf("error %v; want one naming the deadline_warning notice", err)
	}
	if len(got[1]) != 1 || !strings.Contains(string(got[1][0]), `"match_won"`) {
		t.Errorf("notices of player 1: %d; want the match_won notice still there", len(got[1]))
	}
}

// BenchmarkDerive derives the notices of a confirmed result of a 16-player single elimination
// (match won, eliminated, the next match ready): for every player, as Derive does, and for the
// one player of them a node holds a socket of, as the fan-out does (DeriveFor).
func BenchmarkDerive(b *testing.B) {
	tr := &match.Tournament{}
	apply := func(c match.Command) []match.Event {
		ev, err := match.Apply(tr, c)
		if err != nil {
			b.Fatalf("apply %s: %v", c.Type, err)
		}
		return ev
	}
	apply(match.Command{Type: match.CmdCreate, Tournament: "t", Name: "Cup", Settings: &match.Settings{Format: match.SingleElimination}})
	names := map[match.PlayerID]string{}
	for i := 1; i <= 16; i++ {
		apply(match.Command{Type: match.CmdJoin, Name: fmt.Sprintf("p%d", i)})
		names[match.PlayerID(i)] = fmt.Sprintf("p%d", i)
	}
	apply(match.Command{Type: match.CmdStart})
	apply(match.Command{Type: match.CmdReport, Match: 2, Scores: [2]int{1, 0}})
	e := store.Entry{Version: tr.Version, Events: apply(match.Command{Type: match.CmdReport, Match: 1, Scores: [2]int{0, 1}})}
	for _, bc := range []struct {
		name string
		want func(match.PlayerID) bool
	}{{"all", nil}, {"one", func(p match.PlayerID) bool { return p == e.Events[0].Match.Players[1] }}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := DeriveFor("t", e, names, bc.want); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
