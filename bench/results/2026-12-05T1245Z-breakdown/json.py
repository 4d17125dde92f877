import sys, subprocess, collections
# Scratch script of the 2026-12-05 breakdown (see SUMMARY.md): JSON samples of a perf.data by the caller above encoding/json.
out = subprocess.run(["perf", "script", "-i", sys.argv[1], "-F", "ip,sym"], capture_output=True, text=True).stdout
c = collections.Counter(); total = 0; js = 0
for block in out.split("\n\n"):
    lines = [l.strip() for l in block.strip().split("\n") if l.strip()]
    if not lines: continue
    total += 1
    # frames leaf first; find first encoding/json frame, then the first non-json, non-reflect caller above it
    idx = next((i for i, l in enumerate(lines) if "encoding/json." in l), None)
    if idx is None: continue
    js += 1
    op = "json: ?"
    kind = "Unmarshal" if any("json.Unmarshal" in l or "decodeState" in l for l in lines) else "Marshal"
    for l in lines[idx:]:
        if "encoding/json" in l or "reflect." in l or "runtime." in l: continue
        op = l.split(" ", 1)[-1]; break
    c[(kind, op)] += 1
ms = float(sys.argv[2])
for (k, op), n in c.most_common(18):
    print(f"{k:9s} {op[:90]:90s} {ms*n/total:.3f}")
print("json total", round(ms*js/total, 3))
