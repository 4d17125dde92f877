# under.py perf.txt PATTERN [depth]: of stacks containing PATTERN, the frames called directly below (toward leaf), inclusive
import sys,re,collections
pat=re.compile(sys.argv[2]); depth=int(sys.argv[3]) if len(sys.argv)>3 else 1
stacks=[];cur=[]
for l in open(sys.argv[1]):
    l=l.rstrip()
    if not l:
        if cur: stacks.append(cur); cur=[]
        continue
    if l[0] in ' \t':
        p=l.split()
        if len(p)>=2: cur.append(re.sub(r'\+0x[0-9a-f]+$','',p[1]))
if cur: stacks.append(cur)
n=len(stacks); c=collections.Counter(); m=0
for s in stacks:
    idx=[i for i,f in enumerate(s) if pat.search(f)]
    if not idx: continue
    m+=1
    i=idx[-1]  # outermost match
    c['/'.join(s[max(0,i-depth):i][::-1]) or '(self)']+=1
print(f'{100*m/n:.2f}% total')
for k,v in c.most_common(25): print(f'{100*v/n:6.2f}% {k}')
