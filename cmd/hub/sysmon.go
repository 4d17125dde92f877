package main

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"syscall"
)

// Go's runtime has a monitor thread, sysmon. When every processor of the process is idle it
// sleeps until the next system call wakes it, and then it polls every 20 µs for at least a
// millisecond before it backs off again. A hub node goes idle and busy again hundreds of times a
// second under load (each message read, each Redis reply, each delivery), so that monitor was
// woken for nearly every one of them. Those wake-ups were about half of a node's thread switches
// and 12% of its CPU per result (bench/results/2026-12-05T1920Z-profiles).
//
// GODEBUG's schedtrace setting keeps sysmon out of that deep sleep: it then backs off to one look
// every 10 ms while nothing happens, as it already does while the node is busy. With the largest
// value its trace is printed at most once every 24.8 days (and with the stacks of a crash). The
// runtime reads GODEBUG only as a process starts, so main starts the hub again with it (exec:
// the same process, id and arguments) unless GODEBUG already sets schedtrace: the operator's
// choice wins, and GODEBUG=schedtrace=0 runs the node with Go's default.
const sysmonSetting = "schedtrace=2147483647"

// withSysmonSetting returns env with sysmonSetting added to GODEBUG, and false when GODEBUG
// already sets schedtrace (env is then returned as it is).
func withSysmonSetting(env []string) ([]string, bool) {
	out := make([]string, 0, len(env)+1)
	godebug := ""
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "GODEBUG="); ok {
			godebug = v
			continue
		}
		out = append(out, kv)
	}
	for s := range strings.SplitSeq(godebug, ",") {
		if k, _, _ := strings.Cut(s, "="); strings.TrimSpace(k) == "schedtrace" {
			return env, false
		}
	}
	if godebug != "" {
		godebug += ","
	}
	return append(out, "GODEBUG="+godebug+sysmonSetting), true
}

// execWithSysmonSetting replaces the process with the same program run with sysmonSetting in
// GODEBUG, unless GODEBUG sets schedtrace already. It returns only when it did not replace it: a
// failure is written to stderr and the node runs with Go's default.
func execWithSysmonSetting() {
	switch runtime.GOOS {
	case "linux", "darwin", "freebsd", "openbsd", "netbsd", "dragonfly":
	default:
		return // no exec (Windows): Go's default, without a warning at every start
	}
	env, change := withSysmonSetting(os.Environ())
	if !change {
		return
	}
	exe, err := os.Executable()
	if err == nil {
		err = syscall.Exec(exe, os.Args, env)
	}
	fmt.Fprintf(os.Stderr, "hub: could not start again with GODEBUG=%s (%v): Go's runtime keeps its default, which costs more CPU under load\n", sysmonSetting, err)
}
