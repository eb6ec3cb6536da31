//! The live example (examples/live/) as its README runs it: a supervisor
//! under `lexum serve` keeps two real worker processes alive; a worker is
//! killed, the watcher posts the webhook, and Lexum starts a replacement;
//! scaling to zero stops them all; the journal replays without starting
//! anything.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod support;

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn lexum(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_lexum"))
        .args(args)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).to_string()
}

/// (slot, pid) of every worker.
fn workers(url: &str) -> Vec<(u32, u32)> {
    let state: serde_json::Value =
        serde_json::from_str(&lexum(&["state", "--to", url, "Pool"])).unwrap_or_default();
    state["Pool.workers"]["map"]
        .as_array()
        .map(|pairs| {
            pairs
                .iter()
                .map(|p| (p[0].as_u64().unwrap() as u32, p[1].as_u64().unwrap() as u32))
                .collect()
        })
        .unwrap_or_default()
}

fn alive(pid: u32) -> bool {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    !status.is_empty()
        && !status
            .lines()
            .any(|l| l.starts_with("State:") && l.contains('Z'))
}

fn wait_for(what: &str, mut ok: impl FnMut() -> bool) {
    let t = Instant::now();
    while !ok() {
        assert!(
            t.elapsed() < Duration::from_secs(20),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
#[cfg(target_os = "linux")]
fn a_killed_worker_is_replaced() {
    let root = support::root();
    let dir = std::env::temp_dir().join(format!("lexum-live-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut server = Command::new(env!("CARGO_BIN_EXE_lexum"))
        .current_dir(&root)
        .args(["serve", "examples/live/supervisor.lxm", "--journal"])
        .arg(&dir)
        .args([
            "--listen",
            "127.0.0.1:0",
            "--effect",
            "proc.start=sh examples/live/start-worker.sh",
            "--effect",
            "proc.stop=sh examples/live/stop-worker.sh",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let server = Killed(server);
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap()
        .to_string();
    let watcher = Killed(
        Command::new("sh")
            .current_dir(&root)
            .args(["examples/live/watch.sh", &url, env!("CARGO_BIN_EXE_lexum")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_for("two workers", || workers(&url).len() == 2);
    let before = workers(&url);
    assert!(before.iter().all(|(_, p)| alive(*p)), "{before:?}");
    let (slot, victim) = before[0];
    Command::new("kill")
        .args(["-9", &victim.to_string()])
        .status()
        .unwrap();
    wait_for("a replacement", || {
        workers(&url)
            .iter()
            .any(|(s, p)| *s == slot && *p != victim && alive(*p))
    });
    assert_eq!(workers(&url).len(), 2);
    lexum(&["send", "--to", &url, "Pool.scale", "0"]);
    wait_for("no workers", || workers(&url).is_empty());
    let last = workers(&url);
    assert!(last.is_empty());
    for (_, p) in &before {
        wait_for("the workers to stop", || !alive(*p));
    }
    drop(watcher);
    let pid = server.0.id().to_string();
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    let mut server = server;
    wait_for("the server to stop", || {
        server.0.try_wait().unwrap().is_some()
    });
    let verify = lexum(&["replay", dir.to_str().unwrap(), "--verify"]);
    assert!(verify.starts_with("ok:"), "{verify}");
}
