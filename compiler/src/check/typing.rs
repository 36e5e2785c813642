//! Types: written types resolved to [`Ty`], the type recorded for each
//! expression, and assignability (where compile-time integers coerce).
//!
//! *Invariants:* an integer width is in 1..=`MAX_INT_WIDTH` and a value at most
//! `MAX_VALUE_BITS` bits, else the type is [`Ty::Error`] after one error;
//! [`Checker::set`] is the only writer of `Checked::expr_types`; a mismatch involving
//! [`Ty::Error`] is never reported (one error per mistake).

use super::Checker;
use crate::ast::*;
use crate::types::{int_type_name, Ty, MAX_INT_WIDTH, MAX_VALUE_BITS};

impl Checker<'_> {
    pub(super) fn resolve_type(&mut self, t: &Type) -> Ty {
        match &t.kind {
            TypeKind::Named(n) => {
                if n.name == "bool" {
                    return Ty::Bool;
                }
                if let Some((signed, w)) = int_type_name(&n.name) {
                    if w == 0 || w > u64::from(MAX_INT_WIDTH) {
                        self.err_help(
                            n.span,
                            format!("integer width {w} is out of range"),
                            "integer types are u1..u256 and i1..i256",
                        );
                        return Ty::Error;
                    }
                    let w = w as u32;
                    return if signed { Ty::SInt(w) } else { Ty::UInt(w) };
                }
                match self.out.struct_index.get(&n.name) {
                    Some(&i) => Ty::Struct(i),
                    None => {
                        self.err_help(
                            n.span,
                            format!("unknown type `{}`", n.name),
                            "types are bool, uN, iN, [T; N], tuples and declared structs",
                        );
                        Ty::Error
                    }
                }
            }
            TypeKind::Tuple(ts) => Ty::Tuple(ts.iter().map(|t| self.resolve_type(t)).collect()),
            TypeKind::Array(elem, n) => {
                let e = self.resolve_type(elem);
                let Some(len) = self.array_len(n) else { return Ty::Error };
                let ty = Ty::Array(Box::new(e), len);
                if ty.width(&self.out.structs) > MAX_VALUE_BITS {
                    self.err(t.span, format!("type is too large (more than {MAX_VALUE_BITS} bits)"));
                    return Ty::Error;
                }
                ty
            }
        }
    }

    pub(crate) fn set(&mut self, e: &Expr, t: Ty) -> Ty {
        self.out.expr_types.insert(e.id, t.clone());
        t
    }

    /// Whether a value of type `got` may be used where `want` is expected; on success
    /// records the coercion of compile-time integers on `e`.
    pub(super) fn assignable(&mut self, e: &Expr, got: &Ty, want: &Ty) -> bool {
        if got == want || got.has_error() || want.has_error() {
            return true;
        }
        if self.compatible(got, want) {
            self.set(e, want.clone());
            return true;
        }
        false
    }

    pub(super) fn compatible(&self, got: &Ty, want: &Ty) -> bool {
        match (got, want) {
            (a, b) if a == b => true,
            (Ty::Int, w) => w.is_integral(),
            (Ty::Array(a, n), Ty::Array(b, m)) => n == m && self.compatible(a, b),
            (Ty::Tuple(a), Ty::Tuple(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| self.compatible(x, y))
            }
            _ => false,
        }
    }

    pub(crate) fn expect_assignable(&mut self, e: &Expr, got: &Ty, want: &Ty) {
        if !self.assignable(e, got, want) {
            let help = if got.is_int() && want.is_int() {
                format!("convert it with `as`: `(...) as {}`", self.show(want))
            } else {
                "change the value or the declared type".to_string()
            };
            self.err_help(
                e.span,
                format!("mismatched types: expected `{}`, found `{}`", self.show(want), self.show(got)),
                help,
            );
        }
    }

    /// Like [`Self::expect_assignable`] for a returned value; also accepts the element
    /// of a one-element tuple return type (`x` for `-> (m: u8)`, as if `(x,)`).
    pub(super) fn expect_returned(&mut self, e: &Expr, got: &Ty, want: &Ty) {
        if let Ty::Tuple(ts) = want {
            if let [t] = ts.as_slice() {
                if !self.compatible(got, want) && !got.has_error() && self.assignable(e, got, t) {
                    self.out.wrap_single.insert(e.id);
                    return;
                }
            }
        }
        self.expect_assignable(e, got, want);
    }
}
