//! The real binary in a pseudo-terminal: open a sample trace, press `o`, read
//! the screen (vt100), check the cycle shown is the trace's loop start; press
//! `?` and `q`, check the terminal is restored. Needs nothing but the toolchain.

mod support;

use support::pty::Pty;

#[test]
fn debugger_in_a_real_terminal() {
    let trace = support::root().join("traces/autoscaler_e005.json");
    let loaded = lexum::trace::load::load(&std::fs::read(&trace).unwrap()).unwrap();
    let loop_start = loaded.trace.result.loop_.as_ref().unwrap().start;
    let cycles = loaded.trace.cycles.len();

    let mut pty = Pty::lexum(&["debug", "traces/autoscaler_e005.json"], &[]);
    let first = pty.wait("the debugger", |t| {
        t.contains("lexum debug") && t.contains(&format!("cycle 0/{cycles}"))
    });
    assert!(
        pty.parser().screen().alternate_screen(),
        "runs on the alternate screen"
    );
    assert!(first.contains("Events") && first.contains("Mailbox") && first.contains("Goals"));

    pty.send("o");
    let after_o = pty.wait("the jump", |t| {
        t.contains(&format!("cycle {loop_start}/{cycles}"))
    });
    let header = after_o.lines().next().unwrap_or_default().to_string();
    assert!(
        header.contains(&format!("cycle {loop_start}/")),
        "header: {header}"
    );
    assert!(after_o.contains("the oscillation begins at cycle"));

    pty.send("?");
    pty.wait("the help", |t| {
        t.contains("Keys (any key closes)") && t.contains("breakpoint")
    });

    pty.send("q");
    assert!(pty.exit(), "lexum debug exits 0");
    std::thread::sleep(std::time::Duration::from_millis(100));
    let raw = pty.bytes.lock().unwrap().clone();
    assert!(
        String::from_utf8_lossy(&raw).contains("\x1b[?1049l"),
        "left the alternate screen"
    );
    assert!(
        !pty.parser().screen().alternate_screen(),
        "the terminal is back on the main screen"
    );
}

/// `lexum debug DIR` on a live run's journal: the server runs, takes two
/// messages and stops; the debugger opens the journal's run at its end.
#[test]
fn debugger_on_a_live_journal() {
    use std::io::{BufRead, BufReader, Read, Write};
    let dir = std::env::temp_dir().join(format!("lexum-debug-journal-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let journal = dir.join("j");
    let mut server = std::process::Command::new(env!("CARGO_BIN_EXE_lexum"))
        .current_dir(support::root())
        .args(["serve", "examples/live/cluster.lxm", "--journal"])
        .arg(&journal)
        .args(["--listen", "127.0.0.1:0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening on http://")
        .unwrap()
        .to_string();
    for n in [4, 3] {
        let body = format!(r#"{{"to":"Cluster.scale","args":[{n}]}}"#);
        let mut s = std::net::TcpStream::connect(&addr).unwrap();
        write!(
            s,
            "POST /v1/messages HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut reply = String::new();
        s.read_to_string(&mut reply).unwrap();
        assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    std::process::Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap();
    assert!(server.wait().unwrap().success());
    let j = journal.to_str().unwrap().to_string();
    let mut pty = Pty::lexum(&["debug", &j, "--at", "end"], &[]);
    // 2 cycles to size 2, then 2 to 4, then 1 back to 3, plus 2 messages.
    let screen = pty.wait("the debugger", |t| {
        t.contains("lexum debug") && t.contains("cycle 7/7")
    });
    assert!(screen.contains("Cluster.nodes"), "{screen}");
    pty.send("q");
    assert!(pty.exit(), "lexum debug exits 0");
}
