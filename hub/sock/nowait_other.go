//go:build !(linux || darwin || openbsd)

package sock

// writeFD writes nothing where sockets are not plain non-blocking descriptors with a gathering
// write: everything is left to the socket's writer, which waits.
func (c *Conn) writeFD(uintptr) {}
