// Package jsonw writes JSON values byte for byte as encoding/json writes them, for the encoders
// that write a message or a match field by field instead of by reflection (match's AppendJSON and
// AppendEvents, hub/wire's compact form, hub/fanout's envelopes, hub/ws's answer to a report,
// hub/notice's notices).
package jsonw

import (
	"encoding/json"
	"math"
	"strconv"
	"time"
)

// AppendString appends s as a JSON string, as encoding/json writes it. Plain ASCII (the names,
// ids and enum values the hub writes) is copied as it is; anything else (a byte to escape, the
// HTML characters encoding/json escapes, UTF-8) is left to encoding/json itself, so that the rare
// case is written exactly as it would be.
func AppendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string always encodes
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// AppendTime appends t as time.Time.MarshalJSON writes it (RFC 3339 with nanoseconds, quoted),
// failing as it does on a year it cannot write.
func AppendTime(b []byte, t time.Time) ([]byte, error) {
	b = append(b, '"')
	b, err := t.AppendText(b)
	if err != nil {
		_, err = t.MarshalJSON() // its own error
		return nil, err
	}
	return append(b, '"'), nil
}

// AppendFloat appends f as encoding/json writes a float64: the shortest decimal that reads back
// as f, in exponent form (without a leading zero in a negative exponent) below 1e-6 and from
// 1e21 in magnitude. NaN and the infinities fail with encoding/json's own error, as it does.
func AppendFloat(b []byte, f float64) ([]byte, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		_, err := json.Marshal(f) // its own error
		return nil, err
	}
	format := byte('f')
	if a := math.Abs(f); a != 0 && (a < 1e-6 || a >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if n := len(b); format == 'e' && n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
		b[n-2] = b[n-1] // e-07 is written e-7
		b = b[:n-1]
	}
	return b, nil
}

// AppendJSON appends v as encoding/json writes it, for the values an encoder leaves to it.
func AppendJSON(b []byte, v any) ([]byte, error) {
	j, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(b, j...), nil
}
