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
const LANES: usize = 8;

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

/// All-ones if bit 0 of `x` is set, else zero.
#[inline(always)]
unsafe fn lsb_mask(x: __m128i) -> __m128i {
    _mm_shuffle_epi32::<0>(_mm_srai_epi32::<31>(_mm_slli_epi32::<31>(x)))
}

#[inline(always)]
fn tweak_m(t: u128) -> __m128i {
    to_m(Block::from_u128(t))
}

/// Gates per iteration of the garbling kernel (4 hashes each: 16 blocks in flight).
const GARBLE_GATES: usize = 2;
/// Gates per iteration of the evaluation kernel (2 hashes each: 16 blocks in flight).
const EVAL_GATES: usize = 4;

impl NiKeys {
    /// See [`crate::FixedKeyAes::garble_half_gates`].
    #[inline]
    pub(crate) fn garble_half_gates(
        &self,
        delta: Block,
        pairs: &[Block],
        first_tweak: u128,
        tables: &mut [Block],
        out: &mut [Block],
    ) {
        // SAFETY: a `NiKeys` exists only if AES-NI and SSE2 were detected (see `new`).
        unsafe { garble_half_gates(&self.0, delta, pairs, first_tweak, tables, out) }
    }

    /// See [`crate::FixedKeyAes::eval_half_gates`].
    #[inline]
    pub(crate) fn eval_half_gates(
        &self,
        pairs: &[Block],
        first_tweak: u128,
        tables: &[Block],
        out: &mut [Block],
    ) {
        // SAFETY: as above.
        unsafe { eval_half_gates(&self.0, pairs, first_tweak, tables, out) }
    }
}

#[target_feature(enable = "aes,sse2")]
unsafe fn garble_half_gates(
    k: &[__m128i; 11],
    delta: Block,
    pairs: &[Block],
    first_tweak: u128,
    tables: &mut [Block],
    out: &mut [Block],
) {
    const G: usize = GARBLE_GATES;
    let d = to_m(delta);
    let full = out.len() / G * G;
    let (p_full, p_rest) = pairs.split_at(2 * full);
    let (t_full, t_rest) = tables.split_at_mut(2 * full);
    let (o_full, o_rest) = out.split_at_mut(full);
    let mut gate = first_tweak;
    for ((p, t), o) in
        p_full.chunks_exact(2 * G).zip(t_full.chunks_exact_mut(2 * G)).zip(o_full.chunks_exact_mut(G))
    {
        garble_group::<G, { 4 * G }>(k, d, p, gate, t, o);
        gate += 2 * G as u128;
    }
    // Short remainders (e.g. a dependent chain, one gate per batch) one gate at a time.
    for ((p, t), o) in p_rest.chunks_exact(2).zip(t_rest.chunks_exact_mut(2)).zip(o_rest.chunks_exact_mut(1))
    {
        garble_group::<1, 4>(k, d, p, gate, t, o);
        gate += 2;
    }
}

/// Garbles exactly `G` gates (`H = 4 * G` hashes in flight).
#[inline(always)]
unsafe fn garble_group<const G: usize, const H: usize>(
    k: &[__m128i; 11],
    d: __m128i,
    p: &[Block],
    gate: u128,
    t: &mut [Block],
    o: &mut [Block],
) {
    let mut x = [_mm_setzero_si128(); H];
    for j in 0..G {
        let (a0, b0) = (to_m(p[2 * j]), to_m(p[2 * j + 1]));
        x[4 * j] = a0;
        x[4 * j + 1] = _mm_xor_si128(a0, d);
        x[4 * j + 2] = b0;
        x[4 * j + 3] = _mm_xor_si128(b0, d);
    }
    enc(k, &mut x);
    let pi = x;
    for j in 0..G {
        let tw = gate + 2 * j as u128;
        let (ta, tb) = (tweak_m(tw), tweak_m(tw + 1));
        x[4 * j] = _mm_xor_si128(x[4 * j], ta);
        x[4 * j + 1] = _mm_xor_si128(x[4 * j + 1], ta);
        x[4 * j + 2] = _mm_xor_si128(x[4 * j + 2], tb);
        x[4 * j + 3] = _mm_xor_si128(x[4 * j + 3], tb);
    }
    enc(k, &mut x);
    for (v, p) in x.iter_mut().zip(pi) {
        *v = _mm_xor_si128(*v, p);
    }
    for j in 0..G {
        let (a0, b0) = (to_m(p[2 * j]), to_m(p[2 * j + 1]));
        let (pa, pb) = (lsb_mask(a0), lsb_mask(b0));
        let (ha0, ha1, hb0, hb1) = (x[4 * j], x[4 * j + 1], x[4 * j + 2], x[4 * j + 3]);
        let tg = _mm_xor_si128(_mm_xor_si128(ha0, ha1), _mm_and_si128(pb, d));
        let wg0 = _mm_xor_si128(ha0, _mm_and_si128(pa, tg));
        let te = _mm_xor_si128(_mm_xor_si128(hb0, hb1), a0);
        let we0 = _mm_xor_si128(hb0, _mm_and_si128(pb, _mm_xor_si128(te, a0)));
        t[2 * j] = from_m(tg);
        t[2 * j + 1] = from_m(te);
        o[j] = from_m(_mm_xor_si128(wg0, we0));
    }
}

#[target_feature(enable = "aes,sse2")]
unsafe fn eval_half_gates(
    k: &[__m128i; 11],
    pairs: &[Block],
    first_tweak: u128,
    tables: &[Block],
    out: &mut [Block],
) {
    const G: usize = EVAL_GATES;
    let full = out.len() / G * G;
    let (p_full, p_rest) = pairs.split_at(2 * full);
    let (t_full, t_rest) = tables.split_at(2 * full);
    let (o_full, o_rest) = out.split_at_mut(full);
    let mut gate = first_tweak;
    for ((p, t), o) in
        p_full.chunks_exact(2 * G).zip(t_full.chunks_exact(2 * G)).zip(o_full.chunks_exact_mut(G))
    {
        eval_group::<G, { 2 * G }>(k, p, gate, t, o);
        gate += 2 * G as u128;
    }
    for ((p, t), o) in p_rest.chunks_exact(2).zip(t_rest.chunks_exact(2)).zip(o_rest.chunks_exact_mut(1)) {
        eval_group::<1, 2>(k, p, gate, t, o);
        gate += 2;
    }
}

/// Evaluates exactly `G` gates (`H = 2 * G` hashes in flight).
#[inline(always)]
unsafe fn eval_group<const G: usize, const H: usize>(
    k: &[__m128i; 11],
    p: &[Block],
    gate: u128,
    t: &[Block],
    o: &mut [Block],
) {
    let mut x: [__m128i; H] = core::array::from_fn(|i| to_m(p[i]));
    enc(k, &mut x);
    let pi = x;
    for (j, v) in x.iter_mut().enumerate() {
        *v = _mm_xor_si128(*v, tweak_m(gate + j as u128));
    }
    enc(k, &mut x);
    for j in 0..G {
        let (wa, wb) = (to_m(p[2 * j]), to_m(p[2 * j + 1]));
        let (tg, te) = (to_m(t[2 * j]), to_m(t[2 * j + 1]));
        let hg = _mm_xor_si128(x[2 * j], pi[2 * j]);
        let he = _mm_xor_si128(x[2 * j + 1], pi[2 * j + 1]);
        let wg = _mm_xor_si128(hg, _mm_and_si128(lsb_mask(wa), tg));
        let we = _mm_xor_si128(he, _mm_and_si128(lsb_mask(wb), _mm_xor_si128(te, wa)));
        o[j] = from_m(_mm_xor_si128(wg, we));
    }
}
