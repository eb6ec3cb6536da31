//! Byte spans into one source file, and the `Spanned` wrapper every AST node wears.

/// A half-open byte range `start..end` into the program's source.
pub type Span = chumsky::span::SimpleSpan<usize>;

/// A node together with the source it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spanned<T> {
    pub node: T,
    pub span: Span,
}

impl<T> Spanned<T> {
    pub fn new(node: T, span: Span) -> Self {
        Spanned { node, span }
    }
}

/// Builds a span from a byte range.
pub fn span(start: usize, end: usize) -> Span {
    Span::from(start..end)
}
