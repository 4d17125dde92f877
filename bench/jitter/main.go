// Command jitter measures how much this machine stalls a process that does nothing: it sleeps
// 1 ms at a time for --duration and reports how late it woke up (p50, p99, p99.9, max) and how
// many times over 20 ms. Run it next to a benchmark: a latency tail no longer than the machine's
// own stalls is the machine's, not the program's (a VM's host can stop it for tens of
// milliseconds without reporting steal time).
package main

import (
	"flag"
	"fmt"
	"slices"
	"time"
)

func main() {
	d := flag.Duration("duration", 20*time.Second, "how long to measure")
	flag.Parse()
	var late []time.Duration
	for end := time.Now().Add(*d); time.Now().Before(end); {
		t := time.Now()
		time.Sleep(time.Millisecond)
		late = append(late, time.Since(t)-time.Millisecond)
	}
	slices.Sort(late)
	n := len(late)
	q := func(p float64) float64 { return float64(late[min(n-1, int(p*float64(n)))].Microseconds()) / 1000 }
	over := n - sort20(late)
	fmt.Printf("machine stalls: %d sleeps of 1 ms woke late by p50 %.1f ms, p99 %.1f ms, p99.9 %.1f ms, max %.1f ms; %d times over 20 ms\n",
		n, q(.5), q(.99), q(.999), q(1), over)
}

// sort20 is the index of the first of the sorted late that is over 20 ms.
func sort20(late []time.Duration) int {
	i, _ := slices.BinarySearch(late, 20*time.Millisecond+1)
	return i
}
