#!/usr/bin/env python3
# incl.py PERFTXT PATTERN... : share of samples whose stack contains each pattern (inclusive)
import sys,re
txt=open(sys.argv[1]).read().split('\n\n')
stacks=[s for s in txt if s.strip()]
n=len(stacks)
for p in sys.argv[2:]:
    r=re.compile(p)
    k=sum(1 for s in stacks if r.search(s))
    print(f'{100*k/n:6.2f}%  {p}')
print('samples',n)
