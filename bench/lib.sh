# Shell functions the bench scripts share: source it (. "$ROOT/bench/lib.sh").

# freeport prints a TCP port that was free on loopback a moment ago.
freeport() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }

# start_redis LOG [PREFIX...] starts a redis-server without persistence on a free loopback port,
# under PREFIX if given (such as chrt --idle 0), logging to LOG, and sets RPORT and RPID once it
# accepts connections. A port another process took between freeport and the bind (TIME_WAIT
# sockets of the run before, another benchmark) is not an error: it tries another, five times.
start_redis() {
	local log=$1
	shift
	for _ in 1 2 3 4 5; do
		RPORT=$(freeport)
		"$@" redis-server --port "$RPORT" --bind 127.0.0.1 --save '' --appendonly no >"$log" 2>&1 &
		RPID=$!
		for _ in $(seq 100); do
			grep -q "Ready to accept connections" "$log" && return 0
			kill -0 "$RPID" 2>/dev/null || break
			sleep 0.1
		done
		kill "$RPID" 2>/dev/null || true
	done
	echo "redis-server did not start on a free port in five tries; the last one's log: $log" >&2
	return 1
}
