//! Diagnostics: what went wrong, where, and what to do about it.
//!
//! [`Diagnostic`] is plain data (no IO, no colours); [`render`] turns a list of them
//! into rustc-style text with ariadne: `error: message`, `file:line:col`, the source
//! line, carets under the span, and the help line. Spans are byte offsets.

use crate::ast::Span;

/// How bad it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    /// Compilation fails.
    Error,
    /// Compilation goes on.
    Warning,
}

/// One message about the program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// The main sentence.
    pub message: String,
    /// The bytes it is about.
    pub span: Span,
    /// A label under the carets, if different from the message.
    pub label: Option<String>,
    /// What to do about it.
    pub help: Option<String>,
}

impl Diagnostic {
    /// An error at `span`.
    pub(crate) fn error(span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic { severity: Severity::Error, message: message.into(), span, label: None, help: None }
    }

    /// A warning at `span`.
    pub(crate) fn warning(span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic { severity: Severity::Warning, message: message.into(), span, label: None, help: None }
    }

    /// Adds a help line.
    pub(crate) fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// Whether it is an error.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// 1-based line and column (in characters) of byte offset `pos` in `source`.
pub fn line_col(source: &str, pos: usize) -> (usize, usize) {
    let pos = pos.min(source.len());
    let mut line = 1;
    let mut col = 1;
    for (i, c) in source.char_indices() {
        if i >= pos {
            break;
        }
        if c == '\n' {
            line += 1;
            col = 1;
        } else {
            col += 1;
        }
    }
    (line, col)
}

/// The candidate closest to `name` by edit distance, if close enough to be a likely
/// misspelling (at most a third of the name's length, and at least one edit allowed).
/// Ties go to the smallest name (candidates often come from hash maps, whose order
/// varies between runs); `name` itself and hidden names (`(...)`) are never suggested.
pub(crate) fn similar<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    // Names of one or two characters are all "similar"; suggest nothing for them.
    if name.chars().count() < 3 {
        return None;
    }
    let limit = (name.chars().count() / 3).max(1);
    let mut best: Option<(usize, &'a str)> = None;
    for c in candidates {
        if c == name || c.starts_with('(') {
            continue;
        }
        let d = edit_distance(name, c);
        if d <= limit && best.is_none_or(|(bd, bc)| d < bd || (d == bd && c < bc)) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

/// Levenshtein distance in characters (two rows; names are short).
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// At most this many diagnostics are rendered; a last line counts the rest.
pub(crate) const MAX_RENDERED: usize = 100;
/// Source lines longer than this many bytes are not shown (a one-line file of
/// 160 KB with 20,000 syntax errors rendered the whole line under each: 6.4 GB of
/// text in 410 s); the message still names the line and column.
pub(crate) const MAX_SHOWN_LINE: usize = 1000;

/// Renders diagnostics rustc-style. `color` adds ANSI colours (for terminals).
///
/// Errors are shown before warnings. Output is bounded: at most [`MAX_RENDERED`]
/// diagnostics are shown (followed by a count of the others), and a line longer than [`MAX_SHOWN_LINE`] bytes is replaced
/// by a note, so the text is a small multiple of the source size at worst.
pub fn render(diags: &[Diagnostic], file: &str, source: &str, color: bool) -> String {
    use ariadne::{Config, IndexType, Label, Report, ReportKind, Source};
    use std::fmt::Write as _;
    let mut out = Vec::new();
    // Built once: `Source::from` indexes every line of the file.
    let mut cache = (file, Source::from(source));
    // Errors first (each kind in its own order), so that warnings never push an
    // error past the bound.
    let ordered: Vec<&Diagnostic> =
        diags.iter().filter(|d| d.is_error()).chain(diags.iter().filter(|d| !d.is_error())).collect();
    for d in ordered.iter().copied().take(MAX_RENDERED) {
        // Clamp spans into the source and onto char boundaries.
        let mut lo = d.span.lo.min(source.len());
        let mut hi = d.span.hi.clamp(lo, source.len());
        while !source.is_char_boundary(lo) {
            lo -= 1;
        }
        while !source.is_char_boundary(hi) {
            hi += 1;
        }
        // An empty span (a position, such as where a `;` is missing) is drawn under
        // the character there (often the line's end), so that it gets a caret.
        if hi == lo {
            if let Some(c) = source[lo..].chars().next() {
                hi = lo + c.len_utf8();
            }
        }
        let kind = match d.severity {
            Severity::Error => ReportKind::Error,
            Severity::Warning => ReportKind::Warning,
        };
        let (line, col) = line_col(source, lo);
        let message = format!("{} (at {file}:{line}:{col})", d.message);
        // The lines the span touches: too long to print, say so instead.
        let first = source[..lo].rfind('\n').map_or(0, |p| p + 1);
        let last = source[hi..].find('\n').map_or(source.len(), |p| hi + p);
        if last - first > MAX_SHOWN_LINE {
            let mut text = String::new();
            let _ = writeln!(text, "{kind}: {message}");
            let _ = writeln!(text, "   = (the source line is {} bytes long and is not shown)", last - first);
            if let Some(h) = &d.help {
                let _ = writeln!(text, "   = help: {h}");
            }
            out.extend_from_slice(text.as_bytes());
            continue;
        }
        let mut report = Report::build(kind, (file, lo..hi))
            .with_config(Config::default().with_color(color).with_index_type(IndexType::Byte))
            .with_message(message)
            .with_label(
                Label::new((file, lo..hi)).with_message(d.label.clone().unwrap_or_else(|| d.message.clone())),
            );
        if let Some(h) = &d.help {
            report = report.with_help(h);
        }
        // Writing into a Vec cannot fail.
        let _ = report.finish().write(&mut cache, &mut out);
    }
    let mut text = String::from_utf8_lossy(&out).into_owned();
    if ordered.len() > MAX_RENDERED {
        let errors = ordered[MAX_RENDERED..].iter().filter(|d| d.is_error()).count();
        let _ = writeln!(
            text,
            "... and {} more diagnostic(s) not shown ({errors} error(s))",
            diags.len() - MAX_RENDERED
        );
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn similar_names() {
        assert_eq!(edit_distance("totl", "total"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(similar("totl", ["x", "total", "count"]), Some("total"));
        assert_eq!(similar("maximum", ["max", "min"]), None);
        assert_eq!(similar("a", ["a"]), None);
        assert_eq!(similar("t", ["a"]), None);
        // Equally close candidates: the smallest name, whatever the order.
        assert_eq!(similar("abc", ["abx", "aba"]), Some("aba"));
        assert_eq!(similar("abc", ["aba", "abx"]), Some("aba"));
    }

    /// 20,000 syntax errors on one 160 KB line rendered the line under each of them
    /// (6.4 GB of text, 410 s in a debug build).
    #[test]
    fn rendering_is_bounded() {
        let src = format!("fn main() {{ {} }}", "let = ; ".repeat(20_000));
        let diags: Vec<Diagnostic> = (0..20_000)
            .map(|i| Diagnostic::error(Span::new(12 + 8 * i, 13 + 8 * i), "unexpected `=`").with_help("h"))
            .collect();
        let t = std::time::Instant::now();
        let text = render(&diags, "t.mpc", &src, false);
        assert!(t.elapsed() < std::time::Duration::from_secs(2), "{:?}", t.elapsed());
        assert!(text.len() < 100_000, "{} bytes", text.len());
        assert!(text.contains("and 19900 more diagnostic(s) not shown (19900 error(s))"), "{text}");
        assert!(text.contains("is not shown"), "{text}");
        assert!(text.contains("unexpected `=` (at t.mpc:1:13)"), "{text}");
        // Short lines are shown with the source as before.
        let src = "let = ;\n".repeat(20_000);
        let diags: Vec<Diagnostic> = (0..20_000)
            .map(|i| Diagnostic::error(Span::new(4 + 8 * i, 5 + 8 * i), "unexpected `=`"))
            .collect();
        let text = render(&diags, "t.mpc", &src, false);
        assert!(text.len() < 100_000, "{} bytes", text.len());
        assert!(text.contains("let = ;"), "{text}");
        assert!(text.contains("(at t.mpc:100:5)") && !text.contains("(at t.mpc:101:5)"));
        // An empty span gets a caret (under the line's end here).
        let d = Diagnostic::error(Span::new(7, 7), "expected `;`");
        let text = render(&[d], "t.mpc", &src, false);
        assert!(text.contains('┬') && text.contains("(at t.mpc:1:8)"), "{text}");
        // 200 warnings before one error: the error is shown, first.
        let mut diags: Vec<Diagnostic> =
            (0..200).map(|i| Diagnostic::warning(Span::new(8 * i, 8 * i + 3), "unused")).collect();
        diags.push(Diagnostic::error(Span::new(4, 5), "the error"));
        let text = render(&diags, "t.mpc", &src, false);
        assert!(text.starts_with("Error: the error"), "{}", &text[..200]);
        assert!(text.contains("and 101 more diagnostic(s) not shown (0 error(s))"), "{text}");
    }
}
