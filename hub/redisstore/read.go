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

// loadState reads and decodes the stored state and caches it.
func (s *Store) loadState(ctx context.Context, id string) (*cached, error) {
	h, err := s.rdb.HGetAll(ctx, keysOf(id).state).Result()
	if err != nil {
		return nil, s.fail(ctx, "load", id, err)
	}
	s.answered(id)
	return s.stateOf(id, h)
}

// stateOf decodes the state hash h of id, as HGETALL reads it, and caches it.
func (s *Store) stateOf(id string, h map[string]string) (*cached, error) {
	if h["epoch"] == "" {
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
	c := newCached(h["epoch"], h["rev"], t)
	s.cache.put(id, c)
	return c, nil
}

// Load returns a copy of the stored state (always read from Redis, never from the node's cache).
func (s *Store) Load(ctx context.Context, id string) (*match.Tournament, store.Position, error) {
	if _, err := s.reachable(id); err != nil {
		return nil, store.Position{}, err
	}
	c, err := s.loadState(ctx, id)
	if err != nil {
		return nil, store.Position{}, err
	}
	return c.t.Clone(), store.Position{Epoch: c.epoch, Version: c.t.Version, Rev: c.rev}, nil
}

// List reads the index newest first and the summary fields of each state hash, a page at a time.
// Ids whose state has expired are removed from the index on the way.
func (s *Store) List(ctx context.Context, f store.ListFilter) ([]store.Summary, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	page := int64(max(limit, 100))
	out := make([]store.Summary, 0, min(limit, 100))
	for start := int64(0); len(out) < limit; start += page {
		ids, err := s.rdb.ZRevRange(ctx, indexKey, start, start+page-1).Result()
		if err != nil {
			return nil, s.fail(ctx, "list", "", err)
		}
		if len(ids) == 0 {
			break
		}
		cmds := make([]*redis.SliceCmd, len(ids))
		_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i, id := range ids {
				cmds[i] = p.HMGet(ctx, keysOf(id).state, "name", "format", "status", "players", "version", "created_at")
			}
			return nil
		})
		if err != nil {
			return nil, s.fail(ctx, "list", "", err)
		}
		var gone []any
		for i, id := range ids {
			v := cmds[i].Val()
			if v[4] == nil {
				gone = append(gone, id)
				continue
			}
			sum := store.Summary{ID: id, Name: str(v[0]), Format: match.Format(str(v[1])),
				Status: match.Status(str(v[2])), Players: int(num(v[3])), Version: num(v[4]),
				CreatedAt: time.UnixMilli(num(v[5])).UTC()}
			if f.Status != "" && sum.Status != f.Status {
				continue
			}
			if len(out) < limit {
				out = append(out, sum)
			}
		}
		if len(gone) > 0 {
			if err := s.rdb.ZRem(ctx, indexKey, gone...).Err(); err != nil {
				s.log.Warn("prune tournament index", "err", err)
			}
			start -= int64(len(gone)) // the removed ids shifted the ranks
		}
		if int64(len(ids)) < page {
			break
		}
	}
	return out, nil
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
// they agree.
func (s *Store) Events(ctx context.Context, id string, after int64) (store.Position, []store.Entry, bool, error) {
	if _, err := s.reachable(id); err != nil {
		return store.Position{}, nil, false, err
	}
	k := keysOf(id)
	var hd *redis.SliceCmd
	var rng *redis.XMessageSliceCmd
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		hd = p.HMGet(ctx, k.state, "epoch", "version", "rev")
		rng = p.XRange(ctx, k.log, strconv.FormatInt(after+1, 10), "+")
		return nil
	})
	if err != nil {
		return store.Position{}, nil, false, s.fail(ctx, "events", id, err)
	}
	s.answered(id)
	head := positionOf(hd.Val())
	if head.Epoch == "" {
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
	if err := json.Unmarshal(e.Raw, &e.Events); err != nil {
		return store.Entry{}, fmt.Errorf("redisstore: log entry %s: %w", m.ID, err)
	}
	return e, nil
}
