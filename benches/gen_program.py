#!/usr/bin/env python3
"""Writes a generated Lexum program of N domains (about 20 lines each) to stdout.
Used by benches/run.sh for the `lexum check` benchmark."""
import sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
out = []
for d in range(n):
    nxt = (d + 1) % n
    out.append(f"""domain D{d} priority {['critical', 'high', 'normal', 'low', 'background'][d % 5]} {{
  state x: Int = {d}
  state y: Int = 0
  state seen: Map<Str, Int> = {{"a": 1, "b": 2}}
  invariant non_negative: x >= 0 && y >= 0
  goal caught_up: y >= x || D{nxt}.x > 1_000_000
    repair {{
      y += 1
      send D{nxt}.set(x + 1)
    }}
  on set(v: Int) {{
    if v > x {{ x = v }} else {{ seen["low"] = get(seen, "low", 0) + 1 }}
  }}
  on sweep(n: Int) {{
    for i in 0..n {{
      seen[str(i)] = i * 2 % 7
    }}
  }}
}}
""")
sys.stdout.write("".join(out))
