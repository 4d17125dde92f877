package proctest

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// Metric reads the sample name (with its labels, as /metrics writes them:
// `tourhub_ws_messages_in_total{type="join"}`) from the node at base; ok is false when the node
// has no such sample. A failed request or a value that is not a number fails the test.
func Metric(ctx context.Context, t testing.TB, base, name string) (v float64, ok bool) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s/metrics: %v", base, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s/metrics: %v", base, err)
	}
	for line := range strings.SplitSeq(string(body), "\n") {
		if s, found := strings.CutPrefix(line, name+" "); found {
			if v, err = strconv.ParseFloat(s, 64); err != nil {
				t.Fatalf("%s/metrics: %q", base, line)
			}
			return v, true
		}
	}
	return 0, false
}
