//! Selecting between two words by a secret bit: `f ^ (sel & (t ^ f))` per bit, n AND.

use crate::builder::{Bit, Builder, Word};

/// `if sel { if_true } else { if_false }` (n AND).
pub fn mux(b: &mut Builder, sel: Bit, if_true: &Word, if_false: &Word) -> Word {
    assert_eq!(if_true.width(), if_false.width(), "mux: operand widths differ");
    Word::from_bits(if_true.bits().iter().zip(if_false.bits()).map(|(&t, &f)| b.mux(sel, t, f)).collect())
}

/// Swaps `x` and `y` if `sel` (n AND: one shared `sel & (x ^ y)`).
pub fn cond_swap(b: &mut Builder, sel: Bit, x: &Word, y: &Word) -> (Word, Word) {
    assert_eq!(x.width(), y.width(), "cond_swap: operand widths differ");
    let mut nx = Vec::with_capacity(x.width());
    let mut ny = Vec::with_capacity(x.width());
    for (&p, &q) in x.bits().iter().zip(y.bits()) {
        let d = b.xor(p, q);
        let m = b.and(sel, d);
        nx.push(b.xor(p, m));
        ny.push(b.xor(q, m));
    }
    (Word::from_bits(nx), Word::from_bits(ny))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gadgets::testutil::{build, mask, run};
    use proptest::prelude::*;

    #[test]
    fn and_count() {
        assert_eq!(build(&[1, 32, 32], |b, w| vec![mux(b, w[0].bit(0), &w[1], &w[2])]).1, 32);
        assert_eq!(
            build(&[1, 32, 32], |b, w| {
                let (p, q) = cond_swap(b, w[0].bit(0), &w[1], &w[2]);
                vec![p, q]
            })
            .1,
            32
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn matches_rust(w in prop_oneof![1usize..=64, Just(128usize)], s: bool, x: u128, y: u128) {
            let (x, y) = (x & mask(w), y & mask(w));
            let (c, _) = build(&[1, w, w], |b, i| {
                let (p, q) = cond_swap(b, i[0].bit(0), &i[1], &i[2]);
                vec![mux(b, i[0].bit(0), &i[1], &i[2]), p, q]
            });
            let out = run(&c, &[u128::from(s), x, y]);
            prop_assert_eq!(out[0], if s { x } else { y });
            prop_assert_eq!((out[1], out[2]), if s { (y, x) } else { (x, y) });
        }
    }
}
