//! Sorting networks: Batcher's odd-even merge sort for any number of words (the
//! network for the next power of two with the comparators that touch the missing
//! positions dropped; those positions would hold +infinity and never move). Each
//! comparator is one comparison (n AND) and one conditional swap (n AND).

use super::{cmp, mux};
use crate::builder::{Builder, Word};

/// The comparator pairs `(i, j)`, `i < j`, of Batcher's odd-even merge sort on `k`
/// elements, in order.
pub fn batcher_pairs(k: usize) -> Vec<(usize, usize)> {
    let mut pairs = Vec::new();
    for_each_batcher_pair(k, |a, c| {
        pairs.push((a, c));
        true
    });
    pairs
}

/// Calls `f(i, j)` for the comparators of [`batcher_pairs`]`(k)` in order, without
/// materialising them, until `f` returns `false`.
pub fn for_each_batcher_pair(k: usize, mut f: impl FnMut(usize, usize) -> bool) {
    let n = k.next_power_of_two();
    let mut p = 1;
    while p < n {
        let mut step = p;
        while step >= 1 {
            let mut j = step % p;
            while j + step < n {
                for i in 0..step.min(n - j - step) {
                    let (a, c) = (i + j, i + j + step);
                    if a / (2 * p) == c / (2 * p) && c < k && !f(a, c) {
                        return;
                    }
                }
                j += 2 * step;
            }
            step /= 2;
        }
        p *= 2;
    }
}

/// `xs` sorted ascending (or descending), signed or unsigned; all widths equal.
pub fn sort(b: &mut Builder, xs: &[Word], signed: bool, descending: bool) -> Vec<Word> {
    if let Some(first) = xs.first() {
        assert!(xs.iter().all(|x| x.width() == first.width()), "sort: word widths differ");
    }
    let mut v = xs.to_vec();
    // Stops early once the builder is over its gate limit (the result is then discarded).
    for_each_batcher_pair(xs.len(), |i, j| {
        // Ascending: swap when v[j] < v[i]; descending: when v[j] > v[i].
        let swap =
            if descending { cmp::gt(b, &v[j], &v[i], signed) } else { cmp::lt(b, &v[j], &v[i], signed) };
        let (a, c) = mux::cond_swap(b, swap, &v[i], &v[j]);
        v[i] = a;
        v[j] = c;
        !b.over_limit()
    });
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gadgets::testutil::{build, mask, run, sext};
    use proptest::prelude::*;

    #[test]
    fn comparator_counts() {
        // Known sizes of Batcher's network: 1, 5, 19, 63, 191 comparators for 2, 4, 8, 16, 32.
        for (k, want) in [(2, 1), (4, 5), (8, 19), (16, 63), (32, 191)] {
            assert_eq!(batcher_pairs(k).len(), want, "k = {k}");
        }
        assert_eq!(build(&[8; 4], |b, w| sort(b, w, false, false)).1, 5 * 16);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        #[test]
        fn matches_rust(w in prop_oneof![1usize..=64, Just(128usize)], signed: bool, desc: bool, xs in proptest::collection::vec(any::<u128>(), 0..11)) {
            let xs: Vec<u128> = xs.iter().map(|&x| x & mask(w)).collect();
            let widths = vec![w; xs.len()];
            let (c, _) = build(&widths, |b, i| sort(b, i, signed, desc));
            let mut want = xs.clone();
            want.sort_by_key(|&x| if signed { sext(x, w) } else { x as i128 ^ i128::MIN });
            if desc { want.reverse(); }
            prop_assert_eq!(run(&c, &xs), want);
        }
    }
}
