package main

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"
	"time"
)

func TestBucketsAreContiguous(t *testing.T) {
	t.Parallel()
	prev := -1
	for v := int64(0); v < 1<<16; v++ {
		b := bucketOf(v)
		if b != prev && b != prev+1 {
			t.Fatalf("bucketOf(%d) = %d after %d; want contiguous buckets", v, b, prev)
		}
		if v > bucketHigh(b) {
			t.Fatalf("value %d above its bucket's high %d", v, bucketHigh(b))
		}
		if b > 0 && v <= bucketHigh(b-1) {
			t.Fatalf("value %d also fits bucket %d", v, b-1)
		}
		prev = b
	}
}

func TestQuantileExactBelow128(t *testing.T) {
	t.Parallel()
	h := NewHist()
	for v := int64(1); v <= 100; v++ {
		h.RecordMicros(v)
	}
	tests := []struct {
		name string
		q    float64
		want int64
	}{
		{"min", 0, 1},
		{"p1", 0.01, 1},
		{"p50", 0.5, 50},
		{"p95", 0.95, 95},
		{"p99", 0.99, 99},
		{"max", 1, 100},
	}
	for _, tc := range tests {
		if got := h.Quantile(tc.q); got != tc.want {
			t.Errorf("%s: Quantile(%v) = %d; want %d", tc.name, tc.q, got, tc.want)
		}
	}
	if got := h.Mean(); got != 50.5 {
		t.Errorf("Mean = %v; want 50.5", got)
	}
}

func TestQuantileRelativeError(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	h := NewHist()
	vals := make([]int64, 100000)
	for i := range vals {
		// Log-uniform from 1 µs to 10 s.
		vals[i] = int64(math.Exp(r.Float64() * math.Log(1e7)))
		h.RecordMicros(vals[i])
	}
	sort.Slice(vals, func(i, j int) bool { return vals[i] < vals[j] })
	for _, q := range []float64{0.5, 0.9, 0.95, 0.99, 0.999} {
		exact := vals[int(math.Ceil(q*float64(len(vals))))-1]
		got := h.Quantile(q)
		if got < exact || float64(got-exact) > float64(exact)/subCount+1 {
			t.Errorf("Quantile(%v) = %d; want within 1/%d above %d", q, got, subCount, exact)
		}
	}
	if h.Max() != vals[len(vals)-1] || h.Min() != vals[0] {
		t.Errorf("min/max = %d/%d; want %d/%d", h.Min(), h.Max(), vals[0], vals[len(vals)-1])
	}
}

func TestMergeAndClamp(t *testing.T) {
	t.Parallel()
	a, b := NewHist(), NewHist()
	a.Record(2 * time.Millisecond)
	b.Record(40 * time.Millisecond)
	b.RecordMicros(-5)      // counts as zero
	b.RecordMicros(1 << 50) // clamped
	a.Merge(b)
	a.Merge(nil)
	if a.Count() != 4 {
		t.Fatalf("Count = %d; want 4", a.Count())
	}
	if a.Min() != 0 || a.Max() != 1<<maxExp-1 {
		t.Errorf("min/max = %d/%d; want 0/%d", a.Min(), a.Max(), int64(1<<maxExp-1))
	}
	if got := a.Quantile(0.5); got != 2000 && (got < 2000 || got > 2000+2000/subCount) {
		t.Errorf("p50 = %d; want about 2000", got)
	}
}

func TestEmptyHist(t *testing.T) {
	t.Parallel()
	h := NewHist()
	if h.Quantile(0.99) != 0 || h.Max() != 0 || h.Min() != 0 || h.Mean() != 0 {
		t.Errorf("empty histogram answered non-zero: %+v", h.Summary())
	}
}
