# Usage (in a checkout): python3 variants.py VARIANT, then go test -c -o VARIANT.test ./hub/redisstore/
# Removes one call from the commit script (hub/redisstore/scripts.go) to time what Redis spends on it
# in BenchmarkApply (redis-µs/op): nopub, noxadd, nolpush, nosubs (the submission's HSET and PEXPIRE),
# nohelpers (the helper functions defined on every run). Not for committing.
import sys
p='hub/redisstore/scripts.go'; s=open(p).read()
v=sys.argv[1]
if v=='nopub': s=s.replace("redis.call('PUBLISH', ARGV[14], ARGV[15])\nreturn {'ok'}","return {'ok'}")
if v=='noxadd': s=s.replace("redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[11], ARGV[4] .. '-0', 'v', ARGV[4], 'r', ARGV[5], 'p', ARGV[3], 'e', ARGV[8], 'c', ARGV[#ARGV])\n","")
if v=='nolpush': s=s.replace("local kept = redis.call('LPUSH', KEYS[4], ARGV[4] .. ' ' .. ARGV[5] .. ' ' .. ARGV[3] .. ' ' .. ARGV[#ARGV - 1])","local kept = 2")
if v=='nohelpers': s=s.replace("const commitLua = luaHelpers + `","const commitLua = `\nlocal function hset_from(key, first, n)\nend\nlocal function hdel_from(key, first, n)\nend\nlocal function stale_answer() return {} end\n")
if v=='nosubs': s=s.replace("  redis.call('HSET', KEYS[3], ARGV[9], ARGV[10])\n  redis.call('PEXPIRE', KEYS[3], ttl)\n","")
if v=='nohset': s=s.replace("redis.call('HSET', KEYS[1], 'version', ARGV[4], 'rev', ARGV[5], 'status', ARGV[6], 'players', ARGV[7], unpack(ARGV, 20, 19 + 2 * first))","")
if v=='empty': s=s.replace("const commitLua = luaHelpers + `","const commitLua = `\nif true then return {'ok'} end\n")
open(p,'w').write(s)
