//! Division with remainder, Rust semantics (truncate toward zero; the remainder has
//! the dividend's sign; `MIN / -1` wraps to `MIN` with remainder 0).
//!
//! Division by zero is defined, as on RISC-V: quotient all ones (`u::MAX`, or `-1`
//! signed) and remainder `x`.
//!
//! Unsigned: non-restoring division on an (n+1)-bit remainder: each of the n steps is
//! one (n+1)-bit add-or-subtract chosen by the previous remainder's sign (n AND), and
//! a final correction adds the divisor back if the remainder is negative (2n-1 AND):
//! n^2 + 2n - 1 AND (4,223 at n = 64; the published udivide64 has 4,285).
//! Signed: conditional negations of the operands and results (n-1 AND each) around
//! the unsigned division, and an `is_zero` test of the divisor.

use super::arith::{add, cond_neg};
use crate::builder::{Bit, Builder, Word};

fn udivrem(b: &mut Builder, x: &Word, y: &Word) -> (Word, Word) {
    let n = x.width();
    let d = y.zext(n + 1);
    let mut r = Word::constant(0, n + 1);
    let mut q = vec![Bit::ZERO; n];
    // sign of r: 1 if negative. Initially 0 (r = 0).
    let mut neg = Bit::ZERO;
    for i in (0..n).rev() {
        // r = 2r + x_i, modulo 2^(n+1).
        let mut bits = vec![x.bit(i)];
        bits.extend_from_slice(&r.bits()[..n]);
        let shifted = Word::from_bits(bits);
        // neg ? shifted + d : shifted - d  =  shifted + (d ^ !neg) + !neg.
        let sub_mode = b.inv(neg);
        let operand = super::xor_bit(b, sub_mode, &d);
        r = super::arith::add_with_carry(b, &shifted, &operand, sub_mode);
        neg = r.msb();
        q[i] = b.inv(neg);
    }
    // Correction: a negative remainder gets d added back.
    let low = r.slice(0..n);
    let fix = super::and_bit(b, neg, y);
    let rem = add(b, &low, &fix);
    (Word::from_bits(q), rem)
}

/// `(x / y, x % y)`, signed or unsigned; see the module docs for division by zero.
pub fn divrem(b: &mut Builder, x: &Word, y: &Word, signed: bool) -> (Word, Word) {
    assert_eq!(x.width(), y.width(), "divrem: operand widths differ");
    if x.width() == 0 {
        return (x.clone(), x.clone());
    }
    if !signed {
        return udivrem(b, x, y);
    }
    let (sx, sy) = (x.msb(), y.msb());
    let ax = cond_neg(b, sx, x);
    let ay = cond_neg(b, sy, y);
    let (uq, ur) = udivrem(b, &ax, &ay);
    // Division by zero: uq is all ones already; keep it (do not negate).
    let zero = super::cmp::is_zero(b, y);
    let nz = b.inv(zero);
    let differ = b.xor(sx, sy);
    let q_neg = b.and(differ, nz);
    (cond_neg(b, q_neg, &uq), cond_neg(b, sx, &ur))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gadgets::testutil::{build, mask, run, sext};
    use proptest::prelude::*;

    #[test]
    fn and_counts() {
        let n = 64;
        let u = build(&[n, n], |b, w| {
            let (q, r) = divrem(b, &w[0], &w[1], false);
            vec![q, r]
        })
        .1;
        assert!(u < n * n + 2 * n, "{u}");
        assert!(u < 4285, "{u}");
        let s = build(&[n, n], |b, w| {
            let (q, r) = divrem(b, &w[0], &w[1], true);
            vec![q, r]
        })
        .1;
        assert!(s < 4664, "{s}");
    }

    fn circuit(w: usize) -> crate::Circuit {
        build(&[w, w], |b, i| {
            let (q, r) = divrem(b, &i[0], &i[1], false);
            let (sq, sr) = divrem(b, &i[0], &i[1], true);
            vec![q, r, sq, sr]
        })
        .0
    }

    fn check(w: usize, x: u128, y: u128) {
        verify(&circuit(w), w, x, y);
    }

    fn verify(c: &crate::Circuit, w: usize, x: u128, y: u128) {
        let m = mask(w);
        let (x, y) = (x & m, y & m);
        let out = run(c, &[x, y]);
        let (uq, ur) = x.checked_div(y).map_or((m, x), |q| (q, x % y));
        let (sx, sy) = (sext(x, w), sext(y, w));
        let (sq, sr) = if y == 0 {
            (m, x)
        } else {
            ((sx.wrapping_div(sy)) as u128 & m, (sx.wrapping_rem(sy)) as u128 & m)
        };
        assert_eq!(out, vec![uq, ur, sq, sr], "w={w} x={x} y={y}");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(40))]
        #[test]
        fn matches_rust(w in 1usize..=64, x: u128, y: u128, small: bool) {
            // Small divisors exercise the interesting quotients.
            check(w, x, if small { y % 5 } else { y });
        }
        #[test]
        fn matches_rust_128(x: u128, y: u128, k in 0u32..128) { check(128, x, y >> k); }
    }

    #[test]
    fn edge_cases() {
        for w in [1usize, 2, 3, 4, 8] {
            let c = circuit(w);
            let m = mask(w);
            for x in 0..=m {
                for y in 0..=m {
                    if w == 8 && x % 7 != 0 && x < 250 {
                        continue;
                    }
                    verify(&c, w, x, y);
                }
            }
        }
    }
}
