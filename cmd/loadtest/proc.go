package main

import (
	"bytes"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/<pid>/stat; 100 on every Linux
// architecture Go supports.
const clockTicks = 100

// cpuTime returns the user+system CPU a process has used.
func cpuTime(pid int) (time.Duration, error) {
	user, system, err := cpuTimes(pid)
	return user + system, err
}

// cpuTimes returns the CPU a process has used in user mode and in the kernel on its behalf (utime
// and stime of /proc/<pid>/stat).
func cpuTimes(pid int) (user, system time.Duration, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, err
	}
	// The command name (field 2) is parenthesised and may hold spaces; fields after it are plain.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, 0, fmt.Errorf("parse /proc/%d/stat", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is field 3 (state); utime is field 14, stime field 15.
	if len(f) < 13 {
		return 0, 0, fmt.Errorf("parse /proc/%d/stat: %d fields", pid, len(f))
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("parse /proc/%d/stat times", pid)
	}
	tick := func(n int64) time.Duration { return time.Duration(n) * time.Second / clockTicks }
	return tick(ut), tick(st), nil
}

// rss returns a process's resident set size in bytes (VmRSS).
func rss(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest)
			if len(f) < 1 {
				break
			}
			kb, err := strconv.ParseInt(f[0], 10, 64)
			if err != nil {
				return 0, err
			}
			return kb << 10, nil
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
}

// cpuOf sums the CPU time of pids.
func cpuOf(pids []int) (time.Duration, error) {
	var sum time.Duration
	for _, p := range pids {
		t, err := cpuTime(p)
		if err != nil {
			return 0, err
		}
		sum += t
	}
	return sum, nil
}

// rssOf sums the RSS of pids.
func rssOf(pids []int) (int64, error) {
	var sum int64
	for _, p := range pids {
		r, err := rss(p)
		if err != nil {
			return 0, err
		}
		sum += r
	}
	return sum, nil
}

// usage is what the machine and the watched processes did over one window of a run: the CPU of
// each hub process (--pids), of the store's (--store-pids: the redis-server every node shares) and
// of the load tool itself, their RSS at its end, the CPU the whole machine was busy for, and the
// CPU time the hypervisor took from this machine's cores (steal), which shows when a run's latency
// says more about the neighbours than about the hub. On one shared machine a result's cost is what
// all of them spend on it: a higher sustained rate needs less of any of them.
type usage struct {
	Seconds float64 `json:"seconds"`
	// Hubs are the processes of --pids, in order.
	Hubs []procUsage `json:"hub_processes"`
	// HubCPUPerResult is the hubs' CPU over results answered in the window, in milliseconds.
	HubCPUPerResult float64 `json:"hub_cpu_ms_per_result"`
	// HubKernelPerResult is the part of HubCPUPerResult the kernel spent on the hubs' behalf
	// (their system time: system calls, and the network stack's work /proc counts for them); the
	// rest is the processes' own work. Two servers whose ratio moves from one kind of machine to
	// another differ here: a cheaper kernel leaves the processes' own work to weigh more.
	HubKernelPerResult float64 `json:"hub_kernel_ms_per_result"`
	// Store are the processes of --store-pids; StoreCPUPerResult as HubCPUPerResult.
	Store             []procUsage `json:"store_processes,omitempty"`
	StoreCPUPerResult float64     `json:"store_cpu_ms_per_result,omitempty"`
	LoadTool          procUsage   `json:"load_tool"`
	LoadCPUPerResult  float64     `json:"load_tool_cpu_ms_per_result"`
	// MachineCores is the CPU every process of the machine was busy for (user, nice, system, irq
	// and softirq of /proc/stat), in cores; -1 when unknown.
	MachineCores float64 `json:"machine_busy_cores"`
	StealCores   float64 `json:"steal_cores"`
}

type procUsage struct {
	PID      int     `json:"pid"`
	CPUCores float64 `json:"cpu_cores"`
	RSSMiB   float64 `json:"rss_mib"`
}

// watched are the processes a run samples besides itself.
type watched struct {
	hubs, store []int
}

// watched are the processes of --pids and --store-pids.
func (c config) watched() watched {
	return watched{hubs: c.pids, store: c.storePIDs}
}

// sample is one reading of what usage compares.
type sample struct {
	at    time.Time
	cpu   []time.Duration // of the hubs, then of the store, then of this process; -1 when unknown
	sys   []time.Duration // the kernel's part of cpu, in the same order; 0 where cpu is unknown
	busy  time.Duration   // of the whole machine, -1 when unknown
	steal time.Duration   // of the whole machine, -1 when unknown
}

func takeSample(w watched) sample {
	s := sample{at: time.Now(), busy: -1, steal: -1}
	for _, p := range slices.Concat(w.hubs, w.store, []int{os.Getpid()}) {
		user, system, err := cpuTimes(p)
		if err != nil {
			user, system = -1, 0
		}
		s.cpu, s.sys = append(s.cpu, user+system), append(s.sys, system)
	}
	if busy, steal, err := machineTimes(); err == nil {
		s.busy, s.steal = busy, steal
	}
	return s
}

// usageBetween compares two samples of w; results is how many results were answered between them.
func usageBetween(a, b sample, w watched, results int64) usage {
	secs := b.at.Sub(a.at).Seconds()
	u := usage{Seconds: secs, MachineCores: -1, StealCores: -1}
	if secs <= 0 {
		return u
	}
	perResult := func(cores float64) float64 {
		if results <= 0 {
			return 0
		}
		return max(cores, 0) * secs * 1000 / float64(results)
	}
	// procs reads pids, whose CPU readings start at a.cpu[first].
	procs := func(pids []int, first int) (out []procUsage, sum float64) {
		for i, p := range pids {
			pu := procUsage{PID: p, CPUCores: -1, RSSMiB: -1}
			if c0, c1 := a.cpu[first+i], b.cpu[first+i]; c0 >= 0 && c1 >= 0 {
				pu.CPUCores = (c1 - c0).Seconds() / secs
			}
			if r, err := rss(p); err == nil {
				pu.RSSMiB = float64(r) / (1 << 20)
			}
			out = append(out, pu)
			sum += max(pu.CPUCores, 0)
		}
		return out, sum
	}
	var hubs, store, self float64
	var tool []procUsage
	u.Hubs, hubs = procs(w.hubs, 0)
	u.Store, store = procs(w.store, len(w.hubs))
	tool, self = procs([]int{os.Getpid()}, len(w.hubs)+len(w.store))
	u.LoadTool = tool[0]
	u.HubCPUPerResult, u.StoreCPUPerResult, u.LoadCPUPerResult = perResult(hubs), perResult(store), perResult(self)
	var kernel float64
	for i := range w.hubs {
		if a.cpu[i] >= 0 && b.cpu[i] >= 0 {
			kernel += (b.sys[i] - a.sys[i]).Seconds() / secs
		}
	}
	u.HubKernelPerResult = perResult(kernel)
	if a.busy >= 0 && b.busy >= 0 {
		u.MachineCores = (b.busy - a.busy).Seconds() / secs
	}
	if a.steal >= 0 && b.steal >= 0 {
		u.StealCores = (b.steal - a.steal).Seconds() / secs
	}
	return u
}

// machineTimes are the machine's busy and steal times so far, from /proc/stat's cpu line: busy is
// user, nice, system, irq and softirq (its first, second, third, sixth and seventh numbers), steal
// its eighth.
func machineTimes() (busy, steal time.Duration, err error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return 0, 0, fmt.Errorf("parse /proc/stat: %q", line)
	}
	var ticks [8]int64
	for i := range ticks {
		if ticks[i], err = strconv.ParseInt(f[i+1], 10, 64); err != nil {
			return 0, 0, fmt.Errorf("parse /proc/stat: %w", err)
		}
	}
	tick := func(n int64) time.Duration { return time.Duration(n) * time.Second / clockTicks }
	return tick(ticks[0] + ticks[1] + ticks[2] + ticks[5] + ticks[6]), tick(ticks[7]), nil
}
