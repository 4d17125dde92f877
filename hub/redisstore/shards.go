package redisstore

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// Sharded pub/sub, on a Redis Cluster. A classic PUBLISH is broadcast over the cluster bus to
// every node of the cluster, so its cost per commit grows with the number of shards. A commit
// therefore publishes with SPUBLISH (the scripts' publish command, see newScripts), which only
// the shard owning the tournament's slot and its replicas see, and a node listens with SSUBSCRIBE
// on one connection per master that owns a watched tournament's slot (a shardConn).
//
// Which master owns which slot is read from the cluster (CLUSTER SLOTS) when the node first needs
// it, and again whenever that may have changed: a shard's connection failed (a master died, a
// failover, or a subscription was refused with MOVED because the map was stale), or the server
// ended a subscription itself (its slot moved away: Redis sends sunsubscribe). A failed
// connection is dropped, and its channels subscribed again on fresh ones; channels whose owner
// changed move to the new owner's connection. Either way their watchers catch up from the stream
// (each subscription's confirmation asks for it, as on a single server): what was published while
// no connection listened is read from the log, and a message that arrives twice (on the old
// connection and the new one) is dropped by version. The map is read at most every shardRetry,
// and until it can be read (every master unreachable, a slot without a master during a
// failover) the node tries again every shardRetry.
//
// SSUBSCRIBE takes channels of one slot per call, so the node sends one per slot.

// shardRetry is how long the node waits before it reads the slot map again after a failed read or
// a move that did not settle.
const shardRetry = 250 * time.Millisecond

// clusterSlots is the number of hash slots of a Redis Cluster.
const clusterSlots = 16384

// hashSlot is the Redis Cluster hash slot of key: CRC16 (XMODEM) of its hash tag (the part
// between the first { and the next } when that is not empty) or else of the whole key, modulo
// 16384, as the cluster specification defines it.
func hashSlot(key string) int {
	if i := strings.IndexByte(key, '{'); i >= 0 {
		if j := strings.IndexByte(key[i+1:], '}'); j > 0 {
			key = key[i+1 : i+1+j]
		}
	}
	var crc uint16
	for i := 0; i < len(key); i++ {
		crc ^= uint16(key[i]) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return int(crc) % clusterSlots
}

// shardConn is one sharded pub/sub connection, to the master at addr.
type shardConn struct {
	addr string
	cl   *redis.Client // a client of its own, used for this connection only
	ps   *redis.PubSub
	ids  map[string]bool // guarded by shardSubs.mu: the tournaments subscribed on it
	dead bool            // guarded by shardSubs.mu: it failed; run drops it
}

// shardSubs keeps the sharded subscriptions equal to the watched set, each on its slot's master.
type shardSubs struct {
	s         *Store
	newClient func(addr string) *redis.Client // a client of one master, for its connection

	mu    sync.Mutex
	on    map[string]*shardConn // guarded by mu; tournament id -> the connection it is subscribed on
	dirty bool                  // guarded by mu; read the slot map again before the next change

	// ignoreEnded makes ended ignore the server's notices, as if they never came (tests only:
	// export_test.go).
	ignoreEnded atomic.Bool

	// Owned by run.
	conns map[string]*shardConn // by master address
	owner []string              // the master address of each slot, from the last slot map read
	read  time.Time             // when owner was read
	again bool                  // the last sync did not finish: the next compares the whole set
}

func newShardSubs(s *Store, newClient func(addr string) *redis.Client) *shardSubs {
	return &shardSubs{s: s, newClient: newClient, on: make(map[string]*shardConn), conns: make(map[string]*shardConn)}
}

// lost notes that c failed (its receive loop ended): run drops it and subscribes its channels
// again, on the owners of the slot map read anew.
func (sh *shardSubs) lost(c *shardConn) {
	sh.s.stats.reconnects.Add(1)
	sh.mu.Lock()
	c.dead = true
	sh.dirty = true
	sh.mu.Unlock()
	sh.s.wakeSubs()
}

// moved notes that the slot map may have changed and wakes run to read it again: the position
// check found a watcher that lost a message, which a subscription left on a master that no longer
// owns its slot explains when no notice of the move arrived (a dropped connection that go-redis
// did not report, a server that ends no subscription when its slot moves).
func (sh *shardSubs) moved() {
	sh.mu.Lock()
	sh.dirty = true
	sh.mu.Unlock()
	sh.s.wakeSubs()
}

// run is the store's subscription loop in sharded mode (subLoop's counterpart): one goroutine,
// so the subscriptions of one channel are never reordered. It owns the connections and closes
// them when the store closes.
func (sh *shardSubs) run() {
	s := sh.s
	defer s.wg.Done()
	defer func() {
		for _, c := range sh.conns {
			sh.closeConn(c)
		}
	}()
	var retry <-chan time.Time
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-s.subWake:
		case <-retry:
		}
		retry = nil
		if sh.again = !sh.sync(); sh.again {
			retry = time.After(shardRetry)
		}
	}
}

// sync brings the subscriptions to the watched set on the current slot map; false: the map
// could not be read or a subscription failed, try again shortly. It compares the whole watched
// set with the subscriptions when the slot map may have changed or connections died (dirty) or
// the last sync did not finish (again); otherwise only the tournaments whose watched state
// changed since (the store's subChanged), every other one being subscribed where it should be.
func (sh *shardSubs) sync() bool {
	s := sh.s
	sh.mu.Lock()
	dirty := sh.dirty
	sh.dirty = false
	var dead []*shardConn
	for _, c := range sh.conns {
		if c.dead {
			dead = append(dead, c)
			for id := range c.ids {
				delete(sh.on, id)
			}
		}
	}
	sh.mu.Unlock()
	for _, c := range dead {
		sh.closeConn(c)
	}

	// want: the tournaments to look at, true if watched. All of the watched ones when the whole
	// set is compared (a subscribed one not in it is not watched), else the changed ones.
	full := dirty || sh.again || len(dead) > 0
	s.mu.Lock()
	want := make(map[string]bool, len(s.subChanged))
	if full {
		for id := range s.watches {
			want[id] = true
		}
	} else {
		for id := range s.subChanged {
			want[id] = s.watches[id] != nil
		}
	}
	clear(s.subChanged)
	s.mu.Unlock()
	if len(want) == 0 && len(sh.conns) == 0 {
		return true
	}
	if (sh.owner == nil || dirty) && !sh.readSlotsOrLater() {
		return false
	}

	ok := true
	ctx, cancel := context.WithTimeout(s.ctx, opTimeout)
	defer cancel()
	// Leave: channels no longer watched, or (comparing the whole set) whose slot is now on another
	// master.
	leave := map[*shardConn][]string{}
	sh.mu.Lock()
	drop := func(id string, c *shardConn) {
		leave[c] = append(leave[c], keysOf(id).channel)
		delete(c.ids, id)
		delete(sh.on, id)
	}
	if full {
		for id, c := range sh.on {
			if !want[id] || sh.addrOf(id) != c.addr {
				drop(id, c)
			}
		}
	} else {
		for id, watched := range want {
			if c := sh.on[id]; c != nil && !watched {
				drop(id, c)
			}
		}
	}
	var empty []*shardConn // nothing subscribed on them any more (left, or ended by the server)
	for _, c := range sh.conns {
		if len(c.ids) == 0 {
			empty = append(empty, c)
		}
	}
	sh.mu.Unlock()
	for _, c := range empty {
		sh.closeConn(c)
		delete(leave, c)
	}
	for c, chs := range leave {
		for _, chs := range bySlot(chs) {
			if err := c.ps.SUnsubscribe(ctx, chs...); err != nil && s.ctx.Err() == nil {
				s.log.Debug("sunsubscribe", "master", c.addr, "channels", len(chs), "err", err)
			}
		}
	}
	// Join: watched channels not subscribed, on their slot's master.
	join := map[string][]string{}
	sh.mu.Lock()
	for id, watched := range want {
		if !watched || sh.on[id] != nil {
			continue
		}
		addr := sh.addrOf(id)
		if addr == "" {
			ok = false // a slot no master serves (a failover in progress): retry
			continue
		}
		join[addr] = append(join[addr], id)
	}
	sh.mu.Unlock()
	for addr, ids := range join {
		c := sh.conns[addr]
		if c == nil {
			cl := sh.newClient(addr)
			c = &shardConn{addr: addr, cl: cl, ps: cl.SSubscribe(s.ctx), ids: make(map[string]bool)}
			sh.conns[addr] = c
			s.wg.Add(1)
			go s.receiveLoop(c.ps, c)
		}
		chs := make([]string, len(ids))
		sh.mu.Lock()
		for i, id := range ids {
			chs[i] = keysOf(id).channel
			c.ids[id] = true
			sh.on[id] = c
		}
		sh.mu.Unlock()
		for _, chs := range bySlot(chs) {
			if err := c.ps.SSubscribe(ctx, chs...); err != nil {
				if s.ctx.Err() == nil {
					s.log.Debug("ssubscribe; subscribing again", "master", addr, "channels", len(chs), "err", err)
				}
				sh.lost(c)
				ok = false
				break
			}
		}
	}
	return ok
}

// bySlot groups channels by hash slot: SSUBSCRIBE and SUNSUBSCRIBE take channels of one slot.
func bySlot(chs []string) map[int][]string {
	m := make(map[int][]string)
	for _, ch := range chs {
		slot := hashSlot(ch)
		m[slot] = append(m[slot], ch)
	}
	return m
}

// closeConn closes a connection nothing is subscribed on any more.
func (sh *shardSubs) closeConn(c *shardConn) {
	delete(sh.conns, c.addr)
	_ = c.ps.Close()
	_ = c.cl.Close()
}

// addrOf is the master that owns id's slot in the last map read ("" when none does).
func (sh *shardSubs) addrOf(id string) string {
	if sh.owner == nil {
		return ""
	}
	return sh.owner[hashSlot(keysOf(id).channel)]
}

// readSlotsOrLater reads the slot map, unless it was read less than shardRetry ago; when it does
// not read it, or the read fails, the map is read at run's retry and it reports false.
func (sh *shardSubs) readSlotsOrLater() bool {
	if time.Since(sh.read) >= shardRetry {
		err := sh.readSlots()
		if err == nil {
			return true
		}
		if sh.s.ctx.Err() == nil {
			sh.s.log.Warn("read the cluster's slot map; will retry", "err", err)
		}
	}
	sh.mu.Lock()
	sh.dirty = true
	sh.mu.Unlock()
	return false
}

// readSlots reads the cluster's slot map (CLUSTER SLOTS, from any node that answers).
func (sh *shardSubs) readSlots() error {
	ctx, cancel := context.WithTimeout(sh.s.ctx, opTimeout)
	defer cancel()
	ranges, err := sh.s.rdb.ClusterSlots(ctx).Result()
	if err != nil {
		return err
	}
	owner := make([]string, clusterSlots)
	for _, r := range ranges {
		if len(r.Nodes) == 0 || r.Start < 0 || r.End >= clusterSlots || r.Start > r.End {
			continue
		}
		for i := r.Start; i <= r.End; i++ {
			owner[i] = r.Nodes[0].Addr
		}
	}
	sh.owner, sh.read = owner, time.Now()
	return nil
}

// ended notes that the server ended the subscription of ch on c, unless the node asked for it
// (its slot moved away, to another master or in a failover): run subscribes it again, on the
// owner of the slot map read anew.
func (sh *shardSubs) ended(c *shardConn, ch string) {
	if sh.ignoreEnded.Load() {
		return
	}
	id := idOfChannel(ch)
	sh.mu.Lock()
	if sh.on[id] != c {
		sh.mu.Unlock()
		return // left on purpose
	}
	delete(sh.on, id)
	delete(c.ids, id)
	sh.dirty = true
	sh.mu.Unlock()
	sh.s.log.Info("sharded subscription ended by the server (its slot moved); subscribing again", "master", c.addr, "channel", ch)
	sh.s.wakeSubs()
}
