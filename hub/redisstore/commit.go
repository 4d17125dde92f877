package redisstore

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tourhub/tourhub/hub/store"
	"github.com/tourhub/tourhub/match"
)

// maxTries bounds the compare-and-set retries of one Apply.
const maxTries = 10

// marshalEvents is the events of a commit as encoding/json writes them (match.AppendEvents), none
// as [].
func marshalEvents(ev []match.Event) ([]byte, error) {
	return exactly(ev, appendEvents)
}

func appendEvents(ev []match.Event, b []byte) ([]byte, error) { return match.AppendEvents(b, ev) }

// Create stores a new tournament (version 1, a new epoch). An existing id is refused with
// match.CodeAlreadyExists.
func (s *Store) Create(ctx context.Context, id string, cmd match.Command, createdAt time.Time) (store.Applied, error) {
	if createdAt.IsZero() {
		createdAt = s.opts.Now()
	}
	cmd.Tournament = id
	cmd, err := s.ret.Settle(cmd)
	if err != nil {
		return store.Applied{}, err
	}
	t := &match.Tournament{}
	events, err := store.ApplyCommand(t, cmd)
	if err != nil {
		return store.Applied{}, err
	}
	t.Version = 1
	fields, err := allFields(t)
	if err != nil {
		return store.Applied{}, err
	}
	evJSON, err := marshalEvents(events)
	if err != nil {
		return store.Applied{}, fmt.Errorf("redisstore: encode events: %w", err)
	}
	if _, err := s.reachable(id); err != nil {
		return store.Applied{}, err
	}
	epoch, rev := newEpoch(), store.NewRev()
	k := keysOf(id)
	ms := createdAt.UnixMilli()
	// The index entry goes first (another slot, so not in the script); an entry left by a create that
	// then failed is pruned by List.
	if err := s.rdb.ZAddNX(ctx, indexKey, redisZ(float64(ms), id)).Err(); err != nil {
		return store.Applied{}, s.fail(ctx, "create", id, err)
	}
	stateTTL, logTTL := s.ret.TTL(t)
	args := make([]any, 0, 14+len(fields.set))
	args = append(args, epoch, rev, string(t.Status), t.Name, string(t.Settings.Format), len(t.Participants), ms,
		evJSON, s.opts.StreamMaxLen, stateTTL.Milliseconds(), logTTL.Milliseconds(), k.channel,
		appendPayload(nil, epoch, 1, evJSON, nil, rev, "", nil, nil), len(fields.set)/2)
	for _, f := range fields.set {
		args = append(args, f)
	}
	cmdJSON, err := store.EncodeCommand(&cmd)
	if err != nil {
		return store.Applied{}, fmt.Errorf("redisstore: %w", err)
	}
	args = append(args, cmdJSON)
	keys := []string{k.state, k.log, k.subs, k.recent}
	var n, acked int
	if s.opts.WaitReplicas == 0 {
		n, err = s.scripts.create.Run(ctx, s.wdb, keys, args...).Int()
	} else {
		var run *redis.Cmd
		if run, acked, err = s.evalWait(ctx, s.scripts.create, keys, args); err == nil {
			n, err = run.Int()
		}
	}
	if err != nil {
		return store.Applied{}, s.fail(ctx, "create", id, err)
	}
	s.answered(id)
	if n == 0 {
		return store.Applied{}, &match.Error{Code: match.CodeAlreadyExists, Message: fmt.Sprintf("tournament %q already exists", id)}
	}
	s.cache.put(id, newCached(epoch, rev, t.Clone(), fields.metaRest)) // the cached state is changed in place by commands
	s.stats.commits.Add(1)
	if acked < s.opts.WaitReplicas {
		// Not acknowledged, as an unreplicated commit is not: a failover could lose it, and its
		// organiser would hold a token to nothing. The retry creates another tournament; this
		// one, never announced, expires with its idle retention.
		return store.Applied{}, s.unreplicated(id, 1, acked)
	}
	due, _ := match.NextDue(t)
	return store.Applied{Epoch: epoch, Version: 1, Rev: rev, Events: events, State: t, Due: due}, nil
}

// Apply applies cmd to the newest state and commits it with one compare-and-set script. See
// store.Store.
func (s *Store) Apply(ctx context.Context, id string, cmd match.Command, submissionID string) (store.Applied, error) {
	mark, err := s.reachable(id)
	if err != nil {
		return store.Applied{}, err
	}
	// Commands of one node to one tournament take turns: they would only race each other's
	// compare-and-set. Other nodes are sequenced by the script.
	release, err := s.lockLocal(ctx, id)
	if err != nil {
		return store.Applied{}, err
	}
	defer func() { release() }()
	// Commands that waited for their turn behind one that found Redis unreachable fail fast.
	if err := s.stillReachable(id, mark); err != nil {
		return store.Applied{}, err
	}
	k := keysOf(id)
	// Without a watcher here the cached state is not brought forward by other nodes' commits:
	// a lost compare-and-set then has the script answer the stored state.
	stateOnConflict := "1"
	if s.watched(id) {
		stateOnConflict = "0"
	}
	cur := s.cache.state(id)
	var cmdJSON []byte // the command as the log keeps it (encoded once, whatever the retries)
	fresh := false     // cur was read from Redis during this call
	quiet := uint8(0)  // cached.quiet of the state this command commits on
	unchecked := false // cur is applied without the check: a guess that it is current
	if cur != nil && stateOnConflict == "1" {
		if cur.quiet >= quietToSkip {
			// This node's last commands found the cached state current: commit without checking
			// (a lost compare-and-set answers the commits since, one round trip either way).
			quiet, unchecked = cur.quiet, true
			s.stats.unchecked.Add(1)
		} else {
			// Nothing brings an unwatched cache forward: make sure it is the stored state before
			// applying, rather than lose the compare-and-set to every command of another node.
			if cur, quiet, err = s.checkQuiet(ctx, id, cur); err != nil {
				return store.Applied{}, err
			}
			fresh = true
		}
	}
	var followed int64 // the last winning version this call waited for the watcher to bring
	for try := 0; try < maxTries; try++ {
		if cur == nil {
			var err error
			if cur, err = s.loadState(ctx, id); err != nil {
				return store.Applied{}, err
			}
			fresh = true
		}
		// The cached state belongs to this command while it holds the turn: applied in place, and
		// undone unless the commit takes (see cached).
		t := cur.t
		from, oldName := t.Version, t.Name
		oldState, oldLog := s.ret.TTL(t)
		events, ch, err := store.ApplyChanges(t, cmd)
		if err != nil {
			var me *match.Error
			if !errors.As(err, &me) {
				s.cache.drop(id) // an engine panic may have left it half changed
				return store.Applied{}, err
			}
			if !fresh { // the cached state may be old: judge the command on the stored one
				if unchecked { // check now (an answer "same" leaves the error standing)
					if cur, quiet, err = s.checkQuiet(ctx, id, cur); err != nil {
						return store.Applied{}, err
					}
					fresh, unchecked = true, false
					continue
				}
				cur = nil
				continue
			}
			if submissionID != "" { // a repeat of an accepted submission is not an error
				if a, ok, derr := s.duplicate(ctx, id, cur, submissionID); derr != nil || ok {
					return s.confirmed(ctx, id, a, derr)
				}
			}
			return store.Applied{}, err
		}
		// outcome is what a repeat of the submission is answered; evJSON is inside it.
		fields, evJSON, outcome, err := s.encodeCommit(t, cur.metaRest, ch, events, cmd, &cmdJSON, submissionID != "")
		if err != nil {
			ch.Undo(t)
			return store.Applied{}, err
		}
		rev := store.NewRev()
		stateTTL, logTTL := s.ret.TTL(t)
		// What the watchers' handlers deliver beside the events, made once here (store.Annexer).
		annex := s.out.Annex(id, store.Position{Epoch: cur.epoch, Version: t.Version, Rev: rev}, t, events)
		// The published message and the recent list's item go to Redis and are not kept: they
		// are written in buffers used again once the script has answered. The item is made once:
		// it is also the published fields of most results (fieldSet.appendObject).
		bufs := argBufs.Get().(*argBuf)
		r := fields.appendRecent(bufs.recent[:0])
		bufs.recent = r
		pub := appendPayload(bufs.pub[:0], cur.epoch, t.Version, evJSON, annex, rev, cur.rev, &fields, r)
		bufs.pub = pub
		var recent any = "-" // over maxRecentBytes: never answered (checkLua), so not kept either
		if len(r) <= maxRecentBytes {
			recent = r
		}
		if t.Name != oldName {
			// The list's summary field (the tournament's own name is in its "t" field, which
			// followers read: this one is not published).
			fields.set = append(fields.set, "name", t.Name)
		}
		renew := "0"
		if stateTTL != oldState || logTTL != oldLog {
			renew = "1"
		}
		args := make([]any, 0, 21+len(fields.set)+len(fields.del)) // 19, the fields, their object, the command
		args = append(args, cur.epoch, from, cur.rev, t.Version, rev, string(t.Status), len(t.Participants),
			evJSON, submissionID, outcome, s.opts.StreamMaxLen, stateTTL.Milliseconds(), logTTL.Milliseconds(), k.channel,
			pub, len(fields.set)/2, len(fields.del), stateOnConflict, renew)
		for _, f := range fields.set {
			args = append(args, f)
		}
		for _, f := range fields.del {
			args = append(args, f)
		}
		args = append(args, recent, cmdJSON)
		s.own.put(rev, events)
		if s.beforeCommit != nil {
			s.beforeCommit(id)
		}
		res, acked, err := s.commit(ctx, []string{k.state, k.log, k.subs, k.recent}, args)
		bufs.release()
		if err != nil {
			s.cache.drop(id)
			return store.Applied{}, s.fail(ctx, "apply", id, err)
		}
		s.answered(id)
		if res[0] == "ok" {
			c := newCached(cur.epoch, rev, t, fields.metaRest)
			c.quiet = quiet // 0 on a watched tournament: only the check of an unwatched cache counts
			s.cache.put(id, c)
			s.stats.commits.Add(1)
			if acked < s.opts.WaitReplicas {
				return store.Applied{}, s.unreplicated(id, t.Version, acked)
			}
			due, _ := match.NextDue(t)
			return store.Applied{Epoch: cur.epoch, Version: t.Version, Rev: rev, Events: events, Due: due}, nil
		}
		ch.Undo(t) // not committed: the cached state is again the one the command was applied to
		switch res[0] {
		case "dup":
			a, err := s.decodeDuplicate(ctx, id, res[1])
			return s.confirmed(ctx, id, a, err)
		case "missing":
			s.cache.drop(id)
			return store.Applied{}, store.ErrNotFound
		}
		// "conflict" or "epoch": another command got there first (or the tournament was re-created).
		s.stats.conflicts.Add(1)
		quiet = 0
		if v, _ := strconv.ParseInt(res[1], 10, 64); res[0] == "conflict" {
			s.wentBack(id, from, v)
		}
		if res[0] == "conflict" && len(res) > 2 { // the stored state came with the answer
			if fresh {
				if err := s.backoff(ctx, try); err != nil {
					return store.Applied{}, err
				}
			}
			if res[2] == "recent" { // the commits since, as the check answers them
				cur, err = s.fromRecent(ctx, id, cur, res[3:])
			} else {
				cur, err = s.stateOf(id, hashOf(res[2:]))
			}
			if err != nil {
				return store.Applied{}, err
			}
			fresh = true
			continue
		}
		if res[0] == "conflict" {
			// This node's watcher is likely bringing the cached state to the winner's version
			// already (a commit publishes the fields it wrote): wait for that rather than read the
			// whole state back. Once per version: a cache that reaches it and still loses (Redis
			// lost writes and the history forked) is read back instead.
			if v, _ := strconv.ParseInt(res[1], 10, 64); v > followed {
				followed = v
				// Not holding the turn meanwhile: it is shared by a shard of tournaments.
				release()
				reached := s.follow(ctx, id, v)
				if release, err = s.lockLocal(ctx, id); err != nil {
					release = func() {}
					return store.Applied{}, err
				}
				if c := s.cache.state(id); reached && c != nil && c.version() >= v {
					s.stats.followed.Add(1)
					cur, fresh = c, false
					continue
				}
			}
		}
		s.cache.drop(id)
		if fresh {
			if err := s.backoff(ctx, try); err != nil {
				return store.Applied{}, err
			}
		}
		cur, fresh = nil, false
	}
	return store.Applied{}, fmt.Errorf("redisstore: apply to %q after %d tries: %w", id, maxTries, store.ErrConflict)
}

// checkCached returns the stored state of id: cur if it still is (one small script), or else cur
// brought forward by the fields of the commits since (the recent list), or the stored state the
// same script read. op names the caller's operation in errors.
func (s *Store) checkCached(ctx context.Context, op, id string, cur *cached) (*cached, error) {
	k := keysOf(id)
	res, err := checkLua.Run(ctx, s.wdb, []string{k.state, k.recent}, cur.epoch, cur.t.Version, cur.rev).StringSlice()
	if err != nil {
		s.cache.drop(id)
		return nil, s.fail(ctx, op, id, err)
	}
	s.answered(id)
	switch {
	case len(res) == 1 && res[0] == "same":
		return cur, nil
	case len(res) == 1 && res[0] == "missing":
		s.cache.drop(id)
		return nil, store.ErrNotFound
	}
	s.stats.stale.Add(1)
	if res[0] == "recent" { // never a field of the state hash
		return s.fromRecent(ctx, id, cur, res[1:])
	}
	h := hashOf(res)
	if h["epoch"] == cur.epoch {
		s.wentBack(id, cur.t.Version, num(h["version"]))
	}
	return s.stateOf(id, h)
}

// checkQuiet is checkCached for a command, with the quiet count of the state it returns: one
// more than cur's when cur is still the stored state (at most quietToSkip), else 0.
func (s *Store) checkQuiet(ctx context.Context, id string, cur *cached) (*cached, uint8, error) {
	c, err := s.checkCached(ctx, "apply", id, cur)
	if err != nil || c != cur {
		return c, 0, err
	}
	return c, min(cur.quiet+1, quietToSkip), nil
}

// fromRecent is cur, the cached state of id, brought forward with the recent fields a script
// answered (forward), or else the stored state read whole.
func (s *Store) fromRecent(ctx context.Context, id string, cur *cached, answer []string) (*cached, error) {
	c, err := s.forward(id, cur, answer)
	if err != nil {
		s.log.Warn("cached state not brought forward from the recent fields; reading it", "tournament", id, "version", cur.t.Version, "err", err)
		return s.loadState(ctx, id)
	}
	s.stats.staleRecent.Add(1)
	return c, nil
}

// forward brings cur, the cached state of id, to the stored version with what checkLua answered
// from the recent list: the stored t, then the rev and fields of each version after cur's
// (chained by the script), as a watcher brings its cache forward from the published commits; it
// caches the result. The caller holds the tournament's turn. On error cur's state is half
// changed and no longer cached.
func (s *Store) forward(id string, cur *cached, answer []string) (*cached, error) {
	if len(answer) < 3 || len(answer)%2 != 1 {
		s.cache.drop(id)
		return nil, fmt.Errorf("redisstore: check answered %d items of recent fields", len(answer))
	}
	entries := answer[1:]
	objects := make([]json.RawMessage, 0, len(entries)/2)
	for i := 1; i < len(entries); i += 2 {
		objects = append(objects, bytesOf(entries[i]))
	}
	if _, err := applyObjects(cur.t, objects, bytesOf(answer[0]), cur.v+int64(len(objects))); err != nil {
		s.cache.drop(id)
		return nil, fmt.Errorf("redisstore: the recent fields: %w", err)
	}
	// put, not replace: an entry a watcher started meanwhile made from cur shares its state,
	// which is now this one's.
	d := newCached(cur.epoch, entries[len(entries)-2], cur.t, restOf(answer[0]))
	s.cache.put(id, d)
	return d, nil
}

// wentBack counts and logs a rollback when the stored version of id is below the version of
// this node's cached state: Redis lost commits (the watcher, if any, resyncs the sockets; the
// command is applied to the stored state).
func (s *Store) wentBack(id string, cached, stored int64) {
	if stored >= cached {
		return
	}
	s.stats.rollbacks.Add(1)
	s.log.Warn("redis history went back: the stored version is below this node's cached state; reading it back",
		"tournament", id, "cached_version", cached, "stored_version", stored)
}

// encodeCommit encodes what the commit of a command writes: the fields it changed and its events,
// and the command itself once per Apply (*cmdJSON, kept over retries). With a submission id it
// also gives what a repeat of the submission is answered ({"version":V,"events":[...]}), and the
// events are then a part of that outcome, not a copy.
func (s *Store) encodeCommit(t *match.Tournament, baseRest string, ch match.Changes, events []match.Event, cmd match.Command, cmdJSON *[]byte, submission bool) (fields fieldSet, evJSON, outcome []byte, err error) {
	if fields, err = changedFields(t, ch, baseRest); err != nil {
		return fieldSet{}, nil, nil, err
	}
	if submission {
		outcome, err = exactly(outcomeOf{t.Version, events}, appendOutcome)
		if err == nil {
			// The first comma is the one after the version.
			evJSON = outcome[bytes.IndexByte(outcome, ',')+len(outcomeEvents) : len(outcome)-1]
		}
	} else {
		evJSON, err = marshalEvents(events)
	}
	if err != nil {
		return fieldSet{}, nil, nil, fmt.Errorf("redisstore: encode events: %w", err)
	}
	if *cmdJSON == nil {
		if *cmdJSON, err = store.EncodeCommand(&cmd); err != nil {
			return fieldSet{}, nil, nil, fmt.Errorf("redisstore: %w", err)
		}
	}
	return fields, evJSON, outcome, nil
}

// outcomeOf is an accepted submission's version and events, as its repeats are answered.
type outcomeOf struct {
	version int64
	events  []match.Event
}

const (
	outcomeHead   = `{"version":`
	outcomeEvents = `,"events":`
)

func appendOutcome(o outcomeOf, b []byte) ([]byte, error) {
	b = strconv.AppendInt(append(b, outcomeHead...), o.version, 10)
	b, err := match.AppendEvents(append(b, outcomeEvents...), o.events)
	if err != nil {
		return nil, err
	}
	return append(b, '}'), nil
}

// hashOf is a hash as HGETALL lists it (field, value, ...).
func hashOf(list []string) map[string]string {
	h := make(map[string]string, len(list)/2)
	for i := 0; i+1 < len(list); i += 2 {
		h[list[i]] = list[i+1]
	}
	return h
}

// watched reports whether this node's watcher follows tournament id.
func (s *Store) watched(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.watches[id] != nil
}

// follow waits until the cached entry of id stands for version or later, as this node's watcher
// brings it forward from the published commits; false when the tournament is not watched here,
// the cache was dropped (the watcher had doubts), or Options.FollowWait passed. The caller takes
// the state (stateCache.state) once it holds the turn again.
func (s *Store) follow(ctx context.Context, id string, version int64) bool {
	if !s.watched(id) {
		return false
	}
	t := time.NewTimer(s.opts.FollowWait)
	defer t.Stop()
	for {
		c := s.cache.get(id)
		if c == nil {
			return false
		}
		if c.version() >= version {
			return true
		}
		select {
		case <-c.gone:
		case <-t.C:
			return false
		case <-ctx.Done():
			return false
		}
	}
}

// lockLocal takes the node-local turn of tournament id (a shard of ids shares one turn): it
// sequences this node's commands to a tournament, and whoever holds it owns the tournament's
// cached state (see cached).
func (s *Store) lockLocal(ctx context.Context, id string) (func(), error) {
	sem := s.turnOf(id)
	select {
	case sem <- struct{}{}:
		return func() { <-sem }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// tryLockLocal takes the turn of tournament id if it is free.
func (s *Store) tryLockLocal(id string) (func(), bool) {
	sem := s.turnOf(id)
	select {
	case sem <- struct{}{}:
		return func() { <-sem }, true
	default:
		return nil, false
	}
}

func (s *Store) turnOf(id string) chan struct{} {
	h := fnv.New32a()
	_, _ = h.Write([]byte(id))
	return s.turns[h.Sum32()%uint32(len(s.turns))]
}

// backoff sleeps a random time up to 1ms<<try (at most 64ms): full jitter spreads the nodes that
// lost a race.
func (s *Store) backoff(ctx context.Context, try int) error {
	ceiling := time.Millisecond << min(try, 6)
	d := time.Duration(rand.Int64N(int64(ceiling)) + 1)
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// duplicate looks a submission id up. ok is false when it was never recorded.
func (s *Store) duplicate(ctx context.Context, id string, cur *cached, submissionID string) (store.Applied, bool, error) {
	raw, err := s.wdb.HGet(ctx, keysOf(id).subs, submissionID).Result()
	if isNil(err) {
		return store.Applied{}, false, nil
	}
	if err != nil {
		return store.Applied{}, false, s.fail(ctx, "apply", id, err)
	}
	a, err := s.decodeDuplicate(ctx, id, raw)
	return a, err == nil, err
}

// decodeDuplicate turns a recorded outcome into the Applied of a repeat; State is the current state.
func (s *Store) decodeDuplicate(ctx context.Context, id, raw string) (store.Applied, error) {
	var e store.Entry
	if err := decode([]byte(raw), &e); err != nil {
		return store.Applied{}, fmt.Errorf("redisstore: decode recorded outcome: %w", err)
	}
	cur, err := s.loadState(ctx, id)
	if err != nil {
		return store.Applied{}, err
	}
	s.stats.duplicates.Add(1)
	return store.Applied{Epoch: cur.epoch, Version: e.Version, Events: e.Events, State: cur.t.Clone(), Duplicate: true}, nil
}

// commit runs the commit script. With WaitReplicas it then waits, on the same connection, until
// that many replicas have the write (WAIT, at most WaitTimeout) and reports how many did; without,
// acked is 0.
func (s *Store) commit(ctx context.Context, keys []string, args []any) (res []string, acked int, err error) {
	sc := s.scripts.commit
	if s.opts.WaitReplicas == 0 {
		res, err = sc.Run(ctx, s.wdb, keys, args...).StringSlice()
		return res, 0, err
	}
	run, acked, err := s.evalWait(ctx, sc, keys, args)
	if err != nil {
		return nil, 0, err
	}
	res, err = run.StringSlice()
	return res, acked, err
}

// argBuf holds the buffers of a commit's largest arguments: the published message and the recent
// list's item, written for the script and not kept past its answer (go-redis writes a []byte
// argument as it is, within the call).
type argBuf struct{ pub, recent []byte }

var argBufs = sync.Pool{New: func() any { return new(argBuf) }}

// release puts the buffers back for the next commit once the script has answered: nothing reads
// them after that. Ones grown past 64 KiB by a rare big commit (a start) are let go.
func (b *argBuf) release() {
	if cap(b.pub) > 64<<10 {
		b.pub = nil
	}
	if cap(b.recent) > 64<<10 {
		b.recent = nil
	}
	argBufs.Put(b)
}

// confirmLua rewrites a key's TTL as it is: a write that changes nothing but is replicated, so
// that a WAIT behind it covers every write to the key before it.
var confirmLua = redis.NewScript(`
local ttl = redis.call('PTTL', KEYS[1])
if ttl > 0 then
  redis.call('PEXPIRE', KEYS[1], ttl)
end
return ttl
`)

// confirmed answers a repeated submission (its first outcome, a) once WaitReplicas replicas have
// it: the first commit may have answered unavailable for want of them (see unreplicated), and
// its repeat must not be acknowledged before it would have been.
func (s *Store) confirmed(ctx context.Context, id string, a store.Applied, err error) (store.Applied, error) {
	if err != nil || s.opts.WaitReplicas == 0 {
		return a, err
	}
	_, acked, err := s.evalWait(ctx, confirmLua, []string{keysOf(id).subs}, nil)
	if err != nil {
		return store.Applied{}, s.fail(ctx, "apply", id, err)
	}
	if acked < s.opts.WaitReplicas {
		return store.Applied{}, s.unreplicated(id, a.Version, acked)
	}
	return a, nil
}

// Confirm implements store.Confirmer: with WaitReplicas, a replicated rewrite of the state's TTL
// and WAIT behind it, so that the tournament's state as it is (its create included) is on enough
// replicas.
func (s *Store) Confirm(ctx context.Context, id string) error {
	if s.opts.WaitReplicas == 0 {
		return nil
	}
	_, acked, err := s.evalWait(ctx, confirmLua, []string{keysOf(id).state}, nil)
	if err != nil {
		return s.fail(ctx, "confirm", id, err)
	}
	if acked < s.opts.WaitReplicas {
		return s.unreplicated(id, 0, acked)
	}
	return nil
}

// evalWait runs sc and then WAIT for WaitReplicas replicas in one pipeline, on one connection to
// the master of keys (WAIT counts the replicas that have that connection's writes), and reports
// how many replicas confirmed.
func (s *Store) evalWait(ctx context.Context, sc *redis.Script, keys []string, args []any) (*redis.Cmd, int, error) {
	var cl redis.Cmdable = s.wdb
	if cc, ok := s.wdb.(*redis.ClusterClient); ok {
		var err error
		if cl, err = cc.MasterForKey(ctx, keys[0]); err != nil {
			return nil, 0, err
		}
	}
	for try := 0; ; try++ {
		var run, wait *redis.Cmd
		// Each command's own error is read below.
		_, _ = cl.Pipelined(ctx, func(p redis.Pipeliner) error {
			run = sc.EvalSha(ctx, p, keys, args...)
			wait = p.Do(ctx, "WAIT", s.opts.WaitReplicas, s.opts.WaitTimeout.Milliseconds())
			return nil
		})
		err := run.Err()
		if err != nil && try == 0 && redis.HasErrorPrefix(err, "NOSCRIPT") {
			// The script did not run (a new or restarted master): load it, then again.
			if err := sc.Load(ctx, cl).Err(); err != nil {
				return nil, 0, err
			}
			continue
		}
		if err != nil {
			if cc, ok := s.wdb.(*redis.ClusterClient); ok && (redis.HasErrorPrefix(err, "MOVED") || redis.HasErrorPrefix(err, "ASK")) {
				cc.ReloadState(ctx) // the slot moved: the caller's retry goes to the new owner
			}
			return nil, 0, err
		}
		n, _ := wait.Int() // a failed WAIT confirms nothing
		return run, n, nil
	}
}

// unreplicated answers a commit that fewer than WaitReplicas replicas confirmed within
// WaitTimeout: it is written on the master, but a failover could lose it, so it is not
// acknowledged. The caller's retry with the same submission id answers it once it is confirmed
// (or commits it again if a failover did lose it).
func (s *Store) unreplicated(id string, version int64, acked int) error {
	s.stats.unreplicated.Add(1)
	s.log.Warn("commit not confirmed by enough replicas; answered unavailable", "tournament", id,
		"version", version, "replicas", acked, "wanted", s.opts.WaitReplicas, "wait_timeout", s.opts.WaitTimeout)
	return fmt.Errorf("redisstore: apply: %w: %d of %d replicas confirmed the commit within %s (retry with the same submission id)",
		store.ErrUnavailable, acked, s.opts.WaitReplicas, s.opts.WaitTimeout)
}
