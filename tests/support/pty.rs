//! A program in a pseudo-terminal, its screen read through vt100: the
//! terminal tests need nothing but the Rust toolchain.

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{native_pty_system, Child, CommandBuilder, PtySize};

pub struct Pty {
    pub bytes: Arc<Mutex<Vec<u8>>>,
    pub child: Box<dyn Child + Send + Sync>,
    writer: Box<dyn Write + Send>,
}

impl Pty {
    /// Starts `lexum ARGS` in an 80×24 terminal, with extra environment.
    pub fn lexum(args: &[&str], env: &[(&str, &str)]) -> Pty {
        let pair = native_pty_system()
            .openpty(PtySize {
                rows: 24,
                cols: 80,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("a pseudo-terminal");
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_lexum"));
        cmd.args(args);
        cmd.cwd(super::root());
        cmd.env("TERM", "xterm-256color");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = pair.slave.spawn_command(cmd).expect("spawn lexum");
        drop(pair.slave);
        let mut reader = pair.master.try_clone_reader().unwrap();
        let writer = pair.master.take_writer().unwrap();
        let bytes = Arc::new(Mutex::new(Vec::new()));
        let sink = bytes.clone();
        std::thread::spawn(move || {
            let _keep = pair.master;
            let mut buf = [0u8; 4096];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        Pty {
            bytes,
            child,
            writer,
        }
    }

    pub fn parser(&self) -> vt100::Parser {
        let size = |n: u16| std::num::NonZero::new(n).expect("non-zero");
        let mut p = vt100::Parser::new(size(24), size(80), 0);
        p.process(&self.bytes.lock().unwrap());
        p
    }

    pub fn text(&self) -> String {
        self.parser().screen().contents()
    }

    pub fn send(&mut self, keys: &str) {
        self.writer.write_all(keys.as_bytes()).unwrap();
        self.writer.flush().unwrap();
    }

    /// Waits until the screen satisfies `pred` (or fails after 15 s).
    pub fn wait(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
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

    /// Waits for the program to exit; returns whether it succeeded.
    pub fn exit(&mut self) -> bool {
        let start = Instant::now();
        loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                return s.success();
            }
            assert!(
                start.elapsed() < Duration::from_secs(15),
                "the program did not exit"
            );
            std::thread::sleep(Duration::from_millis(30));
        }
    }
}
