//! End-to-end outcomes of `lexum run` on the examples and on small programs
//! for each way a run can end (LEXUM.md §3–4).

mod support;

use support::{lexum, run_source};

fn run(args: &[&str]) -> (i32, String) {
    let mut all = vec!["run"];
    all.extend_from_slice(args);
    let out = lexum(&all);
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn tug_of_war_of_equal_priorities_is_e005_with_start_and_period() {
    let (code, out) = run(&["examples/autoscaler.lxm"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.starts_with("error[E005]: oscillation detected at cycle 7: the configuration of cycle 3 repeats (period 4)\n"), "{out}");
    assert!(out.contains("  goals: Autoscaler.enough_nodes, Budget.within_budget\n"));
    assert!(out.contains("Cluster.nodes = 4\n"));
    assert!(out.contains("run hash: "));
}

#[test]
fn higher_priority_wins_and_the_lower_goal_yields() {
    let (code, out) = run(&["examples/priority_conflict.lxm"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("status: converged\n"));
    assert!(
        out.contains("yield: CostSaver.cheap yielded to Autoscaler.enough_nodes at cycle 7\n"),
        "{out}"
    );
    assert!(out.contains("Cluster.nodes = 5\n"));
}

#[test]
fn non_converging_transitions_end_in_e005() {
    let (code, out) = run(&["examples/oscillation.lxm"]);
    assert_eq!(code, 2);
    assert!(out.contains("(period 3)"), "{out}");
}

#[test]
fn banking_conserves_the_total() {
    let (code, out) = run(&["examples/banking.lxm"]);
    assert_eq!(code, 0, "{out}");
    let get = |name: &str| -> i64 {
        out.lines()
            .find_map(|l| l.strip_prefix(&format!("{name} = ")))
            .and_then(|v| v.parse().ok())
            .unwrap()
    };
    assert_eq!(get("Bank.alice") + get("Bank.bob"), 2_000);
    assert_eq!(get("Bank.applied") + get("Bank.rejected"), 100_000);
}

#[test]
fn three_domain_sync_converges_with_the_same_hash_every_time() {
    let a = run(&["examples/three_domain_sync.lxm"]);
    let b = run(&["examples/three_domain_sync.lxm"]);
    assert_eq!(a.0, 0);
    assert_eq!(a, b);
    assert!(a.1.contains("Left.value = 12\n") && a.1.contains("Right.value = 12\n"));
}

#[test]
fn message_storm_handles_every_message() {
    let (code, out) = run(&["examples/message_storm.lxm"]);
    assert_eq!(code, 0);
    for d in ["Ingest", "Index", "Audit"] {
        assert!(out.contains(&format!("{d}.handled = 50000\n")), "{out}");
    }
}

#[test]
fn a_repair_that_changes_nothing_is_e005_with_period_1() {
    let (code, out) = run_source(
        "noop",
        "domain D { state x: Int = 0 goal g: x > 0 repair { x = x } }",
    );
    assert_eq!(code, 2);
    assert!(out.contains("(period 1)"), "{out}");
}

#[test]
fn a_slow_convergence_is_not_an_oscillation() {
    let (code, out) = run_source(
        "slow",
        "domain C { state nodes: Int = 0 on scale(d: Int) { nodes += d } }\n\
         domain A { goal big: C.nodes >= 10_000 repair { send C.scale(1) } }",
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("C.nodes = 10000\n"));
    assert!(out.contains("repairs: A.big 10000\n"));
}

#[test]
fn the_initial_state_breaking_an_invariant_is_e008() {
    let (code, out) = run_source(
        "e008",
        "domain D { state x: Int = -1 invariant pos: x >= 0 }",
    );
    assert_eq!(code, 2);
    assert!(out.starts_with("error[E008]"), "{out}");
}

#[test]
fn exhausted_retries_are_e007_and_end_in_the_quiescent_state() {
    let (code, out) = run_source(
        "e007",
        "domain B retry 2 { state bal: Int = 10 state tries: Int = 0\n\
         on withdraw(a: Int) { tries += 1 assert a <= bal, \"insufficient funds\" bal -= a }\n\
         goal paid: bal < 10 repair { send B.withdraw(50) } }",
    );
    assert_eq!(code, 2, "{out}");
    assert!(out.starts_with("error[E007]: retries exhausted at cycle 4: B.withdraw(50) failed: assertion failed: insufficient funds"), "{out}");
    assert!(out.contains("retries: 2\n"));
    assert!(
        out.contains("B.tries = 0\n"),
        "every failed attempt is rolled back: {out}"
    );
}

#[test]
fn a_false_goal_without_repair_is_stuck_e006() {
    let (code, out) = run_source("e006", "domain D { state x: Int = 0 goal g: x > 0 }");
    assert_eq!(code, 2);
    assert!(out.starts_with("error[E006]: stuck"), "{out}");
}

#[test]
fn the_budget_is_e006() {
    let (code, out) = run(&["--max-cycles", "100", "examples/banking.lxm"]);
    assert_eq!(code, 2);
    assert!(
        out.starts_with("error[E006]: cycle budget exhausted; goals still false: Teller.all_sent"),
        "{out}"
    );
    assert!(out.contains("cycles: 100\n"));
}

#[test]
fn runs_print_identical_bytes_run_to_run() {
    for ex in [
        "examples/autoscaler.lxm",
        "examples/priority_conflict.lxm",
        "examples/provisioner.lxm",
    ] {
        let a = lexum(&["run", "--effects", "sim", "--seed", "7", ex]);
        let b = lexum(&["run", "--effects", "sim", "--seed", "7", ex]);
        assert_eq!(a.stdout, b.stdout, "{ex}");
    }
}

/// Each run-time fault is a transaction failure with its kind and the span
/// of the failing code (an ariadne report on stderr), never a panic.
/// A repair that fails is retried; its retry is not a repeat of its first
/// attempt (the retry count is part of the configuration), so the run ends
/// in E007 once the retries run out, never in a false E005.
#[test]
fn a_failing_repair_is_retried_then_e007_not_e005() {
    let (code, out) = run_source(
        "failing_repair",
        "domain D retry 2 {
  state x: Int = 0
  state y: Int = 0
  goal g: y > 0
    repair {
      let z = 10 / x
      y = z
    }
}
",
    );
    assert_eq!(code, 2, "{out}");
    assert!(
        out.starts_with(
            "error[E007]: retries exhausted at cycle 3: repair D.g failed: division by zero"
        ),
        "{out}"
    );
    assert!(out.contains("retries: 2\n"), "{out}");
    assert!(out.contains("(no difference)"), "{out}");
}

#[test]
fn runtime_faults_fail_the_transaction_with_a_span() {
    let cases = [
        (
            "overflow",
            "state x: Int = 9_223_372_036_854_775_807\n  on go(p: Int) { x += p }",
            "integer overflow",
            "x += p",
        ),
        (
            "div0",
            "state x: Int = 1\n  on go(p: Int) { x = x / (p - 1) }",
            "division by zero",
            "x / (p - 1)",
        ),
        (
            "missing",
            "state m: Map<Str, Int> = {}\n  state x: Int = 0\n  on go(p: Int) { x = m[\"nope\"] }",
            "missing key \"nope\"",
            "m[\"nope\"]",
        ),
        (
            "index",
            "state l: List<Int> = [1]\n  state x: Int = 0\n  on go(p: Int) { x = l[p + 5] }",
            "index 6 out of range for a list of 1",
            "l[p + 5]",
        ),
        (
            "fuel",
            "state x: Int = 0\n  on go(p: Int) { for i in 0..9_000_000_000 { x += 1 } }",
            "fuel exhausted",
            "for i in",
        ),
        (
            "minabs",
            "state x: Int = -9_223_372_036_854_775_808\n  on go(p: Int) { x = abs(x) }",
            "integer overflow",
            "abs(x)",
        ),
    ];
    for (name, members, kind, snippet) in cases {
        let src = format!(
            "domain D retry 1 {{\n  {members}\n  state done: Bool = false\n  goal started: done\n    repair {{ done = true send D.go(1) }}\n}}\n"
        );
        let dir = std::env::temp_dir().join(format!("lexum-fault-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("fault.lxm");
        std::fs::write(&path, &src).unwrap();
        let out = lexum(&["run", "--color", "never", path.to_str().unwrap()]);
        let _ = std::fs::remove_dir_all(&dir);
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {stdout}{stderr}");
        assert!(stdout.starts_with("error[E007]"), "{name}: {stdout}");
        assert!(
            stdout.contains(kind),
            "{name}: expected `{kind}` in {stdout}"
        );
        assert!(
            stderr.contains("[E007]") && stderr.contains(snippet),
            "{name}: {stderr}"
        );
        assert!(
            stdout.contains("D.done = false\n"),
            "{name}: the run ends in the quiescent state: {stdout}"
        );
    }
}

#[test]
fn deep_data_is_fine() {
    // A list nested 200 deep and a map of 10,000 entries built at run time.
    let mut nested = "1".to_string();
    for _ in 0..200 {
        nested = format!("[{nested}]");
    }
    let mut ty = "Int".to_string();
    for _ in 0..201 {
        ty = format!("List<{ty}>");
    }
    let src = format!(
        "domain D {{\n  state deep: {ty} = [{nested}]\n  state m: Map<Int, Int> = {{}}\n  goal full: len(m) >= 10_000\n    repair {{ for i in 0..10_000 {{ m[i] = i * i }} }}\n}}\n"
    );
    let dir = std::env::temp_dir().join(format!("lexum-deep-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("deep.lxm");
    std::fs::write(&path, &src).unwrap();
    let out = lexum(&["run", path.to_str().unwrap()]);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `--input`: external messages delivered after N cycles (or at once when the
/// system has gone idle), recorded in traces and journals.
#[test]
fn external_inputs_drive_runs_traces_and_journals() {
    let args = [
        "examples/three_domain_sync.lxm",
        "--input",
        "examples/three_domain_sync.inputs.jsonl",
    ];
    let (code, out) = run(&args);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("Left.value = 12\n") && out.contains("Right.value = -4\n"),
        "{out}"
    );
    assert!(
        out.contains("Coordinator.acks = {\"left\": 12, \"ops\": 7, \"right\": -4}\n"),
        "the late input arrives: {out}"
    );
    let dir = std::env::temp_dir().join(format!("lexum-input-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let trace = dir.join("t.json");
    let journal = dir.join("j");
    let mut with_trace = args.to_vec();
    with_trace.extend(["--trace", trace.to_str().unwrap()]);
    assert_eq!(run(&with_trace), (0, out.clone()));
    let replay = lexum(&["replay", trace.to_str().unwrap()]);
    assert_eq!(
        replay.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&replay.stderr)
    );
    let mut with_journal = args.to_vec();
    with_journal.extend(["--journal", journal.to_str().unwrap()]);
    assert_eq!(run(&with_journal), (0, out.clone()));
    assert_eq!(
        run(&with_journal),
        (0, out.clone()),
        "resuming a finished journal"
    );
    let other = run(&[
        "examples/three_domain_sync.lxm",
        "--journal",
        journal.to_str().unwrap(),
    ]);
    assert_eq!(other.0, 3, "other inputs are refused");
    for (name, line, want) in [
        ("h", "{\"send\": \"Left.nope\"}", "no handler `Left.nope`"),
        (
            "a",
            "{\"send\": \"Left.set_target\", \"args\": [\"x\"]}",
            "argument `t` must be Int",
        ),
        ("j", "not json", "j.jsonl:1: expected"),
    ] {
        let f = dir.join(format!("{name}.jsonl"));
        std::fs::write(&f, line).unwrap();
        let o = lexum(&[
            "run",
            "examples/three_domain_sync.lxm",
            "--input",
            f.to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(3));
        assert!(
            String::from_utf8_lossy(&o.stderr).contains(want),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    let _ = std::fs::remove_dir_all(dir);
}
