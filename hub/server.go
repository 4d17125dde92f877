package hub

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

	"github.com/tourhub/tourhub/hub/store"
	"github.com/tourhub/tourhub/match"
	"github.com/tourhub/tourhub/static"
)

// Config configures a Server. Zero values take the defaults stated on each field.
type Config struct {
	// Addr is where cmd/hub listens; the Server itself does not listen. Defaults to ":8080".
	Addr string
	// Origins are extra host patterns allowed in the Origin header of WebSocket upgrades; the
	// request's own host is always allowed. Defaults to none.
	Origins []string
	// Secret signs and verifies tokens (HS256). Required; every node of a cluster needs the same.
	Secret []byte
	// TokenTTL is how long issued tokens last. Defaults to 24 h.
	TokenTTL time.Duration
	// BodyLimit is the largest request body accepted; larger ones get 413. Defaults to 64 KiB.
	BodyLimit int64
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
	// ParseTrustedProxies). The client address, for the rate limit and anything else counted per
	// client, is found by walking X-Forwarded-For from the right through these (ClientIP).
	// Defaults to none: the connection's address is the client's.
	TrustedProxies []netip.Prefix
	// ReadyTimeout bounds the store ping of /readyz. Defaults to 2 s.
	ReadyTimeout time.Duration
	// WS configures the WebSocket side. Store, Tokens, Origins, Log, Registerer, Report and
	// ClientAddr (the client address through TrustedProxies) are set by New; the limits
	// (ReadLimit, RatePerSec, Burst, QueueLen, ping and write timeouts) are taken from here and
	// default as WSConfig documents.
	WS WSConfig
	// Now is the clock for creation times, tokens and the time stamped on every command
	// (Command.At, from which the engine computes deadlines). Defaults to time.Now.
	Now func() time.Time
	// Committed, if set, is called after every command this node commits (create included, a
	// duplicate submission not), with the new state. cmd/hub passes the deadline Sweeper's Track.
	Committed func(ctx context.Context, id string, t *match.Tournament)
}

func (c *Config) setDefaults() {
	if c.Addr == "" {
		c.Addr = ":8080"
	}
	if c.TokenTTL <= 0 {
		c.TokenTTL = 24 * time.Hour
	}
	if c.BodyLimit <= 0 {
		c.BodyLimit = 64 << 10
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

// Server is one hub node's HTTP side: the API, the probes, the metrics, the browser client and
// the WebSocket endpoint. It is an http.Handler.
type Server struct {
	cfg     Config       // static after construction
	store   store.Store  // static after construction
	log     *slog.Logger // static after construction
	tokens  *Tokens      // static after construction
	ws      *WS          // static after construction
	echo    *echo.Echo   // static after construction
	metrics *metrics     // static after construction
	limits  *ipLimiter   // static after construction

	draining atomic.Bool
}

// New builds a Server over store. reg receives the metrics and serves /metrics (nil: a private
// registry). Register the Server's WS with the store (store.Register(srv.WS())) before it serves.
func New(cfg Config, st store.Store, log *slog.Logger, reg *prometheus.Registry) (*Server, error) {
	cfg.setDefaults()
	if len(cfg.Secret) == 0 {
		return nil, errors.New("new server: a token secret is required")
	}
	if st == nil {
		return nil, errors.New("new server: a store is required")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	s := &Server{
		cfg:     cfg,
		store:   st,
		log:     log,
		tokens:  NewTokens(cfg.Secret, cfg.TokenTTL, cfg.Now),
		metrics: newMetrics(reg),
		limits:  newIPLimiter(rate.Limit(cfg.RatePerSec), cfg.Burst),
	}
	wsc := cfg.WS
	wsc.Store = st
	wsc.Tokens = s.tokens
	wsc.Origins = cfg.Origins
	wsc.Log = log
	wsc.Registerer = reg
	wsc.Report = s.Report
	wsc.ClientAddr = s.clientIP
	s.ws = NewWS(wsc)

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
	api(http.MethodPost, "/tournaments", s.createTournament)
	api(http.MethodGet, "/tournaments", s.listTournaments)
	api(http.MethodGet, "/tournaments/:id", s.getTournament)
	api(http.MethodGet, "/tournaments/:id/events", s.getEvents)
	api(http.MethodPost, "/tournaments/:id/players", s.join)
	api(http.MethodDelete, "/tournaments/:id/players/:pid", s.leave)
	api(http.MethodPost, "/tournaments/:id/players/:pid/withdraw", s.withdraw)
	api(http.MethodPost, "/tournaments/:id/check-in", s.checkIn)
	api(http.MethodPost, "/tournaments/:id/start", s.start)
	api(http.MethodPost, "/tournaments/:id/cancel", s.cancel)
	api(http.MethodPost, "/tournaments/:id/matches/:mid/result", s.result)
	api(http.MethodPost, "/tournaments/:id/matches/:mid/forfeit", s.forfeit)

	e.GET("/healthz", func(c echo.Context) error {
		return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
	})
	e.GET("/readyz", s.ready)
	e.GET("/metrics", echo.WrapHandler(promhttp.HandlerFor(reg, promhttp.HandlerOpts{})))
	e.GET("/ws", echo.WrapHandler(s.ws))
	files := echo.WrapHandler(http.FileServerFS(staticFS()))
	e.GET("/*", func(c echo.Context) error {
		if strings.HasPrefix(c.Request().URL.Path, "/api/") {
			return Errorf(CodeNotFound, "no such API endpoint")
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

// Tokens is the node's token issuer and verifier.
func (s *Server) Tokens() *Tokens { return s.tokens }

// WS is the node's WebSocket side.
func (s *Server) WS() *WS { return s.ws }

// Drain makes /readyz answer 503 (so that a load balancer stops sending new clients), then closes
// every socket with 1001 as WS.Drain does, bounded by ctx.
func (s *Server) Drain(ctx context.Context) error {
	s.draining.Store(true)
	return s.ws.Drain(ctx)
}

// Fired counts a timed command that the deadline Sweeper applied (set it as Sweeper.Fired), so
// that tourhub_commands_total covers every command this node commits.
func (s *Server) Fired(typ match.CommandType) {
	s.metrics.commands.WithLabelValues(string(typ), "applied").Inc()
}

func (s *Server) ready(c echo.Context) error {
	if s.draining.Load() {
		return Errorf(CodeUnavailable, "the node is shutting down")
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), s.cfg.ReadyTimeout)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		s.metrics.storeErrors.WithLabelValues("ping").Inc()
		s.log.Warn("store not ready", "err", err)
		return Errorf(CodeUnavailable, "the store cannot be reached")
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ready"})
}

// Report applies a result, authorised by c: the organiser's report is final (By 0); a player
// reports as themself (the engine refuses a match they are not in). A non-empty submissionID
// makes the report idempotent per tournament and reporter: the same id from the same reporter
// returns the first answer with Duplicate set. Used by the HTTP API and the WebSocket.
func (s *Server) Report(ctx context.Context, c Claims, tournament string, m match.MatchID, scores [2]int, submissionID string) (store.Applied, error) {
	if err := authorise(c, tournament); err != nil {
		return store.Applied{}, err
	}
	if m <= 0 {
		return store.Applied{}, &match.Error{Code: match.CodeUnknownMatch, Message: fmt.Sprintf("no match %d", m)}
	}
	if len(submissionID) > maxSubmissionID {
		return store.Applied{}, Errorf(CodeBadRequest, "submission_id is longer than %d bytes", maxSubmissionID)
	}
	cmd := match.Command{Type: match.CmdReport, Match: m, Scores: scores}
	var sub string
	switch c.Role {
	case RoleOrganiser:
		if submissionID != "" {
			sub = "report:o:" + submissionID
		}
	case RolePlayer:
		cmd.By = match.PlayerID(c.Player)
		if submissionID != "" {
			sub = "report:p" + strconv.Itoa(c.Player) + ":" + submissionID
		}
	default:
		return store.Applied{}, Errorf(CodeForbidden, "only the players of a match and the organiser may report its result")
	}
	return s.apply(ctx, tournament, cmd, sub)
}

// maxSubmissionID bounds submission ids.
const maxSubmissionID = 128

// authorise checks that c is a token for tournament.
func authorise(c Claims, tournament string) error {
	if c.Tournament != tournament {
		return Errorf(CodeUnauthorized, "the token is for another tournament")
	}
	return nil
}

// apply stamps cmd with the time, runs it through the store and counts the outcome.
func (s *Server) apply(ctx context.Context, id string, cmd match.Command, sub string) (store.Applied, error) {
	if cmd.At.IsZero() {
		cmd.At = s.cfg.Now().UTC()
	}
	a, err := s.store.Apply(ctx, id, cmd, sub)
	s.countCommand(string(cmd.Type), "apply", a, err)
	if err == nil && !a.Duplicate {
		s.committed(ctx, id, a.State)
	}
	return a, err
}

func (s *Server) committed(ctx context.Context, id string, t *match.Tournament) {
	if s.cfg.Committed != nil && t != nil {
		s.cfg.Committed(ctx, id, t)
	}
}

func (s *Server) countCommand(typ, op string, a store.Applied, err error) {
	outcome := "applied"
	switch {
	case err != nil:
		_, code, _ := ErrorBody(err)
		outcome = code
		if code == CodeUnavailable || code == CodeInternal || code == CodeVersionConflict {
			s.metrics.storeErrors.WithLabelValues(op).Inc()
		}
	case a.Duplicate:
		outcome = "duplicate"
	}
	s.metrics.commands.WithLabelValues(typ, outcome).Inc()
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
			err = Errorf(CodeNotFound, "not found")
		case http.StatusMethodNotAllowed:
			err = Errorf(CodeMethodNotAllowed, "method %s not allowed here", c.Request().Method)
		case http.StatusRequestEntityTooLarge:
			err = Errorf(CodeTooLarge, "the request body is larger than %d bytes", s.cfg.BodyLimit)
		}
	}
	status, code, msg := ErrorBody(err)
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
			return Errorf(CodeRateLimited, "too many requests; slow down")
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
			return Errorf(CodeBadRequest, "the request body did not arrive within %s; send the whole body with the request", s.cfg.BodyTimeout)
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
func (s *Server) clientIP(r *http.Request) string { return ClientIP(r, s.cfg.TrustedProxies) }

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
