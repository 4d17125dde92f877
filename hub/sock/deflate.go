package sock

import (
	"bytes"
	"sync"

	// klauspost/compress's DEFLATE writer, not compress/flate's: the same format (and the same
	// API), in about half the CPU and a few bytes less, measured on a 16-player snapshot (5.6 KB:
	// 45-50 µs and 841 bytes with compress/flate, 24-28 µs and 828 bytes with this one).
	"github.com/klauspost/compress/flate"
)

// Compressed messages (permessage-deflate, RFC 7692). A connection that negotiated the extension
// without context takeover in either direction (server_no_context_takeover,
// client_no_context_takeover) takes every message compressed on its own, so a message compressed
// once can be sent to every such connection: a node compresses each snapshot and event once,
// beside its plain encoding, and a socket sends whichever its client negotiated.

// OpTextDeflated is the opcode byte of a text frame whose payload is compressed: the text opcode
// with RSV1 set (RFC 7692, 6). Frame writes it as it writes the others.
const OpTextDeflated = OpText | 0x40

// DeflateMin is the smallest payload AppendDeflate compresses. Compressing has a fixed cost (a
// block's Huffman codes: 10-13 µs for 2 KB here, 32-34 µs with compress/flate), which for an
// event of a few hundred bytes is more CPU than its write, and would shave only about a third of
// its bytes, so only what is worth it is compressed: snapshots (171 KB for a running 512-player
// single elimination, 12 KB compressed) and big events (a start); the events of a result go as
// they are.
const DeflateMin = 2048

var deflaters = sync.Pool{New: func() any {
	w, _ := flate.NewWriter(nil, flate.BestSpeed) // a valid level: cannot fail
	return w
}}

// AppendDeflate appends the compressed form of the message p to dst, as a frame with
// OpTextDeflated carries it (the DEFLATE stream flushed, without its final empty block's 4
// bytes), and reports whether it did: it does not when p is shorter than DeflateMin or would not
// shrink, and then returns dst as it was.
func AppendDeflate(dst, p []byte) ([]byte, bool) {
	if len(p) < DeflateMin {
		return dst, false
	}
	start := len(dst)
	buf := bytes.NewBuffer(dst)
	w := deflaters.Get().(*flate.Writer)
	defer deflaters.Put(w)
	w.Reset(buf)
	// Writes to a bytes.Buffer cannot fail.
	_, _ = w.Write(p)
	_ = w.Flush()
	out := buf.Bytes()
	if n := len(out) - start - 4; n <= 0 || n >= len(p) || !bytes.HasSuffix(out, []byte{0, 0, 0xff, 0xff}) {
		return dst, false
	}
	return out[:len(out)-4], true
}
