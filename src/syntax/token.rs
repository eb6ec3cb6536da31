//! Tokens: what the lexer hands the parser. Keywords are their own variants so
//! that the parser's "expected ..." messages name them.

use std::fmt;

/// One lexical token. Borrowed from the source: the lexer allocates nothing per token.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Token<'src> {
    /// An integer literal as written (digits and `_`); the checker turns it into an `i64`.
    Int(&'src str),
    /// A string literal's body as written, escapes still escaped.
    Str(&'src str),
    Ident(&'src str),
    Kw(Kw),
    /// Punctuation and operators, longest match first (`==`, `+=`, `..`, `->`, ...).
    Op(&'static str),
}

/// Reserved words. Priority names and type names are not reserved: they are
/// ordinary identifiers given meaning by their position.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kw {
    Domain,
    Priority,
    Retry,
    State,
    Goal,
    Repair,
    Invariant,
    On,
    Effect,
    Let,
    If,
    Else,
    For,
    In,
    Send,
    After,
    Fail,
    Assert,
    True,
    False,
    Tick,
    While,
    Fn,
}

impl Kw {
    pub const ALL: [(&'static str, Kw); 23] = [
        ("domain", Kw::Domain),
        ("priority", Kw::Priority),
        ("retry", Kw::Retry),
        ("state", Kw::State),
        ("goal", Kw::Goal),
        ("repair", Kw::Repair),
        ("invariant", Kw::Invariant),
        ("on", Kw::On),
        ("effect", Kw::Effect),
        ("let", Kw::Let),
        ("if", Kw::If),
        ("else", Kw::Else),
        ("for", Kw::For),
        ("in", Kw::In),
        ("send", Kw::Send),
        ("after", Kw::After),
        ("fail", Kw::Fail),
        ("assert", Kw::Assert),
        ("true", Kw::True),
        ("false", Kw::False),
        ("tick", Kw::Tick),
        ("while", Kw::While),
        ("fn", Kw::Fn),
    ];

    pub fn from_ident(s: &str) -> Option<Kw> {
        // Most identifiers are not keywords; the length test rejects them cheaply.
        if s.len() > 9 || !s.as_bytes()[0].is_ascii_lowercase() {
            return None;
        }
        Self::ALL.iter().find(|(k, _)| *k == s).map(|(_, kw)| *kw)
    }

    pub fn as_str(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, kw)| *kw == self)
            .map(|(k, _)| *k)
            .unwrap_or("?")
    }
}

/// Operators and punctuation, longest first so that the lexer can try them in order.
pub const OPERATORS: [&str; 29] = [
    "==", "!=", "<=", ">=", "&&", "||", "+=", "-=", "->", "..", "=", "<", ">", "+", "-", "*", "/",
    "%", "!", ".", ":", ",", ";", "(", ")", "[", "]", "{", "}",
];

impl fmt::Display for Token<'_> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            Token::Int(s) => write!(f, "{s}"),
            Token::Str(s) => write!(f, "\"{s}\""),
            Token::Ident(s) => write!(f, "{s}"),
            Token::Kw(k) => write!(f, "{}", k.as_str()),
            Token::Op(s) => write!(f, "{s}"),
        }
    }
}
