package api_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/tourhub/tourhub/hub/api"
	"github.com/tourhub/tourhub/hub/clientip"
)

// TestHTTPRateLimitPerForwardedClient runs the rate limit behind a trusted proxy (the test
// client's own 127.0.0.1 stands for it): the client is the address the proxy appended, whatever
// the client wrote in front of it.
func TestHTTPRateLimitPerForwardedClient(t *testing.T) {
	t.Parallel()
	trusted, err := clientip.Parse("127.0.0.1, ::1")
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, api.Config{RatePerSec: 0.001, Burst: 2, TrustedProxies: trusted})
	get := func(xff string) int {
		t.Helper()
		req, _ := http.NewRequestWithContext(t.Context(), "GET", e.http.URL+"/api/tournaments", nil)
		req.Header.Set("X-Forwarded-For", xff)
		resp, err := e.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	// 203.0.113.1 makes up a new first entry on every request: it still has its burst of 2, and
	// the made-up addresses get nothing of their own.
	for i := range 6 {
		want := http.StatusOK
		if i >= 2 {
			want = http.StatusTooManyRequests
		}
		if got := get(fmt.Sprintf("198.51.100.%d, 203.0.113.1", i+1)); got != want {
			t.Errorf("request %d of 203.0.113.1 with a made-up first entry: %d; want %d", i+1, got, want)
		}
	}
	// 203.0.113.2 wrote 203.0.113.3 in front of itself: it spends its own quota, not 203.0.113.3's.
	for i := range 3 {
		want := http.StatusOK
		if i >= 2 {
			want = http.StatusTooManyRequests
		}
		if got := get("203.0.113.3, 203.0.113.2"); got != want {
			t.Errorf("request %d of 203.0.113.2 posing as 203.0.113.3: %d; want %d", i+1, got, want)
		}
	}
	for i := range 2 {
		if got := get("203.0.113.3"); got != http.StatusOK {
			t.Errorf("request %d of 203.0.113.3 after another posed as it: %d; want 200", i+1, got)
		}
	}
}
