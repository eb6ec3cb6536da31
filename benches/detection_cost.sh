#!/usr/bin/env bash
# Oscillation detection's cost on wall clock (issue 3): the banking example
# with N transfers, run alternately with and without detection, K times
# each; prints the minimum of each (this VM's noise makes single runs
# useless). Usage: bash benches/detection_cost.sh [N] [K]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-10000000}
K=${2:-7}
cargo build --release --quiet
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sed "s/state transfers: Int = 100_000/state transfers: Int = $N/" examples/banking.lxm > "$tmp/banking.lxm"
python3 - "$tmp/banking.lxm" "$K" <<'PY'
import subprocess, sys, time
path, k = sys.argv[1], int(sys.argv[2])
best = {"with": float("inf"), "without": float("inf")}
for _ in range(k):
    for name, extra in (("with", []), ("without", ["--no-oscillation-detection"])):
        t = time.perf_counter()
        subprocess.run(["./target/release/lexum", "run", *extra, path], check=True, stdout=subprocess.DEVNULL)
        best[name] = min(best[name], time.perf_counter() - t)
w, wo = best["with"], best["without"]
print(f"minimum of {k}: with detection {w:.3f} s, without {wo:.3f} s, cost {100 * (w / wo - 1):+.1f}%")
PY
