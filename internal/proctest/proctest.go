// Package proctest builds the project's binaries and runs them as real processes for system
// tests: a hub node, the floor, the load tool. A started process is stopped when its test ends
// (an interrupt, then a kill), never outlives the test binary (Linux: the kernel kills it with its
// parent), and its output is kept for the test log when the test fails.
package proctest

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Packages of the project's binaries.
const (
	Hub      = "github.com/tourhub/tourhub/cmd/hub"
	LoadTool = "github.com/tourhub/tourhub/cmd/loadtest"
	Floor    = "github.com/tourhub/tourhub/bench/baseline/floor"
)

var (
	buildMu  sync.Mutex
	built    = map[string]string{} // package -> binary; guarded by buildMu
	buildDir string                // guarded by buildMu
)

// Build builds the binary of pkg once per test binary and returns its path. Call Cleanup from
// TestMain to remove the binaries.
func Build(t testing.TB, pkg string) string {
	t.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	if p, ok := built[pkg]; ok {
		return p
	}
	if buildDir == "" {
		dir, err := os.MkdirTemp("", "proctest")
		if err != nil {
			t.Fatal(err)
		}
		buildDir = dir
	}
	p := filepath.Join(buildDir, path.Base(pkg))
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", p, pkg).CombinedOutput(); err != nil {
		t.Fatalf("build %s: %v\n%s", pkg, err, out)
	}
	built[pkg] = p
	return p
}

// Cleanup removes the binaries Build made. TestMain calls it after m.Run.
func Cleanup() {
	buildMu.Lock()
	defer buildMu.Unlock()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	buildDir, built = "", map[string]string{}
}

// Buffer is a bytes.Buffer that several goroutines may write (a process's output, a logger).
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer // guarded by mu
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// Proc is a running process of a test.
type Proc struct {
	Cmd  *exec.Cmd
	Addr string        // host:port from its "listening on" line ("" for a process that does not listen)
	Out  *Buffer       // its stdout and stderr
	done chan struct{} // closed when it has exited
}

// Done is closed once the process has exited.
func (p *Proc) Done() <-chan struct{} { return p.done }

// URL is the process's base URL, http://Addr.
func (p *Proc) URL() string { return "http://" + p.Addr }

// Kill ends the process at once (SIGKILL, no drain) and waits for it.
func (p *Proc) Kill() {
	_ = p.Cmd.Process.Kill()
	<-p.done
}

// Stop interrupts the process and waits for it to exit, killing it after grace.
func (p *Proc) Stop(grace time.Duration) {
	_ = p.Cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.done:
	case <-time.After(grace):
		p.Kill()
	}
}

// Start starts bin with args. It is stopped (Stop with 15 s of grace) when the test ends, and its
// output goes to the test log if the test failed.
func Start(t testing.TB, name, bin string, args ...string) *Proc {
	t.Helper()
	p := &Proc{Cmd: exec.Command(bin, args...), Out: &Buffer{}, done: make(chan struct{})}
	p.Cmd.Stdout, p.Cmd.Stderr = p.Out, p.Out
	OrphanGuard(p.Cmd)
	if err := p.Cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() { _ = p.Cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.Stop(15 * time.Second)
		if t.Failed() {
			t.Logf("---- output of %s ----\n%s", name, p.Out.String())
		}
	})
	return p
}

// StartListening is Start for a server that prints "listening on <addr>": it returns once the
// line came (Addr set), and fails the test if the process exits first or takes over 30 s.
func StartListening(t testing.TB, name, bin string, args ...string) *Proc {
	t.Helper()
	p := Start(t, name, bin, args...)
	deadline := time.NewTimer(30 * time.Second)
	defer deadline.Stop()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		if addr := listeningOn(p.Out.String()); addr != "" {
			p.Addr = addr
			return p
		}
		select {
		case <-p.done:
			t.Fatalf("%s exited before it listened:\n%s", name, p.Out.String())
		case <-deadline.C:
			t.Fatalf("%s did not say where it listens within 30s:\n%s", name, p.Out.String())
		case <-tick.C:
		}
	}
}

// listeningOn finds the address of the first "listening on <addr>" line of out.
func listeningOn(out string) string {
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		if a, ok := strings.CutPrefix(sc.Text(), "listening on "); ok {
			return strings.TrimSpace(a)
		}
	}
	return ""
}

// Run runs bin with args to its end (at most timeout) and returns its stdout, its stderr and its
// error (an *exec.ExitError for a non-zero exit).
func Run(t testing.TB, timeout time.Duration, bin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	OrphanGuard(cmd)
	err = cmd.Run()
	if ctx.Err() != nil {
		err = fmt.Errorf("%s did not finish within %v: %w", path.Base(bin), timeout, ctx.Err())
	}
	return out.String(), errOut.String(), err
}

var _ io.Writer = (*Buffer)(nil)
