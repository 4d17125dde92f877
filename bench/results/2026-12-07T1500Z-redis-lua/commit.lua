
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
        if size > 262144 then
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
if kept > 24 then
  redis.call('LTRIM', KEYS[4], 0, 15)
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
