package main

import (
	"errors"
	"fmt"

	"github.com/valyala/fastjson"
)

// The load generator reads every event message one socket of a group gets first, and every
// snapshot, for the matches it plays. It reads them with fastjson, without reflection: with
// encoding/json over lists of json.RawMessage one v2 event message took about 45 µs and 122
// allocations (BENCHMARKS.md, "Micro-benchmarks").

// parsers are fastjson's parsers, used again (a Parser is not safe for concurrent use; the values
// it returns live until its next Parse).
var parsers fastjson.ParserPool

// v2Codes are the one-letter codes of tourhub.v2's compact events (docs/protocol.md#tourhubv2);
// any other compact event is written with its v1 type.
var v2Codes = map[string]string{"c": "match_completed", "m": "match_ready", "r": "match_reported",
	"u": "match_updated", "x": "player_eliminated"}

// decodeEvents reads the events of an event message, in either protocol version's form, as far
// as the load generator needs them.
func decodeEvents(data []byte) ([]wireEvent, error) {
	p := parsers.Get()
	defer parsers.Put(p)
	msg, err := p.ParseBytes(data)
	if err != nil {
		return nil, err
	}
	if msg.Type() == fastjson.TypeObject {
		return readList(msg.Get("events"), "event", v1Event)
	}
	parts, err := msg.Array()
	if err != nil {
		return nil, err
	}
	if len(parts) != 5 {
		return nil, fmt.Errorf("a v2 event message of %d parts", len(parts))
	}
	return readList(parts[4], "v2 event", v2Event)
}

// v2Event reads one of v2's compact events: its code, then its fields by position.
func v2Event(v *fastjson.Value) (wireEvent, error) {
	var out wireEvent
	ev, err := v.Array()
	if err != nil || len(ev) == 0 {
		return out, errors.New("not a list of fields")
	}
	code, err := strOf(ev[0])
	if err != nil {
		return out, fmt.Errorf("code: %w", err)
	}
	out.Type = code
	if t, ok := v2Codes[code]; ok {
		out.Type = t
	}
	// Positions: 1 the match, 9 the matches (the rest the generator does not read).
	if len(ev) > 1 && !compactZero(ev[1]) && !isNull(ev[1]) {
		m, err := compactMatch(ev[1])
		if err != nil {
			return out, err
		}
		out.Match = &m
	}
	if len(ev) > 9 && !compactZero(ev[9]) {
		if out.Matches, err = readMatches(ev[9]); err != nil {
			return out, err
		}
	}
	return out, nil
}

// v1Event reads one of v1's event objects.
func v1Event(ev *fastjson.Value) (wireEvent, error) {
	var out wireEvent
	if ev.Type() != fastjson.TypeObject {
		return out, errors.New("not an object")
	}
	var err error
	if out.Type, err = strOf(ev.Get("type")); err != nil {
		return out, fmt.Errorf("type: %w", err)
	}
	if m := ev.Get("match"); !isNull(m) {
		mm, err := readMatch(m)
		if err != nil {
			return out, err
		}
		out.Match = &mm
	}
	out.Matches, err = readMatches(ev.Get("matches"))
	return out, err
}

// readList reads a list with read, item by item (nil or null: none).
func readList[T any](v *fastjson.Value, item string, read func(*fastjson.Value) (T, error)) ([]T, error) {
	if isNull(v) {
		return nil, nil
	}
	list, err := v.Array()
	if err != nil {
		return nil, fmt.Errorf("the %ss: %w", item, err)
	}
	out := make([]T, len(list))
	for i, x := range list {
		if out[i], err = read(x); err != nil {
			return nil, fmt.Errorf("%s %d: %w", item, i+1, err)
		}
	}
	return out, nil
}

// decodeSnapshot reads a snapshot message's state: its status and its matches, in either
// protocol version's form. A message without a state reads as an empty one.
func decodeSnapshot(data []byte) (status string, matches []wireMatch, err error) {
	p := parsers.Get()
	defer parsers.Put(p)
	msg, err := p.ParseBytes(data)
	if err != nil {
		return "", nil, err
	}
	if msg.Type() != fastjson.TypeObject {
		return "", nil, errors.New("a snapshot is an object")
	}
	st := msg.Get("state")
	if isNull(st) {
		return "", nil, nil
	}
	if st.Type() != fastjson.TypeObject {
		return "", nil, errors.New("a snapshot's state is an object")
	}
	if status, err = strOf(st.Get("status")); err != nil {
		return "", nil, fmt.Errorf("status: %w", err)
	}
	matches, err = readMatches(st.Get("matches"))
	return status, matches, err
}

// readMatches reads a list of matches, each v1's object or v2's compact list (nil or null: none).
func readMatches(v *fastjson.Value) ([]wireMatch, error) { return readList(v, "match", readMatch) }

// readMatch reads v1's match object or v2's compact list.
func readMatch(v *fastjson.Value) (wireMatch, error) {
	if v.Type() == fastjson.TypeArray {
		return compactMatch(v)
	}
	var m wireMatch
	if v.Type() != fastjson.TypeObject {
		return m, fmt.Errorf("a match is an object or a list, not %s", v.Type())
	}
	var err error
	if m.ID, err = intOf(v.Get("id")); err != nil {
		return m, fmt.Errorf("id: %w", err)
	}
	if m.Round, err = intOf(v.Get("round")); err != nil {
		return m, fmt.Errorf("round: %w", err)
	}
	if m.Status, err = strOf(v.Get("status")); err != nil {
		return m, fmt.Errorf("status: %w", err)
	}
	if m.Players, err = playersOf(v.Get("players")); err != nil {
		return m, fmt.Errorf("players: %w", err)
	}
	return m, nil
}

// compactMatch reads a v2 match: [id, status, bracket, round, players, ...], 0 for a field at
// its zero value.
func compactMatch(v *fastjson.Value) (wireMatch, error) {
	var m wireMatch
	f, err := v.Array()
	if err != nil {
		return m, err
	}
	field := func(i int) *fastjson.Value {
		if i >= len(f) || compactZero(f[i]) {
			return nil
		}
		return f[i]
	}
	if m.ID, err = intOf(field(0)); err == nil {
		if m.Status, err = strOf(field(1)); err == nil {
			if m.Round, err = intOf(field(3)); err == nil {
				m.Players, err = playersOf(field(4))
			}
		}
	}
	if err != nil {
		return m, fmt.Errorf("v2 match: %w", err)
	}
	return m, nil
}

// compactZero: v2 writes a field at its zero value as the number 0.
func compactZero(v *fastjson.Value) bool {
	if v.Type() != fastjson.TypeNumber {
		return false
	}
	n, err := v.Int()
	return err == nil && n == 0
}

func isNull(v *fastjson.Value) bool { return v == nil || v.Type() == fastjson.TypeNull }

// intOf reads an integer; nil or null is 0.
func intOf(v *fastjson.Value) (int, error) {
	if isNull(v) {
		return 0, nil
	}
	return v.Int()
}

// strOf reads a string (a copy: v lives only until its parser's next use); nil or null is "".
func strOf(v *fastjson.Value) (string, error) {
	if isNull(v) {
		return "", nil
	}
	b, err := v.StringBytes()
	return string(b), err
}

// playersOf reads a match's two players (0: nobody yet, written as 0 or null); nil or null is
// nobody.
func playersOf(v *fastjson.Value) ([2]int, error) {
	var p [2]int
	if isNull(v) {
		return p, nil
	}
	list, err := v.Array()
	if err != nil {
		return p, err
	}
	for i := 0; i < len(list) && i < 2; i++ {
		if p[i], err = intOf(list[i]); err != nil {
			return p, err
		}
	}
	return p, nil
}
