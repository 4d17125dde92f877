package redisstore

import "strings"

// The key schema (docs/redis.md). Every key of one tournament carries the hash tag {t:<id>} so that
// they live in one Redis Cluster slot and one Lua script may touch them all.
const (
	keyPrefix = "tourhub:"
	// indexKey is the sorted set of tournament ids scored by creation time (unix ms). It is the only
	// key outside a tournament's slot; List prunes ids whose state has expired.
	indexKey = keyPrefix + "tournaments"
)

// keys names the keys of one tournament.
type keys struct {
	state   string // hash: version, epoch, state, created_at, status, name, format, players
	log     string // stream: entry id <version>-0, fields v (version), r (rev), p (prev rev), e (events JSON) and c (the command)
	subs    string // hash: submission id -> JSON of the first outcome {"version","events"}
	recent  string // list, newest first, at most recentKept: "<version> <rev> <prev rev> <fields but t>" of each commit after the create
	channel string // pub/sub channel: one payload per commit (payload.go: format tourhub/2 or, with an annex, tourhub/3: epoch, version, rev, prev, events, fields)
}

func keysOf(id string) keys {
	tag := keyPrefix + "{t:" + id + "}:"
	return keys{state: tag + "state", log: tag + "log", subs: tag + "subs", recent: tag + "recent", channel: tag + "ch"}
}

// idOfChannel returns the tournament id of a channel name, or "" if it is not one of ours.
func idOfChannel(ch string) string {
	rest, ok := strings.CutPrefix(ch, keyPrefix+"{t:")
	if !ok {
		return ""
	}
	id, ok := strings.CutSuffix(rest, "}:ch")
	if !ok {
		return ""
	}
	return id
}
