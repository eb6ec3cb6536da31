#!/bin/sh
# A 3-node cluster on loopback against one `lexum serve`, in the same run
# (BENCHMARKS.md, "Cluster"): durable acknowledged messages per second and
# p50/p99 with 64 keep-alive clients posting to the leader, then the time
# from SIGKILL of the leader to the first acknowledgement by a new one.
#   sh benches/cluster.sh [MESSAGES]
set -e
N=${1:-64000}
C=64
cd "$(dirname "$0")/.."
cargo build --release -q
cargo build --release -q --bench serve_load
LOAD=$(ls -t target/release/deps/serve_load-* | grep -v '\.d$' | head -1)
BIN=./target/release/lexum
W=$(mktemp -d)
trap 'kill -9 $(jobs -p) 2> /dev/null; rm -rf "$W"' EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
cat > "$W/ledger.lxm" << 'PROGRAM'
domain Ledger {
  state count: Int = 0
  state total: Int = 0
  on hit(n: Int) { count += 1  total += n }
}
PROGRAM

echo "== one lexum serve --sync always"
$BIN serve "$W/ledger.lxm" --journal "$W/single" --listen 127.0.0.1:0 > "$W/out" 2> "$W/err" &
S=$!
while ! grep -q listening "$W/out" 2> /dev/null; do sleep 0.05; done
"$LOAD" "$(head -1 "$W/out" | sed 's|listening on http://||')" $C $((N / C))
kill -TERM $S; wait $S 2> /dev/null || true

echo "== 3 nodes"
A1=127.0.0.1:$(port); A2=127.0.0.1:$(port); A3=127.0.0.1:$(port)
P="1=$A1,2=$A2,3=$A3"
for i in 1 2 3; do
  $BIN serve "$W/ledger.lxm" --journal "$W/j$i" --node-id $i --peers "$P" > "$W/out$i" 2> "$W/err$i" &
  eval "PID$i=$!"
done
leader() {
  for a in $A1 $A2 $A3; do
    curl -s "http://$a/v1/status" 2> /dev/null | grep -q '"role":"leader"' && { echo $a; return; }
  done
}
L=""; while [ -z "$L" ]; do sleep 0.1; L=$(leader); done
"$LOAD" "$L" $C $((N / C))

echo "== failover: SIGKILL the leader ($L), first acknowledgement by another node"
case $L in $A1) kill -9 $PID1;; $A2) kill -9 $PID2;; $A3) kill -9 $PID3;; esac
T0=$(date +%s%N)
while :; do
  for a in $A1 $A2 $A3; do
    [ "$a" = "$L" ] && continue
    if curl -s -m 1 -X POST "http://$a/v1/messages" -d '{"to":"Ledger.hit","args":[1],"key":"failover"}' 2> /dev/null | grep -q '"seq"'; then
      echo "  acknowledged by $a after $(( ($(date +%s%N) - T0) / 1000000 )) ms"
      exit 0
    fi
  done
  sleep 0.01
done
