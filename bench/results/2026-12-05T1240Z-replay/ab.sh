#!/usr/bin/env bash
# Scratch script of the 2026-12-05 replay experiment, kept as it ran (see SUMMARY.md).
# interleaved A/B: base (f2a834b) vs new (HEAD), NOPROF, 300/s, DUR 60s; prints cpu per result
for i in 1 2 3; do
  for arm in new base; do
    bin=/tmp/p/hub; [ $arm = new ] && bin=/tmp/p/hub3
    DUR=60s NOPROF=1 timeout 400 /tmp/p/prof.sh /tmp/p/ab2-$arm-$i $bin > /tmp/p/ab2-$arm-$i.log 2>&1
    pkill -f "$bin --addr"; pkill -f "redis-server --port"; sleep 2
    python3 -c "import json;d=json.load(open('/tmp/p/ab2-$arm-$i/lt.json'))['latency'];print('$arm $i rate',round(d['results_per_second'],1),'cpu/result',round(d['usage']['hub_cpu_ms_per_result'],3), flush=True)"
  done
done
