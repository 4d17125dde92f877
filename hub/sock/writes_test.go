package sock

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"
)

// testRings are the rings of a test: on Linux io_uring must work (the node uses it by default),
// unless TOURHUB_TEST_NO_URING is set, for a machine whose seccomp profile refuses it.
func testRings(t *testing.T, max int) *Rings {
	t.Helper()
	rs, err := NewRings(max)
	switch {
	case err == nil:
		t.Cleanup(rs.Close)
		return rs
	case runtime.GOOS != "linux":
		t.Skipf("io_uring is Linux's: %v", err)
	case os.Getenv("TOURHUB_TEST_NO_URING") != "":
		t.Skipf("TOURHUB_TEST_NO_URING is set: %v", err)
	}
	t.Fatalf("io_uring cannot be used here (%v): the node falls back to a write per socket, but this test needs it; set TOURHUB_TEST_NO_URING=1 where a seccomp profile or kernel.io_uring_disabled refuses it", err)
	return nil
}

// doneLog records what Writes told each connection.
type doneLog struct {
	mu    sync.Mutex
	calls map[int][]bool
}

type doneOf struct {
	log *doneLog
	i   int
}

func (d doneOf) NowWritten(complete bool) {
	d.log.mu.Lock()
	defer d.log.mu.Unlock()
	d.log.calls[d.i] = append(d.log.calls[d.i], complete)
}

// frameOf is the frame a client reads for a text message of payload p.
func frameOf(p []byte) []byte {
	return append(appendFrameHeader(nil, OpText, len(p)), p...)
}

// TestWrites: a batch of more connections than one ring submit holds writes each its own
// messages, small (copied into frame buffers) and big (from the shared payload, a gathering
// send), in order, and tells each that all of it went out; without rings the same batch writes
// each at once.
func TestWrites(t *testing.T) {
	const conns = ringEntries + 44
	big := bytes.Repeat([]byte("snapshot "), 200) // over copyMax: a segment of its own
	for _, withRings := range []bool{true, false} {
		t.Run(fmt.Sprintf("rings=%v", withRings), func(t *testing.T) {
			var rs *Rings
			if withRings {
				rs = testRings(t, 2)
			}
			scs := make([]*Conn, conns)
			clients := make([]net.Conn, conns)
			want := make([][]byte, conns)
			for i := range scs {
				scs[i], clients[i] = tcpPair(t, nil)
			}
			log := &doneLog{calls: map[int][]bool{}}
			w := Writes{Rings: rs}
			for i, sc := range scs {
				small := []byte(fmt.Sprintf(`{"type":"match_completed","socket":%d}`, i))
				batch := []msg{{data: small}}
				if i%3 == 0 {
					batch = append(batch, msg{data: big})
				}
				for _, m := range batch {
					want[i] = append(want[i], frameOf(m.data)...)
				}
				AddNow(&w, sc, batch, doneOf{log, i})
			}
			w.Flush()
			for i := range scs {
				if got := log.calls[i]; len(got) != 1 || !got[0] {
					t.Fatalf("socket %d: told %v; want one complete write", i, got)
				}
				got := make([]byte, len(want[i]))
				clients[i].SetReadDeadline(time.Now().Add(10 * time.Second))
				if _, err := io.ReadFull(clients[i], got); err != nil {
					t.Fatalf("socket %d: %v", i, err)
				}
				if !bytes.Equal(got, want[i]) {
					t.Fatalf("socket %d read %q; want %q", i, got, want[i])
				}
				if len(scs[i].out) != 0 || len(scs[i].bufs) != 0 {
					t.Fatalf("socket %d keeps %d pending segments, %d frame buffers", i, len(scs[i].out), len(scs[i].bufs))
				}
			}
			writes, calls := rs.Counts()
			if withRings && (writes != conns || calls != 2) {
				t.Errorf("rings counted %d writes in %d calls; want %d in 2", writes, calls, conns)
			}
			if !withRings && (writes != 0 || calls != 0) {
				t.Errorf("no rings counted %d writes in %d calls", writes, calls)
			}
		})
	}
}

// TestWritesFullSocket: a socket whose send buffer is full takes none of a batch (EAGAIN in
// the ring's send); it stays pending, Writes says the write is not complete, and the waiting
// write (WriteOut) sends it once the client reads: nothing lost, nothing sent twice. The other
// socket of the batch is written as usual.
func TestWritesFullSocket(t *testing.T) {
	rs := testRings(t, 1)
	full, fullClient := tcpPair(t, nil)
	other, otherClient := tcpPair(t, nil)
	if err := full.Conn.(*net.TCPConn).SetWriteBuffer(4096); err != nil {
		t.Fatal(err)
	}
	// Fill the socket's buffers past Conn, so that nothing is pending in it: the client reads
	// nothing yet.
	var before []byte
	chunk := bytes.Repeat([]byte{'x'}, 1000)
	full.raw.Control(func(fd uintptr) {
		for {
			k, err := syscall.Write(int(fd), chunk)
			if err != nil {
				return
			}
			before = append(before, chunk[:k]...)
		}
	})
	log := &doneLog{calls: map[int][]bool{}}
	w := Writes{Rings: rs}
	AddNow(&w, full, []msg{{data: []byte("behind")}}, doneOf{log, 0})
	AddNow(&w, other, []msg{{data: []byte("other")}}, doneOf{log, 1})
	w.Flush()
	if got := log.calls[0]; len(got) != 1 || got[0] {
		t.Fatalf("full socket: told %v; want not complete", got)
	}
	if got := log.calls[1]; len(got) != 1 || !got[0] {
		t.Fatalf("other socket: told %v; want complete", got)
	}
	if writes, calls := rs.Counts(); writes != 2 || calls != 1 {
		t.Fatalf("rings counted %d writes in %d calls; want 2 in 1", writes, calls)
	}
	want := append(before, frameOf([]byte("behind"))...)
	done := writeOut(full)
	got := make([]byte, len(want))
	fullClient.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.ReadFull(fullClient, got); err != nil {
		t.Fatal(err)
	}
	waitWrite(t, "the rest", done)
	if !bytes.Equal(got, want) {
		t.Fatal("the full socket's client read other bytes than were written, in order")
	}
	got = make([]byte, len(frameOf([]byte("other"))))
	otherClient.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.ReadFull(otherClient, got); err != nil || !bytes.Equal(got, frameOf([]byte("other"))) {
		t.Fatalf("other socket read %q, %v", got, err)
	}
}

// TestWritesPartialSend: a socket with room for part of a batch's write takes that part in
// the ring's send; the rest stays pending for the waiting write, in order.
func TestWritesPartialSend(t *testing.T) {
	rs := testRings(t, 1)
	sc, client := tcpPair(t, nil)
	if err := sc.Conn.(*net.TCPConn).SetWriteBuffer(4096); err != nil {
		t.Fatal(err)
	}
	big := bytes.Repeat([]byte("0123456789"), 100_000) // far more than the buffers hold
	log := &doneLog{calls: map[int][]bool{}}
	w := Writes{Rings: rs}
	AddNow(&w, sc, []msg{{data: []byte("first")}, {data: big}}, doneOf{log, 0})
	w.Flush()
	if got := log.calls[0]; len(got) != 1 || got[0] {
		t.Fatalf("told %v; want not complete", got)
	}
	if writes, _ := rs.Counts(); writes != 1 {
		t.Fatalf("rings counted %d writes; want 1", writes)
	}
	// Behind the pending rest, a batch writes nothing: the waiting write sends it in order.
	AddNow(&w, sc, []msg{{data: []byte("behind")}}, doneOf{log, 1})
	if got := log.calls[1]; len(got) != 1 || got[0] {
		t.Fatalf("behind a pending write: told %v; want at once, not complete", got)
	}
	w.Flush()
	if writes, _ := rs.Counts(); writes != 1 {
		t.Fatalf("rings counted %d writes; want still 1", writes)
	}
	want := append(append(frameOf([]byte("first")), frameOf(big)...), frameOf([]byte("behind"))...)
	done := writeOut(sc)
	got := make([]byte, len(want))
	client.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.ReadFull(client, got); err != nil {
		t.Fatal(err)
	}
	waitWrite(t, "the rest", done)
	if !bytes.Equal(got, want) {
		t.Fatal("the client read other bytes than were framed, in order")
	}
}

// TestWritesClosedConn: a connection closed before its batch is sent is not written (its
// descriptor may be another connection's by then), and one closed while a batch holds it is
// closed once the batch is sent, not under it.
func TestWritesClosedConn(t *testing.T) {
	rs := testRings(t, 1)
	closed, _ := tcpPair(t, nil)
	closed.Close()
	log := &doneLog{calls: map[int][]bool{}}
	w := Writes{Rings: rs}
	AddNow(&w, closed, []msg{{data: []byte("late")}}, doneOf{log, 0})
	if got := log.calls[0]; len(got) != 1 || got[0] {
		t.Fatalf("closed connection: told %v; want at once, not complete", got)
	}

	held, client := tcpPair(t, nil)
	AddNow(&w, held, []msg{{data: []byte("held")}}, doneOf{log, 1})
	closing := make(chan error, 1)
	go func() { closing <- held.Close() }()
	select {
	case <-closing:
		t.Fatal("Close returned while a batch held the connection's descriptor")
	case <-time.After(50 * time.Millisecond):
	}
	w.Flush()
	if err := <-closing; err != nil {
		t.Fatal(err)
	}
	if got := log.calls[1]; len(got) != 1 || !got[0] {
		t.Fatalf("held connection: told %v; want complete", got)
	}
	got := make([]byte, len(frameOf([]byte("held"))))
	client.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.ReadFull(client, got); err != nil || !bytes.Equal(got, frameOf([]byte("held"))) {
		t.Fatalf("client read %q, %v", got, err)
	}
	if writes, calls := rs.Counts(); writes != 1 || calls != 1 {
		t.Fatalf("rings counted %d writes in %d calls; want 1 in 1", writes, calls)
	}
}

// TestWritesAfterCloseFrame: a connection that framed its close frame takes nothing more.
func TestWritesAfterCloseFrame(t *testing.T) {
	rs := testRings(t, 1)
	sc, client := tcpPair(t, nil)
	closeFrame := []byte{closeFrameStart, 2, 0x03, 0xe8}
	if _, err := sc.Write(closeFrame); err != nil {
		t.Fatal(err)
	}
	log := &doneLog{calls: map[int][]bool{}}
	w := Writes{Rings: rs}
	AddNow(&w, sc, []msg{{data: []byte("after")}}, doneOf{log, 0})
	w.Flush()
	if got := log.calls[0]; len(got) != 1 || !got[0] {
		t.Fatalf("told %v; want complete (nothing to write)", got)
	}
	sc.Close()
	got, err := io.ReadAll(client)
	if err != nil || !bytes.Equal(got, closeFrame) {
		t.Fatalf("client read %q, %v; want only the close frame", got, err)
	}
}

// TestRingsLend: Rings makes at most max rings, lends each to one batch at a time, and a batch
// that finds none writes each connection at once; Close closes them all, lent ones once back.
func TestRingsLend(t *testing.T) {
	rs := testRings(t, 2)
	a, b := rs.get(), rs.get()
	if a == nil || b == nil || a == b {
		t.Fatalf("lent %p and %p; want two rings", a, b)
	}
	if c := rs.get(); c != nil {
		t.Fatal("lent a third ring; want at most two")
	}
	sc, client := tcpPair(t, nil)
	log := &doneLog{calls: map[int][]bool{}}
	w := Writes{Rings: rs}
	AddNow(&w, sc, []msg{{data: []byte("now")}}, doneOf{log, 0})
	if got := log.calls[0]; len(got) != 1 || !got[0] {
		t.Fatalf("without a free ring: told %v; want written at once", got)
	}
	w.Flush()
	got := make([]byte, len(frameOf([]byte("now"))))
	client.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.ReadFull(client, got); err != nil || !bytes.Equal(got, frameOf([]byte("now"))) {
		t.Fatalf("client read %q, %v", got, err)
	}
	rs.put(a, false)
	rs.Close()
	if c := rs.get(); c != nil {
		t.Fatal("lent a ring after Close")
	}
	rs.put(b, false)
	rs.mu.Lock()
	made, free := rs.made, len(rs.free)
	rs.mu.Unlock()
	if made != 0 || free != 0 {
		t.Fatalf("after Close: %d rings exist, %d free; want none", made, free)
	}
}
