//! Built-in methods: `xs.len()` (an array's length, a compile-time integer) and
//! `x.bit(i)` (bit `i` of an integer, least significant first: free for a known `i`,
//! a mux tree of n - 1 AND for a secret one). Neither has an IR operation of its own.
//!
//! *Invariant:* the receiver is checked (and lowered) before the arguments.

use super::{err, Builtin, CheckCall, Form, LowerCall, R};
use crate::check::Checker;
use crate::ir::Op;
use crate::lower::{err_help, Lower, Val};
use crate::types::Ty;

pub(super) const LEN: Builtin = Builtin {
    name: "len",
    usage: "`len()` on arrays",
    form: Form::Method,
    arity: 0,
    check: check_len,
    lower: lower_len,
    op: None,
    roll_blocker: None,
};

pub(super) const BIT: Builtin = Builtin {
    name: "bit",
    usage: "`bit(i)` on integers",
    form: Form::Method,
    arity: 1,
    check: check_bit,
    lower: lower_bit,
    op: None,
    roll_blocker: None,
};

fn check_len(c: &mut Checker<'_>, call: &CheckCall<'_>) -> Ty {
    let Some((recv, rt)) = &call.recv else { return Ty::Error };
    match rt {
        Ty::Array(..) => Ty::Int,
        Ty::Error => Ty::Error,
        other => {
            c.err_help(
                recv.span,
                format!("`len()` needs an array, found `{}`", c.show(other)),
                "`xs.len()` and `for x in xs` work on arrays",
            );
            Ty::Error
        }
    }
}

fn check_bit(c: &mut Checker<'_>, call: &CheckCall<'_>) -> Ty {
    let Some((recv, rt)) = &call.recv else { return Ty::Error };
    let it = c.expr(&call.args[0], None);
    if !it.has_error() && !matches!(it, Ty::UInt(_) | Ty::Int) {
        c.err_help(
            call.args[0].span,
            format!("a bit index must be unsigned, found `{}`", c.show(&it)),
            "cast it: `i as u32`",
        );
    }
    match rt {
        Ty::UInt(_) | Ty::SInt(_) => Ty::Bool,
        Ty::Error => Ty::Error,
        other => {
            c.err_help(
                recv.span,
                format!("`bit(i)` needs a typed integer, found `{}`", c.show(other)),
                "give it a type, e.g. `5u8`",
            );
            Ty::Error
        }
    }
}

fn lower_len(l: &mut Lower<'_>, call: LowerCall<'_>) -> R<Val> {
    let span = call.recv.map_or(call.expr.span, |r| r.span);
    match call.recv.map(|r| l.ck.ty(r)) {
        Some(Ty::Array(_, n)) => Ok(Val::C(i128::from(n))),
        _ => err(span, "`len()` needs an array"),
    }
}

fn lower_bit(l: &mut Lower<'_>, call: LowerCall<'_>) -> R<Val> {
    let (Some(recv), [i]) = (call.recv, call.args) else {
        return err(call.expr.span, "`bit` takes one index");
    };
    let rty = l.ck.ty(recv);
    let v = l.expr(recv)?;
    let v = l.coerce(v, &rty, recv.span)?;
    let x = l.word(&v, recv.span)?;
    let w = l.ir.width(x);
    let iv = l.expr(i)?;
    if let Some(k) = l.known_int(&iv, &l.ck.ty(i)) {
        if k < 0 || k >= i128::from(w) {
            return err_help(
                i.span,
                format!("bit index {k} is out of range for a {w}-bit integer"),
                format!("bits are numbered 0 (least significant) to {}", w - 1),
            );
        }
        return Ok(Val::W(l.ir.node(Op::Slice { lo: k as u32 }, vec![x], 1)));
    }
    let bits: Vec<Val> = (0..w).map(|k| Val::W(l.ir.node(Op::Slice { lo: k }, vec![x], 1))).collect();
    let ity = l.ck.ty(i);
    let iv = l.coerce(iv, &ity, i.span)?;
    let idx = l.word(&iv, i.span)?;
    l.mux_tree(idx, &bits, 0, call.expr.span)
}
