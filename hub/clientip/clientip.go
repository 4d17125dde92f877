// Package clientip finds the address of the client that sent a request, through the proxies the
// node trusts: what the API's rate limit and the sockets' per-address cap count.
package clientip

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Parse parses a comma-separated list of proxy addresses and networks
// ("10.0.0.5, 172.28.0.0/24, fd00::/8") for the trusted proxies of a node. An empty list trusts nobody.
// A single address becomes a one-address network; a network's host bits are cleared.
func Parse(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for entry := range strings.SplitSeq(s, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		if strings.Contains(entry, "/") {
			p, err := netip.ParsePrefix(entry)
			if err != nil {
				return nil, fmt.Errorf("%q is not a network: want an address or a CIDR such as 10.0.0.5 or 172.28.0.0/24", entry)
			}
			if p.Addr().Zone() != "" {
				return nil, fmt.Errorf("%q: a network has no zone; drop the %%%s", entry, p.Addr().Zone())
			}
			out = append(out, unmapPrefix(p).Masked())
			continue
		}
		a, err := netip.ParseAddr(entry)
		if err != nil {
			return nil, fmt.Errorf("%q is not an IP address: want an address or a CIDR such as 10.0.0.5 or 172.28.0.0/24 (names are not resolved)", entry)
		}
		a = a.WithZone("").Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// unmapPrefix turns an IPv4-mapped IPv6 network (::ffff:10.0.0.0/104) into the IPv4 one
// (10.0.0.0/8), so that it matches the unmapped addresses Of compares.
func unmapPrefix(p netip.Prefix) netip.Prefix {
	if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
		return netip.PrefixFrom(a.Unmap(), p.Bits()-96)
	}
	return p
}

// maxClientLen bounds the text Of returns for a malformed X-Forwarded-For entry, which
// becomes a rate-limiter key.
const maxClientLen = 64

// Of is the address of the client that sent r, as the rate limit (and anything else that
// counts per client) must see it. With no trusted proxies it is the connection's address. Behind
// proxies it walks the X-Forwarded-For entries (every such header, in order) from the right,
// starting from the connection's address: while the current hop is a trusted proxy, the entry to
// its left is the hop that proxy saw; the first hop that is not a trusted proxy is the client.
//
// Only the right-hand end of the header can be believed: a client writes whatever it likes
// into the header it sends, and each proxy appends the address it received the request from.
// Taking the first entry, as the hub once did, let a client pick a fresh address per request
// (or spend another client's quota).
//
// A malformed entry (not an address) stops the walk and is returned as it is (at most 64
// bytes): it can only be reached through trusted proxies, so it is the client as they reported
// it. If every hop is trusted, the leftmost is the client.
func Of(r *http.Request, trusted []netip.Prefix) string {
	hop, ok := parseHop(r.RemoteAddr, true)
	if !ok {
		return r.RemoteAddr
	}
	if !isTrusted(hop, trusted) {
		return hop.String()
	}
	xff := r.Header.Values("X-Forwarded-For")
	for i := len(xff) - 1; i >= 0; i-- {
		entries := strings.Split(xff[i], ",")
		for j := len(entries) - 1; j >= 0; j-- {
			entry := strings.TrimSpace(entries[j])
			next, ok := parseHop(entry, false)
			if !ok {
				if len(entry) > maxClientLen {
					entry = entry[:maxClientLen]
				}
				return entry
			}
			hop = next
			if !isTrusted(hop, trusted) {
				return hop.String()
			}
		}
	}
	return hop.String()
}

// parseHop parses a connection address (host:port) or an X-Forwarded-For entry (an address,
// or an address with a port, which some proxies write), without zone and IPv4-mapped form.
func parseHop(s string, hostPort bool) (netip.Addr, bool) {
	if hostPort {
		host, _, err := net.SplitHostPort(s)
		if err != nil {
			return netip.Addr{}, false
		}
		s = host
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		ap, perr := netip.ParseAddrPort(s)
		if perr != nil {
			return netip.Addr{}, false
		}
		a = ap.Addr()
	}
	return a.WithZone("").Unmap(), true
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
