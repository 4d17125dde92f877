package jsonw

import (
	"encoding/json"
	"testing"
	"time"
)

// TestAsEncodingJSON: strings and times are written as encoding/json writes them, the ones it
// escapes too, and a time it cannot write fails.
func TestAsEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "winners", `a"b`, `back\slash`, "a<b", "x>y", "p&q", "tab\there", "\x01", "\x7f", "naïve", "\u2028", "bad \xff utf-8"} {
		want, _ := json.Marshal(s)
		if got := AppendString([]byte("x"), s); string(got) != "x"+string(want) {
			t.Errorf("AppendString(%q) = %s; want x%s", s, got, want)
		}
	}
	for _, tm := range []time.Time{
		time.Date(2026, 12, 6, 4, 30, 0, 0, time.UTC),
		time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.UTC),
		time.Date(1999, 12, 31, 23, 59, 59, 1000, time.FixedZone("", -(9*3600+30*60))),
		time.Unix(1_700_000_000, 0),
	} {
		want, _ := tm.MarshalJSON()
		got, err := AppendTime([]byte("x"), tm)
		if err != nil || string(got) != "x"+string(want) {
			t.Errorf("AppendTime(%v) = %s, %v; want x%s", tm, got, err, want)
		}
	}
	if _, err := AppendTime(nil, time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)); err == nil {
		t.Error("AppendTime of the year 10000: no error")
	}
}
