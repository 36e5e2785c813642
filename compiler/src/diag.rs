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
    pub fn error(span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic { severity: Severity::Error, message: message.into(), span, label: None, help: None }
    }

    /// A warning at `span`.
    pub fn warning(span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic { severity: Severity::Warning, message: message.into(), span, label: None, help: None }
    }

    /// Adds a help line.
    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// Adds a label shown under the carets.
    pub fn with_label(mut self, label: impl Into<String>) -> Diagnostic {
        self.label = Some(label.into());
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

/// Renders diagnostics rustc-style. `color` adds ANSI colours (for terminals).
pub fn render(diags: &[Diagnostic], file: &str, source: &str, color: bool) -> String {
    use ariadne::{Config, IndexType, Label, Report, ReportKind, Source};
    let mut out = Vec::new();
    for d in diags {
        // Clamp spans into the source and onto char boundaries.
        let mut lo = d.span.lo.min(source.len());
        let mut hi = d.span.hi.clamp(lo, source.len());
        while !source.is_char_boundary(lo) {
            lo -= 1;
        }
        while !source.is_char_boundary(hi) {
            hi += 1;
        }
        let kind = match d.severity {
            Severity::Error => ReportKind::Error,
            Severity::Warning => ReportKind::Warning,
        };
        let (line, col) = line_col(source, lo);
        let mut report = Report::build(kind, (file, lo..hi))
            .with_config(Config::default().with_color(color).with_index_type(IndexType::Byte))
            .with_message(format!("{} (at {file}:{line}:{col})", d.message))
            .with_label(
                Label::new((file, lo..hi)).with_message(d.label.clone().unwrap_or_else(|| d.message.clone())),
            );
        if let Some(h) = &d.help {
            report = report.with_help(h);
        }
        // Writing into a Vec cannot fail.
        let _ = report.finish().write((file, Source::from(source)), &mut out);
    }
    String::from_utf8_lossy(&out).into_owned()
}
