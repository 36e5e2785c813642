//! Loops: the counted `for` (the parser rewrote `for x in xs`, `.enumerate()`,
//! `.rev()` and `..=` into it) and its bounds.
//!
//! *Invariants:* both bounds are integers of one type (a compile-time bound takes the
//! other's type); the counter is immutable and scoped to the body. Whether the bounds
//! are known at compile time is lowering's check (it sees values).

use std::collections::HashMap;

use super::{is_comptime, Checker, Var};
use crate::ast::*;
use crate::types::Ty;

impl Checker<'_> {
    /// `for var in lo..hi { body }` (the parser rewrote every other loop form into
    /// this one): the bounds are integers of one type, the counter is immutable.
    pub(super) fn for_loop(&mut self, var: &Ident, lo: &Expr, hi: &Expr, body: &Block) {
        let lt = self.expr(lo, None);
        let ht = self.expr(hi, Some(&lt));
        let lt = if is_comptime(&lt) && ht.is_int() {
            self.set(lo, ht.clone());
            ht.clone()
        } else {
            lt
        };
        if !lt.has_error() && !ht.has_error() && (!lt.is_integral() || !self.compatible(&ht, &lt)) {
            {
                self.err_help(
                    Span::new(lo.span.lo, hi.span.hi),
                    format!(
                        "loop bounds must be integers of one type, found `{}` and `{}`",
                        self.show(&lt),
                        self.show(&ht)
                    ),
                    "write bounds like `0..N` with a constant N",
                );
            }
        }
        let mut scope = HashMap::new();
        scope.insert(
            var.name.clone(),
            Var { ty: if lt.has_error() { Ty::Int } else { lt }, mutable: false, decl: None },
        );
        self.scopes.push(scope);
        self.block(body, None);
        self.scopes.pop();
    }
}
