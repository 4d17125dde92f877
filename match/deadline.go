package match

import (
	"encoding/json"
	"fmt"
	"math"
	"time"
)

// Time never comes from a clock here: every command carries the time it was issued (Command.At),
// set by the node from its injected clock. Deadlines are stamped from it, and the commands that
// fire them (open_check_in, start, warn, timeout) are checked against it, so replaying a log gives
// the same result on every node, and a deadline fired twice by two nodes is rejected the second
// time by the version check and by the state it already changed.

// Duration is a time.Duration written in JSON as a Go duration string ("90s", "10m").
type Duration time.Duration

// MarshalJSON writes "10m0s".
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON reads "10m" or a number of seconds. Its errors are sentences a person can act on;
// the hub prefixes the field name.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		v, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("%q is not a duration: use a form like \"90s\", \"10m\" or \"1h30m\", or a number of seconds", s)
		}
		*d = Duration(v)
		return nil
	}
	var secs float64
	if err := json.Unmarshal(b, &secs); err != nil {
		return fmt.Errorf("a duration must be a string like \"90s\" or \"10m\", or a number of seconds, not %.40s", b)
	}
	// Converting a float beyond int64 to time.Duration gives an arbitrary value: refuse it here.
	if math.Abs(secs) > maxDurationSeconds {
		return fmt.Errorf("%s seconds is out of range for a duration", b)
	}
	*d = Duration(time.Duration(secs * float64(time.Second)))
	return nil
}

// maxDurationSeconds is about the longest time.Duration, in seconds (292 years).
const maxDurationSeconds = float64(math.MaxInt64 / int64(time.Second))

// TimeoutRule says what happens when a match's time limit runs out.
type TimeoutRule string

// Timeout rules. In both, a single report stands as the result (the player who reported gets the
// result they reported) and a disputed match waits for the organiser. With nobody reporting,
// forfeit records a double forfeit; organiser marks the match overdue for the organiser to decide.
const (
	TimeoutForfeit   TimeoutRule = "forfeit"
	TimeoutOrganiser TimeoutRule = "organiser"
)

func (s Settings) timeDefaults() (Settings, *Error) {
	for _, d := range []struct {
		name string
		v    Duration
	}{{"check_in_window", s.CheckInWindow}, {"match_time_limit", s.MatchTimeLimit}, {"warn_before", s.WarnBefore}, {"round_time_limit", s.RoundTimeLimit}} {
		if d.v < 0 || time.Duration(d.v) > MaxDuration {
			return s, errorf(CodeInvalid, "%s must be between 0 and 30 days (720h), got %s", d.name, time.Duration(d.v))
		}
	}
	if s.ScheduledStart != nil {
		if err := checkTime("scheduled_start", *s.ScheduledStart); err != nil {
			return s, err
		}
	}
	if s.CheckInWindow > 0 && s.ScheduledStart == nil {
		return s, errorf(CodeInvalid, "check_in_window needs a scheduled_start")
	}
	if s.CheckInWindow > 0 {
		s.RequireCheckIn = true
	}
	if s.RoundTimeLimit > 0 && !s.pointsFormat() {
		return s, errorf(CodeInvalid, "round_time_limit applies to round_robin and swiss only")
	}
	limit := s.MatchTimeLimit
	if s.RoundTimeLimit > 0 {
		limit = s.RoundTimeLimit
	}
	if s.WarnBefore == 0 && limit > 0 {
		s.WarnBefore = limit / 5
	}
	if s.WarnBefore >= limit && limit > 0 {
		return s, errorf(CodeInvalid, "warn_before must be shorter than the time limit")
	}
	switch s.OnTimeout {
	case "":
		s.OnTimeout = TimeoutForfeit
	case TimeoutForfeit, TimeoutOrganiser:
	default:
		return s, errorf(CodeInvalid, "unknown on_timeout %q: use forfeit or organiser", s.OnTimeout)
	}
	return s, nil
}

// stampReady records when a match became ready and its deadline.
func (a *applier) stampReady(m *Match) {
	if a.at.IsZero() {
		return
	}
	s := a.t.rules(m)
	m.ReadyAt = a.at
	switch {
	case s.RoundTimeLimit > 0 && s.Format == Swiss:
		m.Deadline = a.t.RoundStartedAt.Add(time.Duration(s.RoundTimeLimit))
	case s.RoundTimeLimit > 0:
		// Round robin: round r is due r round-lengths after the start.
		m.Deadline = a.t.StartedAt.Add(time.Duration(m.Round) * time.Duration(s.RoundTimeLimit))
	case s.MatchTimeLimit > 0:
		m.Deadline = a.at.Add(time.Duration(s.MatchTimeLimit))
	}
	if !m.Deadline.IsZero() && m.Deadline.Before(a.at) {
		m.Deadline = a.at // a late round robin match is due now, and is warned about at once
	}
}

// checkInCommand checks what both timed check-in commands need: a tournament still registering
// that has a check-in window.
func (t *Tournament) checkInCommand() *Error {
	if err := t.needStatus(StatusRegistering); err != nil {
		return err
	}
	if t.Settings.CheckInWindow == 0 {
		return errorf(CodeInvalid, "this tournament has no check-in window")
	}
	return nil
}

func (a *applier) openCheckIn(c Command) *Error {
	t := a.t
	if err := t.checkInCommand(); err != nil {
		return err
	}
	s := t.Settings
	if t.CheckInOpen {
		return errorf(CodeNotDue, "check-in is already open")
	}
	opens := s.ScheduledStart.Add(-time.Duration(s.CheckInWindow))
	if c.At.Before(opens) {
		return errorf(CodeNotDue, "check-in opens at %s", opens.UTC().Format(time.RFC3339))
	}
	t.CheckInOpen = true
	a.emit(Event{Type: EvCheckInOpened, At: *s.ScheduledStart})
	return nil
}

// checkInWarnAt is when the players who have not checked in are warned that check-in closes: when
// a quarter of the window is left.
func checkInWarnAt(s Settings) time.Time {
	return s.ScheduledStart.Add(-time.Duration(s.CheckInWindow) / 4)
}

func (a *applier) warnCheckIn(c Command) *Error {
	t := a.t
	if err := t.checkInCommand(); err != nil {
		return err
	}
	s := t.Settings
	if !t.CheckInOpen {
		return errorf(CodeNotDue, "check-in is not open")
	}
	if t.CheckInWarned {
		return errorf(CodeNotDue, "the check-in warning was given already")
	}
	if at := checkInWarnAt(s); c.At.Before(at) {
		return errorf(CodeNotDue, "the check-in warning is due at %s", at.UTC().Format(time.RFC3339))
	}
	t.CheckInWarned = true
	var missing []Participant
	for _, p := range t.Participants {
		if !p.CheckedIn {
			missing = append(missing, p)
		}
	}
	a.emit(Event{Type: EvCheckInClosing, At: *s.ScheduledStart, Participants: missing})
	return nil
}

func (a *applier) warn(c Command) *Error {
	m, err := a.dueMatch(c)
	if err != nil {
		return err
	}
	if m.Warned {
		return errorf(CodeNotDue, "match %d was already warned", m.ID)
	}
	if c.At.Before(m.Deadline.Add(-time.Duration(a.t.Settings.WarnBefore))) {
		return errorf(CodeNotDue, "match %d is not due for a warning yet", m.ID)
	}
	m.Warned = true
	c2 := m.clone()
	a.emit(Event{Type: EvDeadlineWarning, Match: &c2, At: m.Deadline})
	return nil
}

func (a *applier) timeout(c Command) *Error {
	m, err := a.dueMatch(c)
	if err != nil {
		return err
	}
	if m.Overdue {
		return errorf(CodeNotDue, "match %d is already overdue and waits for the organiser", m.ID)
	}
	if c.At.Before(m.Deadline) {
		return errorf(CodeNotDue, "match %d is due at %s", m.ID, m.Deadline.UTC().Format(time.RFC3339))
	}
	r0, r1 := m.Reports[0], m.Reports[1]
	switch {
	case (r0 == nil) != (r1 == nil): // one report: it stands
		r := r0
		if r == nil {
			r = r1
		}
		w, draw, serr := a.t.Settings.seriesResult(r.Scores)
		if serr != nil {
			return serr // cannot happen: reports are checked when made
		}
		a.emit(Event{Type: EvTimedOut, Match: ptr(m.clone()), Reason: "time limit: the only report stands"})
		a.complete(m, r.Scores, r.Games, w, draw)
	case r0 == nil && a.t.Settings.OnTimeout == TimeoutForfeit:
		a.emit(Event{Type: EvTimedOut, Match: ptr(m.clone()), Reason: "time limit: nobody reported, double forfeit"})
		a.completeForfeit(m, [2]bool{true, true})
	default: // disputed, or the organiser decides
		m.Overdue = true
		a.emit(Event{Type: EvTimedOut, Match: ptr(m.clone()), Reason: "time limit: waiting for the organiser"})
	}
	a.checkFinished()
	return nil
}

func ptr[T any](v T) *T { return &v }

func (a *applier) dueMatch(c Command) (*Match, *Error) {
	if err := a.t.needStatus(StatusRunning); err != nil {
		return nil, err
	}
	m, err := a.t.findMatch(c.Match)
	if err != nil {
		return nil, err
	}
	if m.Status != MatchReady && m.Status != MatchDisputed {
		return nil, errorf(CodeNotDue, "match %d is %s: no deadline applies", m.ID, m.Status)
	}
	if m.Deadline.IsZero() {
		return nil, errorf(CodeNotDue, "match %d has no time limit", m.ID)
	}
	if c.At.IsZero() {
		return nil, errorf(CodeInvalid, "a deadline command needs the time it was issued")
	}
	return m, nil
}

// NextDue returns the earliest time at which a timed command (open_check_in, warn_check_in,
// start, warn, timeout) becomes due, or false when nothing is scheduled. It is O(matches) and
// meant for the sweeper, not the result path.
func NextDue(t *Tournament) (time.Time, bool) {
	s := t.Settings
	if s.ScheduledStart == nil && s.MatchTimeLimit == 0 && s.RoundTimeLimit == 0 {
		return time.Time{}, false // nothing timed: the common case costs nothing per commit
	}
	var next time.Time
	consider := func(at time.Time) {
		if !at.IsZero() && (next.IsZero() || at.Before(next)) {
			next = at
		}
	}
	switch t.Status {
	case StatusRegistering:
		if s.ScheduledStart != nil {
			if s.CheckInWindow > 0 && !t.CheckInOpen {
				consider(s.ScheduledStart.Add(-time.Duration(s.CheckInWindow)))
			}
			if t.CheckInOpen && !t.CheckInWarned {
				consider(checkInWarnAt(s))
			}
			consider(*s.ScheduledStart)
		}
	case StatusRunning:
		for i := range t.Matches {
			m := &t.Matches[i]
			if (m.Status != MatchReady && m.Status != MatchDisputed) || m.Deadline.IsZero() || m.Overdue {
				continue
			}
			if !m.Warned && s.WarnBefore > 0 {
				consider(m.Deadline.Add(-time.Duration(s.WarnBefore)))
			} else {
				consider(m.Deadline)
			}
		}
	}
	return next, !next.IsZero()
}

// DueCommands returns the timed commands due at now, in the order to apply them. Applying them
// may make others due (a timeout completes a match that readies the next); call again with the new
// state until it returns none.
func DueCommands(t *Tournament, now time.Time) []Command {
	var out []Command
	s := t.Settings
	switch t.Status {
	case StatusRegistering:
		if s.ScheduledStart == nil {
			return nil
		}
		if s.CheckInWindow > 0 && !t.CheckInOpen && !now.Before(s.ScheduledStart.Add(-time.Duration(s.CheckInWindow))) {
			out = append(out, Command{Type: CmdOpenCheckIn, At: now})
		}
		if t.CheckInOpen && !t.CheckInWarned && !now.Before(checkInWarnAt(s)) && now.Before(*s.ScheduledStart) {
			out = append(out, Command{Type: CmdWarnCheckIn, At: now})
		}
		if !now.Before(*s.ScheduledStart) {
			out = append(out, Command{Type: CmdStart, At: now})
		}
	case StatusRunning:
		for i := range t.Matches {
			m := &t.Matches[i]
			if (m.Status != MatchReady && m.Status != MatchDisputed) || m.Deadline.IsZero() || m.Overdue {
				continue
			}
			if !m.Warned && s.WarnBefore > 0 && !now.Before(m.Deadline.Add(-time.Duration(s.WarnBefore))) {
				out = append(out, Command{Type: CmdWarn, Match: m.ID, At: now})
			}
			if !now.Before(m.Deadline) {
				out = append(out, Command{Type: CmdTimeout, Match: m.ID, At: now})
			}
		}
	}
	return out
}
