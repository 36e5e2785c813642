//! Arithmetic in GF(2^128) = GF(2)\[x\] / (x^128 + x^7 + x^2 + x + 1), for the
//! consistency checks of malicious-secure OT extension (KOS15) and authenticated
//! garbling.
//!
//! Representation: bit `i` of the `u128` (little-endian bit order, `1 << i`) is the
//! coefficient of `x^i`. This is *not* GCM's bit-reflected convention; the only
//! requirement of the checks is a field, and this one makes `x^127 * x = 0x87`.
//!
//! Products are computed carry-less (PCLMULQDQ when the CPU reports it, and inner
//! products four terms per instruction with AVX-512 VPCLMULQDQ, each checked once
//! per process; a portable shift-and-add otherwise; all tested equal) and can be
//! accumulated unreduced in a [`Accumulator`] (a 256-bit sum of products), reducing
//! once at the end: the inner loop of a check over many OTs is one carry-less multiply
//! and two XORs per term.
//!
//! Guarantees: no secret-dependent branches or memory accesses in either path (the
//! portable path masks instead of branching); results are bit-identical between paths.

/// The reduction polynomial's low part: x^128 = x^7 + x^2 + x + 1.
const POLY_LOW: u128 = 0x87;

/// The 8-bit qword masks of a packed word's 32 groups of four 128-bit terms: byte `g`
/// has bits `2b` and `2b + 1` set exactly when bit `4g + b` of `w` is set (each term
/// covers two qwords). By shifts and masks (a Morton spread of each 32-bit quarter):
/// the bits may be secret (a KOS receiver's choices), so no table is indexed by them,
/// and the bytes are then read at public positions.
#[inline(always)]
pub(crate) fn pair_masks(w: u128) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (q, o) in out.chunks_exact_mut(8).enumerate() {
        let mut x = u64::from((w >> (32 * q)) as u32);
        x = (x | x << 16) & 0x0000_ffff_0000_ffff;
        x = (x | x << 8) & 0x00ff_00ff_00ff_00ff;
        x = (x | x << 4) & 0x0f0f_0f0f_0f0f_0f0f;
        x = (x | x << 2) & 0x3333_3333_3333_3333;
        x = (x | x << 1) & 0x5555_5555_5555_5555;
        o.copy_from_slice(&(x | x << 1).to_le_bytes());
    }
    out
}

/// The 256-bit carry-less product of `a` and `b`, as `(low, high)`.
#[inline]
pub fn clmul(a: u128, b: u128) -> (u128, u128) {
    #[cfg(target_arch = "x86_64")]
    if has_pclmul() {
        return ni::clmul(a, b);
    }
    clmul_portable(a, b)
}

/// `a * b` in GF(2^128).
#[inline]
pub fn mul(a: u128, b: u128) -> u128 {
    let (lo, hi) = clmul(a, b);
    reduce(lo, hi)
}

/// Reduces the 256-bit polynomial `hi * x^128 + lo` modulo the field polynomial.
#[inline]
pub fn reduce(lo: u128, hi: u128) -> u128 {
    // hi * x^128 = hi * (x^7 + x^2 + x + 1); the part of that product above bit 127 is
    // at most 7 bits (hi >> 121 ...), folded once more.
    let (l1, h1) = clmul_small(hi);
    let (l2, _h2) = clmul_small(h1);
    lo ^ l1 ^ l2
}

/// `v * POLY_LOW` as a 135-bit carry-less product `(low 128 bits, high 7 bits)`.
#[inline]
fn clmul_small(v: u128) -> (u128, u128) {
    // POLY_LOW = 0x87 = x^7 + x^2 + x + 1: one shifted copy of `v` per term.
    debug_assert_eq!(POLY_LOW, 0b1000_0111);
    let lo = v ^ (v << 1) ^ (v << 2) ^ (v << 7);
    let hi = (v >> 127) ^ (v >> 126) ^ (v >> 121);
    (lo, hi)
}

/// A sum of unreduced products: `sum_i a_i * b_i` in GF(2^128), reduced once by
/// [`Accumulator::finish`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Accumulator {
    lo: u128,
    hi: u128,
}

impl Accumulator {
    /// The empty sum.
    pub fn new() -> Accumulator {
        Accumulator::default()
    }

    /// Adds `a * b`.
    #[inline]
    pub fn add_product(&mut self, a: u128, b: u128) {
        let (lo, hi) = clmul(a, b);
        self.lo ^= lo;
        self.hi ^= hi;
    }

    /// Adds `sum_i a[i] * b[i]` over the common length of the two slices: the inner
    /// loop of the KOS checks. With AVX-512 VPCLMULQDQ, one kernel call for the whole
    /// slice, four terms per instruction (schoolbook, summed unreduced); with
    /// PCLMULQDQ only, three carry-less multiplies per term (Karatsuba); otherwise
    /// [`Accumulator::add_product`] per term. All three give the same bits (tested).
    pub fn add_products(&mut self, a: &[u128], b: &[u128]) {
        #[cfg(target_arch = "x86_64")]
        if has_vpclmul() {
            let (lo, hi) = ni::inner_product_wide(a, b);
            self.lo ^= lo;
            self.hi ^= hi;
            return;
        }
        #[cfg(target_arch = "x86_64")]
        if has_pclmul() {
            let (lo, hi) = ni::inner_product(a, b);
            self.lo ^= lo;
            self.hi ^= hi;
            return;
        }
        for (&x, &y) in a.iter().zip(b) {
            self.add_product(x, y);
        }
    }

    /// Adds an unreduced 256-bit sum of products `hi * x^128 + lo`.
    #[inline]
    pub(crate) fn add_unreduced(&mut self, lo: u128, hi: u128) {
        self.lo ^= lo;
        self.hi ^= hi;
    }

    /// Adds a field element.
    #[inline]
    pub fn add(&mut self, a: u128) {
        self.lo ^= a;
    }

    /// The reduced sum.
    pub fn finish(self) -> u128 {
        reduce(self.lo, self.hi)
    }
}

/// The sum (XOR) of the `a[i]` whose bit `i` is set in `bits` (bit `i % 128` of
/// `bits[i / 128]`): the inner product of a bit vector with field elements, the
/// receiver's `x = sum chi_i r_i` of the KOS check. Branch free in the bits (masked
/// XORs; with AVX-512F, four terms per merge-masked instruction). Terms without a bit
/// (`bits` shorter than `a.len() / 128` words) count as unset.
pub fn select_sum(a: &[u128], bits: &[u128]) -> u128 {
    let n = a.len().min(128 * bits.len());
    #[cfg(target_arch = "x86_64")]
    if has_avx512f() {
        return ni::select_sum_wide(&a[..n], bits);
    }
    select_sum_portable(&a[..n], bits)
}

/// [`select_sum`] without vector instructions, for `a.len() <= 128 * bits.len()`.
fn select_sum_portable(a: &[u128], bits: &[u128]) -> u128 {
    let (mut lo, mut hi) = (0u64, 0u64);
    for (i, &v) in a.iter().enumerate() {
        let m = 0u64.wrapping_sub(((bits[i / 128] >> (i % 128)) & 1) as u64);
        lo ^= (v as u64) & m;
        hi ^= ((v >> 64) as u64) & m;
    }
    u128::from(lo) | u128::from(hi) << 64
}

/// Shift-and-add carry-less product, branch free (each step masks by a bit of `b`).
fn clmul_portable(a: u128, b: u128) -> (u128, u128) {
    let (mut lo, mut hi) = (0u128, 0u128);
    for i in 0..128 {
        let mask = 0u128.wrapping_sub((b >> i) & 1);
        lo ^= (a << i) & mask;
        // For i = 0 the high part is empty; `checked_shr` avoids a shift by 128.
        hi ^= (a.checked_shr(128 - i as u32).unwrap_or(0)) & mask;
    }
    (lo, hi)
}

#[cfg(target_arch = "x86_64")]
fn has_pclmul() -> bool {
    use std::sync::OnceLock;
    static HAS: OnceLock<bool> = OnceLock::new();
    *HAS.get_or_init(|| {
        std::arch::is_x86_feature_detected!("pclmulqdq") && std::arch::is_x86_feature_detected!("sse2")
    })
}

/// Whether AVX-512F is there (for [`select_sum`]), checked once per process.
#[cfg(target_arch = "x86_64")]
fn has_avx512f() -> bool {
    use std::sync::OnceLock;
    static HAS: OnceLock<bool> = OnceLock::new();
    *HAS.get_or_init(|| std::arch::is_x86_feature_detected!("avx512f"))
}

/// Whether the 512-bit VPCLMULQDQ kernel ([`Accumulator::add_products`]) can run:
/// AVX-512F and VPCLMULQDQ (and PCLMULQDQ for the tail), checked once per process.
#[cfg(target_arch = "x86_64")]
fn has_vpclmul() -> bool {
    use std::sync::OnceLock;
    static HAS: OnceLock<bool> = OnceLock::new();
    *HAS.get_or_init(|| {
        std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("vpclmulqdq")
            && has_pclmul()
    })
}

#[cfg(target_arch = "x86_64")]
mod ni {
    #![allow(unsafe_code)]
    use core::arch::x86_64::*;

    /// Carry-less 128x128 -> 256 product; only called when PCLMULQDQ and SSE2 were
    /// detected (`super::has_pclmul`).
    #[inline]
    pub(super) fn clmul(a: u128, b: u128) -> (u128, u128) {
        // SAFETY: the caller checked the CPU features this function is compiled for.
        unsafe { clmul_ni(a, b) }
    }

    #[target_feature(enable = "pclmulqdq,sse2")]
    unsafe fn clmul_ni(a: u128, b: u128) -> (u128, u128) {
        let split = |v: u128| _mm_set_epi64x((v >> 64) as u64 as i64, v as u64 as i64);
        let (x, y) = (split(a), split(b));
        let ll = _mm_clmulepi64_si128(x, y, 0x00);
        let hh = _mm_clmulepi64_si128(x, y, 0x11);
        let lh = _mm_clmulepi64_si128(x, y, 0x10);
        let hl = _mm_clmulepi64_si128(x, y, 0x01);
        let mid = _mm_xor_si128(lh, hl);
        let join = |v: __m128i| {
            let lo = _mm_cvtsi128_si64(v) as u64 as u128;
            let hi = _mm_cvtsi128_si64(_mm_unpackhi_epi64(v, v)) as u64 as u128;
            lo | (hi << 64)
        };
        let (ll, hh, mid) = (join(ll), join(hh), join(mid));
        (ll ^ (mid << 64), hh ^ (mid >> 64))
    }

    /// `sum_i a[i] * b[i]` unreduced (256 bits as `(low, high)`), over the common
    /// length; only called when PCLMULQDQ and SSE2 were detected (`super::has_pclmul`).
    pub(super) fn inner_product(a: &[u128], b: &[u128]) -> (u128, u128) {
        // SAFETY: the caller checked the CPU features this function is compiled for.
        unsafe { inner_product_ni(a, b) }
    }

    /// [`inner_product`] four terms per instruction on 512-bit registers; only called
    /// when AVX-512F, VPCLMULQDQ and PCLMULQDQ were detected (`super::has_vpclmul`).
    pub(super) fn inner_product_wide(a: &[u128], b: &[u128]) -> (u128, u128) {
        // SAFETY: the caller checked the CPU features this function is compiled for.
        unsafe { inner_product_wide_ni(a, b) }
    }

    #[target_feature(enable = "avx512f,vpclmulqdq,pclmulqdq,sse2")]
    unsafe fn inner_product_wide_ni(a: &[u128], b: &[u128]) -> (u128, u128) {
        // Schoolbook per term (four carry-less products, no shuffles), four terms per
        // 512-bit register, two registers per iteration; the low, high and two middle
        // partial products are summed lane-wise and folded at the end.
        let n = a.len().min(b.len());
        let (a, b) = (&a[..n], &b[..n]);
        let z = _mm512_setzero_si512();
        let (mut ll, mut hh, mut m0, mut m1) = (z, z, z, z);
        let mut xa = a.chunks_exact(8);
        let mut yb = b.chunks_exact(8);
        for (x, y) in xa.by_ref().zip(yb.by_ref()) {
            // SAFETY: `x` and `y` are 8 readable `u128`s (128 bytes) each; the loads
            // are unaligned-tolerant.
            let (x0, x1, y0, y1) = unsafe {
                let (px, py) = (x.as_ptr() as *const __m512i, y.as_ptr() as *const __m512i);
                (
                    _mm512_loadu_si512(px),
                    _mm512_loadu_si512(px.add(1)),
                    _mm512_loadu_si512(py),
                    _mm512_loadu_si512(py.add(1)),
                )
            };
            ll = _mm512_xor_si512(ll, _mm512_clmulepi64_epi128(x0, y0, 0x00));
            hh = _mm512_xor_si512(hh, _mm512_clmulepi64_epi128(x0, y0, 0x11));
            m0 = _mm512_xor_si512(m0, _mm512_clmulepi64_epi128(x0, y0, 0x01));
            m1 = _mm512_xor_si512(m1, _mm512_clmulepi64_epi128(x0, y0, 0x10));
            ll = _mm512_xor_si512(ll, _mm512_clmulepi64_epi128(x1, y1, 0x00));
            hh = _mm512_xor_si512(hh, _mm512_clmulepi64_epi128(x1, y1, 0x11));
            m0 = _mm512_xor_si512(m0, _mm512_clmulepi64_epi128(x1, y1, 0x01));
            m1 = _mm512_xor_si512(m1, _mm512_clmulepi64_epi128(x1, y1, 0x10));
        }
        let mid = _mm512_xor_si512(m0, m1);
        let lanes = |v: __m512i| -> u128 {
            let mut w = [0u128; 4];
            // SAFETY: `w` is 64 writable bytes; the store is unaligned-tolerant.
            unsafe { _mm512_storeu_si512(w.as_mut_ptr() as *mut __m512i, v) };
            w[0] ^ w[1] ^ w[2] ^ w[3]
        };
        let (ll, hh, mid) = (lanes(ll), lanes(hh), lanes(mid));
        let (lo, hi) = (ll ^ (mid << 64), hh ^ (mid >> 64));
        // The last `n % 8` terms on 128-bit registers.
        let (tl, th) = inner_product_ni(xa.remainder(), yb.remainder());
        (lo ^ tl, hi ^ th)
    }

    /// [`super::select_sum`] with `a.len() <= 128 * bits.len()`; only called when
    /// AVX-512F was detected (`super::has_avx512f`).
    pub(super) fn select_sum_wide(a: &[u128], bits: &[u128]) -> u128 {
        // SAFETY: the caller checked the CPU feature this function is compiled for.
        unsafe { select_sum_avx512(a, bits) }
    }

    #[target_feature(enable = "avx512f")]
    unsafe fn select_sum_avx512(a: &[u128], bits: &[u128]) -> u128 {
        let z = _mm512_setzero_si512();
        let mut acc = [z; 4];
        for (word, &w) in a.chunks(128).zip(bits) {
            let masks = crate::gf128::pair_masks(w);
            let mut quads = word.chunks_exact(4);
            for (g, q) in quads.by_ref().enumerate() {
                // SAFETY: `q` is 4 readable `u128`s (64 bytes); the load is
                // unaligned-tolerant.
                let v = unsafe { _mm512_loadu_si512(q.as_ptr() as *const __m512i) };
                let k = masks[g];
                acc[g % 4] = _mm512_mask_xor_epi64(acc[g % 4], k, acc[g % 4], v);
            }
            let rest = quads.remainder();
            let first = word.len() - rest.len();
            for (i, &v) in rest.iter().enumerate() {
                let m = 0u128.wrapping_sub((w >> (first + i)) & 1);
                acc[0] = _mm512_xor_si512(
                    acc[0],
                    _mm512_set_epi64(0, 0, 0, 0, 0, 0, ((v & m) >> 64) as i64, (v & m) as i64),
                );
            }
        }
        let all = _mm512_xor_si512(_mm512_xor_si512(acc[0], acc[1]), _mm512_xor_si512(acc[2], acc[3]));
        let mut lanes = [0u128; 4];
        // SAFETY: `lanes` is 64 writable bytes; the store is unaligned-tolerant.
        unsafe { _mm512_storeu_si512(lanes.as_mut_ptr() as *mut __m512i, all) };
        lanes[0] ^ lanes[1] ^ lanes[2] ^ lanes[3]
    }

    #[target_feature(enable = "pclmulqdq,sse2")]
    unsafe fn inner_product_ni(a: &[u128], b: &[u128]) -> (u128, u128) {
        // Karatsuba per term, each of the three partial products summed on its own:
        // sum(a*b) = LL + (M ^ LL ^ HH) x^64 + HH x^128 with M = (a0^a1)(b0^b1).
        let (mut ll, mut hh, mut mm) = (_mm_setzero_si128(), _mm_setzero_si128(), _mm_setzero_si128());
        for (x, y) in a.iter().zip(b) {
            // SAFETY: `x` and `y` are references to 16 readable bytes; the loads are
            // unaligned-tolerant.
            let (x, y) = unsafe {
                (
                    _mm_loadu_si128(x as *const u128 as *const __m128i),
                    _mm_loadu_si128(y as *const u128 as *const __m128i),
                )
            };
            ll = _mm_xor_si128(ll, _mm_clmulepi64_si128(x, y, 0x00));
            hh = _mm_xor_si128(hh, _mm_clmulepi64_si128(x, y, 0x11));
            let xs = _mm_xor_si128(x, _mm_unpackhi_epi64(x, x));
            let ys = _mm_xor_si128(y, _mm_unpackhi_epi64(y, y));
            mm = _mm_xor_si128(mm, _mm_clmulepi64_si128(xs, ys, 0x00));
        }
        let join = |v: __m128i| {
            let lo = _mm_cvtsi128_si64(v) as u64 as u128;
            let hi = _mm_cvtsi128_si64(_mm_unpackhi_epi64(v, v)) as u64 as u128;
            lo | (hi << 64)
        };
        let (ll, hh, mm) = (join(ll), join(hh), join(mm));
        let mid = mm ^ ll ^ hh;
        (ll ^ (mid << 64), hh ^ (mid >> 64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha20Rng;

    #[test]
    fn pair_masks_set_both_bits_of_each_term() {
        let mut rng = ChaCha20Rng::seed_from_u64(7);
        for w in [0u128, u128::MAX, 1, 1 << 127, rng.gen(), rng.gen(), rng.gen()] {
            let m = pair_masks(w);
            for (g, &k) in m.iter().enumerate() {
                let want = (0..4).filter(|b| w >> (4 * g + b) & 1 == 1).fold(0u8, |m, b| m | 3 << (2 * b));
                assert_eq!(k, want, "w = {w:#x}, group {g}");
            }
        }
    }
    use proptest::prelude::*;

    #[test]
    fn x127_times_x_is_the_reduction_polynomial() {
        assert_eq!(mul(1 << 127, 2), POLY_LOW);
        assert_eq!(mul(1, 0xdead_beef), 0xdead_beef);
        assert_eq!(mul(0, u128::MAX), 0);
        // x^64 * x^64 = x^128 = x^7 + x^2 + x + 1.
        assert_eq!(mul(1 << 64, 1 << 64), POLY_LOW);
    }

    #[test]
    fn every_nonzero_element_has_an_inverse_by_fermat() {
        // a^(2^128 - 2) is a's inverse: square-and-multiply over the 127 one bits.
        let a: u128 = 0x0123_4567_89ab_cdef_fedc_ba98_7654_3210;
        let mut acc = 1u128;
        let mut sq = a;
        for i in 0..128 {
            if i >= 1 {
                acc = mul(acc, sq);
            }
            sq = mul(sq, sq);
        }
        assert_eq!(mul(acc, a), 1);
    }

    proptest! {
        #[test]
        fn both_paths_agree(a in any::<u128>(), b in any::<u128>()) {
            prop_assert_eq!(clmul(a, b), clmul_portable(a, b));
        }

        #[test]
        fn field_laws(a in any::<u128>(), b in any::<u128>(), c in any::<u128>()) {
            prop_assert_eq!(mul(a, b), mul(b, a));
            prop_assert_eq!(mul(mul(a, b), c), mul(a, mul(b, c)));
            prop_assert_eq!(mul(a, b ^ c), mul(a, b) ^ mul(a, c));
        }

        #[test]
        fn accumulator_is_the_sum_of_products(
            terms in proptest::collection::vec((any::<u128>(), any::<u128>()), 0..20)
        ) {
            let mut acc = Accumulator::new();
            let mut want = 0u128;
            for &(a, b) in &terms {
                acc.add_product(a, b);
                want ^= mul(a, b);
            }
            prop_assert_eq!(acc.finish(), want);
        }

        #[test]
        fn every_inner_product_kernel_agrees(
            terms in proptest::collection::vec((any::<u128>(), any::<u128>()), 0..70),
        ) {
            let (a, b): (Vec<u128>, Vec<u128>) = terms.iter().copied().unzip();
            let mut want = (0u128, 0u128);
            for &(x, y) in &terms {
                let (lo, hi) = clmul_portable(x, y);
                want = (want.0 ^ lo, want.1 ^ hi);
            }
            #[cfg(target_arch = "x86_64")]
            {
                if has_pclmul() {
                    prop_assert_eq!(ni::inner_product(&a, &b), want);
                }
                if has_vpclmul() {
                    prop_assert_eq!(ni::inner_product_wide(&a, &b), want);
                }
            }
            let _ = (&a, &b, want);
        }

        #[test]
        fn select_sum_is_the_sum_of_selected_terms(
            a in proptest::collection::vec(any::<u128>(), 0..300),
            bits in proptest::collection::vec(any::<u128>(), 0..4),
        ) {
            let mut want = 0u128;
            for (i, &v) in a.iter().enumerate() {
                if i / 128 < bits.len() && (bits[i / 128] >> (i % 128)) & 1 == 1 {
                    want ^= v;
                }
            }
            prop_assert_eq!(select_sum(&a, &bits), want);
            let n = a.len().min(128 * bits.len());
            prop_assert_eq!(select_sum_portable(&a[..n], &bits), want);
        }

        #[test]
        fn add_products_is_the_sum_of_products(
            terms in proptest::collection::vec((any::<u128>(), any::<u128>()), 0..40),
            start in any::<u128>(),
        ) {
            let (a, b): (Vec<u128>, Vec<u128>) = terms.iter().copied().unzip();
            let mut acc = Accumulator::new();
            acc.add(start);
            acc.add_products(&a, &b);
            let mut want = start;
            for &(x, y) in &terms {
                want ^= mul(x, y);
            }
            prop_assert_eq!(acc.finish(), want);
        }
    }
}
