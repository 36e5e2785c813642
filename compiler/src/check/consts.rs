//! Compile-time integers: array lengths and the evaluation of constant expressions
//! (literals, `const`s, arithmetic on them).
//!
//! *Invariants:* evaluation reports nothing and returns `None` for anything not
//! constant, on overflow or past `MAX_NESTING` levels (so it is total and bounded);
//! an array length is in `0..=MAX_ARRAY_LEN` or reported.

use std::collections::HashMap;

use super::{Checker, MAX_NESTING};
use crate::ast::*;
use crate::types::{parse_literal, MAX_ARRAY_LEN};

impl Checker<'_> {
    pub(super) fn array_len(&mut self, n: &Expr) -> Option<u32> {
        self.scopes.push(HashMap::new());
        self.expr(n, None);
        self.scopes.pop();
        match self.const_eval(n) {
            Some(v) if v >= 0 && (v as u64) <= MAX_ARRAY_LEN => Some(v as u32),
            Some(v) => {
                self.err(n.span, format!("array length {v} is out of range (0..={MAX_ARRAY_LEN})"));
                None
            }
            None => {
                self.err_help(
                    n.span,
                    "array length must be known at compile time",
                    "use a literal or a `const` (inputs are secret and cannot size arrays)",
                );
                None
            }
        }
    }

    /// Evaluates integer expressions over literals and constants (no diagnostics).
    pub(crate) fn const_eval(&self, e: &Expr) -> Option<i128> {
        self.const_eval_at(e, 0)
    }

    pub(super) fn const_eval_at(&self, e: &Expr, depth: usize) -> Option<i128> {
        if depth > MAX_NESTING {
            return None;
        }
        let d = depth + 1;
        match &e.kind {
            ExprKind::Int(t) => parse_literal(t).ok()?.as_i128(),
            ExprKind::Path(n) => self.const_values.get(&n.name).copied(),
            ExprKind::Cast(inner, _) => self.const_eval_at(inner, d),
            ExprKind::Unary(UnOp::Neg, inner) => self.const_eval_at(inner, d)?.checked_neg(),
            ExprKind::Binary(..) => {
                // The chain's left spine in a loop (one level, see `Expr::binary_spine`).
                let (spine, leftmost) = e.binary_spine();
                let mut acc = self.const_eval_at(leftmost, d)?;
                for node in spine.iter().rev() {
                    let ExprKind::Binary(op, _, b) = &node.kind else { return None };
                    acc = Self::const_binary(*op, acc, self.const_eval_at(b, d)?)?;
                }
                Some(acc)
            }
            ExprKind::Block(b) if b.stmts.is_empty() => self.const_eval_at(b.tail.as_ref()?, d),
            _ => None,
        }
    }

    /// `a op b` on compile-time integers; `None` on overflow or a non-integer operator.
    pub(super) fn const_binary(op: BinOp, a: i128, b: i128) -> Option<i128> {
        match op {
            BinOp::Add => a.checked_add(b),
            BinOp::Sub => a.checked_sub(b),
            BinOp::Mul => a.checked_mul(b),
            BinOp::Div => a.checked_div(b),
            BinOp::Rem => a.checked_rem(b),
            BinOp::Shl => {
                u32::try_from(b).ok().and_then(|b| a.checked_shl(b)).filter(|v| v >> b.min(127) == a)
            }
            BinOp::Shr => u32::try_from(b).ok().and_then(|b| a.checked_shr(b)),
            BinOp::BitAnd => Some(a & b),
            BinOp::BitOr => Some(a | b),
            BinOp::BitXor => Some(a ^ b),
            _ => None,
        }
    }
}
