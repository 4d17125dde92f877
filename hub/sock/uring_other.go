//go:build !linux

package sock

import "errors"

// ring is io_uring's, which only Linux has (uring_linux.go).
type ring struct {
	entries uint32
	scratch scratch
}

func newRing(uint32) (*ring, error) { return nil, errors.New("io_uring: Linux only") }

func (*ring) send([]int, [][][]byte, []int32) error { return errors.New("io_uring: Linux only") }

func (*ring) close() {}
