import sys, re, collections
def stacks(path):
    cur=[]
    for line in open(path, errors='replace'):
        line=line.rstrip('\n')
        if not line.strip():
            if cur: yield cur; cur=[]
            continue
        p=line.strip().split(' ',1)
        if len(p)==2: cur.append(p[1])
    if cur: yield cur
cats=[('gc',r'^runtime\.(gcBgMarkWorker|bgsweep|bgscavenge|gcAssistAlloc|markroot|gcStart)'),
('setup (http api)',r'^main\.\(\*api\)\.'),
('setup auth/subscribe',r'^main\.(resubscribe|\(\*group\)\.setup)'),
('onPlayerMsg decode',r'^main\.\(\*group\)\.(applyEvent|applySnapshot)'),
('onPlayerMsg other',r'^main\.\(\*group\)\.onPlayerMsg'),
('onSpectatorMsg',r'^main\.\(\*group\)\.onSpectatorMsg'),
('recorder',r'^main\.\(\*recorder\)'),
('ws read',r'^github\.com/coder/websocket\.\(\*Conn\)\.(Read|reader)'),
('report/request write',r'^main\.\(\*conn\)\.(request|send)'),
('readLoop other',r'^main\.\(\*conn\)\.readLoop'),
('drive/play',r'^main\.\(\*group\)\.(drive|play|relay)'),
('sched',r'^runtime\.(schedule|findRunnable|park_m|mcall|sysmon|mstart|goexit0|checkTimers|netpoll)'),
]
for path in sys.argv[1:]:
    c=collections.Counter(); n=0
    for s in stacks(path):
        n+=1
        for name,pat in cats:
            if any(re.search(pat,f) for f in s): c[name]+=1; break
        else: c['other']+=1
    print(path, n)
    for name,_ in cats+[('other','')]: print(f"  {name:24s} {c[name]:6d} {100*c[name]/n:5.1f}%")
