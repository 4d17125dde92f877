import sys, subprocess, collections
data = sys.argv[1]
out = subprocess.run(["perf", "script", "-i", data, "-F", "ip,sym"], capture_output=True, text=True).stdout
cats = [  # (name, substrings any of which in the stack); first match wins, checked in order
 ("GC (mark, sweep, assist)", ["gcBgMarkWorker", "bgsweep", "gcAssist", "gcDrain", "bgscavenge"]),
 ("socket write syscalls", ["syscall.write", "poll.(*FD).Write", "writeFD", "syscall.Write"]),
 ("socket read syscalls", ["syscall.read", "poll.(*FD).Read", "syscall.Read"]),
 ("epoll (netpoll)", ["runtime.netpoll", "epollwait", "EpollWait"]),
 ("scheduler, futex, sysmon", ["runtime.findRunnable", "runtime.futex", "runtime.sysmon", "runtime.schedule", "runtime.mcall", "runtime.park_m", "runtime.notesleep", "runtime.wakep", "runtime.ready", "runtime.goready"]),
 ("malloc", ["runtime.mallocgc", "runtime.newobject", "runtime.makeslice", "runtime.growslice"]),
 ("encoding/json", ["encoding/json."]),
 ("other syscalls", ["Syscall", "entry_SYSCALL"]),
]
counts = collections.Counter(); total = 0
for block in out.split("\n\n"):
    lines = [l.strip() for l in block.strip().split("\n") if l.strip()]
    if not lines: continue
    stack = " ".join(lines)
    total += 1
    for name, subs in cats:
        if any(s in stack for s in subs):
            counts[name] += 1; break
    else:
        counts["other (user code)"] += 1
for name, n in counts.most_common():
    print(f"{name:28s} {100*n/total:5.1f}%")
print("samples", total)
