package fanout

import (
	"runtime"
	"testing"

	"github.com/tourhub/tourhub/hub/store"
	"github.com/tourhub/tourhub/match"
)

// TestSharedMessages: a topic encodes a snapshot, or an event a catch-up replays, once while a
// socket holds it, and every later request for the same position gets the same bytes (not for
// another epoch or rev: the same version on another history is another message); once nobody
// holds it, it is collected and encoded afresh. A live event is not kept: every subscriber is
// queued that one message already.
func TestSharedMessages(t *testing.T) {
	tp := &topic{id: "t1"}
	st := &match.Tournament{ID: "t1", Name: "Cup", Version: 3}
	head := store.Position{Epoch: "e1", Version: 3, Rev: "r3"}
	snap := func(p store.Position) Msg {
		t.Helper()
		m, err := tp.snapshot(p, st, false)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	held := snap(head)
	if again := snap(head); &again.Data[0] != &held.Data[0] || again.Kind != "snapshot" {
		t.Errorf("a second snapshot of the same position was encoded again")
	}
	for _, other := range []store.Position{{Epoch: "e2", Version: 3, Rev: "r3"}, {Epoch: "e1", Version: 3, Rev: "lost"}} {
		if m := snap(other); &m.Data[0] == &held.Data[0] {
			t.Errorf("the snapshot at %+v is the one at %+v", other, head)
		}
	}

	entries := []store.Entry{{Version: 4, Rev: "r4", Events: []match.Event{{Type: match.EvCheckedIn, Player: 1}}}, {Version: 5, Rev: "r5"}}
	tp.mu.Lock()
	live, err := tp.eventLocked("e1", entries[0], nil)
	n := len(tp.shared.m)
	tp.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	if n != 3 {
		t.Errorf("%d messages kept after a live event; want the 3 snapshots", n)
	}
	caught, err := tp.events("e1", entries)
	if err != nil {
		t.Fatal(err)
	}
	if string(caught[0].Data) != string(live.Data) || caught[0].Kind != "event" {
		t.Errorf("caught-up event %s; want the live one's %s", caught[0].Data, live.Data)
	}
	again, err := tp.events("e1", entries[:1])
	if err != nil {
		t.Fatal(err)
	}
	if &again[0].Data[0] != &caught[0].Data[0] {
		t.Errorf("an event a catch-up replayed was encoded again for the next one while a socket holds it")
	}
	if want, _ := encodeEvent("t1", "e1", entries[1], bothForms, bothForms, nil); string(caught[1].Data) != string(want.Data) {
		t.Errorf("event %s; want %s", caught[1].Data, want.Data)
	}
	other, err := tp.events("e1", []store.Entry{{Version: 4, Rev: "other", Events: entries[0].Events}})
	if err != nil {
		t.Fatal(err)
	}
	if &other[0].Data[0] == &caught[0].Data[0] {
		t.Errorf("the event of another rev at the same version is the held one")
	}

	// Nobody holds them any more: the entries are let go.
	runtime.KeepAlive(held)
	runtime.KeepAlive(caught)
	held, caught, again, other = Msg{}, nil, nil, nil
	runtime.GC()
	tp.mu.Lock()
	_, ok := tp.shared.get(sharedKey{pos: head, snapshot: true})
	tp.mu.Unlock()
	if ok {
		t.Errorf("a snapshot nobody holds is still kept")
	}
	for i := range 200 { // past the sweep size: the collected entries are dropped
		tp.events("e1", []store.Entry{{Version: int64(100 + i)}})
	}
	runtime.GC()
	tp.events("e1", []store.Entry{{Version: 1000}})
	tp.mu.Lock()
	tp.shared.sweep = 0
	tp.mu.Unlock()
	last, _ := tp.events("e1", []store.Entry{{Version: 1001}})
	tp.mu.Lock()
	n = len(tp.shared.m)
	tp.mu.Unlock()
	runtime.KeepAlive(last)
	if n > 2 {
		t.Errorf("%d messages kept after a sweep; want at most the 2 last ones", n)
	}
}

// TestLiveEventForms: a live event is made in the protocol versions that the topic's subscribers
// speak, and compressed (when long) in those that its subscribers which negotiated compression
// speak; the forms made are the ones encodeEvent makes of every form.
func TestLiveEventForms(t *testing.T) {
	var events []match.Event
	for i := range 200 {
		events = append(events, match.Event{Type: match.EvMatchReady, Match: &match.Match{ID: match.MatchID(i + 1),
			Bracket: match.BracketWinners, Round: 1, Status: match.MatchReady, Players: [2]match.PlayerID{1, 2}}})
	}
	for i, tc := range []struct {
		subs     []*sub // compact and deflate of the topic's subscribers
		v1, v2   bool   // the forms made
		zv1, zv2 bool   // the compressed forms made
	}{
		{subs: []*sub{{compact: true, deflate: true}}, v2: true, zv2: true},
		{subs: []*sub{{compact: false, deflate: true}}, v1: true, zv1: true},
		{subs: []*sub{{compact: true, deflate: true}, {compact: false, deflate: true}}, v1: true, v2: true, zv1: true, zv2: true},
		{subs: []*sub{{compact: true, deflate: true}, {compact: false}}, v1: true, v2: true, zv2: true},
		{subs: []*sub{{compact: true}, {compact: false}}, v1: true, v2: true},
		{subs: []*sub{{compact: true}}, v2: true},
		{subs: nil, v1: true},
	} {
		tp := &topic{id: "t1", subs: map[Subscriber]*sub{}}
		for _, sb := range tc.subs {
			sb.s = &holdSub{compact: sb.compact}
			tp.subs[sb.s] = sb
		}
		e := store.Entry{Version: int64(10 + i), Rev: "r", Events: events}
		tp.mu.Lock()
		m, err := tp.eventLocked("e1", e, nil)
		tp.mu.Unlock()
		if err != nil {
			t.Fatal(err)
		}
		all, err := encodeEvent("t1", "e1", e, bothForms, bothForms, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(all.Data) < 2048 || len(all.Compact) < 2048 {
			t.Fatalf("the event is %d and %d bytes: too short to be compressed", len(all.Data), len(all.Compact))
		}
		if (m.Data != nil) != tc.v1 || (m.Compact != nil) != tc.v2 {
			t.Errorf("case %d: made v1 %v, v2 %v; want %v, %v", i, m.Data != nil, m.Compact != nil, tc.v1, tc.v2)
		}
		if (m.Data != nil && string(m.Data) != string(all.Data)) || (m.Compact != nil && string(m.Compact) != string(all.Compact)) {
			t.Errorf("case %d: a form is not the one made with every form", i)
		}
		if (m.Deflated != nil) != tc.zv1 || (m.CompactDeflated != nil) != tc.zv2 {
			t.Errorf("case %d: compressed v1 %v, v2 %v; want %v, %v", i, m.Deflated != nil, m.CompactDeflated != nil, tc.zv1, tc.zv2)
		}
	}
}
