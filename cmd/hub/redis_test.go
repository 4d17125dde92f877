package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// reply stands for an error reply of Redis as go-redis returns it (a redis.Error).
type reply string

func (r reply) Error() string { return string(r) }
func (reply) RedisError()     {}

// TestRedisMistake: replies that no retry changes are mistakes with a fix; the ones a Redis
// gives while it starts, fails over or is busy, and network errors, are not. The real replies
// are checked against a real redis-server in systest/cluster (TestRedisMistakeStopsTheNode).
func TestRedisMistake(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		err  error
		want string // part of the fix; empty: not a mistake
	}{
		{reply("NOAUTH Authentication required."), "redis://:PASSWORD@"},
		{reply("WRONGPASS invalid username-password pair or user is disabled."), "refused the user name or password"},
		{reply("ERR invalid password"), "refused the user name or password"},
		{reply("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?"), "remove it from the URL"},
		{reply("ERR Client sent AUTH, but no password is set"), "remove it from the URL"},
		{reply("NOPERM User app has no permissions to run the 'ping' command"), "ACL SETUSER"},
		{reply("ERR DB index is out of range"), "numbered 0 to 15"},
		{fmt.Errorf("failed to initialize connection options: %w", reply("ERR DB index is out of range")), "numbered 0 to 15"},
		{reply("ERR SELECT is not allowed in cluster mode"), "set --redis-cluster"},
		{reply("ERR This instance has cluster support disabled"), "drop --redis-cluster"},
		{reply("LOADING Redis is loading the dataset in memory"), ""},
		{reply("MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'."), ""},
		{reply("BUSY Redis is busy running a script."), ""},
		{reply("CLUSTERDOWN The cluster is down"), ""},
		{errors.New("dial tcp 127.0.0.1:6379: connect: connection refused"), ""},
		{context.DeadlineExceeded, ""},
		{errors.New("NOAUTH Authentication required."), ""}, // not a reply of Redis
	} {
		got := redisMistake(tc.err)
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("redisMistake(%q) = %q; want %q", tc.err, got, tc.want)
		}
	}
}

func TestBadRedisURLHidesThePassword(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"redis://:p w@host:6379/0", "redis://user:p%zz@host:6379/0", "redis://:pw@host:6379/x"} {
		c, err := parseConfig([]string{"--redis", u, "--secret", testSecret}, envOf(nil), nil)
		if err != nil {
			t.Fatal(err)
		}
		err = probeRedis(t.Context(), c)
		if err == nil || !strings.Contains(err.Error(), "want redis://[user:password@]host:port/db") {
			t.Errorf("%s: err %v; want a bad URL", u, err)
			continue
		}
		for _, secret := range []string{"p w", "p%zz", ":pw@"} {
			if strings.Contains(err.Error(), secret) {
				t.Errorf("%s: err %q shows the password", u, err)
			}
		}
	}
}
