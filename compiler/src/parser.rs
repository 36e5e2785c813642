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
pub(crate) fn nesting_help() -> String {
    format!(
        "the limit is {MAX_DEPTH} levels of nested expressions, types and loops (a chain such as \
         `a + b + c` is one level); split it with `let`"
    )
}

/// State shared with the grammar's actions during one parse.
#[derive(Debug, Default)]
pub(crate) struct ParseState<'input> {
    /// Expression ids.
    pub ids: IdGen,
    /// Recovered syntax errors.
    pub errors: RefCell<Vec<ErrorRecovery<usize, Tok<'input>, LexError>>>,
    /// Errors found while rewriting a form (a `for` or `match` the rewriting cannot
    /// handle, a non-ASCII byte literal).
    pub custom: RefCell<Vec<Diagnostic>>,
}

/// Parses `source`; returns the program (with error nodes where recovery happened)
/// and the syntax diagnostics. `None` when the parser could not recover at all.
pub(crate) fn parse(source: &str) -> (Option<Program>, Vec<Diagnostic>) {
    let st = ParseState::default();
    let result = grammar::ProgramParser::new().parse(&st, lexer::lex(source));
    let errors = st.errors.into_inner();
    // Token positions, for placing and explaining errors; only lexed again when there
    // is an error to explain.
    let toks = if errors.is_empty() && result.is_ok() { Tokens::default() } else { Tokens::new(source) };
    let mut diags: Vec<Diagnostic> =
        errors.into_iter().enumerate().map(|(i, e)| convert(e.error, source, &toks, i)).collect();
    diags.extend(st.custom.take());
    match result {
        Ok(mut p) => match crate::ast::too_deep(&p, MAX_DEPTH) {
            // Later phases recurse on the tree; refuse it here, once, at the first
            // node past the limit (dropping it does not recurse, see `ast`).
            Some(span) => {
                diags.push(Diagnostic::error(span, "expression nested too deeply").with_help(nesting_help()));
                (None, diags)
            }
            None => {
                p.next_id = st.ids.peek();
                (Some(p), diags)
            }
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
        "\"byte\"" => "byte literal".into(),
        "\"bytes\"" => "byte string".into(),
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
pub(crate) fn bin(
    st: &ParseState<'_>,
    op: crate::ast::BinOp,
    l: Expr,
    r: Expr,
    lo: usize,
    hi: usize,
) -> Expr {
    st.ids.expr(crate::ast::ExprKind::Binary(op, Box::new(l), Box::new(r)), lo, hi)
}

/// A name in a destructuring `let`: `[mut] x`, `_`, or a nested `(a, b)`.
#[derive(Debug)]
pub(crate) enum Pat {
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
pub(crate) fn destructure(
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

fn custom(st: &ParseState<'_>, d: Diagnostic) {
    st.custom.borrow_mut().push(d);
}

/// `b'A'`: the byte as a `u8` literal.
pub(crate) fn byte_char(st: &ParseState<'_>, text: &str, lo: usize, hi: usize) -> Expr {
    use crate::ast::ExprKind;
    match crate::lexer::byte_literal(text) {
        Ok(b) if b.len() == 1 => st.ids.expr(ExprKind::Int(format!("{}u8", b[0])), lo, hi),
        Ok(_) => {
            custom(st, Diagnostic::error(Span::new(lo, hi), "a byte literal holds one byte"));
            st.ids.expr(ExprKind::Error, lo, hi)
        }
        Err(why) => {
            custom(
                st,
                Diagnostic::error(Span::new(lo, hi), format!("invalid byte literal: {why}"))
                    .with_help("byte literals hold ASCII characters or escapes such as `\\x41`"),
            );
            st.ids.expr(ExprKind::Error, lo, hi)
        }
    }
}

/// `b"abc"`: a `[u8; 3]` array literal.
pub(crate) fn byte_str(st: &ParseState<'_>, text: &str, lo: usize, hi: usize) -> Expr {
    use crate::ast::ExprKind;
    match crate::lexer::byte_literal(text) {
        Ok(bytes) => {
            let items = bytes.iter().map(|b| st.ids.expr(ExprKind::Int(format!("{b}u8")), lo, hi)).collect();
            st.ids.expr(ExprKind::Array(items), lo, hi)
        }
        Err(why) => {
            custom(
                st,
                Diagnostic::error(Span::new(lo, hi), format!("invalid byte string: {why}"))
                    .with_help("byte strings hold ASCII characters or escapes such as `\\x41`"),
            );
            st.ids.expr(ExprKind::Error, lo, hi)
        }
    }
}

/// What a `for` loop runs over, as written.
#[derive(Debug)]
pub(crate) enum ForIter {
    /// `a..b` or `a..=b` (inclusive).
    Range(Expr, Expr, bool),
    /// `(a..b).m()` (inclusive with `..=`); `m` must be `rev`.
    Rev(Expr, Expr, bool, crate::ast::Ident),
    /// An array, `xs.iter()` or `xs.iter().enumerate()`.
    Each(Expr),
}

/// A `for` loop as statements: every form becomes a counted `Stmt::For`.
/// `for x in xs { .. }` is `for i in 0..xs.len() { let x = xs[i]; .. }` over a hidden
/// counter (and over a hidden copy of `xs` unless it is a variable);
/// `for (i, x) in xs.iter().enumerate()` names the counter `i`.
pub(crate) fn for_loop(
    st: &ParseState<'_>,
    pat: Pat,
    it: ForIter,
    mut body: crate::ast::Block,
    lo: usize,
    hi: usize,
) -> Vec<crate::ast::Stmt> {
    use crate::ast::{ExprKind, Ident, Stmt};
    let span = Span::new(lo, hi);
    let counter = |st: &ParseState<'_>, pat: &Pat| match pat {
        Pat::Name(false, n) => Some(n.clone()),
        Pat::Name(true, n) => {
            custom(st, Diagnostic::error(n.span, "a loop counter cannot be `mut`").with_help("remove `mut`"));
            None
        }
        Pat::Tuple(_, s) => {
            custom(
                st,
                Diagnostic::error(*s, "a range loop binds one name")
                    .with_help("write `for i in 0..N`; tuples are for `xs.iter().enumerate()`"),
            );
            None
        }
    };
    let error = |lo, hi| vec![Stmt::Error(Span::new(lo, hi))];
    match it {
        ForIter::Range(a, b, inclusive) => match counter(st, &pat) {
            Some(var) => vec![Stmt::For { var, lo: a, hi: b, body, span, rev: false, inclusive }],
            None => error(lo, hi),
        },
        ForIter::Rev(a, b, inclusive, m) => {
            if m.name != "rev" {
                custom(
                    st,
                    Diagnostic::error(m.span, format!("a range in a `for` loop has no method `{}`", m.name))
                        .with_help("ranges support `.rev()`"),
                );
                return error(lo, hi);
            }
            match counter(st, &pat) {
                Some(var) => vec![Stmt::For { var, lo: a, hi: b, body, span, rev: true, inclusive }],
                None => error(lo, hi),
            }
        }
        ForIter::Each(mut e) => {
            // `xs.iter().enumerate()`, `xs.iter()`, `xs.into_iter()`, or `xs`.
            let mut enumerate = false;
            let is_call = |e: &Expr, name: &str| matches!(&e.kind, ExprKind::Method(_, m, args) if m.name == name && args.is_empty());
            if is_call(&e, "enumerate") {
                enumerate = true;
                e = take_receiver(e);
                if !(is_call(&e, "iter") || is_call(&e, "into_iter")) {
                    custom(
                        st,
                        Diagnostic::error(e.span, "`enumerate()` needs an iterator")
                            .with_help("write `for (i, x) in xs.iter().enumerate()`"),
                    );
                    return error(lo, hi);
                }
            }
            if is_call(&e, "iter") || is_call(&e, "into_iter") {
                e = take_receiver(e);
            }
            let (index, elem) = if enumerate {
                let mut pat = pat;
                let parts = match &mut pat {
                    Pat::Tuple(ps, _) if ps.len() == 2 => std::mem::take(ps),
                    _ => {
                        custom(
                            st,
                            Diagnostic::error(span, "`enumerate()` gives pairs: bind them as `(i, x)`")
                                .with_help("write `for (i, x) in xs.iter().enumerate()`"),
                        );
                        return error(lo, hi);
                    }
                };
                let mut parts = parts.into_iter();
                let (Some(i), Some(x)) = (parts.next(), parts.next()) else { return error(lo, hi) };
                match counter(st, &i) {
                    Some(i) => (i, x),
                    None => return error(lo, hi),
                }
            } else {
                (Ident { name: format!("(index@{lo})"), span: e.span }, pat)
            };
            let mut out = Vec::new();
            let array = match &e.kind {
                ExprKind::Path(n) => n.clone(),
                _ => {
                    let hidden = Ident { name: format!("(iter@{lo})"), span: e.span };
                    out.push(Stmt::Let {
                        mutable: false,
                        name: hidden.clone(),
                        ty: None,
                        value: e,
                        tuple: None,
                    });
                    hidden
                }
            };
            let at = array.span;
            let path = |st: &ParseState<'_>, n: &Ident| st.ids.expr(ExprKind::Path(n.clone()), at.lo, at.hi);
            let len = st.ids.expr(
                ExprKind::Method(
                    Box::new(path(st, &array)),
                    Ident { name: "len".into(), span: at },
                    Vec::new(),
                ),
                at.lo,
                at.hi,
            );
            let element = st.ids.expr(
                ExprKind::Index(Box::new(path(st, &array)), Box::new(path(st, &index))),
                at.lo,
                at.hi,
            );
            let name = match &elem {
                Pat::Name(m, n) => Some((*m, n.clone())),
                Pat::Tuple(..) => None,
            };
            let prefix = match name {
                Some((mutable, name)) => {
                    vec![Stmt::Let { mutable, name, ty: None, value: element, tuple: None }]
                }
                None => destructure(st, elem, None, element, at.lo, at.hi),
            };
            body.stmts.splice(0..0, prefix);
            let zero = st.ids.expr(ExprKind::Int("0".into()), at.lo, at.hi);
            out.push(Stmt::For { var: index, lo: zero, hi: len, body, span, rev: false, inclusive: false });
            out
        }
    }
}

/// The receiver of a method call expression.
fn take_receiver(mut e: Expr) -> Expr {
    use crate::ast::ExprKind;
    match std::mem::replace(&mut e.kind, ExprKind::Error) {
        ExprKind::Method(r, _, _) => *r,
        other => {
            e.kind = other;
            e
        }
    }
}

/// One alternative of a `match` pattern, as written.
#[derive(Debug)]
pub(crate) enum MPat {
    /// A name (`_` binds nothing).
    Name(crate::ast::Ident),
    /// An integer literal, maybe negative.
    Int(String, Span),
    /// A byte literal `b'A'`.
    Byte(String, Span),
    /// `true` / `false`.
    Bool(bool, Span),
    /// `a..=b`.
    Range(String, String, Span),
    /// `Enum::Variant` with its payload bindings.
    Variant(crate::ast::Ident, crate::ast::Ident, Vec<crate::ast::Ident>, Span),
}

/// `match e { arms }` as `{ let m = e; if test1 { arm1 } else if .. else { last } }`
/// next to the arms as written (see [`crate::ast::MatchInfo`]). The last arm, and an
/// arm with a catch-all pattern, need no test: the checker makes sure the arms cover
/// every value.
pub(crate) fn match_expr(
    st: &ParseState<'_>,
    scrutinee: Expr,
    mut arms: Vec<(Vec<MPat>, Expr)>,
    last: Option<(Vec<MPat>, Expr)>,
    lo: usize,
    hi: usize,
) -> Expr {
    use crate::ast::{BinOp, Block, ExprKind, Ident, MatchInfo, PatAtom, Stmt};
    arms.extend(last);
    let sid = scrutinee.id;
    let hidden = Ident { name: format!("(match@{lo})"), span: scrutinee.span };
    let m = |st: &ParseState<'_>, at: Span| st.ids.expr(ExprKind::Path(hidden.clone()), at.lo, at.hi);
    let mut info = Vec::new();
    // (test, bindings, body) per arm, stopping after the first catch-all.
    let mut chain: Vec<(Option<Expr>, Vec<Stmt>, Expr)> = Vec::new();
    let mut done = false;
    for (alts, body) in arms {
        let arm_span = Span::new(alts.first().map_or(body.span.lo, |p| pat_span(p).lo), body.span.hi);
        if done {
            custom(
                st,
                Diagnostic::error(arm_span, "unreachable `match` arm").with_help(
                    "an earlier arm matches every value; remove this arm or move the catch-all last",
                ),
            );
            continue;
        }
        let mut atoms = Vec::new();
        let mut test: Option<Expr> = None;
        let mut binds = Vec::new();
        let several = alts.len() > 1;
        for alt in alts {
            let at = pat_span(&alt);
            let t = match alt {
                MPat::Name(n) => {
                    if n.name != "_" {
                        if several {
                            custom(
                                st,
                                Diagnostic::error(n.span, "a name cannot be bound in a pattern with `|`")
                                    .with_help("bind it in an arm of its own"),
                            );
                        }
                        binds.push(Stmt::Let {
                            mutable: false,
                            name: n.clone(),
                            ty: None,
                            value: m(st, at),
                            tuple: None,
                        });
                    }
                    atoms.push(PatAtom::Wild(at));
                    None
                }
                MPat::Int(text, s) | MPat::Byte(text, s) => {
                    let lit = if let Some(stripped) = text.strip_prefix('-') {
                        let v = st.ids.expr(ExprKind::Int(stripped.to_string()), s.lo, s.hi);
                        st.ids.expr(ExprKind::Unary(crate::ast::UnOp::Neg, Box::new(v)), s.lo, s.hi)
                    } else if text.starts_with("b'") {
                        byte_char(st, &text, s.lo, s.hi)
                    } else {
                        st.ids.expr(ExprKind::Int(text.clone()), s.lo, s.hi)
                    };
                    let atom_text = match &lit.kind {
                        ExprKind::Int(t) => t.clone(),
                        _ => text.clone(),
                    };
                    atoms.push(PatAtom::Int(atom_text, s));
                    Some(bin(st, BinOp::Eq, m(st, s), lit, s.lo, s.hi))
                }
                MPat::Bool(b, s) => {
                    atoms.push(PatAtom::Bool(b, s));
                    let lit = st.ids.expr(ExprKind::Bool(b), s.lo, s.hi);
                    Some(bin(st, BinOp::Eq, m(st, s), lit, s.lo, s.hi))
                }
                MPat::Range(a, b, s) => {
                    atoms.push(PatAtom::Range(a.clone(), b.clone(), s));
                    let (la, lb) = (
                        st.ids.expr(ExprKind::Int(a), s.lo, s.hi),
                        st.ids.expr(ExprKind::Int(b), s.lo, s.hi),
                    );
                    let ge = bin(st, BinOp::Ge, m(st, s), la, s.lo, s.hi);
                    let le = bin(st, BinOp::Le, m(st, s), lb, s.lo, s.hi);
                    Some(bin(st, BinOp::And, ge, le, s.lo, s.hi))
                }
                MPat::Variant(e, v, names, s) => {
                    if several && !names.is_empty() {
                        custom(
                            st,
                            Diagnostic::error(s, "names cannot be bound in a pattern with `|`")
                                .with_help("bind them in an arm of its own"),
                        );
                    }
                    atoms.push(PatAtom::Variant(e.clone(), v.clone(), s));
                    let tag_field = Ident { name: "(tag)".into(), span: s };
                    let tag = st.ids.expr(ExprKind::Field(Box::new(m(st, s)), tag_field), s.lo, s.hi);
                    let want = st.ids.expr(ExprKind::Tag(e.clone(), v.clone()), s.lo, s.hi);
                    for (k, n) in names.iter().enumerate() {
                        if n.name == "_" {
                            continue;
                        }
                        let field = Ident { name: format!("{}.{k}", v.name), span: n.span };
                        let value = st.ids.expr(
                            ExprKind::Field(Box::new(m(st, n.span)), field),
                            n.span.lo,
                            n.span.hi,
                        );
                        binds.push(Stmt::Let {
                            mutable: false,
                            name: n.clone(),
                            ty: None,
                            value,
                            tuple: None,
                        });
                    }
                    Some(bin(st, BinOp::Eq, tag, want, s.lo, s.hi))
                }
            };
            match t {
                None => done = true,
                Some(t) => {
                    test = Some(match test.take() {
                        None => t,
                        Some(prev) => bin(st, BinOp::Or, prev, t, at.lo, at.hi),
                    })
                }
            }
        }
        info.push((atoms, arm_span));
        chain.push((if done { None } else { test }, binds, body));
    }
    // Build the `if` chain from the last arm up; the last arm needs no test.
    let mut tail: Option<Expr> = None;
    for (test, binds, body) in chain.into_iter().rev() {
        let bspan = body.span;
        let block = Block { stmts: binds, tail: Some(Box::new(body)), span: bspan };
        tail = Some(match (tail, test) {
            (Some(rest), Some(test)) => {
                st.ids.expr(ExprKind::If(Box::new(test), block, Some(Box::new(rest))), lo, hi)
            }
            _ => st.ids.expr(ExprKind::Block(block), bspan.lo, bspan.hi),
        });
    }
    let tail = tail.unwrap_or_else(|| {
        custom(
            st,
            Diagnostic::error(Span::new(lo, hi), "a `match` needs at least one arm")
                .with_help("add `_ => value`"),
        );
        st.ids.expr(ExprKind::Error, lo, hi)
    });
    let let_m = Stmt::Let { mutable: false, name: hidden.clone(), ty: None, value: scrutinee, tuple: None };
    let desugared = st.ids.expr(
        ExprKind::Block(Block { stmts: vec![let_m], tail: Some(Box::new(tail)), span: Span::new(lo, hi) }),
        lo,
        hi,
    );
    st.ids.expr(ExprKind::Match(Box::new(MatchInfo { scrutinee: sid, arms: info, desugared })), lo, hi)
}

fn pat_span(p: &MPat) -> Span {
    match p {
        MPat::Name(n) => n.span,
        MPat::Int(_, s)
        | MPat::Byte(_, s)
        | MPat::Bool(_, s)
        | MPat::Range(_, _, s)
        | MPat::Variant(_, _, _, s) => *s,
    }
}
