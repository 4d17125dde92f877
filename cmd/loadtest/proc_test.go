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

// TestUsageKernelPart: the hubs' CPU per result carries the kernel's part of it, their system
// time. A process that makes system calls until the kernel has spent 0.1 s on it has at least
// that part; one that spins in its own code has most of its CPU outside the kernel. Both as /proc
// counts it, at clock ticks, however busy the machine is.
func TestUsageKernelPart(t *testing.T) {
	me := os.Getpid()
	w := watched{hubs: []int{me}}
	burn := func(what string, enough func(user, system time.Duration) bool, work func()) usage {
		t.Helper()
		a := takeSample(w)
		u0, s0, err := cpuTimes(me)
		if err != nil {
			t.Fatal(err)
		}
		for deadline := time.Now().Add(time.Minute); ; {
			u1, s1, err := cpuTimes(me)
			if err != nil {
				t.Fatal(err)
			}
			if enough(u1-u0, s1-s0) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: %v user and %v system after a minute", what, u1-u0, s1-s0)
			}
			work()
		}
		return usageBetween(a, takeSample(w), w, 10)
	}
	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer devnull.Close()
	const enough = 100 * time.Millisecond
	calls := burn("system calls", func(_, system time.Duration) bool { return system >= enough }, func() {
		for range 1000 {
			if _, err := devnull.Write([]byte{0}); err != nil {
				t.Fatal(err)
			}
		}
	})
	if kernel := calls.HubKernelPerResult * 10 / 1000; kernel < enough.Seconds()-1e-6 || calls.HubKernelPerResult > calls.HubCPUPerResult {
		t.Errorf("system calls: the kernel's %.3f of %.3f ms per result over 10 results; want at least %v in all and no more than the whole",
			calls.HubKernelPerResult, calls.HubCPUPerResult, enough)
	}
	x := 0
	spin := burn("spinning", func(user, _ time.Duration) bool { return user >= 2*enough }, func() {
		for i := range 1_000_000 {
			x += i
		}
	})
	_ = x
	if spin.HubKernelPerResult < 0 || spin.HubKernelPerResult > spin.HubCPUPerResult/2 {
		t.Errorf("spinning: the kernel's %.3f of %.3f ms per result; want under half", spin.HubKernelPerResult, spin.HubCPUPerResult)
	}
}
