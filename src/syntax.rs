//! Source text to spanned AST: lexing, a nesting guard, parsing, and the
//! conversion of chumsky's errors into E001 diagnostics.

pub mod ast;
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

/// Parses a whole source file. Returns the tree (when the parser could recover
/// one) and every syntax error found, in source order.
pub fn parse(src: &str) -> (Option<ast::Program>, Vec<Diagnostic>) {
    let (tokens, mut diags) = lexer::lex(src);
    if let Some(d) = nesting_guard(&tokens) {
        diags.push(d);
        return (None, diags);
    }
    let eoi = Span::from(src.len()..src.len());
    let (program, parse_errs) = parser::program()
        .parse(tokens.as_slice().map(eoi, |(t, s)| (t, s)))
        .into_output_errors();
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
    let (e, errs) = parser::expr()
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
