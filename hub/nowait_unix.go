//go:build unix

package hub

import "syscall"

// writeNoWait writes b to the socket behind raw with write system calls that do not wait (Go's
// sockets are non-blocking), until the socket's send buffer is full or a write fails, and
// returns how many bytes went out. A failure is left to the next write, which waits and
// reports it. The caller serialises the connection's writes.
func writeNoWait(raw syscall.RawConn, b []byte) int {
	n := 0
	raw.Control(func(fd uintptr) { // fails only for a closed connection, before f: n stays 0
		for n < len(b) {
			k, err := syscall.Write(int(fd), b[n:])
			if err == syscall.EINTR {
				continue
			}
			if err != nil || k <= 0 {
				return
			}
			n += k
		}
	})
	return n
}
