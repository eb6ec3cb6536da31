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

/// A small deterministic generator (xorshift), seeded by proptest.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn pick<'a>(&mut self, xs: &'a [&'a str]) -> &'a str {
        xs[self.below(xs.len() as u64) as usize]
    }
}

const PRIORITIES: [&str; 3] = ["high", "normal", "low"];

/// Generates a valid program: 1–3 domains with Int state, handlers that
/// assign, branch, loop, send and sometimes fail, and goals with repairs.
/// `rich` adds locals, `Bool`s, connectives, builtins and failing arithmetic.
fn program(seed: u64) -> String {
    generate(seed, false)
}

fn generate(seed: u64, rich: bool) -> String {
    let mut g = Gen(seed | 1);
    let nd = 1 + g.below(3) as usize;
    let vars: Vec<Vec<String>> = (0..nd)
        .map(|d| (0..1 + g.below(3)).map(|v| format!("v{d}_{v}")).collect())
        .collect();
    let handlers: Vec<Vec<String>> = (0..nd)
        .map(|d| (0..1 + g.below(2)).map(|h| format!("h{d}_{h}")).collect())
        .collect();
    let mut src = String::new();
    for d in 0..nd {
        let retry = g.below(3);
        src.push_str(&format!(
            "domain D{d} priority {} retry {retry} {{\n",
            g.pick(&PRIORITIES)
        ));
        for v in &vars[d] {
            src.push_str(&format!("  state {v}: Int = {}\n", g.below(5)));
        }
        let read = |g: &mut Gen| {
            let od = g.below(nd as u64) as usize;
            let v = &vars[od][g.below(vars[od].len() as u64) as usize];
            if od == d {
                v.clone()
            } else {
                format!("D{od}.{v}")
            }
        };
        let expr = |g: &mut Gen| match g.below(if rich { 11 } else { 4 }) {
            0 => format!("{}", g.below(7)),
            1 => read(g),
            2 => format!("{} + {}", read(g), g.below(3)),
            3 => format!("({} - {}) % 5", read(g), read(g)),
            4 => format!("-{} * {}", read(g), g.below(4)),
            5 => format!("min({}, {}) + max({}, 2)", read(g), read(g), read(g)),
            6 => format!("{} / {}", read(g), read(g)),
            7 => format!("{} % ({} - 2)", read(g), read(g)),
            8 => format!("{} * 4_611_686_018_427_387_904", read(g)),
            9 => format!("{} - {}", g.below(9), read(g)),
            _ => format!("len(\"ab\") + {}", read(g)),
        };
        let cond = |g: &mut Gen| match g.below(if rich { 9 } else { 1 }) {
            0 => format!("{} > {}", read(g), g.below(5)),
            1 => format!(
                "{} <= {} && {} != {}",
                read(g),
                read(g),
                read(g),
                g.below(3)
            ),
            2 => format!("!({} < {}) || {} == 1", g.below(4), read(g), read(g)),
            3 => format!(
                "{} >= {} || !({} > 2 && {} < 4)",
                read(g),
                read(g),
                read(g),
                read(g)
            ),
            4 => format!("{} + 1 > {}", read(g), g.below(5)),
            5 => format!(
                "-{} <= {} || {} < {}",
                read(g),
                g.below(3),
                g.below(3),
                read(g)
            ),
            6 => format!(
                "{} % 3 >= {} && {} - 1 != {}",
                read(g),
                g.below(3),
                read(g),
                g.below(3)
            ),
            7 => format!("{} > {}", g.below(5), read(g)),
            _ => format!("{} == {}", read(g), read(g)),
        };
        let body = |g: &mut Gen, with_param: bool| {
            let mut b = String::new();
            for _ in 0..1 + g.below(3) {
                let own = &vars[d][g.below(vars[d].len() as u64) as usize];
                let stmt = match g.below(if rich { 11 } else { 7 }) {
                    0 => format!("{own} = {}", expr(g)),
                    7 => format!("let x = {}\n    x += {}\n    {own} = x", expr(g), expr(g)),
                    8 => format!("let ok = {}\n    if ok {{ {own} += 1 }}", cond(g)),
                    9 => format!(
                        "for j in {}..{} {{ let y = j * 2\n {own} += y }}",
                        g.below(2),
                        g.below(4)
                    ),
                    10 => format!("if {} {{ {own} = {} }}", cond(g), expr(g)),
                    1 => format!(
                        "{own} += {}",
                        if with_param { "p".to_string() } else { expr(g) }
                    ),
                    2 => format!("if {} {{ {own} -= 1 }} else {{ {own} += 1 }}", cond(g)),
                    3 => format!("for i in 0..{} {{ {own} += i }}", g.below(4)),
                    4 | 5 => {
                        let td = g.below(nd as u64) as usize;
                        let h = &handlers[td][g.below(handlers[td].len() as u64) as usize];
                        let after = if g.below(4) == 0 {
                            format!(" after {}", g.below(3))
                        } else {
                            String::new()
                        };
                        format!("send D{td}.{h}({}){after}", g.below(3))
                    }
                    _ => format!("if {} == {} {{ fail \"bad luck\" }}", read(g), g.below(6)),
                };
                b.push_str(&format!("    {stmt}\n"));
            }
            b
        };
        for h in &handlers[d] {
            let b = body(&mut g, true);
            src.push_str(&format!("  on {h}(p: Int) {{\n{b}  }}\n"));
        }
        for k in 0..g.below(3) {
            let cond = if rich && g.below(2) == 0 {
                cond(&mut g)
            } else {
                format!(
                    "{} {} {}",
                    read(&mut g),
                    g.pick(&["<", ">=", "==", "!="]),
                    g.below(6)
                )
            };
            let b = body(&mut g, false);
            src.push_str(&format!("  goal g{k}: {cond}\n    repair {{\n{b}    }}\n"));
        }
        if g.below(3) == 0 {
            src.push_str(&format!(
                "  invariant bounded: {} < 1_000_000\n",
                read(&mut g)
            ));
        }
        src.push_str("}\n");
    }
    src
}

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
    let state = rt.interp.state.iter().map(|v| v.to_string()).collect();
    (outcome, state, rt.run_hash(), rt.cycle)
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
