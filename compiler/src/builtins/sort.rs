//! Sorting builtins: `sort(xs)` (integers, ascending) and `sort_by_key(xs, |x| key)`
//! (any element type, stable). Both lower to the IR's own `Sort` operation (a
//! sorting network, which the program form may stream as loops: see `emit.rs`), so
//! neither has an operation of its own.
//!
//! *Invariant:* the closure of `sort_by_key` is checked and lowered once per
//! element with only its parameter in a fresh innermost scope; it is never a value.

use std::collections::HashMap;

use super::{err, Builtin, CheckCall, Form, LowerCall, R};
use crate::ast::ExprKind;
use crate::check::{Checker, Var};
use crate::ir::{NodeId, Op};
use crate::lower::{Lower, Scope, Val};
use crate::types::Ty;

pub(super) const SORT: Builtin = Builtin {
    name: "sort",
    usage: "`sort(xs)`",
    form: Form::Function,
    arity: 1,
    check: check_sort,
    lower: lower_sort,
    op: None,
    roll_blocker: None,
};

pub(super) const SORT_BY_KEY: Builtin = Builtin {
    name: "sort_by_key",
    usage: "`sort_by_key(xs, |x| key)`",
    form: Form::Function,
    arity: 2,
    check: check_sort_by_key,
    lower: lower_sort_by_key,
    op: None,
    roll_blocker: None,
};

fn check_sort(c: &mut Checker<'_>, call: &CheckCall<'_>) -> Ty {
    let t = c.expr(&call.args[0], call.expected);
    match &t {
        Ty::Array(el, _) if el.is_int() => t,
        Ty::Error => Ty::Error,
        _ => {
            c.err(call.args[0].span, format!("`sort` needs an array of integers, found `{}`", c.show(&t)));
            Ty::Error
        }
    }
}

/// `sort_by_key(xs, |x| key)`: `xs` an array of any element type, the key a typed
/// integer expression of one element; the result has the type of `xs`.
fn check_sort_by_key(c: &mut Checker<'_>, call: &CheckCall<'_>) -> Ty {
    let args = call.args;
    let t = c.expr(&args[0], None);
    let ExprKind::Closure(x, body) = &args[1].kind else {
        c.expr(&args[1], None);
        c.err_help(
            args[1].span,
            "the second argument of `sort_by_key` is a closure",
            "write `sort_by_key(xs, |x| x.field)`",
        );
        return Ty::Error;
    };
    let el = match &t {
        Ty::Array(el, _) if el.has_comptime(&c.out.structs) => {
            c.err_help(
                args[0].span,
                "`sort_by_key` needs elements of a run-time type",
                "give the elements a type, e.g. `[3u8, 1, 2]`",
            );
            Ty::Error
        }
        Ty::Array(el, _) => (**el).clone(),
        Ty::Error => Ty::Error,
        other => {
            c.err(args[0].span, format!("`sort_by_key` needs an array, found `{}`", c.show(other)));
            Ty::Error
        }
    };
    let mut scope = HashMap::new();
    scope.insert(x.name.clone(), Var { ty: el, mutable: false, decl: None });
    c.scopes.push(scope);
    let kt = c.expr(body, None);
    c.scopes.pop();
    c.set(&args[1], kt.clone());
    match kt {
        Ty::UInt(_) | Ty::SInt(_) => t,
        Ty::Error => Ty::Error,
        other => {
            c.err_help(
                body.span,
                format!("the key of `sort_by_key` must be a typed integer, found `{}`", c.show(&other)),
                "return a field such as `x.amount`, or cast: `x.flag as u8`",
            );
            Ty::Error
        }
    }
}

fn lower_sort(l: &mut Lower<'_>, call: LowerCall<'_>) -> R<Val> {
    let span = call.expr.span;
    let Val::Agg(items) = &call.vals[0] else { return err(span, "`sort` needs an array") };
    let Ty::Array(el, _) = &call.ty else { return err(span, "`sort` needs an array") };
    let el = (**el).clone();
    let signed = matches!(el, Ty::SInt(_));
    let mut leaves = Vec::new();
    for it in items {
        let it = l.coerce(it.clone(), &el, span)?;
        leaves.push(l.word(&it, span)?);
    }
    if leaves.is_empty() {
        return Ok(Val::Agg(Vec::new()));
    }
    let ew = l.ir.width(leaves[0]);
    let count = leaves.len() as u32;
    let s = l.ir.node(Op::Sort { signed, desc: false, key: 0 }, leaves, ew * count);
    Ok(Val::Agg((0..count).map(|i| Val::W(l.ir.node(Op::Slice { lo: i * ew }, vec![s], ew))).collect()))
}

/// Each element as one word `key ‖ index ‖ element` (the key in the top bits, the
/// element's position below it so that equal keys keep their order, as Rust's stable
/// `sort_by_key` does), sorted by a network that compares the top `key + index` bits
/// and swaps whole words; then the elements.
fn lower_sort_by_key(l: &mut Lower<'_>, call: LowerCall<'_>) -> R<Val> {
    let (e, args) = (call.expr, call.args);
    let (Val::Agg(items), Ty::Array(el, _)) = (&call.vals[0], &call.ty) else {
        return err(e.span, "`sort_by_key` needs an array");
    };
    let ExprKind::Closure(x, body) = &args[1].kind else {
        return err(args[1].span, "expected a closure");
    };
    let el = (**el).clone();
    let kty = l.ck.ty(&args[1]);
    let signed = matches!(kty, Ty::SInt(_));
    let n = items.len() as u32;
    let iw = 32 - n.leading_zeros(); // index bits: n itself fits, so no index is all ones
    let mut words = Vec::with_capacity(items.len());
    let mut pw = 0;
    for (i, it) in items.iter().enumerate() {
        let it = l.coerce(it.clone(), &el, e.span)?;
        let mut scope = Scope::default();
        scope.push((x.name.clone(), it.clone()));
        l.scopes.push(scope);
        let k = l.expr(body);
        l.scopes.pop();
        let k = l.coerce(k?, &kty, body.span)?;
        let k = l.word(&k, body.span)?;
        let mut leaves = Vec::new();
        l.flatten(&it, &el, &mut leaves)?;
        pw = leaves.iter().map(|&x| l.ir.width(x)).sum::<u32>();
        leaves.push(l.ir.const_int(i as i128, iw));
        let kw = l.ir.width(k);
        leaves.push(k);
        words.push((leaves, pw + iw + kw, kw));
    }
    let Some(&(_, ew, kw)) = words.first() else { return Ok(Val::Agg(Vec::new())) };
    let leaves: Vec<NodeId> = words.into_iter().map(|(x, w, _)| l.ir.node(Op::Concat, x, w)).collect();
    let sorted = l.ir.node(Op::Sort { signed, desc: false, key: kw + iw }, leaves, ew * n);
    let mut out = Vec::with_capacity(n as usize);
    for i in 0..n {
        let word = l.ir.node(Op::Slice { lo: i * ew }, vec![sorted], ew);
        let mut off = 0;
        out.push(if pw == 0 { l.zero(&el) } else { l.unflatten(word, &el, &mut off) });
    }
    Ok(Val::Agg(out))
}
