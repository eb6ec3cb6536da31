//! Times each front-end phase on a generated program:
//! `cargo bench --bench front_end -- FILE` (see benches/run.sh).

use std::time::Instant;

fn main() {
    let path = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .unwrap_or_else(|| "/tmp/big.lxm".to_string());
    let src = std::fs::read_to_string(&path).expect("read the program");
    let t = Instant::now();
    let (tokens, errs) = lexum::syntax::lexer::lex(&src);
    let lex = t.elapsed();
    assert!(errs.is_empty());
    let n = tokens.len();
    let t = Instant::now();
    let (ast, diags) = lexum::syntax::parse(&src);
    let parse = t.elapsed();
    assert!(diags.is_empty());
    let t = Instant::now();
    let checked = lexum::check::check(&ast.expect("parsed"));
    let check = t.elapsed();
    assert!(!checked.has_errors());
    let t = Instant::now();
    let formatted = lexum::format::format_source(&src).expect("formats");
    let format = t.elapsed();
    assert!(!formatted.is_empty());
    let t = Instant::now();
    let all = lexum::check::check_source(&src);
    let total = t.elapsed();
    assert!(all.program.is_some());
    // A syntax error in the first domain (what an editor sends mid-edit):
    // the fast pass stops at it, and the parse that reports it runs.
    let broken = src.replacen("state", "stat", 1);
    let t = Instant::now();
    let (_, diags) = lexum::syntax::parse(&broken);
    let broken_parse = t.elapsed();
    assert!(!diags.is_empty());
    let t = Instant::now();
    let _ = lexum::check::check_source(&broken);
    let broken_total = t.elapsed();
    println!("with a syntax error: lex+parse {broken_parse:?}, check_source {broken_total:?}");
    println!(
        "{} lines, {n} tokens: lex {:?}, lex+parse {:?}, check {:?}, check_source {:?}, format (parse included) {:?}",
        src.lines().count(),
        lex,
        parse,
        check,
        total,
        format
    );
}
