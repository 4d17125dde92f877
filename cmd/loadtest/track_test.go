package main

import (
	"reflect"
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
		mark := r.noteSent(sent)
		r.ack("t", v, sent, 1, 0, mark)
		r.recv("t", v, 2, 1, sent.Add(2*time.Millisecond))
	}
	result(1, t0.Add(time.Second))
	begin := t0.Add(2 * time.Second)
	// Noted as sent before begin was called, though stamped at begin itself (the sender read the
	// clock after the caller of begin did): begin forgets the send, so its reply must not count
	// either (it once made "100 of 98 reports answered").
	raced := r.noteSent(begin)
	r.begin(begin)
	r.ack("t", 5, begin, 1, 0, raced)
	// Sent just before begin; its event and then its reply arrive after.
	early := begin.Add(-time.Millisecond)
	mark := r.noteSent(early)
	r.recv("t", 2, 2, 1, begin.Add(time.Millisecond))
	r.ack("t", 2, early, 1, 0, mark)
	r.noteError(early, mark)
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

// TestStatsPerNode: sockets are counted by node, with the most open at once and the drops.
func TestStatsPerNode(t *testing.T) {
	st := newStats(2)
	st.opened(0)
	st.opened(1)
	st.opened(1)
	st.closed(1, false)
	st.opened(1)
	st.closed(1, true)
	st.closed(0, true)
	st.opened(7) // not a node: counted in the totals only
	got := st.perNode([]string{"a", "b"})
	want := []NodeSockets{{Node: "a", Opened: 1, PeakOpen: 1, Dropped: 1}, {Node: "b", Opened: 3, PeakOpen: 2, Dropped: 1}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("per node %+v; want %+v", got, want)
	}
	if o, c, d := st.sockets.Load(), st.connects.Load(), st.dropped.Load(); o != 2 || c != 5 || d != 2 {
		t.Errorf("open %d, opened %d, dropped %d; want 2, 5, 2", o, c, d)
	}
}
