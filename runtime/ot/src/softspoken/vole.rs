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

/// The sums of the keys that [`expand_reduce`] needs: `[sum p_x, sum_{x_0 = 1} p_x, ..,
/// sum_{x_{d-1} = 1} p_x]` (`d + 1` blocks), computed once per piece. `r_x[w]` is
/// `pi(p_x ^ w) ^ p_x`, so every sum of `r_x` is the sum of the `pi(p_x ^ w)` plus
/// the same sum of keys, a constant.
pub(crate) fn key_sums(keys: &[Block], d: usize) -> Vec<Block> {
    let mut k = keys.to_vec();
    xor_reduce(&mut k, d, 1);
    k.truncate(d + 1);
    k
}

/// Fills `buf` (`2^d` slots of `c` blocks, seed-major) with `r_x[w0 + t]` and reduces it
/// in place: afterwards slot 0 is `u` and slot `1 + b` is `v_b` (`c` blocks each, one
/// per tile). `keys.len() == 2^d`, `sums == key_sums(keys, d)` and
/// `buf.len() == c * 2^d` are caller invariants.
pub(crate) fn expand_reduce(
    aes: &FixedKeyAes,
    keys: &[Block],
    sums: &[Block],
    d: usize,
    w0: u64,
    c: usize,
    buf: &mut [Block],
) {
    debug_assert_eq!(keys.len(), 1 << d);
    debug_assert_eq!(sums.len(), d + 1);
    debug_assert_eq!(buf.len(), c << d);
    // Tweaks are below 2^64: only the lane holding the low 64 bits changes.
    let words: &mut [[u64; 2]] = bytemuck::cast_slice_mut(buf);
    for (slot, key) in words.chunks_exact_mut(c).zip(keys) {
        let lanes: [u64; 2] = bytemuck::cast(*key);
        for (t, b) in slot.iter_mut().enumerate() {
            *b = lanes;
            b[LOW] ^= w0 + t as u64;
        }
    }
    aes.permute_many(buf);
    xor_reduce(buf, d, c);
    let words: &mut [[u64; 2]] = bytemuck::cast_slice_mut(&mut buf[..(d + 1) * c]);
    for (slot, sum) in words.chunks_exact_mut(c).zip(sums) {
        let [k0, k1]: [u64; 2] = bytemuck::cast(*sum);
        for b in slot.iter_mut() {
            b[0] ^= k0;
            b[1] ^= k1;
        }
    }
}

/// The XOR tree. Invariant before round `j`: each aligned group of `2^j` slots starting
/// at `i` holds its subtree's `u` at slot `i` and its `v_b` (`b < j`) at slot `i + 1 + b`
/// (`1 + j <= 2^j` slots). Round `j` merges the groups at `i` and `i + 2^j`: `u` and
/// each `v_b` are XORed, and `v_j` is the right group's `u` (bit `j` set exactly there).
fn xor_reduce(buf: &mut [Block], d: usize, c: usize) {
    let n = 1usize << d;
    // Rounds 0, 1 and 2 fused: one pass reading each group of 8 slots and writing its
    // u, v_0, v_1, v_2, instead of three passes.
    let fused = if d >= 3 {
        let lanes: &mut [u64] = bytemuck::cast_slice_mut(buf);
        for group in lanes.chunks_exact_mut(16 * c) {
            let (a, rest) = group.split_at_mut(4 * 2 * c);
            let (a, b) = (&mut a[..], &rest[..]);
            for t in 0..2 * c {
                let at = |s: usize| if s < 4 { a[s * 2 * c + t] } else { b[(s - 4) * 2 * c + t] };
                let (a0, a1, a2, a3, a4, a5, a6, a7) =
                    (at(0), at(1), at(2), at(3), at(4), at(5), at(6), at(7));
                let (p23, p45, p67) = (a2 ^ a3, a4 ^ a5, a6 ^ a7);
                a[t] = a0 ^ a1 ^ p23 ^ p45 ^ p67;
                a[2 * c + t] = a1 ^ a3 ^ a5 ^ a7;
                a[4 * c + t] = p23 ^ p67;
                a[6 * c + t] = p45 ^ p67;
            }
        }
        3
    } else {
        0
    };
    for j in fused..d {
        let stride = 1usize << j;
        for i in (0..n).step_by(2 * stride) {
            for b in 0..=j {
                let (lo, hi) = buf.split_at_mut((i + stride + b) * c);
                xor_into(&mut lo[(i + b) * c..(i + b + 1) * c], &hi[..c]);
            }
            // Slot i + 1 + j is i + stride for j <= 1 (already the right group's u).
            if i + 1 + j != i + stride {
                buf.copy_within((i + stride) * c..(i + stride + 1) * c, (i + 1 + j) * c);
            }
        }
    }
}

/// `dst ^= src` on 64-bit lanes (which LLVM vectorises; `u128` XORs it does not).
fn xor_into(dst: &mut [Block], src: &[Block]) {
    let d: &mut [u64] = bytemuck::cast_slice_mut(dst);
    let s: &[u64] = bytemuck::cast_slice(src);
    for (x, y) in d.iter_mut().zip(s) {
        *x ^= *y;
    }
}

/// Which 64-bit lane of a `Block` in memory holds its low 64 bits.
const LOW: usize = if cfg!(target_endian = "little") { 0 } else { 1 };

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
                expand_reduce(aes, &keys, &key_sums(&keys, d), d, 40, c, &mut buf);
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
