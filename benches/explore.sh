#!/usr/bin/env bash
# Races `lexum explore` against Stateright on the same model: a lock service
# with N clients whose requests arrive in any order (benches/explore/lock.lxm
# and benches/stateright/src/main.rs). Builds both in release, then runs each
# side alternately (min of 3), with 1 and 2 threads, and prints
# configurations, seconds, configurations per second and peak memory.
# Usage: benches/explore.sh [N] (default 6; 7 gives ~2M configurations).
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-6}"
cargo build --release --quiet
(cd benches/stateright && cargo build --release --quiet)
inputs="$(mktemp)"
trap 'rm -f "$inputs"' EXIT
for c in $(seq 1 "$n"); do
  echo "{\"after\": 0, \"until\": \"any\", \"send\": \"Lock.acquire\", \"args\": [$c]}" >> "$inputs"
done
measure() { # label command...
  local label="$1"; shift
  local out
  out="$( { /usr/bin/time -f "TIME %e %M" "$@" > /tmp/explore-bench.out; } 2>&1 | grep TIME)"
  echo "$label $(head -2 /tmp/explore-bench.out | tail -1 | tr -s ' ') ${out}"
}
for jobs in 1 2; do
  for round in 1 2 3; do
    measure "lexum jobs=$jobs round=$round:" ./target/release/lexum explore benches/explore/lock.lxm --inputs "$inputs" --jobs "$jobs" --max-states 0
    measure "stateright jobs=$jobs round=$round:" ./benches/stateright/target/release/lock-stateright "$n" "$jobs"
  done
done
