//! The real binary in a pseudo-terminal: open a sample trace, press `o`, read
//! the screen (vt100), check the cycle shown is the trace's loop start; press
//! `?` and `q`, check the terminal is restored. Needs nothing but the toolchain.

mod support;

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{native_pty_system, CommandBuilder, PtySize};

struct Screen {
    bytes: Arc<Mutex<Vec<u8>>>,
}

impl Screen {
    fn parser(&self) -> vt100::Parser {
        let size = |n: u16| std::num::NonZero::new(n).expect("non-zero");
        let mut p = vt100::Parser::new(size(24), size(80), 0);
        p.process(&self.bytes.lock().unwrap());
        p
    }

    fn text(&self) -> String {
        self.parser().screen().contents()
    }

    /// Waits until the screen satisfies `pred` (or fails after 15 s).
    fn wait(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let t = self.text();
            if pred(&t) {
                return t;
            }
            assert!(
                start.elapsed() < Duration::from_secs(15),
                "timed out waiting for {what}; screen:\n{t}"
            );
            std::thread::sleep(Duration::from_millis(30));
        }
    }
}

#[test]
fn debugger_in_a_real_terminal() {
    let trace = support::root().join("traces/autoscaler_e005.json");
    let loaded = lexum::trace::load::load(&std::fs::read(&trace).unwrap()).unwrap();
    let loop_start = loaded.trace.result.loop_.as_ref().unwrap().start;
    let cycles = loaded.trace.cycles.len();

    let pair = native_pty_system()
        .openpty(PtySize {
            rows: 24,
            cols: 80,
            pixel_width: 0,
            pixel_height: 0,
        })
        .expect("a pseudo-terminal");
    let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_lexum"));
    cmd.args(["debug", "traces/autoscaler_e005.json"]);
    cmd.cwd(support::root());
    cmd.env("TERM", "xterm-256color");
    let mut child = pair.slave.spawn_command(cmd).expect("spawn lexum debug");
    drop(pair.slave);
    let mut reader = pair.master.try_clone_reader().unwrap();
    let mut writer = pair.master.take_writer().unwrap();
    let bytes = Arc::new(Mutex::new(Vec::new()));
    let sink = bytes.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            sink.lock().unwrap().extend_from_slice(&buf[..n]);
        }
    });
    let screen = Screen {
        bytes: bytes.clone(),
    };

    let first = screen.wait("the debugger", |t| {
        t.contains("lexum debug") && t.contains(&format!("cycle 0/{cycles}"))
    });
    assert!(
        screen.parser().screen().alternate_screen(),
        "runs on the alternate screen"
    );
    assert!(first.contains("Events") && first.contains("Mailbox") && first.contains("Goals"));

    writer.write_all(b"o").unwrap();
    let after_o = screen.wait("the jump", |t| {
        t.contains(&format!("cycle {loop_start}/{cycles}"))
    });
    let header = after_o.lines().next().unwrap_or_default().to_string();
    assert!(
        header.contains(&format!("cycle {loop_start}/")),
        "header: {header}"
    );
    assert!(after_o.contains("the oscillation begins at cycle"));

    writer.write_all(b"?").unwrap();
    screen.wait("the help", |t| {
        t.contains("Keys (any key closes)") && t.contains("breakpoint")
    });

    writer.write_all(b"q").unwrap();
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "lexum debug did not quit"
        );
        std::thread::sleep(Duration::from_millis(30));
    };
    assert!(status.success(), "exit status {status:?}");
    std::thread::sleep(Duration::from_millis(100));
    let raw = bytes.lock().unwrap().clone();
    let text = String::from_utf8_lossy(&raw);
    assert!(text.contains("\x1b[?1049l"), "left the alternate screen");
    assert!(
        !screen.parser().screen().alternate_screen(),
        "the terminal is back on the main screen"
    );
}
