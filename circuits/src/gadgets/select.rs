//! Minimum, maximum and argmax: one comparison (n AND) and one mux (n AND) per
//! pair; argmax is a balanced tournament that keeps the lowest index among equal
//! maxima.

use super::{bits_for, cmp, mux};
use crate::builder::{Builder, Word};

/// `min(x, y)` (2n AND).
pub fn min(b: &mut Builder, x: &Word, y: &Word, signed: bool) -> Word {
    let c = cmp::lt(b, y, x, signed);
    mux::mux(b, c, y, x)
}

/// `max(x, y)` (2n AND).
pub fn max(b: &mut Builder, x: &Word, y: &Word, signed: bool) -> Word {
    let c = cmp::gt(b, y, x, signed);
    mux::mux(b, c, y, x)
}

/// The index (a word of `bits_for(k - 1)` bits) and value of the largest of `xs`;
/// among equal maxima the lowest index wins. Panics if `xs` is empty or widths differ.
pub fn argmax(b: &mut Builder, xs: &[Word], signed: bool) -> (Word, Word) {
    assert!(!xs.is_empty(), "argmax of no words");
    let iw = bits_for(xs.len() - 1);
    let items: Vec<(Word, Word)> =
        xs.iter().enumerate().map(|(i, x)| (Word::constant(i as u128, iw), x.clone())).collect();
    tournament(b, &items, signed)
}

fn tournament(b: &mut Builder, items: &[(Word, Word)], signed: bool) -> (Word, Word) {
    if items.len() == 1 {
        return items[0].clone();
    }
    let (li, lv) = tournament(b, &items[..items.len() / 2], signed);
    let (ri, rv) = tournament(b, &items[items.len() / 2..], signed);
    let right_wins = cmp::gt(b, &rv, &lv, signed);
    (mux::mux(b, right_wins, &ri, &li), mux::mux(b, right_wins, &rv, &lv))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gadgets::testutil::{build, mask, run, sext};
    use proptest::prelude::*;

    #[test]
    fn and_counts() {
        assert_eq!(build(&[16, 16], |b, w| vec![min(b, &w[0], &w[1], false)]).1, 32);
        // 4 words of 8 bits: 3 comparisons (8) + 3 value muxes (8) + index muxes (the
        // first level's select constants, free; the last needs 1).
        assert_eq!(
            build(&[8, 8, 8, 8], |b, w| {
                let (i, v) = argmax(b, w, false);
                vec![i, v]
            })
            .1,
            3 * 16 + 1
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn matches_rust(w in prop_oneof![1usize..=64, Just(128usize)], signed: bool, xs in proptest::collection::vec(any::<u128>(), 1..7)) {
            let xs: Vec<u128> = xs.iter().map(|&x| x & mask(w)).collect();
            let widths = vec![w; xs.len()];
            let (c, _) = build(&widths, |b, i| {
                let (ix, v) = argmax(b, i, signed);
                vec![min(b, &i[0], &i[i.len() - 1], signed), max(b, &i[0], &i[i.len() - 1], signed), ix, v]
            });
            let key = |x: u128| if signed { sext(x, w) } else { x as i128 };
            let out = run(&c, &xs);
            let (a, z) = (xs[0], xs[xs.len() - 1]);
            let want_min = if signed { if key(z) < key(a) { z } else { a } } else { a.min(z) };
            let want_max = if signed { if key(z) > key(a) { z } else { a } } else { a.max(z) };
            let greater = |x: u128, y: u128| if signed { key(x) > key(y) } else { x > y };
            let best = xs.iter().enumerate().fold(0usize, |bi, (i, &x)| if greater(x, xs[bi]) { i } else { bi });
                        prop_assert_eq!(out, vec![want_min, want_max, best as u128, xs[best]]);
        }
    }
}
