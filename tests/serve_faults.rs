//! Faults of the server's journal, in process: a disk that fills up halts
//! the run with J002 and nothing that was not durable is acknowledged; a
//! journal in use by another server is refused with J007 before anything
//! listens.

use std::io::{self, BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use lexum::journal::run::SyncPolicy;
use lexum::journal::{MemStorage, Storage};
use lexum::runtime::{EffectsMode, Settings};
use lexum::serve::engine::{self, Request};
use tokio::sync::oneshot;

/// Memory storage whose writes fail once `full` is set (a full disk).
struct Filling {
    inner: MemStorage,
    full: AtomicBool,
}

impl Filling {
    fn check(&self) -> io::Result<()> {
        if self.full.load(Ordering::SeqCst) {
            Err(io::Error::other("no space left on device"))
        } else {
            Ok(())
        }
    }
}

impl Storage for Filling {
    fn create(&self) -> io::Result<()> {
        self.inner.create()
    }
    fn list(&self) -> io::Result<Vec<String>> {
        self.inner.list()
    }
    fn read(&self, name: &str) -> io::Result<Vec<u8>> {
        self.inner.read(name)
    }
    fn append(&self, name: &str, bytes: &[u8]) -> io::Result<()> {
        self.check()?;
        self.inner.append(name, bytes)
    }
    fn truncate(&self, name: &str, len: u64) -> io::Result<()> {
        self.check()?;
        self.inner.truncate(name, len)
    }
    fn sync(&self, name: &str) -> io::Result<()> {
        self.check()?;
        self.inner.sync(name)
    }
    fn replace(&self, name: &str, bytes: &[u8]) -> io::Result<()> {
        self.check()?;
        self.inner.replace(name, bytes)
    }
    fn remove(&self, name: &str) -> io::Result<()> {
        self.inner.remove(name)
    }
    fn lock(&self) -> io::Result<bool> {
        self.inner.lock()
    }
    fn unlock(&self) {
        self.inner.unlock()
    }
    fn location(&self, name: &str) -> PathBuf {
        self.inner.location(name)
    }
}

const PROGRAM: &str = "domain Ledger {
  state count: Int = 0
  on hit(n: Int) { count += n }
}
";

fn send(h: &engine::Handle, n: i64) -> Result<engine::Ack, engine::Refused> {
    let (tx, rx) = oneshot::channel();
    h.requests
        .send(Request::Send {
            to: "Ledger.hit".into(),
            args: vec![serde_json::json!(n)],
            key: None,
            reply: tx,
        })
        .unwrap();
    rx.blocking_recv().unwrap()
}

fn ask_status(h: &engine::Handle) -> serde_json::Value {
    let (tx, rx) = oneshot::channel();
    h.requests.send(Request::Status { reply: tx }).unwrap();
    rx.blocking_recv().unwrap()
}

#[test]
fn a_full_disk_halts_with_j002_and_acknowledges_nothing_more() {
    let storage = Arc::new(Filling {
        inner: MemStorage::default(),
        full: AtomicBool::new(false),
    });
    let program = Arc::new(lexum::check_source(PROGRAM).program.unwrap());
    let config = engine::Config {
        storage: storage.clone(),
        source: PROGRAM.to_string(),
        settings: Settings {
            max_cycles: u64::MAX,
            oscillation_detection: true,
            effects: EffectsMode::None,
            seed: 0,
            fail_per_million: 0,
            max_queue: lexum::runtime::DEFAULT_MAX_QUEUE,
            live: true,
        },
        policy: SyncPolicy::Always,
        tick_ms: 10,
        keys: 100,
        snapshot_every: 1000,
        upgrade: false,
        cluster: false,
    };
    let h = engine::start(
        config,
        program,
        Box::new(|| Box::new(lexum::runtime::sim::Unbound) as Box<dyn lexum::Effects>),
    )
    .unwrap();
    assert_eq!(send(&h, 1).unwrap().seq, 0);
    storage.full.store(true, Ordering::SeqCst);
    let refused = send(&h, 2).unwrap_err();
    assert_eq!(refused.0.code, lexum::Code::J002, "{:?}", refused.0);
    let refused = send(&h, 3).unwrap_err();
    assert_eq!(refused.0.code, lexum::Code::J002);
    let status = ask_status(&h);
    assert_eq!(status["state"], "halted", "{status}");
    assert_eq!(status["code"], "J002", "{status}");
    h.requests.send(Request::Shutdown).unwrap();
    h.thread.join().unwrap().unwrap();
    // What is durable holds the acknowledged message, and only it.
    storage.full.store(false, Ordering::SeqCst);
    let log = storage.read("00000000000000000001.wal").unwrap();
    let text = String::from_utf8_lossy(&log);
    assert!(text.contains(r#""args":[1]"#), "{text}");
    assert!(!text.contains(r#""args":[3]"#), "{text}");
}

#[test]
fn a_second_server_on_a_journal_in_use_exits_with_j007() {
    let dir = std::env::temp_dir().join(format!("lexum-serve-lock-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let prog = dir.join("p.lxm");
    std::fs::write(&prog, PROGRAM).unwrap();
    let journal = dir.join("j");
    let start = || {
        Command::new(env!("CARGO_BIN_EXE_lexum"))
            .arg("serve")
            .arg(&prog)
            .arg("--journal")
            .arg(&journal)
            .args(["--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let mut first = start();
    let mut line = String::new();
    BufReader::new(first.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(line.starts_with("listening on http://127.0.0.1:"), "{line}");
    let second = start().wait_with_output().unwrap();
    let _ = first.kill();
    let _ = first.wait();
    assert_eq!(second.status.code(), Some(3));
    assert!(second.stdout.is_empty(), "the second server listened");
    let err = String::from_utf8_lossy(&second.stderr);
    assert!(err.contains("error[J007]"), "{err}");
}
