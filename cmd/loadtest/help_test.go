package main

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/tourhub/tourhub/internal/proctest"
)

// TestHelpExamplesParse: --help describes every scenario and --relay, each with an example, and
// every example is a command the load tool accepts as it stands.
func TestHelpExamplesParse(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"--help"}, &stdout, &stderr); err != nil {
		t.Fatalf("--help: got %v; want nil", err)
	}
	help := stdout.String()
	for _, want := range []string{"\n  latency ", "\n  fanout ", "\n  idle ", "\n  maxrate ", "\n  --relay ",
		"--http-rate 100000 --http-burst 100000 --ws-rate 100000 --ws-burst 100000", "Thresholds:", "Exit status:", "  -threshold METRIC OP VALUE"} {
		if !strings.Contains(help, want) {
			t.Errorf("help lacks %q:\n%s", want, help)
		}
	}
	scenarios := map[string]bool{}
	relay := false
	for _, line := range strings.Split(help, "\n") {
		line = strings.TrimPrefix(strings.TrimSpace(line), "e.g.")
		cmd, ok := strings.CutPrefix(strings.TrimSpace(line), "loadtest ")
		if !ok || !strings.HasPrefix(cmd, "--") {
			continue // prose
		}
		cmd = strings.ReplaceAll(cmd, "$(pgrep -d, -x hub)", "4242")
		var args []string
		for _, f := range strings.Fields(cmd) {
			args = append(args, strings.Trim(f, "'"))
		}
		c, err := parseFlags(args, &bytes.Buffer{})
		if err != nil {
			t.Errorf("example %q: %v", line, err)
			continue
		}
		scenarios[c.scenario] = true
		relay = relay || c.relay
	}
	if len(scenarios) != 4 || !relay {
		t.Errorf("got examples of %v, --relay %v; want all four scenarios and --relay", scenarios, relay)
	}
	if stderr.Len() != 0 {
		t.Errorf("--help wrote to stderr:\n%s", stderr.String())
	}
}

// TestBadFlagsExit2: a mistake in the flags exits 2 with a message that says what is wrong and
// where to look, before anything runs; a failed run exits 1 (TestThrottledByDefaultLimits).
func TestBadFlagsExit2(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds the load tool")
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--no-such-flag"}, "loadtest: flag provided but not defined: -no-such-flag (loadtest --help lists the flags)"},
		{[]string{"--threshold", "p99=10"}, `loadtest: --threshold "p99=10": want METRIC OP VALUE`},
		{[]string{"--scenario", "latency", "fanout"}, `loadtest: unexpected argument "fanout": loadtest takes only flags`},
		{[]string{"--min-rate-pct", "120"}, "loadtest: --min-rate-pct 120: want a per cent from 0 (no check) to 100"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			// --nodes names a port nothing listens on: a run that started anyway would fail with 1.
			cmd := exec.CommandContext(ctx, proctest.Build(t, proctest.LoadTool), append([]string{"--nodes", "http://127.0.0.1:1"}, tc.args...)...)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 2 {
				t.Errorf("got %v; want exit status 2", err)
			}
			if !strings.HasPrefix(stderr.String(), tc.want) || stdout.Len() != 0 {
				t.Errorf("got stderr %q, stdout %q; want %q and nothing", stderr.String(), stdout.String(), tc.want)
			}
		})
	}
}
