package fanout

import (
	"context"
	"fmt"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tourhub/tourhub/hub/memstore"
	"github.com/tourhub/tourhub/hub/store"
	"github.com/tourhub/tourhub/hub/storetest"
	"github.com/tourhub/tourhub/match"
)

// holdSub is a Subscriber that keeps what it is queued, as a socket's queue does.
type holdSub struct {
	mu      sync.Mutex
	msgs    []Msg
	compact bool // speaks tourhub.v2
}

func (s *holdSub) Enqueue(m Msg) Enqueued {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs = append(s.msgs, m)
	return Queued
}
func (s *holdSub) Flush()                {}
func (s *holdSub) Slow(string)           {}
func (s *holdSub) Refused(string, error) {}
func (s *holdSub) Resync()               {}
func (s *holdSub) Ended(string, error)   {}
func (s *holdSub) Compact() bool         { return s.compact }
func (s *holdSub) Deflate() bool         { return false }

func (s *holdSub) snapshot() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range s.msgs {
		if m.Kind == "snapshot" {
			return m.Data
		}
	}
	return nil
}

// heldFixture is a table on a memstore that counts the table's reads of the state, and one
// single-elimination tournament, id, in it.
type heldFixture struct {
	t  *testing.T
	id string
	ms *memstore.Store
	st *storetest.LoadCounter
	tb *Table
}

func newHeldFixture(t *testing.T, id, name string) *heldFixture {
	t.Helper()
	ms := memstore.New()
	t.Cleanup(func() { ms.Close() })
	st := &storetest.LoadCounter{Store: ms}
	tb := New(Config{Store: st})
	t.Cleanup(tb.Close)
	ms.Register(tb)
	if _, err := ms.Create(context.Background(), id, match.Command{Type: match.CmdCreate, Name: name,
		Settings: &match.Settings{Format: match.SingleElimination}}, time.Now()); err != nil {
		t.Fatal(err)
	}
	return &heldFixture{t: t, id: id, ms: ms, st: st, tb: tb}
}

// subscribe subscribes a socket that keeps its messages (v2's if compact) and waits for its snapshot.
func (f *heldFixture) subscribe(compact bool) *holdSub {
	f.t.Helper()
	s := &holdSub{compact: compact}
	f.tb.Join(s, f.id, Request{Reply: true}, 0)
	waitFor(f.t, func() bool { return s.snapshot() != nil })
	return s
}

// join commits a player's join.
func (f *heldFixture) join(name string) {
	f.t.Helper()
	if _, err := f.ms.Apply(context.Background(), f.id, match.Command{Type: match.CmdJoin, Name: name}, ""); err != nil {
		f.t.Fatal(err)
	}
}

// waitVersion waits until the topic has delivered version v.
func (f *heldFixture) waitVersion(v int64) {
	f.t.Helper()
	waitFor(f.t, func() bool {
		tp := f.tb.topics[f.id]
		tp.mu.Lock()
		defer tp.mu.Unlock()
		return tp.version == v
	})
}

// TestBurstOfSubscribersLoadsOnce: subscribers that come while a socket holds the snapshot of the
// topic's last entry get that snapshot, shared, without the store being read again (a thousand
// spectators opening a page at once read and encoded the whole state once per round of
// catch-ups); after the next entry, the next subscriber's snapshot is read afresh.
func TestBurstOfSubscribersLoadsOnce(t *testing.T) {
	f := newHeldFixture(t, "t_burst", "Burst")
	f.ms.Watch("t_burst")
	st, subscribe := f.st, func() *holdSub { return f.subscribe(false) }
	// The topic has delivered an entry: its position is known.
	subscribe() // the topic is watched from here on
	f.join("Ada")
	f.waitVersion(2)
	second := subscribe()
	before := st.Loads.Load()
	var burst []*holdSub
	for range 50 {
		burst = append(burst, subscribe())
	}
	if got := st.Loads.Load() - before; got != 0 {
		t.Errorf("50 subscribers at the same version read the state %d more times; want 0 (the held snapshot)", got)
	}
	for _, s := range burst {
		if &s.snapshot()[0] != &second.snapshot()[0] {
			t.Fatal("a subscriber of the burst got its own snapshot, not the shared one")
		}
	}
	// A tourhub.v2 subscriber needs the snapshot's other form: read and encoded once, then held
	// for the next ones like v1's.
	before = st.Loads.Load()
	v2 := f.subscribe(true)
	if got := st.Loads.Load() - before; got != 1 || &v2.snapshot()[0] == &second.snapshot()[0] {
		t.Errorf("the first v2 subscriber: %d reads of the state (want 1), its own snapshot %v (want true)", got,
			&v2.snapshot()[0] != &second.snapshot()[0])
	}
	if again := f.subscribe(true); st.Loads.Load()-before != 1 || &again.snapshot()[0] != &v2.snapshot()[0] {
		t.Error("a second v2 subscriber did not get the first one's snapshot, shared")
	}
	f.join("Grace")
	f.waitVersion(3)
	before = st.Loads.Load()
	third := subscribe()
	if st.Loads.Load() == before || &third.snapshot()[0] == &second.snapshot()[0] {
		t.Error("after a new entry, a subscriber got the old snapshot")
	}
}

// TestSubscribersOfANewTopicLoadOnce: before a topic has delivered any entry (the sockets of a
// tournament just started, subscribing in several rounds), the snapshot the first round read
// serves the next rounds as the last entry's would; a loss of deliveries ends that, and so does
// the next entry.
func TestSubscribersOfANewTopicLoadOnce(t *testing.T) {
	f := newHeldFixture(t, "t_new", "New")
	st, subscribe := f.st, func() *holdSub { return f.subscribe(false) }
	first := subscribe()
	if got := st.Loads.Load(); got != 1 {
		t.Fatalf("the first subscriber: %d reads of the state; want 1", got)
	}
	for range 5 { // a round each
		if s := subscribe(); &s.snapshot()[0] != &first.snapshot()[0] {
			t.Fatal("a later subscriber got its own snapshot, not the first one's")
		}
	}
	if got := st.Loads.Load(); got != 1 {
		t.Errorf("six subscribers, one at a time, before any entry: %d reads of the state; want 1", got)
	}
	// A loss: what was read may have been followed by entries the topic never got, so the
	// resync of the six reads the state again, and that read is held in turn.
	f.tb.Deliver("t_new", "", store.Entry{}, true)
	waitFor(t, func() bool { return st.Loads.Load() == 2 })
	subscribe()
	if got := st.Loads.Load(); got != 2 {
		t.Errorf("after a loss: %d reads of the state; want 2 (the resync's, then none)", got)
	}
	// The next entry moves the topic on: its snapshot is read afresh.
	f.join("Ada")
	f.waitVersion(2)
	before := st.Loads.Load()
	if s := subscribe(); st.Loads.Load() != before+1 || !strings.Contains(string(s.snapshot()), `"version":2`) {
		t.Errorf("after an entry: %d more reads of the state (want 1), snapshot %.80s (want version 2)", st.Loads.Load()-before, s.snapshot())
	}
}

func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	for end := time.Now().Add(5 * time.Second); !ok(); time.Sleep(time.Millisecond) {
		if time.Now().After(end) {
			t.Fatal("condition not met within 5 s")
		}
	}
}

// countSub is a Subscriber that counts the snapshots it is queued.
type countSub struct{ n *atomic.Int64 }

func (s countSub) Enqueue(m Msg) Enqueued {
	if m.Kind == "snapshot" {
		s.n.Add(1)
	}
	return Queued
}
func (countSub) Flush()                {}
func (countSub) Slow(string)           {}
func (countSub) Refused(string, error) {}
func (countSub) Resync()               {}
func (countSub) Ended(string, error)   {}
func (countSub) Compact() bool         { return false }
func (countSub) Deflate() bool         { return false }

// BenchmarkSubscribeBurst: a burst of subscribers to one tournament (spectators opening its page
// at once), from the first Join to the last snapshot queued, per subscriber. It stays flat as the
// burst grows: a round of catch-ups looks only at the subscribers that owe one (topic.owed), where
// it once scanned every subscriber of the topic (quadratic: 10,000 subscribers arriving ten at a
// time cost twice as much each as 1,000, and six times what they cost now).
func BenchmarkSubscribeBurst(b *testing.B) {
	for _, burst := range []int{1000, 10000} {
		b.Run("subscribers="+strconv.Itoa(burst), func(b *testing.B) {
			ctx := context.Background()
			for b.Loop() {
				b.StopTimer()
				ms := memstore.New()
				tb := New(Config{Store: ms})
				ms.Register(tb)
				if _, err := ms.Create(ctx, "t_burst", match.Command{Type: match.CmdCreate, Name: "Burst",
					Settings: &match.Settings{Format: match.SingleElimination}}, time.Now()); err != nil {
					b.Fatal(err)
				}
				var got atomic.Int64
				subs := make([]countSub, burst)
				for i := range subs {
					subs[i] = countSub{n: &got}
				}
				b.StartTimer()
				// They arrive a few at a time, each few served before the next (as sockets
				// upgrade one after another): many rounds of catch-ups, each for a few.
				for i := range subs {
					tb.Join(&subs[i], "t_burst", Request{Reply: true}, 0)
					if i%10 == 9 {
						for got.Load() <= int64(i) {
							runtime.Gosched()
						}
					}
				}
				for got.Load() < int64(burst) {
					runtime.Gosched()
				}
				b.StopTimer()
				tb.Close()
				ms.Close()
				b.StartTimer()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(burst), "ns/subscriber")
		})
	}
}

// orderSub is a Subscriber that logs, after its snapshot, what the deliverer does with it: its
// events are claimed (Flush) or, with full, refused as a full queue (Slow).
type orderSub struct {
	name  string
	full  bool
	topic atomic.Pointer[topic] // set once it is live, before the entry
	log   *orderLog
	live  atomic.Bool
}

type orderLog struct {
	mu    sync.Mutex
	calls []string
}

func (l *orderLog) add(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls = append(l.calls, s)
}

func (s *orderSub) Enqueue(m Msg) Enqueued {
	switch {
	case m.Kind == "snapshot":
		s.live.Store(true)
		return Queued
	case s.topic.Load() == nil:
		return Queued // the catch-up's
	case s.full:
		return Full
	}
	return Claimed
}
func (s *orderSub) Flush() { s.log.add("flush " + s.name) }
func (s *orderSub) Slow(reason string) {
	if !s.topic.Load().mu.TryLock() {
		s.log.add("slow " + s.name + " under the topic's lock")
		return
	}
	s.topic.Load().mu.Unlock()
	s.log.add("slow " + s.name)
}
func (s *orderSub) Refused(string, error) {}
func (s *orderSub) Resync()               {}
func (s *orderSub) Ended(string, error)   {}
func (s *orderSub) Compact() bool         { return false }
func (s *orderSub) Deflate() bool         { return false }

// TestFullQueuesCloseAfterTheWrites: a socket whose queue is full is closed as slow once the
// deliverer released the topic's lock and wrote the entry to the sockets that take it: a thousand
// never-reading sockets whose queues fill on the same entry start a thousand closes, which the
// readers of that entry do not wait for.
func TestFullQueuesCloseAfterTheWrites(t *testing.T) {
	ctx := context.Background()
	ms := memstore.New()
	defer ms.Close()
	tb := New(Config{Store: ms})
	defer tb.Close()
	ms.Register(tb)
	if _, err := ms.Create(ctx, "t_order", match.Command{Type: match.CmdCreate, Name: "Order",
		Settings: &match.Settings{Format: match.SingleElimination}}, time.Now()); err != nil {
		t.Fatal(err)
	}
	ms.Watch("t_order")
	log := &orderLog{}
	var subs []*orderSub
	for i, full := range []bool{true, false, true, false} {
		s := &orderSub{name: fmt.Sprint(i), full: full, log: log}
		tb.Join(s, "t_order", Request{Reply: true}, 0)
		subs = append(subs, s)
	}
	waitFor(t, func() bool {
		for _, s := range subs {
			if !s.live.Load() {
				return false
			}
		}
		return true
	})
	tb.mu.RLock()
	for _, s := range subs {
		s.topic.Store(tb.topics["t_order"])
	}
	tb.mu.RUnlock()
	if _, err := ms.Apply(ctx, "t_order", match.Command{Type: match.CmdJoin, Name: "Ada"}, ""); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool {
		log.mu.Lock()
		defer log.mu.Unlock()
		return len(log.calls) == 4
	})
	log.mu.Lock()
	defer log.mu.Unlock()
	got := log.calls
	sort.Slice(got[:2], func(i, j int) bool { return got[i] < got[j] }) // the map's order within each kind
	sort.Slice(got[2:], func(i, j int) bool { return got[2+i] < got[2+j] })
	if want := []string{"flush 1", "flush 3", "slow 0", "slow 2"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("the deliverer's calls: %q; want %q (the writes, then the closes, out of the lock)", got, want)
	}
}
