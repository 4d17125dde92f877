package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/tourhub/tourhub/internal/redistest"
	"github.com/tourhub/tourhub/match"
)

// raceCall sends the requests at once (released together) and returns each status and body.
func raceCall(ctx context.Context, reqs []func() (int, []byte, error)) ([]int, [][]byte, []error) {
	status := make([]int, len(reqs))
	bodies := make([][]byte, len(reqs))
	errs := make([]error, len(reqs))
	var wg sync.WaitGroup
	gate := make(chan struct{})
	for i, r := range reqs {
		wg.Go(func() {
			<-gate
			status[i], bodies[i], errs[i] = r()
		})
	}
	close(gate)
	wg.Wait()
	return status, bodies, errs
}

func resultURL(n *node, tid string, mid match.MatchID) string {
	return fmt.Sprintf("%s/api/tournaments/%s/matches/%d/result", n.base(), tid, mid)
}

// TestClusterConcurrentReports reports the same match through all three nodes at the same moment.
// The same organiser submission three times advances the version once and answers all three alike
// (two marked duplicate). Two players reporting conflicting scores at once from different nodes
// dispute the match exactly once, one version per report; agreeing reports at once complete it
// once. The bracket advances exactly once per match: one match_completed each in the event log and
// each winner in the next match once.
func TestClusterConcurrentReports(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	c := newCluster(t, 3, redistest.Options{})
	n1, n2, n3 := c.nodes[0], c.nodes[1], c.nodes[2]

	const rounds = 5 // independent tournaments, to race more than once
	for r := range rounds {
		tr := create(ctx, t, n1, fmt.Sprintf("race %d", r), match.Settings{Format: match.SingleElimination})
		for i := range 8 {
			tr.join(ctx, t, c.nodes[i%3], fmt.Sprintf("P%d", i+1))
		}
		tr.start(ctx, t, n2)
		st := getState(ctx, t, n3, tr.id)
		var first []match.Match
		for _, m := range st.Matches {
			if m.Round == 1 && m.Status == match.MatchReady {
				first = append(first, m)
			}
		}
		if len(first) != 4 {
			t.Fatalf("got %d ready round-1 matches; want 4", len(first))
		}

		// (a) the organiser's identical submission through all three nodes at once.
		for _, m := range first[:2] {
			before := getState(ctx, t, n1, tr.id).Version
			sub := fmt.Sprintf("org-m%d", m.ID)
			var reqs []func() (int, []byte, error)
			for _, n := range c.nodes {
				reqs = append(reqs, func() (int, []byte, error) {
					return tryCall(ctx, http.MethodPost, resultURL(n, tr.id, m.ID), tr.orgToken, map[string]any{"scores": []int{1, 0}, "submission_id": sub})
				})
			}
			status, bodies, errs := raceCall(ctx, reqs)
			dups := 0
			var answers []resultAnswer
			for i := range reqs {
				if errs[i] != nil || status[i] != http.StatusOK {
					t.Fatalf("organiser report on node %d: %d %s %v", i+1, status[i], bodies[i], errs[i])
				}
				var a resultAnswer
				if err := json.Unmarshal(bodies[i], &a); err != nil {
					t.Fatal(err)
				}
				answers = append(answers, a)
				if a.Duplicate {
					dups++
				}
			}
			if dups != 2 {
				t.Errorf("match %d: got %d duplicate answers; want 2", m.ID, dups)
			}
			for i, a := range answers {
				if a.Version != before+1 {
					t.Errorf("match %d: answer %d has version %d; want %d", m.ID, i+1, a.Version, before+1)
				}
			}
			if after := getState(ctx, t, n2, tr.id).Version; after != before+1 {
				t.Errorf("match %d: version went %d -> %d; want one step", m.ID, before, after)
			}
		}

		// (b) both players at once, from different nodes, disagreeing; then (c) agreeing.
		for k, m := range first[2:] {
			a, b := m.Players[0], m.Players[1]
			before := getState(ctx, t, n1, tr.id).Version
			sa, sb := [2]int{1, 0}, [2]int{0, 1}
			if k == 1 {
				sb = sa
			}
			status, bodies, errs := raceCall(ctx, []func() (int, []byte, error){
				func() (int, []byte, error) {
					return tryCall(ctx, http.MethodPost, resultURL(n1, tr.id, m.ID), tr.players[a], map[string]any{"scores": sa, "submission_id": "a"})
				},
				func() (int, []byte, error) {
					return tryCall(ctx, http.MethodPost, resultURL(n3, tr.id, m.ID), tr.players[b], map[string]any{"scores": sb, "submission_id": "b"})
				},
			})
			vs := map[int64]bool{}
			for i := range 2 {
				if errs[i] != nil || status[i] != http.StatusOK {
					t.Fatalf("player report %d on match %d: %d %s %v", i, m.ID, status[i], bodies[i], errs[i])
				}
				var ans resultAnswer
				_ = json.Unmarshal(bodies[i], &ans)
				if ans.Duplicate {
					t.Errorf("match %d: report %d marked duplicate", m.ID, i)
				}
				vs[ans.Version] = true
			}
			if !vs[before+1] || !vs[before+2] {
				t.Errorf("match %d: versions %v; want %d and %d", m.ID, vs, before+1, before+2)
			}
			st := getState(ctx, t, n2, tr.id)
			want := match.MatchDisputed
			if k == 1 {
				want = match.MatchCompleted
			}
			if got := st.Matches[m.ID-1].Status; got != want {
				t.Errorf("match %d after two reports: %s; want %s", m.ID, got, want)
			}
			if k == 0 {
				// The organiser decides, through all three nodes at once with one submission id.
				var reqs []func() (int, []byte, error)
				for _, n := range c.nodes {
					reqs = append(reqs, func() (int, []byte, error) {
						return tryCall(ctx, http.MethodPost, resultURL(n, tr.id, m.ID), tr.orgToken, map[string]any{"scores": sa, "submission_id": "decide"})
					})
				}
				status, bodies, errs := raceCall(ctx, reqs)
				dups := 0
				for i := range reqs {
					if errs[i] != nil || status[i] != http.StatusOK {
						t.Fatalf("organiser decision on node %d: %d %s %v", i+1, status[i], bodies[i], errs[i])
					}
					var ans resultAnswer
					_ = json.Unmarshal(bodies[i], &ans)
					if ans.Duplicate {
						dups++
					}
				}
				if dups != 2 {
					t.Errorf("match %d decision: %d duplicate answers; want 2", m.ID, dups)
				}
			}
		}

		// Every round-1 match completed exactly once; each winner appears once in round 2.
		st = getState(ctx, t, n3, tr.id)
		log := getEvents(ctx, t, n1, tr.id)
		if !log.Complete || log.Version != st.Version || int64(len(log.Entries)) != st.Version {
			t.Errorf("event log: complete %v, version %d, %d entries; want complete, %d", log.Complete, log.Version, len(log.Entries), st.Version)
		}
		for i, m := range first {
			if n := log.count(match.EvMatchCompleted, m.ID); n != 1 {
				t.Errorf("match %d: %d match_completed events; want 1", m.ID, n)
			}
			wantDisputes := 0
			if i == 2 {
				wantDisputes = 1
			}
			if n := log.count(match.EvMatchDisputed, m.ID); n != wantDisputes {
				t.Errorf("match %d: %d match_disputed events; want %d", m.ID, n, wantDisputes)
			}
			w := st.Matches[m.ID-1].Winner
			if w == 0 {
				t.Errorf("match %d has no winner", m.ID)
				continue
			}
			seen := 0
			for _, x := range st.Matches {
				if x.Round == 2 && x.Bracket == match.BracketWinners && (x.Players[0] == w || x.Players[1] == w) {
					seen++
				}
			}
			if seen != 1 {
				t.Errorf("winner %d of match %d is in %d round-2 matches; want 1", w, m.ID, seen)
			}
		}
		for i, e := range log.Entries {
			if e.Version != int64(i)+1 {
				t.Fatalf("log entry %d has version %d", i, e.Version)
			}
		}
	}
}

// TestClusterConcurrentStorm has every player of a round robin report at once: each round, both
// players of every ready match report the same score at the same moment through different nodes,
// so commits to one tournament race across all three nodes. A 409 version_conflict (the bounded
// retries ran out) is retried by the client with the same submission id. Every report is applied
// exactly once (the version advances by exactly two per match), every match completes once, and
// every socket gets every version once, in order.
func TestClusterConcurrentStorm(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	c := newCluster(t, 3, redistest.Options{})
	tr := create(ctx, t, c.nodes[0], "storm", match.Settings{Format: match.RoundRobin})
	for i := range 12 {
		tr.join(ctx, t, c.nodes[i%3], fmt.Sprintf("P%d", i+1))
	}
	var all []*client
	for _, n := range c.nodes {
		sp := newClient(t, fmt.Sprintf("spectator@n%d", n.i), tr.id, "")
		sp.connect(ctx, n)
		all = append(all, sp)
	}
	tr.start(ctx, t, c.nodes[1])
	start := getState(ctx, t, c.nodes[0], tr.id).Version

	var mu sync.Mutex
	conflicts, dups := 0, 0
	report := func(n *node, mid match.MatchID, p match.PlayerID, scores [2]int) error {
		body := map[string]any{"scores": scores, "submission_id": fmt.Sprintf("p%d-m%d", p, mid)}
		for try := 0; ; try++ {
			status, b, err := tryCall(ctx, http.MethodPost, resultURL(n, tr.id, mid), tr.players[p], body)
			if err != nil {
				return err
			}
			var e apiError
			_ = json.Unmarshal(b, &e)
			if status == http.StatusConflict && e.Error.Code == "version_conflict" && try < 20 {
				mu.Lock()
				conflicts++
				mu.Unlock()
				continue
			}
			if status != http.StatusOK {
				return fmt.Errorf("player %d match %d on node %d: %d %s", p, mid, n.i, status, b)
			}
			var a resultAnswer
			_ = json.Unmarshal(b, &a)
			if a.Duplicate {
				mu.Lock()
				dups++
				mu.Unlock()
			}
			return nil
		}
	}
	for pass := 0; ; pass++ {
		st := getState(ctx, t, c.nodes[pass%3], tr.id)
		if st.Status == match.StatusFinished {
			break
		}
		if pass > 50 {
			t.Fatalf("not finished after 50 passes")
		}
		var reqs []func() (int, []byte, error)
		for _, m := range st.Matches {
			if m.Status != match.MatchReady {
				continue
			}
			scores := [2]int{1, 0}
			if m.ID%2 == 0 {
				scores = [2]int{0, 1}
			}
			for slot, p := range m.Players {
				n := c.nodes[(int(m.ID)+slot)%3]
				reqs = append(reqs, func() (int, []byte, error) {
					if err := report(n, m.ID, p, scores); err != nil {
						return 0, nil, err
					}
					return http.StatusOK, nil, nil
				})
			}
		}
		if len(reqs) == 0 {
			t.Fatalf("running with no ready match")
		}
		_, _, errs := raceCall(ctx, reqs)
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	final := getState(ctx, t, c.nodes[2], tr.id)
	if want := start + 2*int64(len(final.Matches)); final.Version != want {
		t.Errorf("final version %d; want %d (two reports per match, each once)", final.Version, want)
	}
	if dups != 0 {
		t.Errorf("%d reports answered as duplicates; want 0 (a conflict commits nothing)", dups)
	}
	log := getEvents(ctx, t, c.nodes[1], tr.id)
	for _, m := range final.Matches {
		if n := log.count(match.EvMatchCompleted, m.ID); n != 1 {
			t.Errorf("match %d: %d match_completed events; want 1", m.ID, n)
		}
		if m.Status != match.MatchCompleted {
			t.Errorf("match %d: %s; want completed", m.ID, m.Status)
		}
	}
	for _, cl := range all {
		cl.waitVersion(ctx, final.Version)
		cl.check(final.Version)
	}
	t.Logf("%d matches, %d reports at once per round, %d version_conflict answers retried, final v%d", len(final.Matches), 12, conflicts, final.Version)
}
