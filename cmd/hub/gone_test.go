package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tourhub/tourhub/internal/redistest"
)

// TestClientGoneIsNotAnError: a request whose client goes away before the node has answered it
// (here: it waits for its tournament's turn behind a join that waits for a paused Redis) is
// counted as cancelled. It is neither an internal error in the log nor a store error in the
// metrics, and it leaves the node answering: the real binary's run, on a real redis-server.
func TestClientGoneIsNotAnError(t *testing.T) {
	t.Parallel()
	rs := redistest.Start(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--addr", "127.0.0.1:0", "--redis", rs.URL(), "--log-level", "info"},
			envOf(map[string]string{"HUB_SECRET": testSecret}), pw)
		pw.Close()
	}()
	var mu sync.Mutex
	var out strings.Builder // everything the node wrote
	listening := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			l := sc.Text()
			mu.Lock()
			out.WriteString(l + "\n")
			mu.Unlock()
			if a, ok := strings.CutPrefix(l, "listening on "); ok {
				listening <- a
			}
		}
	}()
	var base string
	select {
	case a := <-listening:
		base = "http://" + a
	case err := <-done:
		t.Fatalf("run ended before listening: %v", err)
	case <-time.After(15 * time.Second):
		t.Fatal("no listening line")
	}
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			t.Error("run did not return after cancel")
		}
	})

	post := func(c *http.Client, path string, body any) (int, []byte, error) {
		b, _ := json.Marshal(body)
		resp, err := c.Post(base+path, "application/json", bytes.NewReader(b))
		if err != nil {
			return 0, nil, err
		}
		defer resp.Body.Close()
		rb, err := io.ReadAll(resp.Body)
		return resp.StatusCode, rb, err
	}
	patient := &http.Client{Timeout: 10 * time.Second}
	code, body, err := post(patient, "/api/tournaments", map[string]any{"name": "Gone", "format": "single_elimination"})
	if err != nil || code != http.StatusCreated {
		t.Fatalf("create: %d %s %v", code, body, err)
	}
	var created struct {
		Tournament struct {
			ID string `json:"id"`
		} `json:"tournament"`
	}
	if err := json.Unmarshal(body, &created); err != nil || created.Tournament.ID == "" {
		t.Fatalf("create answered %s: %v", body, err)
	}
	join := "/api/tournaments/" + created.Tournament.ID + "/players"

	// The first join holds the tournament's turn while Redis does not answer; the second waits
	// for the turn, and its client gives up. Redis is paused for well under go-redis's read
	// timeout, so the first join is answered once it resumes.
	rs.Pause()
	first := make(chan int, 1)
	go func() {
		code, _, _ := post(patient, join, map[string]any{"name": "Ada"})
		first <- code
	}()
	time.Sleep(200 * time.Millisecond)
	hasty := &http.Client{Timeout: 300 * time.Millisecond}
	if code, body, err := post(hasty, join, map[string]any{"name": "Grace"}); err == nil {
		t.Fatalf("the hasty join was answered while Redis was paused: %d %s", code, body)
	}
	time.Sleep(100 * time.Millisecond) // the node notices the closed connection
	rs.Resume()
	if code := <-first; code != http.StatusCreated {
		t.Fatalf("the first join: %d; want 201", code)
	}

	metric := func(name string) string {
		t.Helper()
		resp, err := patient.Get(base + "/metrics")
		if err != nil {
			t.Fatalf("GET /metrics: %v", err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var lines []string
		for l := range strings.SplitSeq(string(b), "\n") {
			if strings.HasPrefix(l, name) {
				lines = append(lines, l)
			}
		}
		return strings.Join(lines, "\n")
	}
	const cancelled = `tourhub_commands_total{outcome="canceled",type="join"} 1`
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(metric("tourhub_commands_total"), cancelled) {
		if time.Now().After(deadline) {
			t.Fatalf("no %s; the commands counted:\n%s", cancelled, metric("tourhub_commands_total"))
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got := metric("tourhub_store_errors_total"); got != "" {
		t.Errorf("a cancelled request counted as a store error:\n%s", got)
	}
	if code, body, err := post(patient, join, map[string]any{"name": "Grace"}); err != nil || code != http.StatusCreated {
		t.Errorf("a join after the cancelled one: %d %s %v; want 201", code, body, err)
	}
	mu.Lock()
	logged := out.String()
	mu.Unlock()
	if strings.Contains(logged, "level=ERROR") {
		t.Errorf("a cancelled request was logged as an error:\n%s", logged)
	}
}
