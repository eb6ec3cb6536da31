#!/bin/sh
# proc.start: starts a worker process (a stand-in: it sleeps) detached from
# Lexum, and prints its pid as the effect's result.
cat > /dev/null
nohup sleep 1000000 > /dev/null 2>&1 < /dev/null &
echo $!
