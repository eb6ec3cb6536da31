//! Source text to spanned AST: lexing, a nesting guard, parsing, and the
//! conversion of chumsky's errors into E001 diagnostics.

pub mod ast;
mod items;
pub mod lexer;
pub mod parser;
pub mod span;
pub mod token;

use chumsky::error::{Rich, RichPattern, RichReason};
use chumsky::prelude::*;
use std::fmt::Display;

use crate::codes::Code;
use crate::diag::Diagnostic;
use span::Span;
use token::Token;

/// Deeper bracket or prefix-operator nesting than this is rejected with E001:
/// no real program needs it, and it bounds every recursive pass after parsing.
pub const MAX_NESTING: usize = 256;

/// Files with at least this many tokens are parsed on two threads (about
/// 2,500 lines: below it a thread costs more than it saves).
const PARALLEL_TOKENS: usize = 20_000;

/// Parses a whole source file. Returns the tree (when the parser could recover
/// one) and every syntax error found, in source order.
pub fn parse(src: &str) -> (Option<ast::Program>, Vec<Diagnostic>) {
    parse_in(src, true)
}

/// [`parse`], with or without the fast first pass (its tests compare both).
fn parse_in(src: &str, fast: bool) -> (Option<ast::Program>, Vec<Diagnostic>) {
    let (tokens, mut diags) = lexer::lex(src);
    if let Some(d) = nesting_guard(&tokens) {
        diags.push(d);
        return (None, diags);
    }
    let eoi = Span::from(src.len()..src.len());
    let input = || tokens.as_slice().map(eoi, |(t, s)| (t, s));
    // The fast pass: a well-formed file costs one parse without error
    // bookkeeping, and one with errors a recovering parse of its broken items.
    let by_items = match fast {
        true => items::parse_by_items(&tokens, src.len(), PARALLEL_TOKENS),
        false => None,
    };
    let (program, parse_errs) = match by_items {
        Some(parsed) => parsed,
        None => {
            let whole = fast.then(|| {
                parser::program::<_, EmptyErr>()
                    .parse(input())
                    .into_result()
            });
            match whole {
                Some(Ok(program)) => (Some(program), Vec::new()),
                _ => parser::program::<_, parser::ParseError>()
                    .parse(input())
                    .into_output_errors(),
            }
        }
    };
    diags.extend(parse_errs.into_iter().map(rich_to_diag));
    diags.sort_by_key(|d| (d.span.start, d.span.end));
    diags.dedup_by(|a, b| a.span == b.span && a.message == b.message);
    (program, diags)
}

/// Parses one expression (the REPL's input, a breakpoint's condition).
pub fn parse_expr(src: &str) -> (Option<ast::Expr>, Vec<Diagnostic>) {
    let (tokens, mut diags) = lexer::lex(src);
    if let Some(d) = nesting_guard(&tokens) {
        diags.push(d);
        return (None, diags);
    }
    let eoi = Span::from(src.len()..src.len());
    let (e, errs) = parser::expr::<_, parser::ParseError>()
        .then_ignore(end())
        .parse(tokens.as_slice().map(eoi, |(t, s)| (t, s)))
        .into_output_errors();
    diags.extend(errs.into_iter().map(rich_to_diag));
    (e, diags)
}

/// Rejects nesting deeper than [`MAX_NESTING`] before the parser sees it:
/// brackets, type arguments (`List<List<…>>`), runs of prefix operators, and
/// `else if` chains (each `else if` nests the rest of the chain).
fn nesting_guard(tokens: &[(Token<'_>, Span)]) -> Option<Diagnostic> {
    use token::Kw;
    let mut depth = 0usize;
    let mut type_depth = 0usize;
    let mut prefix_run = 0usize;
    // Per bracket depth: `else if`s since the last `if` that began a chain.
    let mut chains: Vec<usize> = vec![0];
    let mut prev: Option<&Token<'_>> = None;
    for (tok, span) in tokens {
        match tok {
            Token::Op("(") | Token::Op("[") | Token::Op("{") => {
                depth += 1;
                chains.push(0);
            }
            Token::Op(")") | Token::Op("]") | Token::Op("}") => {
                depth = depth.saturating_sub(1);
                if chains.len() > 1 {
                    chains.pop();
                }
            }
            // Types hold no expressions, so inside one every `>` closes.
            Token::Op("<") if matches!(prev, Some(Token::Ident("List" | "Set" | "Map"))) => {
                type_depth += 1
            }
            Token::Op(">") if type_depth > 0 => type_depth -= 1,
            Token::Kw(Kw::If) => {
                if let Some(c) = chains.last_mut() {
                    if matches!(prev, Some(Token::Kw(Kw::Else))) {
                        *c += 1;
                    } else {
                        *c = 0;
                    }
                }
            }
            _ => {}
        }
        if matches!(tok, Token::Op("!") | Token::Op("-")) {
            prefix_run += 1;
        } else {
            prefix_run = 0;
        }
        let chain = chains.last().copied().unwrap_or(0);
        if chain > MAX_NESTING {
            return Some(
                Diagnostic::new(
                    Code::E001,
                    *span,
                    format!("an `else if` chain longer than {MAX_NESTING} branches"),
                )
                .with_label("one branch too many")
                .with_help("look the case up in a `Map`, or split the chain over several handlers"),
            );
        }
        if depth + type_depth > MAX_NESTING || prefix_run > MAX_NESTING {
            return Some(
                Diagnostic::new(
                    Code::E001,
                    *span,
                    format!("nesting deeper than {MAX_NESTING} levels"),
                )
                .with_label("this is too deeply nested")
                .with_help("split the expression with `let` bindings"),
            );
        }
        prev = Some(tok);
    }
    None
}

fn pattern_text<T: Display>(p: &RichPattern<'_, T>) -> String {
    match p {
        RichPattern::Token(t) => format!("`{}`", &**t),
        RichPattern::Label(l) => l.to_string(),
        RichPattern::Identifier(i) => format!("`{i}`"),
        RichPattern::Any => "something".to_string(),
        RichPattern::SomethingElse => "something else".to_string(),
        RichPattern::EndOfInput => "end of input".to_string(),
        _ => "something else".to_string(),
    }
}

/// Turns a chumsky error (from the lexer or the parser) into an E001 diagnostic
/// saying what was expected and what was found.
fn rich_to_diag<T: Display>(e: Rich<'_, T, Span>) -> Diagnostic {
    let span = *e.span();
    let contexts: Vec<(String, Span)> = e.contexts().map(|(p, s)| (pattern_text(p), *s)).collect();
    let mut d = match e.reason() {
        RichReason::Custom(msg) => Diagnostic::new(Code::E001, span, msg.to_string()),
        RichReason::ExpectedFound { expected, found } => {
            let found = match found {
                Some(t) => format!("`{}`", &**t),
                None => "end of input".to_string(),
            };
            let mut exp: Vec<String> = expected
                .iter()
                .filter(|p| !matches!(p, RichPattern::SomethingElse | RichPattern::Any))
                .map(pattern_text)
                .collect();
            exp.sort();
            exp.dedup();
            let expected = match exp.len() {
                0 => "something else".to_string(),
                1 => exp[0].clone(),
                n if n > 8 => format!("{} or one of {} others", exp[..7].join(", "), n - 7),
                n => format!("{} or {}", exp[..n - 1].join(", "), exp[n - 1]),
            };
            Diagnostic::new(
                Code::E001,
                span,
                format!("expected {expected}, found {found}"),
            )
            .with_label(format!("unexpected {found}"))
        }
    };
    for (what, s) in contexts.into_iter().take(2) {
        if s != span {
            d = d.with_secondary(s, format!("while parsing this {what}"));
        }
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fast pass never changes an answer: on every example program, and
    /// on each of them with one token deleted or doubled (most of those are
    /// syntax errors), the tree and the diagnostics are those of the
    /// recovering parse alone, whether the broken items are parsed again
    /// alone ([`items`]) or with the whole file; and the fast parse in two
    /// halves is the fast parse in one.
    #[test]
    fn the_fast_pass_gives_the_answer_of_the_full_parse() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/examples");
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .expect("examples")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "lxm"))
            .collect();
        files.sort();
        assert!(files.len() >= 5);
        let (mut checked, mut broken, mut windowed) = (0, 0, 0);
        for path in files {
            let src = std::fs::read_to_string(&path).expect("example");
            let (tokens, _) = lexer::lex(&src);
            let spans: Vec<Span> = tokens.iter().map(|(_, s)| *s).collect();
            let mut variants = vec![src.clone()];
            for s in spans.iter().step_by(3) {
                let (a, b) = (s.start, s.end);
                variants.push(format!("{}{}", &src[..a], &src[b..]));
                variants.push(format!("{}{}", &src[..b], &src[a..]));
            }
            for v in variants {
                let fast = parse_in(&v, true);
                let full = parse_in(&v, false);
                assert_eq!(
                    format!("{fast:?}"),
                    format!("{full:?}"),
                    "{}:\n{v}",
                    path.display()
                );
                checked += 1;
                broken += usize::from(!fast.1.is_empty());
                let (tokens, _) = lexer::lex(&v);
                let halves = items::parse_by_items(&tokens, v.len(), 0);
                let one = items::parse_by_items(&tokens, v.len(), usize::MAX);
                assert_eq!(format!("{halves:?}"), format!("{one:?}"), "{v}");
                windowed += usize::from(!fast.1.is_empty() && one.is_some());
            }
        }
        // Errors reported without stopping the parse (its checks of literals
        // and ranges), which leave a tree behind.
        for v in [
            r#"domain A { state s: Str = "\q" }"#,
            "domain A { state m: Map<Int, Int> = {1: 2, 3} }",
            "domain A { state n: Int = 0 on h() { for k, v in 0..3 { n += 1 } } }",
        ] {
            let fast = parse_in(v, true);
            assert!(fast.0.is_some() && !fast.1.is_empty(), "{v}");
            assert_eq!(format!("{fast:?}"), format!("{:?}", parse_in(v, false)));
        }
        assert!(
            checked > 500 && broken > 100 && windowed > 100,
            "{checked} variants, {broken} broken, {windowed} parsed by items"
        );
    }
}
