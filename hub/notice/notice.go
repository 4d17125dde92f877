// Package notice derives the personal messages of a tournament's players from its committed
// entries (docs/protocol.md#notice): the fan-out sends them live to each player's sockets, and the
// API answers the ones a player missed (GET /api/tournaments/{id}/notices), derived the same way
// from the log.
package notice

import (
	"fmt"
	"strconv"
	"time"

	"github.com/tourhub/tourhub/hub/store"
	"github.com/tourhub/tourhub/internal/jsonw"
	"github.com/tourhub/tourhub/match"
)

// Notice kinds (docs/protocol.md#notice).
const (
	NoticeMatchReady = "match_ready"
	NoticeMatchWon   = "match_won"
	NoticeEliminated = "eliminated"
	NoticeDisputed   = "disputed"
	NoticeWalkover   = "walkover"
	NoticeFinished   = "finished"
	NoticeReported   = "reported"
	NoticeWarning    = "deadline_warning"
	NoticeTimedOut   = "timed_out"
	NoticeCheckIn    = "check_in_open"
	NoticeCheckInEnd = "check_in_closing"
	NoticeCorrected  = "corrected"
	NoticeQualified  = "qualified"
)

type noticePlayer struct {
	ID   match.PlayerID `json:"id"`
	Name string         `json:"name"`
}

type noticePlacement struct {
	Rank   int `json:"rank"`
	RankTo int `json:"rank_to"`
}

type noticeMsg struct {
	Type       string           `json:"type"`
	Tournament string           `json:"tournament"`
	Version    int64            `json:"version"`
	Kind       string           `json:"kind"`
	Match      match.MatchID    `json:"match,omitempty"`
	Opponent   *noticePlayer    `json:"opponent,omitempty"`
	Placement  *noticePlacement `json:"placement,omitempty"`
	// Deadline is when the match must be reported (match_ready, deadline_warning) or when
	// check-in closes (check_in_open, check_in_closing).
	Deadline *time.Time `json:"deadline,omitempty"`
	Text     string     `json:"text"`
}

// appendNotice appends n as encoding/json writes it, without reflection (a result derives a
// notice or two for each of its players: TestNoticeAsEncodingJSON).
func appendNotice(b []byte, n *noticeMsg) ([]byte, error) {
	b = append(b, `{"type":`...)
	b = jsonw.AppendString(b, n.Type)
	b = append(b, `,"tournament":`...)
	b = jsonw.AppendString(b, n.Tournament)
	b = append(b, `,"version":`...)
	b = strconv.AppendInt(b, n.Version, 10)
	b = append(b, `,"kind":`...)
	b = jsonw.AppendString(b, n.Kind)
	if n.Match != 0 {
		b = append(b, `,"match":`...)
		b = strconv.AppendInt(b, int64(n.Match), 10)
	}
	if o := n.Opponent; o != nil {
		b = match.AppendPlayer(append(b, `,"opponent":{"id":`...), o.ID)
		b = append(b, `,"name":`...)
		b = append(jsonw.AppendString(b, o.Name), '}')
	}
	if p := n.Placement; p != nil {
		b = append(b, `,"placement":{"rank":`...)
		b = strconv.AppendInt(b, int64(p.Rank), 10)
		b = append(b, `,"rank_to":`...)
		b = append(strconv.AppendInt(b, int64(p.RankTo), 10), '}')
	}
	if n.Deadline != nil {
		var err error
		b = append(b, `,"deadline":`...)
		if b, err = jsonw.AppendTime(b, *n.Deadline); err != nil {
			return nil, err
		}
	}
	b = append(b, `,"text":`...)
	return append(jsonw.AppendString(b, n.Text), '}'), nil
}

// Derive returns the personal messages of one entry, each encoded as its `notice` message, by
// player. names maps player ids to names (players it lacks are called "player N"). A notice that
// cannot be encoded is left out, and the error says which.
func Derive(id string, e store.Entry, names map[match.PlayerID]string) (map[match.PlayerID][][]byte, error) {
	return DeriveFor(id, e, names, nil)
}

// DeriveFor is Derive for the players that want selects only (nil: every player): the others'
// notices are neither built nor encoded. A node derives the notices of the players it holds a
// socket of, the notices API those of the one player who asks.
func DeriveFor(id string, e store.Entry, names map[match.PlayerID]string, want func(match.PlayerID) bool) (map[match.PlayerID][][]byte, error) {
	return derive(id, e, roster{
		name: func(p match.PlayerID) string { return names[p] },
		each: func(f func(match.PlayerID)) {
			for p := range names {
				f(p)
			}
		},
	}, want)
}

// DeriveFrom is DeriveFor with the names of t's participants: t is the state the entry made (the
// node that commits it derives its notices once for every node: fanout's annex).
func DeriveFrom(id string, e store.Entry, t *match.Tournament, want func(match.PlayerID) bool) (map[match.PlayerID][][]byte, error) {
	return derive(id, e, roster{
		name: t.PlayerName,
		each: func(f func(match.PlayerID)) {
			for i := range t.Participants {
				f(t.Participants[i].ID)
			}
		},
	}, want)
}

// roster is who the players are: each one's name ("" when not known) and every one of them.
type roster struct {
	name func(match.PlayerID) string
	each func(func(match.PlayerID))
}

func derive(id string, e store.Entry, names roster, want func(match.PlayerID) bool) (map[match.PlayerID][][]byte, error) {
	nb := noticeBuilder{id: id, version: e.Version, names: names, want: want,
		ready: make(map[match.MatchID]bool), done: make(map[match.MatchID]bool)}
	// A correction is told as one notice per player of the corrected match, saying what changed
	// and whether it put them out or back in: not as a "you beat" or "you were eliminated" of a
	// match they had already been told the result of.
	var fix correction
	for _, ev := range e.Events {
		if ev.Type == match.EvCorrected && ev.Match != nil {
			if fix.matches == nil {
				fix = correction{matches: map[match.MatchID]bool{}, out: map[match.PlayerID]bool{}, back: map[match.PlayerID]bool{}}
			}
			fix.matches[ev.Match.ID] = true
			nb.done[ev.Match.ID] = true // no match_won or walkover notice of its own
		}
	}
	playoff := false // the entry starts a playoff: its eliminations are of who did not qualify
	for _, ev := range e.Events {
		switch ev.Type {
		case match.EvReinstated:
			if fix.back != nil {
				fix.back[ev.Player] = true
			}
		case match.EvPlayoffStarted:
			playoff = true
		}
	}
	// The match each player lost (or was forfeited out of, both sides of a double forfeit
	// included) in this entry, the first one when several, for the elimination notice: the
	// player_eliminated event names only the player.
	lostIn := make(map[match.PlayerID]*match.Match)
	for _, ev := range e.Events {
		if m := ev.Match; m != nil && (ev.Type == match.EvMatchCompleted || ev.Type == match.EvMatchVoid) && !m.Draw {
			for _, p := range m.Players {
				if _, ok := lostIn[p]; !ok && p != 0 && p != m.Winner {
					lostIn[p] = m
				}
			}
		}
	}
	for _, ev := range e.Events {
		switch ev.Type {
		case match.EvMatchReady:
			if ev.Match != nil {
				nb.matchReady(ev.Match)
			}
		case match.EvStarted, match.EvRoundStarted, match.EvPlayoffStarted:
			// The new matches: ready ones, and the byes that are already won (a Swiss bye has no
			// match_completed event of its own; an elimination bye has one too, sent once).
			for i := range ev.Matches {
				switch m := &ev.Matches[i]; m.Status {
				case match.MatchReady:
					nb.matchReady(m)
				case match.MatchCompleted:
					nb.completed(m)
				}
			}
		case match.EvMatchCompleted:
			if ev.Match != nil {
				nb.completed(ev.Match)
			}
		case match.EvMatchReset:
			if ev.Match != nil {
				delete(nb.done, ev.Match.ID) // it may complete again in this entry
			}
		case match.EvEliminated:
			m := ev.Match
			if m == nil {
				m = lostIn[ev.Player]
			}
			if m == nil && playoff {
				nb.add(ev.Player, noticeMsg{Kind: NoticeEliminated, Text: "The group stage is over and you did not qualify for the playoff."})
				continue
			}
			if m != nil && fix.matches[m.ID] {
				fix.out[ev.Player] = true // told in the correction's notice
				continue
			}
			nb.eliminated(ev.Player, m)
		case match.EvCorrected:
			if ev.Match != nil && ev.Was != nil {
				nb.corrected(ev.Match, ev.Was, fix)
			}
		case match.EvMatchDisputed:
			if m := ev.Match; m != nil {
				for _, p := range m.Players {
					if p != 0 {
						nb.add(p, noticeMsg{Kind: NoticeDisputed, Match: m.ID,
							Text: fmt.Sprintf("The scores reported for match %d disagree; the organiser will decide.", m.ID)})
					}
				}
			}
		case match.EvMatchReported:
			nb.reported(ev.Match, ev.Player)
		case match.EvDeadlineWarning:
			if m := ev.Match; m != nil {
				for i, p := range m.Players {
					nb.add(p, noticeMsg{Kind: NoticeWarning, Match: m.ID, Deadline: deadline(m.Deadline),
						Text: fmt.Sprintf("Your %s against %s must be reported by %s UTC, or the time limit rule applies.",
							matchLabel(m), nb.name(m.Players[1-i]), m.Deadline.UTC().Format("15:04:05"))})
				}
			}
		case match.EvTimedOut:
			if m := ev.Match; m != nil {
				for _, p := range m.Players {
					nb.add(p, noticeMsg{Kind: NoticeTimedOut, Match: m.ID,
						Text: fmt.Sprintf("The time for your %s ran out (%s).", matchLabel(m), ev.Reason)})
				}
			}
		case match.EvCheckInOpened:
			at := ev.At
			nb.names.each(func(p match.PlayerID) {
				nb.add(p, noticeMsg{Kind: NoticeCheckIn, Deadline: &at,
					Text: fmt.Sprintf("Check-in is open until %s UTC: check in or you will be dropped.", at.UTC().Format("15:04:05"))})
			})
		case match.EvCheckInClosing:
			at := ev.At
			for _, p := range ev.Participants {
				nb.add(p.ID, noticeMsg{Kind: NoticeCheckInEnd, Deadline: &at,
					Text: fmt.Sprintf("Check-in closes at %s UTC and you have not checked in: check in now or you will be dropped.", at.UTC().Format("15:04:05"))})
			}
		case match.EvGroupStageFinished:
			for i, p := range ev.Qualifiers {
				nb.add(p, noticeMsg{Kind: NoticeQualified, Text: fmt.Sprintf(
					"The group stage is over: you qualified for the playoff as seed %d (the organiser starts it).", i+1)})
			}
		case match.EvFinished:
			for _, s := range ev.Standings {
				nb.add(s.Player, noticeMsg{Kind: NoticeFinished,
					Placement: &noticePlacement{Rank: s.Rank, RankTo: s.RankTo},
					Text:      "The tournament is over: you placed " + placement(s.Rank, s.RankTo) + "."})
			}
		}
	}
	return nb.out, nb.err
}

type noticeBuilder struct {
	id      string
	version int64
	names   roster
	want    func(match.PlayerID) bool // whose notices are built (nil: everyone's)
	ready   map[match.MatchID]bool    // matches announced as ready in this entry
	done    map[match.MatchID]bool    // matches whose result was announced in this entry
	out     map[match.PlayerID][][]byte
	err     error // the first notice that could not be encoded (it is left out)
}

func (nb *noticeBuilder) name(p match.PlayerID) string {
	if n := nb.names.name(p); n != "" {
		return n
	}
	return "player " + strconv.Itoa(int(p))
}

// wants reports whether p's notices are to be built.
func (nb *noticeBuilder) wants(p match.PlayerID) bool {
	return p != 0 && (nb.want == nil || nb.want(p))
}

func (nb *noticeBuilder) add(p match.PlayerID, n noticeMsg) {
	if !nb.wants(p) {
		return
	}
	n.Type, n.Tournament, n.Version = "notice", nb.id, nb.version
	b, err := appendNotice(make([]byte, 0, 192+len(n.Text)), &n)
	if err != nil {
		// Not expected (plain data, times within the engine's bounds); the notice is left out and
		// the caller logs it, rather than the node going down.
		if nb.err == nil {
			nb.err = fmt.Errorf("encode %s notice for player %d: %w", n.Kind, p, err)
		}
		return
	}
	if nb.out == nil {
		nb.out = make(map[match.PlayerID][][]byte)
	}
	nb.out[p] = append(nb.out[p], b)
}

func (nb *noticeBuilder) matchReady(m *match.Match) {
	a, b := m.Players[0], m.Players[1]
	if a == 0 || b == 0 || nb.ready[m.ID] {
		return
	}
	nb.ready[m.ID] = true
	for i, p := range m.Players {
		if !nb.wants(p) {
			continue // not built, so not formatted either
		}
		opp := m.Players[1-i]
		nb.add(p, noticeMsg{Kind: NoticeMatchReady, Match: m.ID, Deadline: deadline(m.Deadline),
			Opponent: &noticePlayer{ID: opp, Name: nb.name(opp)},
			Text:     "Your " + matchLabel(m) + " against " + nb.name(opp) + " is ready."})
	}
}

func (nb *noticeBuilder) completed(m *match.Match) {
	if m.Winner == 0 || nb.done[m.ID] {
		return // a draw or a void: no personal message; or already announced
	}
	nb.done[m.ID] = true
	if !nb.wants(m.Winner) {
		return
	}
	w := 0
	if m.Players[1] == m.Winner {
		w = 1
	}
	if m.Walkover {
		text := fmt.Sprintf("You advance from match %d by walkover.", m.ID)
		switch {
		case m.Loser != 0:
			text = fmt.Sprintf("You win match %d against %s by walkover.", m.ID, nb.name(m.Loser))
		case m.Bracket == match.BracketSwiss:
			text = fmt.Sprintf("You have a bye in round %d (match %d): it counts as a win.", m.Round, m.ID)
		}
		nb.add(m.Winner, noticeMsg{Kind: NoticeWalkover, Match: m.ID, Text: text})
		return
	}
	nb.add(m.Winner, noticeMsg{Kind: NoticeMatchWon, Match: m.ID,
		Text: "You beat " + nb.name(m.Loser) + " (" + score(m.Scores[w], m.Scores[1-w]) + ")."})
}

// eliminated tells p they are out, with the match that put them out when this entry has it (a
// player who withdraws between matches has none).
func (nb *noticeBuilder) eliminated(p match.PlayerID, m *match.Match) {
	n := noticeMsg{Kind: NoticeEliminated, Text: "You were eliminated."}
	if m != nil {
		n.Match = m.ID
		switch {
		case m.Winner == 0:
			n.Text = fmt.Sprintf("You were eliminated: nobody won match %d (a double forfeit).", m.ID)
		case m.Walkover:
			n.Text = fmt.Sprintf("You were eliminated: %s won match %d by walkover.", nb.name(m.Winner), m.ID)
		default:
			l := 0
			if m.Players[1] == p {
				l = 1
			}
			n.Text = "You were eliminated by " + nb.name(m.Winner) + " (" + score(m.Scores[l], m.Scores[1-l]) + ")."
		}
	}
	nb.add(p, n)
}

// correction is what an entry's corrections changed for the players.
type correction struct {
	matches map[match.MatchID]bool  // the corrected matches
	out     map[match.PlayerID]bool // eliminated by a corrected match
	back    map[match.PlayerID]bool // reinstated
}

// corrected tells both players of a corrected match what the organiser changed: the result now
// and before, each from the recipient's side, and whether it put them out or back in.
func (nb *noticeBuilder) corrected(m, was *match.Match, fix correction) {
	for i, p := range m.Players {
		if p == 0 {
			continue
		}
		opp := m.Players[1-i]
		text := fmt.Sprintf("The organiser corrected your %s against %s (match %d): it is now %s; it was %s.",
			matchLabel(m), nb.name(opp), m.ID, outcome(m, i), outcome(was, i))
		switch {
		case fix.out[p]:
			text += " You are out of the tournament."
		case fix.back[p]:
			text += " You are back in the tournament."
		}
		nb.add(p, noticeMsg{Kind: NoticeCorrected, Match: m.ID, Opponent: &noticePlayer{ID: opp, Name: nb.name(opp)}, Text: text})
	}
}

// outcome says a match's result from side i: "2-1 (you won)", "a walkover (you lost)".
func outcome(m *match.Match, i int) string {
	you := "you lost"
	switch {
	case m.Status != match.MatchCompleted:
		return "not decided"
	case m.Draw:
		you = "a draw"
	case m.Winner == m.Players[i]:
		you = "you won"
	}
	if m.Walkover {
		return "a walkover (" + you + ")"
	}
	return fmt.Sprintf("%d-%d (%s)", m.Scores[i], m.Scores[1-i], you)
}

// reported tells the opponent of the player who reported.
func (nb *noticeBuilder) reported(m *match.Match, by match.PlayerID) {
	if m == nil || by == 0 {
		return
	}
	for i, p := range m.Players {
		if p != by || !nb.wants(m.Players[1-i]) {
			continue
		}
		opp := m.Players[1-i]
		scores := m.Scores
		if r := m.Reports[i]; r != nil {
			scores = r.Scores
		}
		// Scores as the recipient sees them: theirs first.
		nb.add(opp, noticeMsg{Kind: NoticeReported, Match: m.ID,
			Opponent: &noticePlayer{ID: by, Name: nb.name(by)},
			Text: nb.name(by) + " reported match " + strconv.Itoa(int(m.ID)) + " as " + score(scores[1-i], scores[i]) +
				" (your score first): report the same to confirm, or your scores to dispute."})
	}
}

func matchLabel(m *match.Match) string {
	switch m.Bracket {
	case match.BracketGrandFinal:
		if m.Round > 1 {
			return "grand final reset"
		}
		return "grand final"
	case match.BracketThirdPlace:
		return "third-place match"
	case match.BracketLosers:
		return "losers round " + strconv.Itoa(m.Round) + " match"
	}
	return "round " + strconv.Itoa(m.Round) + " match"
}

// score writes a pair of scores: "2-1". The notices of every result are built with it and
// concatenation rather than fmt, which costs a follower more than the rest of the notice.
func score(a, b int) string { return strconv.Itoa(a) + "-" + strconv.Itoa(b) }

// placement writes a (possibly tied) placement: "1st", "3rd-4th".
func placement(rank, to int) string {
	if to <= rank {
		return ordinal(rank)
	}
	return ordinal(rank) + "-" + ordinal(to)
}

func ordinal(n int) string {
	suffix := "th"
	if n%100 < 11 || n%100 > 13 {
		switch n % 10 {
		case 1:
			suffix = "st"
		case 2:
			suffix = "nd"
		case 3:
			suffix = "rd"
		}
	}
	return strconv.Itoa(n) + suffix
}

// deadline returns a pointer to t, or nil when there is no deadline.
func deadline(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
