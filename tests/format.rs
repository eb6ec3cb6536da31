//! `lexum fmt` (issue 16). Golden layouts in `tests/format/` (each `X.lxm`
//! beside its `X.out`; `LEXUM_BLESS=1 cargo test --test format` rewrites
//! them). On every program in `examples/`, `tests/` and `traces/`, and on
//! generated programs whose spacing is mutated and that get comments at
//! random token boundaries: formatting is idempotent, parses to the same
//! AST (spans aside), keeps every comment in order, and the run is the
//! same (same outcome and run hash).

mod support;

use std::path::{Path, PathBuf};

use lexum::format::{comments, format_source};
use proptest::prelude::*;

/// The AST with its spans blanked out: what the program says, not where.
fn shape(src: &str) -> String {
    let (program, diags) = lexum::syntax::parse(src);
    assert!(
        !diags.iter().any(|d| d.is_error()),
        "does not parse: {diags:?}\n{src}"
    );
    let debug = format!("{:?}", program.expect("a program"));
    // A span prints as `12..34`.
    let mut out = String::with_capacity(debug.len());
    let b = debug.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_digit() && (i == 0 || !b[i - 1].is_ascii_alphanumeric()) {
            let mut j = i;
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1;
            }
            if b[j..].starts_with(b"..") {
                let mut k = j + 2;
                while k < b.len() && b[k].is_ascii_digit() {
                    k += 1;
                }
                if k > j + 2 {
                    out.push('_');
                    i = k;
                    continue;
                }
            }
        }
        out.push(b[i] as char);
        i += 1;
    }
    out
}

fn comment_texts(src: &str) -> Vec<String> {
    comments::scan(src).into_iter().map(|c| c.text).collect()
}

/// The outcome and run hash of a program's first 20,000 cycles.
fn run(src: &str) -> (String, String) {
    let program = lexum::check_source(src)
        .program
        .expect("the program checks");
    let settings = lexum::runtime::Settings {
        max_cycles: 20_000,
        oscillation_detection: true,
        effects: lexum::runtime::settings::EffectsMode::Sim,
        seed: 7,
        fail_per_million: 100_000,
        max_queue: lexum::runtime::DEFAULT_MAX_QUEUE,
        live: false,
    };
    let mut rt = lexum::Runtime::new(&program, settings.options(), settings.binding());
    let outcome = format!("{:?}", rt.run());
    (outcome, rt.run_hash())
}

/// The properties every formatted program has.
fn check_formatting(name: &str, src: &str) -> String {
    let once = format_source(src).unwrap_or_else(|d| panic!("{name}: {d:?}"));
    let twice = format_source(&once).unwrap_or_else(|d| panic!("{name}, formatted: {d:?}"));
    assert_eq!(once, twice, "{name}: formatting is not idempotent");
    assert_eq!(shape(src), shape(&once), "{name}: the AST changed:\n{once}");
    assert_eq!(
        comment_texts(src),
        comment_texts(&once),
        "{name}: comments were lost or reordered:\n{once}"
    );
    once
}

fn programs(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let p = entry.path();
        if p.is_dir() {
            programs(&p, out);
        } else if p.extension().is_some_and(|e| e == "lxm") {
            out.push(p);
        }
    }
}

#[test]
fn golden_layouts() {
    let dir = support::root().join("tests/format");
    let mut failures = Vec::new();
    for case in support::files(&dir, "lxm") {
        let src = std::fs::read_to_string(&case).unwrap();
        let name = case.display().to_string();
        let formatted = check_formatting(&name, &src);
        if let Some(diff) = support::golden(&case.with_extension("out"), &formatted) {
            failures.push(diff);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Every program of the repository that parses: the properties, and the
/// same run; and it is already formatted (except the golden inputs, which
/// are not, on purpose).
#[test]
fn every_program_in_the_repository_is_formatted() {
    let root = support::root();
    let mut files = Vec::new();
    for dir in ["examples", "tests", "traces"] {
        programs(&root.join(dir), &mut files);
    }
    files.sort();
    assert!(files.len() >= 25, "the programs are missing");
    let mut unformatted = Vec::new();
    for f in &files {
        let src = std::fs::read_to_string(f).unwrap();
        if lexum::syntax::parse(&src).1.iter().any(|d| d.is_error()) {
            continue; // a syntax-error case
        }
        let name = f.strip_prefix(&root).unwrap().display().to_string();
        let formatted = check_formatting(&name, &src);
        if lexum::check_source(&src).program.is_some() {
            assert_eq!(run(&src), run(&formatted), "{name}: the run changed");
        }
        if formatted != src && !name.starts_with("tests/format/") {
            unformatted.push(name);
        }
    }
    assert!(
        unformatted.is_empty(),
        "not formatted (run `lexum fmt` on them): {unformatted:?}"
    );
}

/// A file big enough to be rendered on several threads, with comments
/// before, inside, after and between its items.
#[test]
fn a_big_commented_file_keeps_its_properties() {
    let mut src = String::from("// the file\n\n");
    for i in 0..400 {
        src.push_str(&format!(
            "// before {i}\ndomain D{i} {{ // after the header\n  state x: Int = {i} /* inline */\n\n  // inside\n  on bump(n: Int) {{ x += n // trailing\n  }}\n}} // after {i}\n"
        ));
        if i % 3 == 0 {
            src.push_str(&format!("effect e{i}.call(a: Int) -> Int // effect {i}\n"));
        }
    }
    let once = check_formatting("big", &src);
    assert!(
        once.contains("} // after 399\n"),
        "{}",
        &once[once.len() - 200..]
    );
}

/// What a mutation inserts at a token boundary.
const INSERTS: [&str; 6] = [" ", "\n", "\n\n", "\t", "// c\n", "/* c */"];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Generated programs, respaced and commented at random token
    /// boundaries: the properties hold; and spacing alone (no blank line,
    /// no comment) never changes the layout.
    #[test]
    fn mutated_programs_keep_their_meaning_and_comments(
        seed in any::<u64>(),
        rich in any::<bool>(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), 0..INSERTS.len()), 0..12),
    ) {
        let src = support::generate::generate(seed, rich);
        let (tokens, _) = lexum::syntax::lexer::lex(&src);
        let mut at: Vec<(usize, &str)> = edits
            .iter()
            .map(|(i, k)| (tokens[i.index(tokens.len())].1.start, INSERTS[*k]))
            .collect();
        at.sort();
        let mut mutated = src.clone();
        let mut spaced = src.clone();
        for (pos, what) in at.iter().rev() {
            mutated.insert_str(*pos, what);
            if *what == " " || *what == "\t" {
                spaced.insert_str(*pos, what);
            }
        }
        check_formatting("mutated", &mutated);
        prop_assert_eq!(format_source(&spaced).unwrap(), format_source(&src).unwrap());
    }
}

#[test]
fn the_cli_checks_and_rewrites() {
    let dir = std::env::temp_dir().join(format!("lexum-fmt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let messy = dir.join("messy.lxm");
    let clean = dir.join("clean.lxm");
    let broken = dir.join("broken.lxm");
    std::fs::write(&messy, "domain A {state x:Int=1}").unwrap();
    std::fs::write(&clean, "domain A {\n  state x: Int = 1\n}\n").unwrap();
    std::fs::write(&broken, "domain A {").unwrap();
    let (m, c, b) = (
        messy.to_str().unwrap(),
        clean.to_str().unwrap(),
        broken.to_str().unwrap(),
    );
    // --check lists what would change, and changes nothing.
    let out = support::lexum(&["fmt", "--check", m, c]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&out.stdout), format!("{m}\n"));
    assert_eq!(
        std::fs::read_to_string(&messy).unwrap(),
        "domain A {state x:Int=1}"
    );
    // Without it, files are rewritten; a file that does not parse is
    // reported (E001) and left alone.
    let out = support::lexum(&["fmt", m, b]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("E001"));
    assert_eq!(
        std::fs::read_to_string(&messy).unwrap(),
        std::fs::read_to_string(&clean).unwrap()
    );
    assert_eq!(std::fs::read_to_string(&broken).unwrap(), "domain A {");
    let out = support::lexum(&["fmt", "--check", m, c]);
    assert_eq!(out.status.code(), Some(0));
    let _ = std::fs::remove_dir_all(&dir);
}
