package redisstore

import (
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
)

// luaHelpers write many hash fields from ARGV in chunks (unpack is bounded by Lua's stack), and
// answer a cached state that is behind the stored one (stale_answer, see checkLua).
const luaHelpers = `
local function hset_from(key, first, n)
  local i = 0
  while i < n do
    local c = math.min(500, n - i)
    redis.call('HSET', key, unpack(ARGV, first + 2 * i, first + 2 * (i + c) - 1))
    i = i + c
  end
end
local function hdel_from(key, first, n)
  local i = 0
  while i < n do
    local c = math.min(1000, n - i)
    redis.call('HDEL', key, unpack(ARGV, first + i, first + i + c - 1))
    i = i + c
  end
end
local function stale_answer(state, recent, epoch, version, rev, cur)
  cur = cur or redis.call('HMGET', state, 'epoch', 'version', 'rev', 't')
  local from, to = tonumber(version), tonumber(cur[2])
  if cur[1] == epoch and cur[4] and to > from then
    local items = redis.call('LRANGE', recent, 0, to - from - 1)
    if #items == to - from then
      local out, prev, size = {'recent', cur[4]}, rev, 0
      for i = #items, 1, -1 do
        local v, r, p, f = string.match(items[i], '^(%d+) (%S+) (%S+) (.*)$')
        if v ~= tostring(from + #items - i + 1) or p ~= prev or f == '-' then
          out = nil
          break
        end
        size = size + #f
        if size > MAX_RECENT_BYTES then
          out = nil
          break
        end
        out[#out + 1] = r
        out[#out + 1] = f
        prev = r
      end
      if out and prev == cur[3] then
        return out
      end
    end
  end
  return redis.call('HGETALL', state)
end
`

// createLua stores version 1 of a new tournament unless its state key exists (other than as a
// deleted tournament's tombstone, store.DeletedKept). The tombstone and leftover log and
// submission keys of an expired or lost earlier tournament with the same id are deleted first: the
// new epoch starts from an empty log.
//
// KEYS: state, log, subs, recent. ARGV: 1 epoch, 2 rev, 3 status, 4 name, 5 format, 6 players,
// 7 created_at (unix ms), 8 events JSON, 9 stream max length, 10 state ttl (ms), 11 log ttl (ms),
// 12 channel, 13 publish payload, 14 number of field/value pairs, then the pairs (the
// tournament's fields), and last the command JSON (the log entry's c). The TTLs are the tournament's own (store.Retention.TTL).
// Returns 1 when created, 0 when the id exists.
const createLua = luaHelpers + `
if redis.call('EXISTS', KEYS[1]) == 1 and redis.call('HGET', KEYS[1], 'status') ~= 'deleted' then
  return 0
end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4])
redis.call('HSET', KEYS[1], 'version', '1', 'epoch', ARGV[1], 'rev', ARGV[2], 'status', ARGV[3],
  'name', ARGV[4], 'format', ARGV[5], 'players', ARGV[6], 'created_at', ARGV[7])
hset_from(KEYS[1], 15, tonumber(ARGV[14]))
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[9], '1-0', 'v', '1', 'r', ARGV[2], 'e', ARGV[8], 'c', ARGV[#ARGV])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[10]))
redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[11]))
redis.call('PUBLISH', ARGV[12], ARGV[13])
return 1
`

// commitLua is the compare-and-set commit of one command. In order: the tournament must exist;
// a recorded submission id returns its first outcome (whatever the version now is); the epoch,
// version and rev (a random id of each commit) must be the ones the command was applied to. Then it
// writes the changed fields, appends the events to the log under the new version, records the
// submission, renews the TTL of the keys (state, subs and recent by the tournament's retention for
// its new status, the log by its retention.log, never longer: store.Retention.TTL) and publishes
// the entry.
//
// The TTLs are renewed when the command changed them (ARGV 19), when the state's is longer than
// its retention now (a node restarted with a shorter --idle-retention, for a tournament that keeps
// the node's) or once a quarter of the log's has passed since they were last set (the state's
// PTTL tells), not by every commit: four PEXPIREs were a fifth of the script's calls. So after
// any commit the log has at least three quarters of its TTL left and the other keys their TTL
// less a quarter of the log's. A key the commit creates (recent on the first commit, subs on the
// first submission: subs is renewed with every submission) gets its TTL at once.
//
// The rev makes the check exact even if Redis lost recent writes (AOF everysec after a crash) and
// other commands then reached the same version number: a node's cached state of the lost history
// has another rev and cannot be used as the base of a partial write.
//
// KEYS: state, log, subs, recent. ARGV: 1 epoch, 2 expected version, 3 expected rev, 4 new version,
// 5 new rev, 6 status, 7 players, 8 events JSON, 9 submission id (or ""), 10 outcome JSON,
// 11 stream max length, 12 state and subs ttl (ms), 13 log ttl (ms), 14 channel, 15 publish
// payload, 16 number of field/value pairs to set (n), 17 number of fields to delete (d), 18 "1"
// to have a conflict answer what checkLua answers a stale cache, 19 "1" when the command changed
// the TTLs (store.Retention.TTL of the state before and after), then 2n values, then d fields,
// then the fields but t as one JSON object, or "-" when they are over maxRecentBytes (pushed on
// recent, kept for the newest recentKept commits: checkLua answers them to a node whose cache is
// a few versions behind; "-" makes it answer the whole state instead) and last the
// command JSON (the log entry's c: history replays it, store.Replay).
// Returns {"ok"}, {"dup", outcome}, {"conflict", version} (with ARGV 18 "1": {"conflict", version,
// then what checkLua answers a stale cache: the recent fields or the state hash}), {"epoch", epoch}
// or {"missing"}.
//
// A node that does not watch the tournament cannot bring its cached state forward from the
// published commits: it checks the cached state first (checkLua), and when another command
// commits between that check and this script the answer carries the stored state, one round
// trip instead of two.
const commitLua = luaHelpers + `
local cur = redis.call('HMGET', KEYS[1], 'epoch', 'version', 'rev')
if not cur[1] then
  return {'missing'}
end
if ARGV[9] ~= '' then
  local prev = redis.call('HGET', KEYS[3], ARGV[9])
  if prev then
    return {'dup', prev}
  end
end
if cur[1] ~= ARGV[1] then
  return {'epoch', cur[1]}
end
if cur[2] ~= ARGV[2] or cur[3] ~= ARGV[3] then
  if ARGV[18] == '1' then
    local out = stale_answer(KEYS[1], KEYS[4], ARGV[1], ARGV[2], ARGV[3])
    table.insert(out, 1, cur[2])
    table.insert(out, 1, 'conflict')
    return out
  end
  return {'conflict', cur[2]}
end
local nset, ndel = tonumber(ARGV[16]), tonumber(ARGV[17])
local first = math.min(500, nset)
redis.call('HSET', KEYS[1], 'version', ARGV[4], 'rev', ARGV[5], 'status', ARGV[6], 'players', ARGV[7], unpack(ARGV, 20, 19 + 2 * first))
hset_from(KEYS[1], 20 + 2 * first, nset - first)
hdel_from(KEYS[1], 20 + 2 * nset, ndel)
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[11], ARGV[4] .. '-0', 'v', ARGV[4], 'r', ARGV[5], 'p', ARGV[3], 'e', ARGV[8], 'c', ARGV[#ARGV])
local kept = redis.call('LPUSH', KEYS[4], ARGV[4] .. ' ' .. ARGV[5] .. ' ' .. ARGV[3] .. ' ' .. ARGV[#ARGV - 1])
if kept > RECENT_TRIM then
  redis.call('LTRIM', KEYS[4], 0, RECENT_LAST)
end
local ttl, logttl = tonumber(ARGV[12]), tonumber(ARGV[13])
if ARGV[9] ~= '' then
  redis.call('HSET', KEYS[3], ARGV[9], ARGV[10])
  redis.call('PEXPIRE', KEYS[3], ttl)
end
local left = redis.call('PTTL', KEYS[1])
if ARGV[19] == '1' or left > ttl or ttl - left > logttl / 4 then
  redis.call('PEXPIRE', KEYS[1], ttl)
  redis.call('PEXPIRE', KEYS[2], logttl)
  redis.call('PEXPIRE', KEYS[3], ttl)
  redis.call('PEXPIRE', KEYS[4], ttl)
elseif kept == 1 then
  redis.call('PEXPIRE', KEYS[4], ttl)
end
redis.call('PUBLISH', ARGV[14], ARGV[15])
return {'ok'}
`

// checkLua tells a node whether its cached state of a tournament it does not watch is still the
// stored one, so that its command is applied to the stored state instead of losing a
// compare-and-set: such a cache is not brought forward by the published commits, and every
// command another node committed since this node's last one would otherwise cost a lost commit
// and a retry.
//
// A cache a few versions behind in the same history (the usual case: commands over HTTP round
// robin over the nodes) is answered the stored t and the fields those commits wrote (the recent
// list), so that the node brings it forward as a watcher does from the published commits instead
// of reading and decoding the whole state: what such a command costs then does not grow with the
// tournament. The script checks that every version since the cached one is there and that they
// chain from the cached rev to the stored one; anything else (more than recentKept versions or
// maxRecentBytes of fields behind, another history) is answered the whole state.
//
// KEYS: state, recent. ARGV: 1 epoch, 2 version, 3 rev of the cached state.
// Returns {"same"}, {"missing"}, {"recent", t, rev, fields, rev, fields, ...} (the stored t, then
// each version after the cached one, oldest first: its rev and fields, at most maxRecentBytes of
// them), or the state hash as HGETALL lists it.
var checkLua = redis.NewScript(lua(luaHelpers + `
local cur = redis.call('HMGET', KEYS[1], 'epoch', 'version', 'rev', 't')
if not cur[1] then
  return {'missing'}
end
if cur[1] == ARGV[1] and cur[2] == ARGV[2] and cur[3] == ARGV[3] then
  return {'same'}
end
return stale_answer(KEYS[1], KEYS[2], ARGV[1], ARGV[2], ARGV[3], cur)
`))

// recentKept is how many commits the recent list keeps at least: a node that does not watch a
// tournament and is more commits behind reads the whole state. Three nodes taking turns are two
// behind. The list is trimmed back to recentKept once it holds recentSlack more, so that most
// commits push without trimming. maxRecentBytes bounds the fields a stale cache is answered: past
// it, the whole state is as cheap.
const (
	recentKept     = 16
	recentSlack    = 8
	maxRecentBytes = 256 << 10
)

// lua is a script's source with the constants it names filled in.
func lua(src string) string {
	return strings.NewReplacer("RECENT_LAST", strconv.Itoa(recentKept-1), "RECENT_TRIM", strconv.Itoa(recentKept+recentSlack),
		"MAX_RECENT_BYTES", strconv.Itoa(maxRecentBytes)).Replace(src)
}

// scripts are the scripts that publish, with the store's publish command.
type scripts struct {
	create, commit *redis.Script
}

// newScripts makes the scripts publish with cmd: PUBLISH, or SPUBLISH for sharded pub/sub on a
// Redis Cluster (shards.go).
func newScripts(cmd string) scripts {
	with := func(src string) *redis.Script {
		return redis.NewScript(strings.ReplaceAll(lua(src), "redis.call('PUBLISH',", "redis.call('"+cmd+"',"))
	}
	return scripts{create: with(createLua), commit: with(commitLua)}
}
