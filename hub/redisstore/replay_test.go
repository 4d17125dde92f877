package redisstore_test

import (
	"encoding/json"
	"strconv"
	"testing"

	"github.com/tourhub/tourhub/hub/redisstore"
	"github.com/tourhub/tourhub/hub/store"
	"github.com/tourhub/tourhub/internal/redistest"
	"github.com/tourhub/tourhub/match"
)

// replayFixture is a node w that commits and a node f that watches the tournament, with its
// cache following it, and the checks of what f made of w's commits.
type replayFixture struct {
	t    *testing.T
	srv  *redistest.Server
	w, f *redisstore.Store
	rec  *recorder
	id   string
}

func newReplayFixture(t *testing.T, id string) (*replayFixture, store.Applied) {
	srv := redistest.Start(t)
	x := &replayFixture{t: t, srv: srv, rec: newRecorder(t), id: id}
	x.w = newStore(t, srv, nil, redisstore.Options{})
	x.f = newStore(t, srv, x.rec.deliver, redisstore.Options{})
	mustCreate(t, x.w, id, match.SingleElimination)
	x.f.Watch(id)
	return x, untilFollowed(t, x.w, x.f, id)
}

// apply commits c on w and checks that f delivered w's events and has the stored state, with no
// commit left undecoded.
func (x *replayFixture) apply(c match.Command) store.Applied {
	t := x.t
	t.Helper()
	a := mustApply(t, x.w, x.id, c, "")
	waitUntil(t, "f's cache at the new version", func() bool { return redisstore.CachedVersion(x.f, x.id) == a.Version })
	if n := redisstore.LaterCommits(x.f, x.id); n != 0 {
		t.Fatalf("v%d: f holds %d commits undecoded; want its state replayed", a.Version, n)
	}
	x.same(a)
	var got []match.Event
	x.rec.waitFor(t, "f delivered v"+strconv.FormatInt(a.Version, 10), func() bool {
		es := x.rec.entries[x.id]
		if len(es) == 0 || es[len(es)-1].Version != a.Version {
			return false
		}
		got = es[len(es)-1].Events
		return true
	})
	gj, _ := json.Marshal(got)
	wj, _ := json.Marshal(a.Events)
	if string(gj) != string(wj) {
		t.Fatalf("v%d: f delivered\n%s\nw made\n%s", a.Version, gj, wj)
	}
	return a
}

// same checks that f's cached state and rev are the stored ones.
func (x *replayFixture) same(a store.Applied) {
	t := x.t
	t.Helper()
	c, rev := redisstore.CachedState(x.f, x.id)
	gj, _ := json.Marshal(c)
	wj, _ := json.Marshal(storedState(t, x.srv, x.id))
	if string(gj) != string(wj) {
		t.Fatalf("v%d: f's cache\n%s\nwant\n%s", a.Version, gj, wj)
	}
	if stored, err := x.srv.Do("HGET", "tourhub:{t:"+x.id+"}:state", "rev"); err != nil || stored != rev {
		t.Fatalf("v%d: f's cached rev %q; stored %q (%v)", a.Version, rev, stored, err)
	}
}

// TestReplay: a watching node replays other nodes' commits through the engine (joins, a leave
// that deletes a field, the start, both reports of results): after each its cached state is the
// stored one with nothing left to decode, it delivers the committer's events, and its own next
// command commits without a conflict.
func TestReplay(t *testing.T) {
	t.Parallel()
	x, _ := newReplayFixture(t, "t_replay")
	before := x.f.Stats()
	n := 0
	for i := range 5 {
		x.apply(match.Command{Type: match.CmdJoin, Name: "P" + strconv.Itoa(i)})
		n++
	}
	x.apply(match.Command{Type: match.CmdLeave, Player: storedState(t, x.srv, x.id).Participants[0].ID})
	x.apply(match.Command{Type: match.CmdStart})
	n += 2
	for range 2 {
		m := readyMatch(t, storedState(t, x.srv, x.id))
		x.apply(match.Command{Type: match.CmdReport, Match: m.ID, By: m.Players[0], Scores: [2]int{1, 0}})
		x.apply(match.Command{Type: match.CmdReport, Match: m.ID, By: m.Players[1], Scores: [2]int{1, 0}})
		n += 2
	}
	st := x.f.Stats()
	if got := st.Replayed - before.Replayed; got != uint64(n) || st.ReplayMismatches != 0 || st.ReplayBusy != before.ReplayBusy {
		t.Errorf("f replayed %d of %d commits, %d mismatches, %d busy; want all, none, none", got, n,
			st.ReplayMismatches, st.ReplayBusy-before.ReplayBusy)
	}
	m := readyMatch(t, storedState(t, x.srv, x.id))
	mine := mustApply(t, x.f, x.id, match.Command{Type: match.CmdReport, Match: m.ID, Scores: [2]int{1, 0}}, "")
	if c := x.f.Stats().Conflicts; c != st.Conflicts {
		t.Errorf("f's own command (v%d) lost %d compare-and-sets; want none", mine.Version, c-st.Conflicts)
	}
}

// TestReplayMismatch: a replay whose outcome is not the published commit (here: f's cached state
// is not what its rev says) is undone, counted and told; the node decodes the commit instead,
// delivers the committer's events, and its state is the stored one again.
func TestReplayMismatch(t *testing.T) {
	t.Parallel()
	x, _ := newReplayFixture(t, "t_replay_bad")
	if !redisstore.ChangeCached(x.f, x.id, func(t *match.Tournament) { t.Description = "not what is stored" }) {
		t.Fatal("f has no cached state")
	}
	before := x.f.Stats()
	x.rec.mu.Lock()
	delivered := len(x.rec.entries[x.id])
	x.rec.mu.Unlock()
	b := mustApply(t, x.w, x.id, match.Command{Type: match.CmdJoin, Name: "P"}, "")
	waitUntil(t, "f's cache at the new version", func() bool { return redisstore.CachedVersion(x.f, x.id) == b.Version })
	st := x.f.Stats()
	if st.ReplayMismatches-before.ReplayMismatches != 1 || st.Replayed != before.Replayed {
		t.Errorf("%d mismatches and %d replays; want 1 and none", st.ReplayMismatches-before.ReplayMismatches, st.Replayed-before.Replayed)
	}
	x.rec.waitFor(t, "f delivered the join", func() bool { return len(x.rec.entries[x.id]) > delivered })
	x.rec.mu.Lock()
	got := x.rec.entries[x.id][delivered]
	x.rec.mu.Unlock()
	gj, _ := json.Marshal(got.Events)
	wj, _ := json.Marshal(b.Events)
	if got.Version != b.Version || string(gj) != string(wj) {
		t.Errorf("f delivered v%d %s; want v%d %s", got.Version, gj, b.Version, wj)
	}
	x.same(b)
	// The next commit replays again, on the state the fields set right.
	x.apply(match.Command{Type: match.CmdJoin, Name: "Q"})
	if st := x.f.Stats(); st.Replayed != before.Replayed+1 {
		t.Errorf("after the mismatch f replayed %d commits; want 1", st.Replayed-before.Replayed)
	}
}
