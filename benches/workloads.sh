#!/usr/bin/env bash
# Issue 17's workloads side by side with their LuaJIT peers
# (benches/workloads/): a repair-heavy loop (with and without oscillation
# detection), a message storm with and without a Set insert per message,
# and a 1,000,000-entry map fill. Each pair runs alternately K times; the
# minimum wall clock of each and their ratio are printed, with peak RSS.
# Usage: bash benches/workloads.sh [K]
set -euo pipefail
cd "$(dirname "$0")/.."
K=${1:-3}
command -v luajit >/dev/null || { echo "installing luajit"; sudo apt-get install -y luajit >/dev/null; }
cargo build --release --quiet
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
W=benches/workloads
grep -v "seen = insert" $W/storm_set.lxm > "$tmp/storm_plain.lxm"
python3 - "$K" "$W" "$tmp" <<'PY'
import subprocess, sys, time
k, w, tmp = int(sys.argv[1]), sys.argv[2], sys.argv[3]
lx = "./target/release/lexum"
pairs = [
    ("repair 2M, detection on", [lx, "run", f"{w}/repair.lxm"], ["luajit", f"{w}/repair.lua", "2000000"]),
    ("repair 2M, detection off", [lx, "run", "--no-oscillation-detection", f"{w}/repair.lxm"], ["luajit", f"{w}/repair.lua", "2000000"]),
    ("storm 1M messages, Set insert", [lx, "run", f"{w}/storm_set.lxm"], ["luajit", f"{w}/storm_set.lua", "1000"]),
    ("storm 1M messages, no insert", [lx, "run", f"{tmp}/storm_plain.lxm"], ["luajit", f"{w}/storm_set.lua", "1000", "plain"]),
    ("map fill 1M, detection on", [lx, "run", f"{w}/map_fill.lxm"], ["luajit", f"{w}/map_fill.lua", "1000000"]),
    ("map fill 1M, detection off", [lx, "run", "--no-oscillation-detection", f"{w}/map_fill.lxm"], ["luajit", f"{w}/map_fill.lua", "1000000"]),
]
def once(cmd):
    # Peak RSS from /usr/bin/time: a child's own rusage would count the
    # forked Python's pages too.
    t = time.perf_counter()
    subprocess.run(["/usr/bin/time", "-f", "%M", "-o", f"{tmp}/rss", *cmd], check=True, stdout=subprocess.DEVNULL)
    t = time.perf_counter() - t
    return t, int(open(f"{tmp}/rss").read().split()[-1]) / 1024
for name, a, b in pairs:
    best = [float("inf"), float("inf")]
    rss = [0, 0]
    for _ in range(k):
        for i, cmd in enumerate((a, b)):
            t, m = once(cmd)
            best[i] = min(best[i], t)
            rss[i] = max(rss[i], m)
    print(f"{name}: lexum {best[0]:.3f} s ({rss[0]:.0f} MiB), luajit {best[1]:.3f} s ({rss[1]:.0f} MiB), ratio {best[0] / best[1]:.2f}")
PY
