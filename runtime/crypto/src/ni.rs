//! A fused AES-NI kernel for fixed-key AES and the TCCR hash on x86-64.
//!
//! The `aes` crate processes one `encrypt_blocks` call at a time; the TCCR needs two
//! dependent AES layers with a tweak XOR in between, which through the crate costs two
//! calls and three passes over memory. This kernel keeps 8 blocks in registers through
//! both layers. It is used only when the CPU reports AES-NI (checked once, at
//! construction of [`NiKeys`]); otherwise callers fall back to the `aes` crate.
//! Guarantees: bit-identical to the `aes` crate (tested in `aes.rs`); the round keys are
//! public (fixed key), so there is no secret key material here.
#![allow(unsafe_code)]

use core::arch::x86_64::*;

use crate::Block;

/// Expanded AES-128 round keys, only constructible when AES-NI is present.
#[derive(Clone, Copy)]
pub(crate) struct NiKeys([__m128i; 11]);

impl NiKeys {
    /// The round keys of `key`, or `None` if this CPU has no AES-NI.
    pub(crate) fn new(key: [u8; 16]) -> Option<NiKeys> {
        if std::arch::is_x86_feature_detected!("aes") && std::arch::is_x86_feature_detected!("sse2") {
            // SAFETY: the CPU supports the target features `expand` is compiled for
            // (checked on the line above).
            Some(NiKeys(unsafe { expand(key) }))
        } else {
            None
        }
    }

    /// `pi` in place on every block.
    #[inline]
    pub(crate) fn permute_many(&self, blocks: &mut [Block]) {
        // SAFETY: a `NiKeys` exists only if AES-NI and SSE2 were detected (see `new`).
        unsafe { permute_many(&self.0, blocks) }
    }

    /// `tccr(x, tweak(k))` in place on every block.
    #[inline]
    pub(crate) fn tccr_many(&self, blocks: &mut [Block], tweak: impl FnMut(usize) -> Block) {
        // SAFETY: as in `permute_many`.
        unsafe { tccr_many(&self.0, blocks, tweak) }
    }
}

#[target_feature(enable = "aes,sse2")]
unsafe fn expand(key: [u8; 16]) -> [__m128i; 11] {
    let mut k = [_mm_setzero_si128(); 11];
    k[0] = _mm_loadu_si128(key.as_ptr().cast::<__m128i>());
    macro_rules! step {
        ($i:expr, $rcon:expr) => {{
            let mut t = k[$i - 1];
            let g = _mm_shuffle_epi32::<0xff>(_mm_aeskeygenassist_si128::<$rcon>(t));
            t = _mm_xor_si128(t, _mm_slli_si128::<4>(t));
            t = _mm_xor_si128(t, _mm_slli_si128::<4>(t));
            t = _mm_xor_si128(t, _mm_slli_si128::<4>(t));
            k[$i] = _mm_xor_si128(t, g);
        }};
    }
    step!(1, 0x01);
    step!(2, 0x02);
    step!(3, 0x04);
    step!(4, 0x08);
    step!(5, 0x10);
    step!(6, 0x20);
    step!(7, 0x40);
    step!(8, 0x80);
    step!(9, 0x1b);
    step!(10, 0x36);
    k
}

#[inline(always)]
fn to_m(b: Block) -> __m128i {
    // SAFETY: `__m128i` and `u128` are both 16 plain bytes with no invalid values; the
    // value-level transmute keeps the byte layout, which is the block's LE encoding.
    unsafe { core::mem::transmute::<u128, __m128i>(b.to_u128()) }
}

#[inline(always)]
fn from_m(m: __m128i) -> Block {
    // SAFETY: as in `to_m`.
    Block::from_u128(unsafe { core::mem::transmute::<__m128i, u128>(m) })
}

/// AES-128 of `N` blocks held in registers.
#[inline(always)]
unsafe fn enc<const N: usize>(k: &[__m128i; 11], x: &mut [__m128i; N]) {
    for v in x.iter_mut() {
        *v = _mm_xor_si128(*v, k[0]);
    }
    for rk in &k[1..10] {
        for v in x.iter_mut() {
            *v = _mm_aesenc_si128(*v, *rk);
        }
    }
    for v in x.iter_mut() {
        *v = _mm_aesenclast_si128(*v, k[10]);
    }
}

#[target_feature(enable = "aes,sse2")]
unsafe fn permute_many(k: &[__m128i; 11], blocks: &mut [Block]) {
    let mut chunks = blocks.chunks_exact_mut(8);
    for c in chunks.by_ref() {
        let mut x: [__m128i; 8] = core::array::from_fn(|i| to_m(c[i]));
        enc(k, &mut x);
        for (dst, v) in c.iter_mut().zip(x) {
            *dst = from_m(v);
        }
    }
    for b in chunks.into_remainder() {
        let mut x = [to_m(*b)];
        enc(k, &mut x);
        *b = from_m(x[0]);
    }
}

/// Blocks per iteration of the fused TCCR loop: 16 keeps two AES pipelines' worth of
/// independent blocks in flight across the dependency between the two layers.
const LANES: usize = 16;

#[target_feature(enable = "aes,sse2")]
unsafe fn tccr_many(k: &[__m128i; 11], blocks: &mut [Block], mut tweak: impl FnMut(usize) -> Block) {
    let mut chunks = blocks.chunks_exact_mut(LANES);
    let mut base = 0;
    for c in chunks.by_ref() {
        let mut x: [__m128i; LANES] = core::array::from_fn(|i| to_m(c[i]));
        enc(k, &mut x);
        for (i, (dst, v)) in c.iter_mut().zip(x.iter_mut()).enumerate() {
            *dst = from_m(*v);
            *v = _mm_xor_si128(*v, to_m(tweak(base + i)));
        }
        enc(k, &mut x);
        for (dst, v) in c.iter_mut().zip(x) {
            *dst = from_m(_mm_xor_si128(v, to_m(*dst)));
        }
        base += LANES;
    }
    let rest = chunks.into_remainder();
    if !rest.is_empty() {
        let mut x = [_mm_setzero_si128(); LANES];
        for (v, b) in x.iter_mut().zip(rest.iter()) {
            *v = to_m(*b);
        }
        enc(k, &mut x);
        let t = x;
        for (i, v) in x.iter_mut().enumerate().take(rest.len()) {
            *v = _mm_xor_si128(*v, to_m(tweak(base + i)));
        }
        enc(k, &mut x);
        for ((dst, v), t) in rest.iter_mut().zip(x).zip(t) {
            *dst = from_m(_mm_xor_si128(v, t));
        }
    }
}
