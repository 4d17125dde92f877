package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// TestConnTraceOnEOF: a request that a server answers by closing the connection (a bare EOF)
// fails with the connection's story: reused, the request written, no answer.
func TestConnTraceOnEOF(t *testing.T) {
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{}`))
			return
		}
		c, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		c.Close() // no answer
	}))
	defer srv.Close()
	a := &api{st: &stats{}}
	client := srv.Client()
	ctx := context.Background()
	if err := a.do(ctx, client, http.MethodPost, srv.URL+"/one", "", map[string]any{"name": "a"}, nil); err != nil {
		t.Fatalf("first request: %v", err)
	}
	err := a.do(ctx, client, http.MethodPost, srv.URL+"/two", "", map[string]any{"name": "b"}, nil)
	if err == nil {
		t.Fatal("a request answered by a closed connection succeeded")
	}
	t.Logf("the error: %v", err)
	for _, want := range []string{"EOF", "a reused connection from 127.0.0.1:", "the request was written after", "no answer arrived"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

// TestConnTraceNoConnection: a request that never got a connection says so.
func TestConnTraceNoConnection(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there now
	a := &api{st: &stats{}}
	err := a.do(context.Background(), http.DefaultClient, http.MethodGet, url+"/x", "", nil, nil)
	if err == nil || !strings.Contains(err.Error(), "no connection; the request was not written; no answer arrived") {
		t.Errorf("error %v does not say that no connection was made", err)
	}
}
