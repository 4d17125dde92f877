# source me. startcluster BIN OUTDIR ; stopcluster
SRC="$(seq -s, -f '127.0.0.%g' 2 17)"
freeport() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
startcluster() {
  local bin=$1 out=$2; mkdir -p "$out"
  RPORT=$(freeport)
  redis-server --port $RPORT --save '' --appendonly no --bind 127.0.0.1 >"$out/redis.log" 2>&1 &
  RPID=$!
  for i in $(seq 50); do redis-cli -p $RPORT ping >/dev/null 2>&1 && break; sleep 0.1; done
  local secret=$(openssl rand -hex 32)
  NODES=""; HUB_PIDS=""
  for n in 1 2 3; do
    local port=$(freeport)
    "$bin" --addr 127.0.0.1:$port --secret $secret --http-rate 1000000 --http-burst 1000000 --ws-rate 1000 --ws-burst 1000 --ws-per-addr 1000000 --ws-idle-timeout 10m --log-level warn --redis redis://127.0.0.1:$RPORT/0 >"$out/hub$n.log" 2>&1 &
    HUB_PIDS="${HUB_PIDS:+$HUB_PIDS,}$!"
    NODES="${NODES:+$NODES,}http://127.0.0.1:$port"
    for i in $(seq 100); do curl -sf http://127.0.0.1:$port/healthz >/dev/null && break; sleep 0.1; done
  done
}
stopcluster() {
  for p in ${HUB_PIDS//,/ } $RPID; do kill $p 2>/dev/null; done
  for p in ${HUB_PIDS//,/ } $RPID; do while kill -0 $p 2>/dev/null; do sleep 0.1; done; done
}
