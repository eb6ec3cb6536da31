//! The journal's fault matrix (issue 4), through the real binary: crashes at
//! exact cycles with snapshots and small segments, the last record cut at
//! every byte, bytes flipped in snapshots and segments, snapshots deleted,
//! missing and unwritable directories, and a subprocess effect killed at
//! random moments. Every case either ends exactly like a run never
//! interrupted or is refused with a code; none produces a wrong state.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use std::time::{Duration, Instant};
use support::{dir_contents as contents, lexum};

const SIM: [&str; 6] = ["--effects", "sim", "--seed", "3", "--fail-rate", "0.2"];

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("lexum-faults-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn copy_dir(from: &Path, to: &Path) {
    let _ = std::fs::remove_dir_all(to);
    std::fs::create_dir_all(to).unwrap();
    for (name, bytes) in contents(from) {
        std::fs::write(to.join(name), bytes).unwrap();
    }
}

struct Case {
    base: PathBuf,
    program: String,
    reference: Output,
}

impl Case {
    fn new(name: &str, source: &str, flags: &[&str]) -> Case {
        let base = scratch(name);
        let program = base.join("p.lxm");
        std::fs::write(&program, source).unwrap();
        let program = program.to_str().unwrap().to_string();
        let mut args = vec!["run", program.as_str()];
        args.extend(flags);
        let reference = lexum(&args);
        Case {
            base,
            program,
            reference,
        }
    }

    fn run(&self, flags: &[&str], dir: &Path, extra: &[&str]) -> Output {
        let mut args = vec!["run", self.program.as_str()];
        args.extend(flags);
        args.extend(["--journal", dir.to_str().unwrap()]);
        args.extend(extra);
        lexum(&args)
    }

    fn assert_same(&self, out: &Output, what: &str) {
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&self.reference.stdout),
            "{what}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(out.status.code(), self.reference.status.code(), "{what}");
    }
}

const SMALL: [&str; 4] = ["--snapshot-every", "40", "--segment-bytes", "2048"];

#[test]
fn crashes_at_exact_cycles_resume_from_snapshots_to_the_same_end() {
    let case = Case::new("crash", &support::counter_program(300), &SIM);
    assert_eq!(case.reference.status.code(), Some(0));
    for crash in [1u64, 39, 40, 41, 80, 123, 200, 299, 350] {
        let dir = case.base.join(format!("j{crash}"));
        let c = crash.to_string();
        let mut extra = SMALL.to_vec();
        extra.extend(["--crash-after-cycle", &c, "--snapshot-wait"]);
        let out = case.run(&SIM, &dir, &extra);
        assert_eq!(out.status.code(), Some(137), "crash at {crash}");
        let resumed = case.run(&SIM, &dir, &SMALL);
        case.assert_same(&resumed, &format!("resumed after a crash at {crash}"));
        // The log is bounded: the first segments are gone once two
        // snapshots cover them, and at most two snapshots are kept.
        let files = contents(&dir);
        let snaps = files
            .keys()
            .filter(|n| n.ends_with(".snapshot.json"))
            .count();
        assert!(
            (1..=2).contains(&snaps),
            "crash at {crash}: {snaps} snapshots"
        );
        assert!(
            !files.contains_key("00000000000000000001.wal"),
            "crash at {crash}: the first segment should have been removed"
        );
        // A finished journal: the same report again, and nothing written.
        let again = case.run(&SIM, &dir, &SMALL);
        case.assert_same(&again, &format!("third run after a crash at {crash}"));
        assert_eq!(contents(&dir), files, "crash at {crash}: nothing written");
    }
}

#[test]
fn oscillation_proofs_and_yields_survive_resumption() {
    for example in ["oscillation", "autoscaler", "priority_conflict"] {
        let source =
            std::fs::read_to_string(support::root().join(format!("examples/{example}.lxm")))
                .unwrap();
        let case = Case::new(example, &source, &[]);
        for crash in 1..=8u64 {
            let dir = case.base.join(format!("j{crash}"));
            let c = crash.to_string();
            let _ = case.run(
                &[],
                &dir,
                &[
                    "--snapshot-every",
                    "1",
                    "--snapshot-wait",
                    "--crash-after-cycle",
                    &c,
                ],
            );
            let resumed = case.run(&[], &dir, &["--snapshot-every", "1"]);
            case.assert_same(&resumed, &format!("{example} resumed after cycle {crash}"));
            // Past the run's end there is nothing to crash; before it, the
            // resumed run must have started from the snapshot of that cycle.
            if String::from_utf8_lossy(&resumed.stdout).contains(&format!("cycles: {crash}\n"))
                || crash < 5
            {
                let snaps = lexum::journal::snapshot::list(&lexum::journal::FileStorage::new(&dir));
                assert!(!snaps.is_empty(), "{example} after {crash}: no snapshot");
            }
        }
    }
}

#[test]
fn the_last_record_cut_at_every_byte_is_dropped_and_the_run_ends_the_same() {
    let case = Case::new("cut", &support::counter_program(300), &SIM);
    let dir = case.base.join("crashed");
    // No snapshot before the crash: the log alone carries the run.
    let out = case.run(
        &SIM,
        &dir,
        &["--snapshot-every", "100000", "--crash-after-cycle", "150"],
    );
    assert_eq!(out.status.code(), Some(137));
    let seg = "00000000000000000001.wal";
    let bytes = contents(&dir)[seg].clone();
    let found = lexum::journal::inspect(&dir).unwrap();
    let (_, last) = *found.positions.last().unwrap();
    let mut torn_seen = 0;
    for cut in last as usize..bytes.len() {
        let d = case.base.join("cut");
        copy_dir(&dir, &d);
        std::fs::write(d.join(seg), &bytes[..cut]).unwrap();
        let out = case.run(&SIM, &d, &[]);
        case.assert_same(&out, &format!("cut at {cut}"));
        let err = String::from_utf8_lossy(&out.stderr);
        if cut > last as usize {
            assert!(err.contains("warning[J003]"), "cut at {cut}: {err}");
            torn_seen += 1;
        }
    }
    assert!(torn_seen > 10);
}

/// A journal of the whole run with two snapshots kept and the first
/// segments removed.
fn finished_journal(case: &Case, name: &str) -> PathBuf {
    let dir = case.base.join(name);
    let out = case.run(&SIM, &dir, &SMALL);
    case.assert_same(&out, "the journaled run");
    dir
}

fn snapshots(dir: &Path) -> Vec<String> {
    lexum::journal::snapshot::list(&lexum::journal::FileStorage::new(dir))
}

#[test]
fn damaged_or_deleted_snapshots_fall_back_or_refuse() {
    let case = Case::new("snap", &support::counter_program(300), &SIM);
    let dir = finished_journal(&case, "full");
    let snaps = snapshots(&dir);
    assert_eq!(snaps.len(), 2);
    let newest = dir.join(&snaps[1]);
    let original = std::fs::read(&newest).unwrap();
    let mut seed: u64 = 0x2545_F491_4F6C_DD1D;
    for k in 0..12 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let mut bad = original.clone();
        let at = (seed % bad.len() as u64) as usize;
        bad[at] ^= 1 << (seed >> 60 & 7);
        std::fs::write(&newest, &bad).unwrap();
        let out = case.run(&SIM, &dir, &SMALL);
        case.assert_same(&out, &format!("flip {k} at byte {at}"));
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("warning[J006]"),
            "flip {k}: the damaged snapshot is reported"
        );
        let inspect = lexum(&["journal", "inspect", dir.to_str().unwrap()]);
        assert!(String::from_utf8_lossy(&inspect.stdout).contains("unusable"));
    }
    // Deleted: the previous one is used.
    std::fs::remove_file(&newest).unwrap();
    let out = case.run(&SIM, &dir, &SMALL);
    case.assert_same(&out, "newest snapshot deleted");
    // Both gone while the log's beginning was removed: refused, unchanged.
    for s in snapshots(&dir) {
        let p = dir.join(s);
        let mut b = std::fs::read(&p).unwrap();
        b[10] ^= 0x20;
        std::fs::write(&p, b).unwrap();
    }
    let before = contents(&dir);
    let out = case.run(&SIM, &dir, &SMALL);
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("error[J004]") && err.contains("no snapshot is usable"),
        "{err}"
    );
    assert!(out.stdout.is_empty(), "no report from a guess");
    assert_eq!(contents(&dir), before, "a refused journal is left alone");
}

#[test]
fn a_crash_then_a_damaged_snapshot_resumes_from_the_previous_one() {
    let case = Case::new("fallback", &support::counter_program(300), &SIM);
    let dir = case.base.join("j");
    let mut extra = SMALL.to_vec();
    extra.extend(["--crash-after-cycle", "200"]);
    assert_eq!(case.run(&SIM, &dir, &extra).status.code(), Some(137));
    let snaps = snapshots(&dir);
    let newest = dir.join(snaps.last().unwrap());
    let mut b = std::fs::read(&newest).unwrap();
    let mid = b.len() / 2;
    b[mid] ^= 0x01;
    std::fs::write(&newest, b).unwrap();
    let out = case.run(&SIM, &dir, &SMALL);
    case.assert_same(&out, "fallback after a crash");
    assert!(String::from_utf8_lossy(&out.stderr).contains("warning[J006]"));
}

#[test]
fn flipped_bytes_in_segments_are_refused_with_a_code() {
    let case = Case::new("segflip", &support::counter_program(300), &SIM);
    let dir = finished_journal(&case, "full");
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    for k in 0..10 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let d = case.base.join("flip");
        copy_dir(&dir, &d);
        let segs: Vec<String> = contents(&d)
            .keys()
            .filter(|n| n.ends_with(".wal") && *n != "detector.wal")
            .cloned()
            .collect();
        let seg = d.join(&segs[(seed % segs.len() as u64) as usize]);
        let mut b = std::fs::read(&seg).unwrap();
        if b.is_empty() {
            continue;
        }
        let at = (seed >> 8) as usize % b.len();
        b[at] ^= 0x10;
        std::fs::write(&seg, &b).unwrap();
        let before = contents(&d);
        let out = case.run(&SIM, &d, &SMALL);
        let err = String::from_utf8_lossy(&out.stderr);
        // Either refused as corrupt, or (a flip in a length that now reads
        // as a torn end) reported; never a different report.
        if out.status.code() == Some(3) {
            assert!(err.contains("error[J004]"), "flip {k}: {err}");
            assert_eq!(contents(&d), before, "flip {k}: left alone");
        } else {
            case.assert_same(&out, &format!("flip {k}"));
        }
    }
}

#[test]
fn missing_and_unwritable_directories_have_codes() {
    let case = Case::new("dirs", &support::counter_program(300), &SIM);
    let out = lexum(&["journal", "inspect", "/nonexistent/lexum/journal"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("error[J001]"));
    // A path that is a file, not a directory.
    let file = case.base.join("plain-file");
    std::fs::write(&file, b"x").unwrap();
    let out = case.run(&SIM, &file, &[]);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("error[J00"));
    assert!(out.stdout.is_empty());
    // A directory nobody may create, even root.
    let out = case.run(&SIM, Path::new("/sys/lexum-journal-test"), &[]);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("error[J001]"));
    // A read-only journal directory (only meaningful when not root: root
    // writes through permissions).
    let dir = finished_journal(&case, "ro");
    let probe = dir.join("probe");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o555)).unwrap();
    if std::fs::write(&probe, b"x").is_err() {
        // A finished journal needs no writes: it still reports.
        let out = case.run(&SIM, &dir, &SMALL);
        case.assert_same(&out, "read-only finished journal");
        // A new run cannot start its journal: refused with a code.
        let fresh = dir.join("sub");
        let out = case.run(&SIM, &fresh, &[]);
        assert_eq!(out.status.code(), Some(3));
        assert!(String::from_utf8_lossy(&out.stderr).contains("error[J00"));
    } else {
        let _ = std::fs::remove_file(&probe);
        eprintln!("running as root: permissions do not restrict; the /sys case stands in");
    }
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn a_subprocess_effect_killed_at_random_moments_counts_each_call_once() {
    let source = "effect ext.fetch(n: Int) -> Int
domain P {
  state got: List<Int> = []
  goal done: len(got) >= 40
    repair {
      got = push(got, ext.fetch(len(got)))
    }
}
";
    let case = Case::new("subprocess", source, &[]);
    let base = case.base.clone();
    let calls = base.join("calls.txt");
    // The command appends its call id to a file (an external system's
    // record) and answers with it.
    let cmd = format!(
        "ext.fetch=cat >/dev/null; echo $LEXUM_CALL_ID >> {}; echo $LEXUM_CALL_ID",
        calls.display()
    );
    let flags = ["--effect", cmd.as_str()];
    let dir0 = base.join("j-full");
    let t = Instant::now();
    let full = case.run(&flags, &dir0, &[]);
    let span = t.elapsed().as_micros().max(1000) as u64;
    let expected: Vec<String> = (0..40).map(|i| i.to_string()).collect();
    let report = String::from_utf8_lossy(&full.stdout).to_string();
    assert!(
        report.contains(&format!("P.got = [{}]", expected.join(", "))),
        "{report}"
    );
    let mut seed: u64 = 0xD1B5_4A32_D192_ED03;
    for k in 0..12 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let dir = base.join(format!("j{k}"));
        let _ = std::fs::remove_file(&calls);
        let mut args = vec!["run", case.program.as_str()];
        args.extend(flags);
        let d = dir.to_str().unwrap().to_string();
        args.extend(["--journal", d.as_str()]);
        let mut child = Command::new(env!("CARGO_BIN_EXE_lexum"))
            .args(&args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_micros(seed % span));
        let _ = child.kill();
        let _ = child.wait();
        let out = case.run(&flags, &dir, &[]);
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            report,
            "kill {k}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        // The outside world saw every call id at least once (a call killed
        // before its result was journaled is made again, with the same id).
        let seen = std::fs::read_to_string(&calls).unwrap_or_default();
        let seen: std::collections::BTreeSet<&str> = seen.lines().collect();
        for id in &expected {
            assert!(seen.contains(id.as_str()), "kill {k}: call {id} never made");
        }
    }
}

#[test]
fn external_inputs_resume_from_snapshots_and_other_inputs_are_refused() {
    let root = support::root();
    let prog = root.join("examples/three_domain_sync.lxm");
    let inputs = root.join("examples/three_domain_sync.inputs.jsonl");
    let (p, i) = (prog.to_str().unwrap(), inputs.to_str().unwrap());
    let reference = lexum(&["run", p, "--input", i]);
    let base = scratch("inputs");
    for crash in [1u64, 3, 5, 9] {
        let dir = base.join(format!("j{crash}"));
        let d = dir.to_str().unwrap();
        let c = crash.to_string();
        let flags = [
            "run",
            p,
            "--input",
            i,
            "--journal",
            d,
            "--snapshot-every",
            "2",
        ];
        let mut first = flags.to_vec();
        first.extend(["--snapshot-wait", "--crash-after-cycle", &c]);
        assert_eq!(lexum(&first).status.code(), Some(137));
        let resumed = lexum(&flags);
        assert_eq!(resumed.stdout, reference.stdout, "inputs, crash at {crash}");
        // Without the inputs it is another run: refused, left alone.
        let before = contents(&dir);
        let other = lexum(&["run", p, "--journal", d]);
        assert_eq!(other.status.code(), Some(3));
        assert!(String::from_utf8_lossy(&other.stderr).contains("error[J005]"));
        assert_eq!(contents(&dir), before);
    }
}
