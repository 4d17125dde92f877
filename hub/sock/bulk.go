package sock

import (
	"os"
	"sync/atomic"
	"time"
)

// BulkGate paces a node's bulk writes: writes of bulkMin bytes or more (a snapshot, a burst of
// messages). Copying a big message into a socket costs its writer the copy and, on loopback or a
// fast link, the receiving side's processing, in the kernel, where GOMAXPROCS does not bound it:
// a thousand sockets handed a 743 KB snapshot at once would be a thousand threads copying, and the
// live deliveries (small writes, which never wait here) and everything else on the machine would
// queue behind them for the CPUs.
//
// So one bulk write system call copies at a time, node-wide (a turn, of at most bulkTurn bytes),
// and a turn that took d owes a pause of d*(1-share)/share, taken before the next turn once the
// pauses owed add up to pauseMin (the time nobody wrote pays them too): bulk writes take at most
// share of one CPU, over any few milliseconds.
// A burst of subscribers to a big tournament is then served at that pace, and a thousand clients
// that subscribe and never read cannot take the node's CPUs from the others, neither when they
// subscribe nor when they are closed as slow (the rest of a snapshot goes before the close
// frame). A writer whose socket's send buffer is full waits for it outside the gate. A socket that
// is closing waits for its turn only until its close deadline, so that shutdown is not held up by
// a queue of bulk writes.
//
// Only the bytes a client asked for in bulk wait here; a socket's live events are small writes.
// Browsers negotiate compression, which keeps most snapshots under bulkMin.
type BulkGate struct {
	turn chan struct{} // holds a token while a writer has its turn
	rest float64       // static after construction; the pause after a turn, per unit of its length
	owed time.Duration // guarded by the turn: the pause the turns so far owe, not yet taken
	last time.Time     // guarded by the turn: when the last turn ended

	paused atomic.Int64 // nanoseconds turns were held back by the pace
	pauses atomic.Int64 // how many times (tests only)

	onTurn func(start, end time.Time) // tests only: each turn's write, in its turn
}

// NewBulkGate returns a gate that lets bulk writes take at most share (0 < share <= 1) of one
// CPU. Share 1 only lets one bulk write copy at a time, without pauses.
func NewBulkGate(share float64) *BulkGate {
	if !(share > 0) || share > 1 {
		panic("sock: bulk gate share outside (0, 1]")
	}
	return &BulkGate{turn: make(chan struct{}, 1), rest: (1 - share) / share}
}

// Paused is how long turns were held back by the pace so far, node-wide.
func (g *BulkGate) Paused() time.Duration { return time.Duration(g.paused.Load()) }

// do runs write (one write system call) in c's turn, and reports how long it waited for the turn.
// A connection that is closing waits for its turn only until its close deadline (SetCloseBy):
// past it, do reports os.ErrDeadlineExceeded and writes nothing. A connection that is not closing
// waits as long as the turns before it take: the pace is the node's doing, not its client's, and
// the caller moves its write deadline by the wait.
func (g *BulkGate) do(c *Conn, write func()) (waited time.Duration, err error) {
	from := time.Now()
	var expired <-chan time.Time // the close deadline, once closing
	closing := c.closing
	for wait := true; wait; {
		select {
		case g.turn <- struct{}{}:
			wait = false
		case <-closing:
			closing = nil
			t := time.NewTimer(time.Until(c.closeByTime()))
			defer t.Stop()
			expired = t.C
		case <-expired:
			return 0, os.ErrDeadlineExceeded
		}
	}
	defer func() { <-g.turn }()
	if g.owed > 0 {
		g.owed = max(0, g.owed-time.Since(g.last)) // the time nobody wrote pays it
	}
	if g.owed >= pauseMin {
		paused := time.Now()
		t := time.NewTimer(g.owed)
		defer t.Stop()
		select {
		case <-t.C:
		case <-expired:
			return 0, os.ErrDeadlineExceeded
		}
		g.paused.Add(int64(time.Since(paused)))
		g.pauses.Add(1)
		g.owed = 0
	}
	start := time.Now()
	waited = start.Sub(from)
	write()
	end := time.Now()
	if g.onTurn != nil {
		g.onTurn(start, end)
	}
	g.owed += time.Duration(float64(end.Sub(start)) * g.rest)
	g.last = end
	return waited, nil
}

// pauseMin is the shortest pause the gate takes. Turns owe their pauses until those add up to
// pauseMin: a timer cannot pause for a few microseconds (an idle Go runtime wakes for it a
// millisecond later), and a pause after every short turn would pace bulk writes far below the
// share.
const pauseMin = time.Millisecond
