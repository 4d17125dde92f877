package redisstore_test

import (
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/tourhub/tourhub/hub/redisstore"
	"github.com/tourhub/tourhub/internal/redistest"
	"github.com/tourhub/tourhub/match"
)

// staleStats sums the stale-cache counters of nodes.
func staleStats(nodes ...*redisstore.Store) (stale, fromRecent uint64) {
	for _, n := range nodes {
		st := n.Stats()
		stale += st.Stale
		fromRecent += st.StaleRecent
	}
	return stale, fromRecent
}

// sameAsStored fails the test unless node's cached state of id is the stored state.
func sameAsStored(t *testing.T, srv *redistest.Server, node *redisstore.Store, id, when string) {
	t.Helper()
	st := storedState(t, srv, id)
	c, _ := redisstore.CachedState(node, id)
	if c == nil || !reflect.DeepEqual(c, st) {
		t.Fatalf("%s: the node's cached state is not the stored one:\ncached %+v\nstored %+v", when, c, st)
	}
}

// TestStaleCacheFromRecent: nodes that do not watch a tournament take turns committing to it (HTTP
// behind a round-robin balancer), so each one's cached state is behind by the others' commits.
// The check before applying answers the fields of those commits (the recent list), and the node
// brings its cache forward with them: no state hash is read whole (no HGETALL, not even inside a
// script), and after every command the committing node holds exactly the stored state. Joins, a
// leave, the start and every result of a double elimination, so that the fields include deleted
// participants, new and changed matches.
func TestStaleCacheFromRecent(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	nodes := []*redisstore.Store{
		newStore(t, srv, nil, redisstore.Options{}),
		newStore(t, srv, nil, redisstore.Options{}),
		newStore(t, srv, nil, redisstore.Options{}),
	}
	const id = "t_fromrecent"
	mustCreate(t, nodes[0], id, match.DoubleElimination)
	turn := 0
	apply := func(c match.Command) match.Command {
		t.Helper()
		n := nodes[turn%len(nodes)]
		turn++
		mustApply(t, n, id, c, "")
		sameAsStored(t, srv, n, id, "after "+string(c.Type)+" #"+strconv.Itoa(turn))
		return c
	}
	for i := range 3 { // every node caches the state (the first command of each reads it whole)
		apply(match.Command{Type: match.CmdJoin, Name: "Warm" + strconv.Itoa(i)})
	}
	mon := srv.Monitor()
	s0, l0 := staleStats(nodes...)
	for i := range 9 {
		apply(match.Command{Type: match.CmdJoin, Name: "P" + strconv.Itoa(i)})
	}
	apply(match.Command{Type: match.CmdLeave, Player: 2})
	apply(match.Command{Type: match.CmdStart})
	results := 0
	for {
		st := storedState(t, srv, id)
		if st.Status == match.StatusFinished {
			break
		}
		var ready *match.Match
		for i := range st.Matches {
			if st.Matches[i].Status == match.MatchReady {
				ready = &st.Matches[i]
				break
			}
		}
		if ready == nil {
			t.Fatalf("running, no ready match: %+v", st.Matches)
		}
		scores := [2]int{1, 0}
		if results%3 == 1 {
			scores = [2]int{0, 1}
		}
		apply(match.Command{Type: match.CmdReport, Match: ready.ID, Scores: scores})
		results++
	}
	s1, l1 := staleStats(nodes...)
	commands := uint64(9 + 2 + results)
	if s1-s0 != commands || l1-l0 != commands {
		t.Errorf("%d stale caches, %d brought forward from the recent fields; want %d and %d (every command follows another node's)", s1-s0, l1-l0, commands, commands)
	}
	// nodes[0] created the tournament and found its cache current once, at Warm0: once is not
	// enough to skip the check, so no command lost a compare-and-set.
	for i, n := range nodes {
		if st := n.Stats(); st.Unchecked != 0 || st.Conflicts != 0 {
			t.Errorf("node %d: %d commands unchecked, %d conflicts; want none", i, st.Unchecked, st.Conflicts)
		}
	}
	lines, err := mon.Until(srv, "fromrecent-done")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range lines {
		if strings.Contains(l, " lua] ") && strings.Contains(strings.ToUpper(l), `"HGETALL"`) {
			t.Fatalf("a script read a state hash whole: %s", l)
		}
	}
}

// TestStaleCacheFallsBack: where the recent fields cannot bring a stale cache forward, the check
// answers the whole state, and the node commits on (or reads) the stored state: a cache more
// commits behind than the recent list keeps, a recent list with an entry missing, a commit whose
// fields were too big to keep there, and a cache of a history that Redis no longer has (it came
// back older, and other commits reached a higher version since).
func TestStaleCacheFallsBack(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	cases := []struct {
		name   string
		before func(t *testing.T, id string, a, b *redisstore.Store) // a has cached the state
		load   bool                                                  // a reads instead of joining
	}{
		{"too far behind", func(t *testing.T, id string, a, b *redisstore.Store) {
			for i := range 30 { // the recent list keeps 16 to 24
				mustApply(t, b, id, match.Command{Type: match.CmdJoin, Name: "B" + strconv.Itoa(i)}, "")
			}
		}, false},
		{"entry missing", func(t *testing.T, id string, a, b *redisstore.Store) {
			mustApply(t, b, id, match.Command{Type: match.CmdJoin, Name: "Gone"}, "")
			for i := range 2 {
				mustApply(t, b, id, match.Command{Type: match.CmdJoin, Name: "B" + strconv.Itoa(i)}, "")
			}
			k := "tourhub:{t:" + id + "}:recent" // newest first: Gone's commit is the third
			for _, cmd := range [][]string{{"LSET", k, "2", "removed"}, {"LREM", k, "1", "removed"}} {
				if _, err := srv.Do(cmd...); err != nil {
					t.Fatal(err)
				}
			}
		}, false},
		{"fields too big to keep", func(t *testing.T, id string, a, b *redisstore.Store) {
			players := make([]match.NewPlayer, 1020)
			for i := range players {
				players[i] = match.NewPlayer{Name: "Player number " + strconv.Itoa(i)}
			}
			mustApply(t, b, id, match.Command{Type: match.CmdAddPlayers, Players: players}, "")
			mustApply(t, b, id, match.Command{Type: match.CmdStart}, "") // every match: over 256 KiB
			item, err := srv.Do("LINDEX", "tourhub:{t:"+id+"}:recent", "0")
			if err != nil || !strings.HasSuffix(item, " -") {
				t.Fatalf("the start's recent item: %.80q (%v); want its fields left out (-)", item, err)
			}
		}, true},
		{"another history", func(t *testing.T, id string, a, b *redisstore.Store) {
			k := "tourhub:{t:" + id + "}:"
			for _, key := range []string{"state", "log", "recent"} {
				if _, err := srv.Do("COPY", k+key, k+"saved:"+key); err != nil {
					t.Fatal(err)
				}
			}
			for i := range 2 { // a's cache goes ahead in a history that Redis then loses
				mustApply(t, a, id, match.Command{Type: match.CmdJoin, Name: "Lost" + strconv.Itoa(i)}, "")
			}
			for _, key := range []string{"state", "log", "recent"} {
				if _, err := srv.Do("COPY", k+"saved:"+key, k+key, "REPLACE"); err != nil {
					t.Fatal(err)
				}
			}
			c := newStore(t, srv, nil, redisstore.Options{}) // no cache: it commits on the stored state
			for i := range 4 {
				mustApply(t, c, id, match.Command{Type: match.CmdJoin, Name: "New" + strconv.Itoa(i)}, "")
			}
		}, false},
	}
	// a's last command is checked first, or (unchecked: a's commands before it found its cache
	// current) goes to the commit unchecked, whose lost compare-and-set answers what the check
	// would have.
	for i, tc := range cases {
		for _, unchecked := range []bool{false, true} {
			if tc.load && unchecked {
				continue // a read always checks
			}
			name := tc.name
			if unchecked {
				name += " unchecked"
			}
			t.Run(name, func(t *testing.T) {
				id := "t_fallback_" + strconv.Itoa(i)
				if unchecked {
					id += "_u"
				}
				a := newStore(t, srv, nil, redisstore.Options{})
				b := newStore(t, srv, nil, redisstore.Options{})
				mustCreate(t, b, id, match.DoubleElimination)
				join(t, a, id, 3) // a reads the state, then finds its cache current twice
				tc.before(t, id, a, b)
				if !unchecked {
					redisstore.CheckNext(a, id)
				}
				s0, l0 := staleStats(a)
				before := a.Stats()
				if tc.load {
					if _, _, err := a.Load(ctxFor(t), id); err != nil {
						t.Fatal(err)
					}
				} else {
					mustApply(t, a, id, match.Command{Type: match.CmdJoin, Name: "Last"}, "")
				}
				s1, l1 := staleStats(a)
				after := a.Stats()
				switch {
				case unchecked && (after.Unchecked-before.Unchecked != 1 || after.Conflicts-before.Conflicts != 1 || s1 != s0 || l1 != l0):
					t.Errorf("%d unchecked, %d conflicts, %d stale caches, %d brought forward from the recent fields; want 1, 1, 0 and 0 (the whole state answered the commit)",
						after.Unchecked-before.Unchecked, after.Conflicts-before.Conflicts, s1-s0, l1-l0)
				case !unchecked && (s1-s0 != 1 || l1 != l0 || after.Unchecked != before.Unchecked):
					t.Errorf("%d stale caches, %d brought forward from the recent fields, %d unchecked; want 1, 0 and 0 (the whole state read)", s1-s0, l1-l0, after.Unchecked-before.Unchecked)
				}
				sameAsStored(t, srv, a, id, "after the command")
				for _, p := range storedState(t, srv, id).Participants {
					if strings.HasPrefix(p.Name, "Lost") {
						t.Errorf("the stored state has %q, from the history Redis lost", p.Name)
					}
				}
			})
		}
	}
}

// TestConflictFromRecent: a node that does not watch a tournament checks its cached state (the
// stored one), and another node commits between that check and its commit script. The lost
// compare-and-set is answered the winner's fields from the recent list, the node brings its cache
// forward with them and commits on the stored state: one conflict, no state hash read whole.
func TestConflictFromRecent(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	a := newStore(t, srv, nil, redisstore.Options{})
	b := newStore(t, srv, nil, redisstore.Options{})
	const id = "t_cfrecent"
	mustCreate(t, a, id, match.SingleElimination)
	join(t, a, id, 3)
	mustApply(t, b, id, match.Command{Type: match.CmdJoin, Name: "Warm"}, "")  // b caches the state
	mustApply(t, a, id, match.Command{Type: match.CmdJoin, Name: "Again"}, "") // a's is the stored one
	raced := false
	redisstore.SetBeforeCommit(a, func(string) {
		if !raced {
			raced = true
			mustApply(t, b, id, match.Command{Type: match.CmdJoin, Name: "Between"}, "")
		}
	})
	mon := srv.Monitor()
	before := a.Stats()
	mustApply(t, a, id, match.Command{Type: match.CmdJoin, Name: "Mine"}, "")
	after := a.Stats()
	if c, r := after.Conflicts-before.Conflicts, after.StaleRecent-before.StaleRecent; !raced || c != 1 || r != 1 {
		t.Errorf("raced %v, %d conflicts, %d brought forward from the recent fields; want true, 1 and 1", raced, c, r)
	}
	lines, err := mon.Until(srv, "cfrecent-done")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range lines {
		if strings.Contains(strings.ToUpper(l), `"HGETALL"`) {
			t.Errorf("a state hash was read whole: %s", l)
		}
	}
	sameAsStored(t, srv, a, id, "after the retried command")
	names := map[string]bool{}
	for _, p := range storedState(t, srv, id).Participants {
		names[p.Name] = true
	}
	if !names["Between"] || !names["Mine"] {
		t.Errorf("stored players %v; want Between and Mine among them", names)
	}
}

// TestLoadChecksCache: Load of a tournament the node has cached checks the cache against the
// stored state instead of reading the hash whole: the same, or brought forward with the recent
// fields of another node's commits; either way it answers the stored state and position.
func TestLoadChecksCache(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	a := newStore(t, srv, nil, redisstore.Options{})
	b := newStore(t, srv, nil, redisstore.Options{})
	const id = "t_loadcache"
	mustCreate(t, a, id, match.SingleElimination)
	join(t, a, id, 4) // a caches the stored state
	mustApply(t, b, id, match.Command{Type: match.CmdJoin, Name: "Warm"}, "")
	ctx := ctxFor(t)
	if _, _, err := a.Load(ctx, id); err != nil { // brought forward: a's cache is the stored state
		t.Fatal(err)
	}
	mon := srv.Monitor()
	before := a.Stats()
	check := func(when string, want int64) {
		t.Helper()
		got, head, err := a.Load(ctx, id)
		st := storedState(t, srv, id)
		if err != nil || head.Version != want || !reflect.DeepEqual(got, st) {
			t.Fatalf("%s: Load = v%d (head %+v), %v; want the stored v%d\n got %+v\nwant %+v", when, got.Version, head, err, want, got, st)
		}
	}
	check("nothing committed since", 6)
	mustApply(t, b, id, match.Command{Type: match.CmdJoin, Name: "Other"}, "")
	mustApply(t, b, id, match.Command{Type: match.CmdStart}, "")
	check("two commits of another node since", 8)
	after := a.Stats()
	if r := after.StaleRecent - before.StaleRecent; r != 1 {
		t.Errorf("%d loads brought forward from the recent fields; want 1", r)
	}
	lines, err := mon.Until(srv, "loadcache-done")
	if err != nil {
		t.Fatal(err)
	}
	reads := 0 // storedState reads the hash whole twice through a node of its own
	for _, l := range lines {
		if strings.Contains(strings.ToUpper(l), `"HGETALL"`) {
			reads++
		}
	}
	if reads != 2 {
		t.Errorf("%d HGETALLs; want the 2 of the test's own reads (a's loads read none)", reads)
	}
}

// TestUncheckedOnOneNode: a balancer that sends a tournament's HTTP commands to one node by its id
// (deploy/haproxy.cfg). Once two commands of that node in a row find its cached state current,
// the next ones go to the commit without the check: one script each. Another node's commit in
// between makes the guess lose its compare-and-set, whose answer brings the cache forward (no
// second read), and the commands after that are checked again. A command the unchecked cache
// refuses is judged on the stored state, checked then: refused when the cache was current, taken
// when it was behind.
func TestUncheckedOnOneNode(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	a := newStore(t, srv, nil, redisstore.Options{})
	b := newStore(t, srv, nil, redisstore.Options{}) // the tournament's node
	const id = "t_onenode"
	mustCreate(t, a, id, match.SingleElimination)
	mustApply(t, a, id, match.Command{Type: match.CmdJoin, Name: "A0"}, "") // a checks: the script is loaded
	joinB := func(names ...string) {
		t.Helper()
		for _, name := range names {
			mustApply(t, b, id, match.Command{Type: match.CmdJoin, Name: name}, "")
		}
	}
	want := func(when string, unchecked, conflicts, stale uint64) {
		t.Helper()
		st := b.Stats()
		if st.Unchecked != unchecked || st.Conflicts != conflicts || st.Stale != stale || st.StaleRecent != conflicts+stale {
			t.Fatalf("%s: %d unchecked, %d conflicts, %d stale caches, %d brought forward from the recent fields; want %d, %d, %d and %d",
				when, st.Unchecked, st.Conflicts, st.Stale, st.StaleRecent, unchecked, conflicts, stale, conflicts+stale)
		}
	}
	// scripts runs f and fails the test unless the nodes sent exactly n scripts meanwhile, and no
	// other command (no state read whole).
	mon := srv.Monitor()
	marks := 0
	scripts := func(what string, n int, f func()) {
		t.Helper()
		marks++
		mustUntil(t, mon, srv, "onenode-before-"+strconv.Itoa(marks))
		f()
		calls := sentCalls(mustUntil(t, mon, srv, "onenode-after-"+strconv.Itoa(marks)))
		if calls["EVALSHA"] != n || len(calls) != 1 {
			t.Errorf("%s sent %v; want %d scripts and nothing else", what, calls, n)
		}
	}

	joinB("P1")                                                   // reads the state
	scripts("P2, P3", 4, func() { joinB("P2", "P3") })            // each checked, current
	scripts("P4-P7", 4, func() { joinB("P4", "P5", "P6", "P7") }) // a commit each
	want("P7", 4, 0, 0)
	sameAsStored(t, srv, b, id, "after P7")

	mustApply(t, a, id, match.Command{Type: match.CmdJoin, Name: "A1"}, "")
	scripts("P8 after A1", 2, func() { joinB("P8") }) // loses to A1, committed on the answer
	want("P8", 5, 1, 0)
	sameAsStored(t, srv, b, id, "after P8")
	scripts("P9-P11", 5, func() { joinB("P9", "P10", "P11") }) // checked twice again, then not
	want("P11", 6, 1, 0)

	// Refused on a current cache: checked then, and the refusal stands, and the guess with it.
	scripts("P11 again", 1, func() {
		_, err := b.Apply(ctxFor(t), id, match.Command{Type: match.CmdJoin, Name: "P11"}, "")
		if me := (*match.Error)(nil); !errors.As(err, &me) || me.Code != match.CodeNameTaken {
			t.Fatalf("P11 again: %v; want %s", err, match.CodeNameTaken)
		}
	})
	want("P11 again", 7, 1, 0)
	scripts("P12", 1, func() { joinB("P12") })
	want("P12", 8, 1, 0)

	// Refused on a stale cache, taken on the stored state: A2 is unknown to b's cache.
	a2 := mustApply(t, a, id, match.Command{Type: match.CmdJoin, Name: "A2"}, "")
	var pid match.PlayerID
	for _, e := range a2.Events {
		if e.Participant != nil {
			pid = e.Participant.ID
		}
	}
	if pid == 0 {
		t.Fatalf("A2's events name no participant: %+v", a2.Events)
	}
	scripts("A2's leave", 2, func() { // the check, the commit
		mustApply(t, b, id, match.Command{Type: match.CmdLeave, Player: pid}, "")
	})
	want("A2's leave", 9, 1, 1)
	sameAsStored(t, srv, b, id, "after A2 left")
	if st := storedState(t, srv, id); len(st.Participants) != 14 {
		t.Errorf("%d players stored; want 14 (P1-P12, A0, A1)", len(st.Participants))
	}
}

func mustUntil(t *testing.T, mon *redistest.Monitor, srv *redistest.Server, mark string) []string {
	t.Helper()
	lines, err := mon.Until(srv, mark)
	if err != nil {
		t.Fatal(err)
	}
	return lines
}
