//! Cuckoo hashing with three hash functions, for the KKRT16 receiver. Two parameter
//! regimes ([`Params::for_size`]), both aiming at a failure probability of at most
//! 2^-40:
//!
//! - below [`NO_STASH_FROM`] = 2^16 items, `1.2 n` bins and a stash (Kirsch,
//!   Mitzenmacher and Wieder's cuckoo hashing with a stash, as KKRT16 use it), with the
//!   KKRT16 authors' parameters (osu-crypto/BaRK-OPRF: `mBinCount = 1.2 * n` in
//!   `bOPRFlib/PSI/CuckooHasher.cpp`, the stash sizes of `get_stash_size` in
//!   `bOPRFlib/Common/Defines.cpp`);
//! - from 2^16 items, `1.27 n` bins and no stash: the parameters of Pinkas, Schneider
//!   and Zohner, "Scalable Private Set Intersection Based on OT Extension" (ACM TOPS
//!   2018), section 3.2.2, as cited there by swanky's popsicle (`compute_nbins`,
//!   "good up to set size 2^26") and by Alibaba's mpc4j (`Psz18NoStashCuckooHashBin`,
//!   1.27 from 2^8 items); docs/native.md says what was and was not checked.
//!
//! A failure is an error ([`PsiError::HashingFailed`]), never a wrong result.
//!
//! Invariants of a [`Placement`]: every item is in exactly one of its three bins or in
//! the stash; a bin holds at most one item; the stash holds at most
//! [`Params::stash`] items. Hash positions are AES under a session key applied to the
//! item's 128-bit digest ([`Positions`]), the same on both sides.

use mpc_crypto::aes::FixedKeyAes;
use mpc_crypto::Block;
use rand_core::CryptoRngCore;

use super::PsiError;

/// Hash functions.
pub const HASHES: usize = 3;
/// Bins per item with a stash, as a fraction `NUM / DEN` = 1.2 (KKRT16's authors).
const EXPANSION: (usize, usize) = (6, 5);
/// Bins per item without a stash, `NUM / DEN` = 1.27 (PSZ18, section 3.2.2).
const EXPANSION_NO_STASH: (usize, usize) = (127, 100);
/// The set size from which the table has no stash (`1.27 n` bins).
pub const NO_STASH_FROM: usize = 1 << 16;
/// Evictions before an item goes to the stash.
const MAX_KICKS: usize = 500;
/// The set size where the stash steps down from 12 to 6 (see [`Params::for_size`]).
const STASH_2_12: usize = 1 << 12;
/// The marker of an empty bin.
pub const EMPTY: u32 = u32::MAX;

/// Table parameters for a set of `n` items.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Params {
    /// Bins (a multiple of 128, at least 1.2 n, or 1.27 n without a stash).
    pub bins: usize,
    /// Stash slots.
    pub stash: usize,
}

impl Params {
    /// The parameters for `n` items. From [`NO_STASH_FROM`] = 2^16 items: `1.27 n`
    /// bins and no stash (PSZ18, section 3.2.2). Below: `1.2 n` bins and the stash size
    /// of the KKRT16 authors' implementation (osu-crypto/BaRK-OPRF, `get_stash_size`
    /// in `bOPRFlib/Common/Defines.cpp`, the code behind the paper's experiments): 12
    /// below 2^12 items, 6 below 2^16 (their table goes on with 4, 3 and 2 for larger
    /// sets, which no longer use a stash here). Bins are rounded up to a multiple of
    /// 128 (one OT-extension tile).
    pub fn for_size(n: usize) -> Params {
        let ((num, den), stash) = match n {
            0..STASH_2_12 => (EXPANSION, 12),
            STASH_2_12..NO_STASH_FROM => (EXPANSION, 6),
            _ => (EXPANSION_NO_STASH, 0),
        };
        let bins = (n * num).div_ceil(den).max(1).div_ceil(128) * 128;
        Params { bins, stash }
    }
}

/// The three hash functions: bin `f` of `x` is word `f` of `AES_k(x)` scaled to the
/// number of bins.
#[derive(Clone)]
pub struct Positions {
    aes: FixedKeyAes,
    bins: u64,
}

impl std::fmt::Debug for Positions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Positions").field("bins", &self.bins).finish_non_exhaustive()
    }
}

impl Positions {
    /// The hash functions of a session key for a table of `bins` bins.
    pub fn new(key: Block, bins: usize) -> Positions {
        Positions { aes: FixedKeyAes::new(key.to_bytes()), bins: bins as u64 }
    }

    /// `out[i]` = the three bins of `digests[i]`.
    ///
    /// # Panics
    /// If the lengths differ (a caller bug).
    pub fn many(&self, digests: &[Block], out: &mut [[u32; HASHES]]) {
        assert_eq!(digests.len(), out.len(), "one output per digest");
        let mut buf = [Block::ZERO; 128];
        for (ins, outs) in digests.chunks(128).zip(out.chunks_mut(128)) {
            let b = &mut buf[..ins.len()];
            b.copy_from_slice(ins);
            self.aes.permute_many(b);
            for (o, v) in outs.iter_mut().zip(b.iter()) {
                let v = v.to_u128();
                // (w * bins) >> 32 < bins <= u32::MAX: the multiply-shift range map.
                *o = core::array::from_fn(|f| (((v >> (32 * f)) as u32 as u64 * self.bins) >> 32) as u32);
            }
        }
    }
}

/// Where each item went.
#[derive(Clone, Debug)]
pub struct Placement {
    /// Per bin: the index of its item, or [`EMPTY`].
    pub bins: Vec<u32>,
    /// Per item: the hash function that placed it (0, 1, 2), or [`HASHES`] if stashed.
    pub function: Vec<u8>,
    /// Items in the stash, at most [`Params::stash`].
    pub stash: Vec<u32>,
}

/// Places items whose bins are `positions` (random-walk insertion).
/// [`PsiError::HashingFailed`] if the stash overflows.
pub fn place<R: CryptoRngCore + ?Sized>(
    positions: &[[u32; HASHES]],
    params: Params,
    rng: &mut R,
) -> Result<Placement, PsiError> {
    let mut bins = vec![EMPTY; params.bins];
    let mut function = vec![0u8; positions.len()];
    let mut stash = Vec::new();
    // Eviction choices need not be secret (the placement never leaves this party), only
    // varied: a xorshift generator seeded from the caller's.
    let mut state = rng.next_u64() | 1;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for item in 0..positions.len() {
        // positions.len() <= MAX_SET_SIZE < u32::MAX.
        let mut cur = item as u32;
        let mut kicks = 0;
        loop {
            let p = positions[cur as usize];
            if let Some(f) = (0..HASHES).find(|&f| bins[p[f] as usize] == EMPTY) {
                bins[p[f] as usize] = cur;
                function[cur as usize] = f as u8;
                break;
            }
            if kicks == MAX_KICKS {
                if stash.len() == params.stash {
                    return Err(PsiError::HashingFailed);
                }
                function[cur as usize] = HASHES as u8;
                stash.push(cur);
                break;
            }
            let f = (next() % HASHES as u64) as usize;
            let bin = p[f] as usize;
            let evicted = bins[bin];
            bins[bin] = cur;
            function[cur as usize] = f as u8;
            cur = evicted;
            kicks += 1;
        }
    }
    Ok(Placement { bins, function, stash })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::rand_core::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    #[test]
    fn every_item_is_in_one_of_its_bins_or_the_stash() {
        let mut rng = ChaCha20Rng::seed_from_u64(3);
        for n in [0usize, 1, 5, 300, 5000] {
            let params = Params::for_size(n);
            let pos = Positions::new(Block::from_u128(77), params.bins);
            let digests: Vec<Block> = (0..n).map(|i| Block::from_u128(i as u128)).collect();
            let mut p = vec![[0u32; HASHES]; n];
            pos.many(&digests, &mut p);
            let placed = place(&p, params, &mut rng).unwrap();
            let mut seen = vec![0; n];
            for (b, &i) in placed.bins.iter().enumerate() {
                if i != EMPTY {
                    let f = placed.function[i as usize] as usize;
                    assert!(f < HASHES && p[i as usize][f] as usize == b);
                    seen[i as usize] += 1;
                }
            }
            for &i in &placed.stash {
                assert_eq!(placed.function[i as usize] as usize, HASHES);
                seen[i as usize] += 1;
            }
            assert!(seen.iter().all(|&c| c == 1), "n {n}");
            assert!(placed.stash.len() <= params.stash);
        }
    }

    #[test]
    fn a_stash_overflow_is_an_error() {
        // Twenty items with the same three bins: three fit, twelve stash, the rest fail.
        let mut rng = ChaCha20Rng::seed_from_u64(4);
        let p = vec![[0u32, 1, 2]; 20];
        let r = place(&p, Params::for_size(20), &mut rng);
        assert!(matches!(r, Err(PsiError::HashingFailed)));
    }

    /// The stash sizes step down exactly at the authors' powers of two, and from
    /// 2^16 there is none, with 1.27 n bins.
    #[test]
    fn parameters_follow_the_two_tables() {
        let cases = [
            (0, 128, 12),
            (256, 384, 12),
            (4095, 4992, 12),
            (4096, 4992, 6),
            (65_535, 78_720, 6),
            (65_536, 83_328, 0),
            ((1 << 20) - 1, 1_331_712, 0),
            (1 << 20, 1_331_712, 0),
            (1 << 22, 5_326_848, 0),
        ];
        for (n, bins, stash) in cases {
            let p = Params::for_size(n);
            assert_eq!((p.bins, p.stash), (bins, stash), "n = {n}");
            let factor = if stash == 0 { 1.27 } else { 1.2 };
            assert!(p.bins as f64 >= factor * n as f64 && p.bins.is_multiple_of(128), "n = {n}");
        }
    }

    /// At the boundary sizes of the stash-free table, sets fill it with no stash (a
    /// failure here would be an error in a run, never a wrong result; PSZ18 put its
    /// probability below 2^-40).
    #[test]
    fn stash_free_tables_fill_at_the_boundary_sizes() {
        let mut rng = ChaCha20Rng::seed_from_u64(5);
        for (n, key) in [(NO_STASH_FROM, 1u128), (NO_STASH_FROM, 2), (NO_STASH_FROM + 1, 3), (100_000, 4)] {
            let params = Params::for_size(n);
            assert_eq!(params.stash, 0);
            let pos = Positions::new(Block::from_u128(key), params.bins);
            let digests: Vec<Block> = (0..n).map(|i| Block::from_u128(i as u128 * 7 + 1)).collect();
            let mut p = vec![[0u32; HASHES]; n];
            pos.many(&digests, &mut p);
            let placed = place(&p, params, &mut rng).unwrap();
            assert!(placed.stash.is_empty());
            let filled = placed.bins.iter().filter(|&&b| b != EMPTY).count();
            assert_eq!(filled, n, "n = {n}");
        }
    }
}
