package redisstore_test

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/tourhub/tourhub/hub/redisstore"
	"github.com/tourhub/tourhub/internal/redistest"
	"github.com/tourhub/tourhub/match"
)

// TestSubscriptionsFollowWatches: a node's pub/sub subscriptions (as Redis lists them: PUBSUB
// CHANNELS, or on a cluster PUBSUB SHARDCHANNELS on every master) are its watched tournaments,
// exactly, through churn: first watches, second watches, unwatches that are not the last and those
// that are, watches undone before the subscriptions caught up, and a tournament unwatched and
// watched again. The subscriptions are kept by looking only at what changed, so a change missed
// there would show here as a channel too many or too few.
func TestSubscriptionsFollowWatches(t *testing.T) {
	t.Parallel()
	t.Run("classic", func(t *testing.T) {
		t.Parallel()
		srv := redistest.Start(t)
		churnWatches(t, newStore(t, srv, nil, redisstore.Options{}), func() []string {
			return listed(t, srv, "CHANNELS")
		})
	})
	t.Run("sharded", func(t *testing.T) {
		t.Parallel()
		c := redistest.StartCluster(t, 3)
		churnWatches(t, newStoreURL(t, nil, redisstore.Options{URL: c.URL(), Cluster: true}), func() []string {
			var all []string
			for _, n := range c.Nodes {
				all = append(all, listed(t, n, "SHARDCHANNELS")...)
			}
			return all
		})
	})
}

// listed is what PUBSUB sub (CHANNELS, SHARDCHANNELS) lists on srv.
func listed(t *testing.T, srv *redistest.Server, sub string) []string {
	t.Helper()
	r, err := srv.Do("PUBSUB", sub)
	if err != nil {
		t.Fatalf("PUBSUB %s on %s: %v", sub, srv.Addr(), err)
	}
	if r == "" {
		return nil
	}
	return strings.Split(r, "\n")
}

// churnWatches watches and unwatches tournaments on s and checks after each step that channels
// lists the watched ones' channels, exactly.
func churnWatches(t *testing.T, s *redisstore.Store, channels func() []string) {
	watched := map[string]int{} // id -> Watch calls not undone
	watch := func(id string) {
		s.Watch(id)
		watched[id]++
	}
	unwatch := func(id string) {
		s.Unwatch(id)
		if watched[id]--; watched[id] == 0 {
			delete(watched, id)
		}
	}
	check := func(step string) {
		t.Helper()
		var want []string
		for id := range watched {
			want = append(want, redisstore.Channel(id))
		}
		slices.Sort(want)
		waitUntil(t, fmt.Sprintf("%s: subscribed to exactly the %d watched channels", step, len(want)), func() bool {
			got := channels()
			slices.Sort(got)
			return slices.Equal(got, want)
		})
	}
	id := func(i int) string { return fmt.Sprintf("t_sub%d", i) }
	for i := range 60 {
		mustCreate(t, s, id(i), match.SingleElimination)
	}

	for i := range 40 {
		watch(id(i))
	}
	check("40 first watches")

	watch(id(1)) // second watches: nothing to subscribe
	watch(id(2))
	unwatch(id(1)) // not the last: still subscribed
	for i := 3; i < 40; i += 2 {
		unwatch(id(i)) // the last ones
	}
	check("second watches and unwatches")

	for i := 40; i < 60; i++ { // watched and unwatched at once, maybe before a subscription
		watch(id(i))
		unwatch(id(i))
	}
	unwatch(id(4)) // unwatched and watched again
	watch(id(4))
	watch(id(5)) // watched again after its last unwatch
	check("watches undone and redone")

	for _, w := range slices.Collect(maps.Keys(watched)) {
		for watched[w] > 0 {
			unwatch(w)
		}
	}
	check("every watch undone")
}
