package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"
)

// idleResult is the idle scenario's outcome.
type idleResult struct {
	Requested      int     `json:"requested"`
	Connected      int64   `json:"connected"`
	Failed         int64   `json:"failed"`
	Procs          int     `json:"procs"`
	ConnectSeconds float64 `json:"connect_seconds"`
	ConnectRate    float64 `json:"connects_per_second"`
	RSSBefore      int64   `json:"rss_before_bytes"`
	// RSSConnected is sampled 2 s after the last socket connected; RSSAfter --idle-wait later,
	// once every socket has been idle that long (with the hub's defaults, pinged at least once).
	RSSConnected int64   `json:"rss_connected_bytes"`
	RSSAfter     int64   `json:"rss_after_bytes"`
	IdleSeconds  float64 `json:"idle_seconds"`
	// BytesPerSocket and KiBPerSocket are (RSSAfter - RSSBefore) / connected sockets.
	BytesPerSocket float64 `json:"rss_per_socket_bytes"`
	KiBPerSocket   float64 `json:"rss_per_socket_kib"`
	// KiBConnected is the same from RSSConnected.
	KiBConnected float64 `json:"rss_per_socket_connected_kib"`
	RSSMeasured  bool    `json:"rss_measured"`
	// HubSockets is the nodes' own count of open sockets (tourhub_ws_sockets on /metrics) at the
	// final sample, -1 when it could not be read: sockets a node dropped meanwhile (a missed
	// pong) would make the figure per socket look better than it is.
	HubSockets int64 `json:"hub_sockets_at_sample"`
	// CPUCores is the --pids processes' CPU (user and system) over the idle window (the
	// --idle-wait between the last two RSS samples) divided by its length: what the sockets cost
	// when nothing happens (pings, pongs, timers, the runtime). CPUPerSocketSecond is the same
	// in µs per socket per second.
	CPUCores           float64 `json:"cpu_cores"`
	CPUPerSocketSecond float64 `json:"cpu_us_per_socket_second"`
	// Nodes is how many nodes the sockets were spread over, round robin.
	Nodes int `json:"nodes"`
}

// openIdle opens count spectator sockets, over the nodes of --nodes in turn, and subscribes
// each to tid. It returns the sockets it opened and how many failed.
func openIdle(ctx context.Context, e *env, tid string, count int) ([]*conn, int64) {
	conns := make([]*conn, count)
	var failed atomic.Int64
	eg, ectx := errgroup.WithContext(ctx)
	eg.SetLimit(64)
	for i := range conns {
		eg.Go(func() error {
			c, err := e.d.dialConn(ectx, e.cfg.nodes, i%len(e.cfg.nodes), nil, e.st)
			if err != nil {
				failed.Add(1)
				e.st.connectFails.Add(1)
				return nil
			}
			if _, err := c.request(ectx, map[string]any{"type": "subscribe", "tournament": tid}, 20*time.Second); err != nil {
				failed.Add(1)
				c.close()
				return nil
			}
			conns[i] = c
			return nil
		})
	}
	_ = eg.Wait()
	out := conns[:0]
	for _, c := range conns {
		if c != nil {
			out = append(out, c)
		}
	}
	return out, failed.Load()
}

// runIdle opens --players (or --spectators) idle subscribed sockets spread over the nodes, over
// --procs processes, and reports the hubs' RSS growth per socket and their CPU while the
// sockets are idle.
func runIdle(ctx context.Context, e *env, count int) (*idleResult, error) {
	cfg := e.cfg
	res := &idleResult{Requested: count, Procs: cfg.procs, RSSMeasured: len(cfg.pids) > 0, Nodes: len(cfg.nodes)}
	cr, err := e.api.create(ctx, e.d.client(0), cfg.nodes[0], "idle", "single_elimination", 8)
	if err != nil {
		return res, fmt.Errorf("create: %w", err)
	}
	tid := cr.Tournament.ID
	if res.RSSMeasured {
		pause(ctx, time.Second)
		if res.RSSBefore, err = rssOf(cfg.pids); err != nil {
			return res, err
		}
	}
	t0 := time.Now()
	if cfg.procs <= 1 {
		conns, failed := openIdle(ctx, e, tid, count)
		defer func() {
			for _, c := range conns {
				c.close()
			}
		}()
		res.Connected, res.Failed = int64(len(conns)), failed
	} else {
		workers, err := startWorkers(ctx, cfg, tid, count)
		defer stopWorkers(workers)
		if err != nil {
			return res, err
		}
		for _, w := range workers {
			res.Connected += w.connected
			res.Failed += w.failed
		}
	}
	res.ConnectSeconds = time.Since(t0).Seconds()
	res.ConnectRate = float64(res.Connected) / res.ConnectSeconds
	fmt.Fprintf(cfg.log, "%d idle sockets open (%d failed) in %.1fs\n", res.Connected, res.Failed, res.ConnectSeconds)
	if res.RSSMeasured && res.Connected > 0 {
		// Let the hub finish allocating for the last sockets before sampling.
		pause(ctx, 2*time.Second)
		if res.RSSConnected, err = rssOf(cfg.pids); err != nil {
			return res, err
		}
		res.KiBConnected = float64(res.RSSConnected-res.RSSBefore) / float64(res.Connected) / 1024
		fmt.Fprintf(cfg.log, "RSS %.1f KiB per socket; idle for %s before the final sample\n", res.KiBConnected, cfg.idleWait)
		cpu0, err := cpuOf(cfg.pids)
		if err != nil {
			return res, err
		}
		t1 := time.Now()
		pause(ctx, cfg.idleWait)
		cpu1, err := cpuOf(cfg.pids)
		if err != nil {
			return res, err
		}
		res.IdleSeconds = time.Since(t1).Seconds()
		res.CPUCores = (cpu1 - cpu0).Seconds() / res.IdleSeconds
		res.CPUPerSocketSecond = res.CPUCores * 1e6 / float64(res.Connected)
		if res.RSSAfter, err = rssOf(cfg.pids); err != nil {
			return res, err
		}
		res.BytesPerSocket = float64(res.RSSAfter-res.RSSBefore) / float64(res.Connected)
		res.KiBPerSocket = res.BytesPerSocket / 1024
		res.HubSockets = 0
		for _, n := range cfg.nodes {
			k := hubSockets(ctx, e, n)
			if k < 0 {
				res.HubSockets = -1
				break
			}
			res.HubSockets += k
		}
		if res.HubSockets >= 0 && res.HubSockets != res.Connected {
			fmt.Fprintf(cfg.log, "WARNING: the hub holds %d sockets, not the %d opened: the figure per socket is off\n", res.HubSockets, res.Connected)
		}
	}
	pause(ctx, cfg.hold)
	return res, nil
}

type worker struct {
	cmd       *exec.Cmd
	stdin     io.WriteCloser
	connected int64
	failed    int64
}

// startWorkers re-executes this binary in worker mode, count/procs sockets each, every worker
// on its own share of the source addresses, and waits until each says READY.
func startWorkers(ctx context.Context, cfg config, tid string, count int) ([]*worker, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	var ws []*worker
	for i := 0; i < cfg.procs; i++ {
		n := count / cfg.procs
		if i < count%cfg.procs {
			n++
		}
		var ips []string
		for j, ip := range cfg.sourceIPs {
			if j%cfg.procs == i || len(cfg.sourceIPs) < cfg.procs {
				ips = append(ips, ip)
			}
		}
		args := []string{"--worker", "--nodes", strings.Join(cfg.nodes, ","), "--tournament", tid, "--players", strconv.Itoa(n),
			"--deadline", cfg.deadline.String(), "--allow-remote=" + strconv.FormatBool(cfg.allowRemote), "--deflate=" + strconv.FormatBool(cfg.deflate), "--protocol", cfg.protocol}
		if len(ips) > 0 {
			args = append(args, "--source-ips", strings.Join(ips, ","))
		}
		if cfg.origin != "" {
			args = append(args, "--origin", cfg.origin)
		}
		cmd := exec.CommandContext(ctx, self, args...)
		cmd.Stderr = os.Stderr
		in, err := cmd.StdinPipe()
		if err != nil {
			return ws, err
		}
		out, err := cmd.StdoutPipe()
		if err != nil {
			return ws, err
		}
		if err := cmd.Start(); err != nil {
			return ws, err
		}
		w := &worker{cmd: cmd, stdin: in}
		ws = append(ws, w)
		sc := bufio.NewScanner(out)
		ready := false
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			if len(f) == 3 && f[0] == "READY" {
				w.connected, _ = strconv.ParseInt(f[1], 10, 64)
				w.failed, _ = strconv.ParseInt(f[2], 10, 64)
				ready = true
				break
			}
		}
		if !ready {
			return ws, fmt.Errorf("worker %d exited before READY", i)
		}
		go io.Copy(io.Discard, out)
	}
	return ws, nil
}

func stopWorkers(ws []*worker) {
	for _, w := range ws {
		w.stdin.Close()
	}
	for _, w := range ws {
		done := make(chan struct{})
		go func() { w.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			w.cmd.Process.Kill()
			<-done
		}
	}
}

// runWorker is worker mode: open the sockets, print READY <connected> <failed>, hold them until
// stdin closes or the deadline passes.
func runWorker(ctx context.Context, e *env) error {
	conns, failed := openIdle(ctx, e, e.cfg.tournament, e.cfg.players)
	fmt.Printf("READY %d %d\n", len(conns), failed)
	done := make(chan struct{})
	go func() {
		io.Copy(io.Discard, os.Stdin)
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
	}
	for _, c := range conns {
		c.close()
	}
	return nil
}

// hubSockets reads tourhub_ws_sockets from the node's /metrics; -1 if it cannot.
func hubSockets(ctx context.Context, e *env, node string) int64 {
	if v := readCounters(ctx, e, node, []string{"tourhub_ws_sockets"}); v != nil {
		return v[0]
	}
	return -1
}
