// Package deploy holds the deployment files: the load balancer and Redis Cluster configuration of
// docker-compose.yml, and the Kubernetes manifests in k8s/. Its tests load the compose file with
// the Compose Specification's own Go loader (these machines have no Docker engine) and check that
// the pieces fit: Redis with AOF, three hub nodes on it with one shared secret, HAProxy in front
// of exactly those nodes, health checks everywhere, and in the `cluster` profile the same on a
// six-node Redis Cluster. The manifests are decoded into the Kubernetes API types (k8s_test.go).
// The LB configuration itself runs in front of real hub processes in systest/cluster
// (TestLoadBalancer).
package deploy

import (
	"context"
	"maps"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/tourhub/tourhub/hub/clientip"
)

var (
	hubs = []string{"hub1", "hub2", "hub3"}

	// The services of the `cluster` profile.
	clusterRedis = []string{"r1", "r2", "r3", "r4", "r5", "r6"}
	clusterHubs  = []string{"cluster-hub1", "cluster-hub2", "cluster-hub3"}
	clusterOther = []string{"cluster-init", "cluster-lb"}
)

const testSecret = "0123456789abcdef0123456789abcdef"

func load(t *testing.T, profiles []string, env ...string) (*types.Project, error) {
	t.Helper()
	opts, err := cli.NewProjectOptions([]string{"../docker-compose.yml"},
		cli.WithName("tourhub"), cli.WithWorkingDirectory(".."), cli.WithEnv(env), cli.WithProfiles(profiles))
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
	t.Parallel()
	for _, profiles := range [][]string{nil, {"cluster"}} {
		_, err := load(t, profiles)
		if err == nil || !strings.Contains(err.Error(), "HUB_SECRET") {
			t.Errorf("loading with profiles %v without HUB_SECRET: err %v; want an error naming HUB_SECRET", profiles, err)
		}
	}
}

func serviceNames(p *types.Project) []string {
	var names []string
	for name := range p.Services {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

func TestCompose(t *testing.T) {
	t.Parallel()
	p, err := load(t, nil, "HUB_SECRET="+testSecret)
	if err != nil {
		t.Fatalf("load docker-compose.yml: %v", err)
	}
	// Exactly these: the cluster profile's services are not started by a plain `up`.
	if names, want := serviceNames(p), []string{"hub1", "hub2", "hub3", "lb", "redis"}; !slices.Equal(names, want) {
		t.Fatalf("services %v; want %v", names, want)
	}
	settings := hubSettings(t)

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
		if got := env(h, "REDIS_URL"); got != "redis://redis:6379/0" {
			t.Errorf("%s: REDIS_URL %q; want the redis service", name, got)
		}
		checkHub(t, p, settings, h)
		if d, ok := h.DependsOn["redis"]; !ok || d.Condition != types.ServiceConditionHealthy {
			t.Errorf("%s: depends_on redis %+v; want service_healthy", name, d)
		}
	}

	checkLB(t, p, "lb", hubs, "8080")
	checkTrustedProxy(t, p, "lb", hubs, append(slices.Clone(hubs), "redis"))
}

// TestComposeCluster checks the `cluster` profile: six Redis Cluster nodes made one cluster of
// three masters with a replica each by a one-shot service, three hub nodes on it, and a balancer
// running the same haproxy.cfg in front of them.
func TestComposeCluster(t *testing.T) {
	t.Parallel()
	p, err := load(t, []string{"cluster"}, "HUB_SECRET="+testSecret)
	if err != nil {
		t.Fatalf("load docker-compose.yml with the cluster profile: %v", err)
	}
	profile := slices.Concat(clusterRedis, clusterHubs, clusterOther)
	want := slices.Sorted(slices.Values(slices.Concat([]string{"hub1", "hub2", "hub3", "lb", "redis"}, profile)))
	if names := serviceNames(p); !slices.Equal(names, want) {
		t.Fatalf("services %v; want %v", names, want)
	}
	for _, name := range profile {
		if !slices.Equal(p.Services[name].Profiles, []string{"cluster"}) {
			t.Errorf("%s: profiles %v; want [cluster], so that a plain `up` leaves it out", name, p.Services[name].Profiles)
		}
	}
	settings := hubSettings(t)

	// The Redis nodes, by "address:port" and by "service:port", and the fixed addresses.
	nodes := make(map[string]string)
	netName, lbAddr, subnet, _ := fixedNet(t, p, "cluster-lb")
	fixed := map[netip.Addr]string{lbAddr: "cluster-lb"}
	if _, _, defaultSubnet, _ := fixedNet(t, p, "lb"); defaultSubnet.Overlaps(subnet) {
		t.Errorf("the cluster profile's subnet %s overlaps the default one, %s: Docker refuses that", subnet, defaultSubnet)
	}
	for _, name := range clusterRedis {
		r := p.Services[name]
		if !strings.HasPrefix(r.Image, "redis:7") {
			t.Errorf("%s image %q; want redis:7 (sharded pub/sub)", name, r.Image)
		}
		n, addr, _, _ := fixedNet(t, p, name)
		if n != netName {
			t.Errorf("%s is on %s; want %s, with cluster-lb and the other nodes", name, n, netName)
		}
		if other, ok := fixed[addr]; ok {
			t.Errorf("%s and %s both have the address %s", other, name, addr)
		}
		fixed[addr] = name
		port := redisPort(t, r)
		for _, key := range []string{net.JoinHostPort(addr.String(), port), net.JoinHostPort(name, port)} {
			if other, ok := nodes[key]; ok {
				t.Errorf("%s and %s are both %s", other, name, key)
			}
			nodes[key] = name
		}
		if !hasVolume(r, "/data", types.VolumeTypeVolume) {
			t.Errorf("%s: no named volume on /data (its AOF and nodes.conf would not survive the container): %+v", name, r.Volumes)
		}
		checkHealth(t, r, "redis-cli -p "+port+" ping")
	}

	init := p.Services["cluster-init"]
	script := strings.Join(init.Command, " ")
	m := regexp.MustCompile(`redis-cli --cluster create((?:\s+[^\s:]+:\d+)+)`).FindStringSubmatch(script)
	if m == nil {
		t.Fatalf("cluster-init command %q: no `redis-cli --cluster create host:port...`", script)
	}
	created := strings.Fields(m[1])
	var createdNodes []string
	for _, hp := range created {
		if !strings.Contains(hp, ".") {
			t.Errorf("cluster-init: --cluster create names %s; want an address (CLUSTER MEET refuses names)", hp)
		}
		node, ok := nodes[hp]
		if !ok {
			node = "(no node at " + hp + ")"
		}
		createdNodes = append(createdNodes, node)
	}
	slices.Sort(createdNodes)
	if !slices.Equal(createdNodes, clusterRedis) {
		t.Errorf("cluster-init: --cluster create %v is nodes %v; want each of %v once", created, createdNodes, clusterRedis)
	}
	for _, want := range []string{"--cluster-replicas 1", "--cluster-yes"} {
		if !strings.Contains(script, want) {
			t.Errorf("cluster-init command lacks %q", want)
		}
	}
	if !strings.Contains(script, "cluster_state:ok") {
		t.Errorf("cluster-init does not wait for cluster_state:ok: the hub nodes would start on a cluster that is not serving yet")
	}
	if init.Restart != "" && init.Restart != types.RestartPolicyNo {
		t.Errorf("cluster-init restart %q; want no (it runs once)", init.Restart)
	}
	for _, name := range clusterRedis {
		if d, ok := init.DependsOn[name]; !ok || d.Condition != types.ServiceConditionHealthy {
			t.Errorf("cluster-init: depends_on %s %+v; want service_healthy", name, d)
		}
	}
	if _, ok := init.Networks[netName]; !ok {
		t.Errorf("cluster-init is not on %s, the cluster's network", netName)
	}

	for i, name := range clusterHubs {
		h := p.Services[name]
		checkHub(t, p, settings, h)
		if on, err := strconv.ParseBool(env(h, "HUB_REDIS_CLUSTER")); err != nil || !on {
			t.Errorf("%s: HUB_REDIS_CLUSTER %q; want true", name, env(h, "HUB_REDIS_CLUSTER"))
		}
		checkSeeds(t, name, env(h, "REDIS_URL"), nodes)
		if len(h.DependsOn) != 1 || h.DependsOn["cluster-init"].Condition != types.ServiceConditionCompletedSuccessfully {
			t.Errorf("%s: depends_on %+v; want only cluster-init, service_completed_successfully", name, h.DependsOn)
		}
		// haproxy.cfg balances over hub1..hub3: on the cluster's network those names must be
		// the cluster's hub nodes, and nothing else.
		var aliases []string
		if cfg := h.Networks[netName]; cfg != nil {
			aliases = cfg.Aliases
		}
		if len(h.Networks) != 1 || !slices.Contains(aliases, hubs[i]) {
			t.Errorf("%s: networks %v, aliases on %s %v; want only %s, with the alias %s (a server of haproxy.cfg)",
				name, slices.Sorted(maps.Keys(h.Networks)), netName, aliases, netName, hubs[i])
		}
	}
	for _, name := range hubs {
		if _, ok := p.Services[name].Networks[netName]; ok {
			t.Errorf("%s is on %s: cluster-lb would balance over it by its name", name, netName)
		}
	}
	checkLB(t, p, "cluster-lb", clusterHubs, "8081")
	checkTrustedProxy(t, p, "cluster-lb", clusterHubs, slices.Concat(clusterRedis, clusterHubs, []string{"cluster-init"}))

	// The nodes' settings, from the file each mounts.
	for _, name := range clusterRedis {
		conf := redisConf(t, p.Services[name])
		for _, want := range []string{"cluster-enabled yes", "appendonly yes", "dir /data", "cluster-config-file nodes.conf"} {
			if !slices.Contains(conf, want) {
				t.Errorf("%s: its config file lacks %q", name, want)
			}
		}
	}
}

// redisPort returns the --port of a Redis node's command.
func redisPort(t *testing.T, r types.ServiceConfig) string {
	t.Helper()
	i := slices.Index(r.Command, "--port")
	if i < 0 || i+1 >= len(r.Command) {
		t.Fatalf("%s command %q: no --port", r.Name, r.Command)
	}
	if _, err := strconv.Atoi(r.Command[i+1]); err != nil {
		t.Fatalf("%s --port %q: %v", r.Name, r.Command[i+1], err)
	}
	return r.Command[i+1]
}

// redisConf returns the lines of the config file a Redis node's command names, as the node
// mounts it (without comments and blank lines).
func redisConf(t *testing.T, r types.ServiceConfig) []string {
	t.Helper()
	if len(r.Command) < 2 || r.Command[0] != "redis-server" || !strings.HasSuffix(r.Command[1], ".conf") {
		t.Fatalf("%s command %q; want redis-server FILE.conf --port PORT", r.Name, r.Command)
	}
	for _, v := range r.Volumes {
		if v.Target != r.Command[1] || v.Type != types.VolumeTypeBind {
			continue
		}
		b, err := os.ReadFile(v.Source)
		if err != nil {
			t.Fatalf("%s config: %v", r.Name, err)
		}
		var lines []string
		for l := range strings.Lines(string(b)) {
			if l = strings.Join(strings.Fields(l), " "); l != "" && !strings.HasPrefix(l, "#") {
				lines = append(lines, l)
			}
		}
		return lines
	}
	t.Fatalf("%s: nothing mounted on %s, its config file: %+v", r.Name, r.Command[1], r.Volumes)
	return nil
}

// checkSeeds checks that a cluster REDIS_URL (redis://host:port?addr=host:port&...) names
// nodes of the cluster only, at their ports, and enough of them that one node down at start
// does not keep the hub from finding the cluster.
func checkSeeds(t *testing.T, name, raw string, nodes map[string]string) {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "redis" {
		t.Errorf("%s: REDIS_URL %q: want redis://host:port?addr=host:port&... (%v)", name, raw, err)
		return
	}
	seeds := append([]string{u.Host}, u.Query()["addr"]...)
	for _, s := range seeds {
		if _, ok := nodes[s]; !ok {
			t.Errorf("%s: REDIS_URL seed %s is not a node of the cluster at its port", name, s)
		}
	}
	if len(seeds) < 3 {
		t.Errorf("%s: REDIS_URL %q names %d seed nodes; want at least 3", name, raw, len(seeds))
	}
}

// checkHub checks what every hub node needs, in either profile: the build, the one secret, the
// port haproxy.cfg and the health check use, and only settings the hub knows.
func checkHub(t *testing.T, p *types.Project, settings map[string]bool, h types.ServiceConfig) {
	t.Helper()
	if h.Build == nil || filepath.Clean(h.Build.Context) != filepath.Clean(p.WorkingDir) {
		t.Errorf("%s: build %+v; want the repository root (Dockerfile)", h.Name, h.Build)
	}
	if got := env(h, "HUB_SECRET"); got != testSecret {
		t.Errorf("%s: HUB_SECRET %q; want the one given (the same on every node)", h.Name, got)
	}
	if got := env(h, "HUB_ADDR"); got != ":8080" {
		t.Errorf("%s: HUB_ADDR %q; want :8080 (haproxy.cfg and the health check use it)", h.Name, got)
	}
	if _, ok := h.Environment["HUB_TRUST_PROXY"]; ok {
		t.Errorf("%s: sets HUB_TRUST_PROXY, which the hub refuses; want HUB_TRUSTED_PROXIES", h.Name)
	}
	var names []string
	for name := range h.Environment {
		names = append(names, name)
	}
	slices.Sort(names)
	checkSettings(t, settings, h.Name, names)
	checkHealth(t, h, "/readyz")
}

// checkLB checks a balancer: HAProxy with deploy/haproxy.cfg, started once its nodes are
// healthy, publishing port 8080 on the given host port by default.
func checkLB(t *testing.T, p *types.Project, name string, nodes []string, published string) {
	t.Helper()
	lb := p.Services[name]
	if !strings.HasPrefix(lb.Image, "haproxy:") {
		t.Errorf("%s image %q; want haproxy", name, lb.Image)
	}
	cfgPath := ""
	for _, v := range lb.Volumes {
		if v.Target == "/usr/local/etc/haproxy/haproxy.cfg" {
			cfgPath = v.Source
		}
	}
	if want := filepath.Join(p.WorkingDir, "deploy", "haproxy.cfg"); cfgPath != want {
		t.Fatalf("%s mounts %q as haproxy.cfg; want %s: %+v", name, cfgPath, want, lb.Volumes)
	}
	for _, node := range nodes {
		if d, ok := lb.DependsOn[node]; !ok || d.Condition != types.ServiceConditionHealthy {
			t.Errorf("%s: depends_on %s %+v; want service_healthy", name, node, d)
		}
	}
	if len(lb.Ports) != 1 || lb.Ports[0].Target != 8080 || lb.Ports[0].Published != published {
		t.Errorf("%s ports %+v; want 8080 published as %s by default", name, lb.Ports, published)
	}
	checkHealth(t, lb, "/readyz")

	cfg, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	checkHAProxy(t, string(cfg))
}

// fixedNet returns the network a service has a fixed address on (it must have exactly one), the
// address, and the network's subnet and ip_range (the addresses Docker hands out).
func fixedNet(t *testing.T, p *types.Project, name string) (netName string, addr netip.Addr, subnet, dynamic netip.Prefix) {
	t.Helper()
	s := p.Services[name]
	if len(s.Networks) != 1 {
		t.Fatalf("%s networks %v; want exactly one", name, s.Networks)
	}
	var cfg *types.ServiceNetworkConfig
	for n, c := range s.Networks {
		netName, cfg = n, c
	}
	if cfg == nil || cfg.Ipv4Address == "" {
		t.Fatalf("%s has no fixed ipv4_address on %s", name, netName)
	}
	addr, err := netip.ParseAddr(cfg.Ipv4Address)
	if err != nil {
		t.Fatalf("%s ipv4_address %q: %v", name, cfg.Ipv4Address, err)
	}
	nw, ok := p.Networks[netName]
	if !ok || len(nw.Ipam.Config) != 1 {
		t.Fatalf("network %s: ipam %+v; want one pool with a subnet and an ip_range", netName, nw.Ipam)
	}
	if subnet, err = netip.ParsePrefix(nw.Ipam.Config[0].Subnet); err != nil {
		t.Fatalf("network %s subnet: %v", netName, err)
	}
	if dynamic, err = netip.ParsePrefix(nw.Ipam.Config[0].IPRange); err != nil {
		t.Fatalf("network %s ip_range (the addresses Docker hands out): %v", netName, err)
	}
	// Docker could give an address of ip_range to another container before this one starts.
	if !subnet.Contains(addr) || dynamic.Contains(addr) {
		t.Errorf("%s address %s: want it in the subnet %s and outside the ip_range %s", name, addr, subnet, dynamic)
	}
	return netName, addr, subnet, dynamic
}

// checkTrustedProxy checks that every node trusts exactly the balancer's address for
// X-Forwarded-For: the balancer has a fixed address on the network the nodes share, outside the
// range Docker hands out to the other containers (so no other container can hold it), and the
// nodes trust nothing else (a node or Redis could then write the header). members are the
// services that must be on the balancer's network.
func checkTrustedProxy(t *testing.T, p *types.Project, lbName string, nodes, members []string) {
	t.Helper()
	netName, lbAddr, _, _ := fixedNet(t, p, lbName)
	for _, name := range members {
		if _, ok := p.Services[name].Networks[netName]; !ok {
			t.Errorf("%s is not on %s, the balancer's network", name, netName)
		}
	}
	for _, name := range nodes {
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
// port they listen on, with /readyz health checks and a tunnel timeout for WebSockets, in both
// of its backends: hubs, and tournaments (a tournament's API by its id), whose servers follow
// the health checks of hubs.
func checkHAProxy(t *testing.T, cfg string) {
	t.Helper()
	servers := map[string][]string{} // by backend
	backend := ""
	for _, line := range strings.Split(cfg, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		switch f[0] {
		case "global", "defaults", "frontend", "backend", "listen", "resolvers":
			backend = ""
			if f[0] == "backend" && len(f) > 1 {
				backend = f[1]
			}
		case "server":
			if len(f) < 3 || f[2] != f[1]+":8080" {
				t.Errorf("haproxy: %q; want server NAME NAME:8080 (the compose service)", strings.TrimSpace(line))
				continue
			}
			servers[backend] = append(servers[backend], f[1])
			if backend == "tournaments" && !slices.Contains(f, "track") || slices.Contains(f, "track") && !slices.Contains(f, "hubs/"+f[1]) {
				t.Errorf("haproxy backend %s: %q; want it to track hubs/%s", backend, strings.TrimSpace(line), f[1])
			}
		}
	}
	if len(servers) != 2 || !slices.Equal(servers["hubs"], hubs) || !slices.Equal(servers["tournaments"], hubs) {
		t.Errorf("haproxy servers by backend %v; want %v in hubs and in tournaments", servers, hubs)
	}
	for _, want := range []string{
		"http-check send meth GET uri /readyz",
		"http-check expect status 200",
		"timeout tunnel",
		"balance leastconn",
		"use_backend tournaments if { path_beg /api/tournaments/ }",
		"balance hash path,field(4,/)",
		"hash-type consistent",
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
