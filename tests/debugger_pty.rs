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
