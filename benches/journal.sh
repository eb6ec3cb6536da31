#!/usr/bin/env bash
# Journal benchmarks (issue 4), through the release binary:
#  1. the cost of journaling and snapshots on the banking run (N transfers);
#  2. the cost of `--sync always` per effect call;
#  3. recovery of a 1,000,000-entry map plus a 100,000-record log tail;
#  4. the longest cycle while a snapshot of that state is being written.
# Usage: bash benches/journal.sh [N]   (N defaults to 100,000,000)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-100000000}
cargo build --release --quiet
L=./target/release/lexum
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
secs() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f}')" "$@"; }
timed() { # label, command... (prints wall seconds and peak RSS)
  local label=$1; shift
  local s e
  s=$(date +%s.%N)
  /usr/bin/time -f "%M" -o "$tmp/rss" "$@" > "$tmp/out" 2> "$tmp/err" || true
  e=$(date +%s.%N)
  printf "%-58s %8s s  peak RSS %6d MiB\n" "$label" "$(secs "$s" "$e")" $(( $(tail -1 "$tmp/rss") / 1024 ))
}

echo "machine: $(nproc) cores, $(lscpu | sed -n 's/Model name: *//p'); disk under $tmp: $(df -h "$tmp" | awk 'NR==2{print $1}')"

echo "== 1. banking, $N transfers"
sed "s/state transfers: Int = 100_000/state transfers: Int = $N/" examples/banking.lxm > "$tmp/banking.lxm"
for i in 1 2; do
  timed "lexum run (no journal)" $L run "$tmp/banking.lxm"
  rm -rf "$tmp/jb"
  timed "lexum run --journal (snapshots every 100,000 cycles)" $L run "$tmp/banking.lxm" --journal "$tmp/jb"
done
echo "journal: $(du -sh "$tmp/jb" | cut -f1) ($(ls "$tmp/jb" | tr '\n' ' '))"

echo "== 2. --sync policies, 2,000 effect calls"
cat > "$tmp/calls.lxm" <<'LXM'
effect ext.get(n: Int) -> Int
domain C {
  state n: Int = 0
  state total: Int = 0
  goal done: n >= 2_000
    repair {
      total = (total + ext.get(n)) % 1_000_003
      n += 1
    }
}
LXM
for policy in always batch never; do
  rm -rf "$tmp/jc"
  timed "2,000 effect calls, --sync $policy" $L run "$tmp/calls.lxm" --effects sim --journal "$tmp/jc" --sync $policy
done

echo "== 3. recovery: 1,000,000 map entries + 100,000-record tail"
for variant in counter map; do
  if [ $variant = counter ]; then tail_stmt='total = (total + store.value(fetched)) % 1_000_000_007'; else tail_stmt='m[fetched] = store.value(fetched)'; fi
  cat > "$tmp/store.lxm" <<LXM
effect store.value(k: Int) -> Int
domain Store {
  state m: Map<Int, Int> = {}
  state filled: Int = 0
  state fetched: Int = 0
  state total: Int = 0
  goal full: filled >= 1_000_000
    repair {
      for i in 0..1_000 {
        m[filled + i] = i
      }
      filled += 1_000
    }
  goal fetched_all: fetched >= 250_000
    repair {
      $tail_stmt
      fetched += 1
    }
}
LXM
  rm -rf "$tmp/js"
  # Snapshot at cycle 100,000 (the map is full by cycle 2,000), waited for
  # (writing a million entries outlasts 100,000 fast cycles); crash at 199,999.
  $L run "$tmp/store.lxm" --effects sim --sync never --journal "$tmp/js" --snapshot-wait --crash-after-cycle 199999 > /dev/null 2>&1 || true
  $L journal inspect "$tmp/js" | grep -E "records:|snapshot.json" | sed 's/^/  /'
  for i in 1 2 3; do
    rm -rf "$tmp/js2"; cp -r "$tmp/js" "$tmp/js2"
    timed "tail updates a $variant: load only (stop at 100,001)" $L run "$tmp/store.lxm" --effects sim --sync never --journal "$tmp/js2" --crash-after-cycle 100001
    rm -rf "$tmp/js2"; cp -r "$tmp/js" "$tmp/js2"
    timed "tail updates a $variant: load + replay the tail (to 200,000)" $L run "$tmp/store.lxm" --effects sim --sync never --journal "$tmp/js2" --crash-after-cycle 200000
  done
done

echo "== 4. longest cycle while a snapshot of the 1,000,000-entry map is written"
rm -rf "$tmp/jm"
$L run "$tmp/store.lxm" --effects sim --sync never --journal "$tmp/jm" --snapshot-every 20000 --measure-cycles > /dev/null 2> "$tmp/err" || true
grep "cycle times" "$tmp/err"
