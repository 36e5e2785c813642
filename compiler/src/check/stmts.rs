//! Statements and places: blocks, `let` (with tuple destructuring), assignments and
//! compound assignments, `return`, assignment targets (indices, fields), and whether
//! a block surely ends in a `return`.
//!
//! *Invariants:* an assignment target is a variable declared `mut` (or a field or
//! element of one); `return` values match the function's return type; a statement
//! after an error keeps being checked with [`crate::types::Ty::Error`] in its place,
//! which reports nothing further.

use std::collections::HashMap;

use super::{Checker, Var};
use crate::ast::*;
use crate::types::Ty;

impl Checker<'_> {
    pub(super) fn block(&mut self, b: &Block, expected: Option<&Ty>) -> Ty {
        self.scopes.push(HashMap::new());
        for s in &b.stmts {
            self.stmt(s);
        }
        let t = match &b.tail {
            Some(e) => self.expr(e, expected),
            None => Ty::unit(),
        };
        self.scopes.pop();
        t
    }

    pub(super) fn stmt(&mut self, s: &Stmt) {
        match s {
            Stmt::Let { mutable, name, ty, value, tuple } => {
                let mut want = ty.as_ref().map(|t| self.resolve_type(t));
                if want.is_none() && *mutable {
                    want = self.inferred.get(&name.span.lo).cloned();
                }
                let untyped = want.is_none() && *mutable;
                let got = self.expr(value, want.as_ref());
                let t = match want {
                    Some(w) => {
                        self.expect_assignable(value, &got, &w);
                        w
                    }
                    None => got,
                };
                let t = match tuple {
                    Some(n) => self.destructured(value, t, *n),
                    None => t,
                };
                if let Some(scope) = self.scopes.last_mut() {
                    let decl = (untyped && t.has_comptime(&self.out.structs)).then_some(name.span.lo);
                    scope.insert(name.name.clone(), Var { ty: t, mutable: *mutable, decl });
                }
            }
            Stmt::Assign { place, op, value, span } => {
                let pt = self.place(place);
                match op {
                    None => {
                        let vt = self.expr(value, Some(&pt));
                        if !self.compatible(&vt, &pt) {
                            self.infer_from(place, &pt, &vt);
                        }
                        if pt == Ty::Int && vt.is_int() && vt != Ty::Int {
                            if !self.assignable(value, &vt, &pt) {
                                let help = self.declare_help(place, &vt);
                                self.err_help(
                                    value.span,
                                    format!(
                                        "mismatched types: expected `{}`, found `{}`",
                                        self.show(&pt),
                                        self.show(&vt)
                                    ),
                                    help,
                                );
                            }
                        } else {
                            self.expect_assignable(value, &vt, &pt);
                        }
                    }
                    Some(op) => {
                        let vt = if matches!(op, BinOp::Shl | BinOp::Shr) {
                            self.expr(value, None)
                        } else {
                            self.expr(value, Some(&pt))
                        };
                        let rt = self.binary_types(*op, *span, &pt, &vt, place, value);
                        if !rt.has_error() && !pt.has_error() && !self.compatible(&rt, &pt) {
                            let msg = format!("`{}=` cannot assign `{}` here", op.symbol(), self.show(&rt));
                            if pt == Ty::Int && rt.is_int() {
                                if !matches!(op, BinOp::Shl | BinOp::Shr) {
                                    self.infer_from(place, &pt, &rt);
                                }
                                let help = self.declare_help(place, &rt);
                                self.err_help(*span, msg, help);
                            } else {
                                self.err(*span, msg);
                            }
                        }
                    }
                }
            }
            Stmt::Expr(e) => {
                self.expr(e, None);
            }
            Stmt::For { var, lo, hi, body, .. } => self.for_loop(var, lo, hi, body),
            Stmt::Return { value, span } => {
                let want = self.ret_ty.clone();
                match value {
                    Some(v) => {
                        let t = self.expr(v, Some(&want));
                        self.expect_returned(v, &t, &want);
                    }
                    None => {
                        if want != Ty::unit() {
                            self.err(*span, format!("`return` needs a value of type `{}`", self.show(&want)));
                        }
                    }
                }
            }
            Stmt::Unbounded(span) => self.err_help(
                *span,
                "unbounded loops are not supported",
                "circuits have a fixed size: use `for i in 0..N { ... }` with a compile-time N",
            ),
            Stmt::Error(_) => {}
        }
    }

    /// The type of the value of `let (a, b, ..) = value;` (`n` names): it must be an
    /// `n`-tuple. The error type otherwise, so that the names bound from it do not
    /// report more errors.
    pub(super) fn destructured(&mut self, value: &Expr, t: Ty, n: usize) -> Ty {
        match &t {
            Ty::Tuple(ts) if ts.len() == n => t,
            Ty::Error => t,
            Ty::Tuple(ts) => {
                self.err_help(
                    value.span,
                    format!("this tuple has {} elements, but the pattern has {n} names", ts.len()),
                    "name every element (`_` for one you do not need)",
                );
                Ty::Error
            }
            _ => {
                self.err_help(
                    value.span,
                    format!("`let (..)` needs a tuple, found `{}`", self.show(&t)),
                    "destructure a tuple such as `f(a)` returning `(u8, u8)`, or use `let x = ...;`",
                );
                Ty::Error
            }
        }
    }

    /// Checks an assignment target; returns its type.
    pub(super) fn place(&mut self, e: &Expr) -> Ty {
        match &e.kind {
            ExprKind::Path(n) => {
                let t = match self.lookup(&n.name) {
                    Some(v) if v.mutable => v.ty.clone(),
                    Some(v) => {
                        let t = v.ty.clone();
                        self.err_help(
                            n.span,
                            format!("cannot assign twice to immutable variable `{}`", n.name),
                            format!("declare it with `let mut {}`", n.name),
                        );
                        t
                    }
                    None => {
                        if self.const_values.contains_key(&n.name)
                            || self.out.consts.iter().any(|c| c.0 == n.name)
                        {
                            self.err(n.span, format!("cannot assign to constant `{}`", n.name));
                        } else {
                            self.err_help(
                                n.span,
                                format!("cannot find variable `{}` in this scope", n.name),
                                format!("declare it first: `let mut {} = ...;`", n.name),
                            );
                            // Later uses of the name are not errors of their own.
                            if let Some(scope) = self.scopes.last_mut() {
                                scope
                                    .insert(n.name.clone(), Var { ty: Ty::Error, mutable: true, decl: None });
                            }
                        }
                        Ty::Error
                    }
                };
                self.set(e, t)
            }
            ExprKind::Index(base, idx) => {
                let bt = self.place(base);
                let t = self.index_type(e, &bt, idx);
                self.set(e, t)
            }
            ExprKind::Field(base, f) => {
                let bt = self.place(base);
                let t = self.field_type(&bt, f);
                self.set(e, t)
            }
            _ => {
                self.expr(e, None);
                self.err_help(
                    e.span,
                    "invalid assignment target",
                    "assign to a variable, an array element `a[i]` or a field `s.f`",
                );
                Ty::Error
            }
        }
    }

    pub(super) fn index_type(&mut self, e: &Expr, bt: &Ty, idx: &Expr) -> Ty {
        let it = self.expr(idx, None);
        if !it.has_error() && !matches!(it, Ty::UInt(_) | Ty::Int) {
            self.err_help(
                idx.span,
                format!("array index must be unsigned, found `{}`", self.show(&it)),
                "cast it: `i as u32`",
            );
        }
        match bt {
            Ty::Array(elem, _) => (**elem).clone(),
            Ty::Error => Ty::Error,
            other => {
                self.err(e.span, format!("cannot index a value of type `{}`", self.show(other)));
                Ty::Error
            }
        }
    }

    pub(super) fn field_type(&mut self, bt: &Ty, f: &Ident) -> Ty {
        match bt {
            Ty::Struct(i) if self.enum_of(*i).is_some() => {
                let found =
                    self.out.structs[*i].fields.iter().find(|(n, _)| n == &f.name).map(|(_, t)| t.clone());
                match found {
                    Some(t) => t,
                    // A payload of a variant that does not exist (made by `match`,
                    // whose pattern is reported).
                    None if f.name.contains('.') => Ty::Error,
                    None => {
                        let name = self.out.structs[*i].name.clone();
                        self.err_help(
                            f.span,
                            format!("enum `{name}` has no fields"),
                            "read its variants' values with `match`",
                        );
                        Ty::Error
                    }
                }
            }
            Ty::Struct(i) => {
                let s = &self.out.structs[*i];
                match s.fields.iter().find(|(n, _)| n == &f.name) {
                    Some((_, t)) => t.clone(),
                    None => {
                        let names: Vec<String> = s.fields.iter().map(|(n, _)| n.clone()).collect();
                        let sname = s.name.clone();
                        self.err_help(
                            f.span,
                            format!("struct `{sname}` has no field `{}`", f.name),
                            format!("its fields are: {}", names.join(", ")),
                        );
                        Ty::Error
                    }
                }
            }
            Ty::Tuple(ts) => match f.name.parse::<usize>().ok().and_then(|i| ts.get(i)) {
                Some(t) => t.clone(),
                None => {
                    self.err(f.span, format!("tuple has no field `{}` (it has {} fields)", f.name, ts.len()));
                    Ty::Error
                }
            },
            Ty::Error => Ty::Error,
            other => {
                self.err(f.span, format!("type `{}` has no fields", self.show(other)));
                Ty::Error
            }
        }
    }
}

/// Whether a block surely ends in a `return`: a `return` statement, or a tail `if`
/// (or block) all of whose branches end in one.
pub(super) fn block_returns(b: &Block) -> bool {
    match &b.tail {
        None => matches!(b.stmts.last(), Some(Stmt::Return { .. })),
        Some(e) => expr_returns(e),
    }
}

/// Whether an `if`/block expression surely ends in a `return` on every branch.
/// Iterative over `else if` chains, recursive only into nested blocks (whose depth
/// the checker limits).
pub(super) fn expr_returns(e: &Expr) -> bool {
    let mut e = e;
    loop {
        match &e.kind {
            ExprKind::Block(b) => return block_returns(b),
            ExprKind::Match(m) => e = &m.desugared,
            ExprKind::If(_, then, Some(el)) => {
                if !block_returns(then) {
                    return false;
                }
                e = el;
            }
            _ => return false,
        }
    }
}
