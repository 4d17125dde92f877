package main

import (
	"bufio"
	"context"
	"io"
	"net"
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
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	debugAddr := l.Addr().String()
	l.Close()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--addr", "127.0.0.1:0", "--debug-addr", debugAddr}, envOf(map[string]string{"HUB_SECRET": "s3cret-value"}), pw)
		pw.Close()
	}()

	// Read the banner until the listening address; keep draining the pipe afterwards.
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
	var addr string
	var banner []string
	deadline := time.After(10 * time.Second)
	for addr == "" {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("run ended before listening: %v", <-done)
			}
			banner = append(banner, l)
			if a, ok := strings.CutPrefix(l, "listening on "); ok {
				addr = a
			}
		case <-deadline:
			t.Fatalf("no listening line in %q", banner)
		}
	}
	all := strings.Join(banner, "\n")
	if strings.Contains(all, "s3cret-value") || !strings.Contains(all, "secret         set (hidden)") {
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

func TestParseConfig(t *testing.T) {
	t.Parallel()
	c, err := parseConfig(nil, envOf(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != ":8080" || c.Redis != "" || c.TokenTTL != 24*time.Hour || c.Retention != 2*time.Hour || c.MaxEvents != 10000 ||
		c.BodyLimit != 64<<10 || c.HTTPRate != 20 || c.HTTPBurst != 40 || c.WSReadLimit != 16<<10 || c.WSRate != 20 || c.WSBurst != 40 ||
		c.WSQueue != 256 || !c.WSPark || c.DrainTimeout != 10*time.Second || !c.secretRandom || len(c.Secret) != 64 || c.TrustedProxies != nil {
		t.Errorf("defaults = %+v", c)
	}
	env := envOf(map[string]string{"HUB_ADDR": ":9000", "HUB_TOKEN_TTL": "1h", "HUB_ORIGINS": "a.example, b.example", "HUB_SECRET": "x", "HUB_WS_QUEUE": "64", "HUB_TRUSTED_PROXIES": "10.0.0.5, 172.28.0.0/24", "HUB_WS_PARK": "false"})
	c, err = parseConfig([]string{"--addr", ":9100"}, env, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != ":9100" || c.TokenTTL != time.Hour || strings.Join(c.Origins, "|") != "a.example|b.example" || c.Secret != "x" || c.secretRandom || c.WSQueue != 64 || showProxies(c.TrustedProxies) != "10.0.0.5,172.28.0.0/24" || c.WSPark {
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
		"bad env duration":    {nil, map[string]string{"HUB_RETENTION": "soon"}},
		"bad env number":      {nil, map[string]string{"HUB_WS_QUEUE": "-1"}},
		"bad flag":            {[]string{"--nope"}, nil},
		"bad log level":       {[]string{"--log-level", "loud"}, nil},
		"stray argument":      {[]string{"serve"}, nil},
		"cluster without url": {[]string{"--redis-cluster"}, nil},
		"bad cluster flag":    {[]string{"--redis", "redis://h:1", "--redis-cluster", "maybe"}, nil},
		"bad park flag":       {[]string{"--ws-park", "sometimes"}, nil},
		"bad trusted proxy":   {nil, map[string]string{"HUB_TRUSTED_PROXIES": "haproxy"}},
	} {
		if _, err := parseConfig(tc.args, envOf(tc.env), io.Discard); err == nil {
			t.Errorf("%s: no error", name)
		}
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
