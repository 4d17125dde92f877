#!/usr/bin/env bash
# Redis's cost of one script call by shape: redis-benchmark, one client, commandstats usec per call.
set -u
P=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
redis-server --port $P --bind 127.0.0.1 --save '' --appendonly no >/dev/null 2>&1 & R=$!
trap 'kill $R' EXIT; sleep 0.5
A600=$(python3 -c 'print("x"*600)')
ARGS10=""; for i in $(seq 10); do ARGS10="$ARGS10 $A600"; done
run() { # name sha nkeys args...
  local name=$1; shift
  redis-cli -p $P config resetstat >/dev/null
  redis-benchmark -p $P -c 1 -n ${N:-20000} -q "$@" >/dev/null 2>&1
  local line=$(redis-cli -p $P info commandstats | grep '^cmdstat_evalsha')
  local cpu=$(redis-cli -p $P info cpu | grep used_cpu_user: | cut -d: -f2)
  echo "$name: $(echo $line | grep -o 'usec_per_call=[0-9.]*')"
}
load() { redis-cli -p $P script load "$1"; }
S1=$(load "return 1")
HELP=$(cd "$(dirname "$0")/../../.." && python3 - <<'PY'
import re
s=open('hub/redisstore/scripts.go').read()
m=re.search(r'const luaHelpers = `(.*?)`', s, re.S)
print(m.group(1).replace('MAX_RECENT_BYTES','262144'))
PY
)
S2=$(load "$HELP
return 1")
S3=$(load "redis.call('PEXPIRE', KEYS[1], 100000) redis.call('PEXPIRE', KEYS[1], 100000) redis.call('PEXPIRE', KEYS[1], 100000) redis.call('PEXPIRE', KEYS[1], 100000) return 1")
S4=$(load "redis.call('HSET', KEYS[1], 'a', ARGV[1], 'b', ARGV[2], 'c', ARGV[3], 'd', ARGV[4], 'e', ARGV[5], 'f', ARGV[6]) return 1")
S5=$(load "redis.call('XADD', KEYS[1], 'MAXLEN', '~', '10000', '*', 'e', ARGV[1], 'c', ARGV[2]) return 1")
S6=$(load "redis.call('PUBLISH', 'nobody', ARGV[1] .. ARGV[2] .. ARGV[3]) return 1")
redis-cli -p $P set k v >/dev/null
run "empty, no args" evalsha $S1 0
run "empty, 10 args of 600 B" evalsha $S1 0 $ARGS10
run "the helpers' prelude, 10 args" evalsha $S2 0 $ARGS10
run "4 PEXPIRE" evalsha $S3 1 k
run "HSET of 6 fields of 600 B" evalsha $S4 1 h $ARGS10
run "XADD of 2 fields of 600 B" evalsha $S5 1 s $ARGS10
run "PUBLISH 1.8 KB to nobody" evalsha $S6 0 $ARGS10
