#!/bin/sh
# Durable acknowledged messages per second, lexum serve against Redis, in
# the same run (BENCHMARKS.md, "Server"). Redis: appendonly yes,
# appendfsync always (an fsync before each reply, as lexum's --sync
# always), 64 clients of redis-benchmark doing SET. Lexum: 64 keep-alive
# clients posting messages (benches/serve_load.rs). Installs redis-server
# from Debian if it is missing. Also prints each server's CPU time per
# message (user + system, from /proc; clock ticks are 10 ms), steadier
# than msgs/s on a shared VM.
#   sh benches/serve.sh [MESSAGES]
set -e
N=${1:-200000}
C=64
cd "$(dirname "$0")/.."
if ! command -v redis-server > /dev/null || ! command -v redis-benchmark > /dev/null; then
  apt-get install -y -q redis-server redis-tools > /dev/null
fi
cargo build --release -q
cargo build --release -q --bench serve_load
LOAD=$(ls -t target/release/deps/serve_load-* | grep -v '\.d$' | head -1)
W=$(mktemp -d)
trap 'kill $(jobs -p) 2> /dev/null; rm -rf "$W"' EXIT
# The server's CPU time so far, in clock ticks (user + system).
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2> /dev/null || echo $((20000 + $$ % 20000)); }

echo "== redis $(redis-server --version | cut -d' ' -f3), appendonly yes, appendfsync always"
P=$(free_port)
redis-server --port "$P" --bind 127.0.0.1 --dir "$W" --appendonly yes --appendfsync always --save '' --daemonize no > "$W/redis.log" 2>&1 &
REDIS=$!
sleep 0.5
T0=$(cpu $REDIS)
redis-benchmark -p "$P" -c $C -n "$N" -t set -q -P 1 | tr '\r' '\n' | grep -v '^$' | tail -1
echo "  server CPU per message: $(( ($(cpu $REDIS) - T0) * 10000000 / N / 1000 )) us"
redis-cli -p "$P" shutdown nosave > /dev/null 2>&1 || true

cat > "$W/ledger.lxm" << 'PROGRAM'
domain Ledger {
  state count: Int = 0
  state total: Int = 0
  on hit(n: Int) { count += 1  total += n }
}
PROGRAM
for sync in always batch; do
  echo "== lexum serve --sync $sync"
  ./target/release/lexum serve "$W/ledger.lxm" --journal "$W/j-$sync" --listen 127.0.0.1:0 --sync $sync > "$W/out-$sync" 2> "$W/err-$sync" &
  SERVER=$!
  while ! grep -q listening "$W/out-$sync" 2> /dev/null; do sleep 0.05; done
  ADDR=$(head -1 "$W/out-$sync" | sed 's|listening on http://||')
  T0=$(cpu $SERVER)
  "$LOAD" "$ADDR" $C $((N / C))
  echo "  server CPU per message: $(( ($(cpu $SERVER) - T0) * 10000000 / N / 1000 )) us"
  grep -E 'rss|VmHWM' /proc/$SERVER/status | tr -s ' \t' ' ' | sed 's/^/  /'
  kill -TERM $SERVER; wait $SERVER 2> /dev/null || true
done
