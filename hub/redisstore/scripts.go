package redisstore

import "github.com/redis/go-redis/v9"

// createScript stores version 1 of a new tournament unless its state key exists. Leftover log and
// submission keys of an expired or lost earlier tournament with the same id are deleted first: the
// new epoch starts from an empty log.
//
// KEYS: state, log, subs. ARGV: epoch, state JSON, status, name, format, players, created_at (unix
// ms), events JSON, stream max length, ttl (ms), channel, publish payload.
// Returns 1 when created, 0 when the id exists.
var createScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
redis.call('DEL', KEYS[2], KEYS[3])
redis.call('HSET', KEYS[1], 'version', '1', 'epoch', ARGV[1], 'state', ARGV[2], 'status', ARGV[3],
  'name', ARGV[4], 'format', ARGV[5], 'players', ARGV[6], 'created_at', ARGV[7])
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[9], '1-0', 'v', '1', 'e', ARGV[8])
local ttl = tonumber(ARGV[10])
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('PEXPIRE', KEYS[2], ttl)
redis.call('PUBLISH', ARGV[11], ARGV[12])
return 1
`)

// commitScript is the compare-and-set commit of one command. In order: the tournament must exist;
// a recorded submission id returns its first outcome (whatever the version now is); the epoch and
// version must be the ones the command was applied to. Then it writes the new state, appends the
// events to the log under the new version, records the submission, renews the TTL of every key and
// publishes the entry.
//
// KEYS: state, log, subs. ARGV: epoch, expected version, new version, state JSON, status, players,
// events JSON, submission id (or ""), outcome JSON, stream max length, ttl (ms), channel, publish
// payload.
// Returns {"ok"}, {"dup", outcome}, {"conflict", version}, {"epoch", epoch} or {"missing"}.
var commitScript = redis.NewScript(`
local cur = redis.call('HMGET', KEYS[1], 'epoch', 'version')
if not cur[1] then
  return {'missing'}
end
if ARGV[8] ~= '' then
  local prev = redis.call('HGET', KEYS[3], ARGV[8])
  if prev then
    return {'dup', prev}
  end
end
if cur[1] ~= ARGV[1] then
  return {'epoch', cur[1]}
end
if cur[2] ~= ARGV[2] then
  return {'conflict', cur[2]}
end
redis.call('HSET', KEYS[1], 'version', ARGV[3], 'state', ARGV[4], 'status', ARGV[5], 'players', ARGV[6])
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[10], ARGV[3] .. '-0', 'v', ARGV[3], 'e', ARGV[7])
if ARGV[8] ~= '' then
  redis.call('HSET', KEYS[3], ARGV[8], ARGV[9])
end
local ttl = tonumber(ARGV[11])
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('PEXPIRE', KEYS[2], ttl)
redis.call('PEXPIRE', KEYS[3], ttl)
redis.call('PUBLISH', ARGV[12], ARGV[13])
return {'ok'}
`)
