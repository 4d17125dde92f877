package fanout

import (
	"context"
	"errors"
	"math"
	"time"

	"github.com/tourhub/tourhub/hub/store"
	"github.com/tourhub/tourhub/match"
)

// Catch-ups. A subscriber owes nothing to the live stream until its catch-up is queued: the events
// it missed, if the store still holds them on the history it came from, or else a snapshot. One
// worker goroutine per topic reads what the waiting subscribers need (one Events read and at most
// one Load for all of them) and queues it under the topic's lock with the live entries held
// meanwhile (see topics.go).

// catchUpTimeout bounds the store reads of one round of catch-ups.
const catchUpTimeout = 10 * time.Second

type job struct {
	sb  *sub
	req *Request
	gen uint64
}

// caught is the outcome of one job.
type caught struct {
	err       error
	at        store.Position // where the catch-up leaves the socket
	recovered bool
	msgs      []Msg
}

// form is the index of a protocol version's form: 0 v1's, 1 v2's (compact).
func form(compact bool) int {
	if compact {
		return 1
	}
	return 0
}

// work reads and queues catch-ups for t's waiting subscribers until none is left.
func (b *Table) work(t *topic) {
	defer b.wg.Done()
	for {
		t.mu.Lock()
		var jobs []job
		for _, sb := range t.owed {
			sb.queued = false
			if sb.req != nil && t.subs[sb.s] == sb {
				jobs = append(jobs, job{sb, sb.req, sb.gen})
			}
		}
		t.owed = t.owed[:0]
		if cap(t.owed) > 1024 {
			t.owed = nil // a burst's list is not kept for the topic's life
		}
		if len(jobs) == 0 {
			t.working = false
			empty := len(t.subs) == 0 // its tournament was deleted (queue)
			t.mu.Unlock()
			if empty {
				b.dropIfEmpty(t)
			}
			return
		}
		needNames := !t.loaded
		losses := t.losses
		t.mu.Unlock()
		b.catchUp(t, jobs, needNames, losses)
	}
}

// catchUp reads what jobs need from the store (at most one Events and one Load for all of them)
// and queues it, unless a job was superseded meanwhile (the next round of work redoes it).
// losses is the topic's count of losses when the jobs were taken.
func (b *Table) catchUp(t *topic, jobs []job, needNames bool, losses uint64) {
	out := make([]caught, len(jobs))
	var snaps []int
	var learned []match.Event

	ctx, cancel := context.WithTimeout(b.ctx, catchUpTimeout)
	defer cancel()

	var resumers []int
	for i, j := range jobs {
		if j.req.Resume {
			resumers = append(resumers, i)
		} else {
			snaps = append(snaps, i)
		}
	}
	// One Events read from the oldest version asked for serves every resumer. If the store no
	// longer holds that far back, those resumers get snapshots and the next oldest version is
	// tried, so that a newer resumer is still recovered when it can be. A resumer whose position
	// is not on the store's history (another epoch, or a rev the store's history does not pass
	// through: the store came back older and reused the versions) gets a snapshot too.
	for len(resumers) > 0 {
		after := int64(math.MaxInt64)
		for _, i := range resumers {
			after = min(after, jobs[i].req.From.Version)
		}
		head, entries, complete, err := b.cfg.Store.Events(ctx, t.id, after)
		if err != nil {
			for _, i := range resumers {
				out[i].err = err
			}
			break
		}
		if !complete {
			rest := resumers[:0]
			for _, i := range resumers {
				if jobs[i].req.From.Version == after {
					snaps = append(snaps, i)
				} else {
					rest = append(rest, i)
				}
			}
			resumers = rest
			continue
		}
		var encoded []Msg
		if encoded, err = t.events(head.Epoch, entries); err == nil {
			for _, e := range entries {
				learned = append(learned, e.Events...)
			}
		}
		for _, i := range resumers {
			from := jobs[i].req.From
			if err != nil || !from.Continues(head, entries) {
				snaps = append(snaps, i) // not recoverable: a snapshot
				continue
			}
			k := 0
			for k < len(entries) && entries[k].Version <= from.Version {
				k++
			}
			out[i] = caught{at: head, recovered: true, msgs: encoded[k:]}
		}
		break
	}

	// The snapshots, in the forms the waiting sockets speak (v1's, v2's), each the one a socket
	// still holds for the topic's last entry (or last read) if there is one, else encoded from
	// one Load for all.
	var state *match.Tournament
	var loaded store.Position // where state stood
	if len(snaps) > 0 || needNames {
		var need [2]bool
		for _, i := range snaps {
			need[form(jobs[i].sb.compact)] = true
		}
		var loadErr error
		load := func() { // at most one Load
			if state != nil || loadErr != nil {
				return
			}
			var st *match.Tournament
			if st, loaded, loadErr = b.cfg.Store.Load(ctx, t.id); loadErr == nil {
				state = st
			}
		}
		if needNames {
			load()
		}
		var heads [2]store.Position
		var snap [2]Msg
		var errs [2]error
		for f := range need {
			if !need[f] {
				continue
			}
			head, m, held := t.heldSnapshot(f == 1)
			if !held || needNames {
				if load(); loadErr != nil {
					errs[f] = loadErr
					continue
				}
				head = loaded
				m, errs[f] = t.snapshot(head, state, f == 1)
			}
			heads[f], snap[f] = head, m
		}
		for _, i := range snaps {
			f := form(jobs[i].sb.compact)
			if errs[f] != nil {
				out[i].err = errs[f]
				continue
			}
			out[i] = caught{at: heads[f], msgs: []Msg{snap[f]}}
		}
	}

	var w Writers
	t.mu.Lock()
	if state != nil {
		for _, p := range state.Participants {
			t.names[p.ID] = p.Name
		}
		t.loaded = true
		if t.epoch == "" && t.losses == losses {
			t.read = loaded
		}
	}
	learnNames(t.names, learned)
	removed := false
	for i, j := range jobs {
		sb := j.sb
		if t.subs[sb.s] != sb || sb.gen != j.gen {
			continue // unsubscribed, or superseded by a new subscribe or a loss
		}
		c := out[i]
		if c.err != nil {
			switch {
			case j.req.Reply:
				sb.s.Refused(j.req.Ref, c.err)
			case errors.Is(c.err, store.ErrNotFound):
				// Gone while watched (expired, or deleted past the tombstone's keep): that
				// subscription ends, not the socket with the others.
				sb.s.Ended(t.id, c.err)
			default:
				b.cfg.Log.Warn("resync failed", "tournament", t.id, "err", c.err)
				sb.s.Resync()
			}
			delete(t.subs, sb.s)
			removed = true
			continue
		}
		if j.req.Reply {
			w.Queue(sb.s, encodeSubscribed(j.req.Ref, t.id, c.at, c.recovered))
		}
		for _, m := range c.msgs {
			w.Queue(sb.s, m)
		}
		sent := c.at
		buf := sb.buf
		sb.buf, sb.req = nil, nil
		for k, d := range buf {
			if d.pos.Epoch == sent.Epoch && d.pos.Version <= sent.Version {
				continue
			}
			if !d.follows(sent) {
				// A hole between the catch-up and the live entries: start over.
				sb.req, sb.buf = &Request{Resume: true, From: sent}, buf[k:]
				sb.gen++
				t.oweLocked(sb)
				break
			}
			sb.push(d, &w)
			sent = d.pos
		}
		sb.at = sent
	}
	t.mu.Unlock()
	w.Write()
	if removed {
		b.dropIfEmpty(t)
	}
}
