// Package api is a node's HTTP side: the API (docs/api.md), the probes, the metrics, the browser
// client, and the route to the WebSocket endpoint. Every command goes through the command
// service; the reads (state, list, events, readiness) go to the store.
package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/netip"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/time/rate"

	"github.com/tourhub/tourhub/hub/clientip"
	"github.com/tourhub/tourhub/hub/command"
	"github.com/tourhub/tourhub/hub/store"
	"github.com/tourhub/tourhub/static"
)

// Config configures a Server. Zero values take the defaults stated on each field.
type Config struct {
	// BodyLimit is the largest request body accepted; larger ones get 413. Defaults to 64 KiB.
	BodyLimit int64
	// ImportLimit is the largest body of POST /api/tournaments/import (an export, with the whole
	// history of its tournament). Defaults to 8 MiB.
	ImportLimit int64
	// BodyTimeout is how long an /api request's body may take to arrive, from the moment its
	// handling starts; a body still incomplete then gets 400 and the connection is closed.
	// Without it a client that sends the headers and half a body holds a connection and a
	// goroutine for as long as it likes. Sockets (/ws) are hijacked and never get it.
	// Defaults to 10 s.
	BodyTimeout time.Duration
	// RatePerSec and Burst limit the /api requests of one client address (429 past them).
	// Defaults to 20 and 40.
	RatePerSec float64
	Burst      int
	// TrustedProxies are the addresses and networks of the proxies in front of the node (see
	// clientip.Parse). The client address, for the rate limit and anything else counted per
	// client, is found by walking X-Forwarded-For from the right through these (clientip.Of).
	// Defaults to none: the connection's address is the client's.
	TrustedProxies []netip.Prefix
	// PublicURL is the hub's address as its users reach it (scheme and host, no trailing slash),
	// which GET /api/config gives the pages for share links; empty: the pages use their own.
	PublicURL string
	// LogEvents is the most entries the store keeps in a tournament's event log (--max-events),
	// which GET /api/config tells the pages so that they can say how much history is kept; 0:
	// not said.
	LogEvents int
	// ReadyTimeout bounds the store ping of /readyz. Defaults to 2 s.
	ReadyTimeout time.Duration
	// Now is the clock of the rate limits. Defaults to time.Now.
	Now func() time.Time
}

func (c *Config) setDefaults() {
	if c.BodyLimit <= 0 {
		c.BodyLimit = 64 << 10
	}
	if c.ImportLimit <= 0 {
		c.ImportLimit = 8 << 20
	}
	if c.BodyTimeout <= 0 {
		c.BodyTimeout = 10 * time.Second
	}
	if c.RatePerSec <= 0 {
		c.RatePerSec = 20
	}
	if c.Burst <= 0 {
		c.Burst = 40
	}
	if c.ReadyTimeout <= 0 {
		c.ReadyTimeout = 2 * time.Second
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// Server is one hub node's HTTP side. It is an http.Handler.
type Server struct {
	cfg     Config           // static after construction
	cmds    *command.Service // static after construction; every command goes through it
	store   store.Store      // static after construction; the reads (state, list, events, readiness)
	log     *slog.Logger     // static after construction
	ws      http.Handler     // static after construction; serves /ws
	echo    *echo.Echo       // static after construction
	metrics *metrics         // static after construction
	limits  *ipLimiter       // static after construction
	answers *answers         // static after construction; GET /api/tournaments/{id} by position

	draining atomic.Bool
}

// New builds a Server that runs commands through cmds, reads st and serves the WebSocket
// endpoint /ws with sockets. reg receives the metrics and serves /metrics (nil: a private
// registry).
func New(cfg Config, cmds *command.Service, st store.Store, sockets http.Handler, log *slog.Logger, reg *prometheus.Registry) (*Server, error) {
	cfg.setDefaults()
	if cmds == nil {
		return nil, errors.New("new server: a command service is required")
	}
	if st == nil {
		return nil, errors.New("new server: a store is required")
	}
	if sockets == nil {
		return nil, errors.New("new server: a WebSocket endpoint is required")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	s := &Server{
		cfg:     cfg,
		cmds:    cmds,
		store:   st,
		log:     log,
		metrics: newMetrics(reg),
		limits:  newIPLimiter(rate.Limit(cfg.RatePerSec), cfg.Burst),
		answers: newAnswers(answersBytes),
		ws:      sockets,
	}

	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = s.handleError
	e.Use(s.observe)

	// Routes are added one by one rather than as a group with middleware: an echo group with
	// middleware answers 404 for a known path with the wrong method, instead of 405. The body
	// deadline comes first, so that it also bounds the body net/http discards after a 429.
	api := func(method, path string, h echo.HandlerFunc) {
		e.Add(method, "/api"+path, h, s.bodyDeadline, s.rateLimit, checkQuery)
	}
	api(http.MethodGet, "/config", s.config)
	api(http.MethodPost, "/tournaments", s.createTournament)
	api(http.MethodGet, "/tournaments", s.listTournaments)
	api(http.MethodGet, "/tournaments/:id", s.getTournament)
	api(http.MethodPatch, "/tournaments/:id", s.editTournament)
	api(http.MethodDelete, "/tournaments/:id", s.deleteTournament)
	api(http.MethodGet, "/tournaments/:id/events", s.getEvents)
	api(http.MethodGet, "/tournaments/:id/notices", s.getNotices)
	api(http.MethodGet, "/tournaments/:id/export", s.exportJSON)
	api(http.MethodGet, "/tournaments/:id/export/standings.csv", s.exportStandings)
	api(http.MethodGet, "/tournaments/:id/export/matches.csv", s.exportMatches)
	api(http.MethodPost, "/tournaments/import", s.importTournament)
	api(http.MethodPost, "/tournaments/:id/players", s.join)
	api(http.MethodDelete, "/tournaments/:id/players/:pid", s.leave)
	api(http.MethodPatch, "/tournaments/:id/players/:pid", s.editPlayer)
	api(http.MethodPost, "/tournaments/:id/players/batch", s.addPlayers)
	api(http.MethodPost, "/tournaments/:id/players/:pid/token", s.playerToken)
	api(http.MethodPost, "/tournaments/:id/seeds", s.seed)
	api(http.MethodPost, "/tournaments/:id/players/:pid/withdraw", s.withdraw)
	api(http.MethodPost, "/tournaments/:id/check-in", s.checkIn)
	api(http.MethodPost, "/tournaments/:id/start", s.start)
	api(http.MethodPost, "/tournaments/:id/cancel", s.cancel)
	api(http.MethodPost, "/tournaments/:id/playoff", s.startPlayoff)
	api(http.MethodPost, "/tournaments/:id/matches/:mid/result", s.result)
	api(http.MethodPost, "/tournaments/:id/matches/:mid/forfeit", s.forfeit)

	e.GET("/healthz", func(c echo.Context) error {
		return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
	})
	e.GET("/readyz", s.ready)
	e.GET("/metrics", echo.WrapHandler(promhttp.HandlerFor(reg, promhttp.HandlerOpts{})))
	e.GET("/ws", echo.WrapHandler(s.ws))
	files := echo.WrapHandler(http.FileServerFS(staticFS()))
	e.GET("/favicon.ico", func(c echo.Context) error { // what browsers ask for without a <link rel=icon>
		b, err := fs.ReadFile(staticFS(), "favicon.svg")
		if err != nil {
			return err
		}
		c.Response().Header().Set("Cache-Control", "public, max-age=86400")
		return c.Blob(http.StatusOK, "image/svg+xml", b)
	})
	e.GET("/*", func(c echo.Context) error {
		if strings.HasPrefix(c.Request().URL.Path, "/api/") {
			return command.Errorf(command.CodeNotFound, "no such API endpoint")
		}
		return files(c)
	})
	s.echo = e
	return s, nil
}

// staticFS is the embedded browser client.
func staticFS() fs.FS { return static.FS }

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.echo.ServeHTTP(w, r) }

// Allow charges one request to client address addr (as the rate limit of every API request
// counts it: through the trusted proxies) and reports whether it is within the address's rate.
// A join over a socket is charged here (ws.Config.AllowJoin), as the same join over HTTP is.
func (s *Server) Allow(addr string) bool { return s.limits.allow(addr, s.cfg.Now()) }

// Unready makes /readyz answer 503 from now on, so that a load balancer stops sending new clients
// (the node is draining).
func (s *Server) Unready() { s.draining.Store(true) }

func (s *Server) ready(c echo.Context) error {
	if s.draining.Load() {
		return command.Errorf(command.CodeUnavailable, "the node is shutting down")
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), s.cfg.ReadyTimeout)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		s.cmds.StoreErr("ping", err)
		s.log.Warn("store not ready", "err", err)
		return command.Errorf(command.CodeUnavailable, "the store cannot be reached")
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ready"})
}

// handleError writes err as {"error":{"code","message"}}; internal errors are logged in full and
// shown as "internal error".
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		switch he.Code {
		case http.StatusNotFound:
			err = command.Errorf(command.CodeNotFound, "not found")
		case http.StatusMethodNotAllowed:
			err = command.Errorf(command.CodeMethodNotAllowed, "method %s not allowed here", c.Request().Method)
		case http.StatusRequestEntityTooLarge:
			err = command.Errorf(command.CodeTooLarge, "the request body is larger than %d bytes", s.cfg.BodyLimit)
		}
	}
	status, code, msg := command.ErrorBody(err)
	if status == http.StatusInternalServerError {
		s.log.Error("request failed", "method", c.Request().Method, "path", c.Request().URL.Path, "err", err)
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(status)
		return
	}
	_ = c.JSON(status, errorJSON{Error: errorBody{Code: code, Message: msg}})
}

type errorJSON struct {
	Error errorBody `json:"error"`
}

type errorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// observe counts every request by route pattern and status, and turns a panic in a handler
// into a logged 500 instead of a dropped connection.
func (s *Server) observe(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := func() (err error) {
			defer func() {
				if r := recover(); r != nil {
					if r == http.ErrAbortHandler {
						panic(r)
					}
					err = fmt.Errorf("panic serving %s %s: %v\n%s", c.Request().Method, c.Request().URL.Path, r, debug.Stack())
				}
			}()
			return next(c)
		}()
		if err != nil {
			c.Error(err)
		}
		route := c.Path()
		if route == "" || route == "/*" {
			route = "static"
		}
		status := c.Response().Status
		s.metrics.requests.WithLabelValues(route, c.Request().Method, strconv.Itoa(status)).Inc()
		s.log.Debug("http request", "method", c.Request().Method, "path", c.Request().URL.Path, "route", route,
			"status", status, "duration", time.Since(start))
		if route != "/ws" {
			s.metrics.duration.WithLabelValues(route).Observe(time.Since(start).Seconds())
		}
		return nil
	}
}

// rateLimit answers 429 to a client address past its request rate.
func (s *Server) rateLimit(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if !s.limits.allow(s.clientIP(c.Request()), s.cfg.Now()) {
			c.Response().Header().Set("Retry-After", "1")
			return command.Errorf(command.CodeRateLimited, "too many requests; slow down")
		}
		return next(c)
	}
}

// bodyDeadline gives the request's body BodyTimeout to arrive: a read deadline on the
// connection (http.ResponseController). net/http clears it when the body has been read to its
// end (it starts its background read then), so a handler may run past it; a handler that does
// not read the body leaves it in place for what net/http discards after the answer. A body that
// misses it gets a 400 that says so, whatever the handler made of the failed read, and the
// connection is closed.
func (s *Server) bodyDeadline(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if r.Body == nil || r.Body == http.NoBody {
			return next(c)
		}
		rc := http.NewResponseController(c.Response())
		if err := rc.SetReadDeadline(time.Now().Add(s.cfg.BodyTimeout)); err != nil {
			return next(c) // a writer without deadlines (not a network connection)
		}
		body := &deadlineBody{ReadCloser: r.Body}
		r.Body = body
		err := next(c)
		if body.timedOut {
			c.Response().Header().Set("Connection", "close")
			return command.Errorf(command.CodeBadRequest, "the request body did not arrive within %s; send the whole body with the request", s.cfg.BodyTimeout)
		}
		return err
	}
}

// deadlineBody notes whether a read of the body hit the deadline. Read only by the handler's
// goroutine.
type deadlineBody struct {
	io.ReadCloser
	timedOut bool
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		b.timedOut = true
	}
	return n, err
}

// clientIP is ClientIP with the node's trusted proxies.
func (s *Server) clientIP(r *http.Request) string { return clientip.Of(r, s.cfg.TrustedProxies) }

// ipLimiter is a token bucket per client address. Buckets idle for a while are dropped when the
// map grows, so that it stays bounded by the number of active clients.
type ipLimiter struct {
	limit rate.Limit // static after construction
	burst int        // static after construction

	mu      sync.Mutex
	buckets map[string]*bucket // guarded by mu
	swept   time.Time          // guarded by mu
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

func newIPLimiter(limit rate.Limit, burst int) *ipLimiter {
	return &ipLimiter{limit: limit, burst: burst, buckets: make(map[string]*bucket)}
}

const limiterIdle = 5 * time.Minute

func (l *ipLimiter) allow(ip string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.buckets) > 1024 && now.Sub(l.swept) > time.Minute {
		l.swept = now
		for k, b := range l.buckets {
			if now.Sub(b.seen) > limiterIdle {
				delete(l.buckets, k)
			}
		}
	}
	b, ok := l.buckets[ip]
	if !ok {
		b = &bucket{lim: rate.NewLimiter(l.limit, l.burst)}
		l.buckets[ip] = b
	}
	b.seen = now
	return b.lim.AllowN(now, 1)
}
