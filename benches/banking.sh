#!/usr/bin/env bash
# The banking benchmark (issue 3): N transfers through Lexum's scheduler, with
# oscillation detection on and off, side by side with the same logic in
# LuaJIT, Lua 5.4 and native Rust. Usage: bash benches/banking.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-100000000}
if ! command -v luajit >/dev/null || ! command -v lua5.4 >/dev/null; then
  (apt-get install -y luajit lua5.4 || sudo apt-get install -y luajit lua5.4) >/dev/null
fi
cargo build --release --quiet
cargo build --release --quiet --bench banking_native
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sed "s/state transfers: Int = 100_000/state transfers: Int = $N/" examples/banking.lxm > "$tmp/banking.lxm"

measure() { # name, command...
  local name=$1; shift
  local start end
  start=$(date +%s.%N)
  /usr/bin/time -f "%M" -o "$tmp/rss" "$@" > "$tmp/out"
  end=$(date +%s.%N)
  python3 - "$name" "$start" "$end" "$N" "$(cat "$tmp/rss")" <<'PY'
import sys
name, start, end, n, rss = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
wall = end - start
print(f"{name:<28} {wall:8.2f} s {wall * 1e9 / n:8.1f} ns/message  peak RSS {rss / 1024:7.1f} MiB")
PY
  grep -E "Bank.alice|Bank.bob|alice=|run hash" "$tmp/out" | tr '\n' ' '; echo
}

echo "banking: $N transfers on $(nproc) cores, $(lscpu | sed -n 's/Model name: *//p')"
measure "lexum run" ./target/release/lexum run "$tmp/banking.lxm"
measure "lexum run (no E005 check)" ./target/release/lexum run --no-oscillation-detection "$tmp/banking.lxm"
measure "luajit $(luajit -v | cut -d' ' -f2)" luajit benches/banking.lua "$N"
measure "lua5.4" lua5.4 benches/banking.lua "$N"
measure "native rust (VecDeque)" "$(ls -t target/release/deps/banking_native-* | grep -v '\.d$' | head -1)" "$N"
