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
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) is parenthesised and may hold spaces; fields after it are plain.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("parse /proc/%d/stat", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is field 3 (state); utime is field 14, stime field 15.
	if len(f) < 13 {
		return 0, fmt.Errorf("parse /proc/%d/stat: %d fields", pid, len(f))
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("parse /proc/%d/stat times", pid)
	}
	return time.Duration(ut+st) * time.Second / clockTicks, nil
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
// each hub process (--pids) and of the load tool itself, their RSS at its end, and the CPU time
// the hypervisor took from this machine's cores (steal), which shows when a run's latency says
// more about the neighbours than about the hub.
type usage struct {
	Seconds float64 `json:"seconds"`
	// Hubs are the processes of --pids, in order.
	Hubs []procUsage `json:"hub_processes"`
	// HubCPUPerResult is the hubs' CPU over results answered in the window, in milliseconds.
	HubCPUPerResult  float64   `json:"hub_cpu_ms_per_result"`
	LoadTool         procUsage `json:"load_tool"`
	LoadCPUPerResult float64   `json:"load_tool_cpu_ms_per_result"`
	StealCores       float64   `json:"steal_cores"`
}

type procUsage struct {
	PID      int     `json:"pid"`
	CPUCores float64 `json:"cpu_cores"`
	RSSMiB   float64 `json:"rss_mib"`
}

// sample is one reading of what usage compares.
type sample struct {
	at    time.Time
	cpu   []time.Duration // of the pids, then of this process
	steal time.Duration   // of the whole machine, -1 when unknown
}

func takeSample(pids []int) sample {
	s := sample{at: time.Now(), steal: -1}
	for _, p := range append(slices.Clone(pids), os.Getpid()) {
		t, err := cpuTime(p)
		if err != nil {
			t = -1
		}
		s.cpu = append(s.cpu, t)
	}
	if st, err := stealTime(); err == nil {
		s.steal = st
	}
	return s
}

// usageBetween compares two samples; results is how many results were answered between them.
func usageBetween(a, b sample, pids []int, results int64) usage {
	secs := b.at.Sub(a.at).Seconds()
	u := usage{Seconds: secs, StealCores: -1}
	if secs <= 0 {
		return u
	}
	cores := func(i int) float64 {
		if a.cpu[i] < 0 || b.cpu[i] < 0 {
			return -1
		}
		return (b.cpu[i] - a.cpu[i]).Seconds() / secs
	}
	var hub float64
	for i, p := range pids {
		pu := procUsage{PID: p, CPUCores: cores(i), RSSMiB: -1}
		if r, err := rss(p); err == nil {
			pu.RSSMiB = float64(r) / (1 << 20)
		}
		u.Hubs = append(u.Hubs, pu)
		hub += max(pu.CPUCores, 0)
	}
	u.LoadTool = procUsage{PID: os.Getpid(), CPUCores: cores(len(pids)), RSSMiB: -1}
	if r, err := rss(os.Getpid()); err == nil {
		u.LoadTool.RSSMiB = float64(r) / (1 << 20)
	}
	if results > 0 {
		u.HubCPUPerResult = hub * secs * 1000 / float64(results)
		u.LoadCPUPerResult = max(u.LoadTool.CPUCores, 0) * secs * 1000 / float64(results)
	}
	if a.steal >= 0 && b.steal >= 0 {
		u.StealCores = (b.steal - a.steal).Seconds() / secs
	}
	return u
}

// stealTime is the machine's steal time so far (the eighth number of /proc/stat's cpu line).
func stealTime() (time.Duration, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return 0, fmt.Errorf("parse /proc/stat: %q", line)
	}
	v, err := strconv.ParseInt(f[8], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("parse /proc/stat steal: %w", err)
	}
	return time.Duration(v) * time.Second / clockTicks, nil
}
