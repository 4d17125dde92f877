// Package wire is the compact event message of the WebSocket protocol's tourhub.v2
// (docs/protocol.md#tourhubv2): the same events as tourhub.v1's, written positionally, so that
// the events of one result cost a spectator about a third of their v1 bytes. Every other message
// is the same in both versions.
//
// The form is lossless: Decode gives back the events AppendEvent was given, and a client expands
// the compact form into v1's event objects without any state of its own (static/js/wire.js does,
// for the pages). A v2 snapshot is v1's but for its state's matches and standings, lists of
// compact matches and standings (AppendMatches, AppendStandings; DecodeMatches, DecodeStandings).
//
//	["event", tournament, version, rev, [event, ...]]
//
// An event is [code, match, player, match_id, slots, round, reason, at, was, matches,
// participant, participants, qualifiers, standings, settings, name, description]: code is a
// one-letter alias for the five events of a result (Codes) or else the event's v1 type; a match
// (match, was, each of matches) is [id, status, bracket, round, players, scores, winner, loser,
// winner_to, loser_to, ready_at, filled, group, deadline, feeds, games, draw, walkover,
// forfeited, reports, warned, overdue]; a standing (in events and snapshots) is [player_id, rank,
// rank_to, wins, draws, losses, points, games_won, games_lost, group, game_points_for,
// game_points_against, tie_breaks, eliminated]. In every list a field at its zero value (absent
// in v1) is written 0 and the zeros at the end are left out; a field that is present is written
// as v1 writes it, except the pairs of flags (filled, forfeited, a slot's filled), which are a bit
// mask (1 the first slot, 2 the second), the flags draw, walkover, warned, overdue and eliminated
// (1), slots, which is [players, filled], and feeds, two numbers (the match a slot's player comes
// from: its winner positive, its loser negative; 0 a seeded slot).
package wire

import (
	"fmt"
	"math"
	"strconv"

	"github.com/tourhub/tourhub/internal/jsonw"
	"github.com/tourhub/tourhub/match"
)

// Protocol is the WebSocket subprotocol whose event messages are compact.
const Protocol = "tourhub.v2"

// Codes are the one-letter aliases of the events a result makes; any other event is written
// with its v1 type.
var Codes = map[match.EventType]string{
	match.EvMatchCompleted: "c",
	match.EvMatchReady:     "m",
	match.EvMatchReported:  "r",
	match.EvMatchUpdated:   "u",
	match.EvEliminated:     "x",
}

var types = func() map[string]match.EventType {
	m := make(map[string]match.EventType, len(Codes))
	for t, c := range Codes {
		m[c] = t
	}
	return m
}()

// AppendHead appends the members every answer to a client's message starts with, in both
// protocol versions, as encoding/json writes them: {"type":typ, "ref" when there is one, and
// "tournament", without the closing brace.
func AppendHead(b []byte, typ, ref, tournament string) []byte {
	b = append(b, `{"type":`...)
	b = jsonw.AppendString(b, typ)
	if ref != "" {
		b = append(b, `,"ref":`...)
		b = jsonw.AppendString(b, ref)
	}
	b = append(b, `,"tournament":`...)
	return jsonw.AppendString(b, tournament)
}

// AppendEvent appends to b the v2 event message of the entry at version (made by the commit rev)
// of tournament, whose events are events. It fails only on what v1's encoding fails on (a
// standing that is not a finite number).
func AppendEvent(b []byte, tournament string, version int64, rev string, events []match.Event) ([]byte, error) {
	b = append(b, `["event",`...)
	b = jsonw.AppendString(b, tournament)
	b = append(b, ',')
	b = strconv.AppendInt(b, version, 10)
	b = append(b, ',')
	b = jsonw.AppendString(b, rev)
	b = append(b, ",["...)
	for i := range events {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = appendEvent(b, &events[i]); err != nil {
			return nil, fmt.Errorf("event %d (%s): %w", i+1, events[i].Type, err)
		}
	}
	return append(b, "]]"...), nil
}

// field is one position of a compact list: whether it is at its zero value, and how it is written.
type field[T any] struct {
	zero func(*T) bool
	put  func([]byte, *T) ([]byte, error)
}

// appendList appends v as the positional list of fields, after the prefix (the event's code).
func appendList[T any](b []byte, v *T, fields []field[T], prefix func([]byte) []byte) ([]byte, error) {
	last := len(fields) - 1
	for last >= 0 && fields[last].zero(v) {
		last--
	}
	b = append(b, '[')
	if prefix != nil {
		b = prefix(b)
	}
	for i := 0; i <= last; i++ {
		if i > 0 || prefix != nil {
			b = append(b, ',')
		}
		if fields[i].zero(v) {
			b = append(b, '0')
			continue
		}
		var err error
		if b, err = fields[i].put(b, v); err != nil {
			return nil, err
		}
	}
	return append(b, ']'), nil
}

func appendEvent(b []byte, ev *match.Event) ([]byte, error) {
	code, ok := Codes[ev.Type]
	if !ok {
		code = string(ev.Type)
	}
	return appendList(b, ev, eventFields, func(b []byte) []byte { return jsonw.AppendString(b, code) })
}

func appendMatch(b []byte, m *match.Match) ([]byte, error) {
	return appendList(b, m, matchFields, nil)
}

// AppendMatches appends ms as a JSON list of compact matches: a v2 snapshot's state.matches.
func AppendMatches(b []byte, ms []match.Match) ([]byte, error) {
	return appendAll(b, ms, matchFields, "match")
}

// appendAll appends xs as a JSON list of compact lists of fields.
func appendAll[T any](b []byte, xs []T, fields []field[T], what string) ([]byte, error) {
	b = append(b, '[')
	for i := range xs {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = appendList(b, &xs[i], fields, nil); err != nil {
			return nil, fmt.Errorf("%s %d: %w", what, i+1, err)
		}
	}
	return append(b, ']'), nil
}

// eventFields are an event's positions after its code.
var eventFields = []field[match.Event]{
	{func(e *match.Event) bool { return e.Match == nil }, func(b []byte, e *match.Event) ([]byte, error) { return appendMatch(b, e.Match) }},
	{func(e *match.Event) bool { return e.Player == 0 }, func(b []byte, e *match.Event) ([]byte, error) { return strconv.AppendInt(b, int64(e.Player), 10), nil }},
	{func(e *match.Event) bool { return e.MatchID == 0 }, func(b []byte, e *match.Event) ([]byte, error) { return strconv.AppendInt(b, int64(e.MatchID), 10), nil }},
	{func(e *match.Event) bool { return e.Slots == nil }, func(b []byte, e *match.Event) ([]byte, error) {
		b = append(b, '[')
		b = appendPlayers(b, e.Slots.Players)
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(mask(e.Slots.Filled)), 10)
		return append(b, ']'), nil
	}},
	{func(e *match.Event) bool { return e.Round == 0 }, func(b []byte, e *match.Event) ([]byte, error) { return strconv.AppendInt(b, int64(e.Round), 10), nil }},
	{func(e *match.Event) bool { return e.Reason == "" }, func(b []byte, e *match.Event) ([]byte, error) { return jsonw.AppendString(b, e.Reason), nil }},
	{func(e *match.Event) bool { return e.At.IsZero() }, func(b []byte, e *match.Event) ([]byte, error) { return jsonw.AppendTime(b, e.At) }},
	{func(e *match.Event) bool { return e.Was == nil }, func(b []byte, e *match.Event) ([]byte, error) { return appendMatch(b, e.Was) }},
	{func(e *match.Event) bool { return len(e.Matches) == 0 }, func(b []byte, e *match.Event) ([]byte, error) { return AppendMatches(b, e.Matches) }},
	{func(e *match.Event) bool { return e.Participant == nil }, func(b []byte, e *match.Event) ([]byte, error) { return jsonw.AppendJSON(b, e.Participant) }},
	{func(e *match.Event) bool { return len(e.Participants) == 0 }, func(b []byte, e *match.Event) ([]byte, error) { return jsonw.AppendJSON(b, e.Participants) }},
	{func(e *match.Event) bool { return len(e.Qualifiers) == 0 }, func(b []byte, e *match.Event) ([]byte, error) { return jsonw.AppendJSON(b, e.Qualifiers) }},
	{func(e *match.Event) bool { return len(e.Standings) == 0 }, func(b []byte, e *match.Event) ([]byte, error) { return AppendStandings(b, e.Standings) }},
	{func(e *match.Event) bool { return e.Settings == nil }, func(b []byte, e *match.Event) ([]byte, error) { return jsonw.AppendJSON(b, e.Settings) }},
	{func(e *match.Event) bool { return e.Name == "" }, func(b []byte, e *match.Event) ([]byte, error) { return jsonw.AppendString(b, e.Name), nil }},
	{func(e *match.Event) bool { return e.Description == "" }, func(b []byte, e *match.Event) ([]byte, error) { return jsonw.AppendString(b, e.Description), nil }},
}

// AppendStandings appends ss as a JSON list of compact standings: a v2 snapshot's
// state.standings, and the standings of a v2 event.
func AppendStandings(b []byte, ss []match.Standing) ([]byte, error) {
	return appendAll(b, ss, standingFields, "standing")
}

// standingFields are a standing's positions.
var standingFields = []field[match.Standing]{
	{func(s *match.Standing) bool { return s.Player == 0 }, func(b []byte, s *match.Standing) ([]byte, error) {
		return strconv.AppendInt(b, int64(s.Player), 10), nil
	}},
	{func(s *match.Standing) bool { return s.Rank == 0 }, func(b []byte, s *match.Standing) ([]byte, error) { return strconv.AppendInt(b, int64(s.Rank), 10), nil }},
	{func(s *match.Standing) bool { return s.RankTo == 0 }, func(b []byte, s *match.Standing) ([]byte, error) {
		return strconv.AppendInt(b, int64(s.RankTo), 10), nil
	}},
	{func(s *match.Standing) bool { return s.Wins == 0 }, func(b []byte, s *match.Standing) ([]byte, error) { return strconv.AppendInt(b, int64(s.Wins), 10), nil }},
	{func(s *match.Standing) bool { return s.Draws == 0 }, func(b []byte, s *match.Standing) ([]byte, error) {
		return strconv.AppendInt(b, int64(s.Draws), 10), nil
	}},
	{func(s *match.Standing) bool { return s.Losses == 0 }, func(b []byte, s *match.Standing) ([]byte, error) {
		return strconv.AppendInt(b, int64(s.Losses), 10), nil
	}},
	{func(s *match.Standing) bool { return s.Points == 0 }, func(b []byte, s *match.Standing) ([]byte, error) { return appendFloat(b, s.Points) }},
	{func(s *match.Standing) bool { return s.GamesWon == 0 }, func(b []byte, s *match.Standing) ([]byte, error) {
		return strconv.AppendInt(b, int64(s.GamesWon), 10), nil
	}},
	{func(s *match.Standing) bool { return s.GamesLost == 0 }, func(b []byte, s *match.Standing) ([]byte, error) {
		return strconv.AppendInt(b, int64(s.GamesLost), 10), nil
	}},
	{func(s *match.Standing) bool { return s.Group == 0 }, func(b []byte, s *match.Standing) ([]byte, error) {
		return strconv.AppendInt(b, int64(s.Group), 10), nil
	}},
	{func(s *match.Standing) bool { return s.GamePointsFor == 0 }, func(b []byte, s *match.Standing) ([]byte, error) {
		return strconv.AppendInt(b, int64(s.GamePointsFor), 10), nil
	}},
	{func(s *match.Standing) bool { return s.GamePointsAgainst == 0 }, func(b []byte, s *match.Standing) ([]byte, error) {
		return strconv.AppendInt(b, int64(s.GamePointsAgainst), 10), nil
	}},
	{func(s *match.Standing) bool { return len(s.TieBreaks) == 0 }, func(b []byte, s *match.Standing) ([]byte, error) { return jsonw.AppendJSON(b, s.TieBreaks) }},
	{func(s *match.Standing) bool { return !s.Eliminated }, putTrue[match.Standing]},
}

// appendFloat appends f as encoding/json writes a float64 (and fails where it fails: NaN, ±Inf).
func appendFloat(b []byte, f float64) ([]byte, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, fmt.Errorf("unsupported value: %v", f)
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' { // 1e-07 as 1e-7, as encoding/json writes it
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, nil
}

// matchFields are a match's positions.
var matchFields = []field[match.Match]{
	{func(m *match.Match) bool { return m.ID == 0 }, func(b []byte, m *match.Match) ([]byte, error) { return strconv.AppendInt(b, int64(m.ID), 10), nil }},
	{func(m *match.Match) bool { return m.Status == "" }, func(b []byte, m *match.Match) ([]byte, error) { return jsonw.AppendString(b, string(m.Status)), nil }},
	{func(m *match.Match) bool { return m.Bracket == "" }, func(b []byte, m *match.Match) ([]byte, error) { return jsonw.AppendString(b, string(m.Bracket)), nil }},
	{func(m *match.Match) bool { return m.Round == 0 }, func(b []byte, m *match.Match) ([]byte, error) { return strconv.AppendInt(b, int64(m.Round), 10), nil }},
	{func(m *match.Match) bool { return m.Players == [2]match.PlayerID{} }, func(b []byte, m *match.Match) ([]byte, error) { return appendPlayers(b, m.Players), nil }},
	{func(m *match.Match) bool { return m.Scores == [2]int{} }, func(b []byte, m *match.Match) ([]byte, error) {
		b = append(b, '[')
		b = strconv.AppendInt(b, int64(m.Scores[0]), 10)
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(m.Scores[1]), 10)
		return append(b, ']'), nil
	}},
	{func(m *match.Match) bool { return m.Winner == 0 }, func(b []byte, m *match.Match) ([]byte, error) { return strconv.AppendInt(b, int64(m.Winner), 10), nil }},
	{func(m *match.Match) bool { return m.Loser == 0 }, func(b []byte, m *match.Match) ([]byte, error) { return strconv.AppendInt(b, int64(m.Loser), 10), nil }},
	{func(m *match.Match) bool { return m.WinnerTo == 0 }, func(b []byte, m *match.Match) ([]byte, error) {
		return strconv.AppendInt(b, int64(m.WinnerTo), 10), nil
	}},
	{func(m *match.Match) bool { return m.LoserTo == 0 }, func(b []byte, m *match.Match) ([]byte, error) { return strconv.AppendInt(b, int64(m.LoserTo), 10), nil }},
	{func(m *match.Match) bool { return m.ReadyAt.IsZero() }, func(b []byte, m *match.Match) ([]byte, error) { return jsonw.AppendTime(b, m.ReadyAt) }},
	{func(m *match.Match) bool { return m.Filled == [2]bool{} }, func(b []byte, m *match.Match) ([]byte, error) {
		return strconv.AppendInt(b, int64(mask(m.Filled)), 10), nil
	}},
	{func(m *match.Match) bool { return m.Group == 0 }, func(b []byte, m *match.Match) ([]byte, error) { return strconv.AppendInt(b, int64(m.Group), 10), nil }},
	{func(m *match.Match) bool { return m.Deadline.IsZero() }, func(b []byte, m *match.Match) ([]byte, error) { return jsonw.AppendTime(b, m.Deadline) }},
	{func(m *match.Match) bool { return m.Feeds == [2]match.Feed{} }, func(b []byte, m *match.Match) ([]byte, error) { return appendFeeds(b, m.Feeds) }},
	{func(m *match.Match) bool { return m.Games == nil }, func(b []byte, m *match.Match) ([]byte, error) { return jsonw.AppendJSON(b, m.Games) }},
	{func(m *match.Match) bool { return !m.Draw }, putTrue[match.Match]},
	{func(m *match.Match) bool { return !m.Walkover }, putTrue[match.Match]},
	{func(m *match.Match) bool { return m.Forfeited == [2]bool{} }, func(b []byte, m *match.Match) ([]byte, error) {
		return strconv.AppendInt(b, int64(mask(m.Forfeited)), 10), nil
	}},
	{func(m *match.Match) bool { return m.Reports == [2]*match.Report{} }, func(b []byte, m *match.Match) ([]byte, error) { return match.AppendReports(b, m.Reports), nil }},
	{func(m *match.Match) bool { return !m.Warned }, putTrue[match.Match]},
	{func(m *match.Match) bool { return !m.Overdue }, putTrue[match.Match]},
}

func putTrue[T any](b []byte, _ *T) ([]byte, error) { return append(b, '1'), nil }

// mask is a pair of flags as bits: 1 the first slot, 2 the second.
func mask(f [2]bool) int {
	n := 0
	if f[0] {
		n |= 1
	}
	if f[1] {
		n |= 2
	}
	return n
}

// appendFeeds appends a match's feeds as two numbers, the match a slot's player comes from, its
// winner (positive) or its loser (negative), 0 for a seeded slot; or as v1 writes them if one of
// them is of another shape (none is, today).
func appendFeeds(b []byte, f [2]match.Feed) ([]byte, error) {
	var n [2]int
	for i, fd := range f {
		switch {
		case fd == match.Feed{}:
		case fd.Match > 0 && fd.Take == match.TakeWinner:
			n[i] = int(fd.Match)
		case fd.Match > 0 && fd.Take == match.TakeLoser:
			n[i] = -int(fd.Match)
		default:
			return jsonw.AppendJSON(b, f)
		}
	}
	b = append(b, '[')
	b = strconv.AppendInt(b, int64(n[0]), 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(n[1]), 10)
	return append(b, ']'), nil
}

func appendPlayers(b []byte, p [2]match.PlayerID) []byte {
	b = append(b, '[')
	for i, id := range p {
		if i > 0 {
			b = append(b, ',')
		}
		b = match.AppendPlayer(b, id)
	}
	return append(b, ']')
}
