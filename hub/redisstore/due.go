package redisstore

import (
	"context"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/tourhub/tourhub/hub/store"
)

// dueKey is the sorted set of tournament ids scored by their next due time (unix ms), shared by
// every node's deadline sweeper.
const dueKey = keyPrefix + "due"

var _ store.DueSet = (*DueSet)(nil)

// DueSet is the hub.DueSet of a cluster: one sorted set that every node sweeps. It uses the
// store's connection.
type DueSet struct {
	s *Store
}

// DueSet returns the store's shared set of due deadlines.
func (s *Store) DueSet() *DueSet { return &DueSet{s: s} }

// Lower records at unless an earlier time is recorded (ZADD LT, Redis 6.2+).
func (d *DueSet) Lower(ctx context.Context, id string, at time.Time) error {
	if err := d.s.rdb.ZAddLT(ctx, dueKey, redisZ(float64(at.UnixMilli()), id)).Err(); err != nil {
		return d.s.fail(ctx, "due: lower", "", err)
	}
	return nil
}

// Set records at exactly; the zero time removes the tournament.
func (d *DueSet) Set(ctx context.Context, id string, at time.Time) error {
	var err error
	if at.IsZero() {
		err = d.s.rdb.ZRem(ctx, dueKey, id).Err()
	} else {
		err = d.s.rdb.ZAdd(ctx, dueKey, redisZ(float64(at.UnixMilli()), id)).Err()
	}
	if err != nil {
		return d.s.fail(ctx, "due: set", "", err)
	}
	return nil
}

// Due lists up to limit tournaments due at or before now, earliest first.
func (d *DueSet) Due(ctx context.Context, now time.Time, limit int) ([]string, error) {
	if limit <= 0 {
		limit = 100
	}
	ids, err := d.s.rdb.ZRangeByScore(ctx, dueKey, &redis.ZRangeBy{
		Min: "-inf", Max: strconv.FormatInt(now.UnixMilli(), 10), Count: int64(limit),
	}).Result()
	if err != nil {
		return nil, d.s.fail(ctx, "due", "", err)
	}
	return ids, nil
}
