# Sorts perf samples (perf script -F ip,sym) by the first kind of work their stack shows, and
# lists the leading frames of the rest. Usage: python3 fankinds.py perf.data
import collections, subprocess, sys
out = subprocess.run(["perf", "script", "-i", sys.argv[1], "-F", "ip,sym"], capture_output=True, text=True).stdout
marks = [
    ("write syscall (kernel+entry)", ["syscall.write", "syscall.Syscall", "syscall.RawSyscall", "internal/poll.(*FD).Write", "writeFD", "entry_SYSCALL", "tcp_sendmsg"]),
    ("sched/futex/sysmon", ["runtime.findRunnable", "runtime.sysmon", "futex", "runtime.schedule", "runtime.gopark", "runtime.mcall", "runtime.park_m"]),
    ("epoll", ["netpoll", "epoll"]),
    ("read syscall", ["syscall.read", "internal/poll.(*FD).Read"]),
    ("json", ["encoding/json"]),
    ("malloc/gc", ["runtime.mallocgc", "runtime.gcBgMarkWorker", "runtime.bgsweep", "runtime.gcAssist", "runtime.newobject", "runtime.growslice", "runtime.makeslice", "bgscavenge"]),
    ("timers", ["runtime.(*timer)", "runtime.runtimer", "time.Timer", "modtimer", "resettimer"]),
]
tot = 0; c = collections.Counter(); leaf = collections.Counter()
for b in out.split("\n\n"):
    ls = [l.strip() for l in b.strip().split("\n") if l.strip()]
    if not ls:
        continue
    st = " ".join(ls); tot += 1
    for n, subs in marks:
        if any(s in st for s in subs):
            c[n] += 1; break
    else:
        c["other (the hub's own code)"] += 1
        fr = [l.split(" ", 1)[1] if " " in l else l for l in ls[:4]]
        leaf[" < ".join(f.split("+")[0][:70] for f in fr[:3])] += 1
print("samples", tot)
for n, v in c.most_common():
    print(f"  {n:30} {100*v/tot:5.1f}%")
print("the hub's own code, by leading frames:")
for k, v in leaf.most_common(25):
    print(f"  {v:4} {k}")
