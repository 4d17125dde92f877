package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// probeTimeout bounds the start-up probe. A Redis that does not answer within it is taken as
// not up yet, which the node rides out.
const probeTimeout = 5 * time.Second

// probeRedis asks Redis once, at start, whether the URL can ever work. A mistake that no retry
// fixes (a database that does not exist, a missing or wrong password, a user without the
// rights, --redis-cluster not matching the server) stops the node with what to change: a node
// that stays up unready forever would only say "unavailable" to every request. Redis not being
// up yet (refused, unreachable, loading) is not such a mistake: the node starts unready and the
// store keeps trying, as when Redis goes away later.
func probeRedis(ctx context.Context, c config) error {
	var (
		client redis.UniversalClient
		where  string
	)
	if c.RedisCluster {
		o, err := redis.ParseClusterURL(c.Redis)
		if err != nil {
			return badRedisURL(c.Redis, err)
		}
		o.MaxRetries, o.DialerRetries = -1, 1
		client, where = redis.NewClusterClient(o), "cluster "+strings.Join(o.Addrs, ",")
	} else {
		o, err := redis.ParseURL(c.Redis)
		if err != nil {
			return badRedisURL(c.Redis, err)
		}
		o.MaxRetries, o.DialerRetries = -1, 1
		client, where = redis.NewClient(o), o.Addr+" database "+strconv.Itoa(o.DB)
	}
	defer client.Close()
	// One attempt (no retries) answers the question: a mistake is in the first reply, and
	// anything else is for the store to ride out.
	pctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	err := client.Ping(pctx).Err()
	if err == nil {
		return nil
	}
	if fix := redisMistake(err); fix != "" {
		return fmt.Errorf("redis %s (%s) answered %q: %s", maskURL(c.Redis), where, err.Error(), fix)
	}
	return nil
}

// badRedisURL reports a URL that does not parse, without its password (url.Parse quotes the
// whole URL in its error).
func badRedisURL(u string, err error) error {
	msg := err.Error()
	if masked := maskURL(u); masked != u {
		msg = strings.ReplaceAll(msg, u, masked)
		msg = strings.ReplaceAll(msg, strconv.Quote(u), strconv.Quote(masked))
	}
	return fmt.Errorf("--redis (REDIS_URL) %s: %s: want redis://[user:password@]host:port/db", maskURL(u), msg)
}

// redisMistake says what to change when err is a reply of Redis that no retry will change, or
// "" when it is not one (a network error, or a reply such as LOADING or MASTERDOWN that passes).
func redisMistake(err error) string {
	var re redis.Error
	if !errors.As(err, &re) {
		return ""
	}
	msg := re.Error()
	switch {
	case strings.HasPrefix(msg, "NOAUTH"):
		return "this Redis wants a password and the URL has none: put it in the URL, redis://:PASSWORD@host:port/db (with an ACL user, redis://USER:PASSWORD@host:port/db)"
	case strings.HasPrefix(msg, "WRONGPASS"), strings.Contains(msg, "invalid password"):
		return "this Redis refused the user name or password of the URL: check them (redis://USER:PASSWORD@host:port/db; without a user name, redis://:PASSWORD@...)"
	case strings.Contains(msg, "without any password configured"), strings.Contains(msg, "no password is set"):
		return "the URL has a password but this Redis has none: remove it from the URL, or set one on Redis (requirepass)"
	case strings.HasPrefix(msg, "NOPERM"):
		return "the URL's Redis user lacks a permission the hub needs: grant it (ACL SETUSER), or use another user"
	case strings.Contains(msg, "DB index is out of range"):
		return "no such database: a Redis has 16, numbered 0 to 15, unless its `databases` setting says otherwise; use one of them in the URL's path, e.g. /0"
	case strings.Contains(msg, "SELECT is not allowed in cluster mode"):
		return "this Redis is a Redis Cluster: set --redis-cluster (HUB_REDIS_CLUSTER=true) and drop the database number from the URL"
	case strings.Contains(msg, "cluster support disabled"):
		return "this Redis is not a Redis Cluster: drop --redis-cluster (HUB_REDIS_CLUSTER)"
	}
	return ""
}
