//! Golden diagnostic tests: every `tests/ui/*.lxm` is checked by the real
//! binary; its exit status and report must equal `tests/ui/*.out`.
//! Regenerate with `LEXUM_BLESS=1 cargo test --test ui`.

mod support;

use lexum::codes::Code;

#[test]
fn ui_reports_match_golden_files() {
    let dir = support::root().join("tests/ui");
    let mut failures = Vec::new();
    let cases = support::files(&dir, "lxm");
    assert!(cases.len() >= 15, "the ui cases are missing");
    for case in cases {
        let rel = format!("tests/ui/{}", case.file_name().unwrap().to_string_lossy());
        let out = support::lexum(&["check", "--color", "never", &rel]);
        let actual = format!(
            "# lexum check {rel}\nexit: {}\n{}",
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stderr)
        );
        if let Some(diff) = support::golden(&case.with_extension("out"), &actual) {
            failures.push(diff);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// The codes the checker can report each have at least three golden cases,
/// whose file names start with the code; and every code has an explanation.
#[test]
fn every_static_code_has_three_cases_and_an_explanation() {
    let dir = support::root().join("tests/ui");
    let outputs: Vec<(String, String)> = support::files(&dir, "out")
        .into_iter()
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().to_lowercase(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect();
    for code in [Code::E001, Code::E002, Code::E003, Code::E004, Code::W101] {
        let tag = code.as_str().to_lowercase();
        let cases: Vec<_> = outputs
            .iter()
            .filter(|(n, _)| n.starts_with(&tag))
            .collect();
        assert!(cases.len() >= 3, "{code} has {} golden cases", cases.len());
        for (name, text) in cases {
            assert!(
                text.contains(&format!("[{code}]")),
                "{name} does not report {code}"
            );
        }
    }
    for code in Code::ALL {
        let text = code.explain();
        assert!(
            text.starts_with(&format!("# {code}")),
            "{code}: explanation heading"
        );
        assert!(
            text.contains("Wrong") && text.contains("Right"),
            "{code}: wrong and right examples"
        );
    }
}
