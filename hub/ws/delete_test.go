package ws_test

import (
	"context"
	"testing"
	"time"

	"github.com/tourhub/tourhub/hub/command"
	"github.com/tourhub/tourhub/hub/redisstore"
	"github.com/tourhub/tourhub/hub/store"
	"github.com/tourhub/tourhub/internal/redistest"
	"github.com/tourhub/tourhub/match"
)

// TestWSDeletedTournament: a socket that watches two tournaments gets the tournament_deleted
// event of the one deleted, and then nothing more for it, while the socket and its other
// subscription go on; subscribing to the deleted one again is refused not_found. On Redis the
// tournament is deleted through another node, and the socket's node then finds its state gone
// (its position check, every 100 ms here): that must not close the socket as a lost thread.
func TestWSDeletedTournament(t *testing.T) {
	t.Parallel()
	t.Run("memory", func(t *testing.T) {
		t.Parallel()
		n := newWSNode(t, wsNodeOpts{})
		testDeleted(t, n, n)
	})
	t.Run("redis", func(t *testing.T) {
		t.Parallel()
		rs := redistest.Start(t)
		onRedis := wsNodeOpts{newStore: func(t *testing.T) store.Store {
			s, err := redisstore.New(context.Background(), redisstore.Options{URL: rs.URL(), PositionCheck: 100 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			return s
		}}
		testDeleted(t, newWSNode(t, onRedis), newWSNode(t, onRedis))
	})
}

// testDeleted deletes through by a tournament watched on on.
func testDeleted(t *testing.T, by, on *wsNode) {
	by.tourney(t, "t_del", "Ada", "Grace")
	by.tourney(t, "t_live", "Ada", "Grace")
	c := on.dial(t)
	sub, _ := c.subscribe("t_del")
	c.subscribe("t_live")

	d := by.apply(t, "t_del", match.Command{Type: match.CmdDelete})
	ev := wsReadEvents(t, c, sub.Version, d.Version)
	if last := ev[len(ev)-1]; last.Tournament != "t_del" || len(last.Events) != 1 || last.Events[0].Type != match.EvDeleted {
		t.Fatalf("got %+v; want the tournament_deleted event of t_del", last)
	}
	time.Sleep(500 * time.Millisecond) // several position checks
	a := by.apply(t, "t_live", match.Command{Type: match.CmdJoin, Name: "Linus"})
	if m := c.expect("event"); m.Tournament != "t_live" || m.Version != a.Version {
		t.Fatalf("got %+v; want t_live's version %d (the socket goes on, and t_del sends nothing more)", m, a.Version)
	}
	c.send(map[string]any{"type": "subscribe", "ref": "again", "tournament": "t_del"})
	if e := c.expect("error"); e.Ref != "again" || e.Code != command.CodeNotFound {
		t.Errorf("subscribe to the deleted tournament: %+v; want not_found with ref again", e)
	}
}

// TestWSExpiredTournament: a watched tournament whose keys vanish from Redis (its retention ran
// out; here they are deleted behind the node) ends that subscription with an error not_found that
// names the tournament and has no ref, while the socket and its other subscription go on: one
// tournament gone does not close a socket that watches others.
func TestWSExpiredTournament(t *testing.T) {
	t.Parallel()
	rs := redistest.Start(t)
	n := newWSNode(t, wsNodeOpts{newStore: func(t *testing.T) store.Store {
		s, err := redisstore.New(context.Background(), redisstore.Options{URL: rs.URL(), PositionCheck: 50 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}})
	n.tourney(t, "t_old", "Ada", "Grace")
	n.tourney(t, "t_live", "Ada", "Grace")
	c := n.dial(t)
	c.subscribe("t_old")
	c.subscribe("t_live")
	if _, err := rs.Do("DEL", "tourhub:{t:t_old}:state", "tourhub:{t:t_old}:log", "tourhub:{t:t_old}:subs", "tourhub:{t:t_old}:recent"); err != nil {
		t.Fatal(err)
	}
	if e := c.expect("error"); e.Tournament != "t_old" || e.Ref != "" || e.Code != command.CodeNotFound {
		t.Fatalf("got %+v; want not_found for t_old, without ref", e)
	}
	a := n.apply(t, "t_live", match.Command{Type: match.CmdJoin, Name: "Linus"})
	if m := c.expect("event"); m.Tournament != "t_live" || m.Version != a.Version {
		t.Fatalf("got %+v; want t_live's version %d (the socket goes on)", m, a.Version)
	}
}
