package main

import (
	"math"
	"math/bits"
	"time"
)

// Hist is a log-linear histogram of durations in microseconds, in the spirit of HdrHistogram:
// values below 2^subBits µs are counted exactly; above, every power of two is split into
// 2^subBits buckets, so a reported percentile is within 1/128 (0.8%) of the true value. It is not
// safe for concurrent use; the caller guards it.
type Hist struct {
	counts []uint64
	n      uint64
	sum    float64 // µs
	min    int64
	max    int64
}

const (
	subBits  = 7
	subCount = 1 << subBits
	maxExp   = 40 // values are clamped to 2^40 µs (about 12 days)
)

// NewHist returns an empty histogram.
func NewHist() *Hist {
	return &Hist{counts: make([]uint64, (maxExp-subBits+1)*subCount), min: math.MaxInt64}
}

func bucketOf(v int64) int {
	if v < subCount {
		return int(v)
	}
	e := bits.Len64(uint64(v)) - subBits - 1
	return (e+1)*subCount + int(v>>e) - subCount
}

// bucketHigh is the largest value that falls into bucket b.
func bucketHigh(b int) int64 {
	if b < subCount {
		return int64(b)
	}
	e := b/subCount - 1
	m := int64(b%subCount + subCount)
	return (m+1)<<e - 1
}

// RecordMicros adds one value in microseconds; negative values count as zero.
func (h *Hist) RecordMicros(v int64) {
	if v < 0 {
		v = 0
	}
	if v >= 1<<maxExp {
		v = 1<<maxExp - 1
	}
	h.counts[bucketOf(v)]++
	h.n++
	h.sum += float64(v)
	if v < h.min {
		h.min = v
	}
	if v > h.max {
		h.max = v
	}
}

// Record adds one duration.
func (h *Hist) Record(d time.Duration) { h.RecordMicros(d.Microseconds()) }

// Count is the number of values recorded.
func (h *Hist) Count() uint64 { return h.n }

// Max is the largest value recorded, in µs (0 when empty).
func (h *Hist) Max() int64 {
	if h.n == 0 {
		return 0
	}
	return h.max
}

// Min is the smallest value recorded, in µs (0 when empty).
func (h *Hist) Min() int64 {
	if h.n == 0 {
		return 0
	}
	return h.min
}

// Mean is the average in µs (0 when empty).
func (h *Hist) Mean() float64 {
	if h.n == 0 {
		return 0
	}
	return h.sum / float64(h.n)
}

// Quantile returns the value at quantile q (0..1) in µs: the smallest bucket bound below which
// at least q of the values fall, never above the recorded maximum. 0 when empty.
func (h *Hist) Quantile(q float64) int64 {
	if h.n == 0 {
		return 0
	}
	if q <= 0 {
		return h.min
	}
	if q >= 1 {
		return h.max
	}
	rank := uint64(math.Ceil(q * float64(h.n)))
	if rank < 1 {
		rank = 1
	}
	var cum uint64
	for b, c := range h.counts {
		cum += c
		if cum >= rank {
			v := bucketHigh(b)
			if v > h.max {
				v = h.max
			}
			if v < h.min {
				v = h.min
			}
			return v
		}
	}
	return h.max
}

// Merge adds every value of o into h.
func (h *Hist) Merge(o *Hist) {
	if o == nil || o.n == 0 {
		return
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	h.sum += o.sum
	if o.min < h.min {
		h.min = o.min
	}
	if o.max > h.max {
		h.max = o.max
	}
}

// Summary is a histogram's headline numbers in milliseconds, as written to the JSON output.
type Summary struct {
	Count  uint64  `json:"count"`
	MinMS  float64 `json:"min_ms"`
	MeanMS float64 `json:"mean_ms"`
	P50MS  float64 `json:"p50_ms"`
	P90MS  float64 `json:"p90_ms"`
	P95MS  float64 `json:"p95_ms"`
	P99MS  float64 `json:"p99_ms"`
	P999MS float64 `json:"p999_ms"`
	MaxMS  float64 `json:"max_ms"`
}

// Summary returns the headline numbers.
func (h *Hist) Summary() Summary {
	ms := func(us int64) float64 { return float64(us) / 1000 }
	return Summary{
		Count:  h.n,
		MinMS:  ms(h.Min()),
		MeanMS: h.Mean() / 1000,
		P50MS:  ms(h.Quantile(0.50)),
		P90MS:  ms(h.Quantile(0.90)),
		P95MS:  ms(h.Quantile(0.95)),
		P99MS:  ms(h.Quantile(0.99)),
		P999MS: ms(h.Quantile(0.999)),
		MaxMS:  ms(h.Max()),
	}
}
