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
//! `B + (B - 1) log2 L >= s = 40`.
//!
//! Why that bound (docs/protocol.md, "Bucket size"): a cheater's deviation in one
//! leaky AND (a row error, a flipped bit `s`, or both) that can tell it the honest
//! share of `a` passes that chunk's equality check for exactly one value of that
//! share, probability 1/2 independently per candidate (the shares are uniform and
//! independent), so leaking `t_j` candidates of layer `j` passes with probability
//! `2^-(t_0 + ... + t_{B-1})`. Layer 0 stays in order and layer `j >= 1` goes through
//! its own permutation drawn after the check (pseudorandom: a PRG keyed by the coin
//! toss and the layer), so bucket `i` is all leaked with probability `[i leaked in
//! layer 0] prod_j t_j / L`, and by the union bound over buckets some bucket is with
//! probability at most `t_0 prod_{j>=1} t_j / L^(B-1)`. Together at most
//! `L^-(B-1) prod_j (t_j 2^-t_j) <= 2^-B L^-(B-1)`, since `t 2^-t <= 1/2` for every
//! integer `t >= 0`; equality is reached (one leak per layer), so the rule gives at
//! most, not below, `2^-40`. The bound holds for every `L >= 1` (one triple at
//! `B = 40`: the cheater must leak all 40 and passes with probability `2^-40`), so
//! padding is only an optimisation ([`chunk_plan`]). emp-ag2pc takes `B = 3` from
//! 280,000 triples (`2^-39.2` by this bound) and 4 from 3,100 (`2^-38.8`); this rule
//! from 370,728 and 4,096.
//!
//! Chunks: a session's triples are made in chunks ([`chunk_plan`]), each chunk
//! bucketed on its own with its own coin toss drawn after that chunk's leaky triples
//! are fixed and checked. A cheater wins if it wins in any chunk, so by the union
//! bound over `C` chunks [`bucket_size_chunked`] asks `B + (B - 1) log2 L_min >= s +
//! log2 C` of the smallest chunk.

use mpc_crypto::{Block, Delta, Prg};
use mpc_ot::kos;

use crate::error::{AuthError, Result};
use crate::shares::{check_open_parts, open_parts, AuthShares};
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

impl Triples {
    /// The number of triples.
    pub fn len(&self) -> usize {
        self.a.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.a.is_empty()
    }

    /// Room for `n` more triples.
    pub fn reserve(&mut self, n: usize) {
        for s in [&mut self.a, &mut self.b, &mut self.c] {
            s.bits.reserve(n);
            s.macs.reserve(n);
            s.keys.reserve(n);
        }
    }

    /// Appends `other`'s triples after mine.
    pub fn append(&mut self, other: Triples) {
        for (to, from) in [(&mut self.a, other.a), (&mut self.b, other.b), (&mut self.c, other.c)] {
            to.bits.extend_from_slice(&from.bits);
            to.macs.extend_from_slice(&from.macs);
            to.keys.extend_from_slice(&from.keys);
        }
    }
}

/// The most triples bucketed together by default: a chunk's `B` leaky layers and the
/// next chunk's KOS batches are the preprocessing's peak memory besides the kept
/// shares. A cap of 2^20 would let sessions from 370,728 triples bucket at `B = 3`
/// instead of 4 ([`chunk_plan`]), but one chunk cannot overlap with the next (the
/// preprocessing runs a chunk's triples in the next chunk's KOS slots): measured on
/// AES-128 x 100 (640,000 triples, docs/benchmarks.md) one chunk at `B = 3` took 6.4-6.6
/// ms per instance against 3.9-4.0 at chunks of 2^15 and `B = 4`, with 2.4 times the
/// memory, so the default stays at 2^17.
pub const CHUNK_TRIPLES: usize = 1 << 17;

/// The smallest chunk [`chunk_plan`] tries (smaller chunks are faster, their buffers
/// stay in cache and in the allocator, as long as `B` does not grow).
pub const MIN_CHUNK_TRIPLES: usize = 1 << 15;

/// The number of leaky triples per output triple for `n` outputs bucketed at once
/// (one chunk).
pub fn bucket_size(n: usize) -> usize {
    bucket_size_chunked(n, 1)
}

/// The bucket size when `chunks` chunks of at least `n` outputs each are bucketed
/// separately: the smallest `B >= 2` with `B + (B - 1) log2 max(n, 1) >= 40 + log2
/// chunks` (the bound and the union bound over the chunks, see the module docs).
pub fn bucket_size_chunked(n: usize, chunks: usize) -> usize {
    let log2 = (n.max(1) as f64).log2();
    let bound = STAT_SEC as f64 + (chunks.max(1) as f64).log2();
    let mut b = 2;
    // Ends: the left side grows by at least 1 per step.
    while (b as f64) + log2 * (b as f64 - 1.0) < bound {
        b += 1;
    }
    b
}

/// The largest padded size [`chunk_plan`] tries for a small session.
pub const MAX_PAD: usize = 1 << 12;

/// The chunks of `total` triples and their bucket size. Each candidate most-per-chunk
/// `c` of `max`, `max / 2`, ... down to [`MIN_CHUNK_TRIPLES`] (just `max` if it is
/// smaller) cuts `total` into the fewest chunks of at most `c` ([`chunk_sizes`]),
/// bucketed at [`bucket_size_chunked`] of the smallest chunk and the number of
/// chunks; the plan is the candidate with the smallest `B` (the fewest leaky
/// triples), the smallest `c` among equals.
///
/// A small session may instead make more triples than it needs (and use the first
/// `total`): every KOS batch of a leaky layer carries [`kos::CHECK_OTS`] extra OTs, so
/// at `B = 40` for one triple the check OTs dominate. The plan for `total` rounded up
/// to a power of two up to [`MAX_PAD`] replaces it when its OTs, `B x (triples +
/// chunks x CHECK_OTS)`, are fewer (one to 64 triples: 64 at `B = 7`). No chunks for
/// `total == 0`.
pub fn chunk_plan(total: usize, max: usize) -> (Vec<usize>, usize) {
    let mut best = plan_exact(total, max);
    if total == 0 || total >= MAX_PAD {
        return best;
    }
    let ots = |(chunks, b): &(Vec<usize>, usize)| {
        b * (chunks.iter().sum::<usize>() + chunks.len() * kos::CHECK_OTS)
    };
    let mut pad = total.next_power_of_two();
    while pad <= MAX_PAD {
        if pad > total {
            let candidate = plan_exact(pad, max);
            if ots(&candidate) < ots(&best) {
                best = candidate;
            }
        }
        pad *= 2;
    }
    best
}

/// [`chunk_plan`] without padding.
fn plan_exact(total: usize, max: usize) -> (Vec<usize>, usize) {
    let of = |c: usize| {
        let chunks = chunk_sizes(total, c);
        let b = bucket_size_chunked(chunks.last().copied().unwrap_or(1), chunks.len());
        (chunks, b)
    };
    let mut best = of(max);
    let mut c = max / 2;
    while c >= MIN_CHUNK_TRIPLES {
        let candidate = of(c);
        if candidate.1 <= best.1 {
            best = candidate;
        }
        c /= 2;
    }
    best
}

/// `total` triples cut into the fewest chunks of at most `max` (at least 1), of sizes
/// differing by at most one (larger first); none for `total == 0`.
pub fn chunk_sizes(total: usize, max: usize) -> Vec<usize> {
    if total == 0 {
        return Vec::new();
    }
    let chunks = total.div_ceil(max.max(1));
    let (q, r) = (total / chunks, total % chunks);
    (0..chunks).map(|i| q + usize::from(i < r)).collect()
}

/// The public permutation of `n` triples for layer `layer`, from the coin-toss seed
/// (Fisher-Yates over a PRG keyed by the seed and the layer).
///
/// Each index in `0..=i` is drawn without bias by Lemire's multiply-and-reject
/// ("Fast Random Integer Generation in an Interval", 2019): the high half of
/// `v * (i + 1)` for a uniform 64-bit `v`, rejecting the few `v` whose low half falls
/// below `2^64 mod (i + 1)`; a division only on the rare path.
pub fn permutation(seed: Block, layer: u64, n: usize) -> Vec<usize> {
    let mut prg = Prg::from_seed_block(seed ^ Block::from(layer as u128));
    // Random words drawn from the PRG in batches (two 64-bit words per block).
    let mut buf = [Block::ZERO; 256];
    let mut used = 2 * buf.len();
    let mut next = move || {
        if used == 2 * buf.len() {
            prg.fill_blocks(&mut buf);
            used = 0;
        }
        let b = u128::from(buf[used / 2]);
        let v = if used % 2 == 0 { b as u64 } else { (b >> 64) as u64 };
        used += 1;
        v
    };
    let mut p: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        let bound = (i + 1) as u64;
        let j = loop {
            let m = u128::from(next()) * u128::from(bound);
            let low = m as u64;
            // `low >= bound` cannot be in the rejection zone (`2^64 mod bound < bound`).
            if low >= bound || low >= bound.wrapping_neg() % bound {
                break (m >> 64) as usize;
            }
        };
        p.swap(i, j);
    }
    p
}

/// This party's bits of `d_i = b_acc[i] ^ b_layer[perm[i]]` and their opening.
///
/// Only the bits are kept: the MACs stream into the opening's digest as they are
/// gathered, and [`combine`] gathers the keys again for its check (it needs
/// `b_acc` unchanged in between, which holds: combining changes only `a` and `c`).
/// So no `32 n` bytes of `d` MACs and keys are written per layer.
///
/// # Panics
/// If an entry of `perm` is out of range (a caller bug: [`permutation`] gives a
/// permutation of `0..n`).
pub fn open_d(acc: &Triples, layer: &Triples, perm: &[usize]) -> Result<(Vec<bool>, Vec<u8>)> {
    let n = perm.len();
    if acc.b.len() != n || layer.b.len() != n || !shaped(&acc.b) || !shaped(&layer.b) {
        return Err(AuthError::InvalidArgument("a bucketing layer of another size".into()));
    }
    let (x, y) = (&acc.b, &layer.b);
    let bits: Vec<bool> = perm.iter().zip(&x.bits).map(|(&j, &b)| b ^ y.bits[j]).collect();
    let macs = perm.iter().zip(&x.macs).map(|(&j, &m)| m ^ y.macs[j]);
    let msg = open_parts("bucketing d", &bits, macs);
    Ok((bits, msg))
}

/// How many entries ahead of a gather its cache lines are requested.
const PREFETCH: usize = 16;

/// Whether the three parts of a share vector have one length.
fn shaped(s: &AuthShares) -> bool {
    s.bits.len() == s.macs.len() && s.bits.len() == s.keys.len()
}

/// Checks the peer's opening of `d` (against my keys, gathered from `acc.b` and the
/// layer's `b` as [`open_d`] gathered the MACs; `acc.b` must be the one `open_d` saw)
/// and folds the layer into `acc`:
/// `a_acc[i] ^= a_layer[perm[i]]`, `c_acc[i] ^= c_layer[perm[i]] ^ d_i a_layer[perm[i]]`.
///
/// Branch free in `d_i` (a mask, not an `if`: a mispredicted branch per triple would
/// stall the gathers), one gather of the layer's entry per part.
///
/// # Panics
/// If an entry of `perm` is out of range (a caller bug, as [`open_d`]).
pub fn combine(
    delta: &Delta,
    acc: &mut Triples,
    layer: &Triples,
    perm: &[usize],
    d_bits: &[bool],
    peer_opening: &[u8],
) -> Result<()> {
    let n = perm.len();
    let sizes_ok =
        [&acc.a, &acc.b, &acc.c, &layer.a, &layer.b, &layer.c].iter().all(|s| s.len() == n && shaped(s));
    if !sizes_ok || d_bits.len() != n {
        return Err(AuthError::InvalidArgument("a bucketing layer of another size".into()));
    }
    // My keys on the peer's d shares, gathered as `open_d` gathered the MACs; the
    // gathered lines requested ahead as in the folds below (a quarter of this
    // function's time went to waiting on this gather without it).
    let lb = &layer.b;
    let keys = perm.iter().enumerate().map(|(i, &j)| {
        if let Some(&ahead) = perm.get(i + PREFETCH) {
            mpc_crypto::prefetch(&lb.keys[ahead]);
        }
        acc.b.keys[i] ^ lb.keys[j]
    });
    let peer = check_open_parts(delta, "bucketing d", peer_opening, n, keys)?;
    let d: Vec<bool> = d_bits.iter().zip(&peer).map(|(&x, &y)| x ^ y).collect();
    let (la, lc) = (&layer.a, &layer.c);
    for (i, &j) in perm.iter().enumerate() {
        let ab = la.bits[j];
        acc.a.bits[i] ^= ab;
        acc.c.bits[i] ^= lc.bits[j] ^ (ab & d[i]);
    }
    fold_blocks(&mut acc.a.macs, &mut acc.c.macs, &la.macs, &lc.macs, perm, &d);
    fold_blocks(&mut acc.a.keys, &mut acc.c.keys, &la.keys, &lc.keys, perm, &d);
    Ok(())
}

/// One part (MACs or keys) of [`combine`]'s fold: `a[i] ^= la[perm[i]]`, `c[i] ^=
/// lc[perm[i]] ^ d_i la[perm[i]]`, the gathered lines requested [`PREFETCH`] ahead.
#[inline(always)]
fn fold_blocks(a: &mut [Block], c: &mut [Block], la: &[Block], lc: &[Block], perm: &[usize], d: &[bool]) {
    for (i, &j) in perm.iter().enumerate() {
        if let Some(&ahead) = perm.get(i + PREFETCH) {
            mpc_crypto::prefetch(&la[ahead]);
            mpc_crypto::prefetch(&lc[ahead]);
        }
        let l = la[j];
        a[i] ^= l;
        c[i] ^= lc[j] ^ (l & Block::mask(d[i]));
    }
}

#[cfg(test)]
mod tests {
    //! The prefetching gathers above against the straightforward forms (kept here as
    //! references): the same openings, folded triples and verdicts, on random
    //! consistent share pairs.
    use super::*;
    use crate::Role;
    use proptest::prelude::*;
    use rand::{RngCore, SeedableRng};
    use rand_chacha::ChaCha12Rng;

    const WHAT_D: &str = "bucketing d";

    fn open_d_ref(acc: &Triples, layer: &Triples, perm: &[usize]) -> (Vec<bool>, Vec<u8>) {
        let (x, y) = (&acc.b, &layer.b);
        let bits: Vec<bool> = perm.iter().zip(&x.bits).map(|(&j, &b)| b ^ y.bits[j]).collect();
        let macs = perm.iter().zip(&x.macs).map(|(&j, &m)| m ^ y.macs[j]);
        let msg = open_parts(WHAT_D, &bits, macs);
        (bits, msg)
    }

    fn combine_ref(
        delta: &Delta,
        acc: &mut Triples,
        layer: &Triples,
        perm: &[usize],
        d_bits: &[bool],
        peer_opening: &[u8],
    ) -> Result<()> {
        let n = perm.len();
        let keys = perm.iter().zip(&acc.b.keys).map(|(&j, &k)| k ^ layer.b.keys[j]);
        let peer = check_open_parts(delta, WHAT_D, peer_opening, n, keys)?;
        let d: Vec<bool> = d_bits.iter().zip(&peer).map(|(&x, &y)| x ^ y).collect();
        let (la, lc) = (&layer.a, &layer.c);
        for (i, &j) in perm.iter().enumerate() {
            let ab = la.bits[j];
            acc.a.bits[i] ^= ab;
            acc.c.bits[i] ^= lc.bits[j] ^ (ab & d[i]);
            let m = Block::mask(d[i]);
            let am = la.macs[j];
            acc.a.macs[i] ^= am;
            acc.c.macs[i] ^= lc.macs[j] ^ (am & m);
            let ak = la.keys[j];
            acc.a.keys[i] ^= ak;
            acc.c.keys[i] ^= lc.keys[j] ^ (ak & m);
        }
        Ok(())
    }

    fn block(rng: &mut ChaCha12Rng) -> Block {
        Block::from(((rng.next_u64() as u128) << 64) | rng.next_u64() as u128)
    }

    /// A consistent pair of share vectors of `n` random bits under the two deltas.
    fn shares(rng: &mut ChaCha12Rng, n: usize, da: &Delta, db: &Delta) -> (AuthShares, AuthShares) {
        let mut g = AuthShares::with_capacity(n);
        let mut e = AuthShares::with_capacity(n);
        for _ in 0..n {
            let (xg, xe) = (rng.next_u32() & 1 == 1, rng.next_u32() & 1 == 1);
            let (kg, ke) = (block(rng), block(rng));
            g.bits.push(xg);
            e.bits.push(xe);
            g.keys.push(kg);
            e.keys.push(ke);
            g.macs.push(ke ^ (db.as_block() & Block::mask(xg)));
            e.macs.push(kg ^ (da.as_block() & Block::mask(xe)));
        }
        (g, e)
    }

    fn triples(rng: &mut ChaCha12Rng, n: usize, da: &Delta, db: &Delta) -> (Triples, Triples) {
        let (ag, ae) = shares(rng, n, da, db);
        let (bg, be) = shares(rng, n, da, db);
        let (cg, ce) = shares(rng, n, da, db);
        (Triples { a: ag, b: bg, c: cg }, Triples { a: ae, b: be, c: ce })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(32))]
        #[test]
        fn prefetched_combining_matches_the_reference(
            seed in any::<u64>(),
            n in 0usize..600,
            flip in proptest::option::of(any::<prop::sample::Index>()),
        ) {
            let mut rng = ChaCha12Rng::seed_from_u64(seed);
            let da = crate::pin_delta(Role::Garbler, block(&mut rng));
            let db = crate::pin_delta(Role::Evaluator, block(&mut rng));
            let (acc_g, acc_e) = triples(&mut rng, n, &da, &db);
            let (lay_g, lay_e) = triples(&mut rng, n, &da, &db);
            let perm = permutation(block(&mut rng), 1, n);
            let (dg, og) = open_d(&acc_g, &lay_g, &perm).unwrap();
            let (de, mut oe) = open_d(&acc_e, &lay_e, &perm).unwrap();
            prop_assert_eq!((&dg, &og), (&open_d_ref(&acc_g, &lay_g, &perm).0, &open_d_ref(&acc_g, &lay_g, &perm).1));
            prop_assert_eq!((&de, &oe), (&open_d_ref(&acc_e, &lay_e, &perm).0, &open_d_ref(&acc_e, &lay_e, &perm).1));
            // A lie about one of the evaluator's d bits, or an honest opening.
            let lied = match flip {
                Some(k) if n > 0 => {
                    let k = k.index(n);
                    oe[5 + k / 8] ^= 1 << (k % 8);
                    true
                }
                _ => false,
            };
            let (mut got, mut want) = (acc_g.clone(), acc_g.clone());
            let r = combine(&da, &mut got, &lay_g, &perm, &dg, &oe);
            let r_ref = combine_ref(&da, &mut want, &lay_g, &perm, &dg, &oe);
            prop_assert_eq!(format!("{r:?}"), format!("{r_ref:?}"));
            prop_assert_eq!(r.is_err(), lied);
            if !lied {
                prop_assert_eq!(&got, &want);
                let (mut got_e, mut want_e) = (acc_e.clone(), acc_e.clone());
                combine(&db, &mut got_e, &lay_e, &perm, &de, &og).unwrap();
                combine_ref(&db, &mut want_e, &lay_e, &perm, &de, &og).unwrap();
                prop_assert_eq!(&got_e, &want_e);
                for (x, y) in [(&got.a, &got_e.a), (&got.b, &got_e.b), (&got.c, &got_e.c)] {
                    prop_assert!(x.consistent_with(y, &da, &db));
                }
            }
        }
    }

    #[test]
    fn malformed_openings_are_refused_before_folding() {
        let mut rng = ChaCha12Rng::seed_from_u64(9);
        let da = crate::pin_delta(Role::Garbler, block(&mut rng));
        let db = crate::pin_delta(Role::Evaluator, block(&mut rng));
        let n = 37;
        let (acc_g, acc_e) = triples(&mut rng, n, &da, &db);
        let (lay_g, lay_e) = triples(&mut rng, n, &da, &db);
        let perm = permutation(block(&mut rng), 0, n);
        let (dg, _) = open_d(&acc_g, &lay_g, &perm).unwrap();
        let (_, oe) = open_d(&acc_e, &lay_e, &perm).unwrap();
        for bad in [&oe[..3], &oe[..oe.len() - 1], &[oe.clone(), vec![0]].concat()[..]] {
            let mut acc = acc_g.clone();
            let err = combine(&da, &mut acc, &lay_g, &perm, &dg, bad).unwrap_err();
            assert!(matches!(err, AuthError::Malformed { what: WHAT_D, .. }), "{err}");
            assert_eq!(acc, acc_g, "nothing folded");
        }
    }
}
