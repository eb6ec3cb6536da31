//! The REPL in a real terminal: multi-line input, tab completion, history
//! (across sessions, in the user's data directory) and `:back`.

mod support;

use support::pty::Pty;

#[test]
fn repl_in_a_real_terminal() {
    let data = std::env::temp_dir().join(format!("lexum-repl-pty-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data);
    std::fs::create_dir_all(&data).unwrap();
    let env = [("XDG_DATA_HOME", data.to_str().unwrap()), ("NO_COLOR", "1")];
    let mut pty = Pty::lexum(&["repl"], &env);
    pty.wait("the prompt", |t| t.contains("lexum> "));

    // Multi-line input: the editor waits until the brackets balance.
    pty.send("domain Cluster {\r");
    pty.send("  state nodes: Int = 3\r");
    pty.send("  on scale(d: Int) { nodes += d }\r");
    pty.wait("a continuation line", |t| {
        t.contains("on scale(d: Int)") && !t.contains("defined Cluster")
    });
    pty.send("}\r");
    pty.wait("the declaration", |t| {
        t.contains("defined Cluster (1 variable, 0 goals, 1 handler)")
    });

    // Completion: `Cluster.no` + Tab completes to `Cluster.nodes`.
    pty.send("Cluster.no\t");
    pty.wait("the completion", |t| t.contains("lexum> Cluster.nodes"));
    pty.send(" * 2\r");
    pty.wait("the value", |t| t.lines().any(|l| l.trim() == "6"));

    // Time travel.
    pty.send("send Cluster.scale(2)\r");
    pty.wait("the send", |t| {
        t.contains("queued Cluster.scale(2) after cycle 0")
    });
    pty.send(":step\r");
    pty.wait("the step", |t| {
        t.contains("cycle 1: Cluster.scale(2) committed; wrote Cluster.nodes = 5")
    });
    pty.send(":back\r");
    pty.wait("going back", |t| t.contains("at cycle 0 (of 1)"));
    pty.send("Cluster.nodes\r");
    pty.wait("the old value", |t| {
        t.lines().filter(|l| l.trim() == "3").count() >= 1
    });

    // :debug opens the debugger at the current cycle; q comes back.
    pty.send(":goto 1\r");
    pty.wait("the jump", |t| t.contains("at cycle 1 (of 1)"));
    pty.send(":debug\r");
    pty.wait("the debugger", |t| {
        t.contains("lexum debug  repl session  cycle 1/1")
    });
    pty.send("q");
    pty.wait("the prompt again", |t| {
        !t.contains("lexum debug  repl session") && t.contains("lexum> ")
    });
    pty.send("Cluster.nodes\r");
    pty.wait("the REPL still works", |t| {
        t.lines().any(|l| l.trim() == "5")
    });

    // History: Up recalls the last line.
    pty.send("\x1b[A");
    pty.wait("the recalled line", |t| {
        t.lines()
            .last()
            .is_some_and(|l| l.contains("lexum> Cluster.nodes"))
            || t.trim_end().ends_with("lexum> Cluster.nodes")
    });
    pty.send("\x15"); // Ctrl-U clears the line
    std::thread::sleep(std::time::Duration::from_millis(100));
    pty.send("\x04"); // Ctrl-D quits
    assert!(pty.exit(), "the REPL exits 0");
    let history = std::fs::read_to_string(data.join("lexum/history")).unwrap_or_default();
    assert!(
        history.contains("send Cluster.scale(2)"),
        "history is saved: {history}"
    );

    // A second session sees the first one's history.
    let mut again = Pty::lexum(&["repl"], &env);
    again.wait("the prompt", |t| t.contains("lexum> "));
    again.send("\x1b[A");
    again.wait("history from the last session", |t| {
        t.contains("lexum> Cluster.nodes")
    });
    again.send("\x15");
    std::thread::sleep(std::time::Duration::from_millis(100));
    again.send("\x04");
    assert!(again.exit());
    let _ = std::fs::remove_dir_all(&data);
}
