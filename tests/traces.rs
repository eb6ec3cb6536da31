//! The recorded sample traces in `traces/` replay exactly (a change in the
//! runtime's behaviour fails here, naming the cycle), traces are
//! byte-identical run to run, and every way a trace can be bad is reported
//! with its code, never a panic.

mod support;

use lexum::codes::Code;
use lexum::trace::load::load;
use lexum::trace::replay;
use proptest::prelude::*;
use support::lexum;

fn sample(name: &str) -> Vec<u8> {
    std::fs::read(support::root().join("traces").join(name)).unwrap()
}

fn code_of(bytes: &[u8]) -> Option<Code> {
    match load(bytes) {
        Err(e) => Some(e.code),
        Ok(l) => replay::verify(&l).err().map(|e| e.code),
    }
}

#[test]
fn every_sample_trace_replays_exactly() {
    let traces = support::files(&support::root().join("traces"), "json");
    assert!(traces.len() >= 5, "the sample traces are missing");
    for t in traces {
        let loaded =
            load(&std::fs::read(&t).unwrap()).unwrap_or_else(|e| panic!("{}: {e}", t.display()));
        if let Err(e) = replay::verify(&loaded) {
            panic!(
                "{} no longer replays: {e}\n(if the change is deliberate, run traces/record.sh)",
                t.display()
            );
        }
    }
}

#[test]
fn the_samples_cover_convergence_yields_e005_and_e007() {
    let status = |n: &str| load(&sample(n)).unwrap().trace.result;
    assert_eq!(status("three_domain_sync.json").status, "converged");
    let pc = status("priority_conflict.json");
    assert_eq!((pc.status.as_str(), pc.yields.len()), ("converged", 1));
    let e5 = status("autoscaler_e005.json");
    assert_eq!(e5.code.as_deref(), Some("E005"));
    let lp = e5.loop_.unwrap();
    assert_eq!((lp.start, lp.period), (3, 4));
    let e7 = load(&sample("overdraft_e007.json")).unwrap();
    assert_eq!(e7.trace.result.code.as_deref(), Some("E007"));
    assert!(
        e7.trace.cycles.iter().any(|c| c.retry > 0),
        "retries are recorded"
    );
}

#[test]
fn replay_cli_verifies_and_shows_state_and_causes() {
    let out = lexum(&["replay", "traces/priority_conflict.json", "--verify"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("ok: 8 cycles replayed"));
    let at = lexum(&["replay", "traces/priority_conflict.json", "--at", "5"]);
    let text = String::from_utf8_lossy(&at.stdout);
    assert!(text.contains("Cluster.nodes = 5\n"), "{text}");
    assert!(
        text.contains("Cluster.scale(-1) (for CostSaver.cheap)"),
        "{text}"
    );
    let why = lexum(&["replay", "traces/priority_conflict.json", "--why", "8"]);
    let text = String::from_utf8_lossy(&why.stdout);
    assert!(
        text.contains("because cycle 6 wrote Cluster.nodes = 4"),
        "{text}"
    );
    assert!(text.trim_end().ends_with("the initial state"), "{text}");
    let json = lexum(&[
        "replay",
        "traces/autoscaler_e005.json",
        "--at",
        "end",
        "--format",
        "json",
    ]);
    let doc: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(doc["cycle"], 6);
}

#[test]
fn identical_runs_write_identical_traces() {
    let dir = std::env::temp_dir().join(format!("lexum-traces-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let a = dir.join("a.json");
    let b = dir.join("b.json");
    for p in [&a, &b] {
        lexum(&[
            "run",
            "--effects",
            "sim",
            "--seed",
            "3",
            "examples/provisioner.lxm",
            "--trace",
            p.to_str().unwrap(),
        ]);
    }
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn bad_traces_get_their_codes() {
    let good = sample("priority_conflict.json");
    let text = String::from_utf8(good.clone()).unwrap();
    assert_eq!(code_of(b"this is not json"), Some(Code::T001));
    assert_eq!(
        code_of(&good[..good.len() / 2]),
        Some(Code::T001),
        "truncated"
    );
    assert_eq!(
        code_of(&text.replace("\"version\":1", "\"version\":99").into_bytes()),
        Some(Code::T002)
    );
    assert_eq!(
        code_of(b"{\"format\": \"something-else\", \"version\": 1}"),
        Some(Code::T002)
    );
    // A cycle edited by hand: the replay names it.
    let edited = text.replacen("\"w\":[[0,3,4]]", "\"w\":[[0,3,40]]", 1);
    assert_ne!(edited, text);
    let loaded = load(edited.as_bytes()).unwrap();
    let err = replay::verify(&loaded).unwrap_err();
    assert_eq!(err.code, Code::T004);
    assert!(
        err.message.contains("diverges at cycle 2: field `writes`"),
        "{}",
        err.message
    );
    // A tampered hash.
    let hash = load(&good).unwrap().trace.result.run_hash;
    let tampered = text.replace(&hash, &"0".repeat(64));
    let err = replay::verify(&load(tampered.as_bytes()).unwrap()).unwrap_err();
    assert_eq!(err.code, Code::T005);
    // A program edited without its hash, then with it but no longer checking.
    let src_edit = text.replacen("nodes >= 5", "nodes >= 6", 1);
    assert_eq!(code_of(src_edit.as_bytes()), Some(Code::T003));
    let mut t: serde_json::Value = serde_json::from_slice(&good).unwrap();
    let bad_src = "domain D { state x: Int = \"no\" }".to_string();
    t["program"]["hash"] = lexum::trace::sha256_hex(bad_src.as_bytes()).into();
    t["program"]["source"] = bad_src.into();
    assert_eq!(code_of(&serde_json::to_vec(&t).unwrap()), Some(Code::T003));
    // Cycles out of range.
    let l = load(&good).unwrap();
    assert_eq!(
        replay::state_at(&l, 999).err().map(|e| e.code),
        Some(Code::T006)
    );
    assert_eq!(replay::why(&l, 0).err().map(|e| e.code), Some(Code::T006));
}

#[test]
fn replay_cli_exit_codes() {
    assert_eq!(
        lexum(&["replay", "traces/no_such.json"]).status.code(),
        Some(3)
    );
    let dir = std::env::temp_dir().join(format!("lexum-badtrace-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("bad.json");
    std::fs::write(&p, b"{").unwrap();
    let out = lexum(&["replay", p.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("error[T001]: the trace is truncated"));
    let _ = std::fs::remove_dir_all(dir);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, .. ProptestConfig::default() })]

    /// Mutated traces are rejected or replayed, never a panic.
    #[test]
    fn mutated_traces_never_panic(at in any::<usize>(), byte in any::<u8>(), cut in any::<bool>()) {
        let mut t = sample("overdraft_e007.json");
        let i = at % t.len();
        if cut { t.truncate(i); } else { t[i] = byte; }
        let _ = code_of(&t);
    }
}

/// The JSON Schema in docs/ describes every field the traces actually carry.
#[test]
fn the_schema_names_every_field_of_the_samples() {
    let schema: serde_json::Value = serde_json::from_slice(
        &std::fs::read(support::root().join("docs/trace.schema.json")).unwrap(),
    )
    .unwrap();
    let top = schema["properties"].as_object().unwrap();
    let cycle = schema["$defs"]["cycle"]["properties"].as_object().unwrap();
    for t in support::files(&support::root().join("traces"), "json") {
        let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&t).unwrap()).unwrap();
        for key in v.as_object().unwrap().keys() {
            assert!(
                top.contains_key(key),
                "{}: `{key}` is not in the schema",
                t.display()
            );
        }
        for c in v["cycles"].as_array().unwrap() {
            for key in c.as_object().unwrap().keys() {
                assert!(
                    cycle.contains_key(key),
                    "{}: cycle key `{key}` is not in the schema",
                    t.display()
                );
            }
        }
    }
}

/// Every recorded fact is checked (T005) and every ill-typed value refused
/// (T001), not only the cycles and the run hash (issue 18).
#[test]
fn tampered_facts_are_refused() {
    let edit = |name: &str, f: &dyn Fn(&mut serde_json::Value)| {
        let mut t: serde_json::Value = serde_json::from_slice(&sample(name)).unwrap();
        f(&mut t);
        code_of(&serde_json::to_vec(&t).unwrap())
    };
    type Edit = Box<dyn Fn(&mut serde_json::Value)>;
    let cases: Vec<(&str, &str, Edit, Code)> = vec![
        (
            "priority_conflict.json",
            "result.cycles",
            Box::new(|t| t["result"]["cycles"] = 99.into()),
            Code::T005,
        ),
        (
            "priority_conflict.json",
            "result.time",
            Box::new(|t| t["result"]["time"] = 99.into()),
            Code::T005,
        ),
        (
            "priority_conflict.json",
            "result.code",
            Box::new(|t| t["result"]["code"] = "E005".into()),
            Code::T005,
        ),
        (
            "priority_conflict.json",
            "names",
            Box::new(|t| t["names"]["vars"][0] = "Cluster.other".into()),
            Code::T005,
        ),
        (
            "provisioner_sim.json",
            "effect arguments",
            Box::new(|t| t["effects"][0]["args"] = serde_json::json!([{"s": "x9"}])),
            Code::T005,
        ),
        (
            "provisioner_sim.json",
            "an extra effect record",
            Box::new(|t| {
                let mut extra = t["effects"][0].clone();
                extra["call"] = 999.into();
                t["effects"].as_array_mut().unwrap().push(extra);
            }),
            Code::T005,
        ),
        (
            "provisioner_sim.json",
            "a result for another effect",
            Box::new(|t| t["effects"][0]["effect"] = "cloud.other".into()),
            Code::T004,
        ),
        (
            "priority_conflict.json",
            "an object where an Int belongs",
            Box::new(|t| t["initial"][0] = serde_json::json!({"x": 1})),
            Code::T001,
        ),
        (
            "priority_conflict.json",
            "a string where an Int belongs",
            Box::new(|t| t["initial"][0] = serde_json::json!({"s": "3"})),
            Code::T001,
        ),
        (
            "priority_conflict.json",
            "a missing initial value",
            Box::new(|t| {
                t["initial"].as_array_mut().unwrap().pop();
            }),
            Code::T001,
        ),
    ];
    for (name, what, f, want) in cases {
        assert_eq!(edit(name, &*f), Some(want), "{what}");
    }
}
