//! The differential test (issue 18): a random program, with a simulated
//! effect that fails now and then, run four ways through the real binary —
//! plainly, recorded as a trace and verified by replay, journaled, and
//! journaled but killed at a random cycle and resumed — must give the same
//! report, byte for byte, and the same exit code.

mod support;

use proptest::prelude::*;
use support::generate::program;
use support::lexum;

const FLAGS: [&str; 8] = [
    "--effects",
    "sim",
    "--seed",
    "3",
    "--fail-rate",
    "0.2",
    "--max-cycles",
    "3000",
];

/// An effectful domain appended to every generated program.
const EFFECTS: &str = "effect cloud.make(n: Int) -> Int
domain Fx retry 4 {
  state made: Int = 0
  state sum: Int = 0
  goal done: made >= 6
    repair {
      let id = cloud.make(made)
      sum = (sum + id) % 1000
      made += 1
    }
}
";

fn run(p: &str, extra: &[&str]) -> (Option<i32>, String) {
    let mut args = vec!["run", p];
    args.extend(FLAGS);
    args.extend(extra);
    let out = lexum(&args);
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

fn cycles_of(report: &str) -> u64 {
    report
        .lines()
        .find_map(|l| l.strip_prefix("cycles: "))
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

    #[test]
    fn run_trace_journal_and_resume_agree(seed in any::<u64>(), crash in any::<u64>()) {
        let dir = std::env::temp_dir().join(format!("lexum-diff-{}-{seed}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let src = format!("{}{EFFECTS}", program(seed));
        let p = dir.join("p.lxm");
        std::fs::write(&p, &src).unwrap();
        let p = p.to_str().unwrap();
        let plain = run(p, &[]);
        prop_assert!(matches!(plain.0, Some(0) | Some(2)) && plain.1.contains("run hash: "),
            "the plain run reports: {:?}\n{}", plain, src);
        prop_assert!(plain.1.contains("Fx.made = "), "{}", plain.1);

        let trace = dir.join("t.json");
        let traced = run(p, &["--trace", trace.to_str().unwrap()]);
        prop_assert_eq!(&traced, &plain, "--trace\n{}", src);
        let verify = lexum(&["replay", trace.to_str().unwrap(), "--verify"]);
        prop_assert_eq!(verify.status.code(), Some(0), "replay --verify: {}\n{}",
            String::from_utf8_lossy(&verify.stderr), src);

        let j1 = dir.join("j1");
        let journaled = run(p, &["--journal", j1.to_str().unwrap()]);
        prop_assert_eq!(&journaled, &plain, "--journal\n{}", src);

        let total = cycles_of(&plain.1).max(1);
        let at = (1 + crash % total).to_string();
        let j2 = dir.join("j2");
        let j2s = j2.to_str().unwrap();
        let _ = run(p, &["--journal", j2s, "--snapshot-every", "7", "--crash-after-cycle", &at]);
        let resumed = run(p, &["--journal", j2s, "--snapshot-every", "7"]);
        prop_assert_eq!(&resumed, &plain, "killed after cycle {} and resumed\n{}", at, src);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
