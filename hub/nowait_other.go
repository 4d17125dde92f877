//go:build !unix

package hub

// writeFD writes nothing where sockets are not plain non-blocking descriptors: every batch is
// left to the socket's writer, which waits.
func (c *sockConn) writeFD(uintptr) {}
