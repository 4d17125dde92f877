package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// testClock is a settable clock.
type testClock struct {
	mu  sync.Mutex
	now time.Time // guarded by mu
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// lines is a buffer of log lines without their time.
type lines struct {
	mu sync.Mutex
	b  strings.Builder // guarded by mu
}

func (l *lines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// take returns the lines written since the last take.
func (l *lines) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := strings.TrimSpace(l.b.String())
	l.b.Reset()
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

func TestQuietHandler(t *testing.T) {
	t.Parallel()
	clock := &testClock{now: time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)}
	out := &lines{}
	text := slog.NewTextHandler(out, &slog.HandlerOptions{
		Level: slog.LevelDebug,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey && len(groups) == 0 {
				return slog.Attr{}
			}
			return a
		},
	})
	q := newQuietHandler(text, 30*time.Second, clock.Now)
	log := slog.New(q)
	store := log.With("component", "redisstore")
	down := errors.New("dial tcp 127.0.0.1:6379: connect: connection refused")
	check := func(step string, want ...string) {
		t.Helper()
		got := out.take()
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s: wrote\n  %s\nwant\n  %s", step, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
		}
	}

	// Redis down: a warning every second from the sweeper, every probe and go-redis's pool.
	for i := range 10 {
		log.Warn("read due deadlines", "err", down)
		store.Warn("read due deadlines", "err", down) // another handler's attributes: another line
		log.Info("http request", "n", i)              // below warn: always written
		clock.Add(time.Second)
	}
	check("first 10 s",
		`level=WARN msg="read due deadlines" err="dial tcp 127.0.0.1:6379: connect: connection refused"`,
		`level=WARN msg="read due deadlines" component=redisstore err="dial tcp 127.0.0.1:6379: connect: connection refused"`,
		`level=INFO msg="http request" n=0`, `level=INFO msg="http request" n=1`, `level=INFO msg="http request" n=2`,
		`level=INFO msg="http request" n=3`, `level=INFO msg="http request" n=4`, `level=INFO msg="http request" n=5`,
		`level=INFO msg="http request" n=6`, `level=INFO msg="http request" n=7`, `level=INFO msg="http request" n=8`,
		`level=INFO msg="http request" n=9`)

	// Another error is another line, at once.
	log.Warn("read due deadlines", "err", errors.New("NOAUTH Authentication required."))
	check("a different error", `level=WARN msg="read due deadlines" err="NOAUTH Authentication required."`)

	// 30 s after the first: the next one is written with how many were held back (9 from the
	// first 10 s, 20 more now).
	for range 20 {
		log.Warn("read due deadlines", "err", down)
		clock.Add(time.Second)
	}
	check("until 30 s")
	log.Warn("read due deadlines", "err", down)
	check("at 30 s", `level=WARN msg="read due deadlines" err="dial tcp 127.0.0.1:6379: connect: connection refused" repeated=29`)

	// The redisstore one stopped after 10 s: FlushDue writes its count once its window is over,
	// and nothing for lines with nothing held back.
	q.FlushDue(context.Background(), false)
	check("flush due", `level=WARN msg="read due deadlines" component=redisstore err="dial tcp 127.0.0.1:6379: connect: connection refused" repeated=9`)
	q.FlushDue(context.Background(), false)
	check("flush again")

	// At shutdown everything held back is written, even inside its window.
	log.Warn("read due deadlines", "err", down)
	log.Warn("read due deadlines", "err", down)
	q.FlushDue(context.Background(), true)
	check("flush all", `level=WARN msg="read due deadlines" err="dial tcp 127.0.0.1:6379: connect: connection refused" repeated=2`)

	// go-redis's logger goes through the same handler.
	rl := redisLogger{log}
	for range 3 {
		rl.Printf(context.Background(), "redis: connection pool: failed to dial after %d attempts: %v", 5, down)
	}
	check("go-redis", `level=WARN msg="connection pool: failed to dial after 5 attempts: dial tcp 127.0.0.1:6379: connect: connection refused" component=go-redis`)
}

// TestQuietHandlerForgets: the kinds of lines remembered stay bounded.
func TestQuietHandlerForgets(t *testing.T) {
	t.Parallel()
	clock := &testClock{now: time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)}
	q := newQuietHandler(slog.DiscardHandler, 30*time.Second, clock.Now)
	log := slog.New(q)
	for i := range 5 * maxQuietLines {
		log.Warn("store not ready", "tournament", fmt.Sprint(i))
		clock.Add(time.Second)
	}
	q.st.mu.Lock()
	n := len(q.st.seen)
	q.st.mu.Unlock()
	if n > maxQuietLines {
		t.Errorf("%d kinds of lines remembered; want at most %d", n, maxQuietLines)
	}
}
