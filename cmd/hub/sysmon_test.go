package main

import (
	"bytes"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tourhub/tourhub/internal/proctest"
)

func TestWithSysmonSetting(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		env    []string
		want   string // GODEBUG afterwards
		change bool
	}{
		{[]string{"PATH=/bin"}, sysmonSetting, true},
		{[]string{"GODEBUG=http2client=0", "PATH=/bin"}, "http2client=0," + sysmonSetting, true},
		{[]string{"GODEBUG="}, sysmonSetting, true},
		{[]string{"GODEBUG=schedtrace=0"}, "schedtrace=0", false},
		{[]string{"GODEBUG=gctrace=1, schedtrace=1000"}, "gctrace=1, schedtrace=1000", false},
		{[]string{"GODEBUG=myschedtrace=1"}, "myschedtrace=1," + sysmonSetting, true},
	} {
		env, change := withSysmonSetting(tc.env)
		got := ""
		for _, kv := range env {
			if v, ok := strings.CutPrefix(kv, "GODEBUG="); ok {
				got = v
			}
		}
		if got != tc.want || change != tc.change || !slices.Contains(env, "PATH=/bin") && slices.Contains(tc.env, "PATH=/bin") {
			t.Errorf("withSysmonSetting(%q) = %q, %v; want GODEBUG=%q, %v", tc.env, env, change, tc.want, tc.change)
		}
	}
}

// TestHubRunsWithSysmonSetting: the real binary starts itself again with the setting (the
// process that listens is the one started, its environment has the setting), and leaves an
// operator's own schedtrace alone.
func TestHubRunsWithSysmonSetting(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc/PID/environ")
	}
	t.Parallel()
	bin := proctest.Build(t, proctest.Hub)
	for _, tc := range []struct{ godebug, want string }{
		{"", sysmonSetting},
		{"schedtrace=0", "schedtrace=0"},
	} {
		env := slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "GODEBUG=") })
		if tc.godebug != "" {
			env = append(env, "GODEBUG="+tc.godebug)
		}
		cmd := exec.Command(bin, "--addr", "127.0.0.1:0", "--secret", testSecret)
		cmd.Env = env
		var out proctest.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		proctest.OrphanGuard(cmd)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(30 * time.Second)
		for !strings.Contains(out.String(), "listening on ") {
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				t.Fatalf("GODEBUG=%q: no listening line:\n%s", tc.godebug, out.String())
			}
			time.Sleep(10 * time.Millisecond)
		}
		environ, err := os.ReadFile("/proc/" + strconv.Itoa(cmd.Process.Pid) + "/environ")
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for kv := range bytes.SplitSeq(environ, []byte{0}) {
			if v, ok := bytes.CutPrefix(kv, []byte("GODEBUG=")); ok {
				got = append(got, string(v))
			}
		}
		if len(got) != 1 || got[0] != tc.want {
			t.Errorf("started with GODEBUG=%q: the listening process has GODEBUG %q; want %q", tc.godebug, got, tc.want)
		}
		if strings.Contains(out.String(), "could not start again") {
			t.Errorf("GODEBUG=%q: %s", tc.godebug, out.String())
		}
	}
}
