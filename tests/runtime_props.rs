//! Property tests of the runtime over generated programs:
//! - a run is a pure function of the program: two runs give the same outcome,
//!   state and run hash;
//! - evaluating only the goals that can have changed gives exactly the run
//!   (same hash) of evaluating every goal after every cycle (LEXUM.md §3.4);
//! - the register machine gives exactly the run of the closure interpreter
//!   it replaced (`Options::closures_only`), on programs that also use
//!   locals, `Bool`s, `&&`/`||`/`!`, `min`/`max`, division and overflow.

use lexum::check::check_source;
use lexum::runtime::{sim, Options, Outcome, Runtime};
use proptest::prelude::*;

mod support;

use support::generate::{generate, program};

fn run(src: &str, all_goals: bool) -> (Outcome, Vec<String>, String, u64) {
    run_with(src, all_goals, false)
}

fn run_with(
    src: &str,
    all_goals: bool,
    closures_only: bool,
) -> (Outcome, Vec<String>, String, u64) {
    run_digest(src, all_goals, closures_only, 64)
}

/// `digest_bits` cuts the oscillation detector's table key to that many
/// bits: with 1 or 2, almost every repair cycle has candidates, and exact
/// confirmation must reject every false one.
fn run_digest(
    src: &str,
    all_goals: bool,
    closures_only: bool,
    digest_bits: u32,
) -> (Outcome, Vec<String>, String, u64) {
    let checked = check_source(src);
    let program = checked.program.unwrap_or_else(|| {
        panic!(
            "generated program must check:\n{src}\n{:?}",
            checked.diagnostics
        )
    });
    let options = Options {
        max_cycles: 3_000,
        detect_oscillation: true,
        evaluate_all_goals: all_goals,
        closures_only,
        digest_bits,
        ..Options::default()
    };
    let mut rt = Runtime::new(
        &program,
        options,
        Box::new(sim::Simulator {
            seed: 1,
            fail_per_million: 0,
        }),
    );
    let outcome = rt.run().clone();
    let state = rt.state().iter().map(|v| v.to_string()).collect();
    (outcome, state, rt.run_hash(), rt.cycle())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, .. ProptestConfig::default() })]

    #[test]
    fn runs_are_deterministic(seed in any::<u64>()) {
        let src = program(seed);
        prop_assert_eq!(run(&src, false), run(&src, false));
    }

    #[test]
    fn the_register_machine_gives_the_closures_run(seed in any::<u64>(), rich in any::<bool>()) {
        let src = generate(seed, rich);
        let machine = run_with(&src, false, false);
        let closures = run_with(&src, false, true);
        prop_assert_eq!(machine, closures, "program:\n{}", src);
    }


    #[test]
    fn selective_goal_evaluation_gives_the_same_run(seed in any::<u64>()) {
        let src = program(seed);
        let a = run(&src, false);
        let b = run(&src, true);
        prop_assert_eq!(a, b, "program:\n{}", src);
    }
}

proptest! {
    // Weak keys make nearly every repair cycle a candidate, each confirmed
    // by re-execution: quadratic, so fewer cases.
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

    #[test]
    fn a_weakened_digest_gives_the_same_run(seed in any::<u64>(), bits in 3u32..8) {
        let src = program(seed);
        let full = run_digest(&src, false, false, 64);
        let weak = run_digest(&src, false, false, bits);
        prop_assert_eq!(full, weak, "program:\n{}", src);
    }
}

#[test]
fn the_generator_covers_every_ending() {
    let mut seen = std::collections::BTreeSet::new();
    for seed in 0..400u64 {
        let (outcome, ..) = run(&program(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15)), false);
        seen.insert(match outcome {
            Outcome::Converged => "converged",
            Outcome::Oscillation { .. } => "E005",
            Outcome::Stuck { .. } | Outcome::Budget { .. } => "E006",
            Outcome::RetriesExhausted { .. } => "E007",
            Outcome::InitialState { .. } => "E008",
            Outcome::GoalFailed { .. } => "E009",
            Outcome::QueueLimit { .. } => "E006 queue",
        });
    }
    for want in ["converged", "E005", "E007"] {
        assert!(
            seen.contains(want),
            "the generator never produced {want}: {seen:?}"
        );
    }
}

/// Expressions deeper than the register file (256) fall back to closures
/// part way down; the run is the same as the closure interpreter's.
#[test]
fn deep_expressions_run_as_the_closures_do() {
    let depth = 250;
    let sum = (0..depth).fold("x".to_string(), |acc, i| format!("({i} + {acc})"));
    let cond = (0..depth / 3).fold("x > 0".to_string(), |acc, i| {
        format!("(x != {} && ({acc} || x < {i}))", i + 1_000)
    });
    let src = format!(
        "domain D {{
  state x: Int = 1
  state y: Int = 0
  state ok: Bool = false
  goal done: y > 0
    repair {{
      let a = {sum}
      let b = {cond}
      y = a
      ok = b
    }}
}}
"
    );
    let machine = run_with(&src, false, false);
    assert_eq!(machine, run_with(&src, false, true));
    let want = (0..depth).sum::<i64>() + 1;
    assert!(machine.1.contains(&want.to_string()), "{:?}", machine.1);
    assert!(machine.1.contains(&"true".to_string()), "{:?}", machine.1);
}

/// A loop step spends its body's first unit of fuel with its own when both
/// are there; fuel must still run out at the same statement, with the same
/// failure, as one unit at a time (both parities of the count).
#[test]
fn fuel_runs_out_where_the_closures_say() {
    for prelude in ["", "let z = 0\n      "] {
        let src = format!(
            "domain D retry 0 {{
  state x: Int = 0
  state n: Int = 0
  goal g: n > 0
    repair {{
      {prelude}for i in 0..100_000_000 {{ if i < 0 {{ x += 1 }} }}
      n = 1
    }}
}}
"
        );
        let machine = run_with(&src, false, false);
        assert!(
            matches!(&machine.0, Outcome::RetriesExhausted { failure, .. }
                if failure.kind == lexum::runtime::failure::FailureKind::FuelExhausted),
            "{:?}",
            machine.0
        );
        assert_eq!(machine, run_with(&src, false, true), "prelude {prelude:?}");
    }
}
