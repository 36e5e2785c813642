//! The 128x128 bit-matrix transpose of OT extension, compiled twice: for the x86-64
//! baseline (SSE2) and for AVX2, picked once per process at run time, so the rounds
//! run on 256-bit vectors where the CPU has them (the repository never sets
//! `target-cpu`).
//!
//! Method (recursive block swap): split every row into its two 64-bit halves; the
//! distance-64 round swaps the top-right and bottom-left 64x64 quadrants; each round at
//! distance `J` in 32, 16, ..., 1 is a masked shift-and-xor on row pairs `(r, r + J)`
//! within each half. Convention: `m[r]` bit `c` is entry (r, c); afterwards entry
//! (r, c) holds what (c, r) held.
//!
//! Guarantees: a pure permutation of bits with no data-dependent branches or memory
//! accesses; both variants run the same safe code and give the same bits (tested in
//! `mpc_ot::transpose` against a bit-by-bit reference, and here against each other).

/// Transposes the 128x128 bit matrix `m` in place (row `r` is `m[r]`, column `c` is
/// bit `c`).
pub fn transpose128(m: &mut [u128; 128]) {
    #[cfg(target_arch = "x86_64")]
    if has_avx2() {
        return avx2::transpose128(m);
    }
    transpose128_body(m)
}

#[cfg(target_arch = "x86_64")]
fn has_avx2() -> bool {
    use std::sync::OnceLock;
    static HAS: OnceLock<bool> = OnceLock::new();
    *HAS.get_or_init(|| std::arch::is_x86_feature_detected!("avx2"))
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    #![allow(unsafe_code)]

    /// The AVX2 variant; only called when AVX2 was detected (`super::has_avx2`).
    pub(super) fn transpose128(m: &mut [u128; 128]) {
        // SAFETY: the caller checked that the CPU has AVX2, the only feature this
        // function is compiled for; the body is safe code.
        unsafe { transpose128_avx2(m) }
    }

    #[target_feature(enable = "avx2")]
    unsafe fn transpose128_avx2(m: &mut [u128; 128]) {
        super::transpose128_body(m)
    }
}

/// The block-swap transpose (see the module docs), inlined into each compiled variant.
#[inline(always)]
fn transpose128_body(m: &mut [u128; 128]) {
    // Split every row into its low and high 64-bit halves.
    let mut lo = [0u64; 128];
    let mut hi = [0u64; 128];
    for (r, &row) in m.iter().enumerate() {
        lo[r] = row as u64;
        hi[r] = (row >> 64) as u64;
    }
    // Distance 64: the top-right 64x64 quadrant (rows 0..64, high halves) swaps with the
    // bottom-left one (rows 64..128, low halves).
    {
        let (hi_top, _) = hi.split_at_mut(64);
        let (_, lo_bottom) = lo.split_at_mut(64);
        hi_top.swap_with_slice(lo_bottom);
    }
    swap_round::<32>(&mut lo, 0x0000_0000_FFFF_FFFF);
    swap_round::<32>(&mut hi, 0x0000_0000_FFFF_FFFF);
    swap_round::<16>(&mut lo, 0x0000_FFFF_0000_FFFF);
    swap_round::<16>(&mut hi, 0x0000_FFFF_0000_FFFF);
    swap_round::<8>(&mut lo, 0x00FF_00FF_00FF_00FF);
    swap_round::<8>(&mut hi, 0x00FF_00FF_00FF_00FF);
    swap_round::<4>(&mut lo, 0x0F0F_0F0F_0F0F_0F0F);
    swap_round::<4>(&mut hi, 0x0F0F_0F0F_0F0F_0F0F);
    swap_round::<2>(&mut lo, 0x3333_3333_3333_3333);
    swap_round::<2>(&mut hi, 0x3333_3333_3333_3333);
    swap_round::<1>(&mut lo, 0x5555_5555_5555_5555);
    swap_round::<1>(&mut hi, 0x5555_5555_5555_5555);
    for (r, row) in m.iter_mut().enumerate() {
        *row = (lo[r] as u128) | ((hi[r] as u128) << 64);
    }
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

    #[test]
    fn both_variants_agree() {
        let mut x = 0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c834u128;
        for _ in 0..16 {
            let mut m = [0u128; 128];
            for row in m.iter_mut() {
                // An xorshift stream: any fixed pseudorandom fill will do.
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                *row = x;
            }
            let (mut a, mut b) = (m, m);
            transpose128(&mut a);
            transpose128_body(&mut b);
            assert_eq!(a, b);
            assert_ne!(a, m);
            transpose128(&mut a);
            assert_eq!(a, m);
        }
    }
}
