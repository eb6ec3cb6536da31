//! Golden REPL transcripts: each `tests/repl/*.in` is fed to `lexum repl` on a
//! pipe (the scripted mode); its output must equal `tests/repl/*.out`.
//! Regenerate with `LEXUM_BLESS=1 cargo test --test repl`.

mod support;

use std::io::Write;
use std::process::{Command, Stdio};

/// A scratch directory to run in (transcripts may write files), where
/// `examples/` is the repository's.
fn scratch() -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("lexum-repl-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&d);
    let link = d.join("examples");
    if !link.exists() {
        let _ = std::os::unix::fs::symlink(support::root().join("examples"), &link);
    }
    d
}

fn transcript(input: &[u8]) -> (Option<i32>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_lexum"))
        .arg("repl")
        .current_dir(scratch())
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("lexum repl runs");
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn transcripts_match_golden_files() {
    let dir = support::root().join("tests/repl");
    let cases = support::files(&dir, "in");
    assert!(cases.len() >= 3);
    let mut failures = Vec::new();
    for case in cases {
        let (code, out) = transcript(&std::fs::read(&case).unwrap());
        assert_eq!(code, Some(0), "{}", case.display());
        if let Some(diff) = support::golden(&case.with_extension("out"), &out) {
            failures.push(diff);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Every command the help lists appears in some transcript.
#[test]
fn transcripts_cover_every_command() {
    let dir = support::root().join("tests/repl");
    let all: String = support::files(&dir, "in")
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    for (cmd, _) in lexum::repl::HELP {
        let word = cmd.split_whitespace().next().unwrap();
        if word.starts_with(':') {
            assert!(
                all.lines().any(|l| l.starts_with(word)),
                "no transcript uses `{word}`"
            );
        }
    }
}

#[test]
fn nothing_typed_ends_the_session() {
    let junk: Vec<u8> = (0..2000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 9) as u8)
        .collect();
    let mut input = junk.clone();
    input.extend_from_slice(b"\n}}}\n:state\n\"unterminated\n:back 99999\n:goto 0\n1 + 2\n");
    let (code, out) = transcript(&input);
    assert_eq!(code, Some(0));
    assert!(
        out.trim_end().ends_with('3'),
        "the prompt came back and evaluated: {out}"
    );
}

/// Jumping around the history (back, forward, across checkpoints) and then
/// running on gives exactly the report of a straight run: time travel is exact.
#[test]
fn time_travel_is_exact() {
    for ex in [
        "examples/priority_conflict.lxm",
        "examples/autoscaler.lxm",
        "examples/three_domain_sync.lxm",
        "examples/message_storm.lxm",
    ] {
        let path = support::root().join(ex);
        let path = path.to_str().unwrap();
        let mut straight = lexum::repl::Session::new();
        straight.load(path);
        let want = straight.eval(":run");
        let end = straight.cycle();
        let mut s = lexum::repl::Session::new();
        s.load(path);
        s.eval(":run");
        for target in [end / 2, end, 1, end.saturating_sub(300), end / 3, 0, end] {
            s.eval(&format!(":goto {target}"));
            assert_eq!(s.cycle(), target, "{ex}: :goto {target}");
        }
        s.eval(&format!(":goto {}", end / 2));
        assert_eq!(s.eval(":run"), want, "{ex}: running on after jumps");
    }
}

/// A message bomb in the REPL: the queue doubles every cycle's worth of
/// sends, and every checkpoint would copy it. Checkpoints are spaced by the
/// queue's length and thinned, so memory stays bounded (it took 24 GB and
/// the machine's OOM killer before).
#[test]
fn a_message_bomb_in_the_repl_stays_bounded() {
    let input = b"domain A { state n: Int = 0\n on h() { send A.h() send A.h() }\n goal g: n >= 1 repair { send A.h() } }\n:run 200000\n";
    let (code, out) = transcript(input);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("stopped after 200000 cycles"), "{out}");
    #[cfg(target_os = "linux")]
    {
        // SAFETY: getrusage fills the struct it is given.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
        // ru_maxrss is in KiB on Linux: the largest child stayed under 1 GiB.
        assert!(usage.ru_maxrss < 1 << 20, "{} KiB", usage.ru_maxrss);
    }
}
