// Package redistest starts a real redis-server for tests: on a reserved loopback port, in a temporary
// directory, stopped when the test ends. Tests that need Redis fail (never skip) when redis-server
// is not installed, so a missing dependency cannot pass CI silently.
package redistest

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tourhub/tourhub/internal/proctest"
)

// Options tune Start.
type Options struct {
	// AOF turns on the append-only file (appendfsync always) so that data survives Stop/Restart.
	// Defaults to false: no persistence at all, as a Redis restart that loses everything.
	AOF bool
	// Cluster starts the server in cluster mode (see StartCluster).
	Cluster bool
}

// Server is one redis-server process owned by a test.
type Server struct {
	t    testing.TB
	bin  string
	dir  string
	port int
	opts Options

	mu   sync.Mutex // guards cmd, done
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
}

// Start starts redis-server without persistence.
func Start(t testing.TB) *Server { return StartWith(t, Options{}) }

// StartWith starts redis-server with opts.
func StartWith(t testing.TB, opts Options) *Server {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatalf("redis-server not found on PATH (install redis-server: apt-get install redis-server): %v", err)
	}
	var port int
	if opts.Cluster {
		port = freeClusterPort(t, anyPort)
	} else {
		port = FreePort(t)
	}
	s := &Server{t: t, bin: bin, dir: t.TempDir(), port: port, opts: opts}
	s.start()
	t.Cleanup(s.Stop)
	return s
}

// FreePort returns a TCP port on 127.0.0.1 for a server the test starts next, reserved for it for
// about a minute: see reserve. A port that was merely free a moment ago (listen, close) can be
// handed to another process before the server binds it: to another test's free port picker, or as
// the local port of an outgoing connection, and the server then fails with "address already in
// use".
func FreePort(t testing.TB) int {
	t.Helper()
	p, err := anyPort()
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	return p
}

// busOffset is how far above its port a Redis Cluster node listens for the other nodes (its
// cluster bus); Redis 6 has no setting for it, so a node's port is at most 65535-busOffset.
const busOffset = 10000

// freeClusterPort returns a port for a Redis Cluster node, taken from pick (anyPort outside
// tests), whose cluster bus port (busOffset above it) is reserved too (see reserve). The bus port
// is not one the kernel picked, so it is checked: reserving it fails when anyone listens on it,
// has a connection on it, or reserved it.
func freeClusterPort(t testing.TB, pick func() (int, error)) int {
	t.Helper()
	var err error
	for range 100 {
		var p int
		if p, err = pick(); err != nil {
			break
		}
		if p+busOffset > 65535 {
			err = fmt.Errorf("port %d: its cluster bus port %d is out of range", p, p+busOffset)
			continue
		}
		if _, err = reserve(p + busOffset); err == nil {
			return p
		}
	}
	t.Fatalf("find a free port and cluster bus port (port+%d) in 100 tries: last: %v", busOffset, err)
	return 0
}

// anyPort reserves a port the kernel picks.
func anyPort() (int, error) { return reserve(0) }

// reserve makes a loopback port (0: one the kernel picks) free for the caller's server alone for
// about a minute, and returns it. It listens on the port, connects to it, and closes the accepted
// side first, which leaves the port in TIME_WAIT (60s on Linux). Until that ends the kernel gives
// the port to no bind to port 0 and to no outgoing connection, in any process, and a bind without
// SO_REUSEADDR fails; a server that binds with SO_REUSEADDR, as redis-server, haproxy and Go's
// net.Listen do, gets it. (Measured: of 50,000 binds to port 0 in another process, 2,296 got one
// of 300 ports picked by listen and close, none got one of 300 reserved ports.)
func reserve(port int) (int, error) {
	lc := net.ListenConfig{Control: noReuseAddr}
	l, err := lc.Listen(context.Background(), "tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return 0, err
	}
	defer l.Close()
	if err := reuseAddrAfterBind(l); err != nil {
		return 0, fmt.Errorf("reserve port: %w", err)
	}
	c, err := net.DialTimeout("tcp", l.Addr().String(), 5*time.Second)
	if err != nil {
		return 0, fmt.Errorf("reserve port: connect: %w", err)
	}
	defer c.Close()
	a, err := l.Accept()
	if err != nil {
		return 0, fmt.Errorf("reserve port: accept: %w", err)
	}
	a.Close() // the side that closes first waits in TIME_WAIT
	// Wait for the FIN, so that the connecting side closes second and does not wait itself.
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, _ = c.Read(make([]byte, 1))
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Addr is host:port.
func (s *Server) Addr() string { return "127.0.0.1:" + strconv.Itoa(s.port) }

// URL is a redis:// URL for database 0.
func (s *Server) URL() string { return "redis://" + s.Addr() + "/0" }

func (s *Server) start() {
	s.t.Helper()
	args := []string{
		"--port", strconv.Itoa(s.port),
		"--bind", "127.0.0.1",
		"--dir", s.dir,
		"--save", "",
		"--daemonize", "no",
		"--logfile", filepath.Join(s.dir, "redis.log"),
		// A replica's first sync starts at once (Redis waits 5 s for more replicas by default).
		"--repl-diskless-sync-delay", "0",
	}
	if s.opts.Cluster {
		args = append(args, "--cluster-enabled", "yes", "--cluster-config-file", filepath.Join(s.dir, "nodes.conf"),
			"--cluster-node-timeout", "2000")
	}
	if s.opts.AOF {
		args = append(args, "--appendonly", "yes", "--appendfsync", "always")
	} else {
		args = append(args, "--appendonly", "no")
	}
	cmd := exec.Command(s.bin, args...)
	proctest.OrphanGuard(cmd) // a test binary killed without its cleanups takes its servers along
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("start redis-server: %v", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	s.mu.Lock()
	s.cmd, s.done = cmd, done
	s.mu.Unlock()

	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := s.Do("PING"); err == nil {
			return
		}
		select {
		case <-done:
			log, _ := os.ReadFile(filepath.Join(s.dir, "redis.log"))
			s.t.Fatalf("redis-server exited at start:\n%s", log)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.Stop()
			s.t.Fatalf("redis-server on %s did not answer PING within 10s", s.Addr())
		}
	}
}

// Stop stops the server (SIGTERM, then SIGKILL after 5s) and waits for it. Safe to call twice.
func (s *Server) Stop() {
	cmd, done := s.take()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(os.Interrupt)
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = cmd.Process.Kill()
		<-done
	}
}

// Restart stops the server and starts it again on the same port and directory (with AOF the data
// survives; without it Redis comes back empty).
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	s.start()
}

// KillPubSubClients closes every pub/sub connection (CLIENT KILL TYPE pubsub) and returns how many.
func (s *Server) KillPubSubClients() int {
	s.t.Helper()
	r, err := s.Do("CLIENT", "KILL", "TYPE", "pubsub")
	if err != nil {
		s.t.Fatalf("CLIENT KILL TYPE pubsub: %v", err)
	}
	n, _ := strconv.Atoi(r)
	return n
}

// Do sends one command over a fresh connection and returns the reply as text (integers and simple
// strings as they are, bulk strings unquoted, arrays joined by newlines). It lets tests inspect and
// poke Redis without depending on the client library under test.
func (s *Server) Do(args ...string) (string, error) {
	c, err := net.DialTimeout("tcp", s.Addr(), 2*time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := c.Write([]byte(b.String())); err != nil {
		return "", err
	}
	return readReply(bufio.NewReader(c))
}

// Monitor streams the commands the server runs (MONITOR), each line as Redis prints it:
// `+<time> [<db> <client address, or lua inside a script>] "CMD" "arg" ...`.
type Monitor struct {
	c net.Conn
	r *bufio.Reader
}

// Monitor starts a MONITOR connection; it is closed when the test ends.
func (s *Server) Monitor() *Monitor {
	s.t.Helper()
	c, err := net.DialTimeout("tcp", s.Addr(), 2*time.Second)
	if err != nil {
		s.t.Fatalf("monitor: %v", err)
	}
	s.t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	m := &Monitor{c: c, r: bufio.NewReader(c)}
	if _, err := c.Write([]byte("*1\r\n$7\r\nMONITOR\r\n")); err != nil {
		s.t.Fatalf("monitor: %v", err)
	}
	if line, err := m.r.ReadString('\n'); err != nil || line != "+OK\r\n" {
		s.t.Fatalf("monitor: %q, %v", line, err)
	}
	return m
}

// Until sends ECHO mark over another connection and returns the lines the monitor read before it.
func (m *Monitor) Until(s *Server, mark string) ([]string, error) {
	if _, err := s.Do("ECHO", mark); err != nil {
		return nil, err
	}
	var lines []string
	for {
		line, err := m.r.ReadString('\n')
		if err != nil {
			return lines, err
		}
		line = strings.TrimSuffix(line, "\r\n")
		if strings.Contains(line, `"ECHO" "`+mark+`"`) {
			return lines, nil
		}
		lines = append(lines, line)
	}
}

func readReply(r *bufio.Reader) (string, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return "", err
	}
	line = strings.TrimSuffix(line, "\r\n")
	if line == "" {
		return "", fmt.Errorf("empty reply")
	}
	switch line[0] {
	case '+', ':':
		return line[1:], nil
	case '-':
		return "", fmt.Errorf("redis: %s", line[1:])
	case '$':
		n, _ := strconv.Atoi(line[1:])
		if n < 0 {
			return "", nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return "", err
		}
		return string(buf[:n]), nil
	case '*':
		n, _ := strconv.Atoi(line[1:])
		parts := make([]string, 0, max(n, 0))
		for range n {
			p, err := readReply(r)
			if err != nil {
				return "", err
			}
			parts = append(parts, p)
		}
		return strings.Join(parts, "\n"), nil
	}
	return "", fmt.Errorf("unexpected reply %q", line)
}

// StartReplica starts a server that replicates master (REPLICAOF) and waits until it is in sync.
func StartReplica(t testing.TB, master *Server) *Server {
	t.Helper()
	r := StartWith(t, Options{})
	if _, err := r.Do("REPLICAOF", "127.0.0.1", strconv.Itoa(master.port)); err != nil {
		t.Fatalf("REPLICAOF on %s: %v", r.Addr(), err)
	}
	waitFor(t, 20*time.Second, "replica "+r.Addr()+" in sync", func() bool {
		info, err := r.Do("INFO", "replication")
		return err == nil && strings.Contains(info, "master_link_status:up")
	})
	return r
}

// Cluster is a Redis Cluster of servers owned by a test: masters, each with an equal share of the
// 16384 slots, and their replicas.
type Cluster struct {
	Nodes    []*Server // the masters, in slot order
	Replicas []*Server // replica i follows master i % len(Nodes)
}

// StartCluster starts n servers in cluster mode, splits the slots between them and joins them,
// and waits until every node reports cluster_state:ok.
func StartCluster(t testing.TB, n int) *Cluster { return StartClusterWith(t, n, 0) }

// StartClusterWith starts a cluster of masters with replicas replicas each (see StartCluster), and
// waits until every replica is linked to its master.
func StartClusterWith(t testing.TB, masters, replicas int) *Cluster {
	t.Helper()
	c := &Cluster{}
	for range masters {
		c.Nodes = append(c.Nodes, StartWith(t, Options{Cluster: true}))
	}
	for range masters * replicas {
		c.Replicas = append(c.Replicas, StartWith(t, Options{Cluster: true}))
	}
	for i, s := range c.Nodes {
		from, to := i*clusterSlots/masters, (i+1)*clusterSlots/masters-1
		if _, err := s.Do("CLUSTER", "ADDSLOTSRANGE", strconv.Itoa(from), strconv.Itoa(to)); err != nil {
			t.Fatalf("CLUSTER ADDSLOTSRANGE on %s: %v", s.Addr(), err)
		}
	}
	all := c.All()
	// Each node gets its own config epoch before it meets the others, as redis-cli --cluster
	// create does. Left at 0, the nodes would settle their clash one bump at a time after the
	// cluster is up, and a slot moved meanwhile could be lost to both: the new owner's claim, made
	// without a bump while it still shared the highest epoch, loses to the old owner's once the
	// old owner bumps; each then answers MOVED to the other (TestShardedSlotMove saw this).
	for i, s := range all {
		if _, err := s.Do("CLUSTER", "SET-CONFIG-EPOCH", strconv.Itoa(i+1)); err != nil {
			t.Fatalf("CLUSTER SET-CONFIG-EPOCH on %s: %v", s.Addr(), err)
		}
	}
	for _, s := range all[1:] {
		if _, err := all[0].Do("CLUSTER", "MEET", "127.0.0.1", strconv.Itoa(s.port)); err != nil {
			t.Fatalf("CLUSTER MEET %s: %v", s.Addr(), err)
		}
	}
	c.waitOK(t, len(all))
	for i, r := range c.Replicas {
		m := c.Nodes[i%masters]
		id := m.ID()
		// The replica must know the master's id first (gossip): retry until it does.
		waitFor(t, 20*time.Second, "replica "+r.Addr()+" following "+m.Addr(), func() bool {
			_, err := r.Do("CLUSTER", "REPLICATE", id)
			return err == nil
		})
	}
	for _, r := range c.Replicas {
		waitFor(t, 20*time.Second, "replica "+r.Addr()+" in sync", func() bool {
			info, err := r.Do("INFO", "replication")
			return err == nil && strings.Contains(info, "master_link_status:up")
		})
	}
	for _, m := range c.Nodes[:min(len(c.Nodes), len(c.Replicas))] {
		// Every node must know the replicas as the master's (gossip), the master first of all:
		// it sends a sharded publish to the replicas it knows.
		for _, s := range all {
			waitFor(t, 20*time.Second, "replicas of "+m.Addr()+" known to "+s.Addr(), func() bool {
				r, err := s.Do("CLUSTER", "REPLICAS", m.ID())
				return err == nil && len(strings.Fields(r)) > 0 && strings.Count(r, "\n")+1 >= replicas
			})
		}
	}
	c.waitOK(t, len(all))
	return c
}

// clusterSlots is the number of hash slots of a Redis Cluster.
const clusterSlots = 16384

// All is every server of the cluster, masters first.
func (c *Cluster) All() []*Server { return append(append([]*Server(nil), c.Nodes...), c.Replicas...) }

// waitOK waits until every live node reports cluster_state:ok and knows n nodes.
func (c *Cluster) waitOK(t testing.TB, n int) {
	t.Helper()
	for _, s := range c.All() {
		if !s.Running() {
			continue
		}
		waitFor(t, 20*time.Second, "cluster ok on "+s.Addr(), func() bool {
			info, err := s.Do("CLUSTER", "INFO")
			return err == nil && strings.Contains(info, "cluster_state:ok") && strings.Contains(info, "cluster_known_nodes:"+strconv.Itoa(n))
		})
	}
}

// waitFor polls cond every 50ms until it holds, or fails t after limit.
func waitFor(t testing.TB, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s", limit, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// ID is the node's cluster node id (CLUSTER MYID).
func (s *Server) ID() string {
	s.t.Helper()
	id, err := s.Do("CLUSTER", "MYID")
	if err != nil {
		s.t.Fatalf("CLUSTER MYID on %s: %v", s.Addr(), err)
	}
	return id
}

// Running reports whether the server process runs (it was not stopped or killed).
func (s *Server) Running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cmd != nil
}

// Kill kills the server (SIGKILL): nothing is written or said to anyone, as when a host dies.
func (s *Server) Kill() {
	cmd, done := s.take()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Kill()
	<-done
}

// take detaches the running process from s, for the caller to end (nil when none runs).
func (s *Server) take() (*exec.Cmd, chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cmd, done := s.cmd, s.done
	s.cmd = nil
	return cmd, done
}

// Owner is the master that serves key's slot: the live node that answers a command on key
// instead of redirecting it (MOVED).
func (c *Cluster) Owner(t testing.TB, key string) *Server {
	t.Helper()
	for _, s := range c.All() {
		if !s.Running() {
			continue
		}
		if _, err := s.Do("EXISTS", key); err == nil {
			return s
		}
	}
	t.Fatalf("no live master serves %s", key)
	return nil
}

// MoveSlot moves slot from the master from to the master to, keys included, as redis-cli
// --cluster reshard does: IMPORTING on to, MIGRATING on from, MIGRATE of every key, then the new
// owner set on every master. Commands on the slot's keys meanwhile may be answered ASK or TRYAGAIN.
func (c *Cluster) MoveSlot(t testing.TB, slot int, from, to *Server) {
	t.Helper()
	sl := strconv.Itoa(slot)
	do := func(s *Server, args ...string) string {
		t.Helper()
		r, err := s.Do(args...)
		if err != nil {
			t.Fatalf("%v on %s: %v", args, s.Addr(), err)
		}
		return r
	}
	do(to, "CLUSTER", "SETSLOT", sl, "IMPORTING", from.ID())
	do(from, "CLUSTER", "SETSLOT", sl, "MIGRATING", to.ID())
	for {
		keys := do(from, "CLUSTER", "GETKEYSINSLOT", sl, "100")
		if keys == "" {
			break
		}
		args := []string{"MIGRATE", "127.0.0.1", strconv.Itoa(to.port), "", "0", "5000", "KEYS"}
		do(from, append(args, strings.Split(keys, "\n")...)...)
	}
	do(to, "CLUSTER", "SETSLOT", sl, "NODE", to.ID())
	do(from, "CLUSTER", "SETSLOT", sl, "NODE", to.ID())
	for _, m := range c.Nodes {
		if m != from && m != to && m.Running() {
			do(m, "CLUSTER", "SETSLOT", sl, "NODE", to.ID())
		}
	}
}

// BusPublishes is how many pub/sub messages the cluster's live nodes sent each other over the
// cluster bus so far: classic publishes (broadcast to every node) and sharded ones (to the
// shard's replicas), from CLUSTER INFO.
func (c *Cluster) BusPublishes(t testing.TB) (classic, sharded int) {
	t.Helper()
	for _, s := range c.All() {
		if !s.Running() {
			continue
		}
		info, err := s.Do("CLUSTER", "INFO")
		if err != nil {
			t.Fatalf("CLUSTER INFO on %s: %v", s.Addr(), err)
		}
		classic += infoInt(info, "cluster_stats_messages_publish_sent")
		sharded += infoInt(info, "cluster_stats_messages_publishshard_sent")
	}
	return classic, sharded
}

// infoInt is the integer field name of an INFO-style reply (0 when absent).
func infoInt(info, name string) int {
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), name+":"); ok {
			n, _ := strconv.Atoi(v)
			return n
		}
	}
	return 0
}

// URL is the seed URL of the cluster for redis.ParseClusterURL: the first node, the others as
// addr parameters.
func (c *Cluster) URL() string {
	u := "redis://" + c.Nodes[0].Addr()
	for i, s := range c.Nodes[1:] {
		sep := "&"
		if i == 0 {
			sep = "?"
		}
		u += sep + "addr=" + s.Addr()
	}
	return u
}

// Pause stops the server process (SIGSTOP) without closing anything: connections stay open and
// commands wait unanswered, as with a Redis that hangs or a host that stops answering. Resume
// (SIGCONT) undoes it; the test's cleanup resumes it before stopping it.
func (s *Server) Pause() {
	s.t.Helper()
	s.signal(syscall.SIGSTOP)
	s.t.Cleanup(s.Resume)
}

// Resume continues a paused server. Safe to call when it is not paused.
func (s *Server) Resume() { s.signal(syscall.SIGCONT) }

func (s *Server) signal(sig syscall.Signal) {
	s.mu.Lock()
	cmd := s.cmd
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	if err := cmd.Process.Signal(sig); err != nil {
		s.t.Errorf("signal redis-server %v: %v", sig, err)
	}
}
