//! Three real `lexum serve` processes on loopback (issue 14): clients
//! write with keys, the leader is killed with SIGKILL and restarted, and
//! every node ends with the same state and run hash, which `lexum replay
//! DIR --verify` reproduces from each node's own journal. Nodes started
//! with another program are refused with S005.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

const PROGRAM: &str = r#"
domain Ledger {
  state count: Int = 0
  state total: Int = 0
  state work: Int = 0
  on hit(n: Int) { count += 1  total += n }
  goal busy: work >= count * 2000
    repair { work += 1 }
}
"#;

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("lexum-cluster-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Three free loopback addresses, and `--peers` for them.
fn cluster_addresses() -> (Vec<String>, String) {
    let ls: Vec<_> = (0..3)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0").unwrap())
        .collect();
    let addrs: Vec<String> = ls
        .iter()
        .map(|l| format!("127.0.0.1:{}", l.local_addr().unwrap().port()))
        .collect();
    let peers = (1..=3)
        .map(|i| format!("{i}={}", addrs[i - 1]))
        .collect::<Vec<_>>()
        .join(",");
    (addrs, peers)
}

struct Node {
    child: Option<Child>,
    addr: String,
    journal: PathBuf,
}

impl Drop for Node {
    fn drop(&mut self) {
        if let Some(c) = self.child.as_mut() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn start(program: &Path, journal: &Path, id: usize, peers: &str, addr: &str) -> Node {
    start_with(program, journal, id, peers, addr, &[])
}

fn start_with(
    program: &Path,
    journal: &Path,
    id: usize,
    peers: &str,
    addr: &str,
    extra: &[&str],
) -> Node {
    let mut child = Command::new(env!("CARGO_BIN_EXE_lexum"))
        .arg("serve")
        .arg(program)
        .arg("--journal")
        .arg(journal)
        .args(["--node-id", &id.to_string(), "--peers", peers])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    assert_eq!(line.trim(), format!("listening on http://{addr}"));
    Node {
        child: Some(child),
        addr: addr.to_string(),
        journal: journal.to_path_buf(),
    }
}

fn http(addr: &str, method: &str, path: &str, body: &[u8]) -> std::io::Result<(u16, String)> {
    http_with(addr, method, path, body, "")
}

fn http_with(
    addr: &str,
    method: &str,
    path: &str,
    body: &[u8],
    headers: &str,
) -> std::io::Result<(u16, String)> {
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/json\r\n{headers}Content-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(req.as_bytes())?;
    s.write_all(body)?;
    let mut resp = String::new();
    s.read_to_string(&mut resp)?;
    let status = resp
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("no status in `{resp}`")))?;
    Ok((
        status,
        resp.split_once("\r\n\r\n").map_or("", |x| x.1).to_string(),
    ))
}

fn status(addr: &str) -> Option<Value> {
    let (code, body) = http(addr, "GET", "/v1/status", b"").ok()?;
    (code == 200).then(|| serde_json::from_str(&body).ok())?
}

/// Posts until some node acknowledges: followers name the leader (S004).
fn send(nodes: &[Node], n: i64, deadline: Instant) -> Value {
    let msg = json!({"to": "Ledger.hit", "args": [n], "key": format!("k{n}")}).to_string();
    let mut at = 0;
    loop {
        assert!(
            Instant::now() < deadline,
            "message {n} was never acknowledged"
        );
        let node = &nodes[at % nodes.len()];
        if node.child.is_some() {
            if let Ok((200, body)) = http(&node.addr, "POST", "/v1/messages", msg.as_bytes()) {
                return serde_json::from_str(&body).unwrap();
            }
        }
        at += 1;
        std::thread::sleep(Duration::from_millis(30));
    }
}

/// `lexum send` to a follower: it follows the leader's URL in the S004
/// answer, and the message is acknowledged.
fn send_through_a_follower(nodes: &[Node], n: i64, deadline: Instant) -> Value {
    let follower = loop {
        let f = nodes.iter().find(|node| {
            node.child.is_some()
                && status(&node.addr).is_some_and(|s| {
                    s["cluster"]["role"] == "follower" && s["cluster"]["leader"].is_u64()
                })
        });
        if let Some(f) = f {
            break f;
        }
        assert!(Instant::now() < deadline, "no follower with a leader");
        std::thread::sleep(Duration::from_millis(50));
    };
    let out = Command::new(env!("CARGO_BIN_EXE_lexum"))
        .args(["send", "--to"])
        .arg(format!("http://{}", follower.addr))
        .args(["Ledger.hit", &n.to_string(), "--key", &format!("k{n}")])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(&text).unwrap()
}

fn leader(nodes: &[Node]) -> Option<usize> {
    nodes.iter().position(|n| {
        n.child.is_some() && status(&n.addr).is_some_and(|s| s["cluster"]["role"] == "leader")
    })
}

#[test]
fn three_processes_survive_the_leaders_sigkill() {
    let dir = scratch("kill");
    let program = dir.join("ledger.lxm");
    std::fs::write(&program, PROGRAM).unwrap();
    let (addrs, peers) = cluster_addresses();
    let mut nodes: Vec<Node> = (1..=3)
        .map(|i| {
            start(
                &program,
                &dir.join(format!("j{i}")),
                i,
                &peers,
                &addrs[i - 1],
            )
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(90);
    let mut killed = None;
    for n in 1..=60 {
        if n == 20 {
            let l = loop {
                if let Some(l) = leader(&nodes) {
                    break l;
                }
                assert!(Instant::now() < deadline, "no leader");
                std::thread::sleep(Duration::from_millis(50));
            };
            // SIGKILL: the process ends at once, mid-write or not.
            let mut c = nodes[l].child.take().unwrap();
            c.kill().unwrap();
            c.wait().unwrap();
            killed = Some(l);
        }
        if n == 40 {
            let l = killed.take().unwrap();
            let journal = nodes[l].journal.clone();
            let restarted = start(&program, &journal, l + 1, &peers, &addrs[l]);
            nodes[l] = restarted;
        }
        let ack = if n == 60 {
            send_through_a_follower(&nodes, n, deadline)
        } else {
            send(&nodes, n, deadline)
        };
        assert_eq!(ack["duplicate"], false, "{ack}");
    }
    // Every node gets to the same place.
    let total: i64 = (1..=60).sum();
    let mut last: Vec<Value>;
    let settled = loop {
        last = nodes.iter().filter_map(|n| status(&n.addr)).collect();
        let states: Vec<Value> = nodes
            .iter()
            .filter_map(|n| http(&n.addr, "GET", "/v1/state", b"").ok())
            .filter_map(|(_, b)| serde_json::from_str(&b).ok())
            .collect();
        let same = last.len() == 3
            && states.len() == 3
            && last.iter().all(|s| {
                s["state"] == "idle"
                    && s["run_hash"] == last[0]["run_hash"]
                    && s["cycle"] == last[0]["cycle"]
            })
            && states
                .iter()
                .all(|s| s["Ledger.count"] == 60 && s["Ledger.total"] == total);
        if same {
            break true;
        }
        if Instant::now() > deadline {
            break false;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(settled, "the nodes did not agree: {last:#?}");
    let hash = last[0]["run_hash"].as_str().unwrap().to_string();
    // Each node's own journal replays to the cluster's run hash.
    for node in &mut nodes {
        let mut c = node.child.take().unwrap();
        sigterm(&c);
        c.wait().unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_lexum"))
            .arg("replay")
            .arg(&node.journal)
            .arg("--verify")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(text.contains(&hash), "{text} lacks {hash}");
        // The debugger opens it: without a terminal it gets as far as
        // asking for one (after re-executing the journal into a trace).
        let out = Command::new(env!("CARGO_BIN_EXE_lexum"))
            .arg("debug")
            .arg(&node.journal)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("needs a terminal"), "{err}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Stops a server as an operator would (it writes a last snapshot).
fn sigterm(c: &Child) {
    // SAFETY: sends a signal to our own child process.
    unsafe {
        libc::kill(c.id() as i32, libc::SIGTERM);
    }
}

#[test]
fn a_node_with_another_program_is_refused_with_s005() {
    let dir = scratch("mixed");
    let a = dir.join("a.lxm");
    let b = dir.join("b.lxm");
    std::fs::write(&a, PROGRAM).unwrap();
    std::fs::write(&b, PROGRAM.replace("2000", "2001")).unwrap();
    let (addrs, peers) = cluster_addresses();
    let mut nodes = vec![
        start(&a, &dir.join("j1"), 1, &peers, &addrs[0]),
        start(&a, &dir.join("j2"), 2, &peers, &addrs[1]),
        start(&b, &dir.join("j3"), 3, &peers, &addrs[2]),
    ];
    // The two that agree elect a leader and accept writes.
    let deadline = Instant::now() + Duration::from_secs(30);
    let ack = send(&nodes[..2], 1, deadline);
    assert_eq!(ack["seq"], 0);
    // The third never applies anything, and says why.
    std::thread::sleep(Duration::from_millis(500));
    let s = status(&addrs[2]).unwrap();
    assert_eq!(s["inputs"], 0, "{s}");
    let mut c = nodes[2].child.take().unwrap();
    c.kill().unwrap();
    c.wait().unwrap();
    let mut err = String::new();
    c.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    assert!(err.contains("S005"), "stderr: {err}");
    nodes.clear();
    let _ = std::fs::remove_dir_all(&dir);
}

/// With `--token-file`, Raft's own messages carry the token too: the
/// cluster forms and accepts writes, and a Raft message without the token
/// is refused (S002) before openraft sees it.
#[test]
fn raft_messages_need_the_token() {
    let dir = scratch("token");
    let program = dir.join("ledger.lxm");
    std::fs::write(&program, PROGRAM).unwrap();
    let token = dir.join("token");
    std::fs::write(&token, "s3cret\n").unwrap();
    let (addrs, peers) = cluster_addresses();
    let t = token.to_str().unwrap();
    let nodes: Vec<Node> = (1..=3)
        .map(|i| {
            let j = dir.join(format!("j{i}"));
            start_with(&program, &j, i, &peers, &addrs[i - 1], &["--token-file", t])
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(30);
    let msg = json!({"to": "Ledger.hit", "args": [1], "key": "t1"}).to_string();
    let acked = 'sent: loop {
        for n in &nodes {
            let r = http_with(
                &n.addr,
                "POST",
                "/v1/messages",
                msg.as_bytes(),
                "Authorization: Bearer s3cret\r\n",
            );
            if let Ok((200, body)) = r {
                break 'sent body;
            }
        }
        assert!(Instant::now() < deadline, "no node acknowledged");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(acked.contains("\"seq\":0"), "{acked}");
    let (code, body) = http(&addrs[0], "POST", "/raft/vote", b"{}").unwrap();
    assert_eq!(code, 401, "{body}");
    assert!(body.contains("S002"), "{body}");
    drop(nodes);
    let _ = std::fs::remove_dir_all(&dir);
}
