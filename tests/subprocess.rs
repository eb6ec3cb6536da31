//! The subprocess effect binding (`--effect NAME=COMMAND`): results, errors
//! that go through the retry rules, wrong types, and bad flags.

mod support;

const PROGRAM: &str = "effect ext.double(n: Int) -> Int
domain D retry 2 {
  state got: Int = 0
  goal done: got > 0
    repair {
      got = ext.double(21)
    }
}
";

fn run_with(effect: &str) -> std::process::Output {
    let dir = std::env::temp_dir().join(format!("lexum-subprocess-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(format!("p{}.lxm", effect.len()));
    std::fs::write(&p, PROGRAM).unwrap();
    support::lexum(&["run", p.to_str().unwrap(), "--effect", effect])
}

#[test]
fn a_command_answers_with_json_read_from_its_stdin() {
    // The command doubles the first argument it is given on stdin.
    let out = run_with(
        "ext.double=python3 -c 'import json,sys; print(json.load(sys.stdin)[\"args\"][0] * 2)'",
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("D.got = 42"), "{text}");
}

#[test]
fn a_failing_command_is_an_effect_error_that_is_retried_then_e007() {
    let out = run_with("ext.double=echo out of capacity >&2; exit 3");
    let text = String::from_utf8_lossy(&out.stdout);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{text}{err}");
    assert!(text.contains("E007"), "{text}");
    assert!(text.contains("retries: 2"), "{text}");
    assert!(
        err.contains("exited with status 3: out of capacity"),
        "{err}"
    );
}

#[test]
fn a_result_of_the_wrong_type_is_an_effect_error() {
    let out = run_with("ext.double=echo '\"forty-two\"'");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(err.contains("which is not of its declared type"), "{err}");
}

#[test]
fn bad_bindings_are_usage_errors() {
    for (flag, msg) in [
        ("ext.triple=echo 1", "does not declare"),
        ("no-equals-sign", "NAME=COMMAND"),
        ("ext.double=", "has no command"),
    ] {
        let out = run_with(flag);
        assert_eq!(out.status.code(), Some(3), "{flag}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("error[L002]") && err.contains(msg),
            "{flag}: {err}"
        );
    }
}

fn run_bounded(
    name: &str,
    effect: &str,
    timeout_ms: &str,
) -> (std::process::Output, std::time::Duration) {
    let dir = std::env::temp_dir().join(format!("lexum-subprocess-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("p.lxm");
    std::fs::write(&p, PROGRAM).unwrap();
    let t = std::time::Instant::now();
    let out = support::lexum(&[
        "run",
        p.to_str().unwrap(),
        "--effect",
        effect,
        "--effect-timeout",
        timeout_ms,
    ]);
    (out, t.elapsed())
}

#[test]
fn a_command_that_never_exits_times_out_and_is_retried() {
    let (out, took) = run_bounded("never", "ext.double=sleep 100", "300");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("did not finish within 300 ms"), "{err}");
    // Three attempts of 300 ms, not 100 s.
    assert!(took < std::time::Duration::from_secs(20), "{took:?}");
}

#[test]
fn a_child_holding_the_output_open_does_not_hang_the_run() {
    let (out, took) = run_bounded("child", "ext.double=sleep 100 & echo 42", "300");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("did not finish within 300 ms"), "{err}");
    assert!(took < std::time::Duration::from_secs(20), "{took:?}");
}

#[test]
fn endless_output_is_cut_at_the_limit() {
    let (out, took) = run_bounded("yes", "ext.double=yes 1", "60000");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("printed more than 16777216 bytes"), "{err}");
    assert!(took < std::time::Duration::from_secs(30), "{took:?}");
}

#[test]
fn a_trace_records_command_results_and_replays_without_calling_them() {
    let dir = std::env::temp_dir().join(format!("lexum-subprocess-trace-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("p.lxm");
    std::fs::write(&p, PROGRAM).unwrap();
    let marker = dir.join("called");
    let _ = std::fs::remove_file(&marker);
    let trace = dir.join("t.json");
    let effect = format!("ext.double=touch {} && echo 42", marker.display());
    let out = support::lexum(&[
        "run",
        p.to_str().unwrap(),
        "--effect",
        &effect,
        "--trace",
        trace.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("D.got = 42"));
    std::fs::remove_file(&marker).unwrap();
    let replay = support::lexum(&["replay", trace.to_str().unwrap(), "--verify"]);
    assert_eq!(
        replay.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&replay.stdout)
    );
    assert!(!marker.exists(), "the replay called the command");
}
