package redisstore_test

import (
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
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			id := "t_fallback_" + strconv.Itoa(i)
			a := newStore(t, srv, nil, redisstore.Options{})
			b := newStore(t, srv, nil, redisstore.Options{})
			mustCreate(t, b, id, match.DoubleElimination)
			join(t, a, id, 3)
			tc.before(t, id, a, b)
			s0, l0 := staleStats(a)
			if tc.load {
				if _, _, err := a.Load(ctxFor(t), id); err != nil {
					t.Fatal(err)
				}
			} else {
				mustApply(t, a, id, match.Command{Type: match.CmdJoin, Name: "Last"}, "")
			}
			s1, l1 := staleStats(a)
			if s1-s0 != 1 || l1 != l0 {
				t.Errorf("%d stale caches, %d brought forward from the recent fields; want 1 and 0 (the whole state read)", s1-s0, l1-l0)
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
