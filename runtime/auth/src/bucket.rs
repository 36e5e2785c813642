//! Bucketing leaky AND triples into secure ones (WRK17 section 4.2, "Combining leaky
//! ANDs"; KRRW18 section 5; the layer form of emp-ag2pc's `bucket_one_layer`).
//!
//! Two triples `(a1, b1, c1)`, `(a2, b2, c2)` combine into `(a1 ^ a2, b1, c)` with
//! `d = b1 ^ b2` opened (MAC-checked) and `c = c1 ^ c2 ^ d a2`: indeed
//! `a1 b1 ^ a2 b2 ^ (b1 ^ b2) a2 = (a1 ^ a2) b1`. The combined `a` is unknown to a
//! cheater unless it learned the `a` of *every* triple in the bucket. With `L` output
//! triples, `B` layers and the triples of layers `1..B` assigned to buckets by public
//! random permutations chosen after all leaky triples are fixed (a coin toss, see
//! [`permutation`]), a cheater that leaked some `a` bits succeeds for a given bucket
//! only if all `B` of its triples leaked; [`bucket_size`] picks the smallest `B` with
//! `(B - 1) log2 L > s = 40` (emp-ag2pc's rule after WRK17 Theorem 4's bound).

use mpc_crypto::{Block, Delta, Prg};

use crate::error::{AuthError, Result};
use crate::shares::AuthShares;
use crate::STAT_SEC;

/// Authenticated AND triples `<a>, <b>, <c>` with `c = a & b`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Triples {
    /// `<a>`.
    pub a: AuthShares,
    /// `<b>`.
    pub b: AuthShares,
    /// `<c>`.
    pub c: AuthShares,
}

/// The number of leaky triples per output triple for `n` outputs (floored at 1,024
/// outputs so small batches stay safe).
pub fn bucket_size(n: usize) -> usize {
    let log2 = (n.max(1024) as f64).log2();
    let mut b = 2;
    while log2 * (b as f64 - 1.0) <= STAT_SEC as f64 {
        b += 1;
    }
    b
}

/// The public permutation of `n` triples for layer `layer`, from the coin-toss seed
/// (Fisher-Yates over a PRG keyed by the seed and the layer).
pub fn permutation(seed: Block, layer: u64, n: usize) -> Vec<usize> {
    let mut prg = Prg::from_seed_block(seed ^ Block::from(layer as u128));
    // Random words drawn from the PRG in batches (one AES call per 8 blocks).
    let mut words: Vec<u64> = Vec::new();
    let mut used = 0;
    let mut next = || {
        if used == words.len() {
            words = prg.blocks(512).into_iter().map(|b| u128::from(b) as u64).collect();
            used = 0;
        }
        used += 1;
        words[used - 1]
    };
    let mut p: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        // Rejection sampling for an unbiased index in 0..=i.
        let bound = (i + 1) as u64;
        let zone = u64::MAX - u64::MAX % bound;
        let j = loop {
            let v = next();
            if v < zone {
                break (v % bound) as usize;
            }
        };
        p.swap(i, j);
    }
    p
}

/// This party's shares of `d_i = b_acc[i] ^ b_layer[perm[i]]` and their opening.
pub fn open_d(acc: &Triples, layer: &Triples, perm: &[usize]) -> Result<(AuthShares, Vec<u8>)> {
    if perm.len() != acc.b.len() || layer.b.len() != perm.len() {
        return Err(AuthError::InvalidArgument("a bucketing layer of another size".into()));
    }
    let mut d = acc.b.clone();
    for (i, &j) in perm.iter().enumerate() {
        d.xor_at(i, &layer.b, j);
    }
    let msg = d.open("bucketing d");
    Ok((d, msg))
}

/// Checks the peer's opening of `d` and folds the layer into `acc`.
pub fn combine(
    delta: &Delta,
    acc: &mut Triples,
    layer: &Triples,
    perm: &[usize],
    d_shares: &AuthShares,
    peer_opening: &[u8],
) -> Result<()> {
    let peer = d_shares.check_open(delta, "bucketing d", peer_opening)?;
    for (i, &j) in perm.iter().enumerate() {
        let d = d_shares.bits[i] ^ peer[i];
        acc.a.xor_at(i, &layer.a, j);
        acc.c.xor_at(i, &layer.c, j);
        if d {
            acc.c.xor_at(i, &layer.a, j);
        }
    }
    Ok(())
}
