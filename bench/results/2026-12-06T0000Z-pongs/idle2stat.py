import sys
d = {}
for l in open(sys.argv[3]):
    f = l.strip().split(',')
    if len(f) > 3:
        try: d[f[2]] = float(f[0])
        except ValueError: pass
W = float(sys.argv[2])
name = sys.argv[1].split('/')[-1]
print("%-8s cpu %8.1f us/s  switches %7.1f/s  syscalls %7.1f/s" % (name, d.get('task-clock', 0) * 1000 / W, d.get('context-switches', 0) / W, d.get('raw_syscalls:sys_enter', 0) / W), flush=True)
