// Package redisstore is the store.Store of a cluster of identical hub nodes that share state through
// Redis. The key schema, retention and epoch rules are documented in docs/redis.md.
//
// Commands are sequenced per tournament by compare-and-set on the version in one Lua script (no
// locks). Each commit appends its events to the tournament's stream (the log, the truth) and
// publishes them on the tournament's channel (fast, at most once). Nodes deliver to their watchers
// from pub/sub and fill every gap from the stream.
package redisstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tourhub/tourhub/hub/store"
)

var _ store.Store = (*Store)(nil)

// Options configure a Store.
type Options struct {
	// URL is the Redis URL, e.g. "redis://127.0.0.1:6379/0" (see redis.ParseURL). Required.
	// With Cluster, it lists seed nodes of a Redis Cluster instead:
	// "redis://host1:7000?addr=host2:7001&addr=host3:7002" (see redis.ParseClusterURL).
	URL string
	// Cluster makes the store a Redis Cluster client. Every key of a tournament shares one hash
	// tag, so each script and MULTI touches one slot; the global index and due set live in one
	// slot each.
	Cluster bool
	// ClassicPubSub makes commits on a Redis Cluster publish with PUBLISH, which the cluster
	// broadcasts to every node, instead of sharded pub/sub (SPUBLISH and SSUBSCRIBE, Redis 7.0 or
	// later), which only the shard that owns the tournament carries (shards.go). For clusters
	// older than Redis 7. Without Cluster, pub/sub is always classic.
	ClassicPubSub bool
	// WaitReplicas makes every commit of a command wait until that many replicas of its master
	// have it (WAIT, at most WaitTimeout) before it is acknowledged; a commit fewer replicas
	// confirmed answers ErrUnavailable (the caller retries with its submission id). Replication is
	// asynchronous: without it, a failover can lose commits that were acknowledged (the nodes then
	// resync their sockets, docs/redis.md). 0 (the default) does not wait.
	WaitReplicas int
	// WaitTimeout bounds WaitReplicas' wait. Defaults to 1s.
	WaitTimeout time.Duration
	// Retention is how long a finished or cancelled tournament is kept after its last command: the
	// default of each tournament's retention.finished and its upper bound (see store.Retention).
	// Defaults to 2h.
	Retention time.Duration
	// IdleRetention is how long a tournament that is not finished is kept after its last command:
	// the default of each tournament's retention.idle and its upper bound. Defaults to 24h.
	IdleRetention time.Duration
	// StreamMaxLen caps each tournament's event log (XADD MAXLEN ~). Defaults to 10000.
	StreamMaxLen int64
	// PositionCheck is how often a node compares the versions it delivered for its watched
	// tournaments with the stored ones (one pipelined round trip), to catch entries whose pub/sub
	// message was lost: a tournament off the stored version at two checks in a row, with nothing
	// delivered in between, is read from the stream. Defaults to 2s.
	PositionCheck time.Duration
	// FollowWait bounds how long a command that lost its compare-and-set to another node waits for
	// this node's watcher to bring the cached state to the winner's version (from the fields the
	// commit published) before it reads the whole state back instead. Defaults to 25ms.
	FollowWait time.Duration
	// FailFast is how long calls to a place (the whole Redis, or a tournament on a Redis Cluster)
	// fail at once with hub.ErrUnavailable after one found Redis unreachable, before one is let
	// through to try again (breaker.go). Defaults to 1s.
	FailFast time.Duration
	// Log receives warnings (Redis down, gaps that could not be filled). Defaults to slog.Default().
	Log *slog.Logger
	// Now is the clock, used when Create is given no creation time. Defaults to time.Now.
	Now func() time.Time
}

func (o Options) withDefaults() Options {
	if o.Retention <= 0 {
		o.Retention = 2 * time.Hour
	}
	if o.IdleRetention <= 0 {
		o.IdleRetention = 24 * time.Hour
	}
	if o.StreamMaxLen <= 0 {
		o.StreamMaxLen = 10000
	}
	if o.PositionCheck <= 0 {
		o.PositionCheck = 2 * time.Second
	}
	if o.FollowWait <= 0 {
		o.FollowWait = 25 * time.Millisecond
	}
	if o.WaitTimeout <= 0 {
		o.WaitTimeout = time.Second
	}
	if o.FailFast <= 0 {
		o.FailFast = time.Second
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Store is a store.Store on Redis. It is safe for concurrent use.
type Store struct {
	opts Options         // static after construction
	ret  store.Retention // static after construction: opts.Retention and IdleRetention
	out  store.Delivery  // the registered Handler
	log  *slog.Logger
	// rdb serves reads that are not a command's (events, lists, positions); go-redis retries them
	// on network errors.
	rdb redis.UniversalClient
	// wdb runs the commit scripts and is never retried by go-redis: a script resent after a lost
	// reply could commit a second time. The caller retries, with its submission id. (On a Redis
	// Cluster it follows no redirect either: a slot moving answers unavailable, and the retry
	// finds the new owner.) It also serves the reads of the state the node caches and of a
	// submission's outcome, so that a command talks to the masters its commits reach: on a
	// cluster the two clients keep a slot map each, and rdb's, used less, can lag a failover (read
	// from a node that had not heard of it yet) and send a command's read to a paused old master,
	// to wait out every timeout and retry (TestFailover did, about once in 30 runs).
	wdb redis.UniversalClient
	ps  *redis.PubSub // the node's pub/sub connection, owned by receiveLoop and subLoop; nil with shards
	// shards keeps the sharded pub/sub connections (one per master) of a Redis Cluster; nil with
	// classic pub/sub.
	shards  *shardSubs
	scripts scripts // static after construction: they publish as the pub/sub mode says

	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc
	wg     sync.WaitGroup // every goroutine of the store

	turns   [64]chan struct{} // static after construction; see lockLocal
	breaker *breaker          // static after construction
	stats   counters

	// inlineMax is how long a delivery may take on the pub/sub receiver (watch.go, inline): static
	// after construction, the constant but in tests. inlined counts those deliveries, for tests.
	inlineMax time.Duration
	inlined   atomic.Uint64

	cache *stateCache // static after construction
	own   *ownCommits // static after construction

	mu       sync.Mutex
	closed   bool                // guarded by mu
	watches  map[string]*watcher // guarded by mu; tournaments with at least one Watch
	retiring map[string]*watcher // guarded by mu; workers of unwatched tournaments still stopping
	subWake  chan struct{}       // capacity 1: the watched set changed, resync the subscriptions
	// subChanged holds the tournaments whose watched state changed (a first Watch, a last Unwatch)
	// since the subscription loop (subLoop, or shardSubs.run) last took it: the loop brings only
	// their subscriptions to the watched set, so that a change costs the same whatever the number
	// of watched tournaments. Guarded by mu.
	subChanged map[string]struct{}

	beforeCommit func(id string) // tests only (export_test.go): runs just before a commit script
}

// New connects to Redis. It does not fail when Redis is down (the node stays up, Ping reports it and
// the store recovers by itself when Redis returns); only a bad URL is an error.
func New(ctx context.Context, opts Options) (*Store, error) {
	opts = opts.withDefaults()
	rdb, wdb, shardClient, err := clients(opts)
	if err != nil {
		return nil, err
	}
	sctx, cancel := context.WithCancel(context.Background())
	s := &Store{
		opts:       opts,
		ret:        store.Retention{Finished: opts.Retention, Idle: opts.IdleRetention},
		log:        opts.Log.With("component", "redisstore"),
		rdb:        rdb,
		wdb:        wdb,
		ctx:        sctx,
		cancel:     cancel,
		cache:      newStateCache(opts.Log.With("component", "redisstore")),
		own:        newOwnCommits(),
		watches:    make(map[string]*watcher),
		retiring:   make(map[string]*watcher),
		subWake:    make(chan struct{}, 1),
		subChanged: make(map[string]struct{}),
		breaker:    newBreaker(opts.FailFast, time.Now),

		inlineMax: inlineMax,
	}
	for i := range s.turns {
		s.turns[i] = make(chan struct{}, 1)
	}
	if err := s.Ping(ctx); err != nil {
		s.log.Warn("redis is not reachable yet; will keep trying", "err", err)
	}
	if opts.Cluster && !opts.ClassicPubSub {
		s.scripts = newScripts("SPUBLISH")
		s.shards = newShardSubs(s, shardClient)
		s.wg.Add(2)
		go s.shards.run()
	} else {
		s.scripts = newScripts("PUBLISH")
		s.ps = s.rdb.Subscribe(sctx)
		s.wg.Add(3)
		go s.receiveLoop(s.ps, nil)
		go s.subLoop()
	}
	go s.checkLoop()
	return s, nil
}

// clients makes the read client and the write client (no retries) for opts, and on a cluster the
// maker of a client of one master (for its sharded pub/sub connection).
func clients(opts Options) (rdb, wdb redis.UniversalClient, master func(addr string) *redis.Client, err error) {
	if opts.Cluster {
		copt, err := redis.ParseClusterURL(opts.URL)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("redisstore: parse cluster URL: %w", err)
		}
		wopt := *copt
		// Each client appends the nodes it discovers to its Addrs: they must not share an array.
		wopt.Addrs = slices.Clone(copt.Addrs)
		wopt.MaxRetries, wopt.MaxRedirects = -1, -1
		master = func(addr string) *redis.Client {
			return redis.NewClient(&redis.Options{Addr: addr, ClientName: copt.ClientName, Dialer: copt.Dialer,
				Protocol: copt.Protocol, Username: copt.Username, Password: copt.Password,
				CredentialsProvider: copt.CredentialsProvider, DialTimeout: copt.DialTimeout,
				ReadTimeout: copt.ReadTimeout, WriteTimeout: copt.WriteTimeout, TLSConfig: copt.TLSConfig,
				PoolSize: 1})
		}
		rc, wc := redis.NewClusterClient(copt), redis.NewClusterClient(&wopt)
		rc.AddHook(reloadOnDown{rc})
		wc.AddHook(reloadOnDown{wc})
		return rc, wc, master, nil
	}
	ropt, err := redis.ParseURL(opts.URL)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("redisstore: parse URL: %w", err)
	}
	wopt := *ropt
	wopt.MaxRetries = -1
	return redis.NewClient(ropt), redis.NewClient(&wopt), nil, nil
}

// Ping reports whether Redis answers.
func (s *Store) Ping(ctx context.Context) error {
	var err error
	if cc, ok := s.rdb.(*redis.ClusterClient); ok {
		// Every shard: a tournament on a shard that is down cannot be served.
		err = cc.ForEachShard(ctx, func(ctx context.Context, c *redis.Client) error { return c.Ping(ctx).Err() })
	} else {
		err = s.rdb.Ping(ctx).Err()
	}
	if err != nil {
		return s.fail(ctx, "ping", "", err)
	}
	s.breaker.ok("", true) // every shard answers
	return nil
}

// Register implements store.Store.
func (s *Store) Register(h store.Handler) { s.out.Register(h) }

// Close stops delivery and every goroutine, waits for them, and closes the connections. No Deliver
// call happens after it returns.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	for _, w := range s.watches {
		w.cancel()
	}
	s.mu.Unlock()
	s.cancel()
	var err error
	if s.ps != nil {
		err = s.ps.Close()
	}
	s.wg.Wait()
	return errors.Join(ignoreClosed(err), s.rdb.Close(), s.wdb.Close())
}

func ignoreClosed(err error) error {
	if errors.Is(err, redis.ErrClosed) {
		return nil
	}
	return err
}

// fail wraps a Redis error of a call about tournament id ("": none) for callers: context errors
// stay what they are, anything else becomes hub.ErrUnavailable (retryable) with the cause. An error
// that says Redis could not be reached makes the next calls to the same place fail fast.
func (s *Store) fail(ctx context.Context, op, id string, err error) error {
	if ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		return fmt.Errorf("redisstore: %s: %w", op, ctx.Err())
	}
	if unreachable(ctx, err) {
		s.breaker.failed(s.place(id))
	}
	s.stats.unavailable.Add(1)
	return fmt.Errorf("redisstore: %s: %w: redis: %w", op, store.ErrUnavailable, err)
}

// errFailFast answers a call while its place is known unreachable (see breaker).
var errFailFast = fmt.Errorf("redisstore: redis is unreachable (failing fast until it answers again): %w", store.ErrUnavailable)

// answered notes that Redis answered a call about tournament id.
func (s *Store) answered(id string) { s.breaker.ok(s.place(id), false) }

func newEpoch() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return "e_" + hex.EncodeToString(b[:])
}

// reloadOnDown makes a cluster client read the cluster's slot map again when a node did not
// answer: it may be a master that died, whose replica takes over its slots, and go-redis learns
// that only from a read of the map (a dead node answers no MOVED). Without it, every command to
// those slots would go on failing on the dead node. The reload runs in the background, one at a
// time (go-redis's LazyReload).
type reloadOnDown struct{ cc *redis.ClusterClient }

func (h reloadOnDown) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h reloadOnDown) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd)
		h.check(ctx, err)
		return err
	}
}

func (h reloadOnDown) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		err := next(ctx, cmds)
		h.check(ctx, err)
		return err
	}
}

func (h reloadOnDown) check(ctx context.Context, err error) {
	if unreachable(ctx, err) {
		h.cc.ReloadState(context.WithoutCancel(ctx))
	}
}
