//go:build !(linux || darwin || openbsd)

package sock

import "time"

// writeFD writes nothing where sockets are not plain non-blocking descriptors with a gathering
// write: everything is left to the socket's writer, which waits.
func (c *Conn) writeFD(uintptr) {}

// bulkMin is never reached where writes are not gated.
const bulkMin = 1<<63 - 1

func (c *Conn) writeBulk(uintptr, *error, *time.Time) bool { return true }
