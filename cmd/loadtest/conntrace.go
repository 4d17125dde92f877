package main

import (
	"fmt"
	"net/http/httptrace"
	"strings"
	"sync"
	"time"
)

// connTrace notes what happened to one API request's connection (net/http/httptrace), so that a
// request that fails without an answer (a bare EOF: the server closed the connection) says
// whether the connection was new or reused, how long it had been idle, whether the request was
// written, and how long after that it failed. Its hooks run on the transport's goroutines.
type connTrace struct {
	mu      sync.Mutex
	start   time.Time
	got     bool
	reused  bool
	idle    time.Duration // how long a reused connection had been idle
	local   string        // the connection's local address
	wrote   time.Duration // when the request was written, from start (0: not written)
	wroteTo error         // the write's error
	first   bool          // a response byte arrived
}

func newConnTrace() *connTrace { return &connTrace{start: time.Now()} }

func (t *connTrace) hooks() *httptrace.ClientTrace {
	return &httptrace.ClientTrace{
		GotConn: func(i httptrace.GotConnInfo) {
			t.mu.Lock()
			defer t.mu.Unlock()
			t.got, t.reused, t.idle = true, i.Reused, i.IdleTime
			if i.Conn != nil {
				t.local = i.Conn.LocalAddr().String()
			}
		},
		WroteRequest: func(i httptrace.WroteRequestInfo) {
			t.mu.Lock()
			defer t.mu.Unlock()
			t.wrote, t.wroteTo = time.Since(t.start), i.Err
		},
		GotFirstResponseByte: func() {
			t.mu.Lock()
			defer t.mu.Unlock()
			t.first = true
		},
	}
}

// String describes the connection's story, for an error message.
func (t *connTrace) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var b strings.Builder
	switch {
	case !t.got:
		b.WriteString("no connection")
	case t.reused:
		fmt.Fprintf(&b, "a reused connection from %s, idle %s before", t.local, t.idle.Round(time.Millisecond))
	default:
		fmt.Fprintf(&b, "a new connection from %s", t.local)
	}
	switch {
	case t.wrote == 0:
		b.WriteString("; the request was not written")
	case t.wroteTo != nil:
		fmt.Fprintf(&b, "; writing the request failed after %s: %v", t.wrote.Round(time.Millisecond), t.wroteTo)
	default:
		fmt.Fprintf(&b, "; the request was written after %s", t.wrote.Round(time.Millisecond))
	}
	if t.first {
		b.WriteString("; part of an answer arrived")
	} else {
		b.WriteString("; no answer arrived")
	}
	fmt.Fprintf(&b, "; failed %s after the start", time.Since(t.start).Round(time.Millisecond))
	return b.String()
}
