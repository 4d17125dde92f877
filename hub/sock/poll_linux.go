package sock

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// epoller is the Linux poller: one epoll instance of its own (beside the Go runtime's) in which
// every parked socket's connection is registered for one readable event (EPOLLONESHOT), and one
// goroutine waiting on it. A registration is named by an id that is never reused, so an event
// that arrives after its socket went away (or after its descriptor was reused) finds nobody.
//
// The goroutine does not block in epoll_wait: the epoll descriptor is itself registered with the
// Go runtime's poller (an epoll instance is readable while it has events), and the loop waits
// there and then collects the events without blocking. A goroutine blocked in a system call
// keeps the runtime's monitor thread busy: it takes the processor away from the call every 10 ms
// and then polls at 20 µs intervals, thousands of wake-ups a second on an idle node, which cost
// an idle node with 3,333 parked sockets 0.05 cores (most of its background CPU).
type epoller struct {
	epfd int          // static after construction; non-blocking
	file *os.File     // the epoll descriptor in the runtime's poller; static after construction
	stop int          // eventfd, static after construction; written to end the loop
	log  *slog.Logger // static after construction

	mu      sync.Mutex
	waiting map[uint64]Waker // guarded by mu; registered connections, by id
	nextID  uint64           // guarded by mu
	closed  bool             // guarded by mu

	done chan struct{} // closed when loop has returned and the descriptors are closed
}

// stopID is the id of the stop eventfd's registration; socket ids start above it.
const stopID = 0

func newPoller(log *slog.Logger) (Poller, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("epoll: %w", err)
	}
	if err := unix.SetNonblock(epfd, true); err != nil {
		unix.Close(epfd)
		return nil, fmt.Errorf("epoll: %w", err)
	}
	// A non-blocking descriptor given to os.NewFile joins the runtime's poller.
	file := os.NewFile(uintptr(epfd), "epoll")
	rc, err := file.SyscallConn()
	if err != nil {
		file.Close()
		return nil, fmt.Errorf("epoll: %w", err)
	}
	stop, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		file.Close()
		return nil, fmt.Errorf("eventfd: %w", err)
	}
	ev := unix.EpollEvent{Events: unix.EPOLLIN}
	setID(&ev, stopID)
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, stop, &ev); err != nil {
		unix.Close(stop)
		file.Close()
		return nil, fmt.Errorf("epoll: %w", err)
	}
	p := &epoller{epfd: epfd, file: file, stop: stop, log: log, waiting: make(map[uint64]Waker), nextID: stopID + 1, done: make(chan struct{})}
	go p.loop(rc)
	return p, nil
}

func setID(ev *unix.EpollEvent, id uint64) {
	ev.Fd, ev.Pad = int32(uint32(id)), int32(uint32(id>>32))
}

func idOf(ev *unix.EpollEvent) uint64 {
	return uint64(uint32(ev.Fd)) | uint64(uint32(ev.Pad))<<32
}

// parkEvents: readable, or the peer closed or the connection failed (the woken reader then
// reads the end and the session finishes).
const parkEvents = unix.EPOLLIN | unix.EPOLLRDHUP | unix.EPOLLONESHOT

func (p *epoller) Arm(rc syscall.RawConn, w Waker, id uint64) (uint64, error) {
	op := unix.EPOLL_CTL_MOD
	if id == 0 {
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			return 0, ErrPollerClosed
		}
		id = p.nextID
		p.nextID++
		p.waiting[id] = w
		p.mu.Unlock()
		op = unix.EPOLL_CTL_ADD
	}
	ev := unix.EpollEvent{Events: parkEvents}
	setID(&ev, id)
	var opErr error
	if err := rc.Control(func(fd uintptr) { opErr = unix.EpollCtl(p.epfd, op, int(fd), &ev) }); err != nil {
		opErr = err
	}
	if opErr != nil {
		if op == unix.EPOLL_CTL_ADD {
			p.mu.Lock()
			delete(p.waiting, id)
			p.mu.Unlock()
		}
		return 0, fmt.Errorf("epoll: %w", opErr)
	}
	return id, nil
}

func (p *epoller) Remove(rc syscall.RawConn, id uint64) {
	p.mu.Lock()
	delete(p.waiting, id)
	p.mu.Unlock()
	// A connection that is already closed has left the epoll set with its descriptor.
	_ = rc.Control(func(fd uintptr) { _ = unix.EpollCtl(p.epfd, unix.EPOLL_CTL_DEL, int(fd), nil) })
}

func (p *epoller) Close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		<-p.done
		return
	}
	p.closed = true
	p.mu.Unlock()
	one := [8]byte{1}
	_, _ = unix.Write(p.stop, one[:])
	<-p.done
}

// loop waits for events and wakes the sockets they name, until close. rc is the epoll
// descriptor's connection to the runtime's poller.
func (p *epoller) loop(rc syscall.RawConn) {
	defer close(p.done)
	defer p.file.Close()
	defer unix.Close(p.stop)
	events := make([]unix.EpollEvent, 256)
	for {
		var n int
		var err error
		// The function collects what is there without waiting; returning false parks the
		// goroutine in the runtime's poller until the epoll instance has events again. The
		// runtime registers the descriptor edge-triggered, so collecting until none are left
		// (n == 0) before parking is what lets the next event wake it.
		if rerr := rc.Read(func(uintptr) bool {
			for {
				n, err = unix.EpollWait(p.epfd, events, 0)
				if !errors.Is(err, unix.EINTR) {
					return n > 0 || err != nil
				}
			}
		}); rerr != nil {
			err = rerr
		}
		if err != nil {
			// Not expected with a valid descriptor and buffer. Parking stops (sockets keep their
			// reader goroutines from now on); the sockets parked now answer no ping and are closed
			// with a reconnect code by their ping timeout.
			p.log.Error("epoll_wait failed; idle sockets are no longer parked", "err", err)
			p.mu.Lock()
			p.closed = true
			p.mu.Unlock()
			return
		}
		for i := range events[:n] {
			id := idOf(&events[i])
			if id == stopID {
				return
			}
			p.mu.Lock()
			w := p.waiting[id]
			p.mu.Unlock()
			if w != nil {
				w.Wake(id)
			}
		}
	}
}
