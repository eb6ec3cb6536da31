#!/usr/bin/env bash
# Re-records the sample traces from the examples. Run it after a deliberate
# change to the runtime's behaviour; tests/traces.rs replays every trace here
# and fails, naming the cycle, when the behaviour changes.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --quiet
lexum=./target/debug/lexum
record() { # name, run arguments...
  local name=$1; shift
  "$lexum" run "$@" --trace "traces/$name.json" > /dev/null || true
  echo "traces/$name.json: $(wc -c < "traces/$name.json") bytes"
}
record three_domain_sync examples/three_domain_sync.lxm      # converges
record priority_conflict examples/priority_conflict.lxm      # a yield, then converges
record autoscaler_e005 examples/autoscaler.lxm               # E005
record overdraft_e007 examples/overdraft.lxm                 # retries, then E007
record oscillation_e005 examples/oscillation.lxm             # E005, period 3
record provisioner_sim examples/provisioner.lxm --effects sim --seed 7 --fail-rate 0.3   # effects, with retries
