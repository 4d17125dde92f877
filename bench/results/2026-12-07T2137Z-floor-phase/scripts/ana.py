import sys,re
d=sys.argv[1]
cpu=[tuple(map(float,l.split())) for l in open(d+'/cpu.txt')]
t0=cpu[0][0]
sent={}
for l in open(d+'/lt.err'):
    m=re.match(r'\s*([\d.]+)s sockets=\d+ sent=(\d+)',l)
    if m: sent[round(float(m.group(1)))]=int(m.group(2))
def sent_at(t):
    k=round(t)
    while k not in sent and k>0: k-=1
    return sent.get(k,0)
B=int(sys.argv[2]) if len(sys.argv)>2 else 10
i=0
while i+B//2 < len(cpu):
    a,b=cpu[i],cpu[i+B//2]
    dt=b[0]-a[0]; n=sent_at(b[0]-t0)-sent_at(a[0]-t0)
    if n>0: print(f"t={a[0]-t0:6.1f}-{b[0]-t0:6.1f} results/s {n/dt:7.0f}  hubs {((b[1]-a[1])/100)/dt:5.2f} cores {(b[1]-a[1])*10/n:5.3f} ms/result  redis {(b[2]-a[2])*10/n:5.3f}")
    i+=B//2
