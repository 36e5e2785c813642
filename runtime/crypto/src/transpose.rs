//! The 128x128 bit-matrix transpose of OT extension, compiled twice: for the x86-64
//! baseline (SSE2) and for AVX2, picked once per process at run time, so the rounds
//! run on 256-bit vectors where the CPU has them (the repository never sets
//! `target-cpu`; an AVX-512 compilation of the same code measured slower, 0.9 against
//! 0.5 us per tile). [`transpose128_append`] gathers a tile's rows straight from
//! the column-major buffer of OT extension and appends the transposed rows to the
//! output, with no intermediate tile and no zero-fill.
//!
//! Method (recursive block swap): split every row into its two 64-bit halves; the
//! distance-64 round swaps the top-right and bottom-left 64x64 quadrants; each round at
//! distance `J` in 32, 16, ..., 1 is a masked shift-and-xor on row pairs `(r, r + J)`
//! within each half. Convention: `m[r]` bit `c` is entry (r, c); afterwards entry
//! (r, c) holds what (c, r) held.
//!
//! Guarantees: a pure permutation of bits with no data-dependent branches or memory
//! accesses; every variant runs the same safe code and gives the same bits (tested
//! here and in `mpc_ot::transpose` against a bit-by-bit reference).

use crate::Block;

/// Transposes the 128x128 bit matrix `m` in place (row `r` is `m[r]`, column `c` is
/// bit `c`).
pub fn transpose128(m: &mut [u128; 128]) {
    #[cfg(target_arch = "x86_64")]
    match kernel() {
        Kernel::Avx2 => return wide::transpose128_avx2(m),
        Kernel::Portable => {}
    }
    transpose128_portable(m)
}

/// Transposes the tile whose row `r` is `src[first + r * stride]` (rows gathered
/// from 128 columns stored one after another, as OT extension lays them out) and
/// appends its 128 rows to `dst`: no intermediate tile, no zero-fill of `dst`.
///
/// # Panics
/// If `src` has no entry `first + 127 * stride` (a caller bug).
pub fn transpose128_append(src: &[Block], first: usize, stride: usize, dst: &mut Vec<Block>) {
    let last = stride.checked_mul(127).and_then(|x| x.checked_add(first));
    assert!(last.is_some_and(|l| l < src.len()), "transpose128_append: the tile's rows run past the source");
    dst.reserve(128);
    let spare = &mut dst.spare_capacity_mut()[..128];
    // In range: `first + 127 * stride < src.len()` (asserted above).
    let rows = &src[first..];
    let load = |r: usize| rows[r * stride].to_u128();
    let store = |r: usize, v: u128| {
        spare[r].write(Block::from_u128(v));
    };
    #[cfg(target_arch = "x86_64")]
    match kernel() {
        Kernel::Avx2 => wide::gather_avx2(load, store),
        Kernel::Portable => gather(load, store),
    }
    #[cfg(not(target_arch = "x86_64"))]
    gather(load, store);
    #[allow(unsafe_code)]
    // SAFETY: every variant ends in `join`, which called `store` for every `r` in
    // `0..128`, so the first 128 spare entries (reserved above) are initialised.
    unsafe {
        dst.set_len(dst.len() + 128)
    };
}

/// Loads, transposes and stores a tile (the portable variant of the gathering path).
fn gather(load: impl Fn(usize) -> u128, store: impl FnMut(usize, u128)) {
    let (mut lo, mut hi) = split(load);
    rounds(&mut lo, &mut hi);
    join(&lo, &hi, store);
}

/// The portable (x86-64 baseline) kernel, whatever the CPU: for tests comparing the
/// variants.
pub fn transpose128_portable(m: &mut [u128; 128]) {
    let (mut lo, mut hi) = split(|r| m[r]);
    rounds(&mut lo, &mut hi);
    join(&lo, &hi, |r, v| m[r] = v);
}

/// The variant this CPU runs.
#[cfg(target_arch = "x86_64")]
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kernel {
    Avx2,
    Portable,
}

#[cfg(target_arch = "x86_64")]
fn kernel() -> Kernel {
    use std::arch::is_x86_feature_detected as has;
    use std::sync::OnceLock;
    static K: OnceLock<Kernel> = OnceLock::new();
    *K.get_or_init(|| if has!("avx2") { Kernel::Avx2 } else { Kernel::Portable })
}

#[cfg(target_arch = "x86_64")]
mod wide {
    #![allow(unsafe_code)]
    use super::{join, rounds, split};

    /// The AVX2 variant; only called when AVX2 was detected (`super::kernel`).
    pub(super) fn transpose128_avx2(m: &mut [u128; 128]) {
        // SAFETY: the caller checked that the CPU has AVX2, the only feature this
        // function is compiled for; the body is safe code.
        unsafe { in_place_avx2(m) }
    }

    /// [`super::transpose128_append`]'s gather-transpose-store on AVX2.
    pub(super) fn gather_avx2(load: impl Fn(usize) -> u128, store: impl FnMut(usize, u128)) {
        // SAFETY: as in `transpose128_avx2`.
        unsafe { gather_avx2_tf(load, store) }
    }

    #[target_feature(enable = "avx2")]
    unsafe fn in_place_avx2(m: &mut [u128; 128]) {
        let (mut lo, mut hi) = split(|r| m[r]);
        rounds(&mut lo, &mut hi);
        join(&lo, &hi, |r, v| m[r] = v);
    }

    #[target_feature(enable = "avx2")]
    unsafe fn gather_avx2_tf(load: impl Fn(usize) -> u128, store: impl FnMut(usize, u128)) {
        let (mut lo, mut hi) = split(load);
        rounds(&mut lo, &mut hi);
        join(&lo, &hi, store);
    }
}

/// Splits the rows `load(0..128)` into their low and high 64-bit halves.
#[inline(always)]
fn split(load: impl Fn(usize) -> u128) -> ([u64; 128], [u64; 128]) {
    let mut lo = [0u64; 128];
    let mut hi = [0u64; 128];
    for r in 0..128 {
        let row = load(r);
        lo[r] = row as u64;
        hi[r] = (row >> 64) as u64;
    }
    (lo, hi)
}

/// Joins the halves back into rows, calling `store(r, row)` for every `r` in order
/// (exactly once each: [`transpose128_append`] relies on it).
#[inline(always)]
fn join(lo: &[u64; 128], hi: &[u64; 128], mut store: impl FnMut(usize, u128)) {
    for r in 0..128 {
        store(r, (lo[r] as u128) | ((hi[r] as u128) << 64));
    }
}

/// The block-swap rounds (see the module docs) on the split rows, inlined into each
/// compiled variant.
#[inline(always)]
fn rounds(lo: &mut [u64; 128], hi: &mut [u64; 128]) {
    // Distance 64: the top-right 64x64 quadrant (rows 0..64, high halves) swaps with the
    // bottom-left one (rows 64..128, low halves).
    {
        let (hi_top, _) = hi.split_at_mut(64);
        let (_, lo_bottom) = lo.split_at_mut(64);
        hi_top.swap_with_slice(lo_bottom);
    }
    swap_round::<32>(lo, 0x0000_0000_FFFF_FFFF);
    swap_round::<32>(hi, 0x0000_0000_FFFF_FFFF);
    swap_round::<16>(lo, 0x0000_FFFF_0000_FFFF);
    swap_round::<16>(hi, 0x0000_FFFF_0000_FFFF);
    swap_round::<8>(lo, 0x00FF_00FF_00FF_00FF);
    swap_round::<8>(hi, 0x00FF_00FF_00FF_00FF);
    swap_round::<4>(lo, 0x0F0F_0F0F_0F0F_0F0F);
    swap_round::<4>(hi, 0x0F0F_0F0F_0F0F_0F0F);
    swap_round::<2>(lo, 0x3333_3333_3333_3333);
    swap_round::<2>(hi, 0x3333_3333_3333_3333);
    swap_round::<1>(lo, 0x5555_5555_5555_5555);
    swap_round::<1>(hi, 0x5555_5555_5555_5555);
}

/// One block-swap round at distance `J` (< 64) on one 64-bit half of all 128 rows: for
/// every row pair (r, r + J) with `r & J == 0`, entry (r, c + J) swaps with (r + J, c)
/// for every column `c` with `c & J == 0` (`mask` selects those columns).
#[inline(always)]
fn swap_round<const J: usize>(w: &mut [u64; 128], mask: u64) {
    // Rows come in groups of 2J: the first J rows of a group pair with the last J.
    for group in w.chunks_exact_mut(2 * J) {
        let (top, bottom) = group.split_at_mut(J);
        for (x, y) in top.iter_mut().zip(bottom.iter_mut()) {
            let t = ((*x >> J) ^ *y) & mask;
            *y ^= t;
            *x ^= t << J;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A pseudorandom matrix (an xorshift stream: any fixed fill will do).
    fn matrix(seed: u128) -> [u128; 128] {
        let mut x = seed | 1;
        let mut m = [0u128; 128];
        for row in m.iter_mut() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *row = x;
        }
        m
    }

    /// The bit-by-bit definition.
    fn naive(m: &[u128; 128]) -> [u128; 128] {
        let mut out = [0u128; 128];
        for (r, &row) in m.iter().enumerate() {
            for (c, o) in out.iter_mut().enumerate() {
                *o |= ((row >> c) & 1) << r;
            }
        }
        out
    }

    #[test]
    fn every_variant_is_the_bitwise_transpose() {
        for seed in 0..16u128 {
            let m = matrix(0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c834 ^ seed);
            let want = naive(&m);
            let (mut a, mut b) = (m, m);
            transpose128(&mut a);
            transpose128_portable(&mut b);
            assert_eq!(a, want);
            assert_eq!(b, want);
            #[cfg(target_arch = "x86_64")]
            {
                use std::arch::is_x86_feature_detected as has;
                if has!("avx2") {
                    let mut c = m;
                    wide::transpose128_avx2(&mut c);
                    assert_eq!(c, want);
                }
            }
            transpose128(&mut a);
            assert_eq!(a, m);
        }
    }

    #[test]
    fn append_gathers_strided_rows() {
        // Three tiles of columns laid out column by column (stride 3), appended after
        // an existing entry.
        let tiles: Vec<[u128; 128]> = (0..3).map(|t| matrix(77 + t)).collect();
        let mut src = vec![Block::ZERO; 3 * 128];
        for (k, tile) in tiles.iter().enumerate() {
            for (j, &w) in tile.iter().enumerate() {
                src[j * 3 + k] = Block::from_u128(w);
            }
        }
        let mut dst = vec![Block::ONES];
        for k in 0..3 {
            transpose128_append(&src, k, 3, &mut dst);
        }
        assert_eq!(dst.len(), 1 + 3 * 128);
        assert_eq!(dst[0], Block::ONES);
        for (k, tile) in tiles.iter().enumerate() {
            let want = naive(tile);
            for (i, &w) in want.iter().enumerate() {
                assert_eq!(dst[1 + 128 * k + i].to_u128(), w, "tile {k}, row {i}");
            }
        }
    }

    #[test]
    #[should_panic(expected = "run past the source")]
    fn append_refuses_a_short_source() {
        let src = vec![Block::ZERO; 127];
        transpose128_append(&src, 0, 1, &mut Vec::new());
    }
}
