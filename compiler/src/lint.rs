//! Warnings: things that compile but are probably mistakes.
//!
//! Run on a program that parsed and checked without errors; never fails, only adds
//! [`Severity::Warning`](crate::diag::Severity) diagnostics, which the CLI prints
//! without failing. The warnings:
//! - an input of `main` that nothing reads (the party still supplies a value);
//! - a variable (a `let`, a `for` variable, a parameter) that nothing reads; a name
//!   starting with `_` silences it, as in Rust;
//! - a program that declares more than two parties (the protocols run two; such a
//!   program was refused only when run).
//!
//! Invariant: the walk is iterative (a worklist), so it copes with any tree the parser
//! accepted, including chains of 100,000 operators; scopes follow blocks exactly as in
//! the checker (a block, a `for` body, a function body each open one), so a use binds
//! to the innermost earlier declaration of its name; a lookup is one hash probe (the
//! walk is linear in the program: 60,000 `let`s in one block are fine).

use std::collections::HashMap;

use crate::ast::{Block, Expr, ExprKind, Ident, Item, Program, Stmt};
use crate::diag::Diagnostic;

/// What a binding is, for the warning's words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Input,
    Param,
    Variable,
}

#[derive(Debug)]
struct Binding<'a> {
    name: &'a Ident,
    kind: Kind,
    used: bool,
}

/// One step of the walk.
enum Work<'a> {
    Expr(&'a Expr),
    Stmt(&'a Stmt),
    /// Opens a scope (a block's or a `for` loop's).
    Open,
    /// Closes the innermost scope, warning about its unused bindings.
    Close,
    Bind(&'a Ident, Kind),
    /// The target of a plain `=`: its root variable is written, not read; indices
    /// inside it are read.
    Place(&'a Expr),
}

/// The warnings for a program that checked without errors.
pub(crate) fn lint(program: &Program) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let parties: Vec<&Ident> =
        program.items.iter().filter_map(|i| if let Item::Party(p) = i { Some(p) } else { None }).collect();
    if let Some(third) = parties.get(2) {
        out.push(
            Diagnostic::warning(third.span, format!("the program declares {} parties", parties.len()))
                .with_help("the protocols run two parties: `mpc eval` evaluates it, but `mpc run` and `mpc local` refuse it"),
        );
    }
    for item in &program.items {
        if let Item::Fn(f) = item {
            let kind = if f.name.name == "main" { Kind::Input } else { Kind::Param };
            let mut work = vec![Work::Close];
            push_block(&f.body, &mut work);
            work.extend(f.params.iter().rev().map(|p| Work::Bind(&p.name, kind)));
            work.push(Work::Open);
            walk(work, &mut out);
        }
    }
    out
}

/// Pushes a block's work (opened and closed) so that its statements run in order.
fn push_block<'a>(b: &'a Block, work: &mut Vec<Work<'a>>) {
    work.push(Work::Close);
    if let Some(t) = &b.tail {
        work.push(Work::Expr(t));
    }
    work.extend(b.stmts.iter().rev().map(Work::Stmt));
    work.push(Work::Open);
}

fn walk<'a>(mut work: Vec<Work<'a>>, out: &mut Vec<Diagnostic>) {
    // The bindings in scope, innermost last; each name's bindings (indices into
    // `bindings`, innermost last) so that a lookup is one hash probe; where each
    // open scope starts in `bindings`.
    let mut bindings: Vec<Binding<'a>> = Vec::new();
    let mut by_name: HashMap<&'a str, Vec<usize>> = HashMap::new();
    let mut marks: Vec<usize> = Vec::new();
    while let Some(w) = work.pop() {
        match w {
            Work::Open => marks.push(bindings.len()),
            Work::Close => {
                let mark = marks.pop().unwrap_or(0);
                let closed = bindings.split_off(mark.min(bindings.len()));
                for b in &closed {
                    if let Some(stack) = by_name.get_mut(b.name.name.as_str()) {
                        stack.pop();
                    }
                }
                out.extend(closed.iter().filter(|b| !b.used).filter_map(unused));
            }
            Work::Bind(name, kind) => {
                by_name.entry(name.name.as_str()).or_default().push(bindings.len());
                bindings.push(Binding { name, kind, used: false });
            }
            Work::Place(e) => match &e.kind {
                ExprKind::Path(_) => {}
                ExprKind::Index(base, idx) => {
                    work.push(Work::Place(base));
                    work.push(Work::Expr(idx));
                }
                ExprKind::Field(base, _) => work.push(Work::Place(base)),
                _ => work.push(Work::Expr(e)),
            },
            Work::Stmt(s) => match s {
                Stmt::Let { name, value, .. } => {
                    // The value is read before the name is bound (`let x = x + 1;`).
                    work.push(Work::Bind(name, Kind::Variable));
                    work.push(Work::Expr(value));
                }
                Stmt::Assign { place, op, value, .. } => {
                    work.push(if op.is_some() { Work::Expr(place) } else { Work::Place(place) });
                    work.push(Work::Expr(value));
                }
                Stmt::Expr(e) => work.push(Work::Expr(e)),
                Stmt::For { var, lo, hi, body, .. } => {
                    work.push(Work::Close);
                    push_block(body, &mut work);
                    work.push(Work::Bind(var, Kind::Variable));
                    work.push(Work::Open);
                    work.push(Work::Expr(hi));
                    work.push(Work::Expr(lo));
                }
                Stmt::Return { value, .. } => work.extend(value.iter().map(Work::Expr)),
                Stmt::Unbounded(_) | Stmt::Error(_) => {}
            },
            Work::Expr(e) => match &e.kind {
                ExprKind::Path(n) => {
                    if let Some(&i) = by_name.get(n.name.as_str()).and_then(|s| s.last()) {
                        bindings[i].used = true;
                    }
                }
                ExprKind::Int(_) | ExprKind::Bool(_) | ExprKind::Tag(..) | ExprKind::Error => {}
                ExprKind::Binary(_, a, b) | ExprKind::Index(a, b) | ExprKind::Repeat(a, b) => {
                    work.push(Work::Expr(b));
                    work.push(Work::Expr(a));
                }
                ExprKind::Method(recv, _, args) => {
                    work.extend(args.iter().rev().map(Work::Expr));
                    work.push(Work::Expr(recv));
                }
                ExprKind::Variant(_, _, args) => {
                    work.extend(args.iter().flatten().rev().map(Work::Expr));
                }
                ExprKind::Closure(param, body) => {
                    work.push(Work::Close);
                    work.push(Work::Expr(body));
                    work.push(Work::Bind(param, Kind::Variable));
                    work.push(Work::Open);
                }
                // The `if` chain the parser rewrote the `match` into holds the scrutinee
                // and the arms' bindings.
                ExprKind::Match(info) => work.push(Work::Expr(&info.desugared)),
                ExprKind::Unary(_, a) | ExprKind::Cast(a, _) | ExprKind::Field(a, _) => {
                    work.push(Work::Expr(a))
                }
                ExprKind::Call(_, items) | ExprKind::Tuple(items) | ExprKind::Array(items) => {
                    work.extend(items.iter().rev().map(Work::Expr));
                }
                ExprKind::StructLit(_, fields) => {
                    work.extend(fields.iter().rev().map(|(_, x)| Work::Expr(x)))
                }
                ExprKind::Block(b) => push_block(b, &mut work),
                ExprKind::If(c, then, els) => {
                    if let Some(x) = els {
                        work.push(Work::Expr(x));
                    }
                    push_block(then, &mut work);
                    work.push(Work::Expr(c));
                }
            },
        }
    }
}

/// The warning for a binding nothing reads, unless its name silences it.
fn unused(b: &Binding<'_>) -> Option<Diagnostic> {
    let n = &b.name.name;
    // `_x` is the programmer's "on purpose"; `(tuple@N)` is a destructuring `let`'s
    // hidden variable (its parts are the user's names).
    if n.starts_with('_') || n.starts_with('(') {
        return None;
    }
    Some(match b.kind {
        Kind::Input => Diagnostic::warning(b.name.span, format!("unused input `{n}`")).with_help(format!(
            "its party still supplies a value; remove it, or name it `_{n}` if that is intended"
        )),
        Kind::Param => Diagnostic::warning(b.name.span, format!("unused parameter `{n}`"))
            .with_help(format!("remove it, or name it `_{n}` if that is intended")),
        Kind::Variable => Diagnostic::warning(b.name.span, format!("unused variable `{n}`"))
            .with_help(format!("remove it, or name it `_{n}` if that is intended")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn warnings(src: &str) -> Vec<String> {
        let (p, d) = crate::parser::parse(src);
        assert!(d.is_empty(), "{d:?}");
        lint(&p.expect("parses")).into_iter().map(|d| d.message).collect()
    }

    #[test]
    fn unused_names() {
        let w = warnings(
            "party a; party b;\n\
             fn f(x: u8, _y: u8, z: u8) -> u8 { let t = x; let _u = 1; z }\n\
             fn main(p: u8 @a, q: u8 @b, _r: u8 @b) -> u8 {\n\
               let mut s = 0u8; for i in 0..4 { s += 1; } let mut w = 1u8; w = 2; f(p, p, s)\n\
             }",
        );
        assert_eq!(
            w,
            ["unused variable `t`", "unused variable `i`", "unused variable `w`", "unused input `q`"]
        );
    }

    #[test]
    fn shadowing_scopes_and_places() {
        // The second `x` reads the first; the inner block's `y` is its own.
        let w = warnings(
            "party a; party b;\n\
             fn main(p: u8 @a, k: u8 @b) -> u8 {\n\
               let x = p; let x = x + 1; let y = 2u8; let z = { let y = x; y };\n\
               let mut m = [0u8; 4]; m[k] = z; m[0]\n\
             }",
        );
        assert_eq!(w, ["unused variable `y`"]);
    }

    #[test]
    fn three_parties() {
        let w =
            warnings("party a; party b; party c; fn main(x: u8 @a, y: u8 @b, z: u8 @c) -> u8 { x + y + z }");
        assert_eq!(w, ["the program declares 3 parties"]);
    }
}
