//! [`Prg`]: a seeded pseudorandom generator of [`Block`]s, AES-128 in counter mode.
//!
//! Guarantees: deterministic for a given seed (so tests and protocol transcripts are
//! reproducible), implements `RngCore + CryptoRng + SeedableRng`, and hands out blocks
//! in batches through [`Prg::fill_blocks`] (8+ AES blocks in flight). The key schedule
//! is zeroized on drop; the seed is never printed.

use aes::cipher::{BlockEncrypt, KeyInit};
use aes::Aes128;
use rand_core::{CryptoRng, RngCore, SeedableRng};

use crate::Block;

/// Blocks buffered for the byte-oriented `RngCore` methods.
const BUF_BLOCKS: usize = 8;

/// Batches of at least this many blocks go through the fused AES-NI/VAES kernel
/// (its round keys are expanded on the first such batch, so a PRG that only ever
/// gives a few blocks, as a GGM tree node, pays for one key schedule).
#[cfg(target_arch = "x86_64")]
const WIDE_MIN: usize = 16;

/// AES-128-CTR keyed by a secret seed; block `k` of the stream is `AES_seed(k)`.
#[derive(Clone)]
pub struct Prg {
    cipher: Aes128,
    /// The seed, kept for expanding `ni` on first use; zeroized on drop.
    #[cfg(target_arch = "x86_64")]
    seed: [u8; 16],
    /// The seed's round keys for the fused kernels: `None` until the first batch of
    /// [`WIDE_MIN`] blocks, and stays `None` without AES-NI; wiped on drop.
    #[cfg(target_arch = "x86_64")]
    ni: Option<crate::ni::NiKeys>,
    #[cfg(target_arch = "x86_64")]
    ni_tried: bool,
    counter: u128,
    buf: [Block; BUF_BLOCKS],
    /// Bytes of `buf` already handed out (`16 * BUF_BLOCKS` means empty).
    used: usize,
}

impl core::fmt::Debug for Prg {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Prg { .. }")
    }
}

impl Prg {
    /// A PRG whose whole output is determined by `seed`.
    pub fn from_seed_block(seed: Block) -> Prg {
        Prg {
            cipher: Aes128::new(&seed.to_bytes().into()),
            #[cfg(target_arch = "x86_64")]
            seed: seed.to_bytes(),
            #[cfg(target_arch = "x86_64")]
            ni: None,
            #[cfg(target_arch = "x86_64")]
            ni_tried: false,
            counter: 0,
            buf: [Block::ZERO; BUF_BLOCKS],
            used: 16 * BUF_BLOCKS,
        }
    }

    /// A PRG seeded from `rng`.
    pub fn from_rng_block<R: RngCore + CryptoRng + ?Sized>(rng: &mut R) -> Prg {
        Prg::from_seed_block(Block::random(rng))
    }

    /// The next pseudorandom block.
    pub fn random_block(&mut self) -> Block {
        let mut b = [Block::ZERO];
        self.fill_blocks(&mut b);
        b[0]
    }

    /// Fills `out` with the next `out.len()` blocks of the stream (bypasses the byte
    /// buffer, which keeps its own already-generated blocks).
    pub fn fill_blocks(&mut self, out: &mut [Block]) {
        #[cfg(target_arch = "x86_64")]
        {
            let counter = self.counter;
            if let Some(ni) = self.wide_keys(out.len()) {
                ni.ctr_many(counter, out);
                self.counter = counter.wrapping_add(out.len() as u128);
                return;
            }
        }
        for b in out.iter_mut() {
            *b = Block::from_u128(self.counter);
            self.counter = self.counter.wrapping_add(1);
        }
        self.cipher.encrypt_blocks(crate::aes::as_aes_blocks(out));
    }

    /// Blocks `counter .. counter + out.len()` of the stream (counting from the seed,
    /// as [`Self::fill_blocks`] does from block 0), without moving this PRG's own
    /// position: for random access to a public stream (the KOS challenge's
    /// coefficients, [`crate::chi`]). Through the `aes` crate.
    pub fn blocks_at(&self, counter: u128, out: &mut [Block]) {
        for (k, b) in out.iter_mut().enumerate() {
            *b = Block::from_u128(counter.wrapping_add(k as u128));
        }
        self.cipher.encrypt_blocks(crate::aes::as_aes_blocks(out));
    }

    /// `n` fresh blocks.
    pub fn blocks(&mut self, n: usize) -> Vec<Block> {
        let mut v = vec![Block::ZERO; n];
        self.fill_blocks(&mut v);
        v
    }

    /// The fused kernel's round keys for a batch of `n` blocks: `None` below
    /// [`WIDE_MIN`] or without AES-NI (expanded on the first wide batch).
    #[cfg(target_arch = "x86_64")]
    fn wide_keys(&mut self, n: usize) -> Option<&crate::ni::NiKeys> {
        if n < WIDE_MIN {
            return None;
        }
        if !self.ni_tried {
            self.ni = crate::ni::NiKeys::new(self.seed);
            self.ni_tried = true;
        }
        self.ni.as_ref()
    }

    fn refill(&mut self) {
        let mut buf = [Block::ZERO; BUF_BLOCKS];
        self.fill_blocks(&mut buf);
        self.buf = buf;
        self.used = 0;
    }
}

impl RngCore for Prg {
    fn next_u32(&mut self) -> u32 {
        let mut b = [0u8; 4];
        self.fill_bytes(&mut b);
        u32::from_le_bytes(b)
    }

    fn next_u64(&mut self) -> u64 {
        let mut b = [0u8; 8];
        self.fill_bytes(&mut b);
        u64::from_le_bytes(b)
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        let mut filled = 0;
        while filled < dest.len() {
            if self.used == 16 * BUF_BLOCKS {
                self.refill();
            }
            let avail = &bytemuck::cast_slice::<Block, u8>(&self.buf)[self.used..];
            let n = avail.len().min(dest.len() - filled);
            dest[filled..filled + n].copy_from_slice(&avail[..n]);
            filled += n;
            self.used += n;
        }
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

impl CryptoRng for Prg {}

impl SeedableRng for Prg {
    type Seed = [u8; 16];

    fn from_seed(seed: [u8; 16]) -> Prg {
        Prg::from_seed_block(Block::from_bytes(seed))
    }
}

impl Drop for Prg {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        self.buf.zeroize();
        self.counter.zeroize();
        #[cfg(target_arch = "x86_64")]
        {
            self.seed.zeroize();
            if let Some(ni) = self.ni.as_mut() {
                ni.wipe();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_seed_dependent() {
        let mut a = Prg::from_seed([7; 16]);
        let mut b = Prg::from_seed([7; 16]);
        let mut c = Prg::from_seed([8; 16]);
        let xa = a.blocks(20);
        assert_eq!(xa, b.blocks(20));
        assert_ne!(xa, c.blocks(20));
        assert_ne!(xa[0], xa[1]);
    }

    #[test]
    fn bytes_are_buffered_consistently() {
        let mut a = Prg::from_seed([1; 16]);
        let mut b = Prg::from_seed([1; 16]);
        let mut x = [0u8; 300];
        a.fill_bytes(&mut x);
        let mut y = [0u8; 300];
        for chunk in y.chunks_mut(7) {
            b.fill_bytes(chunk);
        }
        assert_eq!(x, y);
        assert_ne!(x[..16], x[16..32]);
    }

    /// The fused counter mode on 128-bit AES-NI registers (the engine of machines
    /// without VAES), on 256-bit and on 512-bit VAES registers (where the CPU has
    /// them) gives the same stream as the aes crate, wrapping counter included.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn every_counter_mode_kernel_matches_the_aes_crate() {
        let key = [7u8; 16];
        let Some(full) = crate::ni::NiKeys::new(key) else {
            return; // no AES-NI: the aes crate's own path is the one used
        };
        let (mut narrow, mut w256) = (full, full);
        narrow.drop_wide();
        w256.drop_z();
        let cipher = Aes128::new(&key.into());
        for ni in [narrow, w256, full] {
            for (counter, n) in [
                (0u128, 1usize),
                (5, 17),
                (u128::MAX - 3, 40),
                (9, 100),
                (u128::MAX - 40, 64),
                (u64::MAX as u128 - 4, 64),
            ] {
                let mut got = vec![Block::ZERO; n];
                ni.ctr_many(counter, &mut got);
                let mut want: Vec<Block> =
                    (0..n).map(|k| Block::from_u128(counter.wrapping_add(k as u128))).collect();
                cipher.encrypt_blocks(crate::aes::as_aes_blocks(&mut want));
                assert_eq!(
                    got,
                    want,
                    "counter {counter}, {n} blocks, wide {}, z {}",
                    ni.is_wide(),
                    ni.is_z()
                );
            }
        }
    }

    #[test]
    fn wide_batches_continue_the_same_stream() {
        // Block k of the stream is AES_seed(k) whether it comes in a batch through the
        // fused kernel (>= WIDE_MIN blocks) or a few at a time through the aes crate.
        let seed = Block::from_u128(0x0123_4567_89ab_cdef_0011_2233_4455_6677);
        let mut wide = Prg::from_seed_block(seed);
        let mut narrow = Prg::from_seed_block(seed);
        let mut x = vec![Block::ZERO; 1000];
        wide.fill_blocks(&mut x[..3]);
        wide.fill_blocks(&mut x[3..600]);
        wide.fill_blocks(&mut x[600..]);
        let y: Vec<Block> = (0..1000).map(|_| narrow.random_block()).collect();
        assert_eq!(x, y);
        let cipher = Aes128::new(&seed.to_bytes().into());
        let mut want = [Block::from_u128(999)];
        cipher.encrypt_blocks(crate::aes::as_aes_blocks(&mut want));
        assert_eq!(x[999], want[0]);
    }
}
