//! End-to-end tests of the `lexum` binary's check and explain commands:
//! exit codes, JSON output, file errors, determinism.

mod support;

use support::lexum;

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn every_example_checks_and_exits_zero() {
    let mut args = vec!["check".to_string()];
    for p in support::files(&support::root().join("examples"), "lxm") {
        args.push(p.to_string_lossy().into_owned());
    }
    let n = args.len() - 1;
    let args: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
    let out = lexum(&args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!("ok: {n} files checked, 0 errors, 1 warning")),
        "{}",
        stderr(&out)
    );
}

#[test]
fn warnings_fail_only_when_denied() {
    let out = lexum(&["check", "examples/autoscaler.lxm"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stderr(&out).contains("[W101]"));
    let out = lexum(&["check", "--deny-warnings", "examples/autoscaler.lxm"]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn json_format_carries_code_position_and_span() {
    let out = lexum(&[
        "check",
        "--format",
        "json",
        "tests/ui/e004_direct_write.lxm",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    assert_eq!(doc["errors"], 1);
    assert_eq!(doc["ok"], false);
    let d = &doc["diagnostics"][0];
    assert_eq!(d["code"], "E004");
    assert_eq!(d["severity"], "error");
    assert_eq!(d["file"], "tests/ui/e004_direct_write.lxm");
    assert_eq!(d["line"], 8);
    assert_eq!(d["column"], 14);
    let src =
        std::fs::read_to_string(support::root().join("tests/ui/e004_direct_write.lxm")).unwrap();
    let (a, b) = (
        d["span"]["start"].as_u64().unwrap() as usize,
        d["span"]["end"].as_u64().unwrap() as usize,
    );
    assert_eq!(&src[a..b], "Cluster.nodes");
    assert!(d["help"].as_str().unwrap().contains("send"));
}

#[test]
fn unreadable_files_are_usage_errors() {
    let out = lexum(&["check", "examples/no_such_file.lxm"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(stderr(&out).contains("error[L001]: cannot read `examples/no_such_file.lxm`"));
    let out = lexum(&["check", "examples"]);
    assert_eq!(out.status.code(), Some(3));
}

#[test]
fn invalid_utf8_is_a_syntax_error_with_its_offset() {
    let dir = std::env::temp_dir().join(format!("lexum-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bad.lxm");
    std::fs::write(&path, b"domain D {\n  state s: Str = \"\xff\xfe\"\n}\n").unwrap();
    let out = lexum(&["check", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("[E001] Error: the file is not valid UTF-8"),
        "{err}"
    );
    assert!(err.contains("invalid byte at offset 29"), "{err}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn explain_prints_every_code_and_rejects_unknown_ones() {
    for code in lexum::codes::Code::ALL {
        let out = lexum(&["explain", code.as_str()]);
        assert_eq!(out.status.code(), Some(0));
        assert_eq!(String::from_utf8_lossy(&out.stdout), code.explain());
    }
    let lower = lexum(&["explain", "e005"]);
    assert!(String::from_utf8_lossy(&lower.stdout).starts_with("# E005"));
    let list = lexum(&["explain"]);
    assert_eq!(
        String::from_utf8_lossy(&list.stdout).lines().count(),
        lexum::codes::Code::ALL.len()
    );
    let out = lexum(&["explain", "E999"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(stderr(&out).contains("L002"));
}

#[test]
fn bad_flags_are_usage_errors() {
    assert_eq!(
        lexum(&["check", "--format", "yaml", "examples/banking.lxm"])
            .status
            .code(),
        Some(3)
    );
    assert_eq!(lexum(&["frobnicate"]).status.code(), Some(3));
    assert_eq!(lexum(&["check"]).status.code(), Some(3));
    assert_eq!(lexum(&["--help"]).status.code(), Some(0));
    for rate in ["", ".", " ", "1.5", "-0.1", "0.1234567", "x"] {
        let out = lexum(&[
            "run",
            "examples/banking.lxm",
            "--effects",
            "sim",
            "--fail-rate",
            rate,
        ]);
        assert_eq!(out.status.code(), Some(3), "--fail-rate {rate:?}");
        assert!(stderr(&out).contains("error[L002]"), "--fail-rate {rate:?}");
    }
}

#[test]
fn reports_are_byte_identical_run_to_run() {
    let a = lexum(&[
        "check",
        "--format",
        "json",
        "tests/ui/e002_types.lxm",
        "examples/autoscaler.lxm",
    ]);
    let b = lexum(&[
        "check",
        "--format",
        "json",
        "tests/ui/e002_types.lxm",
        "examples/autoscaler.lxm",
    ]);
    assert_eq!(a.stdout, b.stdout);
    let a = lexum(&["check", "tests/ui/e001_several_errors.lxm"]);
    let b = lexum(&["check", "tests/ui/e001_several_errors.lxm"]);
    assert_eq!(a.stderr, b.stderr);
}
