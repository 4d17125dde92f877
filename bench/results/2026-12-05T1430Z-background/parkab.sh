#!/usr/bin/env bash
# scratch: context switches and CPU per result at an equal 300/s, parking on and off, interleaved
cd /tmp/p
for r in 1 2 3; do
  for arm in park nopark; do
    x=""; [ $arm = nopark ] && x="--ws-park=false"
    rm -rf /tmp/p/pab-$arm-$r; HUBX="$x" ./cs.sh /tmp/p/pab-$arm-$r > /dev/null 2>&1
    perf script -i /tmp/p/pab-$arm-$r/perf.data 2>/dev/null > /tmp/p/pab-$arm-$r/script.txt
    sw=$(python3 cskinds.py /tmp/p/pab-$arm-$r/script.txt 6000 2>/dev/null | head -1 | awk '{print $2/6000}')
    cpu=$(cd /tmp && python3 -c "import json;d=json.load(open('/tmp/p/pab-$arm-$r/lt.json'))['latency'];print(round(d['results_per_second'],1), round(d['usage']['hub_cpu_ms_per_result'],3))")
    echo "$arm $r switches/result $sw rate,cpu/result $cpu"
  done
done
