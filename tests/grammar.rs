//! Keeps the grammar and the references true: every example, every snippet of
//! the language reference and of the code explanations parses and checks as
//! documented, and the EBNF names every keyword and operator the lexer knows.

mod support;

use lexum::check::check_source;
use lexum::codes::Code;
use lexum::syntax::token::{Kw, OPERATORS};

fn errors_of(src: &str) -> Vec<String> {
    check_source(src)
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| format!("{}: {}", d.code, d.message))
        .collect()
}

#[test]
fn every_example_checks_without_errors() {
    let examples = support::files(&support::root().join("examples"), "lxm");
    assert!(examples.len() >= 7, "the examples are missing");
    for ex in examples {
        let src = std::fs::read_to_string(&ex).unwrap();
        let errs = errors_of(&src);
        assert!(errs.is_empty(), "{}: {errs:?}", ex.display());
    }
}

#[test]
fn every_language_reference_snippet_checks() {
    let md = std::fs::read_to_string(support::root().join("docs/language.md")).unwrap();
    let snippets = support::lexum_snippets(&md);
    assert!(snippets.len() >= 5);
    for (i, s) in snippets.iter().enumerate() {
        let errs = errors_of(s);
        assert!(
            errs.is_empty(),
            "snippet {} of docs/language.md: {errs:?}\n{s}",
            i + 1
        );
    }
}

/// Each explanation's first example is wrong the way its code says (for the
/// codes the checker reports); its last example is right.
#[test]
fn code_explanations_show_wrong_and_right() {
    for code in Code::ALL {
        let snippets = support::lexum_snippets(code.explain());
        if code.as_str().starts_with(['L', 'T', 'J', 'S']) {
            continue; // shell commands, not programs
        }
        assert!(
            snippets.len() >= 2,
            "{code}: needs a wrong and a right example"
        );
        let wrong = &snippets[0];
        let right = snippets.last().unwrap();
        let reported: Vec<Code> = check_source(wrong)
            .diagnostics
            .iter()
            .map(|d| d.code)
            .collect();
        if matches!(
            code,
            Code::E001 | Code::E002 | Code::E003 | Code::E004 | Code::W101
        ) {
            assert!(
                reported.contains(&code),
                "{code}: wrong example reports {reported:?}"
            );
        } else {
            assert!(
                !reported.iter().any(|c| !c.is_warning()),
                "{code}: wrong example must check: {reported:?}"
            );
        }
        let right_codes: Vec<Code> = check_source(right)
            .diagnostics
            .iter()
            .map(|d| d.code)
            .collect();
        assert!(
            right_codes.is_empty(),
            "{code}: right example reports {right_codes:?}"
        );
    }
}

#[test]
fn the_ebnf_names_every_keyword_and_operator() {
    let ebnf = std::fs::read_to_string(support::root().join("grammar/lexum.ebnf")).unwrap();
    for (kw, _) in Kw::ALL {
        assert!(
            ebnf.contains(kw),
            "grammar/lexum.ebnf does not mention `{kw}`"
        );
    }
    for op in OPERATORS {
        assert!(
            ebnf.contains(&format!("\"{op}\"")),
            "grammar/lexum.ebnf does not mention \"{op}\""
        );
    }
}

#[test]
fn the_textmate_grammar_is_valid_json_for_lxm_files() {
    let text =
        std::fs::read_to_string(support::root().join("grammar/lexum.tmLanguage.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["scopeName"], "source.lexum");
    assert_eq!(v["fileTypes"][0], "lxm");
}
