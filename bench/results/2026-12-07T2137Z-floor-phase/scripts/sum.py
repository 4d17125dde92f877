import json,sys,statistics
for f in sys.argv[1:]:
    d=json.load(open(f)); r=d['latency']; s=[x['sent'] for x in d['series'][1:-1]]
    print(f, 'setup', round(r['first_setup_seconds'],3), 'sent/s', min(s), max(s), 'sd', round(statistics.pstdev(s)), 'p99', round(r['cross_node_latency']['p99_ms'],1), 'cpu', round(r['usage']['hub_cpu_ms_per_result'],3), 'tool', round(r['usage']['load_tool']['cpu_cores'],3),'steal',round(r['usage']['steal_cores'],3))
