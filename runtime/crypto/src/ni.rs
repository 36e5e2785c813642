//! Fused x86-64 kernels for fixed-key AES, the TCCR hash and half-gates: AES-NI on
//! 128-bit registers, VAES on 256-bit registers (two blocks per instruction) where
//! the CPU has VAES and AVX2, and for counter mode, `permute_many` and `tccr_many`
//! VAES on 512-bit registers (four blocks per instruction) where it also has
//! AVX-512F (about 12% faster counter mode than the 256-bit kernel on this machine's
//! Xeon; the half-gates kernels stay 256-bit).
//!
//! The `aes` crate processes one `encrypt_blocks` call at a time; the TCCR needs two
//! dependent AES layers with a tweak XOR in between, which through the crate costs two
//! calls and three passes over memory. These kernels keep 16 hashes in registers
//! through both layers and do the half-gates arithmetic on them before they leave.
//! Used only when the CPU reports the instructions (checked once, in [`NiKeys::new`]);
//! otherwise callers fall back to the `aes` crate.
//! Guarantees: bit-identical to the `aes` crate and the portable half-gates code
//! (tested in `aes.rs` and `gates.rs`); the round keys are public (fixed key), so there
//! is no secret key material here.
#![allow(unsafe_code)]

use core::arch::x86_64::*;

use crate::gates::GateIo;
use crate::Block;

/// Expanded AES-128 round keys, only constructible when AES-NI is present; the
/// 256-bit broadcast of them when VAES and AVX2 are present too.
#[derive(Clone, Copy)]
pub(crate) struct NiKeys {
    k: [__m128i; 11],
    wide: Option<[__m256i; 11]>,
    /// Whether the 512-bit kernels (VAES on AVX-512 registers, four blocks per
    /// instruction) run counter mode, `permute_many` and `tccr_many`; their round keys
    /// are broadcast from `k` per call (11 instructions), not stored.
    z: bool,
}

impl NiKeys {
    /// The round keys of `key`, or `None` if this CPU has no AES-NI.
    pub(crate) fn new(key: [u8; 16]) -> Option<NiKeys> {
        use std::arch::is_x86_feature_detected as has;
        if !(has!("aes") && has!("sse2")) {
            return None;
        }
        // SAFETY: the CPU supports the target features `expand` is compiled for
        // (checked above).
        let k = unsafe { expand(key) };
        // SAFETY: as above, for `broadcast` (AVX2), checked in the same condition.
        let wide = (has!("vaes") && has!("avx2")).then(|| unsafe { broadcast(&k) });
        let z = wide.is_some() && has!("avx512f");
        Some(NiKeys { k, wide, z })
    }

    /// Whether the 256-bit VAES kernels are in use.
    pub(crate) fn is_wide(&self) -> bool {
        self.wide.is_some()
    }

    /// Overwrites the round keys with zeros (volatile stores the compiler keeps), for
    /// keys derived from a secret seed ([`crate::Prg`]).
    pub(crate) fn wipe(&mut self) {
        for k in self.k.iter_mut() {
            // SAFETY: `k` is a valid, aligned, exclusive reference; SSE2 is part of the
            // x86-64 baseline.
            unsafe { core::ptr::write_volatile(k, _mm_setzero_si128()) };
        }
        if let Some(w) = self.wide.as_mut() {
            for k in w.iter_mut() {
                // SAFETY: as above; `_mm256_setzero_si256` only needs AVX, which the
                // `wide` keys imply was detected.
                unsafe { core::ptr::write_volatile(k, _mm256_setzero_si256()) };
            }
        }
    }

    /// Stops using the VAES kernels, 256- and 512-bit (tests and comparisons).
    pub(crate) fn drop_wide(&mut self) {
        self.wide = None;
        self.z = false;
    }

    /// Stops using the 512-bit kernels only (tests and comparisons).
    #[cfg(test)]
    pub(crate) fn drop_z(&mut self) {
        self.z = false;
    }

    /// Whether the 512-bit kernels are in use.
    #[cfg(test)]
    pub(crate) fn is_z(&self) -> bool {
        self.z
    }

    /// `pi` in place on every block.
    #[inline]
    pub(crate) fn permute_many(&self, blocks: &mut [Block]) {
        // SAFETY: a `NiKeys` exists only if AES-NI and SSE2 were detected, and `wide`
        // is set only if VAES and AVX2 were (see `new`).
        unsafe {
            match &self.wide {
                // `z` implies AVX-512F on top of `wide`'s VAES and AVX2 (see `new`).
                Some(_) if self.z => permute_many_z(&self.k, blocks),
                Some(w) => permute_many_w(&self.k, w, blocks),
                None => permute_many(&self.k, blocks),
            }
        }
    }

    /// Counter mode: `out[k] = AES(counter + k)` (the counter as a little-endian
    /// block, wrapping), the counters made in registers rather than stored first.
    #[inline]
    pub(crate) fn ctr_many(&self, counter: u128, out: &mut [Block]) {
        // SAFETY: as in `permute_many`.
        unsafe {
            match &self.wide {
                Some(_) if self.z => ctr_many_z(&self.k, counter, out),
                Some(w) => ctr_many_w(&self.k, w, counter, out),
                None => {
                    for (k, b) in out.iter_mut().enumerate() {
                        *b = Block::from_u128(counter.wrapping_add(k as u128));
                    }
                    permute_many(&self.k, out)
                }
            }
        }
    }

    /// `tccr(x, tweak(k))` in place on every block.
    #[inline]
    pub(crate) fn tccr_many(&self, blocks: &mut [Block], tweak: impl FnMut(usize) -> Block) {
        // SAFETY: as in `permute_many`.
        unsafe {
            match &self.wide {
                Some(_) if self.z => tccr_many_z(&self.k, blocks, tweak),
                Some(w) => tccr_many_w(&self.k, w, blocks, tweak),
                None => tccr_many(&self.k, blocks, tweak),
            }
        }
    }

    /// `out[k] = tccr(src[k] ^ offset, tweak(k))` (equal lengths, checked by the
    /// caller).
    #[inline]
    pub(crate) fn tccr_many_from(
        &self,
        src: &[Block],
        offset: Block,
        out: &mut [Block],
        tweak: impl FnMut(usize) -> Block,
    ) {
        if self.z {
            // SAFETY: as in `permute_many`; `z` implies VAES, AVX2 and AVX-512F.
            unsafe { tccr_many_from_z(&self.k, src, offset, out, tweak) }
        } else {
            for (o, &x) in out.iter_mut().zip(src) {
                *o = x ^ offset;
            }
            self.tccr_many(out, tweak);
        }
    }

    /// Half-gates garbling of the gates of `io` (see `gates.rs`); `tables` holds 32
    /// bytes per gate (checked by the caller).
    #[inline]
    pub(crate) fn garble(&self, delta: Block, io: &mut impl GateIo, first_tweak: u128, tables: &mut [u8]) {
        // SAFETY: as in `permute_many`.
        unsafe {
            match &self.wide {
                Some(w) => garble_w(&self.k, w, delta, io, first_tweak, tables),
                None => garble_n(&self.k, delta, io, first_tweak, tables),
            }
        }
    }

    /// Half-gates evaluation of the gates of `io`; `tables` as in [`NiKeys::garble`].
    #[inline]
    pub(crate) fn eval(&self, io: &mut impl GateIo, first_tweak: u128, tables: &[u8]) {
        // SAFETY: as in `permute_many`.
        unsafe {
            match &self.wide {
                Some(w) => eval_w(&self.k, w, io, first_tweak, tables),
                None => eval_n(&self.k, io, first_tweak, tables),
            }
        }
    }
}

#[target_feature(enable = "aes,sse2")]
pub(crate) unsafe fn expand(key: [u8; 16]) -> [__m128i; 11] {
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

#[target_feature(enable = "avx2")]
unsafe fn broadcast(k: &[__m128i; 11]) -> [__m256i; 11] {
    let mut w = [_mm256_setzero_si256(); 11];
    for i in 0..11 {
        w[i] = _mm256_broadcastsi128_si256(k[i]);
    }
    w
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

#[inline(always)]
fn tweak_m(t: u128) -> __m128i {
    to_m(Block::from_u128(t))
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

/// One instruction on each of the 8 registers of [`enc_w`], with round key `off`
/// bytes into the key array as a memory operand.
macro_rules! on8 {
    ($op:literal, $off:literal) => {
        concat!(
            $op,
            " {0}, {0}, ymmword ptr [{k} + ",
            $off,
            "]\n",
            $op,
            " {1}, {1}, ymmword ptr [{k} + ",
            $off,
            "]\n",
            $op,
            " {2}, {2}, ymmword ptr [{k} + ",
            $off,
            "]\n",
            $op,
            " {3}, {3}, ymmword ptr [{k} + ",
            $off,
            "]\n",
            $op,
            " {4}, {4}, ymmword ptr [{k} + ",
            $off,
            "]\n",
            $op,
            " {5}, {5}, ymmword ptr [{k} + ",
            $off,
            "]\n",
            $op,
            " {6}, {6}, ymmword ptr [{k} + ",
            $off,
            "]\n",
            $op,
            " {7}, {7}, ymmword ptr [{k} + ",
            $off,
            "]\n",
        )
    };
}

/// AES-128 of 16 blocks held in 8 256-bit registers (VAES), round by round across the
/// registers with the round keys read from memory. Written in assembly because LLVM,
/// given intrinsics, keeps the 11 round keys in registers and then runs out of
/// registers for the 8 independent states, serialising the AES pipeline.
#[inline]
#[target_feature(enable = "avx,vaes")]
unsafe fn enc_w(k: &[__m256i; 11], x: &mut [__m256i; 8]) {
    // SAFETY: reads 11 * 32 bytes from `k`, a live `[__m256i; 11]`; touches only the
    // eight named registers; needs VAES and AVX, which every caller's target features
    // include (they are only called after run-time detection, see `NiKeys::new`).
    core::arch::asm!(
        on8!("vpxor", "0"),
        on8!("vaesenc", "32"),
        on8!("vaesenc", "64"),
        on8!("vaesenc", "96"),
        on8!("vaesenc", "128"),
        on8!("vaesenc", "160"),
        on8!("vaesenc", "192"),
        on8!("vaesenc", "224"),
        on8!("vaesenc", "256"),
        on8!("vaesenc", "288"),
        on8!("vaesenclast", "320"),
        inout(ymm_reg) x[0],
        inout(ymm_reg) x[1],
        inout(ymm_reg) x[2],
        inout(ymm_reg) x[3],
        inout(ymm_reg) x[4],
        inout(ymm_reg) x[5],
        inout(ymm_reg) x[6],
        inout(ymm_reg) x[7],
        k = in(reg) k.as_ptr(),
        options(pure, readonly, nostack, preserves_flags),
    );
}

#[inline(always)]
unsafe fn pair(lo: __m128i, hi: __m128i) -> __m256i {
    _mm256_set_m128i(hi, lo)
}

#[inline(always)]
unsafe fn lo(x: __m256i) -> __m128i {
    _mm256_castsi256_si128(x)
}

#[inline(always)]
unsafe fn hi(x: __m256i) -> __m128i {
    _mm256_extracti128_si256::<1>(x)
}

/// All-ones if bit 0 of `x` is set, else zero.
#[inline(always)]
unsafe fn lsb_mask(x: __m128i) -> __m128i {
    _mm_shuffle_epi32::<0>(_mm_srai_epi32::<31>(_mm_slli_epi32::<31>(x)))
}

/// [`lsb_mask`] of each 128-bit half.
#[inline(always)]
unsafe fn lsb_mask_w(x: __m256i) -> __m256i {
    _mm256_shuffle_epi32::<0>(_mm256_srai_epi32::<31>(_mm256_slli_epi32::<31>(x)))
}

/// Loads 16 bytes (no alignment needed); `bytes` has at least 16.
#[inline(always)]
unsafe fn load(bytes: &[u8]) -> __m128i {
    debug_assert!(bytes.len() >= 16);
    _mm_loadu_si128(bytes.as_ptr().cast())
}

/// Stores 16 bytes; `bytes` has at least 16.
#[inline(always)]
unsafe fn store(bytes: &mut [u8], v: __m128i) {
    debug_assert!(bytes.len() >= 16);
    _mm_storeu_si128(bytes.as_mut_ptr().cast(), v)
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

#[target_feature(enable = "vaes,avx2,aes,sse2")]
unsafe fn permute_many_w(n: &[__m128i; 11], k: &[__m256i; 11], blocks: &mut [Block]) {
    let mut chunks = blocks.chunks_exact_mut(16);
    for c in chunks.by_ref() {
        let mut x = [_mm256_setzero_si256(); 8];
        for (i, v) in x.iter_mut().enumerate() {
            *v = pair(to_m(c[2 * i]), to_m(c[2 * i + 1]));
        }
        enc_w(k, &mut x);
        for (i, v) in x.iter().enumerate() {
            c[2 * i] = from_m(lo(*v));
            c[2 * i + 1] = from_m(hi(*v));
        }
    }
    permute_many(n, chunks.into_remainder());
}

#[target_feature(enable = "vaes,avx2,aes,sse2")]
unsafe fn ctr_many_w(n: &[__m128i; 11], k: &[__m256i; 11], counter: u128, out: &mut [Block]) {
    let mut chunks = out.chunks_exact_mut(16);
    let mut c = counter;
    for chunk in chunks.by_ref() {
        let mut x = [_mm256_setzero_si256(); 8];
        for (i, v) in x.iter_mut().enumerate() {
            let a = c.wrapping_add(2 * i as u128);
            *v = pair(to_m(Block::from_u128(a)), to_m(Block::from_u128(a.wrapping_add(1))));
        }
        enc_w(k, &mut x);
        for (i, v) in x.iter().enumerate() {
            chunk[2 * i] = from_m(lo(*v));
            chunk[2 * i + 1] = from_m(hi(*v));
        }
        c = c.wrapping_add(16);
    }
    let rest = chunks.into_remainder();
    for (i, b) in rest.iter_mut().enumerate() {
        *b = Block::from_u128(c.wrapping_add(i as u128));
    }
    permute_many(n, rest);
}

/// Blocks per iteration of the 512-bit kernels: 8 registers of 4 (the 11 broadcast
/// round keys and the 8 states fit the 32 AVX-512 registers, so LLVM keeps the AES
/// pipeline full with intrinsics, unlike the 256-bit case of [`enc_w`]).
const Z: usize = 32;

/// The 11 round keys broadcast to all four 128-bit lanes, for one call: they live in
/// registers (and wherever LLVM spills them) rather than in `NiKeys`, so, as with the
/// register copies of the other engines, a PRG's secret round keys are not wiped from
/// spill slots by `NiKeys::wipe`.
#[inline(always)]
unsafe fn broadcast_z(n: &[__m128i; 11]) -> [__m512i; 11] {
    core::array::from_fn(|i| _mm512_broadcast_i32x4(n[i]))
}

/// AES-128 of 32 blocks in 8 AVX-512 registers.
#[inline(always)]
unsafe fn enc_z(k: &[__m512i; 11], x: &mut [__m512i; 8]) {
    for v in x.iter_mut() {
        *v = _mm512_xor_si512(*v, k[0]);
    }
    for rk in &k[1..10] {
        for v in x.iter_mut() {
            *v = _mm512_aesenc_epi128(*v, *rk);
        }
    }
    for v in x.iter_mut() {
        *v = _mm512_aesenclast_epi128(*v, k[10]);
    }
}

/// Loads `Z` blocks (unaligned) into 8 registers.
#[inline(always)]
unsafe fn load_z(c: &[Block]) -> [__m512i; 8] {
    debug_assert!(c.len() >= Z);
    // SAFETY (of each load): `c` has at least `Z` blocks, so blocks `4 i .. 4 i + 4`
    // are 64 readable bytes; `Block` is a plain 16-byte value.
    core::array::from_fn(|i| _mm512_loadu_si512(c.as_ptr().add(4 * i).cast()))
}

/// Stores 8 registers as `Z` blocks (unaligned).
#[inline(always)]
unsafe fn store_z(c: &mut [Block], x: &[__m512i; 8]) {
    debug_assert!(c.len() >= Z);
    for (i, v) in x.iter().enumerate() {
        // SAFETY: as in `load_z`, for writes through the exclusive `c`.
        _mm512_storeu_si512(c.as_mut_ptr().add(4 * i).cast(), *v);
    }
}

#[target_feature(enable = "vaes,avx512f,avx2,aes,sse2")]
unsafe fn permute_many_z(n: &[__m128i; 11], blocks: &mut [Block]) {
    let k = broadcast_z(n);
    let mut chunks = blocks.chunks_exact_mut(Z);
    for c in chunks.by_ref() {
        let mut x = load_z(c);
        enc_z(&k, &mut x);
        store_z(c, &x);
    }
    permute_many(n, chunks.into_remainder());
}

#[target_feature(enable = "vaes,avx512f,avx2,aes,sse2")]
unsafe fn ctr_many_z(n: &[__m128i; 11], counter: u128, out: &mut [Block]) {
    let k = broadcast_z(n);
    let mut chunks = out.chunks_exact_mut(Z);
    let mut c = counter;
    for chunk in chunks.by_ref() {
        let mut x: [__m512i; 8] = if (c as u64) <= u64::MAX - Z as u64 {
            // No carry out of the low 64 bits within this chunk: the counters are the
            // broadcast `c` plus 0..32 in the low halves (64-bit lane adds).
            let base = _mm512_broadcast_i32x4(to_m(Block::from_u128(c)));
            core::array::from_fn(|i| {
                let j = 4 * i as i64;
                _mm512_add_epi64(base, _mm512_set_epi64(0, j + 3, 0, j + 2, 0, j + 1, 0, j))
            })
        } else {
            core::array::from_fn(|i| {
                let ctr: [u128; 4] = core::array::from_fn(|l| c.wrapping_add((4 * i + l) as u128));
                // SAFETY: `ctr` is 64 readable bytes; the load is unaligned-tolerant.
                _mm512_loadu_si512(ctr.as_ptr().cast())
            })
        };
        enc_z(&k, &mut x);
        store_z(chunk, &x);
        c = c.wrapping_add(Z as u128);
    }
    let rest = chunks.into_remainder();
    for (i, b) in rest.iter_mut().enumerate() {
        *b = Block::from_u128(c.wrapping_add(i as u128));
    }
    permute_many(n, rest);
}

#[target_feature(enable = "vaes,avx512f,avx2,aes,sse2")]
unsafe fn tccr_many_z(n: &[__m128i; 11], blocks: &mut [Block], mut tweak: impl FnMut(usize) -> Block) {
    let k = broadcast_z(n);
    let mut chunks = blocks.chunks_exact_mut(Z);
    let mut base = 0;
    let mut t = [Block::ZERO; Z];
    for c in chunks.by_ref() {
        let mut x = load_z(c);
        enc_z(&k, &mut x);
        let p = x;
        for (i, ti) in t.iter_mut().enumerate() {
            *ti = tweak(base + i);
        }
        let tw = load_z(&t);
        for (v, tv) in x.iter_mut().zip(tw) {
            *v = _mm512_xor_si512(*v, tv);
        }
        enc_z(&k, &mut x);
        for (v, pv) in x.iter_mut().zip(p) {
            *v = _mm512_xor_si512(*v, pv);
        }
        store_z(c, &x);
        base += Z;
    }
    tccr_many(n, chunks.into_remainder(), |i| tweak(base + i));
}

#[target_feature(enable = "vaes,avx512f,avx2,aes,sse2")]
unsafe fn tccr_many_from_z(
    n: &[__m128i; 11],
    src: &[Block],
    offset: Block,
    out: &mut [Block],
    mut tweak: impl FnMut(usize) -> Block,
) {
    let k = broadcast_z(n);
    let off = _mm512_broadcast_i32x4(to_m(offset));
    let mut base = 0;
    let mut t = [Block::ZERO; Z];
    let (mut ins, mut outs) = (src.chunks_exact(Z), out.chunks_exact_mut(Z));
    for (i, o) in ins.by_ref().zip(outs.by_ref()) {
        let mut x = load_z(i);
        for v in x.iter_mut() {
            *v = _mm512_xor_si512(*v, off);
        }
        enc_z(&k, &mut x);
        let p = x;
        for (j, tj) in t.iter_mut().enumerate() {
            *tj = tweak(base + j);
        }
        let tw = load_z(&t);
        for (v, tv) in x.iter_mut().zip(tw) {
            *v = _mm512_xor_si512(*v, tv);
        }
        enc_z(&k, &mut x);
        for (v, pv) in x.iter_mut().zip(p) {
            *v = _mm512_xor_si512(*v, pv);
        }
        store_z(o, &x);
        base += Z;
    }
    let rest = outs.into_remainder();
    for (o, &x) in rest.iter_mut().zip(ins.remainder()) {
        *o = x ^ offset;
    }
    tccr_many(n, rest, |j| tweak(base + j));
}

/// Blocks per iteration of the 128-bit TCCR loop.
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
    for (i, b) in chunks.into_remainder().iter_mut().enumerate() {
        let mut x = [to_m(*b)];
        enc(k, &mut x);
        let p = x[0];
        x[0] = _mm_xor_si128(p, to_m(tweak(base + i)));
        enc(k, &mut x);
        *b = from_m(_mm_xor_si128(x[0], p));
    }
}

#[target_feature(enable = "vaes,avx2,aes,sse2")]
unsafe fn tccr_many_w(
    k: &[__m128i; 11],
    w: &[__m256i; 11],
    blocks: &mut [Block],
    mut tweak: impl FnMut(usize) -> Block,
) {
    let mut chunks = blocks.chunks_exact_mut(16);
    let mut base = 0;
    for c in chunks.by_ref() {
        let mut x = [_mm256_setzero_si256(); 8];
        for (i, v) in x.iter_mut().enumerate() {
            *v = pair(to_m(c[2 * i]), to_m(c[2 * i + 1]));
        }
        enc_w(w, &mut x);
        let p = x;
        for (i, v) in x.iter_mut().enumerate() {
            let t = pair(to_m(tweak(base + 2 * i)), to_m(tweak(base + 2 * i + 1)));
            *v = _mm256_xor_si256(*v, t);
        }
        enc_w(w, &mut x);
        for (i, (v, p)) in x.iter().zip(p).enumerate() {
            let h = _mm256_xor_si256(*v, p);
            c[2 * i] = from_m(lo(h));
            c[2 * i + 1] = from_m(hi(h));
        }
        base += 16;
    }
    tccr_many(k, chunks.into_remainder(), |i| tweak(base + i));
}

/// Gates per group of the 128-bit garbling kernel (4 hashes each: 16 in flight).
const GARBLE_N: usize = 4;
/// Gates per group of the 128-bit evaluation kernel (2 hashes each: 16 in flight).
const EVAL_N: usize = 8;
/// Gates per group of the VAES garbling kernel (4 hashes each: 16 in the 8 registers of
/// [`enc_w`]).
const GARBLE_W: usize = 4;
/// Gates per group of the VAES evaluation kernel (2 hashes each: 16 in 8 registers).
const EVAL_W: usize = 8;

/// Runs `group(start, count, first_tweak_of_group)` over the gates of a batch: groups
/// of `G`, then single gates.
#[inline(always)]
fn for_groups<const G: usize>(n: usize, first_tweak: u128, mut group: impl FnMut(usize, bool, u128)) {
    let full = n / G * G;
    for start in (0..full).step_by(G) {
        group(start, true, first_tweak + 2 * start as u128);
    }
    for start in full..n {
        group(start, false, first_tweak + 2 * start as u128);
    }
}

#[target_feature(enable = "aes,sse2")]
unsafe fn garble_n(
    k: &[__m128i; 11],
    delta: Block,
    io: &mut impl GateIo,
    first_tweak: u128,
    tables: &mut [u8],
) {
    let d = to_m(delta);
    for_groups::<GARBLE_N>(io.len(), first_tweak, |start, full, tweak| {
        let t = &mut tables[32 * start..];
        if full {
            garble_group_n::<GARBLE_N, { 4 * GARBLE_N }>(k, d, io, start, tweak, t)
        } else {
            garble_group_n::<1, 4>(k, d, io, start, tweak, t)
        }
    });
}

/// Garbles gates `start..start + G` (`H = 4G` hashes in flight).
#[inline(always)]
unsafe fn garble_group_n<const G: usize, const H: usize>(
    k: &[__m128i; 11],
    d: __m128i,
    io: &mut impl GateIo,
    start: usize,
    tweak: u128,
    t: &mut [u8],
) {
    let mut ab = [(_mm_setzero_si128(), _mm_setzero_si128()); G];
    let mut x = [_mm_setzero_si128(); H];
    for j in 0..G {
        let (a, b) = io.inputs(start + j);
        let (a0, b0) = (to_m(a), to_m(b));
        ab[j] = (a0, b0);
        x[4 * j] = a0;
        x[4 * j + 1] = _mm_xor_si128(a0, d);
        x[4 * j + 2] = b0;
        x[4 * j + 3] = _mm_xor_si128(b0, d);
    }
    enc(k, &mut x);
    let pi = x;
    for j in 0..G {
        let tw = tweak + 2 * j as u128;
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
    for (j, &(a0, b0)) in ab.iter().enumerate() {
        let (pa, pb) = (lsb_mask(a0), lsb_mask(b0));
        let (ha0, ha1, hb0, hb1) = (x[4 * j], x[4 * j + 1], x[4 * j + 2], x[4 * j + 3]);
        let (tg, wg0, te, we0) = half_gates_n(d, a0, pa, pb, ha0, ha1, hb0, hb1);
        store(&mut t[32 * j..], tg);
        store(&mut t[32 * j + 16..], te);
        io.set_output(start + j, from_m(_mm_xor_si128(wg0, we0)));
    }
}

/// The garbler's half-gates arithmetic on the four hashes of one gate:
/// `(T_G, W_G0, T_E, W_E0)`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn half_gates_n(
    d: __m128i,
    a0: __m128i,
    pa: __m128i,
    pb: __m128i,
    ha0: __m128i,
    ha1: __m128i,
    hb0: __m128i,
    hb1: __m128i,
) -> (__m128i, __m128i, __m128i, __m128i) {
    let tg = _mm_xor_si128(_mm_xor_si128(ha0, ha1), _mm_and_si128(pb, d));
    let wg0 = _mm_xor_si128(ha0, _mm_and_si128(pa, tg));
    let hb = _mm_xor_si128(hb0, hb1);
    let te = _mm_xor_si128(hb, a0);
    let we0 = _mm_xor_si128(hb0, _mm_and_si128(pb, hb));
    (tg, wg0, te, we0)
}

#[target_feature(enable = "aes,sse2")]
unsafe fn eval_n(k: &[__m128i; 11], io: &mut impl GateIo, first_tweak: u128, tables: &[u8]) {
    for_groups::<EVAL_N>(io.len(), first_tweak, |start, full, tweak| {
        let t = &tables[32 * start..];
        if full {
            eval_group_n::<EVAL_N, { 2 * EVAL_N }>(k, io, start, tweak, t)
        } else {
            eval_group_n::<1, 2>(k, io, start, tweak, t)
        }
    });
}

/// Evaluates gates `start..start + G` (`H = 2G` hashes in flight).
#[inline(always)]
unsafe fn eval_group_n<const G: usize, const H: usize>(
    k: &[__m128i; 11],
    io: &mut impl GateIo,
    start: usize,
    tweak: u128,
    t: &[u8],
) {
    let mut x = [_mm_setzero_si128(); H];
    for j in 0..G {
        let (a, b) = io.inputs(start + j);
        x[2 * j] = to_m(a);
        x[2 * j + 1] = to_m(b);
    }
    let w = x;
    enc(k, &mut x);
    let pi = x;
    for (j, v) in x.iter_mut().enumerate() {
        *v = _mm_xor_si128(*v, tweak_m(tweak + j as u128));
    }
    enc(k, &mut x);
    for j in 0..G {
        let (wa, wb) = (w[2 * j], w[2 * j + 1]);
        let (tg, te) = (load(&t[32 * j..]), load(&t[32 * j + 16..]));
        let hg = _mm_xor_si128(x[2 * j], pi[2 * j]);
        let he = _mm_xor_si128(x[2 * j + 1], pi[2 * j + 1]);
        let wg = _mm_xor_si128(hg, _mm_and_si128(lsb_mask(wa), tg));
        let we = _mm_xor_si128(he, _mm_and_si128(lsb_mask(wb), _mm_xor_si128(te, wa)));
        io.set_output(start + j, from_m(_mm_xor_si128(wg, we)));
    }
}

/// `N` registers of tweak pairs: register `j` holds `(t + 2j + lo, t + 2j + hi)`. Uses
/// 64-bit vector adds when the low word of the tweak cannot carry within the group,
/// else exact 128-bit arithmetic per register.
#[inline(always)]
unsafe fn tweak_pairs<const N: usize>(t: u128, lo_off: u8, hi_off: u8) -> [__m256i; N] {
    let mut out = [_mm256_setzero_si256(); N];
    let (lo_off, hi_off) = (lo_off as u128, hi_off as u128);
    if (t as u64).checked_add(2 * N as u64 + 2).is_some() {
        let mut v = pair(tweak_m(t + lo_off), tweak_m(t + hi_off));
        let two = _mm256_set_epi64x(0, 2, 0, 2);
        for o in out.iter_mut() {
            *o = v;
            v = _mm256_add_epi64(v, two);
        }
    } else {
        for (j, o) in out.iter_mut().enumerate() {
            let tw = t + 2 * j as u128;
            *o = pair(tweak_m(tw + lo_off), tweak_m(tw + hi_off));
        }
    }
    out
}

#[target_feature(enable = "vaes,avx2,aes,sse2")]
unsafe fn garble_w(
    k: &[__m128i; 11],
    w: &[__m256i; 11],
    delta: Block,
    io: &mut impl GateIo,
    first_tweak: u128,
    tables: &mut [u8],
) {
    let d = to_m(delta);
    // (0, D): the upper half of each register hashes the label XOR Delta.
    let d01 = pair(_mm_setzero_si128(), d);
    for_groups::<GARBLE_W>(io.len(), first_tweak, |start, full, tweak| {
        let t = &mut tables[32 * start..];
        if full {
            garble_group_w(w, d, d01, io, start, tweak, t)
        } else {
            garble_group_n::<1, 4>(k, d, io, start, tweak, t)
        }
    });
}

/// Garbles gates `start..start + G` with VAES: register `2j` holds `(A0, A0^D)` of gate
/// `j`, register `2j + 1` holds `(B0, B0^D)` (`R = 2G` registers, `4G` hashes).
#[inline(always)]
unsafe fn garble_group_w(
    w: &[__m256i; 11],
    d: __m128i,
    d01: __m256i,
    io: &mut impl GateIo,
    start: usize,
    tweak: u128,
    t: &mut [u8],
) {
    const G: usize = GARBLE_W;
    let mut ab = [(_mm_setzero_si128(), _mm_setzero_si128()); G];
    let mut x = [_mm256_setzero_si256(); 2 * G];
    for j in 0..G {
        let (a, b) = io.inputs(start + j);
        let (a0, b0) = (to_m(a), to_m(b));
        ab[j] = (a0, b0);
        x[2 * j] = _mm256_xor_si256(_mm256_broadcastsi128_si256(a0), d01);
        x[2 * j + 1] = _mm256_xor_si256(_mm256_broadcastsi128_si256(b0), d01);
    }
    enc_w(w, &mut x);
    let pi = x;
    let (ta, tb) = (tweak_pairs::<G>(tweak, 0, 0), tweak_pairs::<G>(tweak, 1, 1));
    for j in 0..G {
        x[2 * j] = _mm256_xor_si256(x[2 * j], ta[j]);
        x[2 * j + 1] = _mm256_xor_si256(x[2 * j + 1], tb[j]);
    }
    enc_w(w, &mut x);
    for (j, &(a0, b0)) in ab.iter().enumerate() {
        let ha = _mm256_xor_si256(x[2 * j], pi[2 * j]);
        let hb = _mm256_xor_si256(x[2 * j + 1], pi[2 * j + 1]);
        let (pa, pb) = (lsb_mask(a0), lsb_mask(b0));
        let (tg, wg0, te, we0) = half_gates_n(d, a0, pa, pb, lo(ha), hi(ha), lo(hb), hi(hb));
        store(&mut t[32 * j..], tg);
        store(&mut t[32 * j + 16..], te);
        io.set_output(start + j, from_m(_mm_xor_si128(wg0, we0)));
    }
}

#[target_feature(enable = "vaes,avx2,aes,sse2")]
unsafe fn eval_w(
    k: &[__m128i; 11],
    w: &[__m256i; 11],
    io: &mut impl GateIo,
    first_tweak: u128,
    tables: &[u8],
) {
    for_groups::<EVAL_W>(io.len(), first_tweak, |start, full, tweak| {
        let t = &tables[32 * start..];
        if full {
            eval_group_w(w, io, start, tweak, t)
        } else {
            eval_group_n::<1, 2>(k, io, start, tweak, t)
        }
    });
}

/// Evaluates gates `start..start + G` with VAES: register `j` holds `(Wa, Wb)` of gate
/// `j` and is hashed with tweaks `(2j, 2j + 1)`; the 32 table bytes of the gate load as
/// one register `(T_G, T_E)`.
#[inline(always)]
unsafe fn eval_group_w(w: &[__m256i; 11], io: &mut impl GateIo, start: usize, tweak: u128, t: &[u8]) {
    const G: usize = EVAL_W;
    let mut x = [_mm256_setzero_si256(); G];
    for (j, v) in x.iter_mut().enumerate() {
        let (a, b) = io.inputs(start + j);
        *v = pair(to_m(a), to_m(b));
    }
    let input = x;
    enc_w(w, &mut x);
    let pi = x;
    for (v, t) in x.iter_mut().zip(tweak_pairs::<G>(tweak, 0, 1)) {
        *v = _mm256_xor_si256(*v, t);
    }
    enc_w(w, &mut x);
    let tt = &t[..32 * G];
    for j in 0..G {
        let h = _mm256_xor_si256(x[j], pi[j]);
        let tab = _mm256_loadu_si256(tt[32 * j..32 * j + 32].as_ptr().cast());
        // (T_G, T_E ^ Wa): the low half of `input` moved to the high half, low zeroed.
        let sel = _mm256_xor_si256(tab, _mm256_permute2x128_si256::<0x08>(input[j], input[j]));
        let r = _mm256_xor_si256(h, _mm256_and_si256(lsb_mask_w(input[j]), sel));
        io.set_output(start + j, from_m(_mm_xor_si128(lo(r), hi(r))));
    }
}
