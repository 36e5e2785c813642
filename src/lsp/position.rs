//! Byte offsets (the compiler's spans) to LSP positions and back.
//!
//! LSP counts lines from 0 and columns in UTF-16 code units (the protocol's default
//! encoding, which every client supports). Conversions clamp: a position past the end
//! of a line or of the text maps to that end, never to a panic, and a byte offset
//! inside a character maps to the character's start.

use lsp_types::{Position, Range};
use mpc_compiler::ast::Span;

/// A text with its line starts, for conversions.
#[derive(Debug)]
pub struct LineIndex {
    text: String,
    starts: Vec<usize>,
}

impl LineIndex {
    /// Indexes `text`.
    pub fn new(text: String) -> LineIndex {
        let starts = mpc_compiler::analysis::line_starts(&text);
        LineIndex { text, starts }
    }

    /// The position of byte `pos`.
    pub fn position(&self, pos: usize) -> Position {
        let mut pos = pos.min(self.text.len());
        while !self.text.is_char_boundary(pos) {
            pos -= 1;
        }
        // `starts[0] == 0`, so the line is at least 1.
        let line = mpc_compiler::analysis::line_of(&self.starts, pos) - 1;
        let start = self.starts[line];
        let character: usize = self.text[start..pos].chars().map(char::len_utf16).sum();
        Position { line: line as u32, character: character as u32 }
    }

    /// The range of `span`.
    pub fn range(&self, span: Span) -> Range {
        Range { start: self.position(span.lo), end: self.position(span.hi.max(span.lo)) }
    }

    /// The byte offset of `p` (clamped to its line's end and the text's end).
    pub fn offset(&self, p: Position) -> usize {
        let Some(&start) = self.starts.get(p.line as usize) else { return self.text.len() };
        let end = self.starts.get(p.line as usize + 1).map_or(self.text.len(), |&e| e - 1);
        let mut units = 0usize;
        for (i, c) in self.text[start..end].char_indices() {
            if units >= p.character as usize {
                return start + i;
            }
            units += c.len_utf16();
        }
        end
    }

    /// The end of line `line` (0-based), before its newline.
    pub fn line_end(&self, line: usize) -> Position {
        let end = self.starts.get(line + 1).map_or(self.text.len(), |&e| e - 1);
        self.position(end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_columns_round_trip() {
        // `é` is 2 bytes and 1 UTF-16 unit; `𝔸` is 4 bytes and 2 units.
        let text = "ab\né𝔸x\n";
        let ix = LineIndex::new(text.to_string());
        let x = "ab\né𝔸".len();
        assert_eq!(ix.position(x), Position { line: 1, character: 3 });
        assert_eq!(ix.offset(Position { line: 1, character: 3 }), x);
        assert_eq!(ix.offset(Position { line: 1, character: 99 }), "ab\né𝔸x".len());
        assert_eq!(ix.offset(Position { line: 9, character: 0 }), text.len());
        // Inside `é`: its start.
        assert_eq!(ix.position(4), Position { line: 1, character: 0 });
        assert_eq!(ix.line_end(0), Position { line: 0, character: 2 });
    }
}
