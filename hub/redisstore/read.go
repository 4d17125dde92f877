package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tourhub/tourhub/hub/store"
	"github.com/tourhub/tourhub/match"
)

func isNil(err error) bool { return errors.Is(err, redis.Nil) }

func redisZ(score float64, member string) redis.Z { return redis.Z{Score: score, Member: member} }

// loadState reads and decodes the stored state and caches it. It reads through wdb, as the
// commands whose state it is talk to Redis (see Store.wdb). The caller holds the tournament's turn.
func (s *Store) loadState(ctx context.Context, id string) (*cached, error) {
	h, err := s.wdb.HGetAll(ctx, keysOf(id).state).Result()
	if err != nil {
		return nil, s.fail(ctx, "load", id, err)
	}
	s.answered(id)
	return s.stateOf(id, h)
}

// stateOf decodes the state hash h of id, as HGETALL reads it, and caches it: it belongs to whoever
// holds the tournament's turn. A deleted tournament's tombstone (store.DeletedKept) is not found.
func (s *Store) stateOf(id string, h map[string]string) (*cached, error) {
	if h["epoch"] == "" || h["status"] == string(match.StatusDeleted) {
		s.cache.drop(id)
		return nil, store.ErrNotFound
	}
	t, err := decodeFields(h)
	if err != nil {
		return nil, fmt.Errorf("redisstore: state of %q: %w", id, err)
	}
	if v := num(h["version"]); t.Version != v {
		return nil, fmt.Errorf("redisstore: state of %q: tournament says version %d, hash %d", id, t.Version, v)
	}
	c := newCached(h["epoch"], h["rev"], t, restOf(h[fieldMeta]))
	s.cache.put(id, c)
	return c, nil
}

// Load returns a copy of the stored state. A state this node has cached is checked against the
// stored one first, as a command's is (checkCached: the same, or brought forward with the recent
// fields, or else read whole), so that reading a big tournament costs a copy, not a decode of the
// whole hash; it holds the tournament's turn meanwhile, as a command does.
func (s *Store) Load(ctx context.Context, id string) (*match.Tournament, store.Position, error) {
	mark, err := s.reachable(id)
	if err != nil {
		return nil, store.Position{}, err
	}
	release, err := s.lockLocal(ctx, id)
	if err != nil {
		return nil, store.Position{}, err
	}
	defer release()
	if err := s.stillReachable(id, mark); err != nil { // as Apply: behind a call that found Redis down
		return nil, store.Position{}, err
	}
	c := s.cache.state(id)
	if c != nil {
		c, err = s.checkCached(ctx, "load", id, c)
	} else {
		c, err = s.loadState(ctx, id)
	}
	if err != nil {
		return nil, store.Position{}, err
	}
	if c.t.Status == match.StatusDeleted { // a tombstone, as stateOf reads it
		return nil, store.Position{}, store.ErrNotFound
	}
	return c.t.Clone(), store.Position{Epoch: c.epoch, Version: c.v, Rev: c.rev}, nil
}

// Head implements store.Header: the stored position (one HMGET), not found for a missing or
// deleted tournament.
func (s *Store) Head(ctx context.Context, id string) (store.Position, error) {
	if _, err := s.reachable(id); err != nil {
		return store.Position{}, err
	}
	v, err := s.rdb.HMGet(ctx, keysOf(id).state, "epoch", "version", "rev", "status").Result()
	if err != nil {
		return store.Position{}, s.fail(ctx, "head", id, err)
	}
	s.answered(id)
	if str(v[0]) == "" || str(v[3]) == string(match.StatusDeleted) {
		return store.Position{}, store.ErrNotFound
	}
	return positionOf(v), nil
}

// listBatch is how many index entries List reads per round trip: one ZREVRANGEBYSCORE, then one
// pipelined HMGET of the summary fields per entry.
const listBatch = 100

// listScan bounds the index entries one List call reads, whatever its filters reject: 1,000 (ten
// batches of listBatch). Past that it answers the summaries it found, maybe fewer than the limit or
// none, with Next at the last entry it read, and the client asks again from there. A cursor is a
// position, not a count, so a short page skips nothing; a request never costs more than ten round
// trips, however rare the tournaments it asks for.
const listScan = 10 * listBatch

// List walks the index newest first from the cursor's score (ties at one ms go by id, greatest
// first, as ZREVRANGEBYSCORE orders equal scores) and reads the summary fields of each state hash,
// a batch at a time, until the page is full, the index ends or listScan entries were read. Ids
// whose state has expired or was deleted are removed from the index on the way.
func (s *Store) List(ctx context.Context, f store.ListFilter) (store.Page, error) {
	p := store.NewPager(f)
	top := "+inf" // the highest score the next batch may have
	if !f.After.IsZero() {
		top = strconv.FormatInt(f.After.CreatedMs, 10) // the ties at it that come first, the pager skips
	}
	var skip int64 // entries scored top already read: the next batch starts past them
	for read := 0; read < listScan; {
		zs, err := s.rdb.ZRevRangeByScoreWithScores(ctx, indexKey, &redis.ZRangeBy{Max: top, Min: "-inf", Offset: skip, Count: listBatch}).Result()
		if err != nil {
			return store.Page{}, s.fail(ctx, "list", "", err)
		}
		if len(zs) == 0 {
			return p.Page(true), nil
		}
		read += len(zs)
		cmds := make([]*redis.SliceCmd, len(zs))
		_, err = s.rdb.Pipelined(ctx, func(pl redis.Pipeliner) error {
			for i, z := range zs {
				cmds[i] = pl.HMGet(ctx, keysOf(str(z.Member)).state, "name", "format", "status", "players", "version", "created_at")
			}
			return nil
		})
		if err != nil {
			return store.Page{}, s.fail(ctx, "list", "", err)
		}
		var gone []any
		expired := make([]bool, len(zs))
		done := false
		for i, z := range zs {
			id, v := str(z.Member), cmds[i].Val()
			if v[4] == nil || str(v[2]) == string(match.StatusDeleted) {
				gone, expired[i] = append(gone, id), true
				p.Pass(store.Cursor{CreatedMs: int64(z.Score), ID: id})
				continue
			}
			sum := store.Summary{ID: id, Name: str(v[0]), Format: match.Format(str(v[1])),
				Status: match.Status(str(v[2])), Players: int(num(v[3])), Version: num(v[4]),
				CreatedAt: time.UnixMilli(num(v[5])).UTC()}
			if done = p.Add(sum); done {
				break
			}
		}
		pruned := false
		if len(gone) > 0 {
			if err := s.rdb.ZRem(ctx, indexKey, gone...).Err(); err != nil {
				s.log.Warn("prune tournament index", "err", err)
			} else {
				pruned = true
			}
		}
		switch {
		case done || p.Full():
			return p.Page(false), nil
		case len(zs) < listBatch:
			return p.Page(true), nil
		}
		// The next batch starts at the last score read, past the entries read at that score that
		// are still in the index. Offsets only matter when a batch ends inside one ms; should
		// another node prune an entry of that ms between two batches (it expired meanwhile), the
		// next batch starts one entry too far and this page misses one tournament of that ms.
		// The pager never lists an entry twice.
		last := strconv.FormatInt(int64(zs[len(zs)-1].Score), 10)
		if last != top {
			top, skip = last, 0
		}
		for i, z := range zs {
			if strconv.FormatInt(int64(z.Score), 10) == last && !(pruned && expired[i]) {
				skip++
			}
		}
	}
	return p.Page(false), nil
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func num(v any) int64 {
	n, _ := strconv.ParseInt(str(v), 10, 64)
	return n
}

// Events returns the stored entries after version `after`. State and log are read in one MULTI so
// they agree. A deleted tournament is not found: its tombstone's log is for watchers (catchUp).
func (s *Store) Events(ctx context.Context, id string, after int64) (store.Position, []store.Entry, bool, error) {
	if _, err := s.reachable(id); err != nil {
		return store.Position{}, nil, false, err
	}
	k := keysOf(id)
	var hd *redis.SliceCmd
	var rng *redis.XMessageSliceCmd
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		hd = p.HMGet(ctx, k.state, "epoch", "version", "rev", "status")
		rng = p.XRange(ctx, k.log, strconv.FormatInt(after+1, 10), "+")
		return nil
	})
	if err != nil {
		return store.Position{}, nil, false, s.fail(ctx, "events", id, err)
	}
	s.answered(id)
	head := positionOf(hd.Val())
	if head.Epoch == "" || str(hd.Val()[3]) == string(match.StatusDeleted) {
		return store.Position{}, nil, false, store.ErrNotFound
	}
	if after == head.Version {
		return head, nil, true, nil
	}
	if after > head.Version || after < 0 { // versions this history does not have
		return head, nil, false, nil
	}
	entries, err := decodeEntries(rng.Val())
	if err != nil {
		return store.Position{}, nil, false, err
	}
	complete := len(entries) > 0 && entries[0].Version == after+1 && entries[len(entries)-1].Version == head.Version
	if !complete {
		return head, nil, false, nil
	}
	return head, entries, true, nil
}

// positionOf reads HMGET epoch version rev.
func positionOf(v []any) store.Position {
	return store.Position{Epoch: str(v[0]), Version: num(v[1]), Rev: str(v[2])}
}

func decodeEntries(msgs []redis.XMessage) ([]store.Entry, error) {
	out := make([]store.Entry, 0, len(msgs))
	for _, m := range msgs {
		e, err := decodeEntry(m)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

func decodeEntry(m redis.XMessage) (store.Entry, error) {
	v, err := strconv.ParseInt(str(m.Values["v"]), 10, 64)
	if err != nil {
		return store.Entry{}, fmt.Errorf("redisstore: log entry %s: bad version: %w", m.ID, err)
	}
	e := store.Entry{Version: v, Rev: str(m.Values["r"]), Prev: str(m.Values["p"]), Raw: json.RawMessage(str(m.Values["e"]))}
	if c := str(m.Values["c"]); c != "" {
		e.Command = json.RawMessage(c)
	}
	if e.Events, err = decodeEvents(e.Raw); err != nil {
		return store.Entry{}, fmt.Errorf("redisstore: log entry %s: %w", m.ID, err)
	}
	return e, nil
}
