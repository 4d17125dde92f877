package hub

import (
	"runtime"
	"testing"

	"github.com/tourhub/tourhub/match"
)

// TestSharedMessages: a topic encodes a snapshot or an event once while a socket holds it, and
// every later request for the same version gets the same bytes; once nobody holds it, it is
// collected and encoded afresh.
func TestSharedMessages(t *testing.T) {
	tp := &topic{id: "t1"}
	st := &match.Tournament{ID: "t1", Name: "Cup", Version: 3}
	held, err := tp.snapshot("e1", st)
	if err != nil {
		t.Fatal(err)
	}
	again, err := tp.snapshot("e1", st)
	if err != nil {
		t.Fatal(err)
	}
	if &again.data[0] != &held.data[0] || again.kind != "snapshot" {
		t.Errorf("a second snapshot of the same version was encoded again")
	}
	if other, _ := tp.snapshot("e2", st); &other.data[0] == &held.data[0] {
		t.Errorf("the snapshot of another epoch is the same message")
	}

	entries := []Entry{{Version: 4, Events: []match.Event{{Type: match.EvCheckedIn, Player: 1}}}, {Version: 5}}
	tp.mu.Lock()
	live := tp.eventLocked("e1", entries[0])
	tp.mu.Unlock()
	evs := tp.events("e1", entries)
	if &evs[0].data[0] != &live.data[0] || evs[0].kind != "event" {
		t.Errorf("a caught-up event was encoded again while the live one is held")
	}
	if string(evs[1].data) != string(encodeEvent("t1", "e1", entries[1]).data) {
		t.Errorf("event %s; want %s", evs[1].data, encodeEvent("t1", "e1", entries[1]).data)
	}

	// Nobody holds them any more: the entries are let go.
	runtime.KeepAlive(held)
	runtime.KeepAlive(live)
	held, again, live, evs = outMsg{}, outMsg{}, outMsg{}, nil
	runtime.GC()
	tp.mu.Lock()
	_, ok := tp.shared.get(sharedKey{epoch: "e1", version: 3, snapshot: true})
	tp.mu.Unlock()
	if ok {
		t.Errorf("a snapshot nobody holds is still kept")
	}
	for i := range 200 { // past the sweep size: the collected entries are dropped
		tp.mu.Lock()
		tp.eventLocked("e1", Entry{Version: int64(100 + i)})
		tp.mu.Unlock()
	}
	runtime.GC()
	tp.mu.Lock()
	tp.eventLocked("e1", Entry{Version: 1000})
	tp.shared.sweep = 0
	tp.eventLocked("e1", Entry{Version: 1001})
	n := len(tp.shared.m)
	tp.mu.Unlock()
	if n > 2 {
		t.Errorf("%d messages kept after a sweep; want at most the 2 last ones", n)
	}
}
