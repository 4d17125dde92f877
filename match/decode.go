package match

import (
	"bytes"
	"strconv"
	"strings"
	"time"
)

// DecodeMatch, DecodeParticipant, DecodeOwn and DecodeEvents read what AppendJSON, AppendOwnJSON
// and AppendEvents write, without reflection: the fast path of a node that reads other nodes'
// commits (hub/redisstore).
// They take only JSON exactly as those functions write it, and check it by writing the result
// again and comparing the bytes: so whatever they accept, a general decoder reads as the same
// value. Anything else (spaces, other member orders, escaped strings) they refuse, and the caller
// reads it with a general decoder.

// DecodeMatch reads m from b as AppendJSON writes it, into a zero m. False: b is not that form,
// and m is left in an unknown state.
func DecodeMatch(b []byte, m *Match) bool {
	r := reader{b: b}
	r.match(m)
	if !r.end() {
		return false
	}
	var buf [512]byte
	again, err := m.AppendJSON(buf[:0])
	return err == nil && bytes.Equal(again, b)
}

// DecodeParticipant reads p from b as Participant.AppendJSON writes it, into a zero p. False: b is
// not that form, and p is left in an unknown state.
func DecodeParticipant(b []byte, p *Participant) bool {
	r := reader{b: b}
	r.participant(p)
	if !r.end() {
		return false
	}
	var buf [256]byte
	again, err := p.AppendJSON(buf[:0])
	return err == nil && bytes.Equal(again, b)
}

// DecodeOwn reads the members Tournament.AppendOwnJSON writes (without braces), as it writes
// them, into a t whose own fields are zero; t's version, participants and matches are left as
// they are. False: b is not that form, and t's own fields are in an unknown state.
func DecodeOwn(b []byte, t *Tournament) bool {
	r := reader{b: b}
	r.own(t)
	if !r.end() {
		return false
	}
	var buf [1024]byte
	again, err := t.AppendOwnJSON(buf[:0])
	return err == nil && bytes.Equal(again, b)
}

// DecodeEvents reads events from b as AppendEvents writes them ([] as an empty list). False: b is
// not that form.
func DecodeEvents(b []byte) ([]Event, bool) {
	r := reader{b: b}
	events := []Event{}
	if r.lit("[") && !r.lit("]") {
		for !r.bad {
			events = append(events, Event{})
			r.event(&events[len(events)-1])
			if !r.lit(",") {
				r.need("]")
				break
			}
		}
	}
	if !r.end() {
		return nil, false
	}
	var buf [2048]byte
	again, err := AppendEvents(buf[:0], events)
	if err != nil || !bytes.Equal(again, b) {
		return nil, false
	}
	return events, true
}

// reader reads JSON as the appenders write it. After its first failure (bad) every read returns
// a zero value.
type reader struct {
	b   []byte
	i   int
	bad bool
}

func (r *reader) fail() { r.bad = true }

// end reports whether everything read so far was well formed and nothing follows it.
func (r *reader) end() bool { return !r.bad && r.i == len(r.b) }

// lit consumes s if b continues with it.
func (r *reader) lit(s string) bool {
	if r.bad || !bytes.HasPrefix(r.b[r.i:], []byte(s)) {
		return false
	}
	r.i += len(s)
	return true
}

// need consumes s, or fails.
func (r *reader) need(s string) {
	if !r.lit(s) {
		r.fail()
	}
}

// key reads a member name and its colon (nil at a failure). The readers switch on string(k),
// which does not allocate.
func (r *reader) key() []byte {
	if r.bad || r.i >= len(r.b) || r.b[r.i] != '"' {
		r.fail()
		return nil
	}
	j := bytes.IndexByte(r.b[r.i+1:], '"')
	if j < 0 {
		r.fail()
		return nil
	}
	k := r.b[r.i+1 : r.i+1+j]
	r.i += j + 2
	r.need(":")
	return k
}

// str reads a string of printable ASCII without escapes (anything else fails: a general decoder
// reads it). The names of statuses, brackets, feeds and events come back as the constants
// themselves, without an allocation.
func (r *reader) str() string {
	t := r.text()
	if s, ok := names[string(t)]; ok {
		return s
	}
	return string(t)
}

// names are the strings str does not allocate.
var names = func() map[string]string {
	m := make(map[string]string)
	for _, s := range []string{
		string(BracketGrandFinal),
		string(BracketGroup),
		string(BracketLosers),
		string(BracketSwiss),
		string(BracketThirdPlace),
		string(BracketWinners),
		string(EvCancelled),
		string(EvCheckInClosing),
		string(EvCheckInOpened),
		string(EvCheckedIn),
		string(EvCorrected),
		string(EvCreated),
		string(EvDeadlineWarning),
		string(EvDeleted),
		string(EvEdited),
		string(EvEliminated),
		string(EvFinished),
		string(EvGroupStageFinished),
		string(EvMatchCompleted),
		string(EvMatchDisputed),
		string(EvMatchReady),
		string(EvMatchReported),
		string(EvMatchReset),
		string(EvMatchUpdated),
		string(EvMatchVoid),
		string(EvPlayerDropped),
		string(EvPlayerEdited),
		string(EvPlayerJoined),
		string(EvPlayerLeft),
		string(EvPlayoffStarted),
		string(EvReinstated),
		string(EvReopened),
		string(EvRoundStarted),
		string(EvSeedsChanged),
		string(EvStarted),
		string(EvTimedOut),
		string(EvWithdrawn),
		string(MatchCompleted),
		string(MatchDisputed),
		string(MatchPending),
		string(MatchReady),
		string(MatchVoid),
		string(TakeLoser),
		string(TakeWinner),
		string(SingleElimination),
		string(DoubleElimination),
		string(RoundRobin),
		string(Swiss),
		string(StatusRegistering),
		string(StatusRunning),
		string(StatusFinished),
		string(StatusCancelled),
		string(GrandFinalNone),
		string(GrandFinalSingle),
		string(GrandFinalReset),
		string(SeedGiven),
		string(SeedRandom),
		string(SeedRating),
		string(HeadToHead),
		string(Buchholz),
		string(SonnebornBerger),
		string(GameDifference),
		string(GamePoints),
		string(TimeoutForfeit),
		string(TimeoutOrganiser),
	} {
		m[s] = s
	}
	return m
}()

// text is str's bytes, in b.
func (r *reader) text() []byte {
	if r.bad || r.i >= len(r.b) || r.b[r.i] != '"' {
		r.fail()
		return nil
	}
	for j := r.i + 1; j < len(r.b); j++ {
		switch c := r.b[j]; {
		case c == '"':
			t := r.b[r.i+1 : j]
			r.i = j + 1
			return t
		case c < 0x20 || c >= 0x7f || c == '\\':
			r.fail()
			return nil
		}
	}
	r.fail()
	return nil
}

// int reads an integer of at most 18 digits (a longer one fails: a general decoder reads it).
func (r *reader) int() int {
	if r.bad {
		return 0
	}
	j, neg := r.i, false
	if j < len(r.b) && r.b[j] == '-' {
		j, neg = j+1, true
	}
	n, digits := 0, 0
	for ; j < len(r.b) && r.b[j] >= '0' && r.b[j] <= '9'; j++ {
		n = n*10 + int(r.b[j]-'0')
		digits++
	}
	if digits == 0 || digits > 18 {
		r.fail()
		return 0
	}
	r.i = j
	if neg {
		return -n
	}
	return n
}

func (r *reader) player() PlayerID {
	if r.lit("null") {
		return 0
	}
	return PlayerID(r.int())
}

func (r *reader) boolean() bool {
	if r.lit("true") {
		return true
	}
	r.need("false")
	return false
}

func (r *reader) time() time.Time {
	var t time.Time
	if s := r.text(); !r.bad && t.UnmarshalText(s) != nil {
		r.fail()
	}
	return t
}

// two reads a list of two values, each by read.
func two[T any](r *reader, read func(*reader) T) (v [2]T) {
	r.need("[")
	v[0] = read(r)
	r.need(",")
	v[1] = read(r)
	r.need("]")
	return v
}

// games reads a list of pairs (null: none).
func (r *reader) games() Games {
	if r.lit("null") {
		return nil
	}
	g := Games{}
	r.need("[")
	if r.lit("]") {
		return g
	}
	for !r.bad {
		g = append(g, two(r, (*reader).int))
		if !r.lit(",") {
			r.need("]")
			break
		}
	}
	return g
}

func (r *reader) feed() (f Feed) {
	r.object(func(k []byte) {
		switch string(k) {
		case "match":
			f.Match = MatchID(r.int())
		case "take":
			f.Take = Outcome(r.str())
		default:
			r.fail()
		}
	})
	return f
}

func (r *reader) report() *Report {
	if r.lit("null") {
		return nil
	}
	rep := new(Report)
	r.object(func(k []byte) {
		switch string(k) {
		case "scores":
			rep.Scores = two(r, (*reader).int)
		case "games":
			rep.Games = r.games()
		default:
			r.fail()
		}
	})
	return rep
}

// object reads an object, each member's value by member.
func (r *reader) object(member func(k []byte)) {
	r.need("{")
	if r.lit("}") {
		return
	}
	for !r.bad {
		member(r.key())
		if !r.lit(",") {
			r.need("}")
			return
		}
	}
}

func (r *reader) match(m *Match) {
	r.object(func(k []byte) {
		switch string(k) {
		case "id":
			m.ID = MatchID(r.int())
		case "bracket":
			m.Bracket = Bracket(r.str())
		case "round":
			m.Round = r.int()
		case "group":
			m.Group = r.int()
		case "status":
			m.Status = MatchStatus(r.str())
		case "players":
			m.Players = two(r, (*reader).player)
		case "filled":
			m.Filled = two(r, (*reader).boolean)
		case "feeds":
			m.Feeds = two(r, (*reader).feed)
		case "scores":
			m.Scores = two(r, (*reader).int)
		case "games":
			if g := r.games(); g != nil {
				m.Games = &g
			}
		case "winner":
			m.Winner = r.player()
		case "loser":
			m.Loser = r.player()
		case "draw":
			m.Draw = r.boolean()
		case "walkover":
			m.Walkover = r.boolean()
		case "forfeited":
			m.Forfeited = two(r, (*reader).boolean)
		case "reports":
			m.Reports = two(r, (*reader).report)
		case "ready_at":
			m.ReadyAt = r.time()
		case "deadline":
			m.Deadline = r.time()
		case "warned":
			m.Warned = r.boolean()
		case "overdue":
			m.Overdue = r.boolean()
		case "winner_to":
			m.WinnerTo = MatchID(r.int())
		case "loser_to":
			m.LoserTo = MatchID(r.int())
		default:
			r.fail()
		}
	})
}

func (r *reader) event(e *Event) {
	r.object(func(k []byte) {
		switch string(k) {
		case "type":
			e.Type = EventType(r.str())
		case "player":
			e.Player = r.player()
		case "round":
			e.Round = r.int()
		case "match":
			e.Match = new(Match)
			r.match(e.Match)
		case "match_id":
			e.MatchID = MatchID(r.int())
		case "slots":
			e.Slots = new(Slots)
			r.object(func(k []byte) {
				switch string(k) {
				case "players":
					e.Slots.Players = two(r, (*reader).player)
				case "filled":
					e.Slots.Filled = two(r, (*reader).boolean)
				default:
					r.fail()
				}
			})
		case "was":
			e.Was = new(Match)
			r.match(e.Was)
		case "name":
			e.Name = r.str()
		case "description":
			e.Description = r.str()
		case "reason":
			e.Reason = r.str()
		case "at":
			e.At = r.time()
		case "participant":
			e.Participant = new(Participant)
			r.participant(e.Participant)
		case "participants":
			e.Participants = list(r, func(r *reader) (p Participant) {
				r.participant(&p)
				return p
			})
		case "qualifiers":
			e.Qualifiers = list(r, (*reader).player)
		case "settings":
			e.Settings = new(Settings)
			r.settings(e.Settings)
		case "matches":
			e.Matches = list(r, func(r *reader) (m Match) {
				r.match(&m)
				return m
			})
		case "standings":
			e.Standings = list(r, func(r *reader) (s Standing) {
				r.standing(&s)
				return s
			})
		default:
			r.fail()
		}
	})
}

func (r *reader) standing(s *Standing) {
	r.object(func(k []byte) {
		switch string(k) {
		case "player_id":
			s.Player = r.player()
		case "rank":
			s.Rank = r.int()
		case "rank_to":
			s.RankTo = r.int()
		case "group":
			s.Group = r.int()
		case "wins":
			s.Wins = r.int()
		case "draws":
			s.Draws = r.int()
		case "losses":
			s.Losses = r.int()
		case "points":
			s.Points = r.float()
		case "games_won":
			s.GamesWon = r.int()
		case "games_lost":
			s.GamesLost = r.int()
		case "game_points_for":
			s.GamePointsFor = r.int()
		case "game_points_against":
			s.GamePointsAgainst = r.int()
		case "tie_breaks":
			s.TieBreaks = map[TieBreak]float64{}
			r.object(func(k []byte) { s.TieBreaks[TieBreak(k)] = r.float() })
		case "eliminated":
			s.Eliminated = r.boolean()
		default:
			r.fail()
		}
	})
}

func (r *reader) participant(p *Participant) {
	r.object(func(k []byte) {
		switch string(k) {
		case "id":
			p.ID = r.player()
		case "name":
			p.Name = r.str()
		case "seed":
			p.Seed = r.int()
		case "rating":
			p.Rating = r.float()
		case "checked_in":
			p.CheckedIn = r.boolean()
		case "eliminated":
			p.Eliminated = r.boolean()
		case "withdrawn":
			p.Withdrawn = r.boolean()
		case "disqualified":
			p.Disqualified = r.boolean()
		case "eliminated_in":
			p.EliminatedIn = MatchID(r.int())
		case "byes":
			p.Byes = r.int()
		default:
			r.fail()
		}
	})
}

// own reads a tournament's own members, without braces, up to the end of b.
func (r *reader) own(t *Tournament) {
	for !r.bad {
		switch string(r.key()) {
		case "id":
			t.ID = r.str()
		case "name":
			t.Name = r.str()
		case "description":
			t.Description = r.str()
		case "settings":
			r.settings(&t.Settings)
		case "status":
			t.Status = Status(r.str())
		case "last_player":
			t.LastPlayer = r.player()
		case "round":
			t.Round = r.int()
		case "stage":
			t.Stage = r.int()
		case "qualifiers":
			t.Qualifiers = list(r, (*reader).player)
		case "check_in_open":
			t.CheckInOpen = r.boolean()
		case "check_in_warned":
			t.CheckInWarned = r.boolean()
		case "started_at":
			t.StartedAt = r.time()
		case "round_started_at":
			t.RoundStartedAt = r.time()
		case "note":
			t.Note = r.str()
		default:
			r.fail()
		}
		if !r.lit(",") {
			return
		}
	}
}

func (r *reader) settings(s *Settings) {
	r.object(func(k []byte) {
		switch string(k) {
		case "format":
			s.Format = Format(r.str())
		case "best_of":
			s.BestOf = r.int()
		case "max_players":
			s.MaxPlayers = r.int()
		case "third_place":
			s.ThirdPlace = r.boolean()
		case "grand_final":
			s.GrandFinal = GrandFinal(r.str())
		case "groups":
			s.Groups = r.int()
		case "legs":
			s.Legs = r.int()
		case "rounds":
			s.Rounds = r.int()
		case "allow_draws":
			s.AllowDraws = r.boolean()
		case "points":
			s.Points = new(Points)
			r.object(func(k []byte) {
				switch string(k) {
				case "win":
					s.Points.Win = r.float()
				case "draw":
					s.Points.Draw = r.float()
				case "loss":
					s.Points.Loss = r.float()
				default:
					r.fail()
				}
			})
		case "tie_breaks":
			s.TieBreaks = list(r, func(r *reader) TieBreak { return TieBreak(r.str()) })
		case "seeding":
			s.Seeding = Seeding(r.str())
		case "random_seed":
			s.RandomSeed = r.uint64()
		case "require_check_in":
			s.RequireCheckIn = r.boolean()
		case "scheduled_start":
			at := r.time()
			s.ScheduledStart = &at
		case "check_in_window":
			s.CheckInWindow = r.duration()
		case "match_time_limit":
			s.MatchTimeLimit = r.duration()
		case "round_time_limit":
			s.RoundTimeLimit = r.duration()
		case "warn_before":
			s.WarnBefore = r.duration()
		case "on_timeout":
			s.OnTimeout = TimeoutRule(r.str())
		case "playoff":
			p := new(Playoff)
			s.Playoff = p
			r.object(func(k []byte) {
				switch string(k) {
				case "format":
					p.Format = Format(r.str())
				case "advance":
					p.Advance = r.int()
				case "best_of":
					p.BestOf = r.int()
				case "third_place":
					p.ThirdPlace = r.boolean()
				case "grand_final":
					p.GrandFinal = GrandFinal(r.str())
				default:
					r.fail()
				}
			})
		case "retention":
			r.object(func(k []byte) {
				switch string(k) {
				case "finished":
					s.Retention.Finished = r.duration()
				case "idle":
					s.Retention.Idle = r.duration()
				case "log":
					s.Retention.Log = r.duration()
				default:
					r.fail()
				}
			})
		default:
			r.fail()
		}
	})
}

// list reads a list of values, each by read.
func list[T any](r *reader, read func(*reader) T) []T {
	r.need("[")
	var v []T
	if r.lit("]") {
		return v
	}
	for !r.bad {
		v = append(v, read(r))
		if !r.lit(",") {
			r.need("]")
			break
		}
	}
	return v
}

// number is the bytes of a JSON number (nil, failing, when none is there).
func (r *reader) number() []byte {
	j := r.i
	for j < len(r.b) && strings.IndexByte("-+.eE0123456789", r.b[j]) >= 0 {
		j++
	}
	if r.bad || j == r.i {
		r.fail()
		return nil
	}
	n := r.b[r.i:j]
	r.i = j
	return n
}

func (r *reader) float() float64 {
	f, err := strconv.ParseFloat(string(r.number()), 64)
	if err != nil {
		r.fail()
	}
	return f
}

func (r *reader) uint64() uint64 {
	n, err := strconv.ParseUint(string(r.number()), 10, 64)
	if err != nil {
		r.fail()
	}
	return n
}

// duration reads a Duration as its MarshalJSON writes it ("1m30s").
func (r *reader) duration() Duration {
	d, err := time.ParseDuration(string(r.text()))
	if err != nil {
		r.fail()
	}
	return Duration(d)
}
