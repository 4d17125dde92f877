package jsonw

import (
	"encoding/json"
	"math"
	"math/rand/v2"
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

// TestFloatAsEncodingJSON: AppendFloat writes every float64 as encoding/json does: both sides of
// the two thresholds of the exponent form, exponents of one, two and three digits, signed zeros,
// the extremes, and random bit patterns and decimals; NaN and the infinities fail as they do.
func TestFloatAsEncodingJSON(t *testing.T) {
	fs := []float64{0, math.Copysign(0, -1), 1, -1, 0.5, 1.5, 3, 100, 1234.5678, 0.1, 1.0 / 3,
		1e-6, math.Nextafter(1e-6, 0), 1e-7, 1.5e-7, -1e-7, 1e-10, 1e-100, 1e-300,
		1e20, math.Nextafter(1e21, 0), 1e21, 1e22, -1e21, 1e100, 1e300,
		math.MaxFloat64, -math.MaxFloat64, math.SmallestNonzeroFloat64, 2.5e-308, float64(math.MaxInt64)}
	r := rand.New(rand.NewPCG(3, 12))
	for range 20000 {
		fs = append(fs, math.Float64frombits(r.Uint64()), float64(r.IntN(2000)-1000)/8, r.NormFloat64()*math.Pow(10, float64(r.IntN(60)-30)))
	}
	for _, f := range fs {
		want, wantErr := json.Marshal(f)
		got, err := AppendFloat([]byte("x"), f)
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("AppendFloat(%v): error %v; encoding/json: %v", f, err, wantErr)
		}
		if err == nil && string(got) != "x"+string(want) {
			t.Fatalf("AppendFloat(%v) = %s; want x%s", f, got, want)
		}
	}
	for _, f := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		_, wantErr := json.Marshal(f)
		if _, err := AppendFloat(nil, f); err == nil || err.Error() != wantErr.Error() {
			t.Errorf("AppendFloat(%v): error %v; want %v", f, err, wantErr)
		}
	}
}
