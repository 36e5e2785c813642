//! Addition, subtraction and negation: ripple-carry with one AND per carry
//! (`c' = c ^ ((x ^ c) & (y ^ c))`), so `n`-bit wrapping add/sub cost n-1 AND and
//! with a carry out n AND. Results wrap modulo `2^n`.

use crate::builder::{Bit, Builder, Word};

/// Sum bits and the final carry of `x + y + carry_in`; `want_carry` decides whether
/// the last carry is computed (one AND).
fn ripple(b: &mut Builder, x: &Word, y: &Word, carry_in: Bit, want_carry: bool) -> (Word, Bit) {
    assert_eq!(x.width(), y.width(), "add: operand widths differ");
    let n = x.width();
    let mut c = carry_in;
    let mut sum = Vec::with_capacity(n);
    for i in 0..n {
        let (xi, yi) = (x.bit(i), y.bit(i));
        let t = b.xor(xi, yi);
        sum.push(b.xor(t, c));
        if i + 1 < n || want_carry {
            let a = b.xor(xi, c);
            let d = b.xor(yi, c);
            let m = b.and(a, d);
            c = b.xor(c, m);
        }
    }
    (Word::from_bits(sum), c)
}

/// `x + y` modulo `2^n` (n-1 AND).
pub fn add(b: &mut Builder, x: &Word, y: &Word) -> Word {
    ripple(b, x, y, Bit::ZERO, false).0
}

/// `x + y + carry_in` and the carry out (n AND).
pub fn add_carry(b: &mut Builder, x: &Word, y: &Word, carry_in: Bit) -> (Word, Bit) {
    ripple(b, x, y, carry_in, true)
}

/// `x + y + carry_in` modulo `2^n` (n-1 AND).
pub fn add_with_carry(b: &mut Builder, x: &Word, y: &Word, carry_in: Bit) -> Word {
    ripple(b, x, y, carry_in, false).0
}

/// `x - y` modulo `2^n` (n-1 AND).
pub fn sub(b: &mut Builder, x: &Word, y: &Word) -> Word {
    let ny = super::not(b, y);
    ripple(b, x, &ny, Bit::ONE, false).0
}

/// `x - y` modulo `2^n` and the borrow (1 iff `x < y` as unsigned; n AND).
pub fn sub_borrow(b: &mut Builder, x: &Word, y: &Word) -> (Word, Bit) {
    let ny = super::not(b, y);
    let (d, carry) = ripple(b, x, &ny, Bit::ONE, true);
    let borrow = b.inv(carry);
    (d, borrow)
}

/// `-x` modulo `2^n` (n-2 AND for n >= 2).
pub fn neg(b: &mut Builder, x: &Word) -> Word {
    let zero = Word::constant(0, x.width());
    sub(b, &zero, x)
}

/// `if negate { -x } else { x }` modulo `2^n`, as `(x ^ negate) + negate`
/// (n-1 AND).
pub fn cond_neg(b: &mut Builder, negate: Bit, x: &Word) -> Word {
    let flipped = super::xor_bit(b, negate, x);
    let zero = Word::constant(0, x.width());
    ripple(b, &flipped, &zero, negate, false).0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gadgets::testutil::{build, mask, run};
    use proptest::prelude::*;

    #[test]
    fn and_counts() {
        for n in [1usize, 2, 8, 64, 128] {
            assert_eq!(build(&[n, n], |b, w| vec![add(b, &w[0], &w[1])]).1, n - 1);
            assert_eq!(build(&[n, n], |b, w| vec![sub(b, &w[0], &w[1])]).1, n - 1);
            assert_eq!(
                build(&[n, n], |b, w| {
                    let (s, c) = add_carry(b, &w[0], &w[1], Bit::ZERO);
                    vec![s, Word::from_bits(vec![c])]
                })
                .1,
                n
            );
            assert_eq!(build(&[n], |b, w| vec![neg(b, &w[0])]).1, n.saturating_sub(2));
        }
    }

    fn check(w: usize, x: u128, y: u128, cin: bool) {
        let m = mask(w);
        let (x, y) = (x & m, y & m);
        let (c, _) = build(&[w, w, 1], |b, i| {
            let (s, co) = add_carry(b, &i[0], &i[1], i[2].bit(0));
            let (d, bo) = sub_borrow(b, &i[0], &i[1]);
            vec![
                add(b, &i[0], &i[1]),
                sub(b, &i[0], &i[1]),
                neg(b, &i[0]),
                s,
                Word::from_bits(vec![co]),
                d,
                Word::from_bits(vec![bo]),
                cond_neg(b, i[2].bit(0), &i[1]),
            ]
        });
        let out = run(&c, &[x, y, u128::from(cin)]);
        assert_eq!(out[0], x.wrapping_add(y) & m);
        assert_eq!(out[1], x.wrapping_sub(y) & m);
        assert_eq!(out[2], x.wrapping_neg() & m);
        let wide = x.wrapping_add(y).wrapping_add(u128::from(cin));
        assert_eq!(out[3], wide & m);
        let carry = if w == 128 {
            x.checked_add(y).and_then(|s| s.checked_add(u128::from(cin))).is_none()
        } else {
            (wide >> w) & 1 == 1
        };
        assert_eq!(out[4] == 1, carry);
        assert_eq!(out[5], x.wrapping_sub(y) & m);
        assert_eq!(out[6] == 1, x < y);
        assert_eq!(out[7], if cin { y.wrapping_neg() & m } else { y });
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn matches_rust(w in 1usize..=64, x: u128, y: u128, cin: bool) { check(w, x, y, cin); }
        #[test]
        fn matches_rust_128(x: u128, y: u128, cin: bool) { check(128, x, y, cin); }
    }
}
