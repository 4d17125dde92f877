package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"
)

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestRunServesAndShutsDown(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		// Both ports are picked by the kernel as run binds them and read from its output: a port
		// picked before could be taken by then.
		done <- run(ctx, []string{"--addr", "127.0.0.1:0", "--debug-addr", "127.0.0.1:0"}, envOf(map[string]string{"HUB_SECRET": testSecret}), pw)
		pw.Close()
	}()

	// Read the banner until the listening address and the debug address; keep draining the pipe
	// afterwards.
	lines := make(chan string, 100)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			default:
			}
		}
	}()
	var addr, debugAddr string
	var banner []string
	deadline := time.After(10 * time.Second)
	for addr == "" || debugAddr == "" {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("run ended before listening: %v", <-done)
			}
			banner = append(banner, l)
			if a, ok := strings.CutPrefix(l, "listening on "); ok {
				addr = a
			}
			if _, u, ok := strings.Cut(l, `msg="serving Go profiles" url=http://`); ok {
				debugAddr, _, _ = strings.Cut(u, "/")
			}
		case <-deadline:
			t.Fatalf("no listening line or no debug address in %q", banner)
		}
	}
	all := strings.Join(banner, "\n")
	if strings.Contains(all, testSecret) || !strings.Contains(all, "secret         set (hidden)") {
		t.Errorf("banner shows the secret or does not say it is set:\n%s", all)
	}
	client := &http.Client{Timeout: 10 * time.Second}
	for _, path := range []string{"/healthz", "/readyz", "/api/tournaments", "/"} {
		resp, err := client.Get("http://" + addr + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %d; want 200", path, resp.StatusCode)
		}
	}
	// Profiles are on the debug address only, never on the public one.
	get := func(url string) (int, string) {
		t.Helper()
		resp, err := client.Get(url)
		if err != nil {
			t.Fatalf("GET %s: %v", url, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("http://" + debugAddr + "/debug/pprof/"); code != http.StatusOK || !strings.Contains(body, "goroutine") {
		t.Errorf("GET debug /debug/pprof/: %d; want 200 with the profile index", code)
	}
	if code, body := get("http://" + addr + "/debug/pprof/"); code == http.StatusOK && strings.Contains(body, "goroutine") {
		t.Errorf("the public address serves profiles")
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run after cancel: %v; want nil", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("run did not return after cancel")
	}
}

// testSecret is a secret long enough to be accepted.
const testSecret = "test-secret-0123456789abcdef0123456789"

func TestParseConfig(t *testing.T) {
	t.Parallel()
	c, err := parseConfig(nil, envOf(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != ":8080" || c.Redis != "" || c.TokenTTL != 24*time.Hour || c.Retention != 2*time.Hour || c.IdleRetention != 24*time.Hour ||
		c.MaxEvents != 10000 || c.BodyLimit != 64<<10 || c.BodyTimeout != 10*time.Second || c.HTTPRate != 20 || c.HTTPBurst != 40 || c.WSReadLimit != 16<<10 ||
		c.WSRate != 20 || c.WSBurst != 40 || c.WSQueue != 256 || !c.WSPark || !c.WSURing || c.RedisCluster || c.DrainTimeout != 10*time.Second ||
		c.SweepEvery != time.Second || c.LogLevel != slog.LevelInfo || c.DebugAddr != "" || !c.secretRandom || len(c.Secret) != 64 ||
		c.TrustedProxies != nil {
		t.Errorf("defaults = %+v", c)
	}
	env := envOf(map[string]string{"HUB_ADDR": ":9000", "HUB_TOKEN_TTL": "1h", "HUB_ORIGINS": "a.example, b.example", "HUB_SECRET": testSecret,
		"HUB_WS_QUEUE": "64", "HUB_TRUSTED_PROXIES": "10.0.0.5, 172.28.0.0/24", "HUB_WS_PARK": "false", "HUB_HTTP_RATE": "5", "HUB_WS_URING": "false"})
	c, err = parseConfig([]string{"--addr", ":9100", "--http-rate=2.5"}, env, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != ":9100" || c.TokenTTL != time.Hour || strings.Join(c.Origins, "|") != "a.example|b.example" || c.Secret != testSecret ||
		c.secretRandom || c.WSQueue != 64 || fmt.Sprint(c.TrustedProxies) != "[10.0.0.5/32 172.28.0.0/24]" || c.WSPark || c.WSURing || c.HTTPRate != 2.5 {
		t.Errorf("flag over env over default: %+v", c)
	}
	c, err = parseConfig([]string{"--redis", "redis://h1:7000?addr=h2:7001"}, envOf(map[string]string{"HUB_REDIS_CLUSTER": "true"}), io.Discard)
	if err != nil || !c.RedisCluster {
		t.Errorf("HUB_REDIS_CLUSTER=true: cluster %v, err %v", c.RedisCluster, err)
	}
	for name, tc := range map[string]struct {
		args []string
		env  map[string]string
	}{
		"bad flag":            {[]string{"--nope"}, nil},
		"stray argument":      {[]string{"serve"}, nil},
		"cluster without url": {[]string{"--redis-cluster"}, nil},
	} {
		if _, err := parseConfig(tc.args, envOf(tc.env), io.Discard); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// TestBooleanFlags: a boolean flag needs no value, so it never swallows the argument after it.
func TestBooleanFlags(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name          string
		args          []string
		env           map[string]string
		cluster, park bool
		redis         string
	}{
		{"cluster before redis", []string{"--redis-cluster", "--redis", "redis://h1:7000"}, nil, true, true, "redis://h1:7000"},
		{"cluster after redis", []string{"--redis", "redis://h1:7000", "--redis-cluster"}, nil, true, true, "redis://h1:7000"},
		{"cluster=true", []string{"--redis-cluster=true", "--redis", "redis://h1:7000"}, nil, true, true, "redis://h1:7000"},
		{"park=false", []string{"--ws-park=false"}, nil, false, false, ""},
		{"park alone over the environment", []string{"-ws-park"}, map[string]string{"HUB_WS_PARK": "false"}, false, true, ""},
		{"park=0", []string{"--ws-park=0"}, nil, false, false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := parseConfig(tc.args, envOf(tc.env), io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			if c.RedisCluster != tc.cluster || c.WSPark != tc.park || c.Redis != tc.redis {
				t.Errorf("%q: cluster %v park %v redis %q; want %v %v %q", tc.args, c.RedisCluster, c.WSPark, c.Redis, tc.cluster, tc.park, tc.redis)
			}
		})
	}
	_, err := parseConfig([]string{"--ws-park", "false"}, envOf(nil), io.Discard)
	if err == nil || !strings.Contains(err.Error(), "--ws-park=false") {
		t.Errorf("--ws-park false: err %v; want one that says to write --ws-park=false", err)
	}
}

// TestSettingChecks: every setting refuses the same values with the same message whether it
// comes from its flag or from its environment variable, and accepts nothing that the hub would
// silently replace by a default (a zero, a negative).
func TestSettingChecks(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		flag, env, value, want string
	}{
		{"token-ttl", "HUB_TOKEN_TTL", "-1h", "want a positive duration"},
		{"token-ttl", "HUB_TOKEN_TTL", "0s", "want a positive duration"},
		{"retention", "HUB_RETENTION", "soon", "want a positive duration"},
		{"idle-retention", "HUB_IDLE_RETENTION", "0", "want a positive duration"},
		{"drain-timeout", "HUB_DRAIN_TIMEOUT", "-5s", "want a positive duration"},
		{"body-timeout", "HUB_BODY_TIMEOUT", "0s", "want a positive duration"},
		{"sweep-every", "HUB_SWEEP_EVERY", "0s", "want a duration of 10ms or more"},
		{"sweep-every", "HUB_SWEEP_EVERY", "1ns", "want a duration of 10ms or more"},
		{"max-events", "HUB_MAX_EVENTS", "-3", "want a positive whole number"},
		{"body-limit", "HUB_BODY_LIMIT", "0", "want a positive whole number"},
		{"http-burst", "HUB_HTTP_BURST", "1.5", "want a positive whole number"},
		{"ws-read-limit", "HUB_WS_READ_LIMIT", "-1", "want a positive whole number"},
		{"ws-burst", "HUB_WS_BURST", "0", "want a positive whole number"},
		{"ws-queue", "HUB_WS_QUEUE", "-1", "want a positive whole number"},
		{"http-rate", "HUB_HTTP_RATE", "0", "want a positive number"},
		{"http-rate", "HUB_HTTP_RATE", "NaN", "want a positive number"},
		{"http-rate", "HUB_HTTP_RATE", "+Inf", "want a positive number"},
		{"ws-rate", "HUB_WS_RATE", "-20", "want a positive number"},
		{"ws-bulk-cpu", "HUB_WS_BULK_CPU", "0", "want a share of one CPU"},
		{"ws-bulk-cpu", "HUB_WS_BULK_CPU", "1.5", "want a share of one CPU"},
		{"ws-bulk-cpu", "HUB_WS_BULK_CPU", "NaN", "want a share of one CPU"},
		{"redis-cluster", "HUB_REDIS_CLUSTER", "maybe", "want true or false"},
		{"redis-pubsub", "HUB_REDIS_PUBSUB", "broadcast", "want sharded or classic"},
		{"redis-wait-replicas", "HUB_REDIS_WAIT_REPLICAS", "-1", "want a whole number, 0 or more"},
		{"ws-park", "HUB_WS_PARK", "sometimes", "want true or false"},
		{"log-level", "HUB_LOG_LEVEL", "loud", "want debug, info, warn or error"},
		{"addr", "HUB_ADDR", "8080", "want host:port"},
		{"debug-addr", "HUB_DEBUG_ADDR", "6060", "want host:port"},
		{"trusted-proxies", "HUB_TRUSTED_PROXIES", "haproxy", "not an IP address"},
		{"public-url", "HUB_PUBLIC_URL", "cup.example.org", "want an http or https URL"},
		{"public-url", "HUB_PUBLIC_URL", "ftp://cup.example.org", "want an http or https URL"},
		{"public-url", "HUB_PUBLIC_URL", "https://cup.example.org/hub", "no path"},
		{"public-url", "HUB_PUBLIC_URL", "https://cup.example.org/?x=1", "want an http or https URL"},
		{"public-url", "HUB_PUBLIC_URL", "https://user@cup.example.org", "want an http or https URL"},
	} {
		t.Run(tc.flag+"="+tc.value, func(t *testing.T) {
			_, flagErr := parseConfig([]string{"--" + tc.flag + "=" + tc.value}, envOf(nil), io.Discard)
			_, envErr := parseConfig(nil, envOf(map[string]string{tc.env: tc.value}), io.Discard)
			for _, c := range []struct {
				err  error
				name string
			}{{flagErr, "-" + tc.flag}, {envErr, tc.env}} {
				if c.err == nil || !strings.Contains(c.err.Error(), tc.want) || !strings.Contains(c.err.Error(), c.name) {
					t.Errorf("%s=%s: err %v; want one naming %s with %q", c.name, tc.value, c.err, c.name, tc.want)
				}
			}
		})
	}
	// The empty address listens on a random port of every interface, while the banner would say
	// :8080: refused too (the environment cannot say it: empty means unset there).
	if _, err := parseConfig([]string{"--addr="}, envOf(nil), io.Discard); err == nil || !strings.Contains(err.Error(), "want host:port") {
		t.Errorf("--addr=: err %v; want host:port", err)
	}
}

// TestPublicURL: --public-url keeps scheme and host, without a trailing slash.
func TestPublicURL(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"": "", "https://cup.example.org": "https://cup.example.org",
		"https://cup.example.org/": "https://cup.example.org", "http://10.0.0.5:8080": "http://10.0.0.5:8080"} {
		c, err := parseConfig([]string{"--public-url=" + in}, envOf(nil), io.Discard)
		if err != nil || c.PublicURL != want {
			t.Errorf("--public-url=%s: %q, %v; want %q", in, c.PublicURL, err, want)
		}
	}
}

// TestSecret: a short secret is refused without showing it, with how to make a good one; none
// at all gets a random one per process.
func TestSecret(t *testing.T) {
	t.Parallel()
	const short = "hunter2"
	for _, tc := range []struct {
		name, source string
		args         []string
		env          map[string]string
	}{
		{"flag", "--secret", []string{"--secret", short}, nil},
		{"environment", "HUB_SECRET", nil, map[string]string{"HUB_SECRET": short}},
		{"31 bytes", "--secret", []string{"--secret", strings.Repeat("s", 31)}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseConfig(tc.args, envOf(tc.env), io.Discard)
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.source) || !strings.Contains(msg, "at least 32") || !strings.Contains(msg, "openssl rand -hex 32") {
				t.Errorf("err %q; want one naming %s, the minimum and how to make one", msg, tc.source)
			}
			if strings.Contains(msg, short) || strings.Contains(msg, "sssss") {
				t.Errorf("err %q shows the secret", msg)
			}
		})
	}
	c, err := parseConfig([]string{"--secret", strings.Repeat("s", 32)}, envOf(nil), io.Discard)
	if err != nil || c.secretRandom {
		t.Errorf("32 bytes: random %v, err %v; want accepted", c.secretRandom, err)
	}
}

// TestBannerShowsValuesInForce: the printed configuration shows each value the node runs with.
func TestBannerShowsValuesInForce(t *testing.T) {
	t.Parallel()
	c, err := parseConfig([]string{"--addr", "127.0.0.1:0", "--token-ttl", "90m", "--retention", "3h", "--idle-retention", "48h",
		"--max-events", "77", "--body-limit", "1234", "--body-timeout", "4s", "--http-rate", "0.5", "--http-burst", "3", "--trusted-proxies", "10.0.0.5,fd00::/8",
		"--ws-read-limit", "999", "--ws-rate", "7", "--ws-burst", "8", "--ws-queue", "9", "--ws-queue-bytes", "4096", "--ws-send-buffer", "8192", "--ws-bulk-cpu", "0.5",
		"--ws-per-addr", "12", "--ws-idle-timeout", "45s", "--ws-park=false", "--drain-timeout", "3s",
		"--sweep-every", "250ms", "--log-level", "warn", "--secret", testSecret}, envOf(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	printConfig(&b, c, []string{"localhost:1"})
	for _, want := range []string{
		"addr           127.0.0.1:0", "secret         set (hidden)", "token-ttl      1h30m0s", "retention      3h0m0s (idle 48h0m0s)",
		"max-events     77", "body-limit     1234 bytes, within 4s", "http-rate      0.5/s burst 3", "trusted proxies 10.0.0.5,fd00::/8",
		"read-limit 999, rate 7/s burst 8, queue 9 messages / 4096 bytes, send buffer 8192, bulk writes 0.5 of a CPU, park idle false",
		"ws-clients     12 sockets per client, idle without a subscription 45s", "drain-timeout  3s", "sweep-every    250ms", "log-level      WARN",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("banner lacks %q:\n%s", want, b.String())
		}
	}
	if strings.Contains(b.String(), testSecret) {
		t.Errorf("banner shows the secret")
	}
}

// TestTrustProxyRemoved: the old boolean took the client address from the first
// X-Forwarded-For entry; a node still configured with it must not start as if it were not there.
func TestTrustProxyRemoved(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"env true", nil, map[string]string{"HUB_TRUST_PROXY": "true"}, "Set --trusted-proxies (HUB_TRUSTED_PROXIES)"},
		{"env false", nil, map[string]string{"HUB_TRUST_PROXY": "false"}, "remove it"},
		{"flag", []string{"--trust-proxy", "true"}, nil, "Set --trusted-proxies (HUB_TRUSTED_PROXIES)"},
		{"flag with the new one", []string{"--trust-proxy=true", "--trusted-proxies", "10.0.0.5"}, nil, "Set --trusted-proxies"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseConfig(tc.args, envOf(tc.env), io.Discard)
			if err == nil || !strings.Contains(err.Error(), "no longer supported") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err %v; want one saying it is no longer supported and %q", err, tc.want)
			}
		})
	}
}

func TestMaskURL(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"redis://:pw@localhost:6379/0": "redis://:***@localhost:6379/0",
		"redis://user:pw@host:6379":    "redis://user:***@host:6379",
		"redis://localhost:6379":       "redis://localhost:6379",
		"rediss://default@host:6380/1": "rediss://default@host:6380/1",
	} {
		if got := maskURL(in); got != want {
			t.Errorf("maskURL(%q) = %q; want %q", in, got, want)
		}
	}
}
