//! A journal refuses what it did not write (issue 18): records rewritten
//! with a valid CRC (a result of the wrong type, for another effect, a
//! second result for one call), a log cut below what a snapshot
//! acknowledged, and a second process on a journal in use (J007). Each is
//! refused with its code, and nothing is used silently.

mod support;

use std::path::{Path, PathBuf};

use lexum::journal::frame;
use support::{dir_contents, lexum};

const SIM: [&str; 6] = ["--effects", "sim", "--seed", "3", "--fail-rate", "0.2"];

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("lexum-forgery-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A program file, and a journal of its run killed after cycle 120.
fn crashed(name: &str, extra: &[&str]) -> (PathBuf, PathBuf) {
    let base = scratch(name);
    let program = base.join("p.lxm");
    std::fs::write(&program, support::counter_program(300)).unwrap();
    let dir = base.join("j");
    let mut args = vec![
        "run",
        program.to_str().unwrap(),
        "--journal",
        dir.to_str().unwrap(),
        "--crash-after-cycle",
        "120",
    ];
    args.extend(SIM);
    args.extend(extra);
    let out = lexum(&args);
    assert_ne!(out.status.code(), Some(0), "the run was meant to crash");
    (program, dir)
}

fn resume(program: &Path, dir: &Path) -> (Option<i32>, String) {
    let mut args = vec![
        "run",
        program.to_str().unwrap(),
        "--journal",
        dir.to_str().unwrap(),
    ];
    args.extend(SIM);
    let out = lexum(&args);
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Rewrites the log's records through `edit` (payload → new payloads),
/// every frame with a valid CRC.
fn rewrite(dir: &Path, edit: impl Fn(usize, &serde_json::Value) -> Vec<serde_json::Value>) {
    let seg = dir.join(lexum::journal::segment::segment_name(1));
    let bytes = std::fs::read(&seg).unwrap();
    let (frames, err) = frame::decode_all(&bytes);
    assert!(err.is_none());
    let mut out = Vec::new();
    for (i, f) in frames.iter().enumerate() {
        let j: serde_json::Value = serde_json::from_slice(&f.payload).unwrap();
        for n in edit(i, &j) {
            frame::encode(&mut out, &serde_json::to_vec(&n).unwrap());
        }
    }
    std::fs::write(&seg, out).unwrap();
}

/// The index of the `n`-th effect record with an `ok` result.
fn nth_ok(dir: &Path, n: usize) -> usize {
    let seg = dir.join(lexum::journal::segment::segment_name(1));
    let (frames, _) = frame::decode_all(&std::fs::read(seg).unwrap());
    frames
        .iter()
        .enumerate()
        .filter(|(_, f)| {
            let j: serde_json::Value = serde_json::from_slice(&f.payload).unwrap();
            j["kind"] == "effect" && j["result"].get("ok").is_some()
        })
        .nth(n)
        .map(|(i, _)| i)
        .expect("enough effect records")
}

fn assert_refused(program: &Path, dir: &Path, what: &str, expect: &str) {
    let before = dir_contents(dir);
    let (code, err) = resume(program, dir);
    assert_eq!(code, Some(3), "{what}: {err}");
    assert!(err.contains("error[J004]"), "{what}: {err}");
    assert!(err.contains(expect), "{what}: {err}");
    assert_eq!(before, dir_contents(dir), "{what}: the journal changed");
}

#[test]
fn a_result_of_the_wrong_type_is_refused() {
    for (i, forged) in [
        serde_json::json!(true),
        serde_json::json!("hello"),
        serde_json::json!([1, 2]),
    ]
    .into_iter()
    .enumerate()
    {
        let (program, dir) = crashed(&format!("type{i}"), &[]);
        let at = nth_ok(&dir, 5);
        rewrite(&dir, |k, j| {
            let mut j = j.clone();
            if k == at {
                j["result"]["ok"] = forged.clone();
            }
            vec![j]
        });
        assert_refused(&program, &dir, &format!("{forged}"), "not a Int");
    }
}

#[test]
fn a_result_recorded_for_another_effect_is_refused() {
    let (program, dir) = crashed("name", &[]);
    let at = nth_ok(&dir, 3);
    rewrite(&dir, |k, j| {
        let mut j = j.clone();
        if k == at {
            j["effect"] = "cloud.delete_node".into();
        }
        vec![j]
    });
    assert_refused(
        &program,
        &dir,
        "effect name",
        "recorded for effect `cloud.delete_node`",
    );
}

#[test]
fn two_results_for_one_call_are_refused() {
    let (program, dir) = crashed("twice", &[]);
    let at = nth_ok(&dir, 3);
    rewrite(&dir, |k, j| {
        if k == at {
            let mut other = j.clone();
            other["result"]["ok"] = 7.into();
            vec![j.clone(), other]
        } else {
            vec![j.clone()]
        }
    });
    assert_refused(
        &program,
        &dir,
        "duplicate",
        "a second result for effect call",
    );
}

#[test]
fn a_lost_region_of_results_is_refused() {
    let (program, dir) = crashed("gap", &[]);
    let at = nth_ok(&dir, 3);
    rewrite(&dir, |k, j| if k == at { vec![] } else { vec![j.clone()] });
    assert_refused(&program, &dir, "gap", "the results between were lost");
}

#[test]
fn a_deleted_log_below_a_snapshot_is_refused() {
    let (program, dir) = crashed("deleted", &["--snapshot-every", "50", "--snapshot-wait"]);
    assert!(dir_contents(&dir)
        .keys()
        .any(|n| n.ends_with(".snapshot.json")));
    for (name, _) in dir_contents(&dir) {
        if name.ends_with(".wal") && name != "detector.wal" {
            std::fs::remove_file(dir.join(name)).unwrap();
        }
    }
    assert_refused(
        &program,
        &dir,
        "deleted log",
        "acknowledged records are missing",
    );
}

#[test]
fn a_journal_in_use_is_refused_and_left_alone() {
    let (program, dir) = crashed("lock", &[]);
    let lock = std::fs::OpenOptions::new()
        .write(true)
        .open(dir.join("lock"))
        .unwrap();
    lock.lock().unwrap();
    let before = dir_contents(&dir);
    let (code, err) = resume(&program, &dir);
    assert_eq!(code, Some(3), "{err}");
    assert!(err.contains("error[J007]"), "{err}");
    assert_eq!(before, dir_contents(&dir));
    drop(lock);
    // Once the other process is gone, the run resumes and ends.
    let (code, err) = resume(&program, &dir);
    assert_eq!(code, Some(0), "{err}");
}

/// Two real processes on one journal, with a subprocess effect: the second
/// is refused with J007 while the first runs, and the first's report is
/// exactly the report of a run alone.
#[test]
fn a_second_process_on_a_running_journal_is_refused() {
    let base = scratch("two");
    let program = base.join("p.lxm");
    std::fs::write(
        &program,
        "effect ext.slow(n: Int) -> Int
domain D {
  state n: Int = 0
  state sum: Int = 0
  goal done: n >= 12
    repair {
      sum += ext.slow(n)
      n += 1
    }
}
",
    )
    .unwrap();
    let p = program.to_str().unwrap();
    let effect = "ext.slow=sleep 0.1; echo 2";
    let alone = lexum(&["run", p, "--effect", effect]);
    assert_eq!(alone.status.code(), Some(0));
    let dir = base.join("j");
    let d = dir.to_str().unwrap();
    let first = std::process::Command::new(env!("CARGO_BIN_EXE_lexum"))
        .args(["run", p, "--effect", effect, "--journal", d])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the first run has journaled its start.
    let t = std::time::Instant::now();
    while !dir.join(lexum::journal::segment::segment_name(1)).exists() {
        assert!(t.elapsed() < std::time::Duration::from_secs(20));
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let second = lexum(&["run", p, "--effect", effect, "--journal", d]);
    assert_eq!(second.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&second.stderr).contains("error[J007]"));
    let first = first.wait_with_output().unwrap();
    assert_eq!(first.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&first.stdout),
        String::from_utf8_lossy(&alone.stdout)
    );
    // The journal holds one result per call: a rerun replays it unchanged.
    let again = lexum(&["run", p, "--effect", effect, "--journal", d]);
    assert_eq!(again.stdout, alone.stdout);
}

/// Two runs of the same program with the same settings (so the same effect
/// results) in two journals, both killed after cycle 120 with small segments
/// and snapshots every 30 cycles.
fn twins(name: &str) -> (PathBuf, PathBuf, PathBuf) {
    let extra = [
        "--segment-bytes",
        "1024",
        "--snapshot-every",
        "30",
        "--snapshot-wait",
    ];
    let (program, a) = crashed(&format!("{name}-a"), &extra);
    let (_, b) = crashed(&format!("{name}-b"), &extra);
    (program, a, b)
}

fn names(dir: &Path, suffix: &str) -> Vec<String> {
    dir_contents(dir)
        .into_keys()
        .filter(|n| n.ends_with(suffix) && n != "detector.wal")
        .collect()
}

#[test]
fn a_segment_from_another_run_is_refused() {
    let (program, a, b) = twins("seg");
    let segs = names(&a, ".wal");
    assert!(segs.len() >= 2, "{segs:?}");
    let last = segs.last().unwrap();
    std::fs::copy(b.join(last), a.join(last)).unwrap();
    assert_refused(&program, &a, "foreign segment", "belongs to another run");
}

#[test]
fn a_renumbered_segment_is_refused() {
    let (program, a, _) = twins("renumber");
    let segs = names(&a, ".wal");
    let last = segs.last().unwrap();
    let n: u64 = last.trim_end_matches(".wal").parse().unwrap();
    std::fs::copy(
        a.join(last),
        a.join(lexum::journal::segment::segment_name(n + 1)),
    )
    .unwrap();
    assert_refused(&program, &a, "renumbered segment", "says it is segment");
}

#[test]
fn a_snapshot_from_another_run_is_refused() {
    let (program, a, b) = twins("snap");
    let snaps = names(&a, ".snapshot.json");
    let newest = snaps.last().expect("snapshots");
    std::fs::copy(b.join(newest), a.join(newest)).unwrap();
    let before = dir_contents(&a);
    let (code, err) = resume(&program, &a);
    assert_eq!(code, Some(3), "{err}");
    assert!(
        err.contains("error[J005]") && err.contains("another run of this program"),
        "{err}"
    );
    assert_eq!(before, dir_contents(&a));
}

#[test]
fn a_snapshot_under_another_cycle_name_is_not_used() {
    let (program, a, _) = twins("rename");
    let snaps = names(&a, ".snapshot.json");
    assert!(snaps.len() >= 2, "{snaps:?}");
    let (older, newest) = (&snaps[snaps.len() - 2], &snaps[snaps.len() - 1]);
    std::fs::copy(a.join(older), a.join(newest)).unwrap();
    let (code, err) = resume(&program, &a);
    // Skipped with a warning (the previous snapshot is used), never taken
    // for the cycle its name claims.
    assert!(
        err.contains("warning[J006]") && err.contains("its name does not match its cycle"),
        "{err}"
    );
    assert_eq!(code, Some(0), "{err}");
}

/// A log cut below the position a snapshot covers lost acknowledged
/// records: J004, not a torn-tail warning.
#[test]
fn a_log_cut_below_a_snapshot_is_refused() {
    let (program, dir) = crashed("cut", &["--snapshot-every", "50", "--snapshot-wait"]);
    let seg = dir.join(lexum::journal::segment::segment_name(1));
    let bytes = std::fs::read(&seg).unwrap();
    std::fs::write(&seg, &bytes[..bytes.len() / 3]).unwrap();
    let before = dir_contents(&dir);
    let (code, err) = resume(&program, &dir);
    assert_eq!(code, Some(3), "{err}");
    assert!(
        err.contains("error[J004]") && err.contains("acknowledged records are missing"),
        "{err}"
    );
    assert_eq!(before, dir_contents(&dir));
}

/// A segment file far past the last one (a gap in the numbering) means
/// lost segments or a stray file: refused, not read as a torn tail.
#[test]
fn a_gap_in_the_segments_is_refused() {
    let (program, dir) = crashed("gap-seg", &[]);
    std::fs::write(dir.join(lexum::journal::segment::segment_name(99)), b"{}").unwrap();
    assert_refused(&program, &dir, "a gap", "segment 99 follows segment 1");
}
