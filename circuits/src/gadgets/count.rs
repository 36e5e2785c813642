//! Population count and Hamming distance: a tree of full adders (two half-counts
//! plus one bit as carry in), at most n - 1 AND for n bits (63 for 64 bits;
//! docs/gates.md lists measured counts).

use super::bits_for;
use crate::builder::{Bit, Builder, Word};

fn count(b: &mut Builder, bits: &[Bit]) -> Word {
    match bits.len() {
        0 => Word::from_bits(vec![]),
        1 => Word::from_bits(vec![bits[0]]),
        n => {
            // Two halves of n-1 bits added with the last bit as carry in: full adders
            // all the way down (a 3-bit count is one full adder, 1 AND).
            let rest = &bits[..n - 1];
            let l = count(b, &rest[..rest.len() / 2]);
            let r = count(b, &rest[rest.len() / 2..]);
            let w = l.width().max(r.width());
            let (s, c) = super::arith::add_carry(b, &l.zext(w), &r.zext(w), bits[n - 1]);
            let mut out = s.into_bits();
            out.push(c);
            out.truncate(bits_for(n));
            Word::from_bits(out)
        }
    }
}

/// Number of one bits of `x`, as a word of `bits_for(n)` bits.
pub fn popcount(b: &mut Builder, x: &Word) -> Word {
    let out = count(b, x.bits());
    out.zext(bits_for(x.width()))
}

/// Number of positions where `x` and `y` differ (`popcount(x ^ y)`).
pub fn hamming(b: &mut Builder, x: &Word, y: &Word) -> Word {
    let d = super::xor(b, x, y);
    popcount(b, &d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gadgets::testutil::{build, mask, run};
    use proptest::prelude::*;

    #[test]
    fn and_counts() {
        let (c, ands) = build(&[64], |b, w| vec![popcount(b, &w[0])]);
        assert_eq!(c.outputs()[0].ty.width(), 7);
        assert!(ands <= 63, "popcount(64) used {ands} AND");
        assert_eq!(build(&[1], |b, w| vec![popcount(b, &w[0])]).1, 0);
    }

    fn check(w: usize, x: u128, y: u128) {
        let (x, y) = (x & mask(w), y & mask(w));
        let (c, _) = build(&[w, w], |b, i| vec![popcount(b, &i[0]), hamming(b, &i[0], &i[1])]);
        assert_eq!(c.outputs()[0].ty.width(), bits_for(w));
        assert_eq!(run(&c, &[x, y]), vec![u128::from(x.count_ones()), u128::from((x ^ y).count_ones())]);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn matches_rust(w in 1usize..=64, x: u128, y: u128) { check(w, x, y); }
        #[test]
        fn matches_rust_128(x: u128, y: u128) { check(128, x, y); }
    }
}
