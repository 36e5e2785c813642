//! Fixed-key AES and the hashes built from it: the correlation-robust (CR), circular
//! correlation-robust (CCR) and tweakable circular correlation-robust (TCCR) hashes of
//! Guo, Katz, Wang and Yu (S&P 2020, eprint 2019/074).
//!
//! `pi` is AES-128 under a fixed, public key ([`FIXED_KEY`]). Hashes:
//! - `cr(x)   = pi(x) ^ x`
//! - `ccr(x)  = pi(sigma(x)) ^ sigma(x)` with the linear orthomorphism [`Block::sigma`]
//! - `tccr(x, i) = pi(pi(x) ^ i) ^ pi(x)`  (two dependent AES layers)
//!
//! Guarantees: the `_many` functions give exactly the same results as the one-block
//! functions, and hash their input in chunks of [`CHUNK`] blocks so that the `aes`
//! crate keeps 8 (its `ParBlocksSize` on AES-NI) independent blocks in flight; for the
//! TCCR the first AES layer of a whole chunk runs before the second. The `aes` crate
//! picks AES-NI at run time when the CPU has it ([`aes_backend`] says which).

use std::sync::OnceLock;

use aes::cipher::{BlockEncrypt, KeyInit};
use aes::Aes128;

use crate::{Block, Delta};

/// All-ones if `bit`, else zero.
#[inline(always)]
fn mask(bit: bool) -> Block {
    Block::from_u128((bit as u128).wrapping_neg())
}

/// The public fixed AES key (the first 32 hex digits of pi's fractional part,
/// 0x243F6A8885A308D313198A2E03707344, as little-endian bytes of that integer).
pub const FIXED_KEY: [u8; 16] = 0x243F_6A88_85A3_08D3_1319_8A2E_0370_7344u128.to_le_bytes();

/// Number of blocks hashed per internal batch (stack buffer of this many blocks).
pub const CHUNK: usize = 128;

/// Which AES implementation the `aes` crate uses on this CPU: `"aes-ni"` when the x86
/// AES instructions are available (the crate autodetects them at run time), otherwise
/// `"soft"` (bit-sliced, constant time, much slower).
pub fn aes_backend() -> &'static str {
    #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
    {
        if std::arch::is_x86_feature_detected!("aes") && std::arch::is_x86_feature_detected!("sse2") {
            return "aes-ni";
        }
    }
    "soft"
}

/// Reinterprets blocks as the `aes` crate's block type, so AES runs in place.
#[allow(unsafe_code)]
#[inline(always)]
pub(crate) fn as_aes_blocks(blocks: &mut [Block]) -> &mut [aes::Block] {
    // SAFETY: `aes::Block` is `GenericArray<u8, U16>`, which is `#[repr(transparent)]`
    // over 16 `u8`s: size 16, alignment 1, every bit pattern valid. `Block` is
    // `#[repr(transparent)]` over `u128`: size 16, alignment >= 1, every bit pattern
    // valid. So a `[Block]` of length n occupies the same bytes as a `[aes::Block]` of
    // length n, the alignment requirement is weaker, and the lifetime and exclusivity
    // of the borrow are carried over unchanged.
    unsafe { core::slice::from_raw_parts_mut(blocks.as_mut_ptr().cast::<aes::Block>(), blocks.len()) }
}

/// AES-128 under a fixed key, used as a public random permutation `pi`.
#[derive(Clone)]
pub struct FixedKeyAes {
    cipher: Aes128,
    /// The fused AES-NI kernel, when the CPU has AES-NI (x86-64 only).
    #[cfg(target_arch = "x86_64")]
    ni: Option<crate::ni::NiKeys>,
}

impl core::fmt::Debug for FixedKeyAes {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("FixedKeyAes { .. }")
    }
}

impl Default for FixedKeyAes {
    fn default() -> Self {
        FixedKeyAes::new(FIXED_KEY)
    }
}

impl FixedKeyAes {
    /// A permutation under `key` (use [`FixedKeyAes::global`] for the agreed key).
    pub fn new(key: [u8; 16]) -> FixedKeyAes {
        FixedKeyAes {
            cipher: Aes128::new(&key.into()),
            #[cfg(target_arch = "x86_64")]
            ni: crate::ni::NiKeys::new(key),
        }
    }

    /// The same permutation with the fused AES-NI kernel switched off, so every call
    /// goes through the `aes` crate (for tests and comparisons).
    pub fn without_fused_kernel(mut self) -> FixedKeyAes {
        #[cfg(target_arch = "x86_64")]
        {
            self.ni = None;
        }
        self
    }

    /// The process-wide instance keyed with [`FIXED_KEY`].
    pub fn global() -> &'static FixedKeyAes {
        static INSTANCE: OnceLock<FixedKeyAes> = OnceLock::new();
        INSTANCE.get_or_init(FixedKeyAes::default)
    }

    /// `pi(x)`.
    #[inline]
    pub fn permute(&self, x: Block) -> Block {
        let mut b = [x];
        self.permute_many(&mut b);
        b[0]
    }

    /// `pi` applied in place to every block (the `aes` crate pipelines 8 at a time).
    #[inline]
    pub fn permute_many(&self, blocks: &mut [Block]) {
        #[cfg(target_arch = "x86_64")]
        if let Some(ni) = &self.ni {
            return ni.permute_many(blocks);
        }
        self.cipher.encrypt_blocks(as_aes_blocks(blocks));
    }

    /// `pi` in place through the `aes` crate only (its own batching and backend
    /// choice), whatever kernel [`FixedKeyAes::permute_many`] uses.
    pub fn permute_many_aes_crate(&self, blocks: &mut [Block]) {
        self.cipher.encrypt_blocks(as_aes_blocks(blocks));
    }

    /// `cr(x) = pi(x) ^ x`.
    #[inline]
    pub fn cr(&self, x: Block) -> Block {
        self.permute(x) ^ x
    }

    /// `cr` in place on every block.
    pub fn cr_many(&self, blocks: &mut [Block]) {
        let mut tmp = [Block::ZERO; CHUNK];
        for chunk in blocks.chunks_mut(CHUNK) {
            let t = &mut tmp[..chunk.len()];
            t.copy_from_slice(chunk);
            self.permute_many(t);
            for (c, p) in chunk.iter_mut().zip(t.iter()) {
                *c ^= *p;
            }
        }
    }

    /// `ccr(x) = pi(sigma(x)) ^ sigma(x)`.
    #[inline]
    pub fn ccr(&self, x: Block) -> Block {
        let s = x.sigma();
        self.permute(s) ^ s
    }

    /// `ccr` in place on every block.
    pub fn ccr_many(&self, blocks: &mut [Block]) {
        for b in blocks.iter_mut() {
            *b = b.sigma();
        }
        self.cr_many(blocks);
    }

    /// `tccr(x, i) = pi(pi(x) ^ i) ^ pi(x)`.
    #[inline]
    pub fn tccr(&self, x: Block, tweak: Block) -> Block {
        let mut b = [x];
        self.tccr_many(&mut b, |_| tweak);
        b[0]
    }

    /// `tccr` in place: `blocks[k] <- tccr(blocks[k], tweak(k))`. The first AES layer of
    /// a chunk of [`CHUNK`] blocks runs before its second layer.
    pub fn tccr_many(&self, blocks: &mut [Block], mut tweak: impl FnMut(usize) -> Block) {
        #[cfg(target_arch = "x86_64")]
        if let Some(ni) = &self.ni {
            return ni.tccr_many(blocks, tweak);
        }
        let mut tmp = [Block::ZERO; CHUNK];
        for (ci, chunk) in blocks.chunks_mut(CHUNK).enumerate() {
            let base = ci * CHUNK;
            self.permute_many(chunk);
            let t = &mut tmp[..chunk.len()];
            for (k, (dst, c)) in t.iter_mut().zip(chunk.iter_mut()).enumerate() {
                *dst = *c;
                *c ^= tweak(base + k);
            }
            self.permute_many(chunk);
            for (c, p) in chunk.iter_mut().zip(t.iter()) {
                *c ^= *p;
            }
        }
    }

    /// Half-gates garbling (Zahur-Rosulek-Evans 2015) of `n = out.len()` independent
    /// AND gates: gate `i` has input zero-labels `pairs[2i]` (A0) and `pairs[2i+1]` (B0)
    /// and tweaks `first_tweak + 2i` (A side) and `first_tweak + 2i + 1` (B side). Writes
    /// its table `T_G, T_E` to `tables[2i], tables[2i+1]` and its output zero-label to
    /// `out[i]`. With `pa = lsb(A0)`, `pb = lsb(B0)`, `H = tccr`:
    /// `T_G = H(A0) ^ H(A0^D) ^ pb*D`, `W_G = H(A0) ^ pa*T_G`,
    /// `T_E = H(B0) ^ H(B0^D) ^ A0`, `W_E = H(B0) ^ pb*(T_E ^ A0)`, `out = W_G ^ W_E`.
    /// On AES-NI CPUs a fused kernel keeps 16 hashes in flight in registers.
    ///
    /// # Panics
    /// If `pairs.len() != 2n` or `tables.len() != 2n` (a caller bug).
    pub fn garble_half_gates(
        &self,
        delta: &Delta,
        pairs: &[Block],
        first_tweak: u128,
        tables: &mut [Block],
        out: &mut [Block],
    ) {
        let n = out.len();
        assert!(pairs.len() == 2 * n && tables.len() == 2 * n, "two labels and two table blocks per gate");
        let d = delta.as_block();
        #[cfg(target_arch = "x86_64")]
        if let Some(ni) = &self.ni {
            return ni.garble_half_gates(d, pairs, first_tweak, tables, out);
        }
        let mut h = Vec::with_capacity(4 * n);
        for p in pairs.chunks_exact(2) {
            h.extend_from_slice(&[p[0], p[0] ^ d, p[1], p[1] ^ d]);
        }
        self.tccr_many(&mut h, |k| {
            Block::from_u128(first_tweak + 2 * (k as u128 >> 2) + ((k as u128 >> 1) & 1))
        });
        for (((p, h), t), o) in
            pairs.chunks_exact(2).zip(h.chunks_exact(4)).zip(tables.chunks_exact_mut(2)).zip(out)
        {
            let (a0, b0) = (p[0], p[1]);
            let (pa, pb) = (mask(a0.lsb()), mask(b0.lsb()));
            let tg = h[0] ^ h[1] ^ (pb & d);
            let wg0 = h[0] ^ (pa & tg);
            let te = h[2] ^ h[3] ^ a0;
            let we0 = h[2] ^ (pb & (te ^ a0));
            t[0] = tg;
            t[1] = te;
            *o = wg0 ^ we0;
        }
    }

    /// Half-gates evaluation of `n = out.len()` independent AND gates: gate `i` has
    /// active input labels `pairs[2i]` (Wa), `pairs[2i+1]` (Wb), table
    /// `tables[2i], tables[2i+1]` and the tweaks of [`FixedKeyAes::garble_half_gates`];
    /// writes `H(Wa) ^ sa*T_G ^ H(Wb) ^ sb*(T_E ^ Wa)` to `out[i]` (`sa, sb` = colour bits).
    ///
    /// # Panics
    /// If `pairs.len() != 2n` or `tables.len() != 2n` (a caller bug).
    pub fn eval_half_gates(&self, pairs: &[Block], first_tweak: u128, tables: &[Block], out: &mut [Block]) {
        let n = out.len();
        assert!(pairs.len() == 2 * n && tables.len() == 2 * n, "two labels and two table blocks per gate");
        #[cfg(target_arch = "x86_64")]
        if let Some(ni) = &self.ni {
            return ni.eval_half_gates(pairs, first_tweak, tables, out);
        }
        let mut h = pairs.to_vec();
        self.tccr_many(&mut h, |k| Block::from_u128(first_tweak + k as u128));
        for (((p, h), t), o) in
            pairs.chunks_exact(2).zip(h.chunks_exact(2)).zip(tables.chunks_exact(2)).zip(out)
        {
            let (wa, wb) = (p[0], p[1]);
            *o = h[0] ^ (mask(wa.lsb()) & t[0]) ^ h[1] ^ (mask(wb.lsb()) & (t[1] ^ wa));
        }
    }

    /// `tccr` with explicit tweaks: `blocks[k] <- tccr(blocks[k], tweaks[k])`.
    ///
    /// # Panics
    /// If `tweaks.len() != blocks.len()` (a caller bug, not input dependent).
    pub fn tccr_many_with(&self, blocks: &mut [Block], tweaks: &[Block]) {
        assert_eq!(blocks.len(), tweaks.len(), "one tweak per block");
        self.tccr_many(blocks, |k| tweaks[k]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex16(s: &str) -> [u8; 16] {
        let mut out = [0u8; 16];
        for (i, o) in out.iter_mut().enumerate() {
            *o = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap();
        }
        out
    }

    /// FIPS-197 appendix C.1 (AES-128): the permutation is plain AES, with either
    /// kernel, single blocks or full batches of 8.
    #[test]
    fn fips197_vector() {
        let key = hex16("000102030405060708090a0b0c0d0e0f");
        let pt = Block::from_bytes(hex16("00112233445566778899aabbccddeeff"));
        let ct = hex16("69c4e0d86a7b0430d8cdb78070b4c55a");
        for aes in [FixedKeyAes::new(key), FixedKeyAes::new(key).without_fused_kernel()] {
            assert_eq!(aes.permute(pt).to_bytes(), ct);
            let mut many = [pt; 11];
            aes.permute_many(&mut many);
            assert!(many.iter().all(|b| b.to_bytes() == ct));
        }
    }

    #[test]
    fn many_equals_single() {
        many_equals_single_for(FixedKeyAes::global());
        many_equals_single_for(&FixedKeyAes::default().without_fused_kernel());
    }

    fn many_equals_single_for(aes: &FixedKeyAes) {
        let reference = FixedKeyAes::default().without_fused_kernel();
        let xs: Vec<Block> = (0..300u128).map(|i| Block::from_u128(i * 0x9E37_79B9_7F4A_7C15 + 7)).collect();
        let tweaks: Vec<Block> = (0..300u64).map(|i| Block::from(i * 3)).collect();

        let mut t = xs.clone();
        aes.tccr_many_with(&mut t, &tweaks);
        let mut c = xs.clone();
        aes.ccr_many(&mut c);
        let mut r = xs.clone();
        aes.cr_many(&mut r);
        let mut pm = xs.clone();
        aes.permute_many(&mut pm);
        for k in 0..xs.len() {
            let mut one = [xs[k]];
            reference.permute_many_aes_crate(&mut one);
            let p = one[0];
            assert_eq!(pm[k], p);
            assert_eq!(aes.permute(xs[k]), p);
            assert_eq!(t[k], aes.permute(p ^ tweaks[k]) ^ p);
            assert_eq!(t[k], aes.tccr(xs[k], tweaks[k]));
            assert_eq!(c[k], aes.ccr(xs[k]));
            assert_eq!(r[k], p ^ xs[k]);
        }
        // Different tweaks give different outputs.
        assert_ne!(aes.tccr(xs[0], Block::from(0u64)), aes.tccr(xs[0], Block::from(1u64)));
    }

    /// The fused half-gates kernels equal the portable code, and evaluation of the
    /// garbled gates recovers `out0 ^ (a & b) * Delta` for every input combination.
    #[test]
    fn half_gates_kernels() {
        let fused = FixedKeyAes::global();
        let portable = FixedKeyAes::default().without_fused_kernel();
        let delta = Delta::from_block(Block::from_u128(0x1234_5678_9abc_def0_0fed_cba9_8765_4321));
        for n in [0usize, 1, 3, 4, 7, 8, 9, 33] {
            let pairs: Vec<Block> = (0..2 * n as u128)
                .map(|i| Block::from_u128(i.wrapping_mul(0x9E37_79B9_7F4A_7C15_F39C) ^ 5))
                .collect();
            let (mut t1, mut o1) = (vec![Block::ZERO; 2 * n], vec![Block::ZERO; n]);
            let (mut t2, mut o2) = (vec![Block::ZERO; 2 * n], vec![Block::ZERO; n]);
            fused.garble_half_gates(&delta, &pairs, 10, &mut t1, &mut o1);
            portable.garble_half_gates(&delta, &pairs, 10, &mut t2, &mut o2);
            assert_eq!((&t1, &o1), (&t2, &o2), "n = {n}");
            for (a, b) in [(false, false), (false, true), (true, false), (true, true)] {
                let d = delta.as_block();
                let active: Vec<Block> =
                    pairs.chunks(2).flat_map(|p| [p[0] ^ (mask(a) & d), p[1] ^ (mask(b) & d)]).collect();
                for aes in [fused, &portable] {
                    let mut w = vec![Block::ZERO; n];
                    aes.eval_half_gates(&active, 10, &t1, &mut w);
                    for (wi, oi) in w.iter().zip(&o1) {
                        assert_eq!(*wi, *oi ^ (mask(a & b) & d));
                    }
                }
            }
        }
    }

    #[test]
    fn backend_is_named() {
        assert!(["aes-ni", "soft"].contains(&aes_backend()));
    }
}
