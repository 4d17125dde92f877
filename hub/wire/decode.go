package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/tourhub/tourhub/match"
)

// Message is a decoded v2 event message.
type Message struct {
	Tournament string
	Version    int64
	Rev        string
	Events     []match.Event
}

// Decode reads a v2 event message (AppendEvent's form). It is the reference reader for Go
// clients; the hub itself only writes the form.
func Decode(b []byte) (Message, error) {
	var parts []json.RawMessage
	if err := json.Unmarshal(b, &parts); err != nil {
		return Message{}, fmt.Errorf("v2 event message: %w", err)
	}
	var m Message
	var kind string
	var events []json.RawMessage
	if len(parts) != 5 {
		return Message{}, fmt.Errorf("v2 event message: %d parts; want 5", len(parts))
	}
	for i, dst := range []any{&kind, &m.Tournament, &m.Version, &m.Rev, &events} {
		if err := json.Unmarshal(parts[i], dst); err != nil {
			return Message{}, fmt.Errorf("v2 event message, part %d: %w", i+1, err)
		}
	}
	if kind != "event" {
		return Message{}, fmt.Errorf("v2 message %q is not an event message", kind)
	}
	m.Events = make([]match.Event, len(events))
	for i, raw := range events {
		if err := decodeEvent(raw, &m.Events[i]); err != nil {
			return Message{}, fmt.Errorf("event %d: %w", i+1, err)
		}
	}
	return m, nil
}

// DecodeMatches reads a list of compact matches (AppendMatches' form): a v2 snapshot's
// state.matches.
func DecodeMatches(b []byte) ([]match.Match, error) {
	return decodeAll(b, matchDecoders, "match")
}

// DecodeStandings reads a list of compact standings (AppendStandings' form).
func DecodeStandings(b []byte) ([]match.Standing, error) {
	return decodeAll(b, standingDecoders, "standing")
}

// decodeAll reads a JSON list of compact lists of fields.
func decodeAll[T any](b []byte, decoders []func(json.RawMessage, *T) error, what string) ([]T, error) {
	var list []json.RawMessage
	if err := json.Unmarshal(b, &list); err != nil {
		return nil, fmt.Errorf("compact %ss: %w", what, err)
	}
	xs := make([]T, len(list))
	for i, raw := range list {
		if err := decodeList(raw, &xs[i], decoders); err != nil {
			return nil, fmt.Errorf("compact %s %d: %w", what, i+1, err)
		}
	}
	return xs, nil
}

// decodeList reads one compact list of fields into x.
func decodeList[T any](raw json.RawMessage, x *T, decoders []func(json.RawMessage, *T) error) error {
	ps, err := positions(raw)
	if err != nil {
		return err
	}
	return decodeFields(ps, x, decoders)
}

// decodeFields reads the positions ps (positions' form) into x, one decoder each.
func decodeFields[T any](ps []json.RawMessage, x *T, decoders []func(json.RawMessage, *T) error) error {
	if len(ps) > len(decoders) {
		return fmt.Errorf("%d fields; at most %d", len(ps), len(decoders))
	}
	for k, p := range ps {
		if p == nil {
			continue
		}
		if err := decoders[k](p, x); err != nil {
			return fmt.Errorf("field %d: %w", k+1, err)
		}
	}
	return nil
}

// standingDecoders read standingFields' positions, in their order.
var standingDecoders = []func(json.RawMessage, *match.Standing) error{
	func(p json.RawMessage, s *match.Standing) error { return json.Unmarshal(p, &s.Player) },
	func(p json.RawMessage, s *match.Standing) error { return json.Unmarshal(p, &s.Rank) },
	func(p json.RawMessage, s *match.Standing) error { return json.Unmarshal(p, &s.RankTo) },
	func(p json.RawMessage, s *match.Standing) error { return json.Unmarshal(p, &s.Wins) },
	func(p json.RawMessage, s *match.Standing) error { return json.Unmarshal(p, &s.Draws) },
	func(p json.RawMessage, s *match.Standing) error { return json.Unmarshal(p, &s.Losses) },
	func(p json.RawMessage, s *match.Standing) error { return json.Unmarshal(p, &s.Points) },
	func(p json.RawMessage, s *match.Standing) error { return json.Unmarshal(p, &s.GamesWon) },
	func(p json.RawMessage, s *match.Standing) error { return json.Unmarshal(p, &s.GamesLost) },
	func(p json.RawMessage, s *match.Standing) error { return json.Unmarshal(p, &s.Group) },
	func(p json.RawMessage, s *match.Standing) error { return json.Unmarshal(p, &s.GamePointsFor) },
	func(p json.RawMessage, s *match.Standing) error { return json.Unmarshal(p, &s.GamePointsAgainst) },
	func(p json.RawMessage, s *match.Standing) error { return json.Unmarshal(p, &s.TieBreaks) },
	func(p json.RawMessage, s *match.Standing) error { return flag(p, &s.Eliminated) },
}

// positions splits a compact list; a position written 0 is at its zero value (nil here).
func positions(raw json.RawMessage) ([]json.RawMessage, error) {
	var ps []json.RawMessage
	if err := json.Unmarshal(raw, &ps); err != nil {
		return nil, err
	}
	for i, p := range ps {
		if bytes.Equal(p, []byte("0")) {
			ps[i] = nil
		}
	}
	return ps, nil
}

func decodeEvent(raw json.RawMessage, ev *match.Event) error {
	ps, err := positions(raw)
	if err != nil {
		return err
	}
	if len(ps) == 0 || ps[0] == nil {
		return errors.New("no code")
	}
	var code string
	if err := json.Unmarshal(ps[0], &code); err != nil {
		return fmt.Errorf("code: %w", err)
	}
	ev.Type = match.EventType(code)
	if t, ok := types[code]; ok {
		ev.Type = t
	}
	return decodeFields(ps[1:], ev, eventDecoders)
}

func decodeMatch(raw json.RawMessage) (match.Match, error) {
	var m match.Match
	err := decodeList(raw, &m, matchDecoders)
	return m, err
}

// decodeFeeds reads appendFeeds' two numbers, or v1's two objects.
func decodeFeeds(raw json.RawMessage, m *match.Match) error {
	var n [2]int
	if err := json.Unmarshal(raw, &n); err != nil {
		return json.Unmarshal(raw, &m.Feeds)
	}
	for i, id := range n {
		switch {
		case id > 0:
			m.Feeds[i] = match.Feed{Match: match.MatchID(id), Take: match.TakeWinner}
		case id < 0:
			m.Feeds[i] = match.Feed{Match: match.MatchID(-id), Take: match.TakeLoser}
		}
	}
	return nil
}

func unmask(raw json.RawMessage, f *[2]bool) error {
	var n int
	if err := json.Unmarshal(raw, &n); err != nil {
		return err
	}
	f[0], f[1] = n&1 != 0, n&2 != 0
	return nil
}

func flag(raw json.RawMessage, f *bool) error {
	var n int
	if err := json.Unmarshal(raw, &n); err != nil {
		return err
	}
	*f = n != 0
	return nil
}

// eventDecoders read eventFields' positions, in their order.
var eventDecoders = []func(json.RawMessage, *match.Event) error{
	func(p json.RawMessage, e *match.Event) error {
		m, err := decodeMatch(p)
		e.Match = &m
		return err
	},
	func(p json.RawMessage, e *match.Event) error { return json.Unmarshal(p, &e.Player) },
	func(p json.RawMessage, e *match.Event) error { return json.Unmarshal(p, &e.MatchID) },
	func(p json.RawMessage, e *match.Event) error {
		var s [2]json.RawMessage
		if err := json.Unmarshal(p, &s); err != nil {
			return err
		}
		e.Slots = &match.Slots{}
		if err := json.Unmarshal(s[0], &e.Slots.Players); err != nil {
			return err
		}
		return unmask(s[1], &e.Slots.Filled)
	},
	func(p json.RawMessage, e *match.Event) error { return json.Unmarshal(p, &e.Round) },
	func(p json.RawMessage, e *match.Event) error { return json.Unmarshal(p, &e.Reason) },
	func(p json.RawMessage, e *match.Event) error { return json.Unmarshal(p, &e.At) },
	func(p json.RawMessage, e *match.Event) error {
		m, err := decodeMatch(p)
		e.Was = &m
		return err
	},
	func(p json.RawMessage, e *match.Event) error {
		var err error
		e.Matches, err = DecodeMatches(p)
		return err
	},
	func(p json.RawMessage, e *match.Event) error { return json.Unmarshal(p, &e.Participant) },
	func(p json.RawMessage, e *match.Event) error { return json.Unmarshal(p, &e.Participants) },
	func(p json.RawMessage, e *match.Event) error { return json.Unmarshal(p, &e.Qualifiers) },
	func(p json.RawMessage, e *match.Event) error {
		var err error
		e.Standings, err = DecodeStandings(p)
		return err
	},
	func(p json.RawMessage, e *match.Event) error { return json.Unmarshal(p, &e.Settings) },
	func(p json.RawMessage, e *match.Event) error { return json.Unmarshal(p, &e.Name) },
	func(p json.RawMessage, e *match.Event) error { return json.Unmarshal(p, &e.Description) },
}

// matchDecoders read matchFields' positions, in their order.
var matchDecoders = []func(json.RawMessage, *match.Match) error{
	func(p json.RawMessage, m *match.Match) error { return json.Unmarshal(p, &m.ID) },
	func(p json.RawMessage, m *match.Match) error { return json.Unmarshal(p, &m.Status) },
	func(p json.RawMessage, m *match.Match) error { return json.Unmarshal(p, &m.Bracket) },
	func(p json.RawMessage, m *match.Match) error { return json.Unmarshal(p, &m.Round) },
	func(p json.RawMessage, m *match.Match) error { return json.Unmarshal(p, &m.Players) },
	func(p json.RawMessage, m *match.Match) error { return json.Unmarshal(p, &m.Scores) },
	func(p json.RawMessage, m *match.Match) error { return json.Unmarshal(p, &m.Winner) },
	func(p json.RawMessage, m *match.Match) error { return json.Unmarshal(p, &m.Loser) },
	func(p json.RawMessage, m *match.Match) error { return json.Unmarshal(p, &m.WinnerTo) },
	func(p json.RawMessage, m *match.Match) error { return json.Unmarshal(p, &m.LoserTo) },
	func(p json.RawMessage, m *match.Match) error { return json.Unmarshal(p, &m.ReadyAt) },
	func(p json.RawMessage, m *match.Match) error { return unmask(p, &m.Filled) },
	func(p json.RawMessage, m *match.Match) error { return json.Unmarshal(p, &m.Group) },
	func(p json.RawMessage, m *match.Match) error { return json.Unmarshal(p, &m.Deadline) },
	decodeFeeds,
	func(p json.RawMessage, m *match.Match) error { return json.Unmarshal(p, &m.Games) },
	func(p json.RawMessage, m *match.Match) error { return flag(p, &m.Draw) },
	func(p json.RawMessage, m *match.Match) error { return flag(p, &m.Walkover) },
	func(p json.RawMessage, m *match.Match) error { return unmask(p, &m.Forfeited) },
	func(p json.RawMessage, m *match.Match) error { return json.Unmarshal(p, &m.Reports) },
	func(p json.RawMessage, m *match.Match) error { return flag(p, &m.Warned) },
	func(p json.RawMessage, m *match.Match) error { return flag(p, &m.Overdue) },
}
