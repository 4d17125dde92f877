package match

import (
	"encoding/json"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 22, 18, 0, 0, 0, time.UTC)

func mins(n int) Duration { return Duration(time.Duration(n) * time.Minute) }

// drain applies every due command at now until none is due, returning the event types.
func drain(t *testing.T, tr *Tournament, now time.Time) []EventType {
	t.Helper()
	var types []EventType
	for i := 0; i < 1000; i++ {
		cmds := DueCommands(tr, now)
		if len(cmds) == 0 {
			return types
		}
		ev := mustApply(t, tr, cmds[0])
		for _, e := range ev {
			types = append(types, e.Type)
		}
	}
	t.Fatal("due commands never ran out")
	return nil
}

func has(types []EventType, want EventType) int {
	n := 0
	for _, x := range types {
		if x == want {
			n++
		}
	}
	return n
}

func TestCheckInWindow(t *testing.T) {
	start := t0.Add(time.Hour)
	tr := newTournament(t, Settings{Format: SingleElimination, ScheduledStart: &start, CheckInWindow: mins(15)}, 5)
	if !tr.Settings.RequireCheckIn {
		t.Fatal("a check-in window must imply require_check_in")
	}
	if _, err := Apply(tr, Command{Type: CmdCheckIn, Player: 1, At: t0}); err == nil || err.(*Error).Code != CodeCheckInClosed {
		t.Fatalf("check-in before the window: %v; want check_in_closed", err)
	}
	if next, ok := NextDue(tr); !ok || !next.Equal(start.Add(-15*time.Minute)) {
		t.Fatalf("next due %v %v; want window opening", next, ok)
	}
	if got := drain(t, tr, start.Add(-20*time.Minute)); len(got) != 0 {
		t.Fatalf("events before the window: %v", got)
	}
	if _, err := Apply(tr, Command{Type: CmdWarnCheckIn, At: start}); err == nil || err.(*Error).Code != CodeNotDue {
		t.Fatalf("check-in warning before check-in opened: %v; want not_due", err)
	}
	if got := drain(t, tr, start.Add(-15*time.Minute)); has(got, EvCheckInOpened) != 1 {
		t.Fatalf("events at window opening %v; want check_in_opened", got)
	}
	for _, p := range []PlayerID{1, 3} {
		mustApply(t, tr, Command{Type: CmdCheckIn, Player: p, At: start.Add(-10 * time.Minute)})
	}
	// When a quarter of the window is left, the players who have not checked in are warned.
	warnAt := start.Add(-15 * time.Minute / 4)
	if next, ok := NextDue(tr); !ok || !next.Equal(warnAt) {
		t.Fatalf("next due %v %v; want the check-in warning at %v", next, ok, warnAt)
	}
	if _, err := Apply(tr, Command{Type: CmdWarnCheckIn, At: warnAt.Add(-time.Second)}); err == nil || err.(*Error).Code != CodeNotDue {
		t.Fatalf("early check-in warning: %v; want not_due", err)
	}
	cmds := DueCommands(tr, warnAt)
	if len(cmds) != 1 || cmds[0].Type != CmdWarnCheckIn {
		t.Fatalf("due at the warning time: %+v; want warn_check_in", cmds)
	}
	ev := mustApply(t, tr, cmds[0])
	if len(ev) != 1 || ev[0].Type != EvCheckInClosing || !ev[0].At.Equal(start) {
		t.Fatalf("warning events %+v; want check_in_closing at the start", ev)
	}
	var warned []PlayerID
	for _, p := range ev[0].Participants {
		warned = append(warned, p.ID)
	}
	if len(warned) != 3 || warned[0] != 2 || warned[1] != 4 || warned[2] != 5 {
		t.Fatalf("warned %v; want [2 4 5] (not checked in)", warned)
	}
	if _, err := Apply(tr, Command{Type: CmdWarnCheckIn, At: warnAt}); err == nil || err.(*Error).Code != CodeNotDue {
		t.Fatalf("second check-in warning (another node): %v; want not_due", err)
	}
	if next, ok := NextDue(tr); !ok || !next.Equal(start) {
		t.Fatalf("next due after the warning %v %v; want the start", next, ok)
	}
	mustApply(t, tr, Command{Type: CmdCheckIn, Player: 4, At: start.Add(-time.Minute)})
	got := drain(t, tr, start)
	if has(got, EvPlayerDropped) != 2 || has(got, EvStarted) != 1 {
		t.Fatalf("events at start %v; want 2 dropped and started", got)
	}
	if len(tr.Participants) != 3 || tr.Status != StatusRunning {
		t.Fatalf("%d participants, %s; want 3 running", len(tr.Participants), tr.Status)
	}
	// Starting twice (two nodes sweeping) is rejected the second time.
	if _, err := Apply(tr, Command{Type: CmdStart, At: start}); err == nil {
		t.Fatal("second start accepted")
	}
}

func TestMatchDeadlines(t *testing.T) {
	s := Settings{Format: SingleElimination, MatchTimeLimit: mins(10)}
	tests := []struct {
		name    string
		rule    TimeoutRule
		reports []Command // before the deadline
		want    MatchStatus
		winner  PlayerID
		overdue bool
	}{
		{"nobody reported, forfeit rule", TimeoutForfeit, nil, MatchCompleted, 0, false},
		{"nobody reported, organiser rule", TimeoutOrganiser, nil, MatchReady, 0, true},
		{"one report stands", TimeoutForfeit, []Command{{Type: CmdReport, Match: 1, By: 4, Scores: [2]int{0, 1}}}, MatchCompleted, 4, false},
		{"one report stands even if it is a loss", TimeoutOrganiser, []Command{{Type: CmdReport, Match: 1, By: 1, Scores: [2]int{0, 1}}}, MatchCompleted, 4, false},
		{"disputed waits for the organiser", TimeoutForfeit, []Command{
			{Type: CmdReport, Match: 1, By: 1, Scores: [2]int{1, 0}},
			{Type: CmdReport, Match: 1, By: 4, Scores: [2]int{0, 1}}}, MatchDisputed, 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := s
			s.OnTimeout = tc.rule
			tr := newTournament(t, s, 4)
			mustApply(t, tr, Command{Type: CmdStart, At: t0})
			m := tr.match(1)
			if !m.Deadline.Equal(t0.Add(10*time.Minute)) || !m.ReadyAt.Equal(t0) {
				t.Fatalf("ready %v deadline %v; want %v and +10m", m.ReadyAt, m.Deadline, t0)
			}
			for _, c := range tc.reports {
				c.At = t0.Add(time.Minute)
				mustApply(t, tr, c)
			}
			if got := drain(t, tr, t0.Add(7*time.Minute)); len(got) != 0 {
				t.Fatalf("events at 7m %v; want none", got)
			}
			got := drain(t, tr, t0.Add(8*time.Minute)) // warn_before defaults to 2m
			if has(got, EvDeadlineWarning) != 2 {
				t.Fatalf("events at 8m %v; want a warning for each of the two matches", got)
			}
			got = drain(t, tr, t0.Add(10*time.Minute))
			if has(got, EvTimedOut) != 2 {
				t.Fatalf("events at 10m %v; want two timeouts", got)
			}
			if m := tr.match(1); m.Status != tc.want || m.Winner != tc.winner || m.Overdue != tc.overdue {
				t.Errorf("match 1: %s winner %d overdue %v; want %s %d %v", m.Status, m.Winner, m.Overdue, tc.want, tc.winner, tc.overdue)
			}
			// Firing again (a second node) is rejected and changes nothing.
			if _, err := Apply(tr, Command{Type: CmdTimeout, Match: 1, At: t0.Add(11 * time.Minute)}); err == nil {
				t.Error("second timeout of match 1 accepted")
			}
		})
	}
}

// TestTimeoutBeforeDeadlineRejected: a node with a fast clock cannot fire early.
func TestTimeoutBeforeDeadlineRejected(t *testing.T) {
	tr := newTournament(t, Settings{Format: SingleElimination, MatchTimeLimit: mins(10)}, 2)
	mustApply(t, tr, Command{Type: CmdStart, At: t0})
	_, err := Apply(tr, Command{Type: CmdTimeout, Match: 1, At: t0.Add(9 * time.Minute)})
	if err == nil || err.(*Error).Code != CodeNotDue {
		t.Fatalf("early timeout: %v; want not_due", err)
	}
}

func TestRoundDeadlines(t *testing.T) {
	tr := newTournament(t, Settings{Format: Swiss, RoundTimeLimit: mins(30)}, 6)
	mustApply(t, tr, Command{Type: CmdStart, At: t0})
	for _, m := range tr.Matches {
		if m.Status == MatchReady && !m.Deadline.Equal(t0.Add(30*time.Minute)) {
			t.Fatalf("swiss round 1 match deadline %v; want start+30m", m.Deadline)
		}
	}
	rr := newTournament(t, Settings{Format: RoundRobin, RoundTimeLimit: mins(20)}, 4)
	mustApply(t, rr, Command{Type: CmdStart, At: t0})
	for _, m := range rr.Matches {
		if m.Status == MatchReady && !m.Deadline.Equal(t0.Add(time.Duration(m.Round)*20*time.Minute)) {
			t.Fatalf("round robin round %d deadline %v; want start + %d x 20m", m.Round, m.Deadline, m.Round)
		}
	}
}

func TestDurationJSON(t *testing.T) {
	var s Settings
	if err := json.Unmarshal([]byte(`{"match_time_limit":"10m","warn_before":90}`), &s); err != nil {
		t.Fatal(err)
	}
	if s.MatchTimeLimit != mins(10) || time.Duration(s.WarnBefore) != 90*time.Second {
		t.Fatalf("got %v %v", s.MatchTimeLimit, s.WarnBefore)
	}
	if err := json.Unmarshal([]byte(`{"match_time_limit":"ten minutes"}`), &s); err == nil {
		t.Fatal("bad duration accepted")
	}
}
