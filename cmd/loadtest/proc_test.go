package main

import (
	"os"
	"runtime"
	"slices"
	"testing"
	"time"
)

// TestUsageBetween samples this process as a hub, as the store and as the load tool while it
// burns 0.2 s of CPU (as /proc counts it, however busy the machine is): each share is that CPU
// over the window, per result in milliseconds, and the machine was busy for at least as much.
func TestUsageBetween(t *testing.T) {
	me := os.Getpid()
	w := watched{hubs: []int{me}, store: []int{me}}
	a := takeSample(w)
	const burn = 200 * time.Millisecond
	// The sample read this process three times, maybe on either side of a clock tick: burn from
	// the last (highest) reading, so that each of the three shares counts all of burn.
	from := slices.Max(a.cpu)
	for deadline := time.Now().Add(time.Minute); ; {
		if c, err := cpuTime(me); err != nil || c-from >= burn || time.Now().After(deadline) {
			break
		}
	}
	b := takeSample(w)
	u := usageBetween(a, b, w, 10)
	if len(u.Hubs) != 1 || len(u.Store) != 1 || u.Hubs[0].PID != me || u.Store[0].PID != me || u.LoadTool.PID != me {
		t.Fatalf("processes: %+v", u)
	}
	for name, c := range map[string]float64{"hub": u.Hubs[0].CPUCores, "store": u.Store[0].CPUCores, "tool": u.LoadTool.CPUCores} {
		// The test binary may run other threads (the race detector's, the collector's) beside
		// the spinning one, so the share has a floor and no ceiling but the machine's.
		if cpu := c * u.Seconds; cpu < burn.Seconds()-1e-6 || c > float64(runtime.NumCPU())+0.5 {
			t.Errorf("%s: %.2f cores over %.2f s (%.3f s of CPU) while burning %v", name, c, u.Seconds, cpu, burn)
		}
	}
	for name, c := range map[string][2]float64{
		"hub":   {u.HubCPUPerResult, u.Hubs[0].CPUCores},
		"store": {u.StoreCPUPerResult, u.Store[0].CPUCores},
		"tool":  {u.LoadCPUPerResult, u.LoadTool.CPUCores},
	} {
		// Each of the three readings of this process may fall on either side of a clock tick.
		if want := c[1] * u.Seconds * 1000 / 10; c[0] != want {
			t.Errorf("%s per result %.3f ms, want %.3f", name, c[0], want)
		}
	}
	if busy, own := u.MachineCores*u.Seconds, u.LoadTool.CPUCores*u.Seconds; busy < own-0.05 {
		t.Errorf("machine busy %.3f s of CPU, less than this process's %.3f s", busy, own)
	}
	if u.StealCores < 0 {
		t.Errorf("steal unknown: %v", u.StealCores)
	}
	if got := usageBetween(a, b, watched{hubs: []int{me}}, 10); got.Store != nil || got.StoreCPUPerResult != 0 {
		t.Errorf("no --store-pids: store %+v, %.3f ms per result", got.Store, got.StoreCPUPerResult)
	}
}
