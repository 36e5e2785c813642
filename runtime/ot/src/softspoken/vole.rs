//! One small-field VOLE's expansion for a chunk of 128-OT tiles.
//!
//! A VOLE of width `d` has `N = 2^d` seeds `s_x`, `x` in `0..N`, each stored as its key
//! `p_x = pi(s_x)` (`pi` the fixed-key AES of mpc-crypto). For tile `w` (OTs
//! `128 w .. 128 w + 128` of the session) seed `x` gives the 128-bit column block
//! `r_x[w] = pi(p_x ^ w) ^ p_x`, which is the crate's tweakable correlation-robust hash
//! `tccr(s_x, w)` with the tile index as tweak (so no output is used twice).
//! [`expand_reduce`] computes, for every tile of the chunk,
//!
//! ```text
//! u   = XOR over all x of r_x                      (slot 0)
//! v_b = XOR over x with bit b of x set of r_x      (slot 1 + b, b < d)
//! ```
//!
//! that is `u = sum r_x` and `v = sum x * r_x` with `x` read as a vector of `F_2^d`.
//! The reduction is the XOR tree of the SoftSpoken paper (libOTe calls it `xorReduce`):
//! about two XORs per seed instead of `d / 2`.
//!
//! Guarantees: the work and memory accesses depend only on `d` and the chunk size,
//! never on the seeds; the caller's buffer holds exactly `N` slots of `c` blocks.

use mpc_crypto::{Block, FixedKeyAes};

/// Fills `buf` (`2^d` slots of `c` blocks, seed-major) with `r_x[w0 + t]` and reduces it
/// in place: afterwards slot 0 is `u` and slot `1 + b` is `v_b` (`c` blocks each, one
/// per tile). `keys.len() == 2^d` and `buf.len() == c * 2^d` are caller invariants.
pub(crate) fn expand_reduce(
    aes: &FixedKeyAes,
    keys: &[Block],
    d: usize,
    w0: u64,
    c: usize,
    buf: &mut [Block],
) {
    debug_assert_eq!(keys.len(), 1 << d);
    debug_assert_eq!(buf.len(), c << d);
    for (slot, key) in buf.chunks_exact_mut(c).zip(keys) {
        for (t, b) in slot.iter_mut().enumerate() {
            *b = *key ^ Block::from_u128(u128::from(w0 + t as u64));
        }
    }
    aes.permute_many(buf);
    for (slot, key) in buf.chunks_exact_mut(c).zip(keys) {
        for b in slot.iter_mut() {
            *b ^= *key;
        }
    }
    xor_reduce(buf, d, c);
}

/// The XOR tree. Invariant before round `j`: each aligned group of `2^j` slots starting
/// at `i` holds its subtree's `u` at slot `i` and its `v_b` (`b < j`) at slot `i + 1 + b`
/// (`1 + j <= 2^j` slots). Round `j` merges the groups at `i` and `i + 2^j`: `u` and
/// each `v_b` are XORed, and `v_j` is the right group's `u` (bit `j` set exactly there).
fn xor_reduce(buf: &mut [Block], d: usize, c: usize) {
    let n = 1usize << d;
    for j in 0..d {
        let stride = 1usize << j;
        for i in (0..n).step_by(2 * stride) {
            for b in 0..=j {
                let (lo, hi) = buf.split_at_mut((i + stride + b) * c);
                for (x, y) in lo[(i + b) * c..(i + b + 1) * c].iter_mut().zip(&hi[..c]) {
                    *x ^= *y;
                }
            }
            // Slot i + 1 + j is i + stride for j <= 1 (already the right group's u).
            if i + 1 + j != i + stride {
                buf.copy_within((i + stride) * c..(i + stride + 1) * c, (i + 1 + j) * c);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reduction_matches_the_definition() {
        let aes = FixedKeyAes::global();
        for d in 1..=8usize {
            for c in [1usize, 3] {
                let seeds: Vec<Block> =
                    (0..1u128 << d).map(|x| Block::from_u128(x * 0x9E37_79B9 + 17)).collect();
                let keys: Vec<Block> = seeds.iter().map(|s| aes.permute(*s)).collect();
                let mut buf = vec![Block::ZERO; c << d];
                expand_reduce(aes, &keys, d, 40, c, &mut buf);
                for t in 0..c {
                    // r_x[w] is tccr(s_x, w), as the module doc says.
                    let w = Block::from_u128(40 + t as u128);
                    let r: Vec<Block> = seeds.iter().map(|s| aes.tccr(*s, w)).collect();
                    let u = r.iter().fold(Block::ZERO, |a, b| a ^ *b);
                    assert_eq!(buf[t], u, "d {d}, c {c}, tile {t}: u");
                    for b in 0..d {
                        let v = r
                            .iter()
                            .enumerate()
                            .filter(|(x, _)| (x >> b) & 1 == 1)
                            .fold(Block::ZERO, |a, (_, r)| a ^ *r);
                        assert_eq!(buf[(1 + b) * c + t], v, "d {d}, c {c}, tile {t}: v_{b}");
                    }
                }
            }
        }
    }
}
