#!/usr/bin/env bash
# Reruns the benchmarks recorded in BENCHMARKS.md. Not part of the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "== lexum check on a generated program of 10,000 domains"
python3 benches/gen_program.py 10000 > "$tmp/big.lxm"
echo "lines: $(wc -l < "$tmp/big.lxm")"
for i in 1 2 3; do
  /usr/bin/time -f "wall %es, peak RSS %M KiB" ./target/release/lexum check "$tmp/big.lxm"
done
echo "== phases"
cargo bench --quiet --bench front_end -- "$tmp/big.lxm"
