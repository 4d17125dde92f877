package main

import (
	"bytes"
	"encoding/xml"
	"io"
	"strings"
	"testing"
)

// parseXML checks that s is well-formed XML and returns the names of its elements.
func parseXML(t *testing.T, s string) map[string]int {
	t.Helper()
	names := map[string]int{}
	d := xml.NewDecoder(strings.NewReader(s))
	d.Strict = true
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return names
		}
		if err != nil {
			t.Fatalf("not well-formed: %v\n%s", err, s)
		}
		if se, ok := tok.(xml.StartElement); ok {
			names[se.Name.Local]++
		}
	}
}

func TestLatencyChartSVG(t *testing.T) {
	t.Parallel()
	pts := []Point{
		{T: 0, Sent: 100, Acked: 99, N: 300, P50: 1.2, P99: 8.5, Max: 20},
		{T: 1, Sent: 100, Acked: 100, Errs: 3, N: 310, P50: 1.1, P99: 9, Max: 15},
		{T: 2, Sent: 80, Acked: 80}, // a second without deliveries must not break the log axis
		{T: 3, Sent: 100, Acked: 100, N: 290, P50: 0.9, P99: 250, Max: 1200},
	}
	var b bytes.Buffer
	c := latencyChart("title <&> \"quoted\"", "sub", pts)
	if err := c.WriteSVG(&b); err != nil {
		t.Fatal(err)
	}
	s := b.String()
	names := parseXML(t, s)
	if names["svg"] != 1 {
		t.Errorf("got %d svg elements; want 1", names["svg"])
	}
	if names["polyline"] < 5 {
		t.Errorf("got %d polylines; want the latency and rate lines (5)", names["polyline"])
	}
	for _, want := range []string{"p99", "p50", "max", "answered", "title &lt;&amp;&gt;", "1000"} {
		if !strings.Contains(s, want) {
			t.Errorf("chart lacks %q", want)
		}
	}
	for _, bad := range []string{"NaN", "Inf", "http://", "https://"} {
		if bad == "http://" && strings.Count(s, "http://") == 1 && strings.Contains(s, `xmlns="http://www.w3.org/2000/svg"`) {
			continue
		}
		if strings.Contains(s, bad) {
			t.Errorf("chart contains %q", bad)
		}
	}
}

func TestChartEmptyAndHTML(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	if err := latencyChart("empty", "", nil).WriteSVG(&b); err != nil {
		t.Fatal(err)
	}
	parseXML(t, b.String())
	if strings.Contains(b.String(), "NaN") {
		t.Error("empty chart contains NaN")
	}
	b.Reset()
	if err := fanoutChart("fan", "s", []float64{200, 190, 230}).WriteHTML(&b); err != nil {
		t.Fatal(err)
	}
	h := b.String()
	if !strings.HasPrefix(h, "<!doctype html>") || !strings.Contains(h, "<svg") || strings.Contains(h, "<script") {
		t.Errorf("HTML is not a self-contained page with the SVG:\n%s", h)
	}
}

func TestNiceTicks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		lo, hi   float64
		n        int
		first    float64
		lastMin  float64
		maxTicks int
	}{
		{"seconds", 0, 57, 10, 0, 57, 14},
		{"small", 0, 0.9, 5, 0, 0.9, 8},
		{"offset", 3, 1234, 6, 0, 1234, 9},
	}
	for _, tc := range tests {
		got := niceTicks(tc.lo, tc.hi, tc.n)
		if got[0] > tc.lo || got[0] != tc.first || got[len(got)-1] < tc.lastMin || len(got) > tc.maxTicks {
			t.Errorf("%s: niceTicks(%v, %v, %d) = %v", tc.name, tc.lo, tc.hi, tc.n, got)
		}
	}
}

func TestFieldScan(t *testing.T) {
	t.Parallel()
	msg := []byte(`{"type":"event","tournament":"t_1","epoch":"e_2","version":18,"events":[{"type":"match_ready","match":{"id":9,"version":3}}]}`)
	if got := fieldString(msg, "type"); got != "event" {
		t.Errorf("type = %q; want event", got)
	}
	if got := fieldString(msg, "tournament"); got != "t_1" {
		t.Errorf("tournament = %q; want t_1", got)
	}
	if got := fieldInt(msg, "version"); got != 18 {
		t.Errorf("version = %d; want 18", got)
	}
	if got := fieldString(msg, "ref"); got != "" {
		t.Errorf("ref = %q; want empty", got)
	}
	if got := fieldInt([]byte(`{"type":"pong"}`), "version"); got != -1 {
		t.Errorf("missing version = %d; want -1", got)
	}
}

func TestCheckTarget(t *testing.T) {
	t.Parallel()
	tests := []struct {
		base   string
		remote bool
		ok     bool
	}{
		{"http://127.0.0.1:8080", false, true},
		{"http://127.0.0.5:8080", false, true},
		{"http://localhost:8080", false, true},
		{"http://[::1]:8080", false, true},
		{"http://10.0.0.1:8080", false, false},
		{"http://example.com", false, false},
		{"http://example.com", true, true},
		{"ftp://127.0.0.1", false, false},
	}
	for _, tc := range tests {
		err := checkTarget(tc.base, tc.remote)
		if (err == nil) != tc.ok {
			t.Errorf("checkTarget(%q, %v) = %v; want ok=%v", tc.base, tc.remote, err, tc.ok)
		}
	}
}
