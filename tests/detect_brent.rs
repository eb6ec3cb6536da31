//! Oscillation detection past the detector's table (issue 17): loops longer
//! than an epoch's first 4096 repair cycles are found by Brent's method,
//! and the run is rewound to where the loop closed. Every answer must be
//! the one the table gives: the report, the trace byte for byte, the run
//! hash, with or without a cycle budget, and `replay --verify` in both.

mod support;

use lexum::check::check_source;
use lexum::runtime::{sim, Options, Runtime};
use support::{files, root};

/// A table large enough that these programs never leave it.
const WHOLE_TABLE: &str = "100000000";

fn programs() -> Vec<std::path::PathBuf> {
    let p = files(&root().join("tests/brent"), "lxm");
    assert_eq!(p.len(), 3, "the three programs of tests/brent");
    p
}

fn lexum_with(table: Option<&str>, args: &[&str]) -> std::process::Output {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_lexum"));
    c.args(args).current_dir(root()).env("NO_COLOR", "1");
    match table {
        Some(t) => c.env("LEXUM_DETECT_TABLE", t),
        None => c.env_remove("LEXUM_DETECT_TABLE"),
    };
    c.output().expect("the lexum binary runs")
}

/// Through the library: the default detector rewinds at least once, the
/// whole table never does, and both end the same.
#[test]
fn brent_and_the_table_give_the_same_run() {
    for path in programs() {
        let src = std::fs::read_to_string(&path).unwrap();
        let program = check_source(&src).program.expect("checks");
        let run = |table_limit: u64| {
            let options = Options {
                table_limit,
                ..Options::default()
            };
            let mut rt = Runtime::new(&program, options, Box::new(sim::Unbound));
            let outcome = rt.run().clone();
            let state: Vec<String> = rt.state().iter().map(|v| v.to_string()).collect();
            (
                format!("{outcome:?}"),
                state,
                rt.cycle(),
                rt.run_hash(),
                rt.rewinds,
            )
        };
        let brent = run(4096);
        let table = run(u64::MAX);
        assert!(
            brent.4 >= 1,
            "{}: Brent's phase found the loop",
            path.display()
        );
        assert_eq!(table.4, 0);
        assert_eq!(
            (&brent.0, &brent.1, brent.2, &brent.3),
            (&table.0, &table.1, table.2, &table.3),
            "{}",
            path.display()
        );
    }
}

/// Through the binary, with budgets before, at and after where each loop
/// closes: the same report and exit code, the same trace bytes, and each
/// trace verifies with either detector.
#[test]
fn reports_and_traces_do_not_change() {
    let dir = std::env::temp_dir().join(format!("lexum-brent-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for path in programs() {
        let p = path.to_str().unwrap();
        for budget in ["5000", "6000", "7000", "8000", "1000000"] {
            let a = dir.join("brent.json");
            let b = dir.join("table.json");
            let args = |t: &std::path::Path| {
                vec![
                    "run".to_string(),
                    "--max-cycles".into(),
                    budget.into(),
                    "--trace".into(),
                    t.to_str().unwrap().to_string(),
                    p.to_string(),
                ]
            };
            let aa = args(&a);
            let ba = args(&b);
            let brent = lexum_with(None, &aa.iter().map(|s| s.as_str()).collect::<Vec<_>>());
            let table = lexum_with(
                Some(WHOLE_TABLE),
                &ba.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
            );
            let what = format!("{p} --max-cycles {budget}");
            assert_eq!(brent.status.code(), table.status.code(), "{what}");
            assert_eq!(
                String::from_utf8_lossy(&brent.stdout),
                String::from_utf8_lossy(&table.stdout),
                "{what}"
            );
            assert_eq!(brent.stderr, table.stderr, "{what}");
            let (ta, tb) = (std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
            assert!(ta == tb, "{what}: the traces differ");
            for t in [None, Some(WHOLE_TABLE)] {
                let v = lexum_with(t, &["replay", a.to_str().unwrap(), "--verify"]);
                assert!(
                    v.status.success(),
                    "{what}: verify with table {t:?}: {}",
                    String::from_utf8_lossy(&v.stderr)
                );
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A budget reached in Brent's phase while no repair cycle will ever come
/// again (messages that send themselves forever): the look-ahead for a
/// loop gives up after a budget's worth of cycles without a repair, and the
/// run ends at its budget (it once looked ahead forever).
#[test]
fn the_look_ahead_at_the_budget_ends() {
    let src = "domain P {\n  state n: Int = 0\n  goal g: n >= 5000\n    repair {\n      n += 1\n      if n == 5000 { send Q.ping(0) }\n    }\n}\n\ndomain Q {\n  on ping(x: Int) { send Q.ping(x) }\n}\n";
    let program = check_source(src).program.expect("checks");
    let options = Options {
        max_cycles: 20_000,
        ..Options::default()
    };
    let mut rt = Runtime::new(&program, options, Box::new(sim::Unbound));
    let outcome = rt.run().clone();
    assert!(
        matches!(outcome, lexum::Outcome::Budget { .. }),
        "{outcome:?}"
    );
    assert_eq!(rt.cycle(), 20_000);
}
