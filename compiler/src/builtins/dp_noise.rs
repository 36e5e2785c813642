//! `dp_noise(value, random_a, random_b, EPSILON_NUM, EPSILON_DEN, SENSITIVITY)`:
//! `value` plus two-sided geometric noise drawn inside the circuit from both parties'
//! random bits (`mpc_circuits::gadgets::dp` samples), saturated to the value's range.
//!
//! *Invariants:* the checker accepts only compile-time parameters that
//! `dp::NoiseParams::new` accepts and random arguments of at least
//! `dp::random_bits_needed` bits; lowering traces the random arguments to two
//! different parties' inputs, passed unchanged, and refuses any input bit used twice
//! (in one argument, or by two calls), so noise bits are never constants, mixed or
//! reused. A loop whose body calls it is never rolled (its bits are traced to
//! `main`'s inputs, which a body does not see).
//!
//! Its IR operation's parameters are `[epsilon_num, epsilon_den, sensitivity,
//! signed]`; operands are the value (w bits) and the two random words; the result has
//! w bits.

use mpc_circuits::gadgets::{self, arith, dp};
use mpc_circuits::{Builder, PartyId, Word};

use super::{node, operand, Builtin, CheckCall, Form, LowerCall, OpRule, R};
use crate::ast::{Expr, Span};
use crate::check::Checker;
use crate::diag::Diagnostic;
use crate::ir::{NodeId, Op};
use crate::lower::{err, err_help, Lower, Val};
use crate::types::Ty;

pub(super) const DP_NOISE: Builtin = Builtin {
    name: "dp_noise",
    usage: "`dp_noise(v, ra, rb, EPS_NUM, EPS_DEN, SENS)`",
    form: Form::Function,
    arity: 6,
    check,
    lower,
    op: Some(OpRule {
        show,
        commutative: false,
        valid: |w, width| w.len() == 3 && w[0] == width,
        blast,
        cost: |w| 3 * w,
    }),
    roll_blocker: Some("the body draws DP noise"),
};

/// `dp_noise[ signed] eps=NUM/DEN sens=S`.
fn show(p: &[u64]) -> String {
    let at = |i: usize| p.get(i).copied().unwrap_or(0);
    format!("dp_noise{} eps={}/{} sens={}", if at(3) == 1 { " signed" } else { "" }, at(0), at(1), at(2))
}

/// Gates of one node; zeros (never the noiseless value) for parameters the checker
/// and lowering reject, should a front-end bug ever let them through.
fn blast(b: &mut Builder, p: &[u64], args: &[&Word], w: usize) -> Word {
    let at = |i: usize| p.get(i).copied().unwrap_or(0);
    let empty = Word::default();
    let arg = |i: usize| args.get(i).copied().unwrap_or(&empty);
    match dp::NoiseParams::new(at(0), at(1), at(2)) {
        Ok(params) => noisy(b, &operand(args, 0, w), arg(1), arg(2), &params, at(3) == 1),
        Err(_) => Word::constant(0, w),
    }
}

/// `dp_noise(value, random_a, random_b, EPSILON_NUM, EPSILON_DEN, SENSITIVITY)`:
/// the value is a typed integer (the result has its type), the random arguments
/// have at least [`dp::random_bits_needed`] bits, the last three are compile-time
/// integers with epsilon > 0 and sensitivity > 0. Where the random bits come from
/// (two different parties' inputs, never reused) is checked by lowering, which
/// sees values.
fn check(c: &mut Checker<'_>, call: &CheckCall<'_>) -> Ty {
    let (args, expected) = (call.args, call.expected);
    let vt = c.expr(&args[0], expected.filter(|t| t.is_int()));
    let vt = match vt {
        Ty::UInt(_) | Ty::SInt(_) | Ty::Error => vt,
        other => {
            c.err_help(
                args[0].span,
                format!("`dp_noise` adds noise to a typed integer, found `{}`", c.show(&other)),
                "pass an integer of type `uN` or `iN`, e.g. `x as u32`",
            );
            Ty::Error
        }
    };
    let ra = c.expr(&args[1], None);
    let rb = c.expr(&args[2], None);
    let what = ["epsilon's numerator", "epsilon's denominator", "the sensitivity"];
    let mut consts = [0u64; 3];
    let mut ok = true;
    for (k, a) in args[3..6].iter().enumerate() {
        let t = c.expr(a, None);
        if t.has_error() {
            ok = false;
            continue;
        }
        match c.const_eval(a) {
            None => {
                c.err_help(
                    a.span,
                    format!("{} of `dp_noise` must be a compile-time integer", what[k]),
                    "use a literal or a `const`: the noise distribution is public",
                );
                ok = false;
            }
            Some(v) if v <= 0 => {
                let msg = match k {
                    2 => format!("the sensitivity of `dp_noise` must be positive, found {v}"),
                    _ => format!("epsilon of `dp_noise` must be positive, found {} = {v}", what[k]),
                };
                c.err_help(
                    a.span,
                    msg,
                    "epsilon = EPSILON_NUM / EPSILON_DEN with both positive; the sensitivity is \
                     the most one person's data can change the value (at least 1)",
                );
                ok = false;
            }
            Some(v) => match u64::try_from(v) {
                Ok(v) => consts[k] = v,
                Err(_) => {
                    c.err(a.span, format!("{} of `dp_noise` is too large (at most 2^64 - 1)", what[k]));
                    ok = false;
                }
            },
        }
    }
    if !ok {
        return vt;
    }
    let params = match dp::NoiseParams::new(consts[0], consts[1], consts[2]) {
        Ok(p) => p,
        Err(why) => {
            c.err_help(
                Span::new(args[3].span.lo, args[5].span.hi),
                format!("these `dp_noise` parameters are out of range: {why}"),
                "the noise scale sensitivity / epsilon must be below 2^56",
            );
            return vt;
        }
    };
    let needed = dp::random_bits_needed(&params) as u64;
    for (a, t) in [(&args[1], &ra), (&args[2], &rb)] {
        if t.has_error() {
            continue;
        }
        if t.has_comptime(&c.out.structs) {
            c.err_help(
                a.span,
                "the random bits of `dp_noise` must be a run-time value",
                "pass a party's input, e.g. `ra: [u256; 2] @alice`",
            );
            continue;
        }
        let have = t.width(&c.out.structs);
        if have < needed {
            let k = needed.div_ceil(256);
            c.err_help(
                a.span,
                format!(
                    "`dp_noise` with epsilon = {}/{} and sensitivity {} needs {needed} random bits \
                     from each party, but this argument has {have} (`{}`)",
                    consts[0],
                    consts[1],
                    consts[2],
                    c.show(t)
                ),
                format!("declare the input as `[u256; {k}]` ({} bits; the first {needed} are used)", 256 * k),
            );
        }
    }
    vt
}

/// A `dp_noise` random argument: its first `needed` bits as one word, the party whose
/// input they are, and which input bits (group, index) they are.
type RandomBits = (NodeId, PartyId, Vec<(u32, u32)>);

/// `dp_noise(value, random_a, random_b, EPS_NUM, EPS_DEN, SENSITIVITY)`. The
/// checker has checked types, widths and parameters; here the random arguments are
/// traced to input bits: each must be one party's input passed unchanged, the two
/// parties must differ, and no input bit may feed two `dp_noise` calls (reused
/// randomness would correlate the noise of two releases, whose difference would
/// then reveal the difference of the values exactly).
fn lower(l: &mut Lower<'_>, call: LowerCall<'_>) -> R<Val> {
    let (e, args, vals, ty) = (call.expr, call.args, &call.vals, &call.ty);
    if l.roll.body.is_some() {
        // Its random bits are traced to `main`'s inputs, which a body does not see.
        return l.no_roll("`dp_noise` in a loop body");
    }
    let (Ty::UInt(_) | Ty::SInt(_)) = ty else { return err(e.span, "`dp_noise` needs an integer") };
    let mut consts = [0u64; 3];
    for (k, v) in vals[3..6].iter().enumerate() {
        match l.known_int(v, &Ty::Int).and_then(|c| u64::try_from(c).ok()) {
            Some(c) if c > 0 => consts[k] = c,
            _ => return err(args[3 + k].span, "`dp_noise` needs a positive compile-time integer here"),
        }
    }
    let params = dp::NoiseParams::new(consts[0], consts[1], consts[2])
        .map_err(|why| Box::new(Diagnostic::error(e.span, why)))?;
    let needed = dp::random_bits_needed(&params) as u32;
    let value = l.coerce(vals[0].clone(), ty, args[0].span)?;
    let value = l.word(&value, args[0].span)?;
    let width = l.ir.width(value);
    let (word_a, party_a, bits_a) = random_bits(l, &vals[1], &args[1], needed)?;
    let (word_b, party_b, bits_b) = random_bits(l, &vals[2], &args[2], needed)?;
    if party_a == party_b {
        let name = l.ir.parties.get(party_a.0 as usize).cloned().unwrap_or_default();
        return err_help(
            Span::new(args[1].span.lo, args[2].span.hi),
            format!("both random arguments of `dp_noise` are inputs of party `{name}`"),
            "pass one party's random input and the other party's: the noise is hidden from a \
             party only while the other party's bits are unknown to it",
        );
    }
    // Different parties, so the two arguments cannot share input bits; check that no
    // argument repeats a bit (`[ra[0], ra[0]]` would not be uniform) and earlier calls.
    for (arg, bits) in [(&args[1], &bits_a), (&args[2], &bits_b)] {
        let mut seen = std::collections::HashSet::new();
        if !bits.iter().all(|b| seen.insert(*b)) {
            return err_help(
                arg.span,
                "the random bits of `dp_noise` repeat an input bit",
                "pass each random input bit at most once: repeated bits are not independent",
            );
        }
        if let Some(&first) = bits.iter().find_map(|bit| l.dp_used.get(bit)) {
            let msg = if first == e.span {
                "these random bits are already used by this `dp_noise` call (in an earlier loop \
                 iteration or function call)"
            } else {
                "these random bits are already used by another `dp_noise` call"
            };
            return Err(Box::new(Diagnostic::error(arg.span, msg).with_help(
                "every release needs fresh random bits from both parties: reused bits give \
                 correlated noise, and the difference of two releases would reveal the \
                 difference of their values; give each call its own input (e.g. an array of \
                 them indexed by a constant)",
            )));
        }
    }
    for bit in bits_a.into_iter().chain(bits_b) {
        l.dp_used.insert(bit, e.span);
    }
    let words = [word_a, word_b];
    let params = vec![consts[0], consts[1], consts[2], u64::from(matches!(ty, Ty::SInt(_)))];
    Ok(Val::W(node(l, call.id, params, vec![value, words[0], words[1]], width)))
}

/// The first `needed` bits of a `dp_noise` random argument as one word, the party
/// whose input they are, and the input bits (group, index) they are.
fn random_bits(l: &mut Lower<'_>, v: &Val, arg: &Expr, needed: u32) -> R<RandomBits> {
    let not_input = || {
        err_help(
            arg.span,
            "the random bits of `dp_noise` must be one party's input, passed unchanged",
            "declare an input of `main` such as `ra: [u256; 2] @alice` and pass `ra` itself: \
             computed or constant bits could be known to the other party",
        )
    };
    let ty = l.ck.ty(arg);
    let mut leaves = Vec::new();
    l.flatten(v, &ty, &mut leaves)?;
    let mut used = Vec::new();
    let mut bits = Vec::new();
    let mut party: Option<PartyId> = None;
    let mut pos = 0u32;
    for &leaf in &leaves {
        if pos >= needed {
            break;
        }
        let node = l.ir.get(leaf);
        let (group, lo) = match node.op {
            Op::Input { group } => (group, 0),
            Op::Slice { lo } => match node.args.first().map(|&a| &l.ir.get(a).op) {
                Some(&Op::Input { group }) => (group, lo),
                _ => return not_input(),
            },
            _ => return not_input(),
        };
        let Some(p) = l.ir.inputs.get(group as usize).map(|g| g.party) else { return not_input() };
        if party.is_some_and(|q| q != p) {
            return err_help(
                arg.span,
                "the random bits of `dp_noise` must come from one party's input",
                "this argument mixes two parties' inputs; pass one party's random input",
            );
        }
        party = Some(p);
        let w = node.width;
        let take = w.min(needed - pos);
        bits.extend((lo..lo + take).map(|i| (group, i)));
        used.push(leaf);
        pos += w;
    }
    let Some(party) = party else { return not_input() };
    if pos < needed {
        return err(arg.span, "internal error: too few random bits for `dp_noise`");
    }
    let total: u32 = used.iter().map(|&n| l.ir.width(n)).sum();
    let cat = l.ir.node(Op::Concat, used, total);
    let word = l.ir.node(Op::Slice { lo: 0 }, vec![cat], needed);
    Ok((word, party, bits))
}

/// `value + Z`, saturated to the range of `value`'s type, where `Z` is two-sided
/// geometric noise (`dp::discrete_laplace_noise`) drawn from `random_a ^ random_b`
/// (the first `dp::random_bits_needed` bits of each).
///
/// The sum is computed exactly in `W = max(w, m) + 2` bits (|Z| < 2^m, so it cannot
/// overflow there), then clamped to `[0, 2^w - 1]` (unsigned) or
/// `[-2^(w-1), 2^(w-1) - 1]` (signed) and truncated to `w` bits. Clamping is a public
/// function of the noisy value, so it keeps the privacy guarantee. Cost beyond the
/// sampler: one `W`-bit adder, two ORs over the `W - w` high bits and `w` AND gates
/// for the saturation.
fn noisy(
    b: &mut Builder,
    value: &Word,
    random_a: &Word,
    random_b: &Word,
    params: &dp::NoiseParams,
    signed: bool,
) -> Word {
    let w = value.width();
    if w == 0 {
        return value.clone();
    }
    let n = dp::random_bits_needed(params);
    let random = gadgets::xor(b, &crate::blast::fit(random_a, n), &crate::blast::fit(random_b, n));
    let wide = w.max(params.magnitude_bits) + 2;
    let noise = dp::discrete_laplace_noise(b, &random, params, wide);
    let v = if signed { value.sext(wide) } else { value.zext(wide) };
    let s = arith::add(b, &v, &noise);
    let sign = s.msb();
    // Bits that must all equal the result's sign bit when the sum is in range:
    // positions w..wide-1 (unsigned: all zero) or w-1..wide-1 (signed).
    let first = if signed { w - 1 } else { w };
    let high = &s.bits()[first..wide - 1];
    let any_high = gadgets::or_all(b, high);
    let not_sign = b.inv(sign);
    // above: s > max (non-negative with a high bit set); below: s < min.
    let above = b.and(not_sign, any_high);
    let below = if signed {
        let all_high = gadgets::and_all(b, high);
        let not_all = b.inv(all_high);
        b.and(sign, not_all)
    } else {
        sign
    };
    let out_of_range = b.or(above, below);
    let keep = b.inv(out_of_range);
    // In range: the low w bits of s. Above: max, below: min. For unsigned max is all
    // ones and min zero; for signed max is 0111..1 and min 1000..0.
    let bits = (0..w)
        .map(|i| {
            let kept = b.and(s.bit(i), keep);
            let fill = if signed && i == w - 1 { below } else { above };
            b.xor(kept, fill)
        })
        .collect();
    Word::from_bits(bits)
}
