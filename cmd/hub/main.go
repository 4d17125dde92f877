// Command hub runs one tournament hub node: the HTTP API, the WebSocket endpoint, the browser
// client, probes and metrics. With no Redis configured it keeps everything in memory (one node).
// Every flag has an environment variable; a flag given on the command line wins. See
// docs/configuration.md.
package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/redis/go-redis/v9"

	"github.com/tourhub/tourhub/hub"
	"github.com/tourhub/tourhub/hub/api"
	"github.com/tourhub/tourhub/hub/command"
	"github.com/tourhub/tourhub/hub/memstore"
	"github.com/tourhub/tourhub/hub/redisstore"
	"github.com/tourhub/tourhub/hub/store"
	"github.com/tourhub/tourhub/hub/ws"
)

func main() {
	execWithSysmonSetting()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "hub:", err)
		os.Exit(1)
	}
}

// openStore opens the store the configuration names, with the set of due deadlines that goes
// with it: the memory store and a memory due set when no Redis URL is set. The Redis store (and
// its shared due set) plugs in here.
func openStore(ctx context.Context, c config, log *slog.Logger) (store.Store, store.DueSet, error) {
	if c.Redis == "" {
		s := memstore.New(memstore.WithRetention(c.Retention), memstore.WithIdleRetention(c.IdleRetention),
			memstore.WithMaxEvents(c.MaxEvents))
		return s, memstore.NewDueSet(), nil
	}
	// No fallback to memory: a node that cannot reach Redis stays up, unready, and retries.
	s, err := redisstore.New(ctx, redisstore.Options{URL: c.Redis, Cluster: c.RedisCluster, ClassicPubSub: c.RedisPubSub == "classic",
		WaitReplicas: c.RedisWait, Retention: c.Retention,
		IdleRetention: c.IdleRetention, StreamMaxLen: int64(c.MaxEvents), Log: log})
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
	// Warnings that repeat (Redis down: the sweeper, every /readyz probe, go-redis's pool) are
	// written once per quietEvery with a count. The flusher is stopped last, after the final lines.
	quiet := newQuietHandler(slog.NewTextHandler(stdout, &slog.HandlerOptions{Level: c.LogLevel}), quietEvery, time.Now)
	log := slog.New(quiet)
	quietCtx, stopQuiet := context.WithCancel(context.WithoutCancel(ctx))
	quietDone := make(chan struct{})
	go func() {
		defer close(quietDone)
		quiet.run(quietCtx)
	}()
	defer func() { stopQuiet(); <-quietDone }()
	if c.Redis != "" {
		redis.SetLogger(redisLogger{log})
		if err := probeRedis(ctx, c); err != nil {
			return err
		}
	}

	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	origins := append([]string{fmt.Sprintf("localhost:%d", port), fmt.Sprintf("127.0.0.1:%d", port)}, c.Origins...)
	if c.PublicURL != "" {
		_, host, _ := strings.Cut(c.PublicURL, "://")
		origins = append(origins, host)
	}

	st, due, err := openStore(ctx, c, log)
	if err != nil {
		return err
	}
	defer st.Close()

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if rs, ok := st.(*redisstore.Store); ok {
		reg.MustRegister(rs.Collector())
	}
	node, err := hub.New(hub.Config{
		Store:    st,
		Due:      due,
		Tokens:   command.NewTokens([]byte(c.Secret), c.TokenTTL, time.Now),
		Log:      log,
		Registry: reg,
		API: api.Config{
			BodyLimit:      int64(c.BodyLimit),
			BodyTimeout:    c.BodyTimeout,
			RatePerSec:     c.HTTPRate,
			Burst:          c.HTTPBurst,
			TrustedProxies: c.TrustedProxies,
			PublicURL:      c.PublicURL,
			LogEvents:      c.MaxEvents,
		},
		WS: ws.Config{
			Origins:     origins,
			ReadLimit:   int64(c.WSReadLimit),
			RatePerSec:  c.WSRate,
			Burst:       c.WSBurst,
			QueueLen:    c.WSQueue,
			NoPark:      !c.WSPark,
			NoDeflate:   !c.WSDeflate,
			NoURing:     !c.WSURing,
			QueueBytes:  c.WSQueueBytes,
			SendBuffer:  c.WSSendBuffer,
			BulkCPU:     c.WSBulkCPU,
			MaxPerAddr:  c.WSPerAddr,
			IdleTimeout: c.WSIdleTimeout,
		},
	})
	if err != nil {
		return err
	}

	printConfig(stdout, c, origins)
	if c.secretRandom {
		log.Warn("no --secret/HUB_SECRET: using a random secret; tokens will not work on other nodes or after a restart")
	}
	fmt.Fprintf(stdout, "listening on %s\nopen http://localhost:%d/\n", ln.Addr(), port)

	hs := &http.Server{
		Handler:           node,
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
		_ = node.Sweep(sweepCtx, c.SweepEvery)
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
	if err := node.Drain(sctx); err != nil {
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
			store = "redis cluster " + maskURL(c.Redis) + ", " + c.RedisPubSub + " pub/sub"
		}
		if c.RedisWait > 0 {
			store += fmt.Sprintf(", commits wait for %d replicas", c.RedisWait)
		}
	}
	secret := "set (hidden)"
	if c.secretRandom {
		secret = "random per process"
	}
	fmt.Fprintf(w, "tourhub configuration:\n"+
		"  addr           %s\n  store          %s\n  origins        %s\n  secret         %s\n"+
		"  token-ttl      %s\n  retention      %s (idle %s)\n  max-events     %d\n  body-limit     %d bytes, within %s\n"+
		"  http-rate      %g/s burst %d per client (trusted proxies %s)\n"+
		"  ws             read-limit %d, rate %g/s burst %d, queue %d messages / %d bytes, send buffer %d, bulk writes %g of a CPU, park idle %t, deflate %t, io_uring %t\n"+
		"  ws-clients     %d sockets per client, idle without a subscription %s\n  drain-timeout  %s\n  sweep-every    %s\n  log-level      %s\n"+
		"  debug-addr     %s\n  public-url     %s\n",
		c.Addr, store, strings.Join(origins, ","), secret, c.TokenTTL, c.Retention, c.IdleRetention, c.MaxEvents, c.BodyLimit, c.BodyTimeout,
		c.HTTPRate, c.HTTPBurst, showProxies(c.TrustedProxies, "none: the connection's address"), c.WSReadLimit, c.WSRate, c.WSBurst, c.WSQueue, c.WSQueueBytes, c.WSSendBuffer, c.WSBulkCPU, c.WSPark, c.WSDeflate, c.WSURing, c.WSPerAddr, c.WSIdleTimeout, c.DrainTimeout, c.SweepEvery, c.LogLevel,
		cmp.Or(c.DebugAddr, "off"), cmp.Or(c.PublicURL, "none: links name the address each page was loaded from"))
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
