package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// quietEvery is how often a warning that keeps coming back is written: once, then once per
// quietEvery with the count of those held back. With Redis down, the node's sweeper, every
// /readyz probe and go-redis's pool each warn about once a second; this makes it one line per
// kind of warning every 30 s.
const quietEvery = 30 * time.Second

// quietHandler is a slog.Handler that writes a warning or an error the first time it sees it,
// then holds back the same one (same level, message and attributes, the handler's own included)
// for every: it counts them, and the next one written after that carries repeated=N, the number
// held back since the last one written. Flush writes what is still held back with its count.
// Lines below warn pass straight through.
type quietHandler struct {
	next   slog.Handler // static after construction
	prefix string       // static: the attributes and groups added by WithAttrs/WithGroup, part of the key
	st     *quietState  // shared by every handler derived from the first
}

type quietState struct {
	every time.Duration    // static after construction
	now   func() time.Time // static after construction

	mu   sync.Mutex
	seen map[string]*quietLine // guarded by mu
}

// quietLine is one kind of line: when it was last written and what has been held back since.
type quietLine struct {
	written time.Time
	held    int
	last    slog.Record  // the latest held back
	next    slog.Handler // the handler it would have been written with
}

// maxQuietLines bounds the kinds of lines remembered; past it, the ones not held back and
// written more than every ago are forgotten.
const maxQuietLines = 1024

func newQuietHandler(next slog.Handler, every time.Duration, now func() time.Time) *quietHandler {
	return &quietHandler{next: next, st: &quietState{every: every, now: now, seen: make(map[string]*quietLine)}}
}

func (h *quietHandler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

func (h *quietHandler) WithAttrs(as []slog.Attr) slog.Handler {
	var b strings.Builder
	for _, a := range as {
		fmt.Fprintf(&b, "%s=%v ", a.Key, a.Value)
	}
	return &quietHandler{next: h.next.WithAttrs(as), prefix: h.prefix + b.String(), st: h.st}
}

func (h *quietHandler) WithGroup(name string) slog.Handler {
	return &quietHandler{next: h.next.WithGroup(name), prefix: h.prefix + name + ".", st: h.st}
}

func (h *quietHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level < slog.LevelWarn {
		return h.next.Handle(ctx, r)
	}
	var b strings.Builder
	b.WriteString(h.prefix)
	b.WriteString(r.Level.String())
	b.WriteByte(' ')
	b.WriteString(r.Message)
	r.Attrs(func(a slog.Attr) bool {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
		return true
	})
	key := b.String()

	st := h.st
	now := st.now()
	st.mu.Lock()
	l := st.seen[key]
	if l != nil && now.Sub(l.written) < st.every {
		l.held++
		l.last, l.next = r.Clone(), h.next
		st.mu.Unlock()
		return nil
	}
	if l == nil {
		st.forgetLocked(now)
		l = &quietLine{}
		st.seen[key] = l
	}
	held := l.held
	l.held, l.written, l.last, l.next = 0, now, slog.Record{}, nil
	st.mu.Unlock()
	if held > 0 {
		r = r.Clone()
		r.AddAttrs(slog.Int("repeated", held))
	}
	return h.next.Handle(ctx, r)
}

// forgetLocked keeps the remembered lines bounded. st.mu is held.
func (st *quietState) forgetLocked(now time.Time) {
	if len(st.seen) < maxQuietLines {
		return
	}
	for k, l := range st.seen {
		if l.held == 0 && now.Sub(l.written) >= st.every {
			delete(st.seen, k)
		}
	}
}

// FlushDue writes, with its count, every line held back whose last written one is at least
// every old, so that a warning that stopped coming back is still counted within about every.
// all writes every line held back (at shutdown).
func (h *quietHandler) FlushDue(ctx context.Context, all bool) {
	st := h.st
	now := st.now()
	type out struct {
		next slog.Handler
		r    slog.Record
	}
	var due []out
	st.mu.Lock()
	for _, l := range st.seen {
		if l.held > 0 && (all || now.Sub(l.written) >= st.every) {
			r := l.last
			r.AddAttrs(slog.Int("repeated", l.held))
			due = append(due, out{l.next, r})
			l.held, l.written, l.last, l.next = 0, now, slog.Record{}, nil
		}
	}
	st.mu.Unlock()
	for _, d := range due {
		_ = d.next.Handle(ctx, d.r)
	}
}

// run calls FlushDue every st.every until ctx ends, then writes what is left. Owned by cmd/hub's
// run, which waits for it.
func (h *quietHandler) run(ctx context.Context) {
	tick := time.NewTicker(h.st.every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			h.FlushDue(context.WithoutCancel(ctx), true)
			return
		case <-tick.C:
			h.FlushDue(ctx, false)
		}
	}
}

// redisLogger is go-redis's logger (redis.SetLogger): its pool and connection messages go to the
// node's log as warnings, through quietHandler like the rest, instead of straight to stderr.
type redisLogger struct{ log *slog.Logger }

func (l redisLogger) Printf(ctx context.Context, format string, v ...any) {
	l.log.WarnContext(ctx, strings.TrimPrefix(fmt.Sprintf(format, v...), "redis: "), "component", "go-redis")
}
