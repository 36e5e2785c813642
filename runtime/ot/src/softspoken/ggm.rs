//! The all-but-one OT under each small VOLE: a GGM tree of depth `d` whose `2^d` leaves
//! are the VOLE's seeds, punctured at one leaf.
//!
//! The *holder* ([`expand`]) knows every node; its two level-1 nodes are given (the
//! two keys of a random base OT, so level 1 needs no message), and a node's two
//! children are the first two blocks of AES-128-CTR keyed by the node
//! ([`mpc_crypto::Prg`]). Level `l` (1..=d) has `2^l` nodes; node `p` at level `l` has children `2p` and
//! `2p + 1` at level `l + 1`, so a leaf's index is its path from the root, most
//! significant bit first. `K_l^b` is the XOR of the level-`l` nodes of parity `b`.
//!
//! The *puncturer* ([`puncture`]) holds a point `a` (`d` bits) and, for each level `l`,
//! the sum `K_l^{!a_l}` (`a_l` = bit `d - l` of `a`: the path's direction at level `l`),
//! obtained by 1-out-of-2 OT. It rebuilds every leaf except leaf `a`, which it sets to
//! zero: at each level it knows every node but the one on the path, and the path
//! node's sibling is `K_l^{!a_l}` minus the other nodes of its parity.
//!
//! Guarantees: [`puncture`] touches every node at every level in the same order
//! whatever `a` is; which node is unknown or is the sibling is applied with `subtle`
//! selects, so its branches and memory accesses do not depend on `a`. Levels are
//! zeroized once the next is built.

use mpc_crypto::{Block, Prg};
use subtle::{ConditionallySelectable, ConstantTimeEq};
use zeroize::Zeroize;

/// The two children of a node.
fn children(node: Block) -> [Block; 2] {
    let mut out = [Block::ZERO; 2];
    Prg::from_seed_block(node).fill_blocks(&mut out);
    out
}

/// The holder's tree whose two level-1 nodes are `level1` (the root is never
/// needed): the `2^depth` leaves and, for each level `l = 1..=depth`,
/// `sums[l - 1] = [K_l^0, K_l^1]` (so `sums[0] == level1`). `depth >= 1`.
pub(crate) fn expand(level1: [Block; 2], depth: usize) -> (Vec<Block>, Vec<[Block; 2]>) {
    debug_assert!(depth >= 1);
    let mut level = level1.to_vec();
    let mut sums = Vec::with_capacity(depth);
    sums.push(level1);
    for _ in 1..depth {
        let mut next = Vec::with_capacity(2 * level.len());
        let mut sum = [Block::ZERO; 2];
        for node in &level {
            let c = children(*node);
            sum[0] ^= c[0];
            sum[1] ^= c[1];
            next.extend_from_slice(&c);
        }
        level.zeroize();
        level = next;
        sums.push(sum);
    }
    (level, sums)
}

/// The puncturer's leaves: every leaf of the holder's tree except leaf `point`, which
/// is zero. `sibling_sums[l - 1]` is `K_l^{!a_l}` for level `l = 1..=depth`.
///
/// `point < 2^depth` and `sibling_sums.len() == depth` are the caller's invariants
/// (both come from this side's own `Delta` and layout, never from the peer).
pub(crate) fn puncture(point: u32, depth: usize, sibling_sums: &[Block]) -> Vec<Block> {
    debug_assert!(depth <= 16 && point >> depth == 0 && sibling_sums.len() == depth);
    // The root is unknown: zero, like every path node.
    let mut level = vec![Block::ZERO];
    for (l, sum) in (1..=depth).zip(sibling_sums) {
        // The unknown node at level l - 1, and the path node and its sibling at level l.
        let parent = point >> (depth - l + 1);
        let sibling = (point >> (depth - l)) ^ 1;
        let mut next = Vec::with_capacity(2 * level.len());
        for (p, node) in level.iter().enumerate() {
            let c = children(*node);
            // The unknown node's children are garbage (children of zero): clear them.
            let unknown = (p as u32).ct_eq(&parent);
            next.push(Block::conditional_select(&c[0], &Block::ZERO, unknown));
            next.push(Block::conditional_select(&c[1], &Block::ZERO, unknown));
        }
        // Both children of the path's parent are zero now, so the XOR of all nodes of
        // the sibling's parity, plus K, is the sibling.
        let mut value = *sum;
        for (q, node) in next.iter().enumerate() {
            let same_parity = ((q as u32) & 1).ct_eq(&(sibling & 1));
            value ^= Block::conditional_select(&Block::ZERO, node, same_parity);
        }
        for (q, node) in next.iter_mut().enumerate() {
            node.conditional_assign(&value, (q as u32).ct_eq(&sibling));
        }
        value.zeroize();
        level.zeroize();
        level = next;
    }
    level
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn puncturing_rebuilds_every_leaf_but_the_point() {
        for depth in 1..=8usize {
            for point in [0u32, 1, (1 << depth) - 1, (1 << depth) / 3] {
                let top = [
                    Block::from_u128(0x1234_5678 ^ ((depth as u128) << 64) ^ point as u128),
                    Block::from_u128(99),
                ];
                let (leaves, sums) = expand(top, depth);
                assert_eq!(sums[0], top);
                assert_eq!(leaves.len(), 1 << depth);
                let sib: Vec<Block> = (1..=depth)
                    .map(|l| {
                        let a_l = (point >> (depth - l)) & 1;
                        sums[l - 1][1 - a_l as usize]
                    })
                    .collect();
                let got = puncture(point, depth, &sib);
                for (x, (g, want)) in got.iter().zip(&leaves).enumerate() {
                    if x as u32 == point {
                        assert_eq!(*g, Block::ZERO, "depth {depth}, point {point}");
                        assert_ne!(*want, Block::ZERO);
                    } else {
                        assert_eq!(g, want, "depth {depth}, point {point}, leaf {x}");
                    }
                }
            }
        }
    }

    #[test]
    fn a_wrong_sum_gives_wrong_leaves() {
        let (leaves, sums) = expand([Block::from_u128(7), Block::from_u128(8)], 4);
        let point = 5u32;
        let mut sib: Vec<Block> =
            (1..=4).map(|l| sums[l - 1][1 - ((point >> (4 - l)) & 1) as usize]).collect();
        sib[2] ^= Block::ONE;
        let got = puncture(point, 4, &sib);
        assert!(got.iter().zip(&leaves).enumerate().any(|(x, (g, w))| x as u32 != point && g != w));
    }
}
