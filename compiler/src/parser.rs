//! Parsing: source text to [`ast::Program`](crate::ast::Program) plus syntax diagnostics.
//!
//! Runs the logos lexer into the LALRPOP parser generated from `grammar.lalrpop`.
//! Syntax errors inside blocks and at item level are recovered, so one run reports
//! several; lexing errors become diagnostics too. Never panics.

use std::cell::RefCell;

use lalrpop_util::{ErrorRecovery, ParseError};

use crate::ast::{Expr, IdGen, Program, Span};
use crate::diag::Diagnostic;
use crate::lexer::{self, LexError, Tok};

lalrpop_util::lalrpop_mod!(
    #[allow(clippy::all, clippy::pedantic, missing_debug_implementations, unused_qualifications, dead_code)]
    grammar
);

/// Deepest nesting of expressions, types and `for` loops the parser accepts (the
/// checker's own limit on expressions, [`crate::check::MAX_NESTING`], is lower, so
/// this one only catches trees that it would not reach, such as deep types or loops,
/// and trees too deep to walk recursively at all).
pub const MAX_DEPTH: usize = 2 * crate::check::MAX_NESTING;

/// State shared with the grammar's actions during one parse.
#[derive(Debug, Default)]
pub struct ParseState<'input> {
    /// Expression ids.
    pub ids: IdGen,
    /// Recovered syntax errors.
    pub errors: RefCell<Vec<ErrorRecovery<usize, Tok<'input>, LexError>>>,
}

/// Parses `source`; returns the program (with error nodes where recovery happened)
/// and the syntax diagnostics. `None` when the parser could not recover at all.
pub fn parse(source: &str) -> (Option<Program>, Vec<Diagnostic>) {
    let st = ParseState::default();
    let result = grammar::ProgramParser::new().parse(&st, lexer::lex(source));
    let mut diags: Vec<Diagnostic> =
        st.errors.into_inner().into_iter().map(|e| convert(e.error, source.len())).collect();
    match result {
        Ok(p) => match crate::ast::too_deep(&p, MAX_DEPTH) {
            // Later phases recurse on the tree; refuse it here, once, at the first
            // node past the limit (dropping it does not recurse, see `ast`).
            Some(span) => {
                diags.push(Diagnostic::error(span, "expression nested too deeply").with_help(format!(
                    "the limit is {MAX_DEPTH} levels of expressions, types and loops; split it with `let`"
                )));
                (None, diags)
            }
            None => (Some(p), diags),
        },
        Err(e) => {
            diags.push(convert(e, source.len()));
            (None, diags)
        }
    }
}

fn expected_list(expected: &[String]) -> Option<String> {
    if expected.is_empty() {
        return None;
    }
    let mut names: Vec<String> = expected.iter().map(|s| pretty_expected(s)).collect();
    names.dedup();
    if names.len() > 8 {
        names.truncate(8);
        names.push("...".into());
    }
    Some(format!("expected one of: {}", names.join(", ")))
}

fn pretty_expected(s: &str) -> String {
    match s {
        "\"ident\"" => "identifier".into(),
        "\"int\"" => "integer".into(),
        other => other.trim_matches('"').replace("\\\"", "\"").to_string().pipe_quote(),
    }
}

trait PipeQuote {
    fn pipe_quote(self) -> String;
}

impl PipeQuote for String {
    fn pipe_quote(self) -> String {
        format!("`{self}`")
    }
}

fn convert(e: ParseError<usize, Tok<'_>, LexError>, len: usize) -> Diagnostic {
    match e {
        ParseError::InvalidToken { location } => {
            Diagnostic::error(Span::new(location, (location + 1).min(len)), "invalid token")
        }
        ParseError::UnrecognizedEof { location, expected } => {
            let mut d = Diagnostic::error(Span::new(location, location), "unexpected end of file");
            if let Some(h) = expected_list(&expected) {
                d = d.with_help(h);
            }
            d
        }
        ParseError::UnrecognizedToken { token: (lo, tok, hi), expected } => {
            let mut d = Diagnostic::error(Span::new(lo, hi), format!("unexpected {tok}"));
            if let Some(h) = expected_list(&expected) {
                d = d.with_help(h);
            }
            d
        }
        ParseError::ExtraToken { token: (lo, tok, hi) } => {
            Diagnostic::error(Span::new(lo, hi), format!("unexpected {tok}"))
        }
        ParseError::User { error } => {
            Diagnostic::error(Span::new(error.span.start, error.span.end), "invalid token")
                .with_help("this character is not part of the language (comments are `//` and `/* */`)")
        }
    }
}

/// Builds a binary expression (used by the grammar's actions).
pub fn bin(st: &ParseState<'_>, op: crate::ast::BinOp, l: Expr, r: Expr, lo: usize, hi: usize) -> Expr {
    st.ids.expr(crate::ast::ExprKind::Binary(op, Box::new(l), Box::new(r)), lo, hi)
}

/// A name in a destructuring `let`: `[mut] x`, `_`, or a nested `(a, b)`.
#[derive(Debug)]
pub enum Pat {
    /// `[mut] name` (`_` binds nothing).
    Name(bool, crate::ast::Ident),
    /// `(p, q, ..)` and where it is written.
    Tuple(Vec<Pat>, crate::ast::Span),
}

impl Drop for Pat {
    // Without recursion: patterns may nest arbitrarily deeply.
    fn drop(&mut self) {
        let mut stack = match self {
            Pat::Tuple(ps, _) => std::mem::take(ps),
            Pat::Name(..) => return,
        };
        while let Some(mut p) = stack.pop() {
            if let Pat::Tuple(ps, _) = &mut p {
                stack.append(ps);
            }
        }
    }
}

/// `let (a, mut b, _) [: T] = value;` as statements: a hidden variable (a name no
/// program can write) holding `value`, checked to be a tuple of as many elements,
/// then `let a = hidden.0; let mut b = hidden.1;` (`_` binds nothing; a nested
/// tuple pattern gets its own hidden variable, after the enclosing pattern's names).
/// Iterative: patterns may nest arbitrarily deeply.
pub fn destructure(
    st: &ParseState<'_>,
    mut pat: Pat,
    ty: Option<crate::ast::Type>,
    value: Expr,
    lo: usize,
    hi: usize,
) -> Vec<crate::ast::Stmt> {
    use crate::ast::{ExprKind, Ident, Span, Stmt};
    let pats = match &mut pat {
        // `let (x) = v;` is `let x = v;`.
        Pat::Name(mutable, name) => {
            return vec![Stmt::Let { mutable: *mutable, name: name.clone(), ty, value, tuple: None }];
        }
        Pat::Tuple(ps, _) => std::mem::take(ps),
    };
    let mut out = Vec::new();
    let mut queue = std::collections::VecDeque::new();
    queue.push_back((pats, ty, value, Span::new(lo, hi)));
    while let Some((mut pats, ty, value, span)) = queue.pop_front() {
        let hidden = Ident { name: format!("(tuple@{})", span.lo), span };
        out.push(Stmt::Let { mutable: false, name: hidden.clone(), ty, value, tuple: Some(pats.len()) });
        for (k, pat) in pats.iter_mut().enumerate() {
            let at = match &*pat {
                Pat::Name(_, n) => n.span,
                Pat::Tuple(_, s) => *s,
            };
            let element = || {
                let base = st.ids.expr(ExprKind::Path(hidden.clone()), at.lo, at.hi);
                let field = Ident { name: k.to_string(), span: at };
                st.ids.expr(ExprKind::Field(Box::new(base), field), at.lo, at.hi)
            };
            match pat {
                Pat::Name(_, name) if name.name == "_" => {}
                Pat::Name(mutable, name) => {
                    let name = name.clone();
                    out.push(Stmt::Let { mutable: *mutable, name, ty: None, value: element(), tuple: None })
                }
                Pat::Tuple(inner, s) => queue.push_back((std::mem::take(inner), None, element(), *s)),
            }
        }
    }
    out
}
