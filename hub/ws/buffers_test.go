package ws

import (
	"testing"
	"time"
)

// TestFirstPingSpread: sockets that connect together do not ping together: the first ping falls
// anywhere in the second half of the interval.
func TestFirstPingSpread(t *testing.T) {
	every := 20 * time.Second
	seen := map[time.Duration]bool{}
	lo, hi := every, time.Duration(0)
	for range 1000 {
		d := firstPing(every)
		if d < every/2 || d > every {
			t.Fatalf("first ping after %v; want within [%v, %v]", d, every/2, every)
		}
		seen[d] = true
		lo, hi = min(lo, d), max(hi, d)
	}
	if len(seen) < 900 || hi-lo < every/3 {
		t.Errorf("%d distinct first pings spanning %v; want them spread over the half interval", len(seen), hi-lo)
	}
}
