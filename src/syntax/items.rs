//! A file with a syntax error is parsed again by the recovering parser, whose
//! bookkeeping of failed alternatives makes it 2–3× slower than the fast
//! pass. An editor sends a file with an error on most keystrokes, so that
//! parse is done only around the broken items: the file is cut into its
//! top-level items (at each `domain` or `effect` keyword outside any
//! bracket), each item is parsed on its own by the fast parser, and only
//! the items that fail, each with its two neighbours, are parsed by the
//! recovering one.
//!
//! The neighbours make the answer the whole-file parse's: the item before
//! brings the alternatives it left at the broken item's first token (they
//! are part of that error's "expected ..."), and the item after is where
//! the whole-file parse resynchronises. Whenever that may not hold (brackets
//! that do not balance, tokens before the first item, an error reported
//! outside a broken item, no tree), [`parse_by_items`] answers `None` and the
//! whole file is parsed. A test compares both ways on every example, with
//! every third token deleted or doubled in turn.
//!
//! Cut into items, a well-formed file is also parsed on two threads
//! (a file parses without error exactly when each of its items does).

use chumsky::input::{Input as _, MappedInput};
use chumsky::prelude::*;

use super::ast::Program;
use super::parser::{self, ParseError};
use super::span::Span;
use super::token::{Kw, Token};

type Tok<'s> = (Token<'s>, Span);
type Window<'t, 's> = MappedInput<'t, Token<'s>, Span, &'t [Tok<'s>]>;

/// The first token index of each top-level item, or `None` when tokens
/// precede the first item or the brackets do not balance.
fn item_starts(tokens: &[Tok<'_>]) -> Option<Vec<usize>> {
    let mut starts = Vec::new();
    let mut depth = 0usize;
    for (i, (t, _)) in tokens.iter().enumerate() {
        match t {
            Token::Kw(Kw::Domain | Kw::Effect) if depth == 0 => starts.push(i),
            Token::Op("(" | "[" | "{") => depth += 1,
            Token::Op(")" | "]" | "}") => depth = depth.checked_sub(1)?,
            _ => {}
        }
        if starts.is_empty() {
            return None;
        }
    }
    (depth == 0 && !starts.is_empty()).then_some(starts)
}

/// Tokens `a..b` as the parser's input, ending where token `b` begins.
fn window<'t, 's>(tokens: &'t [Tok<'s>], src_len: usize, a: usize, b: usize) -> Window<'t, 's> {
    let end = tokens.get(b).map_or(src_len, |(_, s)| s.start);
    let f: fn(&'t Tok<'s>) -> (&'t Token<'s>, &'t Span) = |(t, s)| (t, s);
    (&tokens[a..b]).map(Span::from(end..end), f)
}

/// Parses a file by its top-level items: each on its own with the fast
/// parser (on two threads from `parallel_from` tokens on), then, when some
/// fail, those again with their neighbours with the recovering parser.
/// `None` when the file cannot be cut into items, or when the answer might
/// differ from the whole file's recovering parse: parse it whole then.
pub(super) fn parse_by_items<'t, 's: 't>(
    tokens: &'t [Tok<'s>],
    src_len: usize,
    parallel_from: usize,
) -> Option<(Option<Program>, Vec<ParseError<'t, 's>>)> {
    let starts = item_starts(tokens)?;
    let bounds = |k: usize| {
        (
            starts[k],
            starts.get(k + 1).copied().unwrap_or(tokens.len()),
        )
    };
    let parse = |ks: std::ops::Range<usize>| -> Vec<Option<Program>> {
        let fast = parser::program::<Window<'t, 's>, EmptyErr>();
        ks.map(|k| {
            let (a, b) = bounds(k);
            fast.parse(window(tokens, src_len, a, b)).into_result().ok()
        })
        .collect()
    };
    let n = starts.len();
    let mut parsed = if tokens.len() >= parallel_from && n >= 2 {
        std::thread::scope(|scope| {
            let second = std::thread::Builder::new()
                .name("lexum-parse".into())
                .stack_size(crate::check::FRONT_END_STACK)
                .spawn_scoped(scope, || parse(n / 2..n));
            let mut first = parse(0..n / 2);
            // Without a thread, the second half here.
            first.extend(
                second
                    .ok()
                    .and_then(|h| h.join().ok())
                    .unwrap_or_else(|| parse(n / 2..n)),
            );
            first
        })
    } else {
        parse(0..n)
    };
    let healthy: Vec<bool> = parsed.iter().map(Option::is_some).collect();
    // Windows of items to parse again: each broken item with its neighbours,
    // overlapping windows merged.
    let mut windows: Vec<(usize, usize)> = Vec::new();
    for k in (0..n).filter(|k| !healthy[*k]) {
        let (lo, hi) = (k.saturating_sub(1), (k + 2).min(n));
        match windows.last_mut() {
            Some(w) if w.1 >= lo => w.1 = hi,
            _ => windows.push((lo, hi)),
        }
    }
    let mut program = Program::default();
    let mut errors = Vec::new();
    let mut next = 0;
    let rich = parser::program::<Window<'t, 's>, ParseError<'t, 's>>();
    for (lo, hi) in windows {
        for p in parsed[next..lo].iter_mut() {
            append(&mut program, p.take()?);
        }
        let (a, b) = (bounds(lo).0, bounds(hi - 1).1);
        let (p, errs) = rich
            .parse(window(tokens, src_len, a, b))
            .into_output_errors();
        // Errors must lie in broken items (from the first token of one to
        // the start of the next).
        let broken = |pos: usize| {
            (lo..hi).any(|k| {
                let (a, b) = bounds(k);
                let end = tokens.get(b).map_or(src_len, |t| t.1.start);
                !healthy[k] && pos >= tokens[a].1.start && pos <= end
            })
        };
        if errs.iter().any(|e| !broken(e.span().start)) {
            return None;
        }
        append(&mut program, p?);
        errors.extend(errs);
        next = hi;
    }
    for p in parsed[next..].iter_mut() {
        append(&mut program, p.take()?);
    }
    Some((Some(program), errors))
}

fn append(to: &mut Program, p: Program) {
    to.effects.extend(p.effects);
    to.domains.extend(p.domains);
}
