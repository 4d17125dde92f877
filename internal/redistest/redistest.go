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
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.cmd = nil
	s.mu.Unlock()
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

// Cluster is a Redis Cluster of servers owned by a test, each a master of an equal share of the
// 16384 slots, no replicas.
type Cluster struct {
	Nodes []*Server
}

// StartCluster starts n servers in cluster mode, splits the slots between them and joins them,
// and waits until every node reports cluster_state:ok.
func StartCluster(t testing.TB, n int) *Cluster {
	t.Helper()
	c := &Cluster{}
	for range n {
		c.Nodes = append(c.Nodes, StartWith(t, Options{Cluster: true}))
	}
	const slots = 16384
	for i, s := range c.Nodes {
		from, to := i*slots/n, (i+1)*slots/n-1
		if _, err := s.Do("CLUSTER", "ADDSLOTSRANGE", strconv.Itoa(from), strconv.Itoa(to)); err != nil {
			t.Fatalf("CLUSTER ADDSLOTSRANGE on %s: %v", s.Addr(), err)
		}
	}
	for _, s := range c.Nodes[1:] {
		if _, err := c.Nodes[0].Do("CLUSTER", "MEET", "127.0.0.1", strconv.Itoa(s.port)); err != nil {
			t.Fatalf("CLUSTER MEET %s: %v", s.Addr(), err)
		}
	}
	deadline := time.Now().Add(20 * time.Second)
	for _, s := range c.Nodes {
		for {
			info, err := s.Do("CLUSTER", "INFO")
			if err == nil && strings.Contains(info, "cluster_state:ok") && strings.Contains(info, "cluster_known_nodes:"+strconv.Itoa(n)) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("cluster on %s not ok within 20s: %q %v", s.Addr(), info, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return c
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
