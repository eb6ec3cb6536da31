#!/bin/sh
# Watches the supervisor's workers and posts `Pool.exited SLOT PID` (with
# an idempotency key) when one of them is gone, as a webhook would.
# Usage: watch.sh [URL] [LEXUM]
url=${1:-http://127.0.0.1:7878}
lexum=${2:-lexum}
alive() {
  kill -0 "$1" 2> /dev/null && ! grep -qs '^State:.*Z' "/proc/$1/status"
}
while :; do
  "$lexum" state --to "$url" Pool 2> /dev/null |
    grep -o '\[[0-9]*,[0-9]*\]' | tr -d '[]' | tr ',' ' ' |
    while read -r slot pid; do
      alive "$pid" ||
        "$lexum" send --to "$url" Pool.exited "$slot" "$pid" --key "exit-$pid" > /dev/null
    done
  sleep 0.2
done
