// Command attack reproduces the socket attacks of hardening issue 13 against a running hub:
//
//	setup  creates big tournaments (default 8 double eliminations of 1,024 players: 743 KB
//	       snapshots) and prints "id:organiser-token,..."
//	mem    never-reading sockets subscribed to all of them; samples the hub's memory while they
//	       hold and after they close (the hub's /metrics and --pid's RSS)
//	lat    reading spectators and a reporter at --rate; the latency from a result's POST to each
//	       spectator's event (p50, p90, p99)
//	slow   never-reading sockets only, held for --duration: run it as a process of its own next
//	       to lat (bench/attack/slow.sh), so that its work does not land on the measuring process
//	burst  --sockets reading sockets, dialled first, then subscribed to --ids all at once: how
//	       long each waits for its snapshot (p50, p90, max), what the bulk gate's pace costs the
//	       legitimate clients of a big tournament
//
// It is a measuring tool, not a test: bench/attack/slow.sh runs the slow-socket comparison.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

var (
	base   = flag.String("hub", "http://127.0.0.1:8090", "hub base URL")
	mode   = flag.String("mode", "mem", "setup | mem | lat | slow | readers | burst")
	ntour  = flag.Int("tournaments", 8, "tournaments (setup)")
	size   = flag.Int("size", 1024, "players per tournament (setup)")
	format = flag.String("format", "double_elimination", "format (setup)")
	ids    = flag.String("ids", "", "tournament ids, comma-separated (mem, lat); organiser tokens after ':' (lat)")
	socks  = flag.Int("sockets", 400, "never-reading sockets")
	spect  = flag.Int("spectators", 50, "reading spectators (lat)")
	rate   = flag.Float64("rate", 20, "results per second (lat)")
	dur    = flag.Duration("duration", 13*time.Second, "how long to hold (mem) / report (lat)")
	after  = flag.Duration("after", 15*time.Second, "how long to sample after closing (mem)")
	pid    = flag.Int("pid", 0, "hub pid for RSS")
	rcvbuf = flag.Int("rcvbuf", 0, "receive buffer of never-reading sockets (0: default)")
	srcs   = flag.Int("srcs", 1, "loopback source addresses to spread sockets over (127.0.0.x)")
	dials  = flag.Int("dials", 32, "sockets dialled at a time (slow, readers)")
	subAt  = flag.Duration("subscribe-after", 0, "dial every socket first, then send the subscribe messages this long after the start (slow, readers; 0: each socket subscribes once open)")
)

var started = time.Now()

func main() {
	flag.Parse()
	switch *mode {
	case "setup":
		setup()
	case "mem":
		mem()
	case "lat":
		lat()
	case "slow", "readers":
		hold(*mode == "readers")
	case "burst":
		burst()
	default:
		fatal(fmt.Errorf("unknown --mode %q: want setup, mem, lat, slow, readers or burst", *mode))
	}
}

func post(path, token string, body any, out any) error {
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", *base+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	rb, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s: %d %s", path, resp.StatusCode, rb)
	}
	if out != nil {
		return json.Unmarshal(rb, out)
	}
	return nil
}

func setup() {
	var out []string
	for i := 0; i < *ntour; i++ {
		var c struct {
			Tournament struct{ ID string } `json:"tournament"`
			Token      string              `json:"organiser_token"`
		}
		if err := post("/api/tournaments", "", map[string]any{"name": fmt.Sprintf("Big %d", i), "format": *format, "max_players": *size}, &c); err != nil {
			fatal(err)
		}
		var wg sync.WaitGroup
		sem := make(chan struct{}, 8)
		for p := 0; p < *size; p++ {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				if err := post("/api/tournaments/"+c.Tournament.ID+"/players", "", map[string]any{"name": fmt.Sprintf("player-%04d", p)}, nil); err != nil {
					fatal(err)
				}
			}()
		}
		wg.Wait()
		if err := post("/api/tournaments/"+c.Tournament.ID+"/start", c.Token, nil, nil); err != nil {
			fatal(err)
		}
		resp, err := http.Get(*base + "/api/tournaments/" + c.Tournament.ID)
		if err != nil {
			fatal(err)
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		fmt.Fprintf(os.Stderr, "%s state %d bytes\n", c.Tournament.ID, n)
		out = append(out, c.Tournament.ID+":"+c.Token)
	}
	fmt.Println(strings.Join(out, ","))
}

// frame is a masked client text frame.
func frame(payload []byte) []byte {
	key := [4]byte{0x37, 0xfa, 0x21, 0x3d}
	f := []byte{0x81}
	switch n := len(payload); {
	case n < 126:
		f = append(f, 0x80|byte(n))
	default:
		f = append(f, 0x80|126, byte(n>>8), byte(n))
	}
	f = append(f, key[:]...)
	for i, b := range payload {
		f = append(f, b^key[i%4])
	}
	return f
}

var srcN atomic.Int64

// dialSilent opens a socket, subscribes to every id, and never reads after the handshake.
func dialSilent(tids []string, subscribe bool) (net.Conn, error) {
	u, _ := url.Parse(*base)
	d := net.Dialer{Timeout: 5 * time.Second}
	if *srcs > 1 {
		n := srcN.Add(1)
		d.LocalAddr = &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(2+n%int64(*srcs)))}
	}
	c, err := d.Dial("tcp", u.Host)
	if err != nil {
		return nil, err
	}
	if *rcvbuf > 0 {
		c.(*net.TCPConn).SetReadBuffer(*rcvbuf)
	}
	fmt.Fprintf(c, "GET /ws HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"+
		"Sec-WebSocket-Protocol: tourhub.v1\r\n\r\n", u.Host)
	// Read the response headers byte by byte, so that nothing after them is read.
	var hdr []byte
	b := make([]byte, 1)
	for !bytes.HasSuffix(hdr, []byte("\r\n\r\n")) {
		if _, err := c.Read(b); err != nil {
			c.Close()
			return nil, err
		}
		hdr = append(hdr, b[0])
	}
	if !bytes.Contains(hdr, []byte(" 101 ")) {
		c.Close()
		return nil, fmt.Errorf("handshake: %s", hdr)
	}
	if subscribe {
		subscribeAll(c, tids)
	}
	return c, nil
}

// subscribeAll sends c the subscribe messages of tids.
func subscribeAll(c net.Conn, tids []string) {
	for _, id := range tids {
		c.Write(frame([]byte(`{"type":"subscribe","tournament":"` + id + `"}`)))
	}
}

type sample struct {
	t              float64
	rss, heap, sys float64
	sockets        float64
	slow           float64
}

func metrics() sample {
	resp, err := http.Get(*base + "/metrics")
	if err != nil {
		return sample{}
	}
	defer resp.Body.Close()
	var s sample
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		l := sc.Text()
		f := strings.Fields(l)
		if len(f) != 2 {
			continue
		}
		v, _ := strconv.ParseFloat(f[1], 64)
		switch f[0] {
		case "go_memstats_heap_inuse_bytes":
			s.heap = v
		case "process_resident_memory_bytes":
			s.rss = v
		case "go_memstats_sys_bytes":
			s.sys = v
		case "tourhub_ws_sockets":
			s.sockets = v
		case "tourhub_ws_slow_consumer_closes_total":
			s.slow = v
		}
	}
	return s
}

func (s sample) String() string {
	return fmt.Sprintf("t=%5.1fs rss=%4.0f MB heap_inuse=%4.0f MB sys=%4.0f MB sockets=%4.0f slow_closes=%4.0f", s.t, s.rss/1e6, s.heap/1e6, s.sys/1e6, s.sockets, s.slow)
}

func tourIDs() (ids_, tokens []string) {
	for _, p := range strings.Split(*ids, ",") {
		id, tok, _ := strings.Cut(p, ":")
		ids_ = append(ids_, id)
		tokens = append(tokens, tok)
	}
	return
}

func mem() {
	tids, _ := tourIDs()
	start := time.Now()
	s := metrics()
	s.t = 0
	fmt.Println("before", s)
	conns := openSilent(tids)
	fmt.Printf("%d sockets open after %.1fs\n", len(conns), time.Since(start).Seconds())
	peak := sample{}
	for time.Since(start) < *dur {
		time.Sleep(time.Second)
		s := metrics()
		s.t = time.Since(start).Seconds()
		if s.rss > peak.rss {
			peak = s
		}
		fmt.Println("held  ", s)
	}
	for _, c := range conns {
		c.Close()
	}
	closed := time.Now()
	for time.Since(closed) < *after {
		time.Sleep(time.Second)
		s := metrics()
		s.t = time.Since(start).Seconds()
		fmt.Println("closed", s)
	}
	fmt.Println("peak  ", peak)
}

// lat: spectators that read, never-reading sockets, a reporter at rate; latency from the
// report's POST to each spectator's event.
func lat() {
	tids, toks := tourIDs()
	tid, tok := tids[0], toks[0]
	var st struct {
		Matches []struct {
			ID      int    `json:"id"`
			Status  string `json:"status"`
			Players []*int `json:"players"`
		} `json:"matches"`
	}
	resp, err := http.Get(*base + "/api/tournaments/" + tid)
	if err != nil {
		fatal(err)
	}
	json.NewDecoder(resp.Body).Decode(&st)
	resp.Body.Close()

	var sentMu sync.Mutex
	sent := map[int64]time.Time{}
	replies := map[int64]time.Duration{} // version -> the POST's round trip
	var latMu sync.Mutex
	var lats []float64
	type got struct {
		v  int64
		at time.Time
	}
	var recv []got
	measuring := atomic.Bool{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var ready sync.WaitGroup
	for i := 0; i < *spect; i++ {
		ready.Add(1)
		go func() {
			c, _, err := websocket.Dial(ctx, strings.Replace(*base, "http", "ws", 1)+"/ws", &websocket.DialOptions{Subprotocols: []string{"tourhub.v1"}})
			if err != nil {
				fatal(err)
			}
			c.SetReadLimit(1 << 26)
			c.Write(ctx, websocket.MessageText, []byte(`{"type":"subscribe","tournament":"`+tid+`"}`))
			first := true
			for {
				_, b, err := c.Read(ctx)
				if err != nil {
					return
				}
				now := time.Now()
				var m struct {
					Type    string `json:"type"`
					Version int64  `json:"version"`
				}
				if len(b) > 200 {
					b = b[:200]
				}
				// cheap parse of the head
				if i := bytes.Index(b, []byte(`"version":`)); i >= 0 {
					j := i + len(`"version":`)
					k := j
					for k < len(b) && b[k] >= '0' && b[k] <= '9' {
						k++
					}
					m.Version, _ = strconv.ParseInt(string(b[j:k]), 10, 64)
				}
				if bytes.HasPrefix(b, []byte(`{"type":"snapshot"`)) && first {
					first = false
					ready.Done()
					continue
				}
				if !bytes.HasPrefix(b, []byte(`{"type":"event"`)) || !measuring.Load() {
					continue
				}
				latMu.Lock()
				recv = append(recv, got{m.Version, now})
				latMu.Unlock()
			}
		}()
	}
	ready.Wait()
	fmt.Printf("%d spectators ready\n", *spect)
	conns := openSilent([]string{tid})
	fmt.Printf("%d never-reading sockets open\n", len(conns))
	time.Sleep(2 * time.Second)
	measuring.Store(true)
	// Report ready matches with the organiser's token, in order.
	tick := time.NewTicker(time.Duration(float64(time.Second) / *rate))
	defer tick.Stop()
	end := time.Now().Add(*dur)
	reported := map[int]bool{}
	results := 0
	var failures int
	for time.Now().Before(end) {
		var mid int
		for _, m := range st.Matches {
			if m.Status == "ready" && !reported[m.ID] {
				mid = m.ID
				break
			}
		}
		if mid == 0 {
			// refresh
			resp, err := http.Get(*base + "/api/tournaments/" + tid)
			if err != nil {
				fatal(err)
			}
			st.Matches = nil
			json.NewDecoder(resp.Body).Decode(&st)
			resp.Body.Close()
			continue
		}
		reported[mid] = true
		<-tick.C
		var a struct {
			Version int64 `json:"version"`
		}
		at := time.Now()
		// We learn the version from the answer; record the send time under the next version guess.
		sentMu.Lock()
		sent[-1] = at
		sentMu.Unlock()
		err := post(fmt.Sprintf("/api/tournaments/%s/matches/%d/result", tid, mid), tok, map[string]any{"scores": []int{1, 0}}, &a)
		if err != nil {
			failures++
			continue
		}
		sentMu.Lock()
		sent[a.Version] = at
		replies[a.Version] = time.Since(at)
		sentMu.Unlock()
		results++
	}
	time.Sleep(2 * time.Second)
	measuring.Store(false)
	latMu.Lock()
	missing := 0
	for _, g := range recv {
		if at, ok := sent[g.v]; ok {
			lats = append(lats, float64(g.at.Sub(at).Microseconds())/1000)
		}
	}
	missing = results**spect - len(lats)
	// The slowest results: whether the time went before the answer (the command) or after it
	// (the fan-out).
	worst := map[int64]float64{}
	for _, g := range recv {
		if at, ok := sent[g.v]; ok {
			worst[g.v] = max(worst[g.v], float64(g.at.Sub(at).Microseconds())/1000)
		}
	}
	vs := make([]int64, 0, len(worst))
	for v := range worst {
		vs = append(vs, v)
	}
	sort.Slice(vs, func(i, j int) bool { return worst[vs[i]] > worst[vs[j]] })
	t0 := time.Time{}
	for _, at := range sent {
		if t0.IsZero() || at.Before(t0) {
			t0 = at
		}
	}
	// The p90 of each second's deliveries, by when the result was sent: a burst shows as a few
	// seconds, a steady cost as all of them.
	bySec := map[int][]float64{}
	for _, g := range recv {
		if at, ok := sent[g.v]; ok && g.v >= 0 {
			sec := int(at.Sub(t0).Seconds())
			bySec[sec] = append(bySec[sec], float64(g.at.Sub(at).Microseconds())/1000)
		}
	}
	var line []string
	for sec := 0; sec < len(bySec)+1; sec++ {
		l := bySec[sec]
		if len(l) == 0 {
			continue
		}
		sort.Float64s(l)
		line = append(line, fmt.Sprintf("%d:%.0f", sec, l[len(l)*9/10]))
	}
	fmt.Printf("p90 by second (s:ms): %s\n", strings.Join(line, " "))
	for _, v := range vs[:min(len(vs), 6)] {
		fmt.Printf("slowest: version %d at %.2fs: last delivery %.1f ms, answer %.1f ms\n",
			v, sent[v].Sub(t0).Seconds(), worst[v], float64(replies[v].Microseconds())/1000)
	}
	fmt.Println("missing", missing)
	sort.Float64s(lats)
	q := func(p float64) float64 {
		if len(lats) == 0 {
			return 0
		}
		return lats[min(len(lats)-1, int(p*float64(len(lats))))]
	}
	fmt.Printf("results %d (failures %d); latencies %d; p50 %.1f ms p90 %.1f ms p99 %.1f ms max %.1f ms\n",
		results, failures, len(lats), q(.5), q(.9), q(.99), q(1))
	latMu.Unlock()
	s := metrics()
	fmt.Println(s)
	for _, c := range conns {
		c.Close()
	}
}

// hold opens --sockets sockets subscribed to the tournaments of --ids, holds them for --duration
// and closes them. slow's never read; readers' (its control) read everything and discard it, as
// spectators do: what slow costs others beyond readers is what their not reading costs, the rest
// is the cost of their subscriptions (a snapshot each).
func hold(read bool) {
	tids, _ := tourIDs()
	conns := openSilent(tids)
	what := "never-reading"
	if read {
		what = "reading"
		for _, c := range conns {
			go io.Copy(io.Discard, c)
		}
	}
	fmt.Printf("%d %s sockets open\n", len(conns), what)
	time.Sleep(*dur)
	for _, c := range conns {
		c.Close()
	}
}

// openSilent opens --sockets never-reading sockets subscribed to tids, --dials at a time, and
// returns those that opened (a failed dial is reported on stderr).
func openSilent(tids []string) []net.Conn {
	var mu sync.Mutex
	var conns []net.Conn
	var wg sync.WaitGroup
	sem := make(chan struct{}, max(*dials, 1))
	for range *socks {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			c, err := dialSilent(tids, *subAt == 0)
			if err != nil {
				fmt.Fprintln(os.Stderr, "dial:", err)
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}()
	}
	wg.Wait()
	if *subAt > 0 {
		// The arrival (dials, upgrades) is over: the subscriptions come as one burst.
		time.Sleep(time.Until(started.Add(*subAt)))
		for _, c := range conns {
			subscribeAll(c, tids)
		}
	}
	return conns
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "attack:", err)
	os.Exit(1)
}

// burst dials --sockets sockets, subscribes them all at once to the first of --ids, and reports
// how long each took to receive its snapshot, whole.
func burst() {
	tids, _ := tourIDs()
	*subAt = 0
	var conns []net.Conn
	for range *socks {
		c, err := dialSilent(tids[:1], false)
		if err != nil {
			fatal(err)
		}
		conns = append(conns, c)
	}
	waits := make([]float64, len(conns))
	var wg sync.WaitGroup
	start := time.Now()
	for i, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.Close()
			c.SetReadDeadline(time.Now().Add(*dur))
			subscribeAll(c, tids[:1])
			if err := readSnapshot(bufio.NewReader(c)); err != nil {
				fmt.Fprintln(os.Stderr, "burst:", err)
				waits[i] = -1
				return
			}
			waits[i] = time.Since(start).Seconds()
		}()
	}
	wg.Wait()
	all := time.Since(start).Seconds()
	var got []float64
	for _, w := range waits {
		if w >= 0 {
			got = append(got, w)
		}
	}
	sort.Float64s(got)
	if len(got) == 0 {
		fatal(fmt.Errorf("no socket got its snapshot within %s", *dur))
	}
	q := func(p float64) float64 { return got[min(len(got)-1, int(p*float64(len(got))))] }
	fmt.Printf("burst: %d of %d sockets got their snapshot; since the subscribes p50 %.2f s p90 %.2f s max %.2f s; all done in %.2f s\n",
		len(got), len(conns), q(0.5), q(0.9), got[len(got)-1], all)
}

// readSnapshot reads a server's frames (unmasked) until a whole message of the type snapshot.
func readSnapshot(r *bufio.Reader) error {
	var msg []byte
	for {
		var h [2]byte
		if _, err := io.ReadFull(r, h[:]); err != nil {
			return err
		}
		n := int(h[1] & 0x7f)
		switch n {
		case 126:
			var b [2]byte
			if _, err := io.ReadFull(r, b[:]); err != nil {
				return err
			}
			n = int(b[0])<<8 | int(b[1])
		case 127:
			var b [8]byte
			if _, err := io.ReadFull(r, b[:]); err != nil {
				return err
			}
			n = 0
			for _, x := range b {
				n = n<<8 | int(x)
			}
		}
		p := make([]byte, n)
		if _, err := io.ReadFull(r, p); err != nil {
			return err
		}
		if h[0]&0x0f >= 8 {
			continue // a control frame
		}
		msg = append(msg, p...)
		if h[0]&0x80 == 0 {
			continue // not the last frame of the message
		}
		if bytes.HasPrefix(msg, []byte(`{"type":"snapshot"`)) {
			return nil
		}
		msg = msg[:0]
	}
}
