package cluster

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/tourhub/tourhub/internal/redistest"
	"github.com/tourhub/tourhub/match"
)

// TestClusterCheckIn schedules a start with a check-in window on three nodes that all sweep the
// due set: check-in opens by itself and every player is told, three of four check in, a node dies
// before check-in closes, the one who did not check in is warned (only them), and at the start
// they are dropped and the bracket is built from the other three. Each timed step happens once.
func TestClusterCheckIn(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	c := newCluster(t, 3, redistest.Options{})
	// Opens 2 s from now, warns with a quarter of the window left (6.5 s), starts at 8 s.
	start := time.Now().Add(8 * time.Second).UTC().Truncate(time.Millisecond)
	s := match.Settings{Format: match.SingleElimination, ScheduledStart: &start, CheckInWindow: match.Duration(6 * time.Second)}
	tr := setup(ctx, t, c, s, 4)
	_, byNode := watchers(ctx, t, c.nodes, tr, 1, 4)
	players := map[match.PlayerID]*client{}
	for _, cls := range byNode {
		for _, cl := range cls {
			var pid match.PlayerID
			if _, err := fmt.Sscanf(cl.name, "player%d@", &pid); err == nil {
				players[pid] = cl
			}
		}
	}
	for pid, cl := range players {
		cl.waitFor(ctx, fmt.Sprintf("player %d's check_in_open notice", pid), func() bool {
			for _, n := range cl.notices {
				if n.Kind == "check_in_open" {
					return true
				}
			}
			return false
		})
	}
	// Players 1 and 3 check in on one node, 2 on another; 4 never does.
	for _, pid := range []match.PlayerID{1, 2, 3} {
		n := c.nodes[int(pid)%2]
		mustCall(ctx, t, http.MethodPost, n.base()+"/api/tournaments/"+tr.id+"/check-in", tr.players[pid], nil, http.StatusOK, nil)
	}
	// The node holding player 2's socket dies; the sweep goes on on the others.
	victim := c.nodes[2]
	victim.kill()

	st := waitStatus(ctx, t, c.nodes[0], tr, match.StatusRegistering)
	if st.Status != match.StatusRunning || len(st.Participants) != 3 {
		t.Fatalf("status %s with %d participants; want running with 3", st.Status, len(st.Participants))
	}
	for _, p := range st.Participants {
		if p.ID == 4 {
			t.Errorf("player 4 did not check in and still plays")
		}
	}
	log := getEvents(ctx, t, c.nodes[1], tr.id)
	for typ, want := range map[match.EventType]int{match.EvCheckInOpened: 1, match.EvCheckInClosing: 1, match.EvStarted: 1, match.EvPlayerDropped: 1} {
		if n := log.count(typ, 0); n != want {
			t.Errorf("%d %s events; want %d", n, typ, want)
		}
	}
	for pid, cl := range players {
		if cl.name == fmt.Sprintf("player%d@n%d", pid, victim.i) {
			continue // its socket went with the node
		}
		cl.waitVersion(ctx, st.Version)
		cl.check(st.Version)
		k := cl.noticeKinds()
		want := 0
		if pid == 4 {
			want = 1
		}
		if k["check_in_open"] != 1 || k["check_in_closing"] != want {
			t.Errorf("player %d: notices %v; want 1 check_in_open and %d check_in_closing", pid, k, want)
		}
	}
	t.Logf("started at v%d with %d players, %d events in the log", st.Version, len(st.Participants), len(log.Entries))
}
