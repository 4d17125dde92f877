package main

import (
	"context"
	"testing"
	"time"
)

// TestCancelledSendKeepsTheSocket: a message whose step was cancelled (the run ending, or another
// socket of its setup failing) is not written, and the socket stays open: the websocket package
// closes a connection whose write is cut short by its context, which the reader would count as a
// socket the server dropped (closed_no_code). Against a real hub.
func TestCancelledSendKeepsTheSocket(t *testing.T) {
	t.Parallel()
	base, _ := startHub(t)
	st := newStats(1)
	d := newDialer(t.Context(), nil, "")
	defer d.close()
	c, err := d.dialConn(t.Context(), []string{base}, 0, nil, st)
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	gone, cancel := context.WithCancel(t.Context())
	cancel()
	// The websocket package picks at random between a cancelled context and a free lock, so one
	// try would close the socket only now and then.
	for range 50 {
		if _, err := c.request(gone, map[string]any{"type": "ping"}, 5*time.Second); err == nil {
			t.Fatal("a request with a cancelled context was sent")
		}
	}
	if _, err := c.request(t.Context(), map[string]any{"type": "ping"}, 5*time.Second); err != nil {
		t.Fatalf("ping after the cancelled request: %v", err)
	}
	if n := st.dropped.Load(); n != 0 {
		t.Errorf("%d sockets counted as dropped; want 0", n)
	}
}
