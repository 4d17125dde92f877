import re,sys,collections
# categorise perf context-switch stacks (perf script output) by where the thread stopped
def cat(frames):
    j=' '.join(frames)
    if 'runtime.sysmon' in j: return 'sysmon sleeps'
    if 'exit_to_user_mode' in j or 'irqentry_exit' in j: return 'preempted (involuntary)'
    if 'runtime.netpoll' in j and 'findRunnable' in j: return 'idle: blocked in netpoll'
    if 'stopm' in j or ('futex' in j and 'findRunnable' in j): return 'idle: stopm futex'
    if 'futex' in j: return 'futex other: '+next((f for f in frames if not f.startswith('[') and 'futex' not in f and 'runtime.' in f), '?')
    return 'other: '+' <- '.join(frames[6:9])
c=collections.Counter(); n=0
for block in open(sys.argv[1]).read().split('\n\n'):
    lines=[l.strip() for l in block.strip().split('\n') if l.strip()]
    if len(lines)<2: continue
    frames=[re.sub(r'\+0x[0-9a-f]+','',l.split(None,1)[1]).split(' (')[0] for l in lines[1:]]
    c[cat(frames)]+=1; n+=1
res=float(sys.argv[2]) if len(sys.argv)>2 else 0
print('switches', n)
for k,v in c.most_common(14): print(f"{v:7d} {100*v/n:5.1f}%  {v/res if res else 0:6.2f}/result  {k}")
