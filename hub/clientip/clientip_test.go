package clientip_test

import (
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/tourhub/tourhub/hub/clientip"
)

func TestParse(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, in string
		want     []string // netip.Prefix.String of each
		err      string   // part of the error; empty: no error
	}{
		{"empty trusts nobody", "", nil, ""},
		{"blanks and stray commas", " , ,", nil, ""},
		{"one address", "10.0.0.5", []string{"10.0.0.5/32"}, ""},
		{"address and networks", "10.0.0.5, 172.28.0.0/24,fd00::/8", []string{"10.0.0.5/32", "172.28.0.0/24", "fd00::/8"}, ""},
		{"host bits cleared", "172.28.0.9/24", []string{"172.28.0.0/24"}, ""},
		{"IPv6 address", "::1", []string{"::1/128"}, ""},
		{"IPv4-mapped address", "::ffff:10.0.0.5", []string{"10.0.0.5/32"}, ""},
		{"IPv4-mapped network", "::ffff:10.0.0.0/104", []string{"10.0.0.0/8"}, ""},
		{"a name", "haproxy", nil, `"haproxy" is not an IP address`},
		{"address with port", "10.0.0.5:8080", nil, `"10.0.0.5:8080" is not an IP address`},
		{"bad network", "10.0.0.0/33", nil, `"10.0.0.0/33" is not a network`},
		{"true, the old boolean", "true", nil, `"true" is not an IP address`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := clientip.Parse(tc.in)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), "CIDR") {
					t.Fatalf("Parse(%q): err %v; want one with %q that says what to write", tc.in, err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.in, err)
			}
			var gotS []string
			for _, p := range got {
				gotS = append(gotS, p.String())
			}
			if !slices.Equal(gotS, tc.want) {
				t.Errorf("Parse(%q) = %v; want %v", tc.in, gotS, tc.want)
			}
		})
	}
}

func TestOf(t *testing.T) {
	t.Parallel()
	proxies := func(s string) []netip.Prefix {
		p, err := clientip.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	const lb = "172.28.0.10"
	for _, tc := range []struct {
		name    string
		trusted string
		remote  string
		xff     []string // X-Forwarded-For headers, in order
		want    string
	}{
		{"no proxies: the connection", "", "203.0.113.7:5000", nil, "203.0.113.7"},
		{"no proxies: the header is ignored", "", "203.0.113.7:5000", []string{"198.51.100.1"}, "203.0.113.7"},
		{"untrusted peer: the header is ignored", lb, "203.0.113.7:5000", []string{"198.51.100.1"}, "203.0.113.7"},
		{"behind the proxy", lb, lb + ":40000", []string{"203.0.113.7"}, "203.0.113.7"},
		{"a made-up entry before the real one", lb, lb + ":40000", []string{"198.51.100.1, 203.0.113.7"}, "203.0.113.7"},
		{"a made-up header before the proxy's", lb, lb + ":40000", []string{"198.51.100.1", "203.0.113.7"}, "203.0.113.7"},
		{"the header split by the proxy", lb, lb + ":40000", []string{"198.51.100.1,203.0.113.7", "10.1.1.1"}, "10.1.1.1"},
		{"two trusted proxies", lb + ",10.0.0.0/8", lb + ":40000", []string{"198.51.100.1, 203.0.113.7, 10.2.3.4"}, "203.0.113.7"},
		{"trusted peer without the header", lb, lb + ":40000", nil, lb},
		{"every hop trusted: the leftmost", lb + ",10.0.0.0/8", lb + ":40000", []string{"10.0.0.1, 10.0.0.2"}, "10.0.0.1"},
		{"malformed entry reached through the proxy", lb, lb + ":40000", []string{"203.0.113.7, unknown"}, "unknown"},
		{"malformed entry left of the client", lb, lb + ":40000", []string{"garbage, 203.0.113.7"}, "203.0.113.7"},
		{"empty entry", lb, lb + ":40000", []string{"203.0.113.7,"}, ""},
		{"long malformed entry is cut", lb, lb + ":40000", []string{strings.Repeat("x", 500)}, strings.Repeat("x", 64)},
		{"entry with a port", lb, lb + ":40000", []string{"203.0.113.7:1234"}, "203.0.113.7"},
		{"IPv6 client", lb, lb + ":40000", []string{"2001:db8::1"}, "2001:db8::1"},
		{"IPv6 proxy", "::1", "[::1]:40000", []string{"203.0.113.7"}, "203.0.113.7"},
		{"IPv4-mapped connection", lb, "[::ffff:" + lb + "]:40000", []string{"203.0.113.7"}, "203.0.113.7"},
		{"IPv4-mapped entry", lb, lb + ":40000", []string{"::ffff:203.0.113.7"}, "203.0.113.7"},
		{"proxy network", "172.28.0.0/24", "172.28.0.99:40000", []string{"203.0.113.7"}, "203.0.113.7"},
		{"connection address without a port", lb, "pipe", []string{"203.0.113.7"}, "pipe"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := http.NewRequest(http.MethodGet, "http://hub/api/tournaments", nil)
			if err != nil {
				t.Fatal(err)
			}
			r.RemoteAddr = tc.remote
			for _, h := range tc.xff {
				r.Header.Add("X-Forwarded-For", h)
			}
			if got := clientip.Of(r, proxies(tc.trusted)); got != tc.want {
				t.Errorf("Of(remote %s, X-Forwarded-For %q, trusted %q) = %q; want %q", tc.remote, tc.xff, tc.trusted, got, tc.want)
			}
		})
	}
}
