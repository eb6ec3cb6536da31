#!/usr/bin/env python3
"""Diagnostics latency through `lexum lsp` (issue 16: within 50 ms of an
edit for a 10,000-line file). Starts the server, opens a generated program
of about LINES lines, then makes EDITS edits (each a full-text change, as
editors send with full sync) and times each until its diagnostics arrive.

    python3 benches/lsp_latency.py [LEXUM] [LINES] [EDITS]
"""
import json, subprocess, sys, time, os

lexum = sys.argv[1] if len(sys.argv) > 1 else "target/release/lexum"
lines = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
edits = int(sys.argv[3]) if len(sys.argv) > 3 else 20
here = os.path.dirname(os.path.abspath(__file__))
domains = max(1, lines * 10000 // 190000)
src = subprocess.run([sys.executable, os.path.join(here, "gen_program.py"), str(domains)],
                     capture_output=True, text=True, check=True).stdout
p = subprocess.Popen([lexum, "lsp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)

def send(msg):
    body = json.dumps(msg).encode()
    p.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
    p.stdin.flush()

def recv():
    n = None
    while True:
        line = p.stdout.readline().strip()
        if not line:
            break
        if line.startswith(b"Content-Length:"):
            n = int(line.split(b":")[1])
    return json.loads(p.stdout.read(n))

def until_diagnostics():
    while True:
        m = recv()
        if m.get("method") == "textDocument/publishDiagnostics":
            return m["params"]["diagnostics"]

send({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}})
recv()
send({"jsonrpc": "2.0", "method": "initialized", "params": {}})
uri = "file:///bench.lxm"
t = time.perf_counter()
send({"jsonrpc": "2.0", "method": "textDocument/didOpen",
      "params": {"textDocument": {"uri": uri, "languageId": "lexum", "version": 1, "text": src}}})
until_diagnostics()
opened = time.perf_counter() - t
times = []
for i in range(edits):
    # An edit that makes an error, then one that fixes it.
    text = src.replace("state", "stat", 1) if i % 2 == 0 else src
    t = time.perf_counter()
    send({"jsonrpc": "2.0", "method": "textDocument/didChange",
          "params": {"textDocument": {"uri": uri, "version": i + 2},
                     "contentChanges": [{"text": text}]}})
    until_diagnostics()
    times.append(time.perf_counter() - t)
send({"jsonrpc": "2.0", "id": 2, "method": "shutdown", "params": None})
recv()
send({"jsonrpc": "2.0", "method": "exit", "params": None})
p.wait(timeout=10)
def row(name, ts):
    ts = sorted(ts)
    return f"{name} {ts[0]*1000:.1f} / {ts[len(ts)//2]*1000:.1f} / {ts[-1]*1000:.1f} ms"
# Edits that leave an error, and those that fix it, take different paths.
print(row("with an error: min / median / max", times[0::2]) + "; " + row("clean:", times[1::2]))
times.sort()
print(f"{len(src.splitlines())} lines: open {opened*1000:.1f} ms; "
      f"edit min {times[0]*1000:.1f} ms, median {times[len(times)//2]*1000:.1f} ms, "
      f"max {times[-1]*1000:.1f} ms ({edits} edits)")
