// Command hub runs one tournament hub node: the HTTP API, the WebSocket endpoint, the browser
// client, probes and metrics. With no Redis configured it keeps everything in memory (one node).
// Every flag has an environment variable; a flag given on the command line wins. See
// docs/configuration.md.
package main

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/tourhub/tourhub/hub"
	"github.com/tourhub/tourhub/hub/memstore"
	"github.com/tourhub/tourhub/hub/redisstore"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "hub:", err)
		os.Exit(1)
	}
}

// config is everything the flags and environment say.
type config struct {
	Addr           string
	Redis          string
	RedisCluster   bool
	Origins        []string
	Secret         string
	secretRandom   bool
	TokenTTL       time.Duration
	Retention      time.Duration
	MaxEvents      int
	BodyLimit      int64
	HTTPRate       float64
	HTTPBurst      int
	TrustedProxies []netip.Prefix
	WSReadLimit    int64
	WSRate         float64
	WSBurst        int
	WSQueue        int
	WSPark         bool
	DrainTimeout   time.Duration
	SweepEvery     time.Duration
	IdleRetention  time.Duration
	LogLevel       slog.Level
	DebugAddr      string
}

// parseConfig reads args, falling back to the environment, then to the defaults.
func parseConfig(args []string, getenv func(string) string, out io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("hub", flag.ContinueOnError)
	fs.SetOutput(out)
	var envErr error
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	dur := func(p *time.Duration, name, envName string, def time.Duration, usage string) {
		d := def
		if v := getenv(envName); v != "" {
			x, err := time.ParseDuration(v)
			if err != nil || x <= 0 {
				envErr = errors.Join(envErr, fmt.Errorf("%s=%q: want a positive duration such as 90s or 2h", envName, v))
			} else {
				d = x
			}
		}
		fs.DurationVar(p, name, d, usage+" (env "+envName+")")
	}
	integer := func(p *int, name, envName string, def int, usage string) {
		d := def
		if v := getenv(envName); v != "" {
			x, err := strconv.Atoi(v)
			if err != nil || x <= 0 {
				envErr = errors.Join(envErr, fmt.Errorf("%s=%q: want a positive whole number", envName, v))
			} else {
				d = x
			}
		}
		fs.IntVar(p, name, d, usage+" (env "+envName+")")
	}
	float := func(p *float64, name, envName string, def float64, usage string) {
		d := def
		if v := getenv(envName); v != "" {
			x, err := strconv.ParseFloat(v, 64)
			if err != nil || !(x > 0) {
				envErr = errors.Join(envErr, fmt.Errorf("%s=%q: want a positive number", envName, v))
			} else {
				d = x
			}
		}
		fs.Float64Var(p, name, d, usage+" (env "+envName+")")
	}

	fs.StringVar(&c.Addr, "addr", env("HUB_ADDR", ":8080"), "listen address (env HUB_ADDR)")
	fs.StringVar(&c.Redis, "redis", env("REDIS_URL", ""), "Redis URL, e.g. redis://localhost:6379/0; empty runs on the memory store, one node (env REDIS_URL)")
	origins := fs.String("origins", env("HUB_ORIGINS", ""), "extra allowed WebSocket Origin hosts, comma-separated; the hub's own host and localhost:PORT are always allowed (env HUB_ORIGINS)")
	fs.StringVar(&c.Secret, "secret", env("HUB_SECRET", ""), "token signing secret, the same on every node; random per process if empty (env HUB_SECRET)")
	dur(&c.TokenTTL, "token-ttl", "HUB_TOKEN_TTL", 24*time.Hour, "lifetime of issued tokens")
	dur(&c.Retention, "retention", "HUB_RETENTION", 2*time.Hour, "how long finished and cancelled tournaments are kept")
	dur(&c.IdleRetention, "idle-retention", "HUB_IDLE_RETENTION", 24*time.Hour, "how long a tournament that is not finished is kept after its last command (Redis store)")
	integer(&c.MaxEvents, "max-events", "HUB_MAX_EVENTS", 10000, "event log entries kept per tournament")
	var bodyLimit, wsReadLimit int
	integer(&bodyLimit, "body-limit", "HUB_BODY_LIMIT", 64<<10, "largest HTTP request body, bytes")
	float(&c.HTTPRate, "http-rate", "HUB_HTTP_RATE", 20, "API requests per second per client address")
	integer(&c.HTTPBurst, "http-burst", "HUB_HTTP_BURST", 40, "API request burst per client address")
	cluster := env("HUB_REDIS_CLUSTER", "false")
	fs.StringVar(&cluster, "redis-cluster", cluster, "--redis names seed nodes of a Redis Cluster: redis://host1:7000?addr=host2:7001&addr=host3:7002 (env HUB_REDIS_CLUSTER)")
	proxies := fs.String("trusted-proxies", env("HUB_TRUSTED_PROXIES", ""), "addresses or CIDRs of the proxies in front of the node, comma-separated; the client address is read from X-Forwarded-For through them; empty: the connection's address (env HUB_TRUSTED_PROXIES)")
	trust := fs.String("trust-proxy", "", "removed: set --trusted-proxies to your proxies' addresses (env HUB_TRUST_PROXY, also removed)")
	integer(&wsReadLimit, "ws-read-limit", "HUB_WS_READ_LIMIT", 16<<10, "largest WebSocket message from a client, bytes")
	float(&c.WSRate, "ws-rate", "HUB_WS_RATE", 20, "WebSocket messages per second per socket")
	integer(&c.WSBurst, "ws-burst", "HUB_WS_BURST", 40, "WebSocket message burst per socket")
	integer(&c.WSQueue, "ws-queue", "HUB_WS_QUEUE", 256, "send queue per socket, messages; overflow closes the socket (4001)")
	park := env("HUB_WS_PARK", "true")
	fs.StringVar(&park, "ws-park", park, "park idle sockets (Linux): no goroutine per socket while it has nothing to read; false keeps a reader blocked per socket (env HUB_WS_PARK)")
	dur(&c.DrainTimeout, "drain-timeout", "HUB_DRAIN_TIMEOUT", 10*time.Second, "how long shutdown waits for sockets and requests")
	dur(&c.SweepEvery, "sweep-every", "HUB_SWEEP_EVERY", time.Second, "how often this node looks for due deadlines (check-in, starts, match time limits)")
	fs.StringVar(&c.DebugAddr, "debug-addr", env("HUB_DEBUG_ADDR", ""), "serve Go profiles (net/http/pprof) on this separate address, e.g. 127.0.0.1:6060; empty: off (env HUB_DEBUG_ADDR)")
	level := fs.String("log-level", env("HUB_LOG_LEVEL", "info"), "debug, info, warn or error (env HUB_LOG_LEVEL)")

	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if envErr != nil {
		return c, envErr
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	c.BodyLimit, c.WSReadLimit = int64(bodyLimit), int64(wsReadLimit)
	for o := range strings.SplitSeq(*origins, ",") {
		if o = strings.TrimSpace(o); o != "" {
			c.Origins = append(c.Origins, o)
		}
	}
	if err := removedTrustProxy(*trust, "--trust-proxy"); err != nil {
		return c, err
	}
	if err := removedTrustProxy(getenv("HUB_TRUST_PROXY"), "HUB_TRUST_PROXY"); err != nil {
		return c, err
	}
	var err error
	if c.TrustedProxies, err = hub.ParseTrustedProxies(*proxies); err != nil {
		return c, fmt.Errorf("trusted-proxies: %w", err)
	}
	if c.WSPark, err = strconv.ParseBool(park); err != nil {
		return c, fmt.Errorf("ws-park %q: want true or false", park)
	}
	if c.RedisCluster, err = strconv.ParseBool(cluster); err != nil {
		return c, fmt.Errorf("redis-cluster %q: want true or false", cluster)
	}
	if c.RedisCluster && c.Redis == "" {
		return c, errors.New("redis-cluster needs --redis (REDIS_URL) with the cluster's seed nodes")
	}
	if err := c.LogLevel.UnmarshalText([]byte(*level)); err != nil {
		return c, fmt.Errorf("log-level %q: want debug, info, warn or error", *level)
	}
	if c.Secret == "" {
		var raw [32]byte
		if _, err := rand.Read(raw[:]); err != nil {
			return c, fmt.Errorf("random secret: %w", err)
		}
		c.Secret, c.secretRandom = hex.EncodeToString(raw[:]), true
	}
	return c, nil
}

// removedTrustProxy refuses the old boolean setting, which took the client address from the
// first X-Forwarded-For entry (the one the client writes). Ignoring it would quietly change how
// clients are rate limited, so the node does not start until it is replaced.
func removedTrustProxy(v, name string) error {
	if v == "" {
		return nil
	}
	if b, err := strconv.ParseBool(v); err == nil && !b {
		return fmt.Errorf("%s is no longer supported: remove it (trusting no proxy is the default, an empty --trusted-proxies / HUB_TRUSTED_PROXIES)", name)
	}
	return fmt.Errorf("%s is no longer supported: it trusted the first X-Forwarded-For entry, which any client can write. "+
		"Set --trusted-proxies (HUB_TRUSTED_PROXIES) to the addresses or networks of your proxies instead, "+
		"e.g. HUB_TRUSTED_PROXIES=10.0.0.5 or 172.28.0.0/24", name)
}

// openStore opens the store the configuration names, with the set of due deadlines that goes
// with it: the memory store and a memory due set when no Redis URL is set. The Redis store (and
// its shared due set) plugs in here.
func openStore(ctx context.Context, c config, deliver hub.Deliver, log *slog.Logger) (hub.Store, hub.DueSet, error) {
	if c.Redis == "" {
		s := memstore.New(deliver, memstore.WithRetention(c.Retention), memstore.WithMaxEvents(c.MaxEvents))
		return s, hub.NewMemDueSet(), nil
	}
	// No fallback to memory: a node that cannot reach Redis stays up, unready, and retries.
	s, err := redisstore.New(ctx, redisstore.Options{URL: c.Redis, Cluster: c.RedisCluster, Retention: c.Retention,
		IdleRetention: c.IdleRetention, StreamMaxLen: int64(c.MaxEvents), Log: log}, deliver)
	if err != nil {
		return nil, nil, fmt.Errorf("open redis store: %w", err)
	}
	return s, s.DueSet(), nil
}

// run is the whole program: it serves until ctx ends, then drains and shuts down.
func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	c, err := parseConfig(args, getenv, stdout)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stdout, &slog.HandlerOptions{Level: c.LogLevel}))

	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	origins := append([]string{fmt.Sprintf("localhost:%d", port), fmt.Sprintf("127.0.0.1:%d", port)}, c.Origins...)

	// The store needs the Deliver func at construction and the server needs the store: the
	// closure forwards to the server once it exists (nothing is watched before that).
	var srvp atomic.Pointer[hub.Server]
	deliver := func(id, epoch string, e hub.Entry, lost bool) {
		if s := srvp.Load(); s != nil {
			s.Deliver(id, epoch, e, lost)
		}
	}
	store, due, err := openStore(ctx, c, deliver, log)
	if err != nil {
		return err
	}
	defer store.Close()
	sweeper := hub.NewSweeper(store, due, time.Now, c.SweepEvery, log)

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if rs, ok := store.(*redisstore.Store); ok {
		reg.MustRegister(rs.Collector())
	}
	srv, err := hub.New(hub.Config{
		Addr:           c.Addr,
		Origins:        origins,
		Secret:         []byte(c.Secret),
		TokenTTL:       c.TokenTTL,
		BodyLimit:      c.BodyLimit,
		RatePerSec:     c.HTTPRate,
		Burst:          c.HTTPBurst,
		TrustedProxies: c.TrustedProxies,
		Committed:      sweeper.Track,
		WS: hub.WSConfig{
			ReadLimit:  c.WSReadLimit,
			RatePerSec: c.WSRate,
			Burst:      c.WSBurst,
			QueueLen:   c.WSQueue,
			NoPark:     !c.WSPark,
		},
	}, store, log, reg)
	if err != nil {
		return err
	}
	srvp.Store(srv)
	sweeper.Fired = srv.Fired

	printConfig(stdout, c, origins)
	if c.secretRandom {
		log.Warn("no --secret/HUB_SECRET: using a random secret; tokens will not work on other nodes or after a restart")
	}
	fmt.Fprintf(stdout, "listening on %s\nopen http://localhost:%d/\n", ln.Addr(), port)

	hs := &http.Server{
		Handler:           srv,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	if c.DebugAddr != "" {
		stopDebug, err := serveDebug(c.DebugAddr, log)
		if err != nil {
			hs.Close()
			<-served
			return err
		}
		defer stopDebug()
	}
	// The sweeper fires deadlines (check-in, scheduled starts, match time limits) until run ends.
	sweepCtx, stopSweep := context.WithCancel(context.WithoutCancel(ctx))
	swept := make(chan struct{})
	go func() {
		defer close(swept)
		_ = sweeper.Run(sweepCtx)
	}()
	defer func() { stopSweep(); <-swept }()

	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down: unready, draining sockets, then requests", "timeout", c.DrainTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), c.DrainTimeout)
	defer cancel()
	if err := srv.Drain(sctx); err != nil {
		log.Warn("socket drain cut short", "err", err)
	}
	if err := hs.Shutdown(sctx); err != nil {
		log.Warn("http shutdown cut short", "err", err)
		hs.Close()
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	log.Info("stopped")
	return nil
}

func printConfig(w io.Writer, c config, origins []string) {
	store := "memory (one node)"
	if c.Redis != "" {
		store = "redis " + maskURL(c.Redis)
		if c.RedisCluster {
			store = "redis cluster " + maskURL(c.Redis)
		}
	}
	secret := "set (hidden)"
	if c.secretRandom {
		secret = "random per process"
	}
	fmt.Fprintf(w, "tourhub configuration:\n"+
		"  addr           %s\n  store          %s\n  origins        %s\n  secret         %s\n"+
		"  token-ttl      %s\n  retention      %s (idle %s)\n  max-events     %d\n  body-limit     %d\n"+
		"  http-rate      %g/s burst %d per client (trusted proxies %s)\n"+
		"  ws             read-limit %d, rate %g/s burst %d, queue %d, park idle %t\n  drain-timeout  %s\n  sweep-every    %s\n  log-level      %s\n"+
		"  debug-addr     %s\n",
		c.Addr, store, strings.Join(origins, ","), secret, c.TokenTTL, c.Retention, c.IdleRetention, c.MaxEvents, c.BodyLimit,
		c.HTTPRate, c.HTTPBurst, showProxies(c.TrustedProxies), c.WSReadLimit, c.WSRate, c.WSBurst, c.WSQueue, c.WSPark, c.DrainTimeout, c.SweepEvery, c.LogLevel,
		cmp.Or(c.DebugAddr, "off"))
}

// showProxies lists the trusted proxies as the banner shows them.
func showProxies(ps []netip.Prefix) string {
	if len(ps) == 0 {
		return "none: the connection's address"
	}
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
		if p.IsSingleIP() {
			s[i] = p.Addr().String()
		}
	}
	return strings.Join(s, ",")
}

// maskURL hides a password in a Redis URL.
func maskURL(u string) string {
	scheme, rest, ok := strings.Cut(u, "://")
	if !ok {
		return u
	}
	userinfo, host, ok := strings.Cut(rest, "@")
	if !ok {
		return u
	}
	if user, _, hasPass := strings.Cut(userinfo, ":"); hasPass {
		return scheme + "://" + user + ":***@" + host
	}
	return u
}
