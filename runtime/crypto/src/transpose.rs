//! The 128x128 bit-matrix transpose of OT extension, three kernels picked once per
//! process at run time (the repository never sets `target-cpu`):
//! - AVX-512 VBMI + GFNI (module `gfni`): byte permutes, an affine transform per 8x8 block
//!   and lane permutes, about 60 ns per tile on this machine's Xeon;
//! - the block-swap rounds below compiled for AVX2 (about 300 ns per tile), and for
//!   the x86-64 baseline (SSE2). An AVX-512 compilation of the rounds measured slower
//!   (0.9 against 0.5 us per tile) and is not used.
//!
//! [`transpose128_append`] gathers a tile's rows from a strided buffer and
//! [`transpose_tiles_append`] reads whole tiles in place (the tile-major chunks of
//! OT extension's [`crate::columns`]); both append the transposed rows to the output,
//! with no intermediate copy of the output and no zero-fill.
//!
//! Method (recursive block swap): split every row into its two 64-bit halves; the
//! distance-64 round swaps the top-right and bottom-left 64x64 quadrants; each round at
//! distance `J` in 32, 16, ..., 1 is a masked shift-and-xor on row pairs `(r, r + J)`
//! within each half. Convention: `m[r]` bit `c` is entry (r, c); afterwards entry
//! (r, c) holds what (c, r) held.
//!
//! Guarantees: a pure permutation of bits with no data-dependent branches or memory
//! accesses; every variant gives the same bits (tested here and in
//! `mpc_ot::transpose` against a bit-by-bit reference). The block-swap variants are
//! safe code; the GFNI kernel is intrinsics on raw pointers, its bounds stated at
//! each `unsafe`.

use crate::Block;

/// Transposes the 128x128 bit matrix `m` in place (row `r` is `m[r]`, column `c` is
/// bit `c`).
pub fn transpose128(m: &mut [u128; 128]) {
    #[cfg(target_arch = "x86_64")]
    match kernel() {
        Kernel::Gfni => return gfni::transpose128(m),
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
    #[cfg(target_arch = "x86_64")]
    let k = kernel();
    #[cfg(not(target_arch = "x86_64"))]
    let k = Kernel::Portable;
    if k == Kernel::Gfni {
        #[cfg(target_arch = "x86_64")]
        gfni::transpose128_into(&core::array::from_fn(load), spare);
    } else {
        let store = |r: usize, v: u128| {
            spare[r].write(Block::from_u128(v));
        };
        #[cfg(target_arch = "x86_64")]
        if k == Kernel::Avx2 {
            wide::gather_avx2(load, store);
        } else {
            gather(load, store);
        }
        #[cfg(not(target_arch = "x86_64"))]
        gather(load, store);
    }
    #[allow(unsafe_code)]
    // SAFETY: the first 128 spare entries (reserved above) are initialised:
    // `transpose128_into` writes all 128, and the other variants end in `join`, which
    // calls `store` for every `r` in `0..128`.
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

/// Transposes whole tiles stored one after another (row `r` of tile `k` is
/// `tiles[128 k + r]`, the layout of [`crate::columns`]) and appends each tile's 128
/// transposed rows to `dst`, in tile order. With the AVX-512 kernel each tile is read
/// in place (no gather, no copy).
///
/// # Panics
/// If `tiles.len()` is not a multiple of 128 (a caller bug).
pub fn transpose_tiles_append(tiles: &[Block], dst: &mut Vec<Block>) {
    assert_eq!(tiles.len() % 128, 0, "transpose_tiles_append: whole tiles of 128 rows");
    dst.reserve(tiles.len());
    for tile in tiles.chunks_exact(128) {
        #[cfg(target_arch = "x86_64")]
        if kernel() == Kernel::Gfni {
            let spare = &mut dst.spare_capacity_mut()[..128];
            gfni::transpose_tile_into(tile, spare);
            #[allow(unsafe_code)]
            // SAFETY: `transpose_tile_into` initialised all 128 entries of `spare`, the
            // first 128 spare entries (reserved above: `tiles.len()` in all).
            unsafe {
                dst.set_len(dst.len() + 128)
            };
            continue;
        }
        transpose128_append(tile, 0, 1, dst);
    }
}

/// The portable (x86-64 baseline) kernel, whatever the CPU: for tests comparing the
/// variants.
pub fn transpose128_portable(m: &mut [u128; 128]) {
    let (mut lo, mut hi) = split(|r| m[r]);
    rounds(&mut lo, &mut hi);
    join(&lo, &hi, |r, v| m[r] = v);
}

/// The variant this CPU runs.
#[derive(Clone, Copy, PartialEq, Eq)]
// Off x86-64 only `Portable` is ever built.
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
enum Kernel {
    Gfni,
    Avx2,
    Portable,
}

#[cfg(target_arch = "x86_64")]
fn kernel() -> Kernel {
    use std::arch::is_x86_feature_detected as has;
    use std::sync::OnceLock;
    static K: OnceLock<Kernel> = OnceLock::new();
    *K.get_or_init(|| {
        if gfni::available() {
            Kernel::Gfni
        } else if has!("avx2") {
            Kernel::Avx2
        } else {
            Kernel::Portable
        }
    })
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

/// The 128x128 transpose in about 250 AVX-512 instructions (VBMI byte permutes, GFNI
/// affine transforms, qword permutes) instead of the block-swap rounds' thousand-odd:
/// the matrix as 16 x 16 blocks of 8 x 8 bits, block `(R, B)` being byte `B` of rows
/// `8R .. 8R + 8`.
/// 1. gather each block into a 64-bit lane, row `i` in byte `7 - i` (`vpermt2b` on
///    the two registers holding rows `8R .. 8R + 8`);
/// 2. transpose every block's bits in its lane (`gf2p8affineqb` with the block as the
///    matrix and the bytes `1 << j` as the vector: byte `j` of the result is column
///    `j`);
/// 3. move block `(R, B)` to `(B, R)`: for each half of the `B`s, two 8 x 8 transposes
///    of lanes across 8 registers (`vpermt2q` butterflies at distances 1, 2, 4);
/// 4. scatter each block's bytes to their output rows (`vpermt2b` again): output row
///    `8B + j` is byte `j` of blocks `(0..16, B)`.
#[cfg(target_arch = "x86_64")]
mod gfni {
    #![allow(unsafe_code)]
    use core::arch::x86_64::*;

    /// Whether the CPU has what the kernel is compiled for.
    pub(super) fn available() -> bool {
        use std::arch::is_x86_feature_detected as has;
        has!("avx512f") && has!("avx512bw") && has!("avx512vbmi") && has!("gfni")
    }

    /// Transposes `m` in place; only called when [`available`] said so.
    pub(super) fn transpose128(m: &mut [u128; 128]) {
        let p = m.as_mut_ptr();
        // SAFETY: the caller checked the CPU features (`super::kernel`, which asks
        // `available`); the kernel reads all 2048 bytes at `p` before it writes any
        // (all 32 input registers are loaded first), so in place is fine.
        unsafe { kernel(p, p) }
    }

    /// Writes the transpose of `m` into `out` (all 128 entries initialised); only
    /// called when [`available`] said so.
    pub(super) fn transpose128_into(m: &[u128; 128], out: &mut [core::mem::MaybeUninit<crate::Block>]) {
        assert_eq!(out.len(), 128, "a tile is 128 rows");
        // SAFETY: as in `transpose128`; `out` is 128 writable 16-byte entries (`Block`
        // is a `repr(transparent)` `u128`), disjoint from `m` (a shared borrow).
        unsafe { kernel(m.as_ptr(), out.as_mut_ptr().cast()) }
    }

    /// Writes the transpose of the 128 rows `src` into `out` (both exactly 128
    /// entries); only called when [`available`] said so.
    pub(super) fn transpose_tile_into(
        src: &[crate::Block],
        out: &mut [core::mem::MaybeUninit<crate::Block>],
    ) {
        assert!(src.len() == 128 && out.len() == 128, "a tile is 128 rows");
        // SAFETY: as in `transpose128`; `src` is 128 readable and `out` 128 writable
        // 16-byte entries (`Block` is a `repr(transparent)` `u128`), disjoint (a shared
        // and an exclusive borrow).
        unsafe { kernel(src.as_ptr().cast(), out.as_mut_ptr().cast()) }
    }

    /// Byte indices (into the 128 bytes of two registers) of step 1 for blocks
    /// `8h .. 8h + 8`: lane `b` byte `7 - i` takes row `i` byte `8h + b`.
    fn gather_index(h: usize) -> [u8; 64] {
        core::array::from_fn(|p| {
            let (b, i) = (p / 8, 7 - p % 8);
            (16 * i + 8 * h + b) as u8
        })
    }

    /// Byte indices of step 4 for output rows `4q .. 4q + 4` of a block column: row
    /// `4q + jj` byte `R` takes byte `4q + jj` of lane `R`.
    fn scatter_index(q: usize) -> [u8; 64] {
        core::array::from_fn(|p| {
            let (jj, r) = (p / 16, p % 16);
            (8 * r + 4 * q + jj) as u8
        })
    }

    /// Qword indices of a butterfly at distance `d`: `(low, high)` for the register
    /// pair `(x, y)` (`y` being `d` registers after `x`).
    fn butterfly_index(d: usize) -> ([u64; 8], [u64; 8]) {
        let lo = core::array::from_fn(|p| if p & d == 0 { p as u64 } else { (8 + p - d) as u64 });
        let hi = core::array::from_fn(|p| if p & d == 0 { (p + d) as u64 } else { (8 + p) as u64 });
        (lo, hi)
    }

    #[inline(always)]
    unsafe fn load_bytes(idx: &[u8; 64]) -> __m512i {
        // SAFETY: 64 readable bytes, unaligned load.
        _mm512_loadu_si512(idx.as_ptr().cast())
    }

    #[inline(always)]
    unsafe fn load_qwords(idx: &[u64; 8]) -> __m512i {
        // SAFETY: 64 readable bytes, unaligned load.
        _mm512_loadu_si512(idx.as_ptr().cast())
    }

    /// The 8 x 8 transpose of 64-bit lanes across `a` (lane `p` of register `k` goes to
    /// lane `k` of register `p`).
    #[inline(always)]
    unsafe fn transpose_lanes(a: &mut [__m512i; 8], bf: &[(__m512i, __m512i); 3]) {
        for (s, d) in [1usize, 2, 4].into_iter().enumerate() {
            let (lo, hi) = bf[s];
            for k in 0..8 {
                if k & d == 0 {
                    let (x, y) = (a[k], a[k + d]);
                    a[k] = _mm512_permutex2var_epi64(x, lo, y);
                    a[k + d] = _mm512_permutex2var_epi64(x, hi, y);
                }
            }
        }
    }

    /// The transpose of the 128 rows at `src` written to `dst` (both 2048 bytes, no
    /// alignment needed; `dst == src` allowed, the input is read in full first).
    #[target_feature(enable = "avx512f,avx512bw,avx512vbmi,gfni")]
    unsafe fn kernel(src: *const u128, dst: *mut u128) {
        let (src, base) = (src as *const __m512i, dst as *mut __m512i);
        // SAFETY (loads and stores below): `src` and `dst` are 2048 bytes, 32
        // registers' worth; register `k` covers rows `4k .. 4k + 4`, `k < 32`.
        let input: [__m512i; 32] = core::array::from_fn(|k| _mm512_loadu_si512(src.add(k)));
        let unit = _mm512_set1_epi64(0x8040_2010_0804_0201u64 as i64);
        let bf: [(__m512i, __m512i); 3] = core::array::from_fn(|s| {
            let (lo, hi) = butterfly_index(1 << s);
            (load_qwords(&lo), load_qwords(&hi))
        });
        let scatter = [load_bytes(&scatter_index(0)), load_bytes(&scatter_index(1))];
        for h in 0..2 {
            let gather = load_bytes(&gather_index(h));
            // Steps 1 and 2: lane `b` of `t[R]` is block `(R, 8h + b)` transposed.
            let t: [__m512i; 16] = core::array::from_fn(|r| {
                let q = _mm512_permutex2var_epi8(input[2 * r], gather, input[2 * r + 1]);
                _mm512_gf2p8affine_epi64_epi8::<0>(unit, q)
            });
            // Step 3: lane `R % 8` of `u[b]` / `v[b]` is block `(R, 8h + b)`, for
            // `R < 8` / `R >= 8`.
            let mut u: [__m512i; 8] = core::array::from_fn(|k| t[k]);
            let mut v: [__m512i; 8] = core::array::from_fn(|k| t[8 + k]);
            transpose_lanes(&mut u, &bf);
            transpose_lanes(&mut v, &bf);
            // Step 4: output rows `8B .. 8B + 8` for `B = 8h + b`.
            for b in 0..8 {
                let row = 8 * (8 * h + b);
                for (q, idx) in scatter.iter().enumerate() {
                    let o = _mm512_permutex2var_epi8(u[b], *idx, v[b]);
                    _mm512_storeu_si512(base.add(row / 4 + q), o);
                }
            }
        }
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
                if gfni::available() {
                    let mut c = m;
                    gfni::transpose128(&mut c);
                    assert_eq!(c, want);
                }
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
    fn every_gathering_variant_is_the_bitwise_transpose() {
        // The append path's non-GFNI variants, whatever this CPU picks.
        let m = matrix(5);
        let want = naive(&m);
        let mut got = [0u128; 128];
        gather(|r| m[r], |r, v| got[r] = v);
        assert_eq!(got, want);
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx2") {
                let mut got = [0u128; 128];
                wide::gather_avx2(|r| m[r], |r, v| got[r] = v);
                assert_eq!(got, want);
            }
            if gfni::available() {
                let mut out = [core::mem::MaybeUninit::<Block>::uninit(); 128];
                gfni::transpose128_into(&m, &mut out);
                // SAFETY: `transpose128_into` initialises all 128 entries.
                #[allow(unsafe_code)]
                let got: Vec<u128> = out.iter().map(|b| unsafe { b.assume_init() }.to_u128()).collect();
                assert_eq!(got, want);
            }
        }
    }

    #[test]
    fn tiles_append_is_each_tile_transposed() {
        let tiles: Vec<Block> = (0..3).flat_map(|k| matrix(40 + k)).map(Block::from_u128).collect();
        let mut dst = vec![Block::ONES];
        transpose_tiles_append(&tiles, &mut dst);
        assert_eq!(dst.len(), 1 + 3 * 128);
        for k in 0..3usize {
            let want = naive(&matrix(40 + k as u128));
            for (r, w) in want.iter().enumerate() {
                assert_eq!(dst[1 + 128 * k + r].to_u128(), *w, "tile {k}, row {r}");
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
