// Package jsonw writes JSON values byte for byte as encoding/json writes them, for the encoders
// that write a message or a match field by field instead of by reflection (match's AppendJSON and
// AppendEvents, hub/wire's compact form, hub/fanout's envelopes, hub/ws's answer to a report,
// hub/notice's notices).
package jsonw

import (
	"encoding/json"
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

// AppendJSON appends v as encoding/json writes it, for the values an encoder leaves to it.
func AppendJSON(b []byte, v any) ([]byte, error) {
	j, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(b, j...), nil
}
