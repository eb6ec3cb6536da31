//! Byte offsets ↔ LSP positions (line, UTF-16 column), as editors count.

use lsp_types::{Position, Range};

use crate::syntax::span::Span;

pub struct Lines<'s> {
    text: &'s str,
    /// The byte offset each line starts at.
    starts: Vec<usize>,
}

impl<'s> Lines<'s> {
    pub fn new(text: &'s str) -> Lines<'s> {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Lines { text, starts }
    }

    pub fn position(&self, offset: usize) -> Position {
        let offset = offset.min(self.text.len());
        let line = self.starts.partition_point(|s| *s <= offset) - 1;
        let start = self.starts[line];
        let col: usize = self.text[start..]
            .char_indices()
            .take_while(|(i, _)| start + i < offset)
            .map(|(_, c)| c.len_utf16())
            .sum();
        Position::new(line as u32, col as u32)
    }

    pub fn range(&self, span: Span) -> Range {
        Range::new(self.position(span.start), self.position(span.end))
    }

    /// The byte offset of a position (clamped to its line and the text).
    pub fn offset(&self, p: Position) -> usize {
        let Some(&start) = self.starts.get(p.line as usize) else {
            return self.text.len();
        };
        let end = self
            .starts
            .get(p.line as usize + 1)
            .map_or(self.text.len(), |e| e - 1);
        let mut units = 0usize;
        for (i, c) in self.text[start..end].char_indices() {
            if units >= p.character as usize {
                return start + i;
            }
            units += c.len_utf16();
        }
        end
    }

    /// The range of the whole text.
    pub fn all(&self) -> Range {
        Range::new(Position::new(0, 0), self.position(self.text.len()))
    }
}

#[cfg(test)]
mod tests {
    use super::Lines;
    use lsp_types::Position;

    #[test]
    fn offsets_and_utf16_positions_agree() {
        let text = "ab\n\u{1F600}x\n";
        let l = Lines::new(text);
        assert_eq!(l.position(3), Position::new(1, 0));
        // The emoji is 4 bytes and 2 UTF-16 units.
        assert_eq!(l.position(7), Position::new(1, 2));
        assert_eq!(l.offset(Position::new(1, 2)), 7);
        assert_eq!(l.offset(Position::new(9, 0)), text.len());
        assert_eq!(l.offset(Position::new(0, 99)), 2);
    }
}
