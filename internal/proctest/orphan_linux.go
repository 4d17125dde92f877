package proctest

import (
	"os/exec"
	"syscall"
)

// OrphanGuard makes the kernel kill the process if the test binary dies without running its
// cleanups (a panic on timeout), so that no process outlives the test.
func OrphanGuard(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
