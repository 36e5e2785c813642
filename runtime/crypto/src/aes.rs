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

use crate::Block;

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
    /// The fused kernels (AES-NI, and VAES where present), when the CPU has AES-NI
    /// (x86-64 only).
    #[cfg(target_arch = "x86_64")]
    pub(crate) ni: Option<crate::ni::NiKeys>,
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

    /// The same permutation with the fused kernels switched off, so every call
    /// goes through the `aes` crate (for tests and comparisons).
    pub fn without_fused_kernel(mut self) -> FixedKeyAes {
        #[cfg(target_arch = "x86_64")]
        {
            self.ni = None;
        }
        self
    }

    /// The same permutation without the 256-bit VAES engine (the 128-bit AES-NI kernels
    /// only), for tests and comparisons.
    pub fn without_wide_kernel(mut self) -> FixedKeyAes {
        #[cfg(target_arch = "x86_64")]
        if let Some(ni) = self.ni.as_mut() {
            ni.drop_wide();
        }
        self
    }

    /// Which engine the hashes and half-gates kernels use: `"vaes"` (256-bit AES
    /// instructions, two blocks each), `"aes-ni"` (128-bit, fused kernels) or
    /// `"portable"` (through the `aes` crate, whatever backend it picked).
    pub fn kernel_name(&self) -> &'static str {
        #[cfg(target_arch = "x86_64")]
        if let Some(ni) = &self.ni {
            return if ni.is_wide() { "vaes" } else { "aes-ni" };
        }
        "portable"
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

    /// `out[k] <- tccr(src[k] ^ offset, tweak(k))`: [`FixedKeyAes::tccr_many`] reading
    /// from `src`, so a caller that keeps its inputs needs no copy (and no pass to add
    /// `offset`) first. With the 512-bit kernel the blocks go from `src` to `out`
    /// through registers only.
    ///
    /// # Panics
    /// If `out.len() != src.len()` (a caller bug, not input dependent).
    pub fn tccr_many_from(
        &self,
        src: &[Block],
        offset: Block,
        out: &mut [Block],
        tweak: impl FnMut(usize) -> Block,
    ) {
        assert_eq!(src.len(), out.len(), "one output per input");
        #[cfg(target_arch = "x86_64")]
        if let Some(ni) = &self.ni {
            return ni.tccr_many_from(src, offset, out, tweak);
        }
        for (o, &x) in out.iter_mut().zip(src) {
            *o = x ^ offset;
        }
        self.tccr_many(out, tweak);
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
        let mut w256 = FixedKeyAes::default();
        #[cfg(target_arch = "x86_64")]
        if let Some(ni) = w256.ni.as_mut() {
            ni.drop_z();
        }
        many_equals_single_for(&w256);
        many_equals_single_for(&FixedKeyAes::default().without_wide_kernel());
        many_equals_single_for(&FixedKeyAes::default().without_fused_kernel());
    }

    fn many_equals_single_for(aes: &FixedKeyAes) {
        let reference = FixedKeyAes::default().without_fused_kernel();
        let xs: Vec<Block> = (0..300u128).map(|i| Block::from_u128(i * 0x9E37_79B9_7F4A_7C15 + 7)).collect();
        let tweaks: Vec<Block> = (0..300u64).map(|i| Block::from(i * 3)).collect();

        let mut t = xs.clone();
        aes.tccr_many_with(&mut t, &tweaks);
        let offset = Block::from_u128(0x5555_0000_aaaa_ffff_1234_5678_9abc_def1);
        let mut from = vec![Block::ZERO; xs.len()];
        aes.tccr_many_from(&xs, offset, &mut from, |k| tweaks[k]);
        let mut shifted: Vec<Block> = xs.iter().map(|&x| x ^ offset).collect();
        reference.tccr_many_with(&mut shifted, &tweaks);
        assert_eq!(from, shifted);
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

    #[test]
    fn backend_is_named() {
        assert!(["aes-ni", "soft"].contains(&aes_backend()));
        assert!(["vaes", "aes-ni", "portable"].contains(&FixedKeyAes::global().kernel_name()));
        assert_eq!(FixedKeyAes::default().without_fused_kernel().kernel_name(), "portable");
    }
}
