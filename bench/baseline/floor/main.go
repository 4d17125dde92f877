// Command floor is the fan-out floor of PERFORMANCE.md: the simplest coder/websocket fan-out that
// does what the hub's fan-out must do, and nothing else. Every node subscribes to one Redis
// channel; POST /publish on any node publishes one ~150-byte event there; each node encodes it
// once and hands it to one bounded queue and writer goroutine per socket. Any client message
// with a "ref" is answered {"type":"subscribed","ref":...} so that `loadtest --scenario fanout
// --publish-url` can drive it like a hub. It is a benchmark baseline, not a server to deploy.
//
//	floor --addr 127.0.0.1:9101 --redis redis://127.0.0.1:6390/0
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/coder/websocket"
	"github.com/redis/go-redis/v9"
)

const channel = "floor:events"

type hub struct {
	mu    sync.Mutex
	socks map[chan []byte]struct{} // guarded by mu
}

func (h *hub) add(q chan []byte) {
	h.mu.Lock()
	h.socks[q] = struct{}{}
	h.mu.Unlock()
}

func (h *hub) remove(q chan []byte) {
	h.mu.Lock()
	delete(h.socks, q)
	h.mu.Unlock()
}

// broadcast never blocks: a full queue drops the message for that socket (the floor has no
// slow-consumer policy beyond that).
func (h *hub) broadcast(msg []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for q := range h.socks {
		select {
		case q <- msg:
		default:
		}
	}
}

func main() {
	addr := flag.String("addr", "127.0.0.1:9101", "listen address")
	redisURL := flag.String("redis", "redis://127.0.0.1:6379/0", "Redis URL")
	flag.Parse()
	opt, err := redis.ParseURL(*redisURL)
	if err != nil {
		log.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	h := &hub{socks: map[chan []byte]struct{}{}}
	sub := rdb.Subscribe(ctx, channel)
	if _, err := sub.Receive(ctx); err != nil {
		log.Fatal(err)
	}
	go func() {
		for m := range sub.Channel() {
			h.broadcast([]byte(m.Payload)) // encoded once, shared by every socket
		}
	}()
	mux := http.NewServeMux()
	mux.HandleFunc("POST /publish", func(w http.ResponseWriter, r *http.Request) {
		v, err := rdb.Incr(r.Context(), "floor:version").Result()
		if err != nil {
			http.Error(w, err.Error(), 503)
			return
		}
		ev := fmt.Sprintf(`{"type":"event","tournament":"t_floor","epoch":"e_1","version":%d,"events":[{"type":"match_completed","match":{"id":%d,"round":1,"status":"completed","players":[1,2],"scores":[1,0]}}]}`, v, v)
		if err := rdb.Publish(r.Context(), channel, ev).Err(); err != nil {
			http.Error(w, err.Error(), 503)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"version":%d}`, v)
	})
	mux.HandleFunc("GET /ws", func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		q := make(chan []byte, 256)
		h.add(q)
		defer h.remove(q)
		ctx, cancel := context.WithCancel(r.Context())
		defer cancel()
		// Reader: answer refs, notice the close.
		go func() {
			defer cancel()
			for {
				_, b, err := c.Read(ctx)
				if err != nil {
					return
				}
				var m struct {
					Ref string `json:"ref"`
				}
				if json.Unmarshal(b, &m) == nil && m.Ref != "" {
					reply, _ := json.Marshal(map[string]string{"type": "subscribed", "ref": m.Ref})
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
