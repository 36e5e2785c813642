//! Multiplication.
//!
//! - [`mul`]: the low n bits of `x * y` (the same for signed and unsigned). Schoolbook
//!   with only the partial products below bit n: n(n+1)/2 AND for the products and
//!   (n-1)(n-2)/2 for the adders, n^2 - n + 1 in total (4,033 AND at n = 64, the
//!   published mult64's count). From [`KARATSUBA_TRUNC`] bits up it splits in halves: the low halves'
//!   full product (Karatsuba) plus the two truncated cross products.
//! - [`mul_full`]: all 2n bits. Schoolbook (n^2 products, n(n-1) adder AND) below
//!   [`KARATSUBA_FULL`] bits, Karatsuba above (three half-size products). Signed
//!   products subtract `y << n` if `x < 0` and `x << n` if `y < 0` from the unsigned one.

use super::arith::{add, add_carry, sub};
use crate::builder::{Bit, Builder, Word};

/// Width from which [`mul_full`] uses Karatsuba (measured: it saves AND gates from
/// here on; see the `karatsuba_threshold` test).
pub const KARATSUBA_FULL: usize = 20;
/// Width from which [`mul`] (truncated) splits into halves.
pub const KARATSUBA_TRUNC: usize = 96;

/// `x * y` modulo `2^n`.
pub fn mul(b: &mut Builder, x: &Word, y: &Word) -> Word {
    assert_eq!(x.width(), y.width(), "mul: operand widths differ");
    let n = x.width();
    if n >= KARATSUBA_TRUNC {
        let h = n / 2;
        let (x0, x1) = (x.slice(0..h), x.slice(h..n));
        let (y0, y1) = (y.slice(0..h), y.slice(h..n));
        // x*y mod 2^n = x0*y0 + ((x1*y0 + x0*y1) mod 2^(n-h)) << h.
        let low = mul_full(b, &x0, &y0, false); // 2h bits
        let m = n - h;
        let c1 = mul(b, &x1, &y0.zext(m));
        let c2 = mul(b, &x0.zext(m), &y1);
        let cross = add(b, &c1, &c2);
        let low_hi = low.slice(h..2 * h).zext(m);
        let hi = add(b, &low_hi, &cross);
        return low.slice(0..h).concat(&hi);
    }
    schoolbook_trunc(b, x, y)
}

fn schoolbook_trunc(b: &mut Builder, x: &Word, y: &Word) -> Word {
    let n = x.width();
    let mut acc: Vec<Bit> = (0..n).map(|j| b.and(x.bit(j), y.bit(0))).collect();
    for i in 1..n {
        let row: Vec<Bit> = (0..n - i).map(|j| b.and(x.bit(j), y.bit(i))).collect();
        let hi = add(b, &Word::from_bits(acc[i..].to_vec()), &Word::from_bits(row));
        acc.truncate(i);
        acc.extend_from_slice(hi.bits());
    }
    Word::from_bits(acc)
}

fn schoolbook_full(b: &mut Builder, x: &Word, y: &Word) -> Word {
    let n = x.width();
    // Before row i, acc holds the sum of rows 0..i as n + i bits.
    let mut acc: Vec<Bit> = (0..n).map(|j| b.and(x.bit(j), y.bit(0))).collect();
    acc.push(Bit::ZERO);
    for i in 1..n {
        let row: Vec<Bit> = (0..n).map(|j| b.and(x.bit(j), y.bit(i))).collect();
        let (s, c) = add_carry(b, &Word::from_bits(acc[i..].to_vec()), &Word::from_bits(row), Bit::ZERO);
        acc.truncate(i);
        acc.extend_from_slice(s.bits());
        acc.push(c);
    }
    acc.truncate(2 * n);
    Word::from_bits(acc)
}

fn unsigned_full(b: &mut Builder, x: &Word, y: &Word) -> Word {
    let n = x.width();
    if n < KARATSUBA_FULL {
        return schoolbook_full(b, x, y);
    }
    let h = n / 2;
    let m = n - h; // high halves have m >= h bits
    let (x0, x1) = (x.slice(0..h).zext(m), x.slice(h..n));
    let (y0, y1) = (y.slice(0..h).zext(m), y.slice(h..n));
    let z0 = unsigned_full(b, &x.slice(0..h), &y.slice(0..h)); // 2h bits
    let z2 = unsigned_full(b, &x1, &y1); // 2m bits
    let (sx, cx) = add_carry(b, &x0, &x1, Bit::ZERO);
    let (sy, cy) = add_carry(b, &y0, &y1, Bit::ZERO);
    let sx = sx.concat(&Word::from_bits(vec![cx]));
    let sy = sy.concat(&Word::from_bits(vec![cy]));
    let z1 = unsigned_full(b, &sx, &sy); // 2m + 2 bits
                                         // mid = z1 - z0 - z2 (non-negative, < 2^(2m+1)).
    let w = 2 * m + 1;
    let z1 = z1.slice(0..w);
    let mid = sub(b, &z1, &z0.zext(w));
    let mid = sub(b, &mid, &z2.zext(w));
    // result = z0 + (z2 << 2h) + (mid << h); z0 and z2<<2h do not overlap.
    let base = z0.concat(&z2); // 2h + 2m = 2n bits
    let upper = base.slice(h..2 * n);
    let sum = add(b, &upper, &mid.zext(2 * n - h));
    base.slice(0..h).concat(&sum)
}

/// The full 2n-bit product `x * y`, signed or unsigned.
pub fn mul_full(b: &mut Builder, x: &Word, y: &Word, signed: bool) -> Word {
    assert_eq!(x.width(), y.width(), "mul_full: operand widths differ");
    let n = x.width();
    let p = unsigned_full(b, x, y);
    if !signed || n == 0 {
        return p;
    }
    // As unsigned, a negative x reads x + 2^n: subtract y * 2^n (and x * 2^n for y).
    let hi = p.slice(n..2 * n);
    let ty = super::and_bit(b, x.msb(), y);
    let tx = super::and_bit(b, y.msb(), x);
    let hi = sub(b, &hi, &ty);
    let hi = sub(b, &hi, &tx);
    p.slice(0..n).concat(&hi)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gadgets::testutil::{build, mask, run, sext};
    use proptest::prelude::*;

    #[test]
    fn and_counts() {
        assert_eq!(build(&[64, 64], |b, w| vec![mul(b, &w[0], &w[1])]).1, 4033);
        for n in [1usize, 2, 8, 16] {
            assert_eq!(
                build(&[n, n], |b, w| vec![mul_full(b, &w[0], &w[1], false)]).1,
                2 * n * n - n,
                "n = {n}"
            );
        }
        // Karatsuba beats the published mult2_64 (8,128 AND).
        let k64 = build(&[64, 64], |b, w| vec![mul_full(b, &w[0], &w[1], false)]).1;
        assert!(k64 < 8128, "{k64}");
    }

    #[test]
    fn karatsuba_threshold() {
        // At the threshold Karatsuba is no worse than schoolbook (2n^2 - n).
        let n = KARATSUBA_FULL;
        let k = build(&[n, n], |b, w| vec![mul_full(b, &w[0], &w[1], false)]).1;
        assert!(k <= 2 * n * n - n, "{k} vs {}", 2 * n * n - n);
        let n = KARATSUBA_TRUNC;
        let k = build(&[n, n], |b, w| vec![mul(b, &w[0], &w[1])]).1;
        assert!(k <= n * n - n + 1, "{k} vs {}", n * n - n + 1);
    }

    fn check(w: usize, x: u128, y: u128) {
        let (x, y) = (x & mask(w), y & mask(w));
        let (c, _) = build(&[w, w], |b, i| {
            let u = mul_full(b, &i[0], &i[1], false);
            let s = mul_full(b, &i[0], &i[1], true);
            vec![mul(b, &i[0], &i[1]), u.slice(0..w), u.slice(w..2 * w), s.slice(0..w), s.slice(w..2 * w)]
        });
        let out = run(&c, &[x, y]);
        assert_eq!(out[0], x.wrapping_mul(y) & mask(w));
        if w <= 64 {
            let full = x * y;
            assert_eq!(out[1] | (out[2] << w), full);
            let sfull = (sext(x, w) * sext(y, w)) as u128 & mask(2 * w);
            assert_eq!(out[3] | (out[4] << w), sfull);
        } else {
            assert_eq!(out[1], x.wrapping_mul(y));
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(40))]
        #[test]
        fn matches_rust(w in 1usize..=64, x: u128, y: u128) { check(w, x, y); }
        #[test]
        fn matches_rust_128(x: u128, y: u128) { check(128, x, y); }
    }
}
