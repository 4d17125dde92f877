package match

import (
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"time"
)

// Apply applies c to t. On success it changes t in place, adds one to t.Version and returns the
// events; on failure it returns an *Error and t is unchanged (every check happens before the first
// change). Callers that need the old state keep a Clone. A result touches only the matches it
// feeds: O(changed matches), not O(bracket).
func Apply(t *Tournament, c Command) ([]Event, error) {
	a := &applier{t: t, at: c.At}
	var err *Error
	if !c.At.IsZero() {
		if err := checkTime("the command's time (at)", c.At); err != nil {
			return nil, err
		}
	}
	switch c.Type {
	case CmdCreate:
		err = a.create(c)
	case CmdJoin:
		err = a.join(c)
	case CmdLeave:
		err = a.leave(c)
	case CmdCheckIn:
		err = a.checkIn(c)
	case CmdStart:
		err = a.start(c)
	case CmdReport:
		// A result emits a few events (the match completed, the next one updated or ready, a
		// player out, the standings): room for four at once rather than three appends' growth.
		a.events = make([]Event, 0, 4)
		err = a.report(c)
	case CmdForfeit:
		err = a.forfeit(c)
	case CmdWithdraw:
		err = a.withdraw(c)
	case CmdCancel:
		err = a.cancel()
	case CmdStartPlayoff:
		err = a.startPlayoff(c)
	case CmdEdit:
		err = a.edit(c)
	case CmdDelete:
		err = a.remove()
	case CmdEditPlayer:
		err = a.editPlayer(c)
	case CmdSeed:
		err = a.seed(c)
	case CmdAddPlayers:
		err = a.addPlayers(c)
	case CmdOpenCheckIn:
		err = a.openCheckIn(c)
	case CmdWarnCheckIn:
		err = a.warnCheckIn(c)
	case CmdWarn:
		err = a.warn(c)
	case CmdTimeout:
		err = a.timeout(c)
	case "":
		err = errorf(CodeInvalid, "command type is required")
	default:
		err = errorf(CodeInvalid, "unknown command type %q", c.Type)
	}
	if err != nil {
		return nil, err
	}
	t.Version++
	return a.events, nil
}

// applier carries one command's work. Its methods that return *Error change nothing before they
// return nil... every check happens before the first write.
type applier struct {
	t      *Tournament
	at     time.Time // Command.At
	events []Event
}

func (a *applier) emit(e Event) { a.events = append(a.events, e) }

func (a *applier) emitMatch(typ EventType, m *Match) {
	c := m.clone()
	a.emit(Event{Type: typ, Match: &c})
}

// match returns match id to read or change (ApplyChanges counts it as changed).
func (t *Tournament) match(id MatchID) *Match {
	if t.dirty != nil {
		t.dirty.touchMatch(t, id)
	}
	return &t.Matches[id-1]
}

func (t *Tournament) findMatch(id MatchID) (*Match, *Error) {
	if id < 1 || int(id) > len(t.Matches) {
		return nil, errorf(CodeUnknownMatch, "match %d does not exist in this tournament", id)
	}
	return t.match(id), nil
}

// participant returns the participant with id to read or change, or nil (ApplyChanges counts it
// as changed). Participants are kept in id order.
func (t *Tournament) participant(id PlayerID) *Participant {
	i := sort.Search(len(t.Participants), func(i int) bool { return t.Participants[i].ID >= id })
	if i < len(t.Participants) && t.Participants[i].ID == id {
		if t.dirty != nil {
			t.dirty.touchParticipant(&t.Participants[i])
		}
		return &t.Participants[i]
	}
	return nil
}

func (t *Tournament) findParticipant(id PlayerID) (*Participant, *Error) {
	if p := t.participant(id); p != nil {
		return p, nil
	}
	return nil, errorf(CodeUnknownPlayer, "player %d is not in this tournament", id)
}

// Participant returns a copy of the participant with id, and whether there is one.
func (t *Tournament) Participant(id PlayerID) (Participant, bool) {
	if p := t.participant(id); p != nil {
		return *p, true
	}
	return Participant{}, false
}

// Name returns a participant's name, or "" for nobody.
func (t *Tournament) PlayerName(id PlayerID) string {
	if p := t.participant(id); p != nil {
		return p.Name
	}
	return ""
}

func (t *Tournament) needStatus(want Status) *Error {
	if t.Status == want {
		return nil
	}
	switch t.Status {
	case StatusFinished, StatusCancelled:
		return errorf(CodeFinished, "the tournament is %s", t.Status)
	case StatusRunning:
		return errorf(CodeAlreadyStarted, "the tournament has already started")
	case StatusDeleted:
		return t.notDeleted()
	}
	if t.Status == "" {
		return errorf(CodeInvalid, "the tournament does not exist yet")
	}
	return errorf(CodeNotRunning, "the tournament has not started")
}

func (a *applier) create(c Command) *Error {
	if a.t.Version != 0 || a.t.ID != "" {
		return errorf(CodeAlreadyExists, "tournament %q already exists", a.t.ID)
	}
	if strings.TrimSpace(c.Tournament) == "" {
		return errorf(CodeInvalid, "tournament id is required")
	}
	name, err := cleanName("name", c.Name)
	if err != nil {
		return err
	}
	desc, err := cleanDescription(c.Description)
	if err != nil {
		return err
	}
	if c.Settings == nil {
		return errorf(CodeInvalid, "settings are required")
	}
	s, err := c.Settings.withDefaults()
	if err != nil {
		return err
	}
	*a.t = Tournament{ID: c.Tournament, Name: name, Description: desc, Settings: s, Status: StatusRegistering,
		Participants: []Participant{}, Matches: []Match{}}
	ss := s.clone()
	a.emit(Event{Type: EvCreated, Name: name, Description: desc, Settings: &ss})
	return nil
}

func (a *applier) join(c Command) *Error {
	t := a.t
	if err := t.needStatus(StatusRegistering); err != nil {
		return err
	}
	name, err := cleanName("player name", c.Name)
	if err != nil {
		return err
	}
	if len(t.Participants) >= t.Settings.MaxPlayers {
		return errorf(CodeFull, "the tournament is full (%d players)", t.Settings.MaxPlayers)
	}
	if t.nameTaken(name) {
		return errorf(CodeNameTaken, "the name %q is already taken in this tournament", name)
	}
	if err := checkRating("rating", c.Rating); err != nil {
		return err
	}
	t.LastPlayer++
	p := Participant{ID: t.LastPlayer, Name: name, Rating: c.Rating}
	t.Participants = append(t.Participants, p)
	t.touchPlayer(p.ID)
	t.idx.names[foldName(name)] = true
	a.emit(Event{Type: EvPlayerJoined, Player: p.ID, Participant: &p})
	return nil
}

func (a *applier) leave(c Command) *Error {
	t := a.t
	if err := t.needStatus(StatusRegistering); err != nil {
		return err
	}
	if _, err := t.findParticipant(c.Player); err != nil {
		return err
	}
	if t.idx != nil {
		// Rebuilt by the next join rather than deleted: names that joined before foldName ignored
		// invisible characters may fold the same, and the one staying must keep its name taken.
		t.idx.names = nil
	}
	t.saveParticipants() // deleting shifts the others in place
	t.Participants = slices.DeleteFunc(t.Participants, func(p Participant) bool { return p.ID == c.Player })
	a.emit(Event{Type: EvPlayerLeft, Player: c.Player})
	return nil
}

func (a *applier) checkIn(c Command) *Error {
	t := a.t
	if err := t.needStatus(StatusRegistering); err != nil {
		return err
	}
	p, err := t.findParticipant(c.Player)
	if err != nil {
		return err
	}
	if p.CheckedIn {
		return errorf(CodeInvalid, "player %d has already checked in", c.Player)
	}
	if t.Settings.CheckInWindow > 0 && !t.CheckInOpen {
		opens := t.Settings.ScheduledStart.Add(-time.Duration(t.Settings.CheckInWindow))
		return errorf(CodeCheckInClosed, "check-in opens at %s", opens.UTC().Format(time.RFC3339))
	}
	p.CheckedIn = true
	a.emit(Event{Type: EvCheckedIn, Player: c.Player})
	return nil
}

func (a *applier) cancel() *Error {
	t := a.t
	if t.Status != StatusRegistering && t.Status != StatusRunning {
		return t.needStatus(StatusRunning)
	}
	t.Status = StatusCancelled
	a.emit(Event{Type: EvCancelled})
	return nil
}

// start seeds the players, builds the matches and settles byes.
func (a *applier) start(c Command) *Error {
	t := a.t
	if err := t.needStatus(StatusRegistering); err != nil {
		return err
	}
	keep := t.Participants
	if t.Settings.RequireCheckIn {
		keep = nil
		for _, p := range t.Participants {
			if p.CheckedIn {
				keep = append(keep, p)
			}
		}
	}
	if len(keep) < 2 {
		return errorf(CodeTooFewPlayers, "%d players are ready to play; at least 2 are needed to start", len(keep))
	}
	if p := t.Settings.Playoff; p != nil {
		smallest, groups := len(keep), 1
		if t.Settings.Format == RoundRobin {
			groups = min(t.Settings.Groups, len(keep)/2)
			smallest = len(keep) / groups
		}
		if p.Advance > smallest || (t.Settings.Format == Swiss && p.Advance > len(keep)) {
			return errorf(CodeTooFewPlayers, "playoff.advance is %d, but a group would have only %d players", p.Advance, smallest)
		}
		if p.Advance*groups < 2 {
			return errorf(CodeTooFewPlayers, "only %d player would reach the playoff: it needs at least 2", p.Advance*groups)
		}
	}
	if t.Settings.Format == RoundRobin {
		g := min(t.Settings.Groups, len(keep)/2)
		if (len(keep)+g-1)/g > t.Settings.maxGroupSize() {
			return errorf(CodeInvalid, "a round robin group would have more than %d players: use more groups", t.Settings.maxGroupSize())
		}
	}
	// Checks are done: from here on, change.
	if len(keep) != len(t.Participants) {
		for _, p := range t.Participants {
			if !p.CheckedIn {
				a.emit(Event{Type: EvPlayerDropped, Player: p.ID, Reason: "did not check in"})
				t.touchPlayer(p.ID)
			}
		}
		t.Participants = keep
	}
	order := seedOrder(t.Participants, t.Settings)
	for i, id := range order {
		t.participant(id).Seed = i + 1
	}
	t.Status = StatusRunning
	t.StartedAt = c.At
	if t.twoStage() {
		t.Stage = StageGroups
	}
	t.Matches = t.Matches[:0]
	switch t.Settings.Format {
	case SingleElimination:
		buildSingle(t, order)
	case DoubleElimination:
		buildDouble(t, order)
	case RoundRobin:
		buildRoundRobin(t, order) // sizes checked above
	case Swiss:
		if t.Settings.Rounds == 0 {
			t.Settings.Rounds = max(1, log2ceil(len(order)))
		}
	}
	t.idx = nil
	s := t.Settings.clone() // as the start completed them (a Swiss round count)
	a.emit(Event{Type: EvStarted, Participants: slices.Clone(t.Participants), Settings: &s})
	start := len(a.events)
	switch t.Settings.Format {
	case SingleElimination, DoubleElimination:
		for i := range t.Matches {
			if t.Matches[i].Round == 1 && t.Matches[i].Bracket == BracketWinners {
				a.settle(&t.Matches[i])
			}
		}
	case RoundRobin:
		for i := range t.Matches {
			a.readyIfFree(&t.Matches[i])
		}
	case Swiss:
		a.nextSwissRound()
	}
	// The start event carries the whole schedule as it stands after byes were settled.
	a.events[start-1].Matches = cloneMatches(t.Matches)
	a.checkFinished()
	return nil
}

func cloneMatches(ms []Match) []Match {
	out := make([]Match, len(ms))
	for i := range ms {
		out[i] = ms[i].clone()
	}
	return out
}

// seedOrder returns player ids, top seed first. Given: the seeds the organiser set (seed and
// edit_player), then whoever has none in join order.
func seedOrder(ps []Participant, s Settings) []PlayerID {
	sorted := slices.Clone(ps)
	switch s.Seeding {
	case SeedGiven:
		slices.SortStableFunc(sorted, func(x, y Participant) int {
			switch {
			case x.Seed == y.Seed:
				return 0
			case x.Seed == 0:
				return 1
			case y.Seed == 0:
				return -1
			}
			return x.Seed - y.Seed
		})
	case SeedRandom:
		r := rand.New(rand.NewPCG(s.RandomSeed, 0x7475726e))
		r.Shuffle(len(sorted), func(i, j int) { sorted[i], sorted[j] = sorted[j], sorted[i] })
	case SeedRating:
		slices.SortStableFunc(sorted, func(x, y Participant) int {
			switch {
			case x.Rating > y.Rating:
				return -1
			case x.Rating < y.Rating:
				return 1
			}
			return 0
		})
	}
	out := make([]PlayerID, len(sorted))
	for i, p := range sorted {
		out[i] = p.ID
	}
	return out
}

func sideOf(m *Match, p PlayerID) int {
	if p != 0 {
		for i := 0; i < 2; i++ {
			if m.Players[i] == p {
				return i
			}
		}
	}
	return -1
}

func (a *applier) report(c Command) *Error {
	t := a.t
	if t.Status != StatusRunning && !(t.Status == StatusFinished && c.By == 0) {
		return t.needStatus(StatusRunning)
	}
	m, err := t.findMatch(c.Match)
	if err != nil {
		return err
	}
	if c.By != 0 {
		if _, err := t.findParticipant(c.By); err != nil {
			return err
		}
	}
	side := sideOf(m, c.By)
	if c.By != 0 && side < 0 {
		return errorf(CodeNotInMatch, "player %d is not in match %d", c.By, c.Match)
	}
	switch m.Status {
	case MatchPending, MatchVoid:
		return errorf(CodeMatchNotReady, "match %d is %s: it has no two players to report on", m.ID, m.Status)
	case MatchCompleted:
		if c.By != 0 {
			return errorf(CodeMatchCompleted, "match %d is already completed; only the organiser can correct it", m.ID)
		}
		return a.correct(m, c.Scores, c.Games)
	}
	w, draw, err := t.rules(m).seriesResult(c.Scores)
	if err != nil {
		return err
	}
	if err := t.rules(m).CheckGames(c.Scores, c.Games); err != nil {
		return err
	}
	if c.By == 0 {
		a.complete(m, c.Scores, c.Games, w, draw)
		a.checkFinished()
		return nil
	}
	if r := m.Reports[side]; r != nil && r.Scores == c.Scores && slices.Equal(r.Games, c.Games) {
		return errorf(CodeInvalid, "you already reported %d-%d for match %d; waiting for your opponent", c.Scores[0], c.Scores[1], m.ID)
	}
	m.Reports[side] = &Report{Scores: c.Scores, Games: slices.Clone(c.Games)}
	other := m.Reports[1-side]
	switch {
	case other == nil:
		c := m.clone()
		a.emit(Event{Type: EvMatchReported, Match: &c, Player: c.Players[side]})
	case other.Scores == c.Scores && slices.Equal(other.Games, c.Games):
		a.complete(m, c.Scores, c.Games, w, draw)
		a.checkFinished()
	default:
		m.Status = MatchDisputed
		a.emitMatch(EvMatchDisputed, m)
	}
	return nil
}

func (a *applier) forfeit(c Command) *Error {
	t := a.t
	if err := t.needStatus(StatusRunning); err != nil {
		return err
	}
	m, err := t.findMatch(c.Match)
	if err != nil {
		return err
	}
	if m.Status != MatchReady && m.Status != MatchDisputed {
		return errorf(CodeMatchNotReady, "match %d is %s: only a ready or disputed match can be forfeited", m.ID, m.Status)
	}
	if c.Both {
		if c.By != 0 {
			return errorf(CodeInvalid, "only the organiser can record a double forfeit")
		}
		a.completeForfeit(m, [2]bool{true, true})
		a.checkFinished()
		return nil
	}
	side := sideOf(m, c.Player)
	if side < 0 {
		return errorf(CodeNotInMatch, "player %d is not in match %d", c.Player, c.Match)
	}
	if c.By != 0 && c.By != c.Player {
		return errorf(CodeNotInMatch, "a player can only forfeit for themself")
	}
	var f [2]bool
	f[side] = true
	a.completeForfeit(m, f)
	a.checkFinished()
	return nil
}

func (a *applier) withdraw(c Command) *Error {
	t := a.t
	if err := t.needStatus(StatusRunning); err != nil {
		if t.Status == StatusRegistering {
			return errorf(CodeNotRunning, "the tournament has not started: leave it instead of withdrawing")
		}
		return err
	}
	p, err := t.findParticipant(c.Player)
	if err != nil {
		return err
	}
	if p.Withdrawn {
		return errorf(CodePlayerWithdrawn, "player %d has already withdrawn", c.Player)
	}
	p.Withdrawn = true
	p.Disqualified = c.Disqualify
	reason := "withdrew"
	if c.Disqualify {
		reason = "disqualified"
	}
	a.emit(Event{Type: EvWithdrawn, Player: p.ID, Reason: reason})
	// Every unfinished match of theirs becomes a walkover; matches they would be fed into later
	// settle as walkovers when they fill (see settle).
	ms := t.playerMatches(p.ID)
	if !p.Eliminated {
		for _, id := range ms {
			if m := t.match(id); m.Status != MatchCompleted && m.Status != MatchVoid {
				a.eliminate(p.ID, id)
				break
			}
		}
		if !p.Eliminated {
			a.eliminate(p.ID, 0)
		}
	}
	for _, id := range ms {
		m := t.match(id)
		switch m.Status {
		case MatchReady, MatchDisputed:
			var f [2]bool
			f[sideOf(m, p.ID)] = true
			a.completeForfeit(m, f)
		case MatchPending:
			if t.format() == RoundRobin {
				var f [2]bool
				f[sideOf(m, p.ID)] = true
				a.completeForfeit(m, f)
			} else {
				a.settle(m)
			}
		}
	}
	switch {
	case t.Stage == StageGroups && t.Qualifiers != nil:
		a.groupStageDone("a player withdrew") // the qualifiers again
	case t.format() == Swiss:
		a.swissRoundDone()
	}
	a.checkFinished()
	return nil
}

func (a *applier) eliminate(p PlayerID, in MatchID) {
	pp := a.t.participant(p)
	if pp == nil || pp.Eliminated {
		return
	}
	pp.Eliminated = true
	pp.EliminatedIn = in
	a.emit(Event{Type: EvEliminated, Player: p, MatchID: in})
}

func (a *applier) reinstate(p PlayerID, in MatchID) {
	pp := a.t.participant(p)
	if pp == nil || !pp.Eliminated || pp.Withdrawn || pp.EliminatedIn != in {
		return
	}
	pp.Eliminated = false
	pp.EliminatedIn = 0
	a.emit(Event{Type: EvReinstated, Player: p})
}

// absent says whether a filled slot has nobody who can play: a bye, or a withdrawn player.
func (t *Tournament) absent(p PlayerID) bool {
	if p == 0 {
		return true
	}
	pp := t.participant(p)
	return pp == nil || pp.Withdrawn
}
