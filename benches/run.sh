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

echo "== trace recording, loading and the debugger on 1,000,000 banking transfers"
sed "s/state transfers: Int = 100_000/state transfers: Int = 1_000_000/" examples/banking.lxm > "$tmp/bank1m.lxm"
/usr/bin/time -f "run without trace: wall %es, peak RSS %M KiB" ./target/release/lexum run "$tmp/bank1m.lxm" > /dev/null
/usr/bin/time -f "run with --trace:  wall %es, peak RSS %M KiB" ./target/release/lexum run "$tmp/bank1m.lxm" --trace "$tmp/bank1m.json" > /dev/null
echo "trace size: $(wc -c < "$tmp/bank1m.json") bytes"
cargo bench --quiet --bench trace_load -- "$tmp/bank1m.json"
/usr/bin/time -f "debugger view: peak RSS %M KiB" cargo bench --quiet --bench debugger -- "$tmp/bank1m.json"
