package main

import (
	"fmt"
	"io"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// stats are the run-wide counters, updated from many goroutines.
type stats struct {
	sockets      atomic.Int64 // open now
	connects     atomic.Int64 // successful dials
	connectFails atomic.Int64
	dropped      atomic.Int64 // sockets closed by the server or the network, not by us
	received     atomic.Int64 // messages read, all types
	sent         atomic.Int64 // results submitted
	acked        atomic.Int64 // results answered (reported / HTTP 200)
	httpCalls    atomic.Int64
	httpRetries  atomic.Int64 // 429 / 503 answers retried
	// http429 counts the 429 (rate_limited) answers among httpRetries: the hub's per-address
	// request limit (--http-rate, --http-burst), not an outage.
	http429 atomic.Int64
	// wsRateLimited counts socket messages the hub dropped with error rate_limited: its
	// per-socket message limit (--ws-rate, --ws-burst).
	wsRateLimited atomic.Int64

	nodes []nodeStats // by index in --nodes

	emu    sync.Mutex
	errors map[string]int64 // by code; guarded by emu
}

// nodeStats are one node's sockets.
type nodeStats struct {
	open, peak, opened, dropped atomic.Int64
}

func newStats(nodes int) *stats {
	return &stats{errors: map[string]int64{}, nodes: make([]nodeStats, nodes)}
}

// node is the counters of node i (a discarded set for an index out of range).
func (s *stats) node(i int) *nodeStats {
	if i >= 0 && i < len(s.nodes) {
		return &s.nodes[i]
	}
	return &nodeStats{}
}

// opened counts a socket to node i.
func (s *stats) opened(i int) {
	s.sockets.Add(1)
	s.connects.Add(1)
	n := s.node(i)
	n.opened.Add(1)
	open := n.open.Add(1)
	for p := n.peak.Load(); open > p && !n.peak.CompareAndSwap(p, open); p = n.peak.Load() {
	}
}

// closed counts the end of a socket to node i; dropped: not closed by this tool.
func (s *stats) closed(i int, dropped bool) {
	s.sockets.Add(-1)
	n := s.node(i)
	n.open.Add(-1)
	if dropped {
		s.dropped.Add(1)
		n.dropped.Add(1)
	}
}

// NodeSockets is what the JSON says of one node's sockets.
type NodeSockets struct {
	Node     string `json:"node"`
	Opened   int64  `json:"opened"`
	PeakOpen int64  `json:"peak_open"`
	Dropped  int64  `json:"dropped"`
}

func (s *stats) perNode(urls []string) []NodeSockets {
	out := make([]NodeSockets, len(s.nodes))
	for i := range s.nodes {
		n := &s.nodes[i]
		out[i] = NodeSockets{Node: urls[i], Opened: n.opened.Load(), PeakOpen: n.peak.Load(), Dropped: n.dropped.Load()}
	}
	return out
}

func (s *stats) fail(code string) {
	s.emu.Lock()
	s.errors[code]++
	s.emu.Unlock()
}

func (s *stats) errorCounts() (map[string]int64, int64) {
	s.emu.Lock()
	defer s.emu.Unlock()
	m := make(map[string]int64, len(s.errors))
	var n int64
	for k, v := range s.errors {
		m[k] = v
		n += v
	}
	return m, n
}

// vkey names one committed command: a tournament and the version it produced.
type vkey struct {
	t string
	v int64
}

type receipt struct {
	conn int64
	node int
	at   time.Time
}

// pendEntry pairs the time a result was sent with the times sockets received its event; the two
// sides arrive in either order (an event can reach another node before the reply reaches the
// sender).
type pendEntry struct {
	created  time.Time
	acked    bool
	sentAt   time.Time
	sender   int64
	node     int
	receipts []receipt // buffered until acked
}

// second is what happened in one second of the run (by send time).
type second struct {
	cross  *Hist
	sent   int64
	acked  int64
	errs   int64
	setups int64
}

// recorder turns send and receive times into notification latencies: cross-node (the receiving
// socket is on another node than the one the result was sent to) and same-node. Only results sent
// since start count.
type recorder struct {
	mu    sync.Mutex
	start time.Time // guarded by mu
	// gen counts begin calls (guarded by mu): a result counts as answered (or failed) only in the
	// measurement its send was counted in. Without it, a result sent just before begin reset the
	// series, and answered after, counted as answered but not as sent.
	gen   int
	cross *Hist // guarded by mu
	local *Hist // guarded by mu
	reply *Hist // send until the sender's reply (the commit); guarded by mu
	phase *Hist // cross-node, since the last resetPhase; guarded by mu
	secs  []*second
	pend  map[vkey]*pendEntry
	lost  int64 // receipts of versions never acked (setup commands, or a reply that never came)
	// single is set when there is one node: every receipt is same-node, and the per-second and
	// phase histograms then hold those instead of the (empty) cross-node ones.
	single bool
}

func newRecorder(start time.Time) *recorder {
	return &recorder{start: start, cross: NewHist(), local: NewHist(), reply: NewHist(), phase: NewHist(), pend: map[vkey]*pendEntry{}}
}

func (r *recorder) sec(t time.Time) *second {
	i := int(t.Sub(r.start) / time.Second)
	if i < 0 {
		i = 0
	}
	for len(r.secs) <= i {
		r.secs = append(r.secs, &second{cross: NewHist()})
	}
	return r.secs[i]
}

// begin starts the measurement at t: the series, the phase and the latency histograms start
// afresh, and results sent before t no longer count, whenever their replies and events arrive.
func (r *recorder) begin(t time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.start = t
	r.gen++
	r.secs = nil
	r.cross, r.local, r.reply, r.phase = NewHist(), NewHist(), NewHist(), NewHist()
}

// noteSent counts a result sent at at, and returns the mark to give ack or noteError for it.
func (r *recorder) noteSent(at time.Time) (mark int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if at.Before(r.start) {
		return -1
	}
	r.sec(at).sent++
	return r.gen
}

// noteSetup counts a tournament set up (created, joined, started) from at.
func (r *recorder) noteSetup(at time.Time) {
	r.mu.Lock()
	if !at.Before(r.start) {
		r.sec(at).setups++
	}
	r.mu.Unlock()
}

// noteError counts a failed result sent at at (mark is noteSent's).
func (r *recorder) noteError(at time.Time, mark int) {
	r.mu.Lock()
	if mark == r.gen {
		r.sec(at).errs++
	}
	r.mu.Unlock()
}

// totals are the results sent since start and those of them answered.
func (r *recorder) totals() (sent, acked int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range r.secs {
		sent += s.sent
		acked += s.acked
	}
	return sent, acked
}

// ack records that the result sent at sentAt by socket sender on node produced version v of t
// (mark is noteSent's).
func (r *recorder) ack(t string, v int64, sentAt time.Time, sender int64, node int, mark int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if mark == r.gen {
		r.sec(sentAt).acked++
		r.reply.Record(time.Since(sentAt))
	}
	k := vkey{t, v}
	e := r.pend[k]
	if e == nil {
		e = &pendEntry{created: time.Now()}
		r.pend[k] = e
	}
	e.acked, e.sentAt, e.sender, e.node = true, sentAt, sender, node
	for _, rc := range e.receipts {
		r.observe(e, rc)
	}
	e.receipts = nil
}

// recv records that socket c on node received the event of version v of t at time at.
func (r *recorder) recv(t string, v int64, c int64, node int, at time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	k := vkey{t, v}
	e := r.pend[k]
	if e == nil {
		e = &pendEntry{created: at}
		r.pend[k] = e
	}
	rc := receipt{c, node, at}
	if !e.acked {
		e.receipts = append(e.receipts, rc)
		return
	}
	r.observe(e, rc)
}

// observe records one latency; mu is held.
func (r *recorder) observe(e *pendEntry, rc receipt) {
	if rc.conn == e.sender || e.sentAt.Before(r.start) {
		return
	}
	d := rc.at.Sub(e.sentAt)
	if rc.node == e.node {
		r.local.Record(d)
		if !r.single {
			return
		}
	} else {
		r.cross.Record(d)
	}
	r.phase.Record(d)
	r.sec(e.sentAt).cross.Record(d)
}

// prune forgets entries older than age; unacked receipts among them count as lost.
func (r *recorder) prune(age time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	cut := time.Now().Add(-age)
	for k, e := range r.pend {
		if e.created.Before(cut) {
			if !e.acked {
				r.lost += int64(len(e.receipts))
			}
			delete(r.pend, k)
		}
	}
}

// resetPhase starts a new phase histogram and returns the finished one.
func (r *recorder) resetPhase() *Hist {
	r.mu.Lock()
	defer r.mu.Unlock()
	h := r.phase
	r.phase = NewHist()
	return h
}

// lastSecondP99 is the cross-node p99 of the most recent complete second, in ms.
func (r *recorder) recentP99() float64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	h := NewHist()
	n := len(r.secs)
	for i := n - 3; i < n; i++ {
		if i >= 0 {
			h.Merge(r.secs[i].cross)
		}
	}
	return float64(h.Quantile(0.99)) / 1000
}

// series returns per-second points for the chart and the JSON output.
func (r *recorder) series() []Point {
	r.mu.Lock()
	defer r.mu.Unlock()
	pts := make([]Point, 0, len(r.secs))
	for i, s := range r.secs {
		pts = append(pts, Point{
			T:      float64(i),
			Sent:   s.sent,
			Acked:  s.acked,
			Errs:   s.errs,
			Setups: s.setups,
			N:      s.cross.Count(),
			P50:    float64(s.cross.Quantile(0.5)) / 1000,
			P99:    float64(s.cross.Quantile(0.99)) / 1000,
			Max:    float64(s.cross.Max()) / 1000,
		})
	}
	return pts
}

// Point is one second of a run: results sent and answered, tournaments whose setup began, and
// the cross-node latency of the results sent in that second (ms).
type Point struct {
	T      float64 `json:"t"`
	Sent   int64   `json:"sent"`
	Acked  int64   `json:"acked"`
	Errs   int64   `json:"errors"`
	Setups int64   `json:"setups"`
	N      uint64  `json:"deliveries"`
	P50    float64 `json:"p50_ms"`
	P99    float64 `json:"p99_ms"`
	Max    float64 `json:"max_ms"`
}

// progress prints one line a second until stop is closed.
func progress(w io.Writer, start time.Time, st *stats, rec *recorder, stop <-chan struct{}, extra func() string) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	var lastSent int64
	warned := false
	for {
		select {
		case <-stop:
			return
		case now := <-t.C:
			sent := st.sent.Load()
			_, errs := st.errorCounts()
			line := fmt.Sprintf("%6.1fs sockets=%d sent=%d (+%d/s) recv=%d errors=%d dropped=%d",
				now.Sub(start).Seconds(), st.sockets.Load(), sent, sent-lastSent, st.received.Load(), errs, st.dropped.Load())
			if t := st.throttle(); t.any() {
				line += fmt.Sprintf(" rate_limited=%d", t.http+t.ws)
				if !warned {
					warned = true
					fmt.Fprintf(w, "WARNING: %s\n", t)
				}
			}
			if rec != nil {
				line += fmt.Sprintf(" p99(3s)=%.1fms", rec.recentP99())
				rec.prune(30 * time.Second)
			}
			if extra != nil {
				line += " " + extra()
			}
			fmt.Fprintln(w, line)
			lastSent = sent
		}
	}
}

func sortedKeys(m map[string]int64) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
