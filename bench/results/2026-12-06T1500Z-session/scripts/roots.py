# roots.py perf.txt: share by the outermost tourhub/go frame (goroutine root), depth 2
import sys,collections
stacks=[];cur=[]
for l in open(sys.argv[1]):
    l=l.rstrip()
    if not l:
        if cur: stacks.append(cur); cur=[]
        continue
    if l[0] in ' \t':
        p=l.split()
        if len(p)>=2: cur.append(p[1])
if cur: stacks.append(cur)
c=collections.Counter()
for s in stacks:
    r=[f for f in s if f not in ('runtime.goexit.abi0','runtime.goexit','[unknown]')]
    root=r[-1] if r else '?'
    # find first frame (from root side) that's inside tourhub
    th=[f for f in reversed(r) if 'tourhub' in f]
    k=(root[:60], th[0][:90] if th else '-') 
    c[k]+=1
n=len(stacks)
for k,v in c.most_common(int(sys.argv[2]) if len(sys.argv)>2 else 30): print(f'{100*v/n:6.2f}% {k[0]} | {k[1]}')
