package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

type sqOff struct {
	Head, Tail, RingMask, RingEntries, Flags, Dropped, Array, Resv1 uint32
	UserAddr                                                        uint64
}
type cqOff struct {
	Head, Tail, RingMask, RingEntries, Overflow, Cqes, Flags, Resv1 uint32
	UserAddr                                                        uint64
}
type params struct {
	SqEntries, CqEntries, Flags, SqThreadCPU, SqThreadIdle, Features, WqFd uint32
	Resv                                                                   [3]uint32
	Sq                                                                     sqOff
	Cq                                                                     cqOff
}
type sqe struct {
	Opcode   uint8
	Flags    uint8
	Ioprio   uint16
	Fd       int32
	Off      uint64
	Addr     uint64
	Len      uint32
	OpFlags  uint32
	UserData uint64
	BufIndex uint16
	Pers     uint16
	SpliceFd int32
	Addr3    uint64
	Pad      uint64
}
type cqe struct {
	UserData uint64
	Res      int32
	Flags    uint32
}

type ring struct {
	fd                     int
	sqHead, sqTail, sqMask *uint32
	sqArray                []uint32
	sqes                   []sqe
	cqHead, cqTail, cqMask *uint32
	cqes                   []cqe
	entries                uint32
}

func newRing(entries uint32) (*ring, error) {
	var p params
	p.Flags = 1<<7 | 1<<8 // SUBMIT_ALL | COOP_TASKRUN
	fd, _, e := unix.Syscall(unix.SYS_IO_URING_SETUP, uintptr(entries), uintptr(unsafe.Pointer(&p)), 0)
	if e != 0 {
		return nil, e
	}
	r := &ring{fd: int(fd), entries: p.SqEntries}
	sqSize := int(p.Sq.Array) + int(p.SqEntries)*4
	cqSize := int(p.Cq.Cqes) + int(p.CqEntries)*16
	sz := max(sqSize, cqSize)
	m, err := unix.Mmap(r.fd, 0, sz, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE)
	if err != nil {
		return nil, err
	}
	b := unsafe.Pointer(&m[0])
	r.sqHead = (*uint32)(unsafe.Add(b, p.Sq.Head))
	r.sqTail = (*uint32)(unsafe.Add(b, p.Sq.Tail))
	r.sqMask = (*uint32)(unsafe.Add(b, p.Sq.RingMask))
	r.sqArray = unsafe.Slice((*uint32)(unsafe.Add(b, p.Sq.Array)), p.SqEntries)
	r.cqHead = (*uint32)(unsafe.Add(b, p.Cq.Head))
	r.cqTail = (*uint32)(unsafe.Add(b, p.Cq.Tail))
	r.cqMask = (*uint32)(unsafe.Add(b, p.Cq.RingMask))
	r.cqes = unsafe.Slice((*cqe)(unsafe.Add(b, p.Cq.Cqes)), p.CqEntries)
	sm, err := unix.Mmap(r.fd, 0x10000000, int(p.SqEntries)*64, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE)
	if err != nil {
		return nil, err
	}
	r.sqes = unsafe.Slice((*sqe)(unsafe.Pointer(&sm[0])), p.SqEntries)
	for i := range r.sqArray {
		r.sqArray[i] = uint32(i)
	}
	return r, nil
}

// sendAll sends buf to each fd (batches of ring size), returns count of short/failed.
func (r *ring) sendAll(fds []int, buf []byte) int {
	bad := 0
	for len(fds) > 0 {
		n := min(len(fds), int(r.entries))
		tail := atomic.LoadUint32(r.sqTail)
		for i := 0; i < n; i++ {
			idx := (tail + uint32(i)) & *r.sqMask
			s := &r.sqes[idx]
			*s = sqe{Opcode: 26, Fd: int32(fds[i]), Addr: uint64(uintptr(unsafe.Pointer(&buf[0]))), Len: uint32(len(buf)), OpFlags: unix.MSG_DONTWAIT | unix.MSG_NOSIGNAL, UserData: uint64(i)}
		}
		atomic.StoreUint32(r.sqTail, tail+uint32(n))
		_, _, e := unix.Syscall6(unix.SYS_IO_URING_ENTER, uintptr(r.fd), uintptr(n), uintptr(n), 1, 0, 0)
		if e != 0 {
			panic(e)
		}
		head := atomic.LoadUint32(r.cqHead)
		ctail := atomic.LoadUint32(r.cqTail)
		for h := head; h != ctail; h++ {
			c := r.cqes[h&*r.cqMask]
			if int(c.Res) != len(buf) {
				bad++
			}
		}
		atomic.StoreUint32(r.cqHead, ctail)
		if int(ctail-head) != n {
			panic(fmt.Sprint("completions ", ctail-head, " of ", n))
		}
		fds = fds[n:]
	}
	return bad
}

func sysBusy() float64 {
	b, _ := os.ReadFile("/proc/stat")
	var u, n, s, id, io, irq, sirq, st float64
	fmt.Sscanf(string(b), "cpu %f %f %f %f %f %f %f %f", &u, &n, &s, &id, &io, &irq, &sirq, &st)
	return (u + n + s + irq + sirq + st) * 10 // ms
}

func cpu() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func main() {
	mode := flag.String("mode", "write", "write|uring|reader")
	n := flag.Int("n", 5000, "sockets")
	rounds := flag.Int("rounds", 100, "")
	addr := flag.String("addr", "127.0.0.1:0", "")
	size := flag.Int("size", 221, "")
	batch := flag.Uint("batch", 256, "")
	flag.Parse()
	if *mode == "reader" {
		for i := 0; i < *n; i++ {
			c, err := net.Dial("tcp", *addr)
			if err != nil {
				panic(err)
			}
			go io.Copy(io.Discard, c)
		}
		select {}
	}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	fmt.Fprintln(os.Stderr, ln.Addr())
	var fds []int
	var conns []net.Conn
	for len(conns) < *n {
		c, err := ln.Accept()
		if err != nil {
			panic(err)
		}
		conns = append(conns, c)
		raw, _ := c.(*net.TCPConn).SyscallConn()
		raw.Control(func(fd uintptr) { fds = append(fds, int(fd)) })
	}
	buf := make([]byte, *size)
	var r *ring
	if *mode == "uring" {
		var err error
		if r, err = newRing(uint32(*batch)); err != nil {
			panic(err)
		}
	}
	time.Sleep(500 * time.Millisecond)
	c0, t0, s0 := cpu(), time.Now(), sysBusy()
	bad := 0
	for k := 0; k < *rounds; k++ {
		if r != nil {
			bad += r.sendAll(fds, buf)
		} else {
			for _, fd := range fds {
				if w, err := syscall.Write(fd, buf); err != nil || w != len(buf) {
					bad++
				}
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	c1, s1 := cpu(), sysBusy()
	fmt.Printf("%s n=%d rounds=%d cpu/delivery %.2f us machine/delivery %.2f us bad %d wall %v\n", *mode, *n, *rounds, float64(c1-c0)/float64(time.Microsecond)/float64(*n**rounds), (s1-s0)*1000/float64(*n**rounds), bad, time.Since(t0))
}
