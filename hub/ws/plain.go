package ws

import (
	"strconv"
	"unicode/utf8"

	"github.com/tourhub/tourhub/match"
)

// decodePlain reads data into m, which must be zero, as encoding/json's Unmarshal would, when
// data is a plain client message: an object whose members are named exactly as clientMsg's tags
// (games aside), with strings without escapes or control characters and in valid UTF-8, integers
// in plain notation that fit, and scores a list of them; whitespace as JSON allows it. Anything
// else (escapes, other spellings of the names, unknown members, null, fractions, games, a message
// that is not JSON) reports false with m in any state, and the caller decodes it with
// encoding/json, whose answers and errors it keeps. Browsers and the load tool send plain
// messages: this reads them without reflection (TestClientMsgPlainAsEncodingJSON).
func (m *clientMsg) decodePlain(data []byte) bool {
	d := plainReader{b: data}
	if !d.byte('{') {
		return false
	}
	if d.peek() == '}' {
		d.i++
		return d.end()
	}
	for {
		name, ok := d.str()
		if !ok || !d.byte(':') {
			return false
		}
		switch name {
		case "type":
			m.Type, ok = d.str()
		case "ref":
			m.Ref, ok = d.str()
		case "token":
			m.Token, ok = d.str()
		case "tournament":
			m.Tournament, ok = d.str()
		case "epoch":
			m.Epoch, ok = d.str()
		case "rev":
			m.Rev, ok = d.str()
		case "submission_id":
			m.SubmissionID, ok = d.str()
		case "name":
			var v string
			if v, ok = d.str(); ok {
				m.Name = &v
			}
		case "version":
			var v int64
			if v, ok = d.int(); ok {
				m.Version = &v
			}
		case "match":
			var v int64
			v, ok = d.int()
			m.Match = match.MatchID(v)
		case "scores":
			m.Scores, ok = d.ints()
		default:
			return false
		}
		if !ok {
			return false
		}
		switch d.next() {
		case ',':
		case '}':
			return d.end()
		default:
			return false
		}
	}
}

// plainReader reads the JSON decodePlain takes, at b[i:].
type plainReader struct {
	b []byte
	i int
}

func (d *plainReader) skipSpace() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// peek is the next byte after whitespace (0 at the end), not taken.
func (d *plainReader) peek() byte {
	d.skipSpace()
	if d.i == len(d.b) {
		return 0
	}
	return d.b[d.i]
}

// next takes the next byte after whitespace (0 at the end).
func (d *plainReader) next() byte {
	c := d.peek()
	if c != 0 {
		d.i++
	}
	return c
}

func (d *plainReader) byte(c byte) bool { return d.next() == c }

// end reports whether nothing but whitespace is left.
func (d *plainReader) end() bool { return d.peek() == 0 && d.i == len(d.b) }

// str takes a string without escapes or control characters, in valid UTF-8.
func (d *plainReader) str() (string, bool) {
	if !d.byte('"') {
		return "", false
	}
	start, ascii := d.i, true
	for ; d.i < len(d.b); d.i++ {
		switch c := d.b[d.i]; {
		case c == '"':
			s := d.b[start:d.i]
			d.i++
			if !ascii && !utf8.Valid(s) { // encoding/json would replace the bad bytes
				return "", false
			}
			return string(s), true
		case c == '\\' || c < 0x20:
			return "", false
		case c >= 0x80:
			ascii = false
		}
	}
	return "", false
}

// int takes an integer in plain notation (-?(0|[1-9][0-9]*)) that fits an int64. A fraction or an
// exponent after it is refused by the caller, which finds no ',', '}' or ']' there.
func (d *plainReader) int() (int64, bool) {
	d.skipSpace()
	start := d.i
	if d.i < len(d.b) && d.b[d.i] == '-' {
		d.i++
	}
	digits := d.i
	for d.i < len(d.b) && d.b[d.i] >= '0' && d.b[d.i] <= '9' {
		d.i++
	}
	if d.i == digits || (d.b[digits] == '0' && d.i-digits > 1) {
		return 0, false
	}
	v, err := strconv.ParseInt(string(d.b[start:d.i]), 10, 64)
	return v, err == nil
}

// ints takes a list of integers as int takes them; an empty list is an empty, non-nil slice, as
// encoding/json makes it.
func (d *plainReader) ints() ([]int, bool) {
	if !d.byte('[') {
		return nil, false
	}
	out := make([]int, 0, 2)
	if d.peek() == ']' {
		d.i++
		return out, true
	}
	for {
		v, ok := d.int()
		if !ok {
			return nil, false
		}
		out = append(out, int(v))
		switch d.next() {
		case ',':
		case ']':
			return out, true
		default:
			return nil, false
		}
	}
}
