//! The guarantees an attacker or an unlucky user would try to break
//! (issue 18): E005 only on exact equality, logical time that cannot wrap,
//! invariants that read `tick` checked after every commit.

mod support;

use lexum::check::check_source;
use lexum::runtime::{sim, Options, Outcome, Runtime};
use support::{files, root, run_source};

/// Runs `src` to its end with the detector's table key cut to `bits` bits.
fn run_bits(src: &str, bits: u32) -> Option<(Outcome, Vec<String>, String, u64)> {
    let program = check_source(src).program?;
    let options = Options {
        max_cycles: 20_000,
        digest_bits: bits,
        ..Options::default()
    };
    let fx = Box::new(sim::Simulator {
        seed: 7,
        fail_per_million: 300_000,
    });
    let mut rt = Runtime::new(&program, options, fx);
    let outcome = rt.run().clone();
    let state = rt.state().iter().map(|v| v.to_string()).collect();
    Some((outcome, state, rt.run_hash(), rt.cycle()))
}

/// Every program the project ships (examples, test programs, the sample
/// traces' sources) gives exactly the same run when the detector's key is
/// one bit wide: nearly every repair cycle then has candidates, and only
/// exact equality may turn one into E005 or a yield.
#[test]
fn a_one_bit_digest_changes_no_answer() {
    let mut sources: Vec<(String, String)> = Vec::new();
    for dir in ["examples", "tests/ui", "benches"] {
        for f in files(&root().join(dir), "lxm") {
            sources.push((
                f.display().to_string(),
                std::fs::read_to_string(&f).unwrap(),
            ));
        }
    }
    for f in files(&root().join("traces"), "json") {
        let j: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&f).unwrap()).unwrap();
        if let Some(src) = j["program"]["source"].as_str() {
            sources.push((f.display().to_string(), src.to_string()));
        }
    }
    let mut loops = 0;
    for (name, src) in &sources {
        // The benchmarks' long runs are cut by the budget above.
        let Some(full) = run_bits(src, 64) else {
            continue;
        };
        if matches!(full.0, Outcome::Oscillation { .. }) {
            loops += 1;
        }
        let weak = run_bits(src, 1).unwrap();
        assert_eq!(full, weak, "{name}");
    }
    assert!(loops >= 3, "the E005 examples ran ({loops} loops)");
}

fn time_of(report: &str) -> i64 {
    report
        .lines()
        .find_map(|l| l.strip_prefix("time: "))
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| panic!("no time in {report}"))
}

#[test]
fn a_timer_past_the_end_of_time_fails_its_transaction() {
    let (code, out) = run_source(
        "timer",
        "domain A {\n  state n: Int = 0\n  on h() { n += 1 }\n  goal g: n >= 1 repair { send A.h() after 9223372036854775807 }\n}\n",
    );
    assert_eq!(code, 2, "{out}");
    assert!(out.starts_with("error[E007]"), "{out}");
    assert!(out.contains("failed: integer overflow"), "{out}");
    assert!(time_of(&out) >= 0, "{out}");
}

#[test]
fn a_backoff_past_the_end_of_time_ends_the_retries() {
    let (code, out) = run_source(
        "backoff",
        "domain A retry 100 {\n  state n: Int = 0\n  on h() { fail \"no\" }\n  goal g: n >= 1 repair { send A.h() }\n}\n",
    );
    assert_eq!(code, 2, "{out}");
    assert!(out.starts_with("error[E007]"), "{out}");
    assert!(out.contains("retries: 62\n"), "{out}");
    assert!(time_of(&out) >= 0, "{out}");
}

#[test]
fn an_invariant_on_tick_is_checked_after_every_commit() {
    let (code, out) = run_source(
        "tick_invariant",
        "domain A {\n  state n: Int = 0\n  invariant early: tick < 3\n  goal g: n >= 10 repair { n += 1 }\n}\n",
    );
    assert_eq!(code, 2, "{out}");
    assert!(
        out.starts_with("error[E007]: retries exhausted at cycle 6: repair A.g failed: invariant `A.early` broken"),
        "{out}"
    );
    // The run ends in a state that satisfies the invariant: τ = 3 was
    // never committed to.
    assert!(out.contains("A.n = 2\n"), "{out}");
}

#[test]
fn a_failing_goal_predicate_is_e009_not_false() {
    let src = "domain A {\n  state k: Int = 3\n  goal g: 10 / k > 20 repair { k -= 1 }\n}\n";
    let (code, out) = run_source("e009", src);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.starts_with(
            "error[E009]: the predicate of goal `A.g` fails after cycle 3: division by zero\n"
        ),
        "{out}"
    );
    assert!(out.contains("A.k = 0\n"), "{out}");
    // Observing the run (as a trace does) changes nothing: a goal without a
    // repair that fails only while nobody asks is not evaluated by the run.
    let quiet = "domain A {\n  state k: Int = 0\n  on set() { k = 5 }\n  goal g: 10 / k > 1\n}\ndomain B {\n  state s: Int = 0\n  goal go: s == 1 repair { s = 1 send A.set() }\n}\n";
    let plain = run_bits(quiet, 64).unwrap();
    assert_eq!(plain.0, Outcome::Converged);
}

#[test]
fn a_message_bomb_ends_at_the_queue_limit() {
    let src = "domain A {\n  state n: Int = 0\n  on h() { send A.h() send A.h() }\n  goal g: n >= 1 repair { send A.h() }\n}\n";
    let (code, out) = run_source("bomb", src);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.starts_with("error[E006]: queue limit exhausted: more than 1000000 events pending after cycle 1000001 (--max-queue)\n"),
        "{out}"
    );
}

#[test]
fn e008_names_the_failing_initial_value_and_prints_no_placeholder() {
    let src = "domain A {\n  state x: Int = 1 / 0\n  state y: Int = 2\n}\n";
    let (code, out) = run_source("e008", src);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.starts_with("error[E008]: the initial value of `A.x` fails: division by zero\n"),
        "{out}"
    );
    assert!(
        out.contains("A.x is undefined\nA.y is undefined\n"),
        "{out}"
    );
    assert!(!out.contains("= false"), "{out}");
}
