// Package deploy holds the load balancer configuration of docker-compose.yml. Its test loads the
// compose file with the Compose Specification's own Go loader (these machines have no Docker
// engine) and checks that the pieces fit: Redis with AOF, three hub nodes on it with one shared
// secret, HAProxy in front of exactly those nodes, health checks everywhere. The LB configuration
// itself runs in front of real hub processes in systest/cluster (TestLoadBalancer).
package deploy

import (
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/tourhub/tourhub/hub/clientip"
)

var hubs = []string{"hub1", "hub2", "hub3"}

func load(t *testing.T, env ...string) (*types.Project, error) {
	t.Helper()
	opts, err := cli.NewProjectOptions([]string{"../docker-compose.yml"},
		cli.WithName("tourhub"), cli.WithWorkingDirectory(".."), cli.WithEnv(env))
	if err != nil {
		t.Fatal(err)
	}
	return cli.ProjectFromOptions(context.Background(), opts)
}

func env(s types.ServiceConfig, name string) string {
	if v := s.Environment[name]; v != nil {
		return *v
	}
	return ""
}

func TestComposeNeedsSecret(t *testing.T) {
	_, err := load(t)
	if err == nil || !strings.Contains(err.Error(), "HUB_SECRET") {
		t.Fatalf("loading without HUB_SECRET: err %v; want an error naming HUB_SECRET", err)
	}
}

func TestCompose(t *testing.T) {
	p, err := load(t, "HUB_SECRET=0123456789abcdef0123456789abcdef")
	if err != nil {
		t.Fatalf("load docker-compose.yml: %v", err)
	}
	var names []string
	for name := range p.Services {
		names = append(names, name)
	}
	slices.Sort(names)
	if want := []string{"hub1", "hub2", "hub3", "lb", "redis"}; !slices.Equal(names, want) {
		t.Fatalf("services %v; want %v", names, want)
	}

	redis := p.Services["redis"]
	if cmd := strings.Join(redis.Command, " "); !strings.Contains(cmd, "--appendonly yes") {
		t.Errorf("redis command %q: AOF is not on", cmd)
	}
	if !hasVolume(redis, "/data", types.VolumeTypeVolume) {
		t.Errorf("redis: no named volume on /data (its AOF would not survive the container): %+v", redis.Volumes)
	}
	checkHealth(t, redis, "redis-cli")

	for _, name := range hubs {
		h := p.Services[name]
		if h.Build == nil || filepath.Clean(h.Build.Context) != filepath.Clean(p.WorkingDir) {
			t.Errorf("%s: build %+v; want the repository root (Dockerfile)", name, h.Build)
		}
		if got := env(h, "REDIS_URL"); got != "redis://redis:6379/0" {
			t.Errorf("%s: REDIS_URL %q; want the redis service", name, got)
		}
		if got := env(h, "HUB_SECRET"); got != "0123456789abcdef0123456789abcdef" {
			t.Errorf("%s: HUB_SECRET %q; want the one given (the same on every node)", name, got)
		}
		if got := env(h, "HUB_ADDR"); got != ":8080" {
			t.Errorf("%s: HUB_ADDR %q; want :8080 (haproxy.cfg and the health check use it)", name, got)
		}
		if _, ok := h.Environment["HUB_TRUST_PROXY"]; ok {
			t.Errorf("%s: sets HUB_TRUST_PROXY, which the hub refuses; want HUB_TRUSTED_PROXIES", name)
		}
		if d, ok := h.DependsOn["redis"]; !ok || d.Condition != types.ServiceConditionHealthy {
			t.Errorf("%s: depends_on redis %+v; want service_healthy", name, d)
		}
		checkHealth(t, h, "/readyz")
	}

	lb := p.Services["lb"]
	if !strings.HasPrefix(lb.Image, "haproxy:") {
		t.Errorf("lb image %q; want haproxy", lb.Image)
	}
	cfgPath := ""
	for _, v := range lb.Volumes {
		if v.Target == "/usr/local/etc/haproxy/haproxy.cfg" {
			cfgPath = v.Source
		}
	}
	if cfgPath == "" {
		t.Fatalf("lb mounts no haproxy.cfg: %+v", lb.Volumes)
	}
	if _, err := os.Stat(cfgPath); err != nil {
		t.Fatalf("lb config: %v", err)
	}
	for _, name := range hubs {
		if d, ok := lb.DependsOn[name]; !ok || d.Condition != types.ServiceConditionHealthy {
			t.Errorf("lb: depends_on %s %+v; want service_healthy", name, d)
		}
	}
	if len(lb.Ports) != 1 || lb.Ports[0].Target != 8080 || lb.Ports[0].Published != "8080" {
		t.Errorf("lb ports %+v; want 8080 published as 8080 by default", lb.Ports)
	}
	checkHealth(t, lb, "/readyz")
	checkTrustedProxy(t, p)

	cfg, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	checkHAProxy(t, string(cfg))
}

// checkTrustedProxy checks that every node trusts exactly the balancer's address for
// X-Forwarded-For: the balancer has a fixed address on the network the nodes share, outside the
// range Docker hands out to the other containers (so no other container can hold it), and the
// nodes trust nothing else (a node or Redis could then write the header).
func checkTrustedProxy(t *testing.T, p *types.Project) {
	t.Helper()
	lb := p.Services["lb"]
	if len(lb.Networks) != 1 {
		t.Fatalf("lb networks %v; want exactly one, shared with the nodes", lb.Networks)
	}
	var netName string
	var lbNet *types.ServiceNetworkConfig
	for name, cfg := range lb.Networks {
		netName, lbNet = name, cfg
	}
	if lbNet == nil || lbNet.Ipv4Address == "" {
		t.Fatalf("lb has no fixed ipv4_address on %s: the nodes could not name it in HUB_TRUSTED_PROXIES", netName)
	}
	lbAddr, err := netip.ParseAddr(lbNet.Ipv4Address)
	if err != nil {
		t.Fatalf("lb ipv4_address %q: %v", lbNet.Ipv4Address, err)
	}
	nw, ok := p.Networks[netName]
	if !ok || len(nw.Ipam.Config) != 1 {
		t.Fatalf("network %s: ipam %+v; want one pool with a subnet and an ip_range", netName, nw.Ipam)
	}
	subnet, err := netip.ParsePrefix(nw.Ipam.Config[0].Subnet)
	if err != nil {
		t.Fatalf("network %s subnet: %v", netName, err)
	}
	dynamic, err := netip.ParsePrefix(nw.Ipam.Config[0].IPRange)
	if err != nil {
		t.Fatalf("network %s ip_range (the addresses Docker hands out): %v", netName, err)
	}
	if !subnet.Contains(lbAddr) || dynamic.Contains(lbAddr) {
		t.Errorf("lb address %s: want it in the subnet %s and outside the ip_range %s", lbAddr, subnet, dynamic)
	}
	for _, name := range append(slices.Clone(hubs), "redis") {
		if _, ok := p.Services[name].Networks[netName]; !ok {
			t.Errorf("%s is not on %s, the balancer's network", name, netName)
		}
	}
	for _, name := range hubs {
		raw := env(p.Services[name], "HUB_TRUSTED_PROXIES")
		trusted, err := clientip.Parse(raw)
		if err != nil {
			t.Errorf("%s: HUB_TRUSTED_PROXIES %q: %v", name, raw, err)
			continue
		}
		if len(trusted) != 1 || !trusted[0].IsSingleIP() || trusted[0].Addr() != lbAddr {
			t.Errorf("%s: HUB_TRUSTED_PROXIES %q; want exactly the balancer's address %s", name, raw, lbAddr)
		}
	}
}

// checkHAProxy checks that the config balances over exactly the compose hub services, on the
// port they listen on, with /readyz health checks and a tunnel timeout for WebSockets.
func checkHAProxy(t *testing.T, cfg string) {
	t.Helper()
	var servers []string
	for _, m := range regexp.MustCompile(`(?m)^\s*server\s+(\S+)\s+(\S+)`).FindAllStringSubmatch(cfg, -1) {
		if m[2] != m[1]+":8080" {
			t.Errorf("haproxy server %s at %s; want %s:8080 (the compose service)", m[1], m[2], m[1])
		}
		servers = append(servers, m[1])
	}
	if !slices.Equal(servers, hubs) {
		t.Errorf("haproxy servers %v; want %v", servers, hubs)
	}
	for _, want := range []string{
		"http-check send meth GET uri /readyz",
		"http-check expect status 200",
		"timeout tunnel",
		"balance leastconn",
		"option redispatch",
		"option forwardfor", // the hub takes the client address from the entry HAProxy appends
	} {
		if !strings.Contains(cfg, want) {
			t.Errorf("haproxy.cfg lacks %q", want)
		}
	}
	if regexp.MustCompile(`(?m)^\s*option\s+forwardfor\b.*\bif-none\b`).MatchString(cfg) {
		t.Errorf("haproxy.cfg: option forwardfor if-none keeps a header the client wrote instead of appending the client's address")
	}
	if !regexp.MustCompile(`(?m)^\s*default-server\s.*\bcheck\b`).MatchString(cfg) {
		t.Errorf("haproxy.cfg: servers are not health-checked (default-server ... check)")
	}
}

func hasVolume(s types.ServiceConfig, target, typ string) bool {
	for _, v := range s.Volumes {
		if v.Target == target && v.Type == typ {
			return true
		}
	}
	return false
}

func checkHealth(t *testing.T, s types.ServiceConfig, want string) {
	t.Helper()
	if s.HealthCheck == nil || s.HealthCheck.Disable {
		t.Errorf("%s: no health check", s.Name)
		return
	}
	if test := strings.Join(s.HealthCheck.Test, " "); !strings.Contains(test, want) {
		t.Errorf("%s: health check %q does not use %s", s.Name, test, want)
	}
}

// TestDockerfile checks what docker-compose.yml relies on: the image builds ./cmd/hub, listens
// where the compose file and haproxy.cfg expect, and has wget for the health check.
func TestDockerfile(t *testing.T) {
	b, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	df := string(b)
	for _, want := range []string{"go build", "./cmd/hub", "EXPOSE 8080", "HUB_ADDR=:8080", "FROM alpine"} {
		if !strings.Contains(df, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
}
