import sys, subprocess, collections
out = subprocess.run(["perf", "script", "-i", sys.argv[1], "-F", "ip,sym"], capture_output=True, text=True).stdout
ops = [
 ("HTTP set-up (create, join, start)", ["api.(*Server).join", "api.(*Server).create", "api.(*Server).start", "api.(*Server).post"]),
 ("HTTP other (server, parse, accept)", ["net/http.(*conn).serve", "net/http.(*Server).Serve"]),
 ("WS report (command path)", ["ws.(*session).report"]),
 ("WS set-up (auth, subscribe, unsubscribe)", ["ws.(*session).authenticate", "ws.(*session).subscribe", "ws.(*session).unsubscribe", "fanout.(*Table).work", "fanout.(*Table).catchUp"]),
 ("WS reads, frames, other messages", ["ws.(*session).readLoop", "ws.(*session).readTurn", "sock.(*Pool)"]),
 ("followers: deliver commits (decode, fan-out)", ["redisstore.(*Store).run"]),
 ("pub/sub receive", ["redisstore.(*Store).receiveLoop", "pubsub"]),
 ("position checks", ["checkLoop"]),
 ("GC", ["gcBgMarkWorker", "bgsweep", "bgscavenge"]),
 ("scheduler idle (findRunnable, sysmon)", ["runtime.findRunnable", "runtime.sysmon", "runtime.mcall"]),
]
c = collections.Counter(); total = 0
for block in out.split("\n\n"):
    lines = [l.strip() for l in block.strip().split("\n") if l.strip()]
    if not lines: continue
    st = " ".join(lines); total += 1
    for name, subs in ops:
        if any(s in st for s in subs):
            c[name] += 1; break
    else:
        c["other"] += 1
ms = float(sys.argv[2])
for name, n in c.most_common():
    print(f"{name:46s} {100*n/total:5.1f}%  {ms*n/total:.3f} ms/result")
