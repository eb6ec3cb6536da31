//! Source text to tokens. Comments and whitespace vanish here; a bad character,
//! an unterminated string or comment is reported and lexing carries on.

use chumsky::prelude::*;

use super::span::Span;
use super::token::{Kw, Token, OPERATORS};

pub type LexError<'src> = Rich<'src, char, Span>;

/// The lexer: every token with its span, in order. Unknown characters yield an
/// error and no token, so one run reports every bad character.
pub fn lexer<'src>(
) -> impl Parser<'src, &'src str, Vec<(Token<'src>, Span)>, extra::Err<LexError<'src>>> {
    let int = text::digits(10)
        .then(one_of("0123456789_").repeated())
        .to_slice()
        .map(Token::Int);

    let escape = just('\\').then(any()).ignored();
    let string = just('"')
        .ignore_then(
            escape
                .or(none_of("\\\"\n").ignored())
                .repeated()
                .to_slice(),
        )
        .then(just('"').or_not())
        .validate(|(body, close), e, emitter| {
            if close.is_none() {
                emitter.emit(Rich::custom(
                    e.span(),
                    "unterminated string literal: add a closing `\"` on the same line",
                ));
            }
            Token::Str(body)
        });

    let ident = text::ascii::ident().map(|s: &'src str| match Kw::from_ident(s) {
        Some(kw) => Token::Kw(kw),
        None => Token::Ident(s),
    });

    let op = choice(OPERATORS.map(|o| just(o).to(Token::Op(o))));

    let token = choice((int, string, ident, op)).map_with(|t, e| Some((t, e.span())));

    // Anything else is reported once per character and skipped.
    let junk = any().validate(|c: char, e, emitter| {
        emitter.emit(Rich::custom(
            e.span(),
            format!("unexpected character {c:?}"),
        ));
        None
    });

    let line_comment = just("//")
        .then(any().and_is(just('\n').not()).repeated())
        .ignored();
    let block_comment = just("/*")
        .then(any().and_is(just("*/").not()).repeated())
        .then(just("*/").or_not())
        .validate(|(_, close), e, emitter| {
            if close.is_none() {
                emitter.emit(Rich::custom(
                    e.span(),
                    "unterminated block comment: close it with `*/`",
                ));
            }
        });
    let trivia = choice((line_comment, block_comment))
        .padded()
        .repeated();

    token
        .or(junk)
        .padded_by(trivia)
        .padded()
        .repeated()
        .collect::<Vec<_>>()
        .map(|toks| toks.into_iter().flatten().collect())
}
