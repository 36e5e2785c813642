//! Integer builtins: `min`, `max`, `abs`, `popcount`, `hamming` (each its own IR
//! operation, blasted through `mpc_circuits::gadgets::{select, arith, count}`) and
//! `mul_wide` (the full product, lowered to `Mul` of two `Ext`s, which the IR passes
//! turn into `MulFull`).
//!
//! *Invariant:* `min`/`max`/`hamming` check both operands as one binary operation
//! (the rules of `+`: one run-time integer type, literals coerced to it).

use mpc_circuits::gadgets::{arith, count, select};
use mpc_circuits::{Bit, Builder, Word};

use super::{node, operand, Builtin, CheckCall, Form, LowerCall, OpRule, R};
use crate::ast::BinOp;
use crate::check::{is_comptime, Checker};
use crate::ir::Op;
use crate::lower::{Lower, Val};
use crate::types::{Ty, MAX_INT_WIDTH};

pub(super) const MIN: Builtin = Builtin {
    name: "min",
    usage: "`min(a, b)`",
    form: Form::Function,
    arity: 2,
    check: check_pair,
    lower: lower_select,
    op: Some(select_rule(false)),
    roll_blocker: None,
};

pub(super) const MAX: Builtin = Builtin {
    name: "max",
    usage: "`max(a, b)`",
    form: Form::Function,
    arity: 2,
    check: check_pair,
    lower: lower_select,
    op: Some(select_rule(true)),
    roll_blocker: None,
};

pub(super) const ABS: Builtin = Builtin {
    name: "abs",
    usage: "`abs(x)`",
    form: Form::Function,
    arity: 1,
    check: check_abs,
    lower: lower_abs,
    op: Some(OpRule {
        show: |_| "abs".into(),
        commutative: false,
        valid: |w, width| w == [width],
        blast: blast_abs,
        cost: |w| 3 * w,
    }),
    roll_blocker: None,
};

pub(super) const POPCOUNT: Builtin = Builtin {
    name: "popcount",
    usage: "`popcount(x)`",
    form: Form::Function,
    arity: 1,
    check: check_popcount,
    lower: lower_popcount,
    op: Some(OpRule {
        show: |_| "popcount".into(),
        commutative: false,
        valid: |w, _| w.len() == 1,
        blast: |b, _, args, w| {
            count::popcount(b, &operand(args, 0, args.first().map_or(0, |x| x.width()))).zext(w)
        },
        cost: |w| 3 * w,
    }),
    roll_blocker: None,
};

pub(super) const HAMMING: Builtin = Builtin {
    name: "hamming",
    usage: "`hamming(a, b)`",
    form: Form::Function,
    arity: 2,
    check: check_pair,
    lower: lower_hamming,
    op: Some(OpRule {
        show: |_| "hamming".into(),
        commutative: true,
        valid: |w, _| w.len() == 2 && w[0] == w[1],
        blast: blast_hamming,
        cost: |w| 3 * w,
    }),
    roll_blocker: None,
};

pub(super) const MUL_WIDE: Builtin = Builtin {
    name: "mul_wide",
    usage: "`mul_wide(a, b)`",
    form: Form::Function,
    arity: 2,
    check: check_mul_wide,
    lower: lower_mul_wide,
    op: None,
    roll_blocker: None,
};

/// `min`/`max` (`params[0]`: signed) as `umin`/`smin`, `umax`/`smax`.
const fn select_rule(max: bool) -> OpRule {
    OpRule {
        show: if max { show_max } else { show_min },
        commutative: true,
        valid: |w, width| w == [width, width],
        blast: if max { blast_max } else { blast_min },
        cost: |w| 3 * w,
    }
}

fn show_min(p: &[u64]) -> String {
    if p.first() == Some(&1) { "smin" } else { "umin" }.into()
}

fn show_max(p: &[u64]) -> String {
    if p.first() == Some(&1) { "smax" } else { "umax" }.into()
}

/// `min(a, b)`, `max(a, b)`, `hamming(a, b)`: one integer type (the result's for
/// `min`/`max`, `u32` for `hamming`).
fn check_pair(c: &mut Checker<'_>, call: &CheckCall<'_>) -> Ty {
    let (e, args) = (call.expr, call.args);
    let n = call.name;
    let exp = if n == "hamming" { None } else { call.expected.filter(|t| t.is_int()) };
    let at = c.expr(&args[0], exp);
    let hint = if is_comptime(&at) { exp.cloned() } else { Some(at.clone()) };
    let bt = c.expr(&args[1], hint.as_ref());
    let t = c.binary_types(BinOp::Add, e.span, &at, &bt, &args[0], &args[1]);
    if t == Ty::Int {
        c.err_help(e.span, format!("`{n}` needs typed integers"), "give one argument a type, e.g. `5u32`");
        return Ty::Error;
    }
    if n == "hamming" && !t.has_error() {
        return Ty::UInt(32);
    }
    t
}

fn check_abs(c: &mut Checker<'_>, call: &CheckCall<'_>) -> Ty {
    let t = c.expr(&call.args[0], call.expected);
    match t {
        Ty::SInt(_) | Ty::Error => t,
        _ => {
            c.err(call.args[0].span, format!("`abs` needs a signed integer, found `{}`", c.show(&t)));
            Ty::Error
        }
    }
}

fn check_popcount(c: &mut Checker<'_>, call: &CheckCall<'_>) -> Ty {
    let t = c.expr(&call.args[0], None);
    match t {
        Ty::UInt(_) | Ty::SInt(_) | Ty::Bool => Ty::UInt(32),
        Ty::Error => Ty::Error,
        _ => {
            c.err(call.args[0].span, format!("`popcount` needs a typed integer, found `{}`", c.show(&t)));
            Ty::Error
        }
    }
}

/// `mul_wide(a, b)`: `uN, uN -> u2N` or `iN, iN -> i2N`, N at most 128.
fn check_mul_wide(c: &mut Checker<'_>, call: &CheckCall<'_>) -> Ty {
    let (e, args) = (call.expr, call.args);
    let at = c.expr(&args[0], None);
    let bt = c.expr(&args[1], Some(&at));
    let t = c.binary_types(BinOp::Mul, e.span, &at, &bt, &args[0], &args[1]);
    match t {
        Ty::UInt(w) if w <= MAX_INT_WIDTH / 2 => Ty::UInt(2 * w),
        Ty::SInt(w) if w <= MAX_INT_WIDTH / 2 => Ty::SInt(2 * w),
        Ty::Error => Ty::Error,
        t => {
            c.err_help(
                e.span,
                format!(
                    "`mul_wide` needs two typed integers of one type, at most 128 bits, found `{}`",
                    c.show(&t)
                ),
                "give the operands a type, e.g. `mul_wide(a, b)` with `a, b: u32` gives a `u64`",
            );
            Ty::Error
        }
    }
}

/// Whether the first argument is signed (its checked type).
fn first_signed(l: &Lower<'_>, call: &LowerCall<'_>) -> bool {
    matches!(call.args.first().map(|a| l.ck.ty(a)), Some(Ty::SInt(_)))
}

/// The first two values as words.
fn two_words(l: &mut Lower<'_>, call: &LowerCall<'_>) -> R<(crate::ir::NodeId, crate::ir::NodeId)> {
    let span = call.expr.span;
    Ok((l.word(&call.vals[0], span)?, l.word(&call.vals[1], span)?))
}

fn lower_select(l: &mut Lower<'_>, call: LowerCall<'_>) -> R<Val> {
    let signed = first_signed(l, &call);
    let (x, y) = two_words(l, &call)?;
    let width = l.ir.width(x);
    Ok(Val::W(node(l, call.id, vec![u64::from(signed)], vec![x, y], width)))
}

fn lower_abs(l: &mut Lower<'_>, call: LowerCall<'_>) -> R<Val> {
    let x = l.word(&call.vals[0], call.expr.span)?;
    let width = l.ir.width(x);
    Ok(Val::W(node(l, call.id, Vec::new(), vec![x], width)))
}

fn lower_popcount(l: &mut Lower<'_>, call: LowerCall<'_>) -> R<Val> {
    let x = l.word(&call.vals[0], call.expr.span)?;
    Ok(Val::W(node(l, call.id, Vec::new(), vec![x], 32)))
}

fn lower_hamming(l: &mut Lower<'_>, call: LowerCall<'_>) -> R<Val> {
    let (x, y) = two_words(l, &call)?;
    Ok(Val::W(node(l, call.id, Vec::new(), vec![x, y], 32)))
}

/// Both operands extended to the product's width: the IR passes make this the
/// full-product multiplier (`passes::widening_product`).
fn lower_mul_wide(l: &mut Lower<'_>, call: LowerCall<'_>) -> R<Val> {
    let signed = first_signed(l, &call);
    let (Ty::UInt(w2) | Ty::SInt(w2)) = call.ty else {
        return super::err(call.expr.span, "`mul_wide` needs integers");
    };
    let (x, y) = two_words(l, &call)?;
    let x = l.ir.node(Op::Ext { signed }, vec![x], w2);
    let y = l.ir.node(Op::Ext { signed }, vec![y], w2);
    Ok(Val::W(l.ir.node(Op::Mul, vec![x, y], w2)))
}

fn blast_min(b: &mut Builder, p: &[u64], args: &[&Word], w: usize) -> Word {
    select::min(b, &operand(args, 0, w), &operand(args, 1, w), p.first() == Some(&1))
}

fn blast_max(b: &mut Builder, p: &[u64], args: &[&Word], w: usize) -> Word {
    select::max(b, &operand(args, 0, w), &operand(args, 1, w), p.first() == Some(&1))
}

fn blast_abs(b: &mut Builder, _: &[u64], args: &[&Word], w: usize) -> Word {
    let x = operand(args, 0, w);
    let s = x.bits().last().copied().unwrap_or(Bit::ZERO);
    arith::cond_neg(b, s, &x)
}

fn blast_hamming(b: &mut Builder, _: &[u64], args: &[&Word], w: usize) -> Word {
    let xw = args.first().map_or(0, |x| x.width());
    let x = operand(args, 0, xw);
    let y = operand(args, 1, xw);
    count::hamming(b, &x, &y).zext(w)
}
