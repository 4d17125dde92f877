//go:build !linux

package proctest

import "os/exec"

// OrphanGuard: only Linux can tie a child's life to its parent's; elsewhere the cleanups do.
func OrphanGuard(*exec.Cmd) {}
