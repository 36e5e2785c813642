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

/// Deepest nesting of expressions, types and `for` loops the parser accepts: the same
/// number as the checker's [`crate::check::MAX_NESTING`] (one limit, one message). A
/// left-associated chain such as `a + b + c` is one level (every phase walks it in a
/// loop, see [`crate::ast::Expr::binary_spine`]); parentheses add none.
pub const MAX_DEPTH: usize = crate::check::MAX_NESTING;

/// The help line of the nesting-limit error (parser and checker).
pub fn nesting_help() -> String {
    format!(
        "the limit is {MAX_DEPTH} levels of nested expressions, types and loops (a chain such as \
         `a + b + c` is one level); split it with `let`"
    )
}

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
    let errors = st.errors.into_inner();
    // Token positions, for placing and explaining errors; only lexed again when there
    // is an error to explain.
    let toks = if errors.is_empty() && result.is_ok() { Tokens::default() } else { Tokens::new(source) };
    let mut diags: Vec<Diagnostic> =
        errors.into_iter().enumerate().map(|(i, e)| convert(e.error, source, &toks, i)).collect();
    match result {
        Ok(p) => match crate::ast::too_deep(&p, MAX_DEPTH) {
            // Later phases recurse on the tree; refuse it here, once, at the first
            // node past the limit (dropping it does not recurse, see `ast`).
            Some(span) => {
                diags.push(Diagnostic::error(span, "expression nested too deeply").with_help(nesting_help()));
                (None, diags)
            }
            None => (Some(p), diags),
        },
        Err(e) => {
            let n = diags.len();
            diags.push(convert(e, source, &toks, n));
            (None, diags)
        }
    }
}

/// The tokens of a source that failed to parse: `(lo, token, hi)` in order (lexing
/// errors left out), to find the token before an error and the unclosed brackets.
#[derive(Debug, Default)]
struct Tokens<'a> {
    toks: Vec<(usize, Tok<'a>, usize)>,
}

impl<'a> Tokens<'a> {
    fn new(source: &'a str) -> Tokens<'a> {
        Tokens { toks: lexer::lex(source).filter_map(Result::ok).collect() }
    }

    /// The end of the last token that ends at or before `pos`.
    fn prev_end(&self, pos: usize) -> Option<usize> {
        let i = self.toks.partition_point(|t| t.2 <= pos);
        i.checked_sub(1).map(|i| self.toks[i].2)
    }

    /// The innermost `open` bracket before `pos` that is not closed before `pos`.
    fn unclosed(&self, pos: usize, open: Tok<'_>, close: Tok<'_>) -> Option<usize> {
        let mut stack = Vec::new();
        for (lo, t, _) in self.toks.iter().take_while(|t| t.0 < pos) {
            if *t == open {
                stack.push(*lo);
            } else if *t == close {
                stack.pop();
            }
        }
        stack.pop()
    }
}

/// Errors past this many are converted without the explanations that scan the tokens
/// (the renderer shows at most [`crate::diag::MAX_RENDERED`] anyway; this keeps a file
/// with thousands of syntax errors linear).
const EXPLAINED: usize = crate::diag::MAX_RENDERED;

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

fn expects(expected: &[String], tok: &str) -> bool {
    expected.iter().any(|e| e.trim_matches('"') == tok)
}

/// Where a bracket opened at `at` is, for a help line.
fn opened_at(source: &str, at: usize) -> String {
    let (line, col) = crate::diag::line_col(source, at);
    format!("{line}:{col}")
}

/// One syntax error as a diagnostic. The `n`th error of the file; the first
/// [`EXPLAINED`] get the explanations below, the rest the plain list of expected tokens:
/// - a missing `;` before a token on a later line is reported where the statement
///   ends (the end of the previous token), not at the next line's first token;
/// - an end of file or a `;` where a `}` or `)` was expected names the unclosed bracket.
fn convert(e: ParseError<usize, Tok<'_>, LexError>, source: &str, toks: &Tokens<'_>, n: usize) -> Diagnostic {
    let len = source.len();
    let explain = n < EXPLAINED;
    match e {
        ParseError::InvalidToken { location } => {
            Diagnostic::error(Span::new(location, (location + 1).min(len)), "invalid token")
                .with_help("this character is not part of the language")
        }
        ParseError::UnrecognizedEof { location, expected } => {
            if explain && expects(&expected, "}") {
                if let Some(open) = toks.unclosed(len, Tok::LBrace, Tok::RBrace) {
                    return Diagnostic::error(
                        Span::new(location, location),
                        "unexpected end of file: expected `}`",
                    )
                    .with_help(format!("the `{{` at {} is never closed; add `}}`", opened_at(source, open)));
                }
            }
            let mut d = Diagnostic::error(Span::new(location, location), "unexpected end of file");
            d = d.with_help(expected_list(&expected).unwrap_or_else(|| "the file ends too early".into()));
            d
        }
        ParseError::UnrecognizedToken { token: (lo, tok, hi), expected } => {
            if explain && expects(&expected, ";") {
                if let Some(end) = toks.prev_end(lo) {
                    if source[end..lo].contains('\n') {
                        return Diagnostic::error(Span::new(end, end), format!("expected `;`, found {tok}"))
                            .with_help("add `;` at the end of this statement");
                    }
                }
            }
            if explain && tok == Tok::Eq && expects(&expected, "==") {
                return Diagnostic::error(Span::new(lo, hi), "unexpected `=` in an expression")
                    .with_help("to compare, write `==` (`=` assigns, and only as a statement)");
            }
            // A `;` or a closing bracket where another closing bracket was expected:
            // name the unclosed opening one.
            if explain && matches!(tok, Tok::Semi | Tok::RBrace | Tok::RParen | Tok::RBracket) {
                for (open, close, o, c) in
                    [(Tok::LParen, Tok::RParen, "(", ")"), (Tok::LBracket, Tok::RBracket, "[", "]")]
                {
                    if tok != close && expects(&expected, c) {
                        if let Some(at) = toks.unclosed(lo, open, close) {
                            return Diagnostic::error(
                                Span::new(lo, hi),
                                format!("unexpected {tok}: expected `{c}`"),
                            )
                            .with_help(format!(
                                "the `{o}` at {} is not closed; add `{c}`",
                                opened_at(source, at)
                            ));
                        }
                    }
                }
            }
            let mut d = Diagnostic::error(Span::new(lo, hi), format!("unexpected {tok}"));
            d = d.with_help(expected_list(&expected).unwrap_or_else(|| "remove it".into()));
            d
        }
        ParseError::ExtraToken { token: (lo, tok, hi) } => {
            Diagnostic::error(Span::new(lo, hi), format!("unexpected {tok}")).with_help("remove it")
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
