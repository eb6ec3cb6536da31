//! Crash safety: a journaled run (snapshots every 40 cycles, 2 KiB log
//! segments) killed with SIGKILL at 50 seeded random moments, then resumed, ends with exactly the report (state and run hash)
//! of a run that was never interrupted; running again on a finished journal
//! prints the same report and writes nothing.

mod support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Snapshots often and small segments, so kills land during snapshot
/// writes, segment roll-overs and log pruning too.
const SNAPSHOTS: [&str; 4] = ["--snapshot-every", "40", "--segment-bytes", "2048"];

fn lexum(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_lexum"));
    c.args(args).env("NO_COLOR", "1");
    c
}

#[test]
fn killed_runs_resume_to_the_uninterrupted_result() {
    let base = std::env::temp_dir().join(format!("lexum-kill-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    std::fs::create_dir_all(&base).unwrap();
    let prog = base.join("p.lxm");
    std::fs::write(&prog, support::counter_program(600)).unwrap();
    let p = prog.to_str().unwrap();
    let flags = ["--effects", "sim", "--seed", "3", "--fail-rate", "0.2"];
    let mut args = vec!["run", p];
    args.extend(flags);
    let reference = lexum(&args).output().unwrap();
    assert_eq!(reference.status.code(), Some(0));
    // How long a whole journaled run takes, to spread the kills over it.
    let dir0 = base.join("j-full");
    let mut jargs = args.clone();
    jargs.extend(["--journal", dir0.to_str().unwrap()]);
    jargs.extend(SNAPSHOTS);
    let t = Instant::now();
    let full = lexum(&jargs).output().unwrap();
    let span = t.elapsed().as_micros().max(1000) as u64;
    assert_eq!(
        full.stdout, reference.stdout,
        "a journaled run reports the same"
    );

    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut killed_mid_run = 0;
    for k in 0..50 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let dir = base.join(format!("j{k}"));
        let mut a = args.clone();
        let d = dir.to_str().unwrap().to_string();
        a.extend(["--journal", &d]);
        a.extend(SNAPSHOTS);
        let mut child = lexum(&a)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_micros(seed % span));
        if child.try_wait().unwrap().is_none() {
            killed_mid_run += 1;
        }
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        let resumed = lexum(&a).output().unwrap();
        assert_eq!(
            String::from_utf8_lossy(&resumed.stdout),
            String::from_utf8_lossy(&reference.stdout),
            "kill {k}: {}",
            String::from_utf8_lossy(&resumed.stderr)
        );
        // A finished journal: the same report again, and nothing written
        // (no record, no snapshot, no detector record).
        let before = support::dir_contents(&dir);
        let again = lexum(&a).output().unwrap();
        assert_eq!(again.stdout, reference.stdout, "kill {k}: a third run");
        let after = support::dir_contents(&dir);
        assert_eq!(
            before, after,
            "kill {k}: a finished journal is not written again"
        );
    }
    assert!(
        killed_mid_run >= 10,
        "only {killed_mid_run} of 50 kills hit a running process"
    );
    let _ = std::fs::remove_dir_all(&base);
}

#[test]
fn another_program_is_refused_and_the_journal_left_alone() {
    let base = std::env::temp_dir().join(format!("lexum-kill-other-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    let dir = base.join("j");
    let d = dir.to_str().unwrap();
    let out = support::lexum(&["run", "examples/priority_conflict.lxm", "--journal", d]);
    assert_eq!(out.status.code(), Some(0));
    let before = std::fs::read(dir.join(lexum::journal::segment::segment_name(1))).unwrap();
    let out = support::lexum(&["run", "examples/autoscaler.lxm", "--journal", d]);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("error[J005]"));
    let out = support::lexum(&[
        "run",
        "examples/priority_conflict.lxm",
        "--max-cycles",
        "5",
        "--journal",
        d,
    ]);
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("error[J005]: this journal belongs to a run with other settings"));
    assert_eq!(
        std::fs::read(dir.join(lexum::journal::segment::segment_name(1))).unwrap(),
        before
    );
    // A corrupt journal is refused, never used, and left as it was.
    let seg = dir.join(lexum::journal::segment::segment_name(1));
    let mut bad = before.clone();
    bad[20] ^= 0x55;
    std::fs::write(&seg, &bad).unwrap();
    let out = support::lexum(&["run", "examples/priority_conflict.lxm", "--journal", d]);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("error[J004]"));
    assert_eq!(std::fs::read(&seg).unwrap(), bad);
    let _ = std::fs::remove_dir_all(&base);
}
