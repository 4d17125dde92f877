# Splits the samples whose stack holds the pub/sub receive loop (where a node delivers most
# published commits since 2696889) by kind of work. Usage: python3 receive.py perf.data
import collections, subprocess, sys
out = subprocess.run(["perf", "script", "-i", sys.argv[1], "-F", "ip,sym"], capture_output=True, text=True).stdout
marks = [
    ("write syscall", ["syscall.write", "internal/poll.(*FD).Write", "sock.(*Conn).writeFD", "writev"]),
    ("json decode", ["encoding/json.(*decodeState)", "encoding/json.Unmarshal", "encoding/json.(*Decoder)"]),
    ("json encode", ["encoding/json.(*encodeState)", "encoding/json.Marshal", "appendCompact"]),
    ("v2/wire encode", ["wire.", "fanout.encode", "fanout.(*shared)"]),
    ("notices", ["notice."]),
    ("metrics", ["prometheus"]),
    ("malloc/gc", ["runtime.mallocgc", "runtime.gcAssist", "runtime.newobject", "runtime.growslice", "runtime.makeslice"]),
    ("go-redis parse", ["proto.(*Reader)", "redis.(*PubSub)"]),
    ("read syscall", ["syscall.read", "internal/poll.(*FD).Read"]),
    ("sched", ["runtime.gopark", "runtime.schedule", "runtime.ready", "runtime.wakep", "futex"]),
]
tot = 0; c = collections.Counter()
for b in out.split("\n\n"):
    ls = [l.strip() for l in b.strip().split("\n") if l.strip()]
    st = " ".join(ls)
    if "receiveLoop" not in st:
        continue
    tot += 1
    for n, subs in marks:
        if any(s in st for s in subs):
            c[n] += 1; break
    else:
        c["other"] += 1
print("receiveLoop samples", tot)
for n, v in c.most_common():
    print(f"  {n:16} {100*v/tot:5.1f}%")
