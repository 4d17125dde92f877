package main

import (
	"os"
	"testing"
	"time"
)

// TestUsageBetween samples this process as a hub, as the store and as the load tool while it
// burns CPU: each share is its CPU over the window, per result in milliseconds, and the machine
// was busy for at least as much.
func TestUsageBetween(t *testing.T) {
	me := os.Getpid()
	w := watched{hubs: []int{me}, store: []int{me}}
	a := takeSample(w)
	for time.Since(a.at) < 300*time.Millisecond {
	}
	b := takeSample(w)
	u := usageBetween(a, b, w, 10)
	if len(u.Hubs) != 1 || len(u.Store) != 1 || u.Hubs[0].PID != me || u.Store[0].PID != me || u.LoadTool.PID != me {
		t.Fatalf("processes: %+v", u)
	}
	for name, c := range map[string]float64{"hub": u.Hubs[0].CPUCores, "store": u.Store[0].CPUCores, "tool": u.LoadTool.CPUCores} {
		if c < 0.5 || c > 1.5 {
			t.Errorf("%s: %.2f cores while spinning one thread", name, c)
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
	if u.MachineCores < u.LoadTool.CPUCores-0.1 {
		t.Errorf("machine busy %.2f cores, less than this process's %.2f", u.MachineCores, u.LoadTool.CPUCores)
	}
	if u.StealCores < 0 {
		t.Errorf("steal unknown: %v", u.StealCores)
	}
	if got := usageBetween(a, b, watched{hubs: []int{me}}, 10); got.Store != nil || got.StoreCPUPerResult != 0 {
		t.Errorf("no --store-pids: store %+v, %.3f ms per result", got.Store, got.StoreCPUPerResult)
	}
}
