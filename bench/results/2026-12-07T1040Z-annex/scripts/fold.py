import sys, collections, re
# usage: fold.py stacks [filter-substring] [depth]
path=sys.argv[1]; filt=sys.argv[2] if len(sys.argv)>2 else ''
stacks=[]; cur=[]
for line in open(path, errors='replace'):
    line=line.rstrip('\n')
    if not line.strip():
        if cur: stacks.append(cur); cur=[]
        continue
    if line.startswith('\t') or line.startswith(' '):
        parts=line.strip().split(' ',1)
        if len(parts)==2: cur.append(parts[1])
    # header lines ignored
if cur: stacks.append(cur)
tot=len(stacks)
sel=[s for s in stacks if any(filt in f for f in s)] if filt else stacks
incl=collections.Counter(); selfc=collections.Counter()
for s in sel:
    seen=set()
    for f in s:
        f=re.sub(r'\+0x[0-9a-f]+$','',f)
        if f not in seen: incl[f]+=1; seen.add(f)
    selfc[re.sub(r'\+0x[0-9a-f]+$','',s[0])]+=1
print(f"total {tot}, selected {len(sel)} ({100*len(sel)/tot:.1f}%)")
print("-- inclusive")
for f,c in incl.most_common(int(sys.argv[3]) if len(sys.argv)>3 else 40): print(f"{100*c/tot:6.2f}% {f}")
print("-- self")
for f,c in selfc.most_common(25): print(f"{100*c/tot:6.2f}% {f}")
