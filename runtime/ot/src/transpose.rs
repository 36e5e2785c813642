//! Bit-matrix transposition for OT extension: 128x128 blocks, portable and fast.
//!
//! IKNP works on a 128 x m bit matrix produced column by column (one PRG stream per base
//! OT) and needs it row by row (one 128-bit row per extended OT). [`transpose128`]
//! transposes one 128x128 block in place by the recursive block-swap method: seven
//! rounds (swap distance 64, 32, ..., 1), each a masked shift-and-xor on pairs of rows.
//! Below distance 64 the two 64-bit halves of a row never exchange bits, so each round
//! works on `u64` lanes that LLVM turns into vector code. The kernel lives in
//! `mpc_crypto::transpose`, which compiles it a second time for AVX2 and, where the
//! CPU has AVX-512 VBMI and GFNI, uses a byte-permute/affine kernel instead (about 5x
//! faster); one is picked at run time and all give the same bits.
//!
//! Convention: `m[r]` bit `c` (bit 0 = least significant) is entry (r, c); after
//! [`transpose128`], entry (r, c) holds what (c, r) held. [`transpose128_naive`] is the
//! bit-by-bit reference the tests compare against.
//!
//! Guarantees: the functions are pure permutations of bits with no secret-dependent
//! branches or memory accesses (the access pattern depends only on the matrix size).

/// Transposes the 128x128 bit matrix `m` in place (row `r` is `m[r]`, column `c` is bit
/// `c`): the kernel of [`mpc_crypto::transpose`] (AVX-512 VBMI/GFNI or 256-bit vector
/// code where the CPU has them, chosen at run time; the same bits either way).
pub use mpc_crypto::transpose::transpose128;

/// The bit-by-bit reference transpose (slow; for tests and documentation).
pub fn transpose128_naive(m: &[u128; 128]) -> [u128; 128] {
    let mut out = [0u128; 128];
    for (r, &row) in m.iter().enumerate() {
        for (c, o) in out.iter_mut().enumerate() {
            *o |= ((row >> c) & 1) << r;
        }
    }
    out
}

/// Transposes a 128 x (128 * `blocks`) bit matrix given column-major into `rows`.
///
/// `cols` holds 128 columns of `blocks` words each: word `w` of column `j` is
/// `cols[j * blocks + w]` and its bit `b` is entry (j, 128 * w + b). On return,
/// `rows[i]` bit `j` is entry (j, i), for `i < 128 * blocks`.
///
/// # Panics
/// If `cols.len() != 128 * blocks` or `rows.len() != 128 * blocks` (a caller bug, not
/// input-dependent: callers size both from the same count).
pub fn transpose_columns(cols: &[u128], blocks: usize, rows: &mut [u128]) {
    assert_eq!(cols.len(), 128 * blocks, "column buffer has 128 * blocks words");
    assert_eq!(rows.len(), 128 * blocks, "row buffer has 128 * blocks words");
    let mut tile = [0u128; 128];
    for w in 0..blocks {
        for (j, t) in tile.iter_mut().enumerate() {
            *t = cols[j * blocks + w];
        }
        transpose128(&mut tile);
        rows[128 * w..128 * (w + 1)].copy_from_slice(&tile);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngCore, SeedableRng};
    use rand_chacha::ChaCha12Rng;

    fn random_matrix(rng: &mut ChaCha12Rng) -> [u128; 128] {
        let mut m = [0u128; 128];
        for row in m.iter_mut() {
            *row = ((rng.next_u64() as u128) << 64) | rng.next_u64() as u128;
        }
        m
    }

    #[test]
    fn matches_naive_on_random_matrices() {
        let mut rng = ChaCha12Rng::seed_from_u64(7);
        for _ in 0..64 {
            let m = random_matrix(&mut rng);
            let mut fast = m;
            transpose128(&mut fast);
            assert_eq!(fast, transpose128_naive(&m));
        }
    }

    #[test]
    fn single_bits_move_to_the_mirrored_position() {
        for r in 0..128 {
            for c in [0usize, 1, 31, 63, 64, 65, 127] {
                let mut m = [0u128; 128];
                m[r] = 1u128 << c;
                transpose128(&mut m);
                for (i, &row) in m.iter().enumerate() {
                    let expect = if i == c { 1u128 << r } else { 0 };
                    assert_eq!(row, expect, "bit ({r},{c}) landed wrong in row {i}");
                }
            }
        }
    }

    #[test]
    fn is_an_involution() {
        let mut rng = ChaCha12Rng::seed_from_u64(8);
        let m = random_matrix(&mut rng);
        let mut t = m;
        transpose128(&mut t);
        assert_ne!(t, m);
        transpose128(&mut t);
        assert_eq!(t, m);
    }

    #[test]
    fn column_major_transpose_matches_bitwise_definition() {
        let mut rng = ChaCha12Rng::seed_from_u64(9);
        let blocks = 3;
        let cols: Vec<u128> =
            (0..128 * blocks).map(|_| ((rng.next_u64() as u128) << 64) | rng.next_u64() as u128).collect();
        let mut rows = vec![0u128; 128 * blocks];
        transpose_columns(&cols, blocks, &mut rows);
        for (i, &row) in rows.iter().enumerate() {
            for j in 0..128 {
                let entry = (cols[j * blocks + i / 128] >> (i % 128)) & 1;
                assert_eq!((row >> j) & 1, entry, "entry ({j},{i})");
            }
        }
    }
}
