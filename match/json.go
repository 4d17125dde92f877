package match

import (
	"encoding/json"
	"strconv"

	"github.com/tourhub/tourhub/internal/jsonw"
)

// Matches and the events of results are what a node encodes most: in the fields and events of
// every commit and in the events sent to sockets. encoding/json finds their fields by reflection
// and calls PlayerID.MarshalJSON four times a match, then checks and copies what it returned;
// AppendJSON and AppendEvents write the same bytes directly: about nine times as fast for a
// match and six for the events of a result (BenchmarkMatchJSON). TestMatchJSONAsEncodingJSON
// holds them to encoding/json's bytes, and TestJSONAppendersKnowEveryField fails when a type they
// write gains a field.
//
// They are functions to call, not MarshalJSON methods: encoding/json checks and copies the
// bytes of every MarshalJSON it calls, which costs a match more than its reflection does, so a
// match inside any other value (a snapshot, an HTTP answer) is left to encoding/json as before.

// AppendEvents appends events as encoding/json writes them, and no events (nil too) as [].
func AppendEvents(b []byte, events []Event) ([]byte, error) {
	b = append(b, '[')
	for i := range events {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = events[i].AppendJSON(b); err != nil {
			return nil, err
		}
	}
	return append(b, ']'), nil
}

// AppendJSON appends e as encoding/json writes it: its matches directly, its other values (a
// participant, standings, settings) by encoding/json.
func (e *Event) AppendJSON(b []byte) ([]byte, error) {
	b = append(b, `{"type":`...)
	b = jsonw.AppendString(b, string(e.Type))
	b = appendNumber(b, `,"player":`, int(e.Player))
	b = appendNumber(b, `,"round":`, int(e.Round))
	var err error
	if e.Match != nil {
		b = append(b, `,"match":`...)
		if b, err = e.Match.AppendJSON(b); err != nil {
			return nil, err
		}
	}
	b = appendNumber(b, `,"match_id":`, int(e.MatchID))
	if e.Slots != nil {
		b = append(b, `,"slots":{"players":`...)
		b = appendPlayers(b, e.Slots.Players)
		b = append(b, `,"filled":`...)
		b = appendBools(b, e.Slots.Filled)
		b = append(b, '}')
	}
	if e.Was != nil {
		b = append(b, `,"was":`...)
		if b, err = e.Was.AppendJSON(b); err != nil {
			return nil, err
		}
	}
	if len(e.Matches) > 0 {
		b = append(b, `,"matches":[`...)
		for i := range e.Matches {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = e.Matches[i].AppendJSON(b); err != nil {
				return nil, err
			}
		}
		b = append(b, ']')
	}
	if e.Participant != nil {
		if b, err = appendValue(b, `,"participant":`, e.Participant); err != nil {
			return nil, err
		}
	}
	if len(e.Participants) > 0 {
		if b, err = appendValue(b, `,"participants":`, e.Participants); err != nil {
			return nil, err
		}
	}
	if len(e.Qualifiers) > 0 {
		if b, err = appendValue(b, `,"qualifiers":`, e.Qualifiers); err != nil {
			return nil, err
		}
	}
	if len(e.Standings) > 0 {
		if b, err = appendValue(b, `,"standings":`, e.Standings); err != nil {
			return nil, err
		}
	}
	if e.Settings != nil {
		if b, err = appendValue(b, `,"settings":`, e.Settings); err != nil {
			return nil, err
		}
	}
	if e.Name != "" {
		b = append(b, `,"name":`...)
		b = jsonw.AppendString(b, e.Name)
	}
	if e.Description != "" {
		b = append(b, `,"description":`...)
		b = jsonw.AppendString(b, e.Description)
	}
	if e.Reason != "" {
		b = append(b, `,"reason":`...)
		b = jsonw.AppendString(b, e.Reason)
	}
	if !e.At.IsZero() {
		b = append(b, `,"at":`...)
		if b, err = jsonw.AppendTime(b, e.At); err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
}

// appendNumber appends a member name and n, unless n is 0 (omitempty).
func appendNumber(b []byte, name string, n int) []byte {
	if n == 0 {
		return b
	}
	b = append(b, name...)
	return strconv.AppendInt(b, int64(n), 10)
}

// appendTrue appends a member name and true, unless v is false (omitempty).
func appendTrue(b []byte, name string, v bool) []byte {
	if !v {
		return b
	}
	b = append(b, name...)
	return append(b, "true"...)
}

// appendValue appends a member name and v as encoding/json writes it.
func appendValue(b []byte, name string, v any) ([]byte, error) {
	j, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	b = append(b, name...)
	return append(b, j...), nil
}

// AppendJSON appends m as encoding/json writes it: the struct's fields in order, with their tags'
// names and omitempty / omitzero rules.
func (m *Match) AppendJSON(b []byte) ([]byte, error) {
	b = append(b, `{"id":`...)
	b = strconv.AppendInt(b, int64(m.ID), 10)
	b = append(b, `,"bracket":`...)
	b = jsonw.AppendString(b, string(m.Bracket))
	b = append(b, `,"round":`...)
	b = strconv.AppendInt(b, int64(m.Round), 10)
	b = appendNumber(b, `,"group":`, int(m.Group))
	b = append(b, `,"status":`...)
	b = jsonw.AppendString(b, string(m.Status))
	b = append(b, `,"players":`...)
	b = appendPlayers(b, m.Players)
	if m.Filled != [2]bool{} {
		b = append(b, `,"filled":`...)
		b = appendBools(b, m.Filled)
	}
	if m.Feeds != [2]Feed{} {
		b = append(b, `,"feeds":[`...)
		b = appendFeed(b, m.Feeds[0])
		b = append(b, ',')
		b = appendFeed(b, m.Feeds[1])
		b = append(b, ']')
	}
	b = append(b, `,"scores":`...)
	b = appendPair(b, m.Scores)
	if m.Games != nil {
		// omitempty leaves out a nil pointer only: a pointer to no games is written as null.
		b = append(b, `,"games":`...)
		b = appendGames(b, *m.Games)
	}
	b = append(b, `,"winner":`...)
	b = appendPlayer(b, m.Winner)
	b = append(b, `,"loser":`...)
	b = appendPlayer(b, m.Loser)
	b = appendTrue(b, `,"draw":`, m.Draw)
	b = appendTrue(b, `,"walkover":`, m.Walkover)
	if m.Forfeited != [2]bool{} {
		b = append(b, `,"forfeited":`...)
		b = appendBools(b, m.Forfeited)
	}
	if m.Reports != [2]*Report{} {
		b = append(b, `,"reports":[`...)
		b = appendReport(b, m.Reports[0])
		b = append(b, ',')
		b = appendReport(b, m.Reports[1])
		b = append(b, ']')
	}
	var err error
	if !m.ReadyAt.IsZero() {
		b = append(b, `,"ready_at":`...)
		if b, err = jsonw.AppendTime(b, m.ReadyAt); err != nil {
			return nil, err
		}
	}
	if !m.Deadline.IsZero() {
		b = append(b, `,"deadline":`...)
		if b, err = jsonw.AppendTime(b, m.Deadline); err != nil {
			return nil, err
		}
	}
	b = appendTrue(b, `,"warned":`, m.Warned)
	b = appendTrue(b, `,"overdue":`, m.Overdue)
	b = appendNumber(b, `,"winner_to":`, int(m.WinnerTo))
	b = appendNumber(b, `,"loser_to":`, int(m.LoserTo))
	return append(b, '}'), nil
}

func appendPlayers(b []byte, p [2]PlayerID) []byte {
	b = append(b, '[')
	b = appendPlayer(b, p[0])
	b = append(b, ',')
	b = appendPlayer(b, p[1])
	return append(b, ']')
}

// appendPlayer writes a player id as PlayerID.MarshalJSON does: nobody as null.
func appendPlayer(b []byte, p PlayerID) []byte {
	if p == 0 {
		return append(b, "null"...)
	}
	return strconv.AppendInt(b, int64(p), 10)
}

func appendBools(b []byte, v [2]bool) []byte {
	b = append(b, '[')
	b = strconv.AppendBool(b, v[0])
	b = append(b, ',')
	b = strconv.AppendBool(b, v[1])
	return append(b, ']')
}

func appendPair(b []byte, v [2]int) []byte {
	b = append(b, '[')
	b = strconv.AppendInt(b, int64(v[0]), 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(v[1]), 10)
	return append(b, ']')
}

func appendFeed(b []byte, f Feed) []byte {
	b = append(b, '{')
	if f.Match != 0 {
		b = append(b, `"match":`...)
		b = strconv.AppendInt(b, int64(f.Match), 10)
	}
	if f.Take != "" {
		if f.Match != 0 {
			b = append(b, ',')
		}
		b = append(b, `"take":`...)
		b = jsonw.AppendString(b, string(f.Take))
	}
	return append(b, '}')
}

// appendGames writes games as encoding/json writes a slice: a nil one as null.
func appendGames(b []byte, g Games) []byte {
	if g == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, p := range g {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendPair(b, p)
	}
	return append(b, ']')
}

func appendReport(b []byte, r *Report) []byte {
	if r == nil {
		return append(b, "null"...)
	}
	b = append(b, `{"scores":`...)
	b = appendPair(b, r.Scores)
	if len(r.Games) > 0 {
		b = append(b, `,"games":`...)
		b = appendGames(b, r.Games)
	}
	return append(b, '}')
}
