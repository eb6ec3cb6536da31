//! `lexum serve` end to end, over loopback, driving the real binary: bad
//! requests, idempotency keys, SIGTERM and SIGKILL with clients that retry,
//! timers under `--tick-ms`, and `lexum replay DIR --verify` reproducing the
//! server's run hash.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("lexum-serve-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A running server; killed when dropped.
struct Server {
    child: Child,
    addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(program: &Path, journal: &Path, extra: &[&str]) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_lexum"))
        .arg("serve")
        .arg(program)
        .arg("--journal")
        .arg(journal)
        .args(["--listen", "127.0.0.1:0"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    let Some(addr) = line.trim().strip_prefix("listening on http://") else {
        let mut err = String::new();
        let _ = child.stderr.take().unwrap().read_to_string(&mut err);
        panic!("the first line is `{line}`; stderr: {err}");
    };
    Server {
        addr: addr.to_string(),
        child,
    }
}

/// One HTTP/1.1 request on a fresh connection: (status, body).
fn http(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[&str],
    body: &[u8],
) -> std::io::Result<(u16, String)> {
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(20)))?;
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for h in headers {
        req.push_str(h);
        req.push_str("\r\n");
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes())?;
    s.write_all(body)?;
    let mut resp = String::new();
    s.read_to_string(&mut resp)?;
    let status = resp
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("no status in `{resp}`")))?;
    let body = resp.split_once("\r\n\r\n").map_or("", |x| x.1).to_string();
    Ok((status, body))
}

fn get(addr: &str, path: &str) -> Value {
    let (status, body) = http(addr, "GET", path, &[], b"").unwrap();
    assert_eq!(status, 200, "{path}: {body}");
    serde_json::from_str(&body).unwrap()
}

fn post(addr: &str, msg: &Value) -> (u16, Value) {
    let (status, body) = http(
        addr,
        "POST",
        "/v1/messages",
        &["Content-Type: application/json"],
        msg.to_string().as_bytes(),
    )
    .unwrap();
    (status, serde_json::from_str(&body).unwrap_or(Value::Null))
}

/// Waits until the run is idle (or the deadline passes).
fn idle(addr: &str) -> Value {
    let t = Instant::now();
    loop {
        let s = get(addr, "/v1/status");
        if s["state"] == "idle" || t.elapsed() > Duration::from_secs(20) {
            return s;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn sigterm(server: &mut Server) -> std::process::ExitStatus {
    let pid = server.child.id().to_string();
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    let t = Instant::now();
    loop {
        if let Some(s) = server.child.try_wait().unwrap() {
            return s;
        }
        assert!(
            t.elapsed() < Duration::from_secs(20),
            "SIGTERM did not stop the server"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn replay_verify(journal: &Path) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_lexum"))
        .arg("replay")
        .arg(journal)
        .arg("--verify")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

const COUNTER: &str = "domain Ledger {
  state seen: Set<Int> = {}
  state count: Int = 0
  on hit(id: Int) {
    seen = insert(seen, id)
    count += 1
  }
}
";

#[test]
fn bad_requests_get_a_code_and_change_nothing() {
    let dir = scratch("bad");
    let prog = dir.join("p.lxm");
    std::fs::write(&prog, COUNTER).unwrap();
    let journal = dir.join("j");
    let token = dir.join("token");
    std::fs::write(&token, "s3cret\n").unwrap();
    let server = serve(
        &prog,
        &journal,
        &[
            "--token-file",
            token.to_str().unwrap(),
            "--header-timeout-ms",
            "300",
        ],
    );
    let a = &server.addr;
    let auth = "Authorization: Bearer s3cret";
    let before = get(a, "/v1/state");
    let log_before = std::fs::read(journal.join("00000000000000000001.wal")).unwrap();
    let cases: Vec<(Vec<&str>, Vec<u8>, u16, &str)> = vec![
        (
            vec![],
            br#"{"to":"Ledger.hit","args":[1]}"#.to_vec(),
            401,
            "S002",
        ),
        (
            vec!["Authorization: Bearer wrong"],
            br#"{"to":"Ledger.hit","args":[1]}"#.to_vec(),
            401,
            "S002",
        ),
        (vec![auth], b"{not json".to_vec(), 400, "S001"),
        (
            vec![auth],
            br#"{"to":"Ledger.miss","args":[1]}"#.to_vec(),
            400,
            "S001",
        ),
        (
            vec![auth],
            br#"{"to":"Nope.hit","args":[1]}"#.to_vec(),
            400,
            "S001",
        ),
        (
            vec![auth],
            br#"{"to":"Ledger.hit","args":[]}"#.to_vec(),
            400,
            "S001",
        ),
        (
            vec![auth],
            br#"{"to":"Ledger.hit","args":[1,2]}"#.to_vec(),
            400,
            "S001",
        ),
        (
            vec![auth],
            br#"{"to":"Ledger.hit","args":["1"]}"#.to_vec(),
            400,
            "S001",
        ),
        (
            vec![auth],
            br#"{"to":"Ledger.hit","args":[1],"extra":0}"#.to_vec(),
            400,
            "S001",
        ),
        (
            vec![auth],
            format!(
                r#"{{"to":"Ledger.hit","args":[1],"key":"{}"}}"#,
                "k".repeat(300)
            )
            .into_bytes(),
            400,
            "S001",
        ),
        (
            vec![auth],
            br#"{"to":"Ledger.hit","args":[1],"key":"a\nb"}"#.to_vec(),
            400,
            "S001",
        ),
        (vec![auth], vec![b' '; 2 << 20], 413, "S001"),
    ];
    for (headers, body, status, code) in cases {
        let mut h = headers.clone();
        h.push("Content-Type: application/json");
        let (got, reply) = http(a, "POST", "/v1/messages", &h, &body).unwrap();
        assert_eq!(got, status, "{reply}");
        let reply: Value = serde_json::from_str(&reply).unwrap();
        assert_eq!(reply["error"]["code"], code, "{reply}");
    }
    let (got, _) = http(a, "GET", "/v1/nothing", &[], b"").unwrap();
    assert_eq!(got, 404);
    let (got, _) = http(a, "GET", "/v1/state/Nope", &[], b"").unwrap();
    assert_eq!(got, 404);
    // A client that never finishes its headers is cut off.
    let mut slowloris = TcpStream::connect(a).unwrap();
    slowloris
        .write_all(b"POST /v1/messages HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    slowloris
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let t = Instant::now();
    let mut rest = Vec::new();
    let _ = slowloris.read_to_end(&mut rest);
    assert!(
        t.elapsed() < Duration::from_secs(4),
        "the server kept a slow client"
    );
    // A slow client: headers, then a body that never comes.
    let mut slow = TcpStream::connect(a).unwrap();
    slow.write_all(
        format!(
            "POST /v1/messages HTTP/1.1\r\nHost: {a}\r\n{auth}\r\nContent-Length: 100\r\n\r\n{{"
        )
        .as_bytes(),
    )
    .unwrap();
    // Meanwhile the server serves others.
    assert_eq!(get(a, "/v1/state"), before, "nothing was applied");
    assert_eq!(
        std::fs::read(journal.join("00000000000000000001.wal")).unwrap(),
        log_before,
        "nothing was journaled"
    );
    // A good one goes through.
    let (got, _) = http(
        a,
        "POST",
        "/v1/messages",
        &[auth, "Content-Type: application/json"],
        br#"{"to":"Ledger.hit","args":[7]}"#,
    )
    .unwrap();
    assert_eq!(got, 200);
    assert_eq!(idle(a)["state"], "idle");
    assert_eq!(get(a, "/v1/state/Ledger")["Ledger.count"], 1);
    drop(slow);
}

#[test]
fn keys_are_applied_once_across_kills_and_replay_matches() {
    let dir = scratch("kill");
    let prog = dir.join("p.lxm");
    std::fs::write(&prog, COUNTER).unwrap();
    let journal = dir.join("j");
    let flags = ["--snapshot-every", "25"];
    let server = serve(&prog, &journal, &flags);
    let addr = Arc::new(Mutex::new(server.addr.clone()));
    let mut server = Some(server);
    const CLIENTS: u64 = 4;
    const EACH: u64 = 250;
    let done = Arc::new(Mutex::new(0u64));
    let retried = Arc::new(Mutex::new(0u64));
    let mut clients = Vec::new();
    for c in 0..CLIENTS {
        let addr = addr.clone();
        let done = done.clone();
        let retried = retried.clone();
        clients.push(std::thread::spawn(move || {
            let mut acked = 0;
            for i in 0..EACH {
                let id = c * 1000 + i;
                let msg = json!({"to": "Ledger.hit", "args": [id], "key": format!("k{id}")});
                let t = Instant::now();
                loop {
                    assert!(
                        t.elapsed() < Duration::from_secs(60),
                        "message {id} was never acknowledged"
                    );
                    let a = addr.lock().unwrap().clone();
                    match http(
                        &a,
                        "POST",
                        "/v1/messages",
                        &["Content-Type: application/json"],
                        msg.to_string().as_bytes(),
                    ) {
                        Ok((200, _)) => {
                            acked += 1;
                            break;
                        }
                        _ => {
                            *retried.lock().unwrap() += 1;
                            std::thread::sleep(Duration::from_millis(5));
                        }
                    }
                }
            }
            *done.lock().unwrap() += acked;
        }));
    }
    // Kill the server at seeded moments while the clients write.
    let mut seed: u64 = 0x2545_F491_4F6C_DD1D;
    for _ in 0..3 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        std::thread::sleep(Duration::from_millis(20 + seed % 150));
        drop(server.take()); // SIGKILL
        let s = serve(&prog, &journal, &flags);
        *addr.lock().unwrap() = s.addr.clone();
        server = Some(s);
    }
    for c in clients {
        c.join().unwrap();
    }
    assert_eq!(*done.lock().unwrap(), CLIENTS * EACH);
    assert!(
        *retried.lock().unwrap() > 0,
        "the kills interrupted no request"
    );
    let mut server = server.unwrap();
    let a = server.addr.clone();
    let status = idle(&a);
    let state = get(&a, "/v1/state");
    assert_eq!(
        state["Ledger.count"],
        CLIENTS * EACH,
        "every key applied exactly once"
    );
    assert_eq!(
        state["Ledger.seen"]["set"].as_array().unwrap().len() as u64,
        CLIENTS * EACH
    );
    // Sending a key again is acknowledged as a duplicate, and changes nothing.
    let (got, reply) = post(&a, &json!({"to": "Ledger.hit", "args": [0], "key": "k0"}));
    assert_eq!(got, 200);
    assert_eq!(reply["duplicate"], true);
    assert_eq!(get(&a, "/v1/state")["Ledger.count"], CLIENTS * EACH);
    assert!(sigterm(&mut server).success());
    let verified = replay_verify(&journal);
    let hash = status["run_hash"].as_str().unwrap();
    assert!(
        verified.contains(hash),
        "{verified} does not end with the server's hash {hash}"
    );
    // Restarted after SIGTERM: the same state, the same hash.
    let server = serve(&prog, &journal, &flags);
    assert_eq!(get(&server.addr, "/v1/state"), state);
    assert_eq!(
        get(&server.addr, "/v1/status")["run_hash"],
        status["run_hash"]
    );
}

#[test]
fn timers_wait_for_real_time_and_replay_exactly() {
    let dir = scratch("tick");
    let prog = dir.join("p.lxm");
    std::fs::write(
        &prog,
        "domain Clock {
  state rang: Int = 0
  on arm() { send ring() after 5 }
  on ring() { rang += 1 }
}
",
    )
    .unwrap();
    let journal = dir.join("j");
    let mut server = serve(&prog, &journal, &["--tick-ms", "100"]);
    let a = server.addr.clone();
    let t = Instant::now();
    let (got, _) = post(&a, &json!({"to": "Clock.arm", "args": []}));
    assert_eq!(got, 200);
    std::thread::sleep(Duration::from_millis(150));
    let s = get(&a, "/v1/status");
    assert_eq!(s["state"], "running", "{s}");
    assert!(s["waiting_for_tick"].is_u64(), "{s}");
    assert_eq!(
        get(&a, "/v1/state")["Clock.rang"],
        0,
        "not yet: 5 ticks take 500 ms"
    );
    while get(&a, "/v1/state")["Clock.rang"] == 0 {
        assert!(t.elapsed() < Duration::from_secs(10));
        std::thread::sleep(Duration::from_millis(20));
    }
    let took = t.elapsed();
    assert!(
        took >= Duration::from_millis(400),
        "the timer fired after {took:?}"
    );
    let status = idle(&a);
    assert!(sigterm(&mut server).success());
    let verified = replay_verify(&journal);
    assert!(
        verified.contains(status["run_hash"].as_str().unwrap()),
        "{verified}"
    );
}

#[test]
fn a_halted_run_refuses_messages_and_reports_its_code() {
    let dir = scratch("halt");
    let prog = dir.join("p.lxm");
    std::fs::write(
        &prog,
        "domain A {
  state x: Int = 0
  on poke() { x += 1 }
  goal a: x != 1 repair { x = 2 }
  goal b: x != 2 repair { x = 1 }
}
",
    )
    .unwrap();
    let journal = dir.join("j");
    let server = serve(&prog, &journal, &[]);
    let a = &server.addr;
    let (got, _) = post(a, &json!({"to": "A.poke", "args": []}));
    assert_eq!(got, 200);
    let t = Instant::now();
    let status = loop {
        let s = get(a, "/v1/status");
        if s["state"] == "halted" || t.elapsed() > Duration::from_secs(10) {
            break s;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status["state"], "halted", "{status}");
    assert_eq!(status["code"], "E005", "{status}");
    assert!(
        status["report"].as_str().unwrap().contains("oscillation"),
        "{status}"
    );
    let (got, reply) = post(a, &json!({"to": "A.poke", "args": []}));
    assert_eq!(got, 503);
    assert_eq!(reply["error"]["code"], "E005");
    // Reads still work.
    assert!(get(a, "/v1/state")["A.x"].is_i64());
}

#[test]
fn events_and_metrics_are_served() {
    let dir = scratch("events");
    let prog = dir.join("p.lxm");
    std::fs::write(&prog, COUNTER).unwrap();
    let journal = dir.join("j");
    let server = serve(&prog, &journal, &[]);
    let a = server.addr.clone();
    let mut sse = TcpStream::connect(&a).unwrap();
    sse.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    sse.write_all(format!("GET /v1/events HTTP/1.1\r\nHost: {a}\r\n\r\n").as_bytes())
        .unwrap();
    // Give the subscription a moment before the message.
    let mut reader = BufReader::new(sse);
    let mut line = String::new();
    while !line.starts_with("HTTP/1.1 200") {
        line.clear();
        reader.read_line(&mut line).unwrap();
    }
    std::thread::sleep(Duration::from_millis(100));
    let (got, _) = post(&a, &json!({"to": "Ledger.hit", "args": [3]}));
    assert_eq!(got, 200);
    let t = Instant::now();
    let event = loop {
        line.clear();
        reader.read_line(&mut line).unwrap();
        if let Some(data) = line.trim().strip_prefix("data:") {
            break serde_json::from_str::<Value>(data.trim()).unwrap();
        }
        assert!(t.elapsed() < Duration::from_secs(10));
    };
    assert_eq!(event["event"], "Ledger.hit(3)", "{event}");
    assert_eq!(event["writes"]["Ledger.count"], 1, "{event}");
    let (status, metrics) = http(&a, "GET", "/metrics", &[], b"").unwrap();
    assert_eq!(status, 200);
    assert!(
        metrics.contains("lexum_messages_accepted_total 1"),
        "{metrics}"
    );
    assert!(metrics.contains("lexum_cycles_total"), "{metrics}");
}

/// A stand-in for a cloud API: answers `call_id * 10 + 1`, except that its
/// second request gets a 500. Counts the requests it saw.
fn fake_api() -> (String, Arc<Mutex<u32>>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let seen = Arc::new(Mutex::new(0u32));
    let s = seen.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            let _ = conn.set_read_timeout(Some(Duration::from_secs(5)));
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            let body = loop {
                let Ok(n) = conn.read(&mut chunk) else {
                    break None;
                };
                if n == 0 {
                    break None;
                }
                buf.extend_from_slice(&chunk[..n]);
                let text = String::from_utf8_lossy(&buf).to_string();
                if let Some((head, rest)) = text.split_once("\r\n\r\n") {
                    let len = head
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                        })
                        .unwrap_or(0);
                    if rest.len() >= len {
                        break Some(rest[..len].to_string());
                    }
                }
            };
            let Some(body) = body else { continue };
            let call: Value = serde_json::from_str(&body).unwrap();
            let n = {
                let mut s = s.lock().unwrap();
                *s += 1;
                *s
            };
            let (status, reply) = if n == 2 {
                ("500 Internal Server Error", "{}".to_string())
            } else {
                (
                    "200 OK",
                    (call["call_id"].as_u64().unwrap() * 10 + 1).to_string(),
                )
            };
            let _ = conn.write_all(
                format!(
                    "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{reply}",
                    reply.len()
                )
                .as_bytes(),
            );
        }
    });
    (addr, seen)
}

#[test]
fn an_http_effect_is_called_retried_and_replayed_without_calling() {
    let dir = scratch("http-effect");
    let prog = dir.join("p.lxm");
    std::fs::write(
        &prog,
        "effect cloud.create(size: Int) -> Int

domain Pool {
  state wanted: Int = 0
  state ids: List<Int> = []
  goal enough: len(ids) >= wanted
    repair {
      let id = cloud.create(1)
      ids = push(ids, id)
    }
  on scale(n: Int) { wanted = n }
}
",
    )
    .unwrap();
    let (api, seen) = fake_api();
    let journal = dir.join("j");
    let binding = format!("cloud.create=http://{api}/create");
    let mut server = serve(&prog, &journal, &["--effect", &binding, "--tick-ms", "10"]);
    let a = server.addr.clone();
    let (got, _) = post(&a, &json!({"to": "Pool.scale", "args": [3]}));
    assert_eq!(got, 200);
    let status = idle(&a);
    let state = get(&a, "/v1/state");
    // Call 1 failed (HTTP 500) and was retried as call 2.
    assert_eq!(state["Pool.ids"], json!([1, 21, 31]), "{state} {status}");
    assert_eq!(*seen.lock().unwrap(), 4);
    assert!(sigterm(&mut server).success());
    let verified = replay_verify(&journal);
    assert!(
        verified.contains(status["run_hash"].as_str().unwrap()),
        "{verified}"
    );
    assert_eq!(*seen.lock().unwrap(), 4, "replay called nothing");
}

#[test]
fn an_upgrade_keeps_resets_and_reports_variables_and_replays() {
    let dir = scratch("upgrade");
    let v1 = dir.join("v1.lxm");
    let v2 = dir.join("v2.lxm");
    std::fs::write(
        &v1,
        "domain Shop {
  state orders: Int = 0
  state note: Str = \"v1\"
  state gone: Bool = true
  on order(n: Int) { orders += n }
}
",
    )
    .unwrap();
    std::fs::write(
        &v2,
        "domain Shop {
  state orders: Int = 0
  state note: Int = 0
  state refunds: Int = 0
  on order(n: Int) { orders += n }
  on refund(n: Int) { refunds += n }
}
",
    )
    .unwrap();
    let journal = dir.join("j");
    let mut s1 = serve(&v1, &journal, &[]);
    for _ in 0..2 {
        assert_eq!(
            post(&s1.addr, &json!({"to": "Shop.order", "args": [3]})).0,
            200
        );
    }
    idle(&s1.addr);
    assert!(sigterm(&mut s1).success());
    // Another program without --upgrade: refused, and the journal is unchanged.
    let files = |d: &Path| {
        let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap())
            .filter(|e| e.file_name() != "lock")
            .map(|e| {
                (
                    e.file_name().to_string_lossy().to_string(),
                    std::fs::read(e.path()).unwrap(),
                )
            })
            .collect();
        v.sort();
        v
    };
    let before = files(&journal);
    let refused = Command::new(env!("CARGO_BIN_EXE_lexum"))
        .arg("serve")
        .arg(&v2)
        .arg("--journal")
        .arg(&journal)
        .args(["--listen", "127.0.0.1:0"])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(3));
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(
        err.contains("error[J005]") && err.contains("--upgrade"),
        "{err}"
    );
    assert_eq!(
        files(&journal),
        before,
        "a refused start changed the journal"
    );
    // With --upgrade: kept, reset and removed are reported.
    let s2 = serve(&v2, &journal, &["--upgrade"]);
    let status = get(&s2.addr, "/v1/status");
    assert_eq!(
        status["upgraded"]["kept"],
        json!(["Shop.orders"]),
        "{status}"
    );
    assert_eq!(
        status["upgraded"]["reset"],
        json!(["Shop.note", "Shop.refunds"]),
        "{status}"
    );
    assert_eq!(
        status["upgraded"]["removed"],
        json!(["Shop.gone"]),
        "{status}"
    );
    let state = get(&s2.addr, "/v1/state");
    assert_eq!(
        state,
        json!({"Shop.orders": 6, "Shop.note": 0, "Shop.refunds": 0})
    );
    assert_eq!(
        post(&s2.addr, &json!({"to": "Shop.refund", "args": [1]})).0,
        200
    );
    idle(&s2.addr);
    drop(s2); // SIGKILL
              // The new program resumes without --upgrade; the history replays.
    let mut s3 = serve(&v2, &journal, &[]);
    let state = get(&s3.addr, "/v1/state");
    assert_eq!(
        state,
        json!({"Shop.orders": 6, "Shop.note": 0, "Shop.refunds": 1})
    );
    let status = idle(&s3.addr);
    assert!(sigterm(&mut s3).success());
    let verified = replay_verify(&journal);
    assert!(
        verified.contains(status["run_hash"].as_str().unwrap()),
        "{verified}"
    );
}
