#!/bin/sh
# proc.stop: stops the worker whose pid is the call's argument.
pid=$(sed -n 's/.*"args":\[\([0-9]*\)\].*/\1/p')
[ -n "$pid" ] && kill "$pid" 2> /dev/null
echo true
