//! `lexum explore`: golden reports of the real binary (`tests/explore/NAME.args`
//! holds the arguments after `explore`, `NAME.out` the expected output and
//! exit code; `LEXUM_BLESS=1` rewrites them), counterexample traces that
//! replay and open in the debugger, the same report whatever `--jobs` is,
//! and the property that deduplication loses no ending: on generated
//! programs, the endings found equal those of every combination of choices
//! run as a plain run.

// Values cache their content hash inside; it never changes what they
// compare or hash as.
#![allow(clippy::mutable_key_type)]

mod support;

use std::collections::{BTreeSet, VecDeque};

use lexum::explore::{self, Arrival, Spec};
use lexum::ir::{self, Program};
use lexum::runtime::{Options, Outcome, Runtime};
use lexum::{EffectError, Effects, Value};
use proptest::prelude::*;

#[test]
fn golden_reports() {
    let dir = support::root().join("tests/explore");
    let mut failures = Vec::new();
    for args_file in support::files(&dir, "args") {
        let line = std::fs::read_to_string(&args_file).unwrap();
        let mut args = vec!["explore"];
        args.extend(line.split_whitespace());
        let out = support::lexum(&args);
        let actual = format!(
            "{}{}exit: {}\n",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            out.status.code().unwrap_or(-1)
        );
        if let Some(m) = support::golden(&args_file.with_extension("out"), &actual) {
            failures.push(m);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("lexum-explore-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Every counterexample written with `--out` replays with `--verify` and
/// ends as the exploration said; the debugger opens it at its ending.
#[test]
fn counterexamples_replay_and_open_in_the_debugger() {
    let dir = temp_dir("out");
    let cases: [(&[&str], &str, &str); 3] = [
        (&["examples/provisioner.lxm"], "E007", "6 cycles"),
        (
            &[
                "examples/deploy_order.lxm",
                "--inputs",
                "examples/deploy_order.inputs.jsonl",
            ],
            "E007",
            "1 cycle",
        ),
        (&["examples/oscillation.lxm"], "E005", "4 cycles"),
    ];
    for (i, (args, code, cycles)) in cases.iter().enumerate() {
        let out_dir = dir.join(i.to_string());
        let out_str = out_dir.to_str().unwrap();
        let mut all = vec!["explore"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--out", out_str]);
        let out = support::lexum(&all);
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(2), "{text}");
        assert!(
            text.contains(&format!("{code} is reachable in {cycles}")),
            "{text}"
        );
        let trace = out_dir.join(format!("{code}.trace"));
        let trace_str = trace.to_str().unwrap();
        assert!(text.contains(trace_str), "{text}");
        let verify = support::lexum(&["replay", trace_str, "--verify"]);
        assert!(
            verify.status.success(),
            "{}",
            String::from_utf8_lossy(&verify.stderr)
        );
        let n: usize = cycles.split(' ').next().unwrap().parse().unwrap();
        let loaded = lexum::trace::load::load(&std::fs::read(&trace).unwrap()).unwrap();
        assert_eq!(loaded.trace.cycles.len(), n);
        assert_eq!(loaded.trace.result.code.as_deref(), Some(*code));
    }
    // The debugger opens the first one at its ending.
    let trace = dir.join("0/E007.trace");
    let mut pty = support::pty::Pty::lexum(&["debug", trace.to_str().unwrap(), "--at", "end"], &[]);
    pty.wait("the debugger at the ending", |t| t.contains("cycle 6/6"));
    pty.send("q");
    assert!(pty.exit(), "lexum debug exits 0");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The report is the same byte for byte whatever `--jobs` is (waves large
/// enough to be split among threads: four values per call).
#[test]
fn the_report_does_not_depend_on_jobs() {
    let dir = temp_dir("jobs");
    let mut reports = Vec::new();
    for jobs in ["1", "2", "3"] {
        let out_dir = dir.join(jobs);
        let out = support::lexum(&[
            "explore",
            "examples/provisioner.lxm",
            "--effect-values",
            "cloud.create_node=1,2,3,4",
            "--max-failures",
            "7",
            "--jobs",
            jobs,
            "--out",
            out_dir.to_str().unwrap(),
        ]);
        assert_eq!(out.status.code(), Some(2));
        let text = String::from_utf8_lossy(&out.stdout).replace(out_dir.to_str().unwrap(), "OUT");
        let trace = std::fs::read(out_dir.join("E007.trace")).unwrap();
        reports.push((text, trace));
    }
    assert!(reports[0].0.contains("configurations: "));
    let explored: u64 = reports[0]
        .0
        .lines()
        .nth(1)
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert!(explored > 1000, "big enough to be split: {explored}");
    assert_eq!(reports[0], reports[1]);
    assert_eq!(reports[0], reports[2]);
    let _ = std::fs::remove_dir_all(&dir);
}

// ---- the property: exploration loses no ending -------------------------

/// A small program with a Bool effect and an Int effect, goals whose
/// repairs call them, a handler, and sometimes a conflicting goal.
fn generated(seed: u64) -> String {
    let mut g = support::generate::Gen(seed | 1);
    let retry = g.below(2);
    let target = 1 + g.below(2);
    let bodies = [
        "if svc.ok(x) { x += 1 } else { y += 1 }",
        "x += svc.pick()",
        "let v = svc.pick()\n      assert v < 2, \"too big\"\n      x += v + 1",
        "if svc.ok(y) { x += 2 } else { fail \"refused\" }",
        "x += 1\n      send A.bump(1)",
    ];
    let r = g.below(bodies.len() as u64) as usize;
    let repair = bodies[r];
    let h = g.below(3) as usize;
    let handler = ["y += d", "if svc.ok(d) { x += d }", "x -= d"][h];
    // A goal that fights `g`, only where `bump` lowers x and `g`'s repair
    // calls no effect: the runtime proves the loop (a call starts a new
    // epoch: its result could differ), so every plain run is finite.
    let conflict = if h == 2 && r == 4 && g.below(2) == 0 {
        format!(
            "\ndomain B priority {} {{\n  goal low: A.x <= {}\n    repair {{ send A.bump(1) }}\n}}\n",
            ["high", "low"][g.below(2) as usize],
            g.below(2)
        )
    } else {
        String::new()
    };
    format!(
        "effect svc.ok(n: Int) -> Bool\neffect svc.pick() -> Int\n\n\
         domain A priority normal retry {retry} {{\n  state x: Int = 0\n  state y: Int = 0\n\n  \
         goal g: x >= {target} || y >= 3\n    repair {{\n      {repair}\n    }}\n\n  \
         on bump(d: Int) {{ {handler} }}\n}}\n{conflict}"
    )
}

/// Effect outcomes in call order; past the list, the first outcome, with
/// the number of outcomes noted (an odometer over every combination).
struct Odometer {
    plan: VecDeque<usize>,
    seen: std::rc::Rc<std::cell::RefCell<Vec<(usize, usize)>>>,
    picks: Vec<Value>,
}

impl Effects for Odometer {
    fn call(&mut self, call: u64, effect: &ir::Effect, _: &[Value]) -> Result<Value, EffectError> {
        let values: Vec<Value> = if effect.name == "svc.ok" {
            vec![Value::Bool(true), Value::Bool(false)]
        } else {
            self.picks.clone()
        };
        let n = values.len() + 1; // and failure
        let k = self.plan.pop_front().unwrap_or(0);
        self.seen.borrow_mut().push((k, n));
        match values.get(k) {
            Some(v) => Ok(v.clone()),
            None => Err(EffectError::Simulated {
                effect: effect.name.clone(),
                call,
            }),
        }
    }
}

/// A plain run's ending and final state, with loops (proven or run to the
/// budget) as one class, without a state.
fn class(o: &Outcome, state: &[Value]) -> (String, Vec<Value>) {
    match o {
        Outcome::Converged => ("converged".into(), state.to_vec()),
        Outcome::Oscillation { .. } | Outcome::Budget { .. } => ("loop".into(), Vec::new()),
        o => (
            o.code().map(|c| c.to_string()).unwrap_or_default(),
            state.to_vec(),
        ),
    }
}

type Endings = BTreeSet<(String, Vec<Value>)>;

/// Every schedule of the inputs: each arrival cycle in its window, and each
/// order of equal cycles, as `lexum run --input` delivers them.
fn schedules(inputs: &[Arrival]) -> Vec<Vec<(u64, ir::HandlerId, lexum::runtime::queue::Args)>> {
    let mut out = Vec::new();
    let n = inputs.len();
    let perms: Vec<Vec<usize>> = if n == 2 {
        vec![vec![0, 1], vec![1, 0]]
    } else {
        vec![(0..n).collect()]
    };
    for perm in perms {
        let mut cycles = vec![Vec::new()];
        for &i in &perm {
            let a = &inputs[i];
            cycles = cycles
                .into_iter()
                .flat_map(|c: Vec<u64>| {
                    (a.after..=a.until).map(move |t| {
                        let mut c = c.clone();
                        c.push(t);
                        c
                    })
                })
                .collect();
        }
        for c in cycles {
            // Delivered in list order: keep the permutation's order only
            // where it agrees with the cycles.
            if c.windows(2).any(|w| w[0] > w[1]) {
                continue;
            }
            out.push(
                perm.iter()
                    .zip(&c)
                    .map(|(&i, &t)| (t, inputs[i].handler, inputs[i].args.clone()))
                    .collect(),
            );
        }
    }
    out
}

/// The endings of every combination of choices, each run as a plain run.
fn enumerate(program: &Program, inputs: &[Arrival], picks: &[Value]) -> Endings {
    let mut endings = BTreeSet::new();
    for schedule in schedules(inputs) {
        let mut plan: Vec<usize> = Vec::new();
        loop {
            let seen = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
            let fx = Odometer {
                plan: plan.iter().copied().collect(),
                seen: seen.clone(),
                picks: picks.to_vec(),
            };
            let options = Options {
                max_cycles: 400,
                ..Options::default()
            };
            let mut rt = Runtime::new(program, options, Box::new(fx));
            let o = rt.run_with_inputs(&schedule).clone();
            endings.insert(class(&o, rt.state()));
            // The next combination: advance the last call with an outcome left.
            let seen = seen.borrow();
            let mut next: Vec<usize> = seen.iter().map(|(k, _)| *k).collect();
            let mut advanced = false;
            while let Some(k) = next.pop() {
                let n = seen[next.len()].1;
                if k + 1 < n {
                    next.push(k + 1);
                    advanced = true;
                    break;
                }
            }
            if !advanced {
                break;
            }
            plan = next;
        }
    }
    endings
}

fn explored(program: &Program, inputs: &[Arrival], picks: &[Value], jobs: usize) -> Endings {
    let mut values = std::collections::BTreeMap::new();
    values.insert("svc.pick".to_string(), picks.to_vec());
    let spec = Spec {
        inputs: inputs.to_vec(),
        effect_values: values,
        jobs,
        max_states: Some(20_000),
        keep_finals: true,
        ..Spec::default()
    };
    let report = explore::explore(program, &spec, &mut |_, _| {});
    assert!(
        report.bound.is_none(),
        "a generated program's paths are finite"
    );
    report
        .finals
        .into_iter()
        .map(|(k, state)| match k.as_str() {
            "E005" => ("loop".to_string(), state),
            _ => (k, state),
        })
        .collect()
}

/// One case of the property: the endings explored equal those enumerated.
fn same_endings(
    seed: u64,
    n_inputs: usize,
    windows: &[(u64, u64)],
    args: &[i64],
    two_picks: bool,
) -> Result<(), String> {
    let src = generated(seed);
    let checked = lexum::check_source(&src);
    let program = checked
        .program
        .unwrap_or_else(|| panic!("{src}\n{:?}", checked.diagnostics));
    let bump = program
        .handlers
        .iter()
        .position(|h| h.qualified == "A.bump")
        .unwrap() as ir::HandlerId;
    let inputs: Vec<Arrival> = (0..n_inputs)
        .map(|i| Arrival {
            handler: bump,
            args: std::iter::once(Value::Int(args[i])).collect(),
            after: windows[i].0,
            until: windows[i].0 + windows[i].1,
        })
        .collect();
    // Never 0: a repair adding 0 would change nothing and run again, a
    // loop through effect calls that plain runs cannot prove (each call
    // starts a new epoch) and that the enumeration would follow forever.
    let picks: Vec<Value> = if two_picks {
        vec![Value::Int(1), Value::Int(2)]
    } else {
        vec![Value::Int(1)]
    };
    let want = enumerate(&program, &inputs, &picks);
    let got = explored(&program, &inputs, &picks, 1 + (seed % 2) as usize);
    if got == want {
        Ok(())
    } else {
        Err(format!("explored {got:?}\nenumerated {want:?}\n{src}"))
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]
    #[test]
    fn exploration_finds_exactly_the_endings_of_every_combination(
        seed in 1u64..u64::MAX,
        n_inputs in 0usize..3,
        windows in proptest::collection::vec((0u64..2, 0u64..3), 2),
        args in proptest::collection::vec(-1i64..3, 2),
        two_picks in any::<bool>(),
    ) {
        let r = same_endings(seed, n_inputs, &windows, &args, two_picks);
        prop_assert!(r.is_ok(), "{}", r.unwrap_err());
    }
}

/// Found by the property in CI: a loop whose edges lie on two paths (one
/// meets a configuration the other explored) was closed by neither, and
/// the exploration reported no ending at all.
#[test]
fn a_loop_across_two_paths_is_found() {
    same_endings(2318604028585250820, 2, &[(1, 2), (0, 0)], &[0, 1], false).unwrap();
}

/// `lexum run` delivers each input at one cycle: a window is refused.
#[test]
fn run_refuses_an_input_window() {
    let out = support::lexum(&[
        "run",
        "examples/deploy_order.lxm",
        "--input",
        "examples/deploy_order.inputs.jsonl",
    ]);
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("L002") && err.contains("`until`"), "{err}");
}

/// On a terminal, a progress line (configurations per second) is shown on
/// standard error while exploring, and erased before the report.
#[test]
fn a_terminal_sees_a_progress_line() {
    let mut pty = support::pty::Pty::lexum(
        &[
            "explore",
            "examples/provisioner.lxm",
            "--effect-values",
            "cloud.create_node=1,2,3",
            "--max-failures",
            "3",
        ],
        &[],
    );
    let screen = pty.wait("the report", |t| t.contains("result: "));
    assert!(pty.exit(), "complete and clean: exit 0");
    let raw = String::from_utf8_lossy(&pty.bytes.lock().unwrap()).to_string();
    assert!(
        raw.contains("configurations, depth") && raw.contains("per second"),
        "{raw}"
    );
    assert!(!screen.contains("per second"), "erased: {screen}");
}
