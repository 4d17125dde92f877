# abx.sh N LABEL1 BIN1 LTX1 LABEL2 BIN2 LTX2 : N interleaved pairs of procs.sh hub at RATE
n=$1; shift
for i in $(seq $n); do
  for arm in 1 2; do
    if [ $arm = 1 ]; then L=$1 B=$2 X=$3; else L=$4 B=$5 X=$6; fi
    BIN=$B LTX="$X" bash /tmp/p/procs.sh hub /tmp/pr/abx-$L-$i 2>&1 | grep "^hub:" | sed "s/^/$i $L /"
    python3 -c "
import json;d=json.load(open('/tmp/pr/abx-$L-$i/lat.json'))['latency'];u=d['usage'];c=d.get('store_commits') or {}
print('$i $L', 'rps %.0f'%d['results_per_second'], 'hubms %.3f'%u['hub_cpu_ms_per_result'], 'redisms %.3f'%u.get('store_cpu_ms_per_result',0), 'toolms %.3f'%u['load_tool_cpu_ms_per_result'], 'p99 %.1f'%((d.get('cross_node_latency') or {}).get('p99_ms',0)), 'commits', c.get('commits'), 'unchecked', c.get('unchecked_commits'), 'stale', c.get('stale_caches'), 'conflicts', c.get('cas_conflicts'))
" 2>&1 | tail -1
  done
done
