# prof.py perf.txt PATTERN... : inclusive share of stacks containing each regex
import sys,re
stacks=[];cur=[]
for l in open(sys.argv[1]):
    l=l.rstrip()
    if not l:
        if cur: stacks.append(cur); cur=[]
        continue
    if l[0] in ' \t':
        p=l.split()
        if len(p)>=2: cur.append(p[1])
    else:
        if cur: stacks.append(cur)
        cur=[]
if cur: stacks.append(cur)
n=len(stacks)
print('samples',n)
for pat in sys.argv[2:]:
    r=re.compile(pat)
    k=sum(1 for s in stacks if any(r.search(f) for f in s))
    print(f'{100*k/n:6.2f}% {pat}')
