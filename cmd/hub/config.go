package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tourhub/tourhub/hub/clientip"
)

// config is everything the flags and environment say.
type config struct {
	Addr           string
	Redis          string
	RedisCluster   bool
	RedisPubSub    string
	RedisWait      int
	Origins        []string
	Secret         string
	secretRandom   bool
	TokenTTL       time.Duration
	Retention      time.Duration
	IdleRetention  time.Duration
	MaxEvents      int
	BodyLimit      int
	BodyTimeout    time.Duration
	HTTPRate       float64
	HTTPBurst      int
	TrustedProxies []netip.Prefix
	WSReadLimit    int
	WSRate         float64
	WSBurst        int
	WSQueue        int
	WSPark         bool
	WSDeflate      bool
	WSURing        bool
	WSQueueBytes   int
	WSSendBuffer   int
	WSBulkCPU      float64
	WSPerAddr      int
	WSIdleTimeout  time.Duration
	DrainTimeout   time.Duration
	SweepEvery     time.Duration
	LogLevel       slog.Level
	DebugAddr      string
	PublicURL      string
}

// minSecret is the shortest token secret accepted: HS256 wants a key at least as long as its
// 32-byte hash, and a short one can be guessed offline from any token.
const minSecret = 32

// setting is one configuration value's flag.Value. Its one parse-and-check serves the flag and
// the environment variable alike, so both refuse the same values with the same message, and
// every value it accepts is one the node runs with (no zero that a default silently replaces).
type setting[T any] struct {
	p      *T
	parse  func(string) (T, error)
	show   func(T) string
	isBool bool
}

func (v *setting[T]) Set(s string) error {
	x, err := v.parse(s)
	if err != nil {
		return err
	}
	*v.p = x
	return nil
}

// String shows the value; the flag package calls it on a zero setting too (p nil).
func (v *setting[T]) String() string {
	if v == nil || v.p == nil {
		return ""
	}
	return v.show(*v.p)
}

// IsBoolFlag makes a boolean a flag that needs no value: --redis-cluster alone is true and does
// not swallow the next argument; --ws-park=false still works.
func (v *setting[T]) IsBoolFlag() bool { return v != nil && v.isBool }

// minSweepEvery is the shortest --sweep-every: each sweep asks the due set (Redis, on a cluster),
// and a nanosecond would have every node spin on it.
const minSweepEvery = 10 * time.Millisecond

// durationAtLeast parses a duration of min or more.
func durationAtLeast(min time.Duration) func(string) (time.Duration, error) {
	return func(s string) (time.Duration, error) {
		d, err := time.ParseDuration(s)
		if err != nil || d < min {
			return 0, fmt.Errorf("want a duration of %v or more, such as 1s", min)
		}
		return d, nil
	}
}

func positiveDuration(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, errors.New("want a positive duration such as 90s or 2h")
	}
	return d, nil
}

func positiveInt(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		return 0, errors.New("want a positive whole number")
	}
	return n, nil
}

func nonNegativeInt(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, errors.New("want a whole number, 0 or more")
	}
	return n, nil
}

// oneOf accepts one of the values given.
func oneOf(values ...string) func(string) (string, error) {
	return func(s string) (string, error) {
		if slices.Contains(values, s) {
			return s, nil
		}
		return "", fmt.Errorf("want %s", strings.Join(values, " or "))
	}
}

func positiveFloat(s string) (float64, error) {
	x, err := strconv.ParseFloat(s, 64)
	if err != nil || !(x > 0) || math.IsInf(x, 0) {
		return 0, errors.New("want a positive number")
	}
	return x, nil
}

// shareOfCPU parses a share of one CPU: a number above 0 and at most 1.
func shareOfCPU(s string) (float64, error) {
	x, err := strconv.ParseFloat(s, 64)
	if err != nil || !(x > 0) || x > 1 {
		return 0, errors.New("want a share of one CPU above 0 and at most 1, such as 0.25")
	}
	return x, nil
}

func boolean(s string) (bool, error) {
	b, err := strconv.ParseBool(s)
	if err != nil {
		return false, errors.New("want true or false")
	}
	return b, nil
}

func hostPort(s string) (string, error) {
	if _, _, err := net.SplitHostPort(s); err != nil {
		return "", errors.New("want host:port, such as :8080 or 127.0.0.1:0")
	}
	return s, nil
}

func hostPortOrOff(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	return hostPort(s)
}

func anyText(s string) (string, error) { return s, nil }

// publicURL accepts empty (off) or an absolute http or https URL of a host, with no path, query
// or user; a trailing slash is dropped.
func publicURL(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return "", errors.New("want an http or https URL of the hub's host, such as https://cup.example.org (no path: the pages are served at /)")
	}
	return u.Scheme + "://" + u.Host, nil
}

func list(s string) ([]string, error) {
	var out []string
	for e := range strings.SplitSeq(s, ",") {
		if e = strings.TrimSpace(e); e != "" {
			out = append(out, e)
		}
	}
	return out, nil
}

func logLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return 0, errors.New("want debug, info, warn or error")
	}
	return l, nil
}

// removedTrustProxy refuses the old boolean setting, which took the client address from the
// first X-Forwarded-For entry (the one the client writes). Ignoring it would quietly change how
// clients are rate limited, so the node does not start until it is replaced.
func removedTrustProxy(name string) func(string) (bool, error) {
	return func(v string) (bool, error) {
		if b, err := strconv.ParseBool(v); err == nil && !b {
			return false, fmt.Errorf("%s is no longer supported: remove it (trusting no proxy is the default, an empty --trusted-proxies / HUB_TRUSTED_PROXIES)", name)
		}
		return false, fmt.Errorf("%s is no longer supported: it trusted the first X-Forwarded-For entry, which any client can write. "+
			"Set --trusted-proxies (HUB_TRUSTED_PROXIES) to the addresses or networks of your proxies instead, "+
			"e.g. HUB_TRUSTED_PROXIES=10.0.0.5 or 172.28.0.0/24", name)
	}
}

func showString(s string) string             { return s }
func showInt(n int) string                   { return strconv.Itoa(n) }
func showFloat(x float64) string             { return strconv.FormatFloat(x, 'g', -1, 64) }
func showDuration(d time.Duration) string    { return d.String() }
func showList(l []string) string             { return strings.Join(l, ",") }
func showLevel(l slog.Level) string          { return strings.ToLower(l.String()) }
func showProxyList(ps []netip.Prefix) string { return showProxies(ps, "") }

// parseConfig reads args, falling back to the environment, then to the defaults.
func parseConfig(args []string, getenv func(string) string, out io.Writer) (config, error) {
	c := config{
		Addr:          ":8080",
		RedisPubSub:   "sharded",
		TokenTTL:      24 * time.Hour,
		Retention:     2 * time.Hour,
		IdleRetention: 24 * time.Hour,
		MaxEvents:     10000,
		BodyLimit:     64 << 10,
		BodyTimeout:   10 * time.Second,
		HTTPRate:      20,
		HTTPBurst:     40,
		WSReadLimit:   16 << 10,
		WSRate:        20,
		WSBurst:       40,
		WSQueue:       256,
		WSPark:        true,
		WSDeflate:     true,
		WSURing:       true,
		WSQueueBytes:  8 << 20,
		WSSendBuffer:  64 << 10,
		WSBulkCPU:     0.25,
		WSPerAddr:     256,
		WSIdleTimeout: 30 * time.Second,
		DrainTimeout:  10 * time.Second,
		SweepEvery:    time.Second,
		LogLevel:      slog.LevelInfo,
	}
	fs := flag.NewFlagSet("hub", flag.ContinueOnError)
	// The flag package would print the whole usage after every mistake, burying the one line
	// that says what is wrong: errors are returned (and printed once by main), -h prints usage.
	fs.SetOutput(io.Discard)
	var envErr error
	// add registers a setting under its flag and applies its environment variable, if set, with
	// the same check. The flag's default shown by -h is the built-in one.
	add := func(name, envName, usage string, v flag.Value) {
		fs.Var(v, name, usage+" (env "+envName+")")
		if s := getenv(envName); s != "" {
			if err := v.Set(s); err != nil {
				envErr = errors.Join(envErr, fmt.Errorf("%s=%q: %w", envName, s, err))
			}
		}
	}
	str := func(p *string, parse func(string) (string, error)) flag.Value {
		return &setting[string]{p: p, parse: parse, show: showString}
	}
	dur := func(p *time.Duration) flag.Value {
		return &setting[time.Duration]{p: p, parse: positiveDuration, show: showDuration}
	}
	num := func(p *int) flag.Value { return &setting[int]{p: p, parse: positiveInt, show: showInt} }
	rate := func(p *float64) flag.Value {
		return &setting[float64]{p: p, parse: positiveFloat, show: showFloat}
	}
	onOff := func(p *bool) flag.Value {
		return &setting[bool]{p: p, parse: boolean, show: strconv.FormatBool, isBool: true}
	}

	add("addr", "HUB_ADDR", "listen `host:port`", str(&c.Addr, hostPort))
	add("redis", "REDIS_URL", "Redis `URL`, e.g. redis://localhost:6379/0; empty runs on the memory store, one node", str(&c.Redis, anyText))
	add("redis-cluster", "HUB_REDIS_CLUSTER", "--redis names seed nodes of a Redis Cluster: redis://host1:7000?addr=host2:7001&addr=host3:7002", onOff(&c.RedisCluster))
	add("redis-pubsub", "HUB_REDIS_PUBSUB", "with --redis-cluster, how commits are published: `sharded` (SPUBLISH, only the tournament's shard carries it; Redis 7+) or classic (PUBLISH, broadcast to every cluster node)",
		str(&c.RedisPubSub, oneOf("sharded", "classic")))
	add("redis-wait-replicas", "HUB_REDIS_WAIT_REPLICAS", "acknowledge a command only once this `number` of replicas have its commit (WAIT, up to 1s; fewer answer 503, retryable); 0: do not wait, a failover may lose the newest acknowledged commits",
		&setting[int]{p: &c.RedisWait, parse: nonNegativeInt, show: showInt})
	add("origins", "HUB_ORIGINS", "extra allowed WebSocket Origin `hosts`, comma-separated; the hub's own host and localhost:PORT are always allowed",
		&setting[[]string]{p: &c.Origins, parse: list, show: showList})
	add("secret", "HUB_SECRET", "token signing `secret`, at least 32 bytes, the same on every node (openssl rand -hex 32); random per process if empty", str(&c.Secret, anyText))
	add("token-ttl", "HUB_TOKEN_TTL", "lifetime of issued tokens, a `duration`", dur(&c.TokenTTL))
	add("retention", "HUB_RETENTION", "how long finished and cancelled tournaments are kept, a `duration`; also the default and the most a tournament's own retention.finished may ask for", dur(&c.Retention))
	add("idle-retention", "HUB_IDLE_RETENTION", "how long a tournament that is not finished is kept after its last command, a `duration`; also the default and the most a tournament's own retention.idle may ask for", dur(&c.IdleRetention))
	add("max-events", "HUB_MAX_EVENTS", "event log entries kept per tournament, a `number`", num(&c.MaxEvents))
	add("body-limit", "HUB_BODY_LIMIT", "largest HTTP request body, `bytes`", num(&c.BodyLimit))
	add("body-timeout", "HUB_BODY_TIMEOUT", "how long an API request's body may take to arrive once its headers are in, a `duration`; later gets 400 and the connection closed", dur(&c.BodyTimeout))
	add("http-rate", "HUB_HTTP_RATE", "API requests per second per client address (a join over a socket counts as one), a `rate`", rate(&c.HTTPRate))
	add("http-burst", "HUB_HTTP_BURST", "API request burst per client address, a `number`", num(&c.HTTPBurst))
	add("trusted-proxies", "HUB_TRUSTED_PROXIES", "`addresses` or CIDRs of the proxies in front of the node, comma-separated; the client address is read from X-Forwarded-For through them; empty: the connection's address",
		&setting[[]netip.Prefix]{p: &c.TrustedProxies, parse: clientip.Parse, show: showProxyList})
	var removed bool
	add("trust-proxy", "HUB_TRUST_PROXY", "removed: set --trusted-proxies to your proxies' addresses",
		&setting[bool]{p: &removed, parse: removedTrustProxy("--trust-proxy (HUB_TRUST_PROXY)"), show: func(bool) string { return "" }, isBool: true})
	add("ws-read-limit", "HUB_WS_READ_LIMIT", "largest WebSocket message from a client, `bytes`", num(&c.WSReadLimit))
	add("ws-rate", "HUB_WS_RATE", "WebSocket messages per second per socket, a `rate`", rate(&c.WSRate))
	add("ws-burst", "HUB_WS_BURST", "WebSocket message burst per socket, a `number`", num(&c.WSBurst))
	add("ws-queue", "HUB_WS_QUEUE", "send queue per socket, `messages`; overflow closes the socket (4001)", num(&c.WSQueue))
	add("ws-queue-bytes", "HUB_WS_QUEUE_BYTES", "send queue per socket, `bytes`; overflow closes the socket (4001)", num(&c.WSQueueBytes))
	add("ws-send-buffer", "HUB_WS_SEND_BUFFER", "kernel send buffer per socket (SO_SNDBUF), `bytes`", num(&c.WSSendBuffer))
	add("ws-bulk-cpu", "HUB_WS_BULK_CPU", "the `share` of one CPU that writing big messages (32 KiB or more: snapshots, bursts) may take, node-wide, so that a burst of subscribers cannot starve live deliveries; 1 only writes them one at a time",
		&setting[float64]{p: &c.WSBulkCPU, parse: shareOfCPU, show: showFloat})
	add("ws-per-addr", "HUB_WS_PER_ADDR", "open sockets per client address on this node, a `number`; past it the upgrade gets 429", num(&c.WSPerAddr))
	add("ws-idle-timeout", "HUB_WS_IDLE_TIMEOUT", "close a socket that has neither subscribed nor authenticated this long after opening (4004), a `duration`", dur(&c.WSIdleTimeout))
	add("ws-park", "HUB_WS_PARK", "park idle sockets (Linux): no goroutine per socket while it has nothing to read; --ws-park=false keeps a reader blocked per socket", onOff(&c.WSPark))
	add("ws-uring", "HUB_WS_URING", "write a fan-out's sockets through io_uring (Linux), up to 256 in one system call, where the kernel allows it; --ws-uring=false writes each socket with a system call of its own", onOff(&c.WSURing))
	add("ws-deflate", "HUB_WS_DEFLATE", "compress snapshots and big events for clients that offer permessage-deflate (browsers do), once per message for every socket; --ws-deflate=false declines the offer", onOff(&c.WSDeflate))
	add("drain-timeout", "HUB_DRAIN_TIMEOUT", "how long shutdown waits for sockets and requests, a `duration`", dur(&c.DrainTimeout))
	add("sweep-every", "HUB_SWEEP_EVERY", "how often this node looks for due deadlines (check-in, starts, match time limits), a `duration` of 10ms or more", &setting[time.Duration]{p: &c.SweepEvery, parse: durationAtLeast(minSweepEvery), show: showDuration})
	add("public-url", "HUB_PUBLIC_URL", "the hub's public `URL` as its users reach it (https://cup.example.org): the address the pages' share links and QR codes name, and an allowed WebSocket origin; empty: the address each page was loaded from", str(&c.PublicURL, publicURL))
	add("debug-addr", "HUB_DEBUG_ADDR", "serve Go profiles (net/http/pprof) on this separate `host:port`, e.g. 127.0.0.1:6060; empty: off", str(&c.DebugAddr, hostPortOrOff))
	add("log-level", "HUB_LOG_LEVEL", "`level`: debug, info, warn or error", &setting[slog.Level]{p: &c.LogLevel, parse: logLevel, show: showLevel})

	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(out, "Usage of hub (every flag has an environment variable; a flag wins over it):")
		fs.SetOutput(out)
		fs.PrintDefaults()
		return c, err
	} else if err != nil {
		return c, fmt.Errorf("%w (hub -h lists every setting)", err)
	}
	if envErr != nil {
		return c, envErr
	}
	if fs.NArg() > 0 {
		err := fmt.Errorf("unexpected arguments: %q", fs.Args())
		if slices.ContainsFunc(fs.Args(), func(a string) bool { _, err := strconv.ParseBool(a); return err == nil }) {
			err = fmt.Errorf("%w; a boolean flag takes its value after =, e.g. --ws-park=false", err)
		}
		return c, err
	}
	if c.RedisCluster && c.Redis == "" {
		return c, errors.New("redis-cluster needs --redis (REDIS_URL) with the cluster's seed nodes")
	}
	if err := checkSecret(&c, fs); err != nil {
		return c, err
	}
	return c, nil
}

// checkSecret refuses a short secret and makes a random one when none is given. The value is
// never part of a message.
func checkSecret(c *config, fs *flag.FlagSet) error {
	if c.Secret == "" {
		var raw [32]byte
		if _, err := rand.Read(raw[:]); err != nil {
			return fmt.Errorf("random secret: %w", err)
		}
		c.Secret, c.secretRandom = hex.EncodeToString(raw[:]), true
		return nil
	}
	if len(c.Secret) >= minSecret {
		return nil
	}
	name := "HUB_SECRET"
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "secret" {
			name = "--secret"
		}
	})
	return fmt.Errorf("%s is too short: want at least %d random bytes (it has %d), the same on every node: make one with `openssl rand -hex 32`",
		name, minSecret, len(c.Secret))
}

// showProxies lists the trusted proxies as the banner and -h show them; none is shown as none.
func showProxies(ps []netip.Prefix, none string) string {
	if len(ps) == 0 {
		return none
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
