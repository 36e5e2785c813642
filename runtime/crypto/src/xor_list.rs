//! [`XorList`]: a fixed list of free-XOR gates over label slots, run in order without a
//! bounds check per gate.
//!
//! Gate `[a, b, out]` does `labels[out] = labels[a] ^ labels[b]`; the gates of a run
//! execute one after the other in list order, so a gate sees what earlier gates wrote
//! (slot reuse and in-place gates are fine). mpc-garble writes every free gate of a
//! compiled body schedule this way (INV, copy and constants become XORs with reserved
//! slots holding `Delta`, zero and the constant labels).
//!
//! Guarantees: the largest slot of the list is found once, when the list is made
//! ([`XorList::new`]); each [`XorList::run`] checks once that the label array covers
//! it and then indexes without checks. A too-short array is a panic (a caller bug),
//! never undefined behaviour.

use core::ops::Range;

use crate::Block;

/// Free-XOR gates `[a, b, out]` over label slots (see the module docs).
#[derive(Clone, Debug, Default)]
pub struct XorList {
    gates: Vec<[u32; 3]>,
    /// One more than the largest slot of any gate (0 for no gates): a label array of
    /// at least this length covers every gate.
    bound: usize,
}

impl XorList {
    /// The list of `gates` (each `[a, b, out]`).
    pub fn new(gates: Vec<[u32; 3]>) -> XorList {
        // A flat max vectorises.
        let bound = gates.as_flattened().iter().copied().max().map_or(0, |m| m as usize + 1);
        XorList { gates, bound }
    }

    /// Number of gates.
    pub fn len(&self) -> usize {
        self.gates.len()
    }

    /// Whether the list has no gates.
    pub fn is_empty(&self) -> bool {
        self.gates.is_empty()
    }

    /// The label array length the gates need (one more than their largest slot).
    pub fn slots_needed(&self) -> usize {
        self.bound
    }

    /// Runs the gates `range` of the list, in order, over `labels`.
    ///
    /// # Panics
    /// If `range` is not within the list or `labels` is shorter than
    /// [`XorList::slots_needed`] (caller bugs, not input dependent).
    #[inline]
    pub fn run(&self, labels: &mut [Block], range: Range<usize>) {
        let gates = &self.gates[range];
        assert!(labels.len() >= self.bound, "label array shorter than the XOR list's slots");
        for g in gates {
            let (a, b, out) = (g[0] as usize, g[1] as usize, g[2] as usize);
            #[allow(unsafe_code)]
            // SAFETY: every slot of every gate is below `self.bound` (computed in `new`
            // from the same gates, which never change afterwards), and `labels` has at
            // least `self.bound` entries (asserted above).
            unsafe {
                let x = *labels.get_unchecked(a) ^ *labels.get_unchecked(b);
                *labels.get_unchecked_mut(out) = x;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs equal gate-by-gate checked execution, in-place and reused slots included,
    /// over any split of the list into ranges.
    #[test]
    fn runs_like_checked_execution() {
        let gates: Vec<[u32; 3]> = vec![[0, 1, 2], [2, 0, 0], [0, 0, 3], [3, 2, 1], [1, 1, 1], [4, 2, 4]];
        let list = XorList::new(gates.clone());
        assert_eq!((list.len(), list.slots_needed()), (6, 5));
        let start: Vec<Block> = (1..=5u128).map(|i| Block::from_u128(i * 0x1_0001)).collect();
        let mut want = start.clone();
        for g in &gates {
            want[g[2] as usize] = want[g[0] as usize] ^ want[g[1] as usize];
        }
        for split in 0..=gates.len() {
            let mut got = start.clone();
            list.run(&mut got, 0..split);
            list.run(&mut got, split..gates.len());
            assert_eq!(got, want, "split at {split}");
        }
        // A longer array is fine; the empty list needs nothing.
        let mut longer = start.clone();
        longer.push(Block::ZERO);
        list.run(&mut longer, 0..gates.len());
        assert_eq!(&longer[..5], &want[..]);
        XorList::new(Vec::new()).run(&mut [], 0..0);
    }

    #[test]
    #[should_panic(expected = "shorter")]
    fn a_short_label_array_panics() {
        XorList::new(vec![[0, 1, 7]]).run(&mut [Block::ZERO; 7], 0..1);
    }
}
