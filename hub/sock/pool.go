package sock

import (
	"sync"
	"sync/atomic"
	"time"
)

// Pool runs the short tasks of sockets (a reader turn of a woken socket, a writer's batch) on
// goroutines that outlive one task, so that a task starts on a stack that has grown already. A
// fresh goroutine for each would start small and grow its stack (copying it) on every task:
// Go sizes new stacks by the average stack it finds, and parked sockets leave few goroutines to
// average over (copying stacks was 6-8% of a node's CPU with 3,000 players reporting). A task that
// finds no idle goroutine gets a new one, so a slow task (a write to a slow client, a report
// waiting for the store) never holds up another; at most poolIdle goroutines wait for tasks, each
// at most poolLinger.
type Pool struct {
	work     chan func()   // unbuffered: a send succeeds only when an idle goroutine waits
	stop     chan struct{} // closed by close
	stopOnce sync.Once
	idle     atomic.Int32 // goroutines waiting for a task
	tasks    atomic.Int64 // tasks run so far
	wg       sync.WaitGroup
}

const (
	poolIdle   = 64
	poolLinger = 2 * time.Second
)

// NewPool returns an empty Pool; Close stops it.
func NewPool() *Pool {
	return &Pool{work: make(chan func()), stop: make(chan struct{})}
}

// Run runs f on an idle goroutine of the pool, or on a new one.
func (p *Pool) Run(f func()) {
	p.tasks.Add(1)
	select {
	case p.work <- f:
	default:
		p.wg.Add(1)
		go p.loop(f)
	}
}

func (p *Pool) loop(f func()) {
	defer p.wg.Done()
	var t *time.Timer
	defer func() {
		if t != nil {
			t.Stop()
		}
	}()
	for {
		f()
		if p.idle.Add(1) > poolIdle {
			p.idle.Add(-1)
			return
		}
		if t == nil {
			t = time.NewTimer(poolLinger)
		} else {
			t.Reset(poolLinger)
		}
		select {
		case f = <-p.work:
			p.idle.Add(-1)
		case <-t.C:
			p.idle.Add(-1)
			return
		case <-p.stop:
			p.idle.Add(-1)
			return
		}
	}
}

// Tasks is how many tasks Run was given so far.
func (p *Pool) Tasks() int64 { return p.tasks.Load() }

// Close ends the idle goroutines and waits for every task. Nothing may be run meanwhile (the
// caller closes it once its connections are done).
func (p *Pool) Close() {
	p.stopOnce.Do(func() { close(p.stop) })
	p.wg.Wait()
}
