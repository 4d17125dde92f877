package sock

import (
	"fmt"
	"runtime"
	"sync/atomic"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// ring is an io_uring submission and completion queue pair, used for one thing: sending the
// framed bytes of many connections in one system call (io_uring_enter) instead of one write
// each. Every send is MSG_DONTWAIT, so the kernel runs it at once, inside the call, and answers
// EAGAIN instead of waiting for a full socket: when io_uring_enter returns, every send has
// completed. A ring is not safe for concurrent use (Rings hands each to one user at a time).
type ring struct {
	fd      int
	entries uint32 // static after construction; the most sends one submit carries

	sqHead, sqTail, sqMask *uint32 // in the shared submission ring
	sqes                   []uringSQE
	cqHead, cqTail, cqMask *uint32 // in the shared completion ring
	cqes                   []uringCQE

	ringMem, sqeMem []byte // the mappings, unmapped by close

	// msgs and iovs back the sends of more than one segment (IORING_OP_SENDMSG): the kernel
	// reads them during the submit, so they live here, in memory the garbage collector does not
	// move, and are reused by the next submit.
	msgs []unix.Msghdr
	iovs []unix.Iovec

	scratch scratch // the batch of the Writes the ring is lent to
}

// The kernel's structures and constants (include/uapi/linux/io_uring.h).
type uringSQOffsets struct {
	head, tail, ringMask, ringEntries, flags, dropped, array, resv1 uint32
	userAddr                                                        uint64
}

type uringCQOffsets struct {
	head, tail, ringMask, ringEntries, overflow, cqes, flags, resv1 uint32
	userAddr                                                        uint64
}

type uringParams struct {
	sqEntries, cqEntries, flags, sqThreadCPU, sqThreadIdle, features, wqFd uint32
	resv                                                                   [3]uint32
	sqOff                                                                  uringSQOffsets
	cqOff                                                                  uringCQOffsets
}

type uringSQE struct {
	opcode   uint8
	flags    uint8
	ioprio   uint16
	fd       int32
	off      uint64
	addr     uint64
	len      uint32
	msgFlags uint32
	userData uint64
	bufIndex uint16
	pers     uint16
	spliceFd int32
	addr3    uint64
	pad      uint64
}

type uringCQE struct {
	userData uint64
	res      int32
	flags    uint32
}

const (
	uringOpSendmsg        = 9
	uringOpSend           = 26
	uringOffSQRing        = 0
	uringOffSQEs          = 0x10000000
	uringEnterGetEvents   = 1
	uringFeatSingleMMap   = 1
	uringSendFlags        = unix.MSG_DONTWAIT | unix.MSG_NOSIGNAL
	uringSQEBytes         = 64
	uringCQEBytes         = 16
	uringSQArrayEntryByte = 4
)

// newRing sets up a ring of entries sends (a power of two). It fails where io_uring is missing
// or forbidden: kernels before 5.5 (single mmap, IORING_FEAT_SINGLE_MMAP), kernel.io_uring_disabled,
// a seccomp profile that refuses it (Docker's default does).
func newRing(entries uint32) (*ring, error) {
	var p uringParams
	fd, _, errno := unix.Syscall(unix.SYS_IO_URING_SETUP, uintptr(entries), uintptr(unsafe.Pointer(&p)), 0)
	if errno != 0 {
		return nil, fmt.Errorf("io_uring_setup: %w", errno)
	}
	r := &ring{fd: int(fd), entries: p.sqEntries}
	if p.features&uringFeatSingleMMap == 0 {
		r.close()
		return nil, fmt.Errorf("io_uring: kernel too old (no single mmap)")
	}
	size := max(int(p.sqOff.array)+int(p.sqEntries)*uringSQArrayEntryByte, int(p.cqOff.cqes)+int(p.cqEntries)*uringCQEBytes)
	var err error
	if r.ringMem, err = unix.Mmap(r.fd, uringOffSQRing, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE); err != nil {
		r.close()
		return nil, fmt.Errorf("io_uring mmap: %w", err)
	}
	if r.sqeMem, err = unix.Mmap(r.fd, uringOffSQEs, int(p.sqEntries)*uringSQEBytes, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE); err != nil {
		r.close()
		return nil, fmt.Errorf("io_uring mmap: %w", err)
	}
	base := unsafe.Pointer(&r.ringMem[0])
	r.sqHead = (*uint32)(unsafe.Add(base, p.sqOff.head))
	r.sqTail = (*uint32)(unsafe.Add(base, p.sqOff.tail))
	r.sqMask = (*uint32)(unsafe.Add(base, p.sqOff.ringMask))
	array := unsafe.Slice((*uint32)(unsafe.Add(base, p.sqOff.array)), p.sqEntries)
	for i := range array {
		array[i] = uint32(i) // submission slot i is SQE i, always
	}
	r.cqHead = (*uint32)(unsafe.Add(base, p.cqOff.head))
	r.cqTail = (*uint32)(unsafe.Add(base, p.cqOff.tail))
	r.cqMask = (*uint32)(unsafe.Add(base, p.cqOff.ringMask))
	r.cqes = unsafe.Slice((*uringCQE)(unsafe.Add(base, p.cqOff.cqes)), p.cqEntries)
	r.sqes = unsafe.Slice((*uringSQE)(unsafe.Pointer(&r.sqeMem[0])), p.sqEntries)
	r.msgs = make([]unix.Msghdr, p.sqEntries)
	r.iovs = make([]unix.Iovec, 0, p.sqEntries*2)
	r.scratch = newScratch(int(p.sqEntries))
	return r, nil
}

// send sends each of bufs[i] (the segments to write in order) to fds[i], at most r.entries of
// them, in one io_uring_enter, and puts in res[i] how many bytes went out, or a negative errno
// (-EAGAIN: the send buffer was full). It fails only if the submit itself failed; then nothing
// was sent. bufs must stay unchanged until it returns.
func (r *ring) send(fds []int, bufs [][][]byte, res []int32) error {
	n := len(fds)
	if n == 0 {
		return nil
	}
	if n > int(r.entries) {
		panic("sock: more sends than the ring holds")
	}
	r.iovs = r.iovs[:0]
	tail := atomic.LoadUint32(r.sqTail)
	mask := *r.sqMask
	for i := range n {
		s := &r.sqes[(tail+uint32(i))&mask]
		*s = uringSQE{fd: int32(fds[i]), msgFlags: uringSendFlags, userData: uint64(i)}
		if segs := bufs[i]; len(segs) == 1 {
			s.opcode, s.addr, s.len = uringOpSend, uint64(uintptr(unsafe.Pointer(unsafe.SliceData(segs[0])))), uint32(len(segs[0]))
		} else {
			first := len(r.iovs)
			for _, b := range segs[:min(len(segs), maxIovecs)] {
				var v unix.Iovec
				v.Base = unsafe.SliceData(b)
				v.SetLen(len(b))
				r.iovs = append(r.iovs, v)
			}
			m := &r.msgs[i]
			*m = unix.Msghdr{}
			m.Iov = &r.iovs[first]
			m.SetIovlen(len(r.iovs) - first)
			s.opcode, s.addr, s.len = uringOpSendmsg, uint64(uintptr(unsafe.Pointer(m))), 1
		}
	}
	atomic.StoreUint32(r.sqTail, tail+uint32(n))
	// Submit all n and wait for their n completions: MSG_DONTWAIT sends complete inside the
	// call. A signal (EINTR) can cut the wait short, after the submit: then wait again.
	for failures := 0; r.completed() < n; {
		toSubmit := atomic.LoadUint32(r.sqTail) - atomic.LoadUint32(r.sqHead)
		_, _, errno := unix.Syscall6(unix.SYS_IO_URING_ENTER, uintptr(r.fd), uintptr(toSubmit), uintptr(n-r.completed()), uringEnterGetEvents, 0, 0)
		switch {
		case errno == 0 || errno == syscall.EINTR:
		case atomic.LoadUint32(r.sqHead) == tail:
			// Nothing was submitted: take the entries back; nothing was sent.
			atomic.StoreUint32(r.sqTail, tail)
			return fmt.Errorf("io_uring_enter: %w", errno)
		default:
			// Submitted, but the wait failed: wait again, a few times.
			if failures++; failures == 100 {
				return fmt.Errorf("io_uring_enter: %w: %w", errno, errRingBroken)
			}
		}
	}
	head := atomic.LoadUint32(r.cqHead)
	end := atomic.LoadUint32(r.cqTail)
	for h := head; h != end; h++ {
		c := r.cqes[h&*r.cqMask]
		res[c.userData] = c.res
	}
	atomic.StoreUint32(r.cqHead, end)
	runtime.KeepAlive(bufs)
	return nil
}

// completed is how many completions wait to be read.
func (r *ring) completed() int {
	return int(atomic.LoadUint32(r.cqTail) - atomic.LoadUint32(r.cqHead))
}

// close unmaps the ring and closes its descriptor.
func (r *ring) close() {
	if r.sqeMem != nil {
		unix.Munmap(r.sqeMem)
	}
	if r.ringMem != nil {
		unix.Munmap(r.ringMem)
	}
	unix.Close(r.fd)
}
