package main

import (
	"testing"
	"time"
)

// TestRecorderCountsOnlyResultsSentSinceBegin: results sent before begin (the stagger window)
// count towards neither the totals nor the latencies, even when their reply and events come
// after it.
func TestRecorderCountsOnlyResultsSentSinceBegin(t *testing.T) {
	t.Parallel()
	t0 := time.Now()
	r := newRecorder(t0)
	// result reports a result from socket 1 on node 0 at sent; socket 2 on node 1 gets its event
	// 2 ms later.
	result := func(v int64, sent time.Time) {
		r.noteSent(sent)
		r.ack("t", v, sent, 1, 0)
		r.recv("t", v, 2, 1, sent.Add(2*time.Millisecond))
	}
	result(1, t0.Add(time.Second))
	begin := t0.Add(2 * time.Second)
	r.begin(begin)
	// Sent just before begin; its event and then its reply arrive after.
	early := begin.Add(-time.Millisecond)
	r.noteSent(early)
	r.recv("t", 2, 2, 1, begin.Add(time.Millisecond))
	r.ack("t", 2, early, 1, 0)
	r.noteError(early)
	result(3, begin)
	result(4, begin.Add(1500*time.Millisecond))

	if sent, acked := r.totals(); sent != 2 || acked != 2 {
		t.Errorf("totals: got %d sent, %d acked; want 2, 2", sent, acked)
	}
	if got := r.cross.Count(); got != 2 {
		t.Errorf("cross-node latencies: got %d; want 2", got)
	}
	if got := r.reply.Count(); got != 2 {
		t.Errorf("reply latencies: got %d; want 2", got)
	}
	pts := r.series()
	if len(pts) != 2 || pts[0].Sent != 1 || pts[1].Sent != 1 || pts[0].Errs != 0 {
		t.Errorf("series: got %+v; want 2 seconds of 1 result each, no errors", pts)
	}
}
