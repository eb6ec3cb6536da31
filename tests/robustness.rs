//! No input may panic or hang the front end. Hand-picked hostile inputs, then
//! property tests over random and mutated programs.

mod support;

use lexum::check::check_source;
use lexum::diag::render::{render_text, to_json};
use proptest::prelude::*;

/// Checks `src`, renders every report both ways, and returns the codes seen.
/// A program is produced exactly when there is no error.
fn check_and_render(src: &str) -> Vec<String> {
    let checked = check_source(src);
    let has_error = checked.diagnostics.iter().any(|d| d.is_error());
    assert_eq!(
        checked.program.is_some(),
        !has_error,
        "a program iff no error"
    );
    let _ = render_text(&checked.diagnostics, "input.lxm", src, false);
    let _ = to_json(&checked.diagnostics, "input.lxm", src);
    checked
        .diagnostics
        .iter()
        .map(|d| d.code.to_string())
        .collect()
}

fn assert_rejected(src: &str, code: &str) {
    let codes = check_and_render(src);
    assert!(
        codes.iter().any(|c| c == code),
        "expected {code}, got {codes:?}"
    );
}

fn wrap(expr: &str) -> String {
    format!("domain D {{ state x: Int = 0\n on f() {{ let y = {expr} }} }}")
}

#[test]
fn empty_and_blank_files_are_empty_programs() {
    assert!(check_and_render("").is_empty());
    assert!(check_and_render("  \n\t// only a comment\n/* and another */").is_empty());
}

#[test]
fn binary_junk_is_reported_not_fatal() {
    let junk: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let text = String::from_utf8_lossy(&junk);
    assert_rejected(&text, "E001");
    assert_rejected("\0\0\0\u{1b}[2J\u{7f}", "E001");
}

#[test]
fn deep_nesting_is_an_error_with_a_span() {
    let n = 10_000;
    assert_rejected(
        &wrap(&format!("{}1{}", "(".repeat(n), ")".repeat(n))),
        "E001",
    );
    assert_rejected(
        &wrap(&format!("{}1{}", "[".repeat(n), "]".repeat(n))),
        "E001",
    );
    assert_rejected(&wrap(&format!("{}x", "-".repeat(n))), "E001");
    assert_rejected(&wrap(&format!("{}true", "!".repeat(n))), "E001");
    assert_rejected(&"{".repeat(n), "E001");
}

#[test]
fn long_operator_chains_are_bounded() {
    let chain = vec!["1"; 100_000].join(" + ");
    assert_rejected(&wrap(&chain), "E001");
    let short = vec!["1"; 100].join(" + ");
    assert!(check_and_render(&wrap(&short)).is_empty());
}

#[test]
fn a_hundred_thousand_lines_check() {
    let mut src = String::new();
    for d in 0..5_000 {
        src.push_str(&format!(
            "domain D{d} {{\n  state x: Int = {d}\n  state y: Int = 0\n  invariant pos: x >= 0\n  goal g: y >= x\n    repair {{\n      y += 1\n    }}\n  on set(v: Int) {{\n    x = v\n  }}\n  on poke() {{\n    send D{}.set(x + 1)\n  }}\n  on noop() {{\n  }}\n  on more() {{\n    y -= 1\n  }}\n}}\n",
            (d + 1) % 5_000
        ));
    }
    assert!(src.lines().count() >= 100_000);
    assert!(check_and_render(&src).is_empty());
}

#[test]
fn huge_literals_unterminated_tokens_and_duplicates() {
    assert_rejected(
        "domain D { state x: Int = 123456789012345678901234567890 }",
        "E002",
    );
    assert_rejected("domain D { retry 99999999999 }", "E001");
    assert_rejected("domain D retry 99999999999 { }", "E002");
    assert_rejected("domain D { state s: Str = \"never closed }", "E001");
    assert_rejected("domain D { } /* never closed", "E001");
    assert_rejected("domain D { state x: Int = 1 state x: Int = 2 }", "E002");
    assert_rejected("domain D { } domain D { }", "E002");
    assert_rejected("domain D { state s: Str = \"bad \\q escape\" }", "E001");
}

const ALPHABET: &[&str] = &[
    "domain",
    "D",
    "E",
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    "state",
    "x",
    ":",
    "Int",
    "Map",
    "<",
    ">",
    ",",
    "=",
    "==",
    "+=",
    "1",
    "99999999999999999999",
    "\"s\"",
    "\"",
    "goal",
    "g",
    "repair",
    "invariant",
    "on",
    "f",
    "send",
    "D.f",
    ".",
    "after",
    "for",
    "in",
    "..",
    "if",
    "else",
    "let",
    "fail",
    "assert",
    "tick",
    "now()",
    "effect",
    "c.e",
    "->",
    "!",
    "-",
    "&&",
    "/*",
    "*/",
    "//",
    "\n",
    " ",
    "@",
    "é",
    "\u{0}",
];

fn token_soup() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(ALPHABET), 0..200).prop_map(|v| v.join(" "))
}

fn example_sources() -> Vec<String> {
    support::files(&support::root().join("examples"), "lxm")
        .into_iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect()
}

#[derive(Debug, Clone)]
enum Mutation {
    Delete(usize, usize),
    Insert(usize, &'static str),
    Duplicate(usize, usize),
    Flip(usize, u8),
}

fn apply(src: &str, m: &Mutation) -> String {
    let mut bytes = src.as_bytes().to_vec();
    let n = bytes.len().max(1);
    match *m {
        Mutation::Delete(a, len) => {
            let a = a % n;
            let b = (a + len % 64).min(bytes.len());
            bytes.drain(a.min(bytes.len())..b);
        }
        Mutation::Insert(a, s) => {
            let a = (a % n).min(bytes.len());
            bytes.splice(a..a, s.bytes());
        }
        Mutation::Duplicate(a, len) => {
            let a = (a % n).min(bytes.len());
            let b = (a + len % 200).min(bytes.len());
            let piece = bytes[a..b].to_vec();
            bytes.splice(b..b, piece);
        }
        Mutation::Flip(a, v) => {
            if !bytes.is_empty() {
                let a = a % bytes.len();
                bytes[a] = v;
            }
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<usize>()).prop_map(|(a, l)| Mutation::Delete(a, l)),
        (any::<usize>(), prop::sample::select(ALPHABET)).prop_map(|(a, s)| Mutation::Insert(a, s)),
        (any::<usize>(), any::<usize>()).prop_map(|(a, l)| Mutation::Duplicate(a, l)),
        (any::<usize>(), any::<u8>()).prop_map(|(a, v)| Mutation::Flip(a, v)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    #[test]
    fn random_token_soup_never_panics(src in token_soup()) {
        check_and_render(&src);
    }

    #[test]
    fn mutated_examples_never_panic(which in any::<usize>(), muts in prop::collection::vec(mutation(), 1..6)) {
        let sources = example_sources();
        let mut src = sources[which % sources.len()].clone();
        for m in &muts {
            src = apply(&src, m);
        }
        check_and_render(&src);
    }

    #[test]
    fn arbitrary_text_never_panics(src in "\\PC{0,300}") {
        check_and_render(&src);
    }
}

#[test]
fn deep_types_and_long_else_if_chains_are_refused_quickly() {
    let n = 100_000;
    let deep_type = format!(
        "domain A {{ state x: {}Int{} = [] }}",
        "List<".repeat(n),
        ">".repeat(n)
    );
    let t = std::time::Instant::now();
    assert_rejected(&deep_type, "E001");
    let chain = |n: usize| {
        let mut body = String::from("if x == 0 { x = 1 }");
        for i in 1..n {
            body.push_str(&format!(" else if x == {i} {{ x = 1 }}"));
        }
        format!("domain A {{ state x: Int = 0\n on h() {{ {body} }} }}")
    };
    assert_rejected(&chain(300_000), "E001");
    assert!(t.elapsed() < std::time::Duration::from_secs(30));
    // Comparisons are not type brackets, and separate chains do not add up.
    let many = format!(
        "domain A {{ state x: Int = 0\n on h() {{ {} }} }}",
        (0..400)
            .map(|i| format!("if x < {i} {{ x = 1 }} else if x > {i} {{ x = 2 }}"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(check_and_render(&many).is_empty());
}

#[test]
fn a_byte_order_mark_is_whitespace() {
    assert!(check_and_render("\u{feff}domain A { state x: Int = 1 }").is_empty());
}

#[test]
fn w101_reports_are_bounded_for_thousands_of_fighting_goals() {
    let mut src = String::from("domain A {\n  state x: Int = 0\n");
    for i in 0..2000 {
        src.push_str(&format!("  goal g{i}: x == {i} repair {{ x = {i} }}\n"));
    }
    src.push_str("}\n");
    let codes = check_and_render(&src);
    assert_eq!(codes.len(), lexum::check::livelock::MAX_REPORTED + 1);
    assert!(codes.iter().all(|c| c == "W101"));
}
