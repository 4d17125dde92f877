// Package hub assembles one hub node from its parts (docs/architecture.md): the command service
// (hub/command) that every command goes through, the table of topics (hub/fanout) that the store
// delivers committed entries to, the WebSocket server (hub/ws) over the socket transport
// (hub/sock), and the HTTP side (hub/api). The store (hub/store: hub/memstore or hub/redisstore)
// is given. cmd/hub reads the configuration and calls New; tests build nodes the same way.
package hub

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tourhub/tourhub/hub/api"
	"github.com/tourhub/tourhub/hub/clientip"
	"github.com/tourhub/tourhub/hub/command"
	"github.com/tourhub/tourhub/hub/fanout"
	"github.com/tourhub/tourhub/hub/store"
	"github.com/tourhub/tourhub/hub/ws"
)

// Config configures a node. Zero values take the defaults of the parts.
type Config struct {
	// Store keeps the tournaments and sequences their commands; Due keeps their deadlines (the
	// memory store's or the Redis store's). Both required.
	Store store.Store
	Due   store.DueSet
	// Tokens issues and verifies tokens. Required.
	Tokens *command.Tokens
	// Now is the clock of the commands (creation times, Command.At). Defaults to time.Now.
	Now func() time.Time
	// API configures the HTTP side.
	API api.Config
	// WS configures the WebSocket side; New sets its Topics, Commands, Log, Registerer,
	// ClientAddr (the client address through API.TrustedProxies, as the rate limit counts it) and
	// AllowJoin (the API's rate limit: a join over a socket is charged as one over HTTP).
	WS ws.Config
	// Log receives the node's logs. Defaults to discarding them.
	Log *slog.Logger
	// Registry receives every metric of the node and serves /metrics. Defaults to a private one.
	Registry *prometheus.Registry
}

// Node is one hub node. It is an http.Handler (the API, the probes, the metrics, the browser client
// and the WebSocket endpoint).
type Node struct {
	Commands *command.Service // static after construction
	Topics   *fanout.Table    // static after construction; the store's Handler
	Sockets  *ws.Server       // static after construction
	API      *api.Server      // static after construction
}

// New builds a node and registers its table of topics with the store, which delivers to the
// node's sockets from then on.
func New(cfg Config) (*Node, error) {
	if cfg.Store == nil {
		return nil, errors.New("new node: a store is required")
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Registry == nil {
		cfg.Registry = prometheus.NewRegistry()
	}
	cmds, err := command.New(command.Config{Store: cfg.Store, Due: cfg.Due, Tokens: cfg.Tokens, Now: cfg.Now,
		Log: cfg.Log, Registerer: cfg.Registry})
	if err != nil {
		return nil, err
	}
	topics := fanout.New(fanout.Config{Store: cfg.Store, QueueLen: cfg.WS.QueueLen, Log: cfg.Log, Registerer: cfg.Registry})
	wsc := cfg.WS
	wsc.Topics, wsc.Commands, wsc.Log, wsc.Registerer = topics, cmds, cfg.Log, cfg.Registry
	proxies := cfg.API.TrustedProxies
	wsc.ClientAddr = func(r *http.Request) string { return clientip.Of(r, proxies) }
	var srv *api.Server // the API takes the sockets, and the sockets its rate limit
	wsc.AllowJoin = func(addr string) bool { return srv.Allow(addr) }
	sockets := ws.New(wsc)
	srv, err = api.New(cfg.API, cmds, cfg.Store, sockets, cfg.Log, cfg.Registry)
	if err != nil {
		topics.Close()
		return nil, err
	}
	cfg.Store.Register(topics)
	return &Node{Commands: cmds, Topics: topics, Sockets: sockets, API: srv}, nil
}

// ServeHTTP implements http.Handler.
func (n *Node) ServeHTTP(w http.ResponseWriter, r *http.Request) { n.API.ServeHTTP(w, r) }

// Sweep fires the due deadlines every `every` until ctx is done (see command.Service.Sweep).
func (n *Node) Sweep(ctx context.Context, every time.Duration) error {
	return n.Commands.Sweep(ctx, every)
}

// Drain makes /readyz answer 503 (so that a load balancer stops sending new clients), closes
// every socket with 1001 (ws.Server.Drain), bounded by ctx, then stops the table of topics.
func (n *Node) Drain(ctx context.Context) error {
	n.API.Unready()
	err := n.Sockets.Drain(ctx)
	n.Topics.Close()
	return err
}
