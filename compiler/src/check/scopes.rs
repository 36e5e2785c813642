//! Scopes and inference: variable lookup (innermost scope first) and the type of
//! an untyped `let mut` inferred from its first typed assignment.
//!
//! *Invariants:* a scope is pushed for every block, loop body, closure and array
//! length and popped on every path out of it; an inferred type is keyed by the start
//! of the variable's name, so it survives the re-check of the body that uses it
//! (at most `MAX_INFER_PASSES` times).

use super::{Checker, Var};
use crate::ast::*;
use crate::types::Ty;

impl Checker<'_> {
    pub(super) fn lookup(&self, name: &str) -> Option<&Var> {
        self.scopes.iter().rev().find_map(|s| s.get(name))
    }

    /// `place` (a compile-time integer) is assigned a value of run-time type `got`:
    /// when it is an untyped `let mut` variable (or an element of one, through
    /// indices), infer the variable's type from this first typed assignment.
    pub(super) fn infer_from(&mut self, place: &Expr, pt: &Ty, got: &Ty) {
        if *pt != Ty::Int || !matches!(got, Ty::UInt(_) | Ty::SInt(_)) {
            return;
        }
        let mut depth = 0;
        let mut cur = place;
        while let ExprKind::Index(base, _) = &cur.kind {
            depth += 1;
            cur = base;
        }
        let ExprKind::Path(n) = &cur.kind else { return };
        let Some(Var { ty, decl: Some(lo), .. }) = self.lookup(&n.name) else { return };
        // The variable's type must be `[..[{integer}; _]..; _]` with exactly `depth` levels.
        fn rebuild(t: &Ty, depth: usize, got: &Ty) -> Option<Ty> {
            match t {
                Ty::Int if depth == 0 => Some(got.clone()),
                Ty::Array(el, n) if depth > 0 => Some(Ty::Array(Box::new(rebuild(el, depth - 1, got)?), *n)),
                _ => None,
            }
        }
        let lo = *lo;
        let Some(t) = rebuild(ty, depth, got) else { return };
        if let std::collections::hash_map::Entry::Vacant(v) = self.inferred.entry(lo) {
            v.insert(t);
            self.inferred_new = true;
        }
    }

    /// Help for assigning a value of type `got` to a compile-time integer `place`.
    pub(super) fn declare_help(&self, place: &Expr, got: &Ty) -> String {
        let mut cur = place;
        while let ExprKind::Index(base, _) | ExprKind::Field(base, _) = &cur.kind {
            cur = base;
        }
        let name = match &cur.kind {
            ExprKind::Path(n) => n.name.as_str(),
            _ => "s",
        };
        let t = self.show(got);
        if matches!(place.kind, ExprKind::Field(..)) || !matches!(cur.kind, ExprKind::Path(_)) {
            return format!(
                "`{name}` holds compile-time integers: give the integers in its declaration a type, e.g. `0{t}` instead of `0`"
            );
        }
        format!(
            "`{name}` holds compile-time integers: give it a type where it is declared, \
             e.g. `let mut {name} = 0{t};` (write `0{t}`, not `0`) or `let mut {name}: {t} = ...;`"
        )
    }
}
