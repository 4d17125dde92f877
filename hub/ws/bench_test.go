package ws

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/tourhub/tourhub/hub/fanout"
	"github.com/tourhub/tourhub/hub/memstore"
	"github.com/tourhub/tourhub/hub/store"
	"github.com/tourhub/tourhub/match"
)

// BenchmarkWSFanoutWrite measures fan-out with the writes: real sockets on loopback, subscribed
// through the protocol, whose clients read everything, so that each delivery is written by
// fan-out itself (writeNow) in one write system call. ns/recipient is wall time and includes the
// kernel's delivery to the client's socket; allocs/op include the clients' reads (one message
// each). pool-tasks/recipient is 0 while every socket takes its message at once.
func BenchmarkWSFanoutWrite(b *testing.B) {
	const subs = 100
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st := memstore.New()
	defer st.Close()
	created, err := st.Create(ctx, "t", match.Command{Type: match.CmdCreate, Tournament: "t", Name: "Bench",
		Settings: &match.Settings{Format: match.RoundRobin}}, time.Now())
	if err != nil {
		b.Fatal(err)
	}
	topics := fanout.New(fanout.Config{Store: st})
	w := New(Config{Topics: topics})
	srv := httptest.NewServer(w)
	defer func() {
		srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		w.Drain(ctx)
		topics.Close()
	}()
	var readers sync.WaitGroup
	var clients []*websocket.Conn
	defer func() {
		for _, c := range clients {
			c.CloseNow()
		}
		readers.Wait()
	}()
	for range subs {
		c, _, err := websocket.Dial(ctx, srv.URL, &websocket.DialOptions{Subprotocols: []string{Subprotocol}})
		if err != nil {
			b.Fatal(err)
		}
		clients = append(clients, c)
		if err := c.Write(ctx, websocket.MessageText, []byte(`{"type":"subscribe","tournament":"t"}`)); err != nil {
			b.Fatal(err)
		}
		for { // live once its snapshot came
			_, msg, err := c.Read(ctx)
			if err != nil {
				b.Fatal(err)
			}
			var m struct{ Type string }
			if json.Unmarshal(msg, &m); m.Type == "snapshot" {
				break
			}
		}
		readers.Add(1)
		go func() {
			defer readers.Done()
			for {
				if _, _, err := c.Read(context.Background()); err != nil {
					return
				}
			}
		}()
	}
	events := []match.Event{{Type: match.EvCheckedIn, Player: 1}}
	rev := created.Rev
	before := w.pool.Tasks()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		v := int64(i + 2)
		next := "r" + strconv.FormatInt(v, 10)
		topics.Deliver("t", created.Epoch, store.Entry{Version: v, Rev: next, Prev: rev, Events: events}, false)
		rev = next
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*subs), "ns/recipient")
	b.ReportMetric(float64(w.pool.Tasks()-before)/float64(b.N*subs), "pool-tasks/recipient")
}
