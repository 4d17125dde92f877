//go:build !unix

package hub

import "syscall"

// writeNoWait writes nothing where sockets are not plain non-blocking descriptors: every batch
// is left to the socket's writer, which waits.
func writeNoWait(syscall.RawConn, []byte) int { return 0 }
