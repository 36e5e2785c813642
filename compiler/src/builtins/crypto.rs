//! Cryptographic builtins: `aes128(key, block)` and `sha256_compress(state, block)`,
//! each its own IR operation blasted through `mpc_circuits::gadgets::{aes, sha256}`
//! (the Bristol word conventions: a `u128` is the big-endian integer of the 16 bytes;
//! SHA-256 word 0 is the most significant 32 bits of the gadget's layout).

use mpc_circuits::gadgets::{aes, sha256};
use mpc_circuits::{Builder, Word};

use super::{node, operand, Builtin, CheckCall, Form, LowerCall, OpRule, R};
use crate::check::Checker;
use crate::ir::Op;
use crate::lower::{Lower, Val};
use crate::types::Ty;

pub(super) const AES128: Builtin = Builtin {
    name: "aes128",
    usage: "`aes128(key, block)`",
    form: Form::Function,
    arity: 2,
    check: check_aes128,
    lower: lower_aes128,
    op: Some(OpRule {
        show: |_| "aes128".into(),
        commutative: false,
        valid: |w, width| w == [128, 128] && width == 128,
        blast: blast_aes128,
        cost: |_| 30_000,
    }),
    roll_blocker: None,
};

pub(super) const SHA256_COMPRESS: Builtin = Builtin {
    name: "sha256_compress",
    usage: "`sha256_compress(state, block)`",
    form: Form::Function,
    arity: 2,
    check: check_sha256_compress,
    lower: lower_sha256_compress,
    op: Some(OpRule {
        show: |_| "sha256compress".into(),
        commutative: false,
        valid: |w, width| w == [256, 512] && width == 256,
        blast: blast_sha256_compress,
        cost: |_| 120_000,
    }),
    roll_blocker: None,
};

/// Each argument checked against (and assignable to) its parameter type.
fn check_params(c: &mut Checker<'_>, call: &CheckCall<'_>, params: [Ty; 2]) {
    for (a, want) in call.args.iter().zip(params) {
        let t = c.expr(a, Some(&want));
        c.expect_assignable(a, &t, &want);
    }
}

fn words(k: u32) -> Ty {
    Ty::Array(Box::new(Ty::UInt(32)), k)
}

fn check_aes128(c: &mut Checker<'_>, call: &CheckCall<'_>) -> Ty {
    check_params(c, call, [Ty::UInt(128), Ty::UInt(128)]);
    Ty::UInt(128)
}

fn check_sha256_compress(c: &mut Checker<'_>, call: &CheckCall<'_>) -> Ty {
    check_params(c, call, [words(8), words(16)]);
    words(8)
}

fn lower_aes128(l: &mut Lower<'_>, call: LowerCall<'_>) -> R<Val> {
    let span = call.expr.span;
    let (x, y) = (l.word(&call.vals[0], span)?, l.word(&call.vals[1], span)?);
    Ok(Val::W(node(l, call.id, Vec::new(), vec![x, y], 128)))
}

/// Word 0 is the most significant 32 bits of the gadget's layout.
fn lower_sha256_compress(l: &mut Lower<'_>, call: LowerCall<'_>) -> R<Val> {
    let span = call.expr.span;
    let mut parts = Vec::new();
    for (v, k) in call.vals.iter().zip([8u32, 16]) {
        let ty = words(k);
        let v = l.coerce(v.clone(), &ty, span)?;
        let mut leaves = Vec::new();
        l.flatten(&v, &ty, &mut leaves)?;
        leaves.reverse();
        parts.push(l.ir.node(Op::Concat, leaves, 32 * k));
    }
    let h = node(l, call.id, Vec::new(), parts, 256);
    Ok(Val::Agg((0..8).map(|i| Val::W(l.ir.node(Op::Slice { lo: 224 - 32 * i }, vec![h], 32))).collect()))
}

fn blast_aes128(b: &mut Builder, _: &[u64], args: &[&Word], _: usize) -> Word {
    aes::aes128(b, &operand(args, 0, 128), &operand(args, 1, 128))
}

fn blast_sha256_compress(b: &mut Builder, _: &[u64], args: &[&Word], _: usize) -> Word {
    sha256::sha256_compress(b, &operand(args, 0, 256), &operand(args, 1, 512))
}
