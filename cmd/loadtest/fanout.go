package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
)

// fanoutResult is the fanout scenario's outcome.
type fanoutResult struct {
	Spectators       int       `json:"spectators"`
	Connected        int       `json:"connected"`
	Repeats          int       `json:"repeats"`
	Completed        int       `json:"repeats_complete"`
	Missing          int64     `json:"deliveries_missing"`
	Completion       Summary   `json:"completion"`
	Delivery         Summary   `json:"delivery_latency"`
	ServerCPUSeconds float64   `json:"server_cpu_seconds"`
	Deliveries       int64     `json:"deliveries"`
	CPUPerDeliveryUS float64   `json:"server_cpu_per_delivery_us"`
	CompletionsMS    []float64 `json:"completions_ms"`
	ConnectRate      float64   `json:"connects_per_second"`
	CPUMeasured      bool      `json:"cpu_measured"`
	// SubscribeSeconds is the time from the first dial until every spectator is subscribed
	// (socket.io: connected, since its server puts every socket in the room).
	SubscribeSeconds float64 `json:"subscribe_seconds"`
	// BytesPerDelivery is the payload of the event messages a spectator got for one publish,
	// averaged over the deliveries: what one result costs on the wire per spectator.
	BytesPerDelivery float64 `json:"bytes_per_delivery"`
	// The whole publishing window, from the first publish's set-up to the last delivery of the
	// last one, background included (pings, timers, garbage collection, the pauses between
	// publishes): the servers' CPU over it, its length and the CPU per delivery.
	WindowCPUSeconds       float64 `json:"window_cpu_seconds"`
	WindowSeconds          float64 `json:"window_seconds"`
	CPUPerDeliveryWindowUS float64 `json:"window_cpu_per_delivery_us"`
	// BackgroundCores is the servers' CPU with every spectator subscribed and nothing published,
	// over BackgroundSeconds before the first publish; CPUPerDeliveryNetUS is the window's CPU
	// less that background over the window's length, per delivery.
	BackgroundCores     float64 `json:"background_cores"`
	BackgroundSeconds   float64 `json:"background_seconds"`
	CPUPerDeliveryNetUS float64 `json:"window_cpu_per_delivery_net_us"`
}

// fanoutWatch collects the receipt times of one version at every spectator.
type fanoutWatch struct {
	mu     sync.Mutex
	times  map[int64][]time.Time // by version; guarded by mu
	want   int                   // static per run
	filled chan int64            // receives a version once every spectator has it
	bytes  int64                 // guarded by mu; payload bytes of every event message
}

func (w *fanoutWatch) on(c *conn, data []byte, at time.Time) {
	_, v, ok := eventOf(data)
	if !ok {
		return
	}
	w.mu.Lock()
	w.bytes += int64(len(data))
	w.times[v] = append(w.times[v], at)
	full := len(w.times[v]) == w.want
	w.mu.Unlock()
	if full {
		select {
		case w.filled <- v:
		default:
		}
	}
}

// runFanout subscribes --spectators sockets, spread over the nodes, to one tournament and
// publishes --repeats results on the first node (the organiser over HTTP), timing how long each
// takes to reach every spectator and how much server CPU (--pids) it costs.
func runFanout(ctx context.Context, e *env) (*fanoutResult, error) {
	cfg := e.cfg
	nodes := cfg.nodes
	res := &fanoutResult{Spectators: cfg.spectators, Repeats: cfg.repeats}
	hc := e.d.client(0)
	tid, org := "t_floor", ""
	if cfg.publishURL == "" {
		var err error
		if tid, org, err = fanoutTournament(ctx, e, cfg.repeats); err != nil {
			return res, err
		}
	}

	w := &fanoutWatch{times: map[int64][]time.Time{}, want: cfg.spectators, filled: make(chan int64, 1)}
	conns := make([]*conn, cfg.spectators)
	defer func() {
		for _, c := range conns {
			if c != nil {
				c.close()
			}
		}
	}()
	t0 := time.Now()
	eg, ectx := errgroup.WithContext(ctx)
	eg.SetLimit(64)
	for i := range conns {
		eg.Go(func() error {
			var c *conn
			var err error
			if cfg.peer == peerSocketIO {
				c, err = e.d.dialSocketIO(ectx, nodes, i%len(nodes), e.st)
			} else {
				c, err = e.d.dialConn(ectx, nodes, i%len(nodes), nil, e.st)
			}
			if err != nil {
				e.st.connectFails.Add(1)
				return err
			}
			conns[i] = c
			c.setHandler(w.on)
			if cfg.peer == peerSocketIO {
				return nil // the server puts every socket in the room it publishes to
			}
			if _, err := c.request(ectx, map[string]any{"type": "subscribe", "tournament": tid}, 15*time.Second); err != nil {
				return fmt.Errorf("subscribe: %w", err)
			}
			return nil
		})
	}
	if err := eg.Wait(); err != nil {
		return res, fmt.Errorf("connect: %w", err)
	}
	res.Connected = len(conns)
	res.SubscribeSeconds = time.Since(t0).Seconds()
	res.ConnectRate = float64(len(conns)) / res.SubscribeSeconds
	fmt.Fprintf(cfg.log, "%d spectators subscribed in %.1fs\n", len(conns), res.SubscribeSeconds)

	completion, delivery := NewHist(), NewHist()
	var cpuSum time.Duration
	res.CPUMeasured = len(cfg.pids) > 0
	if res.CPUMeasured {
		// The background: what the servers spend holding the subscribed spectators while nothing
		// is published, after the subscriptions have settled.
		pause(ctx, 2*time.Second)
		b0, err0 := cpuOf(cfg.pids)
		tb := time.Now()
		pause(ctx, fanoutBackground)
		b1, err1 := cpuOf(cfg.pids)
		if err0 != nil || err1 != nil {
			res.CPUMeasured = false
		} else {
			res.BackgroundSeconds = time.Since(tb).Seconds()
			res.BackgroundCores = (b1 - b0).Seconds() / res.BackgroundSeconds
			fmt.Fprintf(cfg.log, "background with %d spectators: %.4f cores\n", len(conns), res.BackgroundCores)
		}
	}
	w.mu.Lock()
	w.bytes = 0 // the subscriptions' snapshots are not deliveries
	w.mu.Unlock()
	win0, winErr := cpuOf(cfg.pids)
	winStart := time.Now()
	for k := 0; k < cfg.repeats && ctx.Err() == nil; k++ {
		mid := 0
		if cfg.publishURL == "" {
			st, err := e.api.state(ctx, hc, nodes[0], tid)
			if err != nil {
				return res, fmt.Errorf("state: %w", err)
			}
			for _, m := range st.Matches {
				if m.Status == "ready" && m.Players[0] > 0 && m.Players[1] > 0 {
					mid = m.ID
					break
				}
			}
			if mid == 0 {
				return res, errors.New("no ready match left to report")
			}
		}
		// Let the previous round's traffic settle so the CPU sample holds only this publish.
		pause(ctx, 300*time.Millisecond)
		cpu0, cerr := cpuOf(cfg.pids)
		sent := time.Now()
		var ap applied
		var err error
		if cfg.publishURL == "" {
			ap, err = e.api.result(ctx, hc, nodes[0], tid, org, mid, [2]int{1, 0}, fmt.Sprintf("fanout-%d", k))
		} else {
			err = e.api.do(ctx, hc, http.MethodPost, cfg.publishURL, "", struct{}{}, &ap)
		}
		if err != nil {
			return res, fmt.Errorf("publish: %w", err)
		}
		e.st.sent.Add(1)
		v := ap.Version
		timeout := time.NewTimer(10 * time.Second)
	waitFull:
		for {
			w.mu.Lock()
			full := len(w.times[v]) >= w.want
			w.mu.Unlock()
			if full {
				break
			}
			select {
			case <-w.filled:
			case <-timeout.C:
				break waitFull
			case <-ctx.Done():
				break waitFull
			}
		}
		timeout.Stop()
		cpu1, cerr2 := cpuOf(cfg.pids)
		w.mu.Lock()
		ts := w.times[v]
		delete(w.times, v)
		w.mu.Unlock()
		var last time.Time
		for _, at := range ts {
			delivery.Record(at.Sub(sent))
			if at.After(last) {
				last = at
			}
		}
		res.Deliveries += int64(len(ts))
		res.Missing += int64(w.want - len(ts))
		if len(ts) == w.want {
			res.Completed++
			completion.Record(last.Sub(sent))
			res.CompletionsMS = append(res.CompletionsMS, float64(last.Sub(sent).Microseconds())/1000)
		}
		if cerr == nil && cerr2 == nil {
			cpuSum += cpu1 - cpu0
		} else {
			res.CPUMeasured = false
		}
		fmt.Fprintf(cfg.log, "publish %d: version %d reached %d/%d in %.1f ms, server cpu %.0f ms\n",
			k+1, v, len(ts), w.want, float64(last.Sub(sent).Microseconds())/1000, float64((cpu1-cpu0).Microseconds())/1000)
	}
	win1, winErr1 := cpuOf(cfg.pids)
	res.WindowSeconds = time.Since(winStart).Seconds()
	w.mu.Lock()
	if res.Deliveries > 0 {
		res.BytesPerDelivery = float64(w.bytes) / float64(res.Deliveries)
	}
	w.mu.Unlock()
	if res.CPUMeasured && winErr == nil && winErr1 == nil && res.Deliveries > 0 {
		res.WindowCPUSeconds = (win1 - win0).Seconds()
		res.CPUPerDeliveryWindowUS = res.WindowCPUSeconds * 1e6 / float64(res.Deliveries)
		res.CPUPerDeliveryNetUS = (res.WindowCPUSeconds - res.BackgroundCores*res.WindowSeconds) * 1e6 / float64(res.Deliveries)
	}
	res.Completion = completion.Summary()
	res.Delivery = delivery.Summary()
	res.ServerCPUSeconds = cpuSum.Seconds()
	if res.Deliveries > 0 && res.CPUMeasured {
		res.CPUPerDeliveryUS = float64(cpuSum.Microseconds()) / float64(res.Deliveries)
	}
	return res, nil
}

// fanoutBackground is how long the fanout scenario measures the servers' background CPU before
// the first publish.
const fanoutBackground = 5 * time.Second

// fanoutTournament creates and starts a single-elimination tournament on the first node with
// enough first-round matches for repeats organiser reports.
func fanoutTournament(ctx context.Context, e *env, repeats int) (tid, org string, err error) {
	hc, node := e.d.client(0), e.cfg.nodes[0]
	players := 2
	for players/2 < repeats {
		players *= 2
	}
	cr, err := e.api.create(ctx, hc, node, "fanout", "single_elimination", players)
	if err != nil {
		return "", "", fmt.Errorf("create: %w", err)
	}
	tid, org = cr.Tournament.ID, cr.OrganiserToken
	for i := 0; i < players; i++ {
		if _, err := e.api.join(ctx, hc, node, tid, fmt.Sprintf("p%d", i+1)); err != nil {
			return "", "", fmt.Errorf("join: %w", err)
		}
	}
	if _, err := e.api.start(ctx, hc, node, tid, org); err != nil {
		return "", "", fmt.Errorf("start: %w", err)
	}
	return tid, org, nil
}

func pause(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
