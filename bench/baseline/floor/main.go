// Command floor is the floor of PERFORMANCE.md: the simplest coder/websocket server that does
// what the hub's delivery must do across nodes, and nothing else. It is a benchmark baseline, not
// a server to deploy, and measures two things the same load tool measures on the hub:
//
//   - fan-out (loadtest --scenario fanout --publish-url .../publish): every socket subscribes to
//     tournament t_floor; POST /publish on any node publishes one ~150-byte event to its channel;
//   - notification latency and the highest sustained rate (loadtest --relay, with --scenario
//     latency or maxrate): a socket sends {"type":"report","tournament":T,...}; one Lua script
//     takes the next version of T, writes one hash field, appends to T's stream and publishes an
//     event of the size of the hub's (~450 bytes) to T's channel, the shape and Redis cost of the
//     hub's compare-and-set commit; the sender is answered {"type":"reported","version":N}.
//
// Each node subscribes to the channel of a tournament when its first socket subscribes to it
// (the reply waits for Redis to confirm), and stays subscribed: a baseline run lasts minutes.
// A published event is encoded once by Redis and handed to one bounded queue and writer goroutine
// per subscribed socket. Nothing else: no state, no tokens, no bracket, no personal messages, no
// replay of missed events, no slow-consumer policy beyond dropping a message for a full queue and
// closing a socket whose write takes over 5 s.
//
// With --snapshot FILE it is the floor of bench/attack/slow.sh instead (one node, no Redis): the
// attack's spectators and never-reading sockets subscribe to any tournament id and get the file (a
// tournament's state, as GET /api/tournaments/{id} answers it; --snapshot ID=FILE for that id
// alone) as one snapshot message, encoded once and shared; GET /api/tournaments/{id} answers the
// file; and POST /api/tournaments/{id}/matches/{m}/result answers the next version and sends every
// subscriber of that id an event of the size of a relayed report's. The states never change.
//
//	floor --addr 127.0.0.1:9101 --redis redis://127.0.0.1:6390/0
//	floor --addr 127.0.0.1:9101 --snapshot state.json --snapshot t_small=small.json
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/coder/websocket"
	"github.com/redis/go-redis/v9"
)

// fanoutTournament is the tournament POST /publish publishes to.
const fanoutTournament = "t_floor"

func channelOf(tid string) string { return "floor:ch:" + tid }

// reportScript is one commit: the next version, one field written (the changed match), one log
// entry, one published event. KEYS: state hash, log stream. ARGV: channel, tournament id, events.
var reportScript = redis.NewScript(`
local v = redis.call('HINCRBY', KEYS[1], 'version', 1)
redis.call('HSET', KEYS[1], 'm', ARGV[3])
redis.call('XADD', KEYS[2], 'MAXLEN', '~', 1000, '*', 'v', v, 'e', ARGV[3])
redis.call('PUBLISH', ARGV[1], '{"type":"event","tournament":"' .. ARGV[2] .. '","epoch":"e_1","version":' .. v .. ',"events":' .. ARGV[3] .. '}')
return v
`)

// reportEvents is the body of a relayed report's event: a match_reported event as the hub writes
// it, in the same compact match form (fields at their default left out), so that both send
// about the same bytes.
func reportEvents(player, match int64, scores string) string {
	return fmt.Sprintf(`[{"type":"match_reported","player":%d,"match":{"id":%d,"bracket":"winners","round":1,"status":"ready","players":[%d,%d],"filled":[true,true],"scores":[0,0],"winner":null,"loser":null,"reports":[{"scores":%s},null],"ready_at":"2026-12-02T02:48:40.589639787Z","winner_to":9}}]`,
		player, match, player, player+1, scores)
}

// group is one tournament's sockets on this node.
type group struct {
	socks map[chan []byte]struct{} // guarded by node.mu
	ready chan struct{}            // closed when Redis confirmed the subscription, or it failed
	once  sync.Once
	err   error // why the subscription failed; written before ready is closed
}

// open ends the wait for the subscription: err nil once Redis confirmed it.
func (g *group) open(err error) {
	g.once.Do(func() {
		g.err = err
		close(g.ready)
	})
}

type node struct {
	rdb *redis.Client // nil with --snapshot: one node, its events broadcast in process
	ps  *redis.PubSub

	states  map[string]*floorState // with --snapshot: by tournament id ("" for any other id)
	version atomic.Int64           // with --snapshot: the last result's version

	mu     sync.Mutex
	groups map[string]*group // by tournament; guarded by mu
}

// join adds socket queue q to tournament tid and returns once this node receives its events.
func (n *node) join(ctx context.Context, tid string, q chan []byte) error {
	n.mu.Lock()
	g := n.groups[tid]
	first := g == nil
	if first {
		g = &group{socks: map[chan []byte]struct{}{}, ready: make(chan struct{})}
		n.groups[tid] = g
	}
	g.socks[q] = struct{}{}
	n.mu.Unlock()
	if first && n.rdb == nil {
		g.open(nil)
	} else if first {
		if err := n.ps.Subscribe(ctx, channelOf(tid)); err != nil {
			n.mu.Lock()
			delete(n.groups, tid) // the next subscribe to tid tries again
			n.mu.Unlock()
			g.open(err)
		}
	}
	select {
	case <-g.ready:
		return g.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// leave removes q from every group (the channels stay subscribed).
func (n *node) leave(q chan []byte) {
	n.mu.Lock()
	for _, g := range n.groups {
		delete(g.socks, q)
	}
	n.mu.Unlock()
}

// receive reads the node's pub/sub connection until ctx ends: confirmations open their group,
// messages go to the group's sockets.
func (n *node) receive(ctx context.Context) {
	for {
		msg, err := n.ps.Receive(ctx)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, redis.ErrClosed) {
				return
			}
			log.Printf("pub/sub: %v", err)
			time.Sleep(100 * time.Millisecond)
			continue
		}
		switch m := msg.(type) {
		case *redis.Subscription:
			if m.Kind == "subscribe" {
				if g := n.group(strings.TrimPrefix(m.Channel, channelOf(""))); g != nil {
					g.open(nil)
				}
			}
		case *redis.Message:
			n.broadcast(strings.TrimPrefix(m.Channel, channelOf("")), []byte(m.Payload))
		}
	}
}

func (n *node) group(tid string) *group {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.groups[tid]
}

// broadcast never blocks: a full queue drops the message for that socket (the floor has no
// slow-consumer policy beyond that).
func (n *node) broadcast(tid string, msg []byte) {
	n.mu.Lock()
	defer n.mu.Unlock()
	g := n.groups[tid]
	if g == nil {
		return
	}
	for q := range g.socks {
		select {
		case q <- msg:
		default:
		}
	}
}

// clientMsg is what a socket sends: subscribe or report, each with a ref.
type clientMsg struct {
	Type       string `json:"type"`
	Ref        string `json:"ref"`
	Tournament string `json:"tournament"`
	Match      int64  `json:"match"`
	Scores     []int  `json:"scores"`
}

// handle answers one client message.
func (n *node) handle(ctx context.Context, q chan []byte, b []byte, sock int64) []byte {
	var m clientMsg
	if json.Unmarshal(b, &m) != nil || m.Ref == "" {
		return nil
	}
	reply := func(v map[string]any) []byte {
		v["ref"] = m.Ref
		out, _ := json.Marshal(v)
		return out
	}
	fail := func(err error) []byte {
		return reply(map[string]any{"type": "error", "code": "unavailable", "message": err.Error()})
	}
	tid := m.Tournament
	if tid == "" {
		tid = fanoutTournament
	}
	switch m.Type {
	case "report":
		scores, _ := json.Marshal(m.Scores)
		v, err := reportScript.Run(ctx, n.rdb, []string{"floor:{" + tid + "}:state", "floor:{" + tid + "}:log"},
			channelOf(tid), tid, reportEvents(sock, m.Match, string(scores))).Int64()
		if err != nil {
			return fail(err)
		}
		return reply(map[string]any{"type": "reported", "tournament": tid, "version": v})
	default: // subscribe, and any other message with a ref (the fan-out scenario's subscribe)
		if err := n.join(ctx, tid, q); err != nil {
			return fail(err)
		}
		return reply(map[string]any{"type": "subscribed", "tournament": tid})
	}
}

// floorState is a tournament's state with --snapshot: as GET answers it, and as the snapshot
// message every subscriber gets (encoded once).
type floorState struct {
	state, snapshot []byte
}

// stateOf is the state served for tournament id.
func (n *node) stateOf(id string) *floorState {
	if st, ok := n.states[id]; ok {
		return st
	}
	return n.states[""]
}

// addState reads a --snapshot flag's value: FILE, or ID=FILE.
func (n *node) addState(arg string) error {
	id, file, ok := strings.Cut(arg, "=")
	if !ok {
		id, file = "", arg
	}
	state, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	if !json.Valid(state) {
		return fmt.Errorf("%s: not JSON; want a tournament's state as GET /api/tournaments/{id} answers it", file)
	}
	n.states[id] = &floorState{state: state,
		snapshot: fmt.Appendf(nil, `{"type":"snapshot","tournament":"t","epoch":"e_1","version":0,"state":%s}`, state)}
	return nil
}

// subscribeSnapshot is a subscribe of the slow-socket attack (--snapshot; it sends no ref): the
// socket joins the tournament and gets the shared snapshot.
func (n *node) subscribeSnapshot(ctx context.Context, q chan []byte, b []byte) {
	var m clientMsg
	if json.Unmarshal(b, &m) != nil || m.Type != "subscribe" || m.Tournament == "" {
		return
	}
	st := n.stateOf(m.Tournament)
	if st == nil || n.join(ctx, m.Tournament, q) != nil {
		return
	}
	select {
	case q <- st.snapshot:
	default:
	}
}

// serveSnapshot adds the HTTP side of --snapshot: the states, and results that send an event.
func (n *node) serveSnapshot(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/tournaments/{id}", func(w http.ResponseWriter, r *http.Request) {
		st := n.stateOf(r.PathValue("id"))
		if st == nil {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(st.state)
	})
	mux.HandleFunc("POST /api/tournaments/{id}/matches/{m}/result", func(w http.ResponseWriter, r *http.Request) {
		tid := r.PathValue("id")
		match, err := strconv.ParseInt(r.PathValue("m"), 10, 64)
		if err != nil || strings.ContainsAny(tid, `"\`) {
			http.Error(w, "bad match or tournament", http.StatusBadRequest)
			return
		}
		v := n.version.Add(1)
		n.broadcast(tid, fmt.Appendf(nil, `{"type":"event","tournament":"%s","epoch":"e_1","version":%d,"events":%s}`,
			tid, v, reportEvents(1, match, "[1,0]")))
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"version":%d}`, v)
	})
}

func main() {
	addr := flag.String("addr", "127.0.0.1:9101", "listen address")
	redisURL := flag.String("redis", "redis://127.0.0.1:6379/0", "Redis URL (redis:// or unix://)")
	n := &node{groups: map[string]*group{}, states: map[string]*floorState{}}
	flag.Func("snapshot", "the floor of bench/attack/slow.sh: one node without Redis, serving FILE as every tournament's state, or ID=FILE as that one's (repeatable)", n.addState)
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	mux := http.NewServeMux()
	var rdb *redis.Client
	if len(n.states) > 0 {
		n.serveSnapshot(mux)
	} else {
		opt, err := redis.ParseURL(*redisURL)
		if err != nil {
			log.Fatal(err)
		}
		rdb = redis.NewClient(opt)
		n.rdb, n.ps = rdb, rdb.Subscribe(ctx)
		go n.receive(ctx)
	}
	var sockSeq atomic.Int64

	publish := func(w http.ResponseWriter, r *http.Request) {
		v, err := rdb.Incr(r.Context(), "floor:version").Result()
		if err != nil {
			http.Error(w, err.Error(), 503)
			return
		}
		ev := fmt.Sprintf(`{"type":"event","tournament":"%s","epoch":"e_1","version":%d,"events":[{"type":"match_completed","match":{"id":%d,"round":1,"status":"completed","players":[1,2],"scores":[1,0]}}]}`, fanoutTournament, v, v)
		if err := rdb.Publish(r.Context(), channelOf(fanoutTournament), ev).Err(); err != nil {
			http.Error(w, err.Error(), 503)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"version":%d}`, v)
	}
	if rdb != nil {
		mux.HandleFunc("POST /publish", publish)
	}
	mux.HandleFunc("GET /ws", func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{Subprotocols: []string{"tourhub.v1"}})
		if err != nil {
			return
		}
		sock := sockSeq.Add(1)
		q := make(chan []byte, 256)
		defer n.leave(q)
		ctx, cancel := context.WithCancel(r.Context())
		defer cancel()
		// Reader: answers each message in turn, through the socket's queue.
		go func() {
			defer cancel()
			for {
				_, b, err := c.Read(ctx)
				if err != nil {
					return
				}
				if len(n.states) > 0 {
					n.subscribeSnapshot(ctx, q, b)
					continue
				}
				if reply := n.handle(ctx, q, b, sock); reply != nil {
					select {
					case q <- reply:
					default:
					}
				}
			}
		}()
		for {
			select {
			case <-ctx.Done():
				c.CloseNow()
				return
			case msg := <-q:
				wctx, wcancel := context.WithTimeout(ctx, 5*time.Second)
				err := c.Write(wctx, websocket.MessageText, msg)
				wcancel()
				if err != nil {
					c.CloseNow()
					return
				}
			}
		}
	})
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("listening on %s\n", ln.Addr())
	srv := &http.Server{Handler: mux}
	go func() {
		<-ctx.Done()
		sctx, c := context.WithTimeout(context.Background(), 5*time.Second)
		defer c()
		srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); err != nil && err != http.ErrServerClosed {
		log.Fatal(err)
	}
}
