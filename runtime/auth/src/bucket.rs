//! Bucketing leaky AND triples into secure ones (WRK17 section 4.2, "Combining leaky
//! ANDs"; KRRW18 section 5; the layer form of emp-ag2pc's `bucket_one_layer`), by
//! cyclic shifts, in pools.
//!
//! Two triples `(a1, b1, c1)`, `(a2, b2, c2)` combine into `(a1 ^ a2, b1, c)` with
//! `d = b1 ^ b2` opened (MAC-checked) and `c = c1 ^ c2 ^ d a2`: indeed
//! `a1 b1 ^ a2 b2 ^ (b1 ^ b2) a2 = (a1 ^ a2) b1`. The combined `a` is unknown to a
//! cheater unless it learned the `a` of *every* triple in the bucket.
//!
//! **Pieces and pools.** A session's leaky triples are made in *pieces* (each its own
//! KOS batches, leaky ANDs and equality check, pipelined) and bucketed in *pools* of
//! consecutive pieces ([`pool_plan`]). A pool of `L` output triples has `B` layers of
//! `L` leaky triples; its layer `j` is the concatenation of its pieces' layers `j`.
//! Only once every piece of the pool was checked, a coin toss gives one shift `s_j`
//! per layer `j >= 1` ([`shift`]), and output triple `i` of the pool combines layer
//! 0's triple `i` with layer `j`'s triple `(i + s_j) mod L` for `j = 1 .. B - 1`. So
//! [`open_d`] and [`combine`] stream: a layer is at most (pieces + 1) contiguous runs
//! ([`runs`]), no gathers. [`bucket_size`] picks the smallest `B` with `B + (B - 1)
//! log2 L >= s = 40`.
//!
//! **Why that bound** (docs/protocol.md, "Bucket size"):
//! 1. A cheater's deviation in one leaky AND (a row error, a flipped bit `s`, or both)
//!    that can tell it the honest share of `a` passes its piece's equality check for
//!    exactly one value of that share, probability 1/2 independently per candidate
//!    (the shares are uniform and independent), so leaking `t_j` candidates of the
//!    pool's layer `j` passes every check of the pool's pieces with probability
//!    `2^-(t_0 + ... + t_{B-1})` (along the path on which every check passes the
//!    cheater's view is fixed, so choosing later pieces' leaks after earlier pieces'
//!    checks does no better than a fixed choice).
//! 2. The leaked sets `T_j` (`|T_j| = t_j`) are fixed before the coin toss. Bucket `i`
//!    is all leaked iff `i` is in `T_0` and `(i + s_j) mod L` is in `T_j` for every
//!    `j >= 1`. For a fixed `i` a uniform shift puts `(i + s_j) mod L` uniformly on
//!    `0..L`, so each of these has probability exactly `t_j / L`, independently (the
//!    shifts are); by the union bound over buckets, some bucket is all leaked with
//!    probability at most `t_0 prod_{j>=1} t_j / L^(B-1)`. This is the bound uniform
//!    permutations gave: it uses only each bucket's own probability, never
//!    independence between buckets. A shift is a bijection, so every leaky triple is
//!    in exactly one bucket: a `d` opening reveals `b_0 ^ b_j` of triples used nowhere
//!    else, and a bucket with one unleaked triple has a uniform combined `a`
//!    independent of the other buckets'.
//! 3. Together at most `L^-(B-1) prod_j (t_j 2^-t_j) <= 2^-B L^-(B-1)`, since
//!    `t 2^-t <= 1/2` for every integer `t >= 0`; equality is reached (one leak per
//!    layer), so the rule gives at most, not below, `2^-40`. The bound holds for every
//!    `L >= 1` (one triple at `B = 40`: the cheater must leak all 40 and passes with
//!    probability `2^-40`), so padding is only an optimisation ([`pool_plan`]).
//! 4. Each pool is bucketed with its own coin toss after its own pieces' checks; a
//!    cheater wins if it wins in any of the `C` pools, so by the union bound
//!    [`bucket_size_pools`] asks `B + (B - 1) log2 L_min >= s + log2 C` of the
//!    smallest pool.
//!
//! emp-ag2pc takes `B = 3` from 280,000 triples (`2^-39.2` by this bound) and 4 from
//! 3,100 (`2^-38.8`); this rule from 370,728 and 4,096.
//!
//! The shifts are drawn from a PRG (AES-CTR) keyed by a per-layer key (block `j - 1`
//! of AES-CTR under the coin toss, for layer `j`), each by Lemire's multiply-and-reject
//! ("Fast Random Integer Generation in an Interval", 2019), so uniform without modulo
//! bias: modelled as uniform and independent per layer, assuming AES-128 is a PRF
//! (the coin toss is a uniform key).

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

    /// Whether all three share vectors have `len()` entries in each part.
    fn shaped(&self) -> bool {
        let n = self.len();
        [&self.a, &self.b, &self.c].iter().all(|s| s.len() == n && shaped(s))
    }
}

/// The most output triples bucketed together by default (a pool). A pool's `B` leaky
/// layers stay in memory until its coin toss (99 bytes per leaky triple and party),
/// and a pool's end (coin toss, `d` openings, combining) is serial. 2^18 keeps `B = 4`
/// for every session (at most 2^26 triples, `mpc_ot::MAX_BATCH`; the bound would
/// allow small pools up to 2^36: 4 + 3 x 18 >= 40 + 18) at most about 104 MB of
/// leaky layers per party, and never takes `B = 3` (which needs pools of at least
/// 370,728): measured on AES-128 x 100 (docs/protocol.md, "Bucket size"), one pool of
/// 640,000 at `B = 3` (a cap of 2^20) used about 5% less user CPU than pools of one
/// piece of 32,000 at `B = 4` but twice the memory (peak RSS 448 against 224 MB for
/// both parties), twice the system time in page faults and a serial pool end, so it
/// was slower (330-341 against 310-314 ms per session); it stays a choice
/// ([`crate::machine::Options::pool_triples`]).
pub const POOL_TRIPLES: usize = 1 << 18;

/// The most triples per piece by default: one piece's KOS batches, leaky ANDs and
/// equality check (pipelined beside the next piece's KOS round; docs/benchmarks.md
/// measured 2^15 fastest as a chunk size, its buffers staying in cache and in the
/// allocator).
pub const PIECE_TRIPLES: usize = 1 << 15;

/// The smallest pool [`pool_plan`] tries (smaller pools only add pool ends, as long as
/// `B` does not grow).
pub const MIN_POOL_TRIPLES: usize = 1 << 15;

/// The largest padded size [`pool_plan`] tries for a small session.
pub const MAX_PAD: usize = 1 << 12;

/// The number of leaky triples per output triple for `n` outputs bucketed in one pool.
pub fn bucket_size(n: usize) -> usize {
    bucket_size_pools(n, 1)
}

/// The bucket size when `pools` pools of at least `n` outputs each are bucketed
/// separately: the smallest `B >= 2` with `B + (B - 1) log2 max(n, 1) >= 40 + log2
/// pools` (the bound and the union bound over the pools, see the module docs).
pub fn bucket_size_pools(n: usize, pools: usize) -> usize {
    let log2 = (n.max(1) as f64).log2();
    let bound = STAT_SEC as f64 + (pools.max(1) as f64).log2();
    let mut b = 2;
    // Ends: the left side grows by at least 1 per step.
    while (b as f64) + log2 * (b as f64 - 1.0) < bound {
        b += 1;
    }
    b
}

/// How a session's triples are made and bucketed: pools of consecutive pieces (each
/// pool as its pieces' sizes, in order) and the bucket size.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PoolPlan {
    /// The pools, each the sizes of its pieces.
    pub pools: Vec<Vec<usize>>,
    /// Leaky triples per output triple ([`bucket_size_pools`] of the smallest pool
    /// and the number of pools).
    pub b: usize,
}

impl PoolPlan {
    /// The output triples made (the session's, or more if padded).
    pub fn triples(&self) -> usize {
        self.pools.iter().flatten().sum()
    }

    /// The number of pieces of all pools.
    pub fn pieces(&self) -> usize {
        self.pools.iter().map(Vec::len).sum()
    }

    /// The output triples of each pool.
    pub fn pool_sizes(&self) -> Vec<usize> {
        self.pools.iter().map(|p| p.iter().sum()).collect()
    }

    /// KOS OTs of one kind (`a`, `b` or `r`) the plan needs: `B x (triples + pieces x
    /// CHECK_OTS)`.
    fn ots(&self) -> usize {
        self.b * (self.triples() + self.pieces() * kos::CHECK_OTS)
    }
}

/// The pools and pieces of `total` triples and their bucket size. Each candidate
/// most-per-pool `c` of `pool_max`, `pool_max / 2`, ... down to [`MIN_POOL_TRIPLES`]
/// (just `pool_max` if it is smaller) cuts `total` into the fewest pools of at most `c`
/// ([`split_evenly`]), bucketed at [`bucket_size_pools`] of the smallest pool and the
/// number of pools; the plan is the candidate with the smallest `B` (the fewest leaky
/// triples), the smallest `c` among equals. Each pool is then cut into the fewest
/// pieces of at most `piece_max`.
///
/// A small session may instead make more triples than it needs (and use the first
/// `total`): every KOS batch of a leaky layer carries [`kos::CHECK_OTS`] extra OTs, so
/// at `B = 40` for one triple the check OTs dominate. The plan for `total` rounded up
/// to a power of two up to [`MAX_PAD`] replaces it when its OTs, `B x (triples +
/// pieces x CHECK_OTS)`, are fewer (one to 64 triples: 64 at `B = 7`). No pools for
/// `total == 0`.
pub fn pool_plan(total: usize, pool_max: usize, piece_max: usize) -> PoolPlan {
    let mut best = plan_exact(total, pool_max, piece_max);
    if total == 0 || total >= MAX_PAD {
        return best;
    }
    let mut pad = total.next_power_of_two();
    while pad <= MAX_PAD {
        if pad > total {
            let candidate = plan_exact(pad, pool_max, piece_max);
            if candidate.ots() < best.ots() {
                best = candidate;
            }
        }
        pad *= 2;
    }
    best
}

/// [`pool_plan`] without padding.
fn plan_exact(total: usize, pool_max: usize, piece_max: usize) -> PoolPlan {
    let of = |c: usize| {
        let pools = split_evenly(total, c);
        let b = bucket_size_pools(pools.last().copied().unwrap_or(1), pools.len());
        (pools, b)
    };
    let mut best = of(pool_max);
    let mut c = pool_max / 2;
    while c >= MIN_POOL_TRIPLES {
        let candidate = of(c);
        if candidate.1 <= best.1 {
            best = candidate;
        }
        c /= 2;
    }
    let (pools, b) = best;
    PoolPlan { pools: pools.into_iter().map(|p| split_evenly(p, piece_max)).collect(), b }
}

/// `total` cut into the fewest parts of at most `max` (at least 1), of sizes differing
/// by at most one (larger first); none for `total == 0`.
pub fn split_evenly(total: usize, max: usize) -> Vec<usize> {
    if total == 0 {
        return Vec::new();
    }
    let parts = total.div_ceil(max.max(1));
    let (q, r) = (total / parts, total % parts);
    (0..parts).map(|i| q + usize::from(i < r)).collect()
}

/// The public shift of layer `layer` of a pool of `n` triples, from the pool's
/// coin-toss seed: uniform on `0..n` (0 for `n <= 1`).
///
/// Drawn without bias by Lemire's multiply-and-reject: the high half of `v n` for a
/// uniform 64-bit `v` from a PRG keyed by the layer's key (block `layer` of AES-CTR
/// under the seed), rejecting the few
/// `v` whose low half falls below `2^64 mod n` (probability below `n / 2^64`).
pub fn shift(seed: Block, layer: u64, n: usize) -> usize {
    let bound = n as u64;
    if bound <= 1 {
        return 0;
    }
    // The layer's key is block `layer` of AES-CTR under the seed (a PRF of the layer),
    // so the layers' streams are independent under the plain PRF assumption on AES.
    let mut key = [Block::ZERO];
    Prg::from_seed_block(seed).blocks_at(u128::from(layer), &mut key);
    let mut prg = Prg::from_seed_block(key[0]);
    let threshold = bound.wrapping_neg() % bound;
    loop {
        let mut buf = [Block::ZERO; 4];
        prg.fill_blocks(&mut buf);
        for b in buf {
            let b = u128::from(b);
            for v in [b as u64, (b >> 64) as u64] {
                let m = u128::from(v) * u128::from(bound);
                if m as u64 >= threshold {
                    // The high half is below `bound = n`.
                    return (m >> 64) as usize;
                }
            }
        }
    }
}

/// A stretch of a pool on which a shifted layer is contiguous: output triples `at ..
/// at + len` of the pool take the layer's piece `piece`, entries `from .. from + len`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Run {
    /// The pool position of the first output triple.
    pub at: usize,
    /// The layer's piece.
    pub piece: usize,
    /// The first entry in that piece.
    pub from: usize,
    /// The number of triples.
    pub len: usize,
}

/// The runs of a layer whose pieces have `sizes` under shift `s`: output triple `i`
/// takes the layer's triple `(i + s) mod L`, `L` the sum of `sizes`; at most one run
/// per nonempty piece plus one. `s` is taken mod `L`; none for `L == 0`.
pub fn runs(sizes: &[usize], s: usize) -> Vec<Run> {
    let total: usize = sizes.iter().sum();
    if total == 0 {
        return Vec::new();
    }
    let (mut piece, mut from) = (0, s % total);
    while from >= sizes[piece] {
        from -= sizes[piece];
        piece += 1;
    }
    let mut out = Vec::with_capacity(sizes.len() + 1);
    let mut at = 0;
    while at < total {
        let len = (sizes[piece] - from).min(total - at);
        if len > 0 {
            out.push(Run { at, piece, from, len });
        }
        at += len;
        from += len;
        if from == sizes[piece] {
            from = 0;
            piece = (piece + 1) % sizes.len();
        }
    }
    out
}

const WHAT_D: &str = "bucketing d";

/// Whether the three parts of a share vector have one length.
fn shaped(s: &AuthShares) -> bool {
    s.bits.len() == s.macs.len() && s.bits.len() == s.keys.len()
}

/// The pool's size and the runs of `layer` under `shift`, checked against `acc`'s
/// entries `at..`: every piece whole (`full`: `a`, `b` and `c`; else `b` only) and the
/// pool within `acc`.
fn layout(
    acc: &Triples,
    at: usize,
    layer: &[Triples],
    shift: usize,
    full: bool,
) -> Result<(usize, Vec<Run>)> {
    let sizes: Vec<usize> = layer.iter().map(|t| t.b.len()).collect();
    let n: usize = sizes.iter().sum();
    let pieces_ok = layer.iter().all(|t| if full { t.shaped() } else { shaped(&t.b) });
    let acc_ok = if full { acc.shaped() } else { shaped(&acc.b) };
    if !pieces_ok || !acc_ok || at.checked_add(n).is_none_or(|end| end > acc.b.len()) || (n > 0 && shift >= n)
    {
        return Err(AuthError::InvalidArgument("a bucketing layer of another size".into()));
    }
    Ok((n, runs(&sizes, shift)))
}

/// This party's bits of `d_i = b_acc[at + i] ^ b_layer[(i + shift) mod L]` for the
/// pool's output triples `i` in `0..L` (`layer`: the pool's layer as its pieces,
/// `L` their total; `acc`'s entries `at .. at + L`: the pool's layer 0) and their
/// opening.
///
/// Only the bits are kept: the MACs stream into the opening's tag, and [`combine`]
/// streams the keys again for its check (it needs the pool's `b` in `acc` unchanged in
/// between, which holds: combining changes only `a` and `c`).
pub fn open_d(acc: &Triples, at: usize, layer: &[Triples], shift: usize) -> Result<(Vec<bool>, Vec<u8>)> {
    let (n, runs) = layout(acc, at, layer, shift, false)?;
    let (x, ys) = (&acc.b, layer);
    let mut bits = Vec::with_capacity(n);
    for r in &runs {
        let y = &ys[r.piece].b.bits[r.from..r.from + r.len];
        bits.extend(x.bits[at + r.at..at + r.at + r.len].iter().zip(y).map(|(&p, &q)| p ^ q));
    }
    let macs = runs.iter().flat_map(|r| {
        let y = &ys[r.piece].b.macs[r.from..r.from + r.len];
        x.macs[at + r.at..at + r.at + r.len].iter().zip(y).map(|(&p, &q)| p ^ q)
    });
    let msg = open_parts(WHAT_D, &bits, macs);
    Ok((bits, msg))
}

/// One layer `j >= 1` of a pool at its combining: its pieces, its shift, this party's
/// bits of its `d` ([`open_d`]) and the peer's opening of them.
#[derive(Clone, Copy, Debug)]
pub struct Opened<'a> {
    /// The layer as its pieces, in order.
    pub pieces: &'a [Triples],
    /// Its shift ([`shift`]).
    pub shift: usize,
    /// My bits of `d`.
    pub mine: &'a [bool],
    /// The peer's opening of its bits of `d`.
    pub peer: &'a [u8],
}

/// Output triples folded per tile of [`combine`]: the tile's `a` and `c` of the
/// output stay in cache while every layer is folded into them.
const TILE: usize = 2048;

/// Checks the peer's opening of `d` of every layer (against my keys, streamed from the
/// pool's `b` and the layer's as [`open_d`] streamed the MACs; `acc.b` must be the one
/// `open_d` saw), then folds every layer into the pool's output triples (`acc`'s
/// entries `at..`): `a[at + i] ^= a_j[q]`, `c[at + i] ^= c_j[q] ^ d_i a_j[q]`, `q = (i +
/// s_j) mod L`. Nothing is folded if any opening is refused.
///
/// One pass over the output triples, tile by tile (2,048 triples), every layer's runs
/// folded into a tile in turn; branch free in `d_i` (a mask, not an `if`).
pub fn combine(delta: &Delta, acc: &mut Triples, at: usize, layers: &[Opened<'_>]) -> Result<()> {
    let mut plans = Vec::with_capacity(layers.len());
    let mut n_pool = None;
    for l in layers {
        let (n, runs) = layout(acc, at, l.pieces, l.shift, true)?;
        if l.mine.len() != n || n_pool.is_some_and(|m| m != n) {
            return Err(AuthError::InvalidArgument("a bucketing layer of another size".into()));
        }
        n_pool = Some(n);
        let x = &acc.b;
        let keys = runs.iter().flat_map(|r| {
            let y = &l.pieces[r.piece].b.keys[r.from..r.from + r.len];
            x.keys[at + r.at..at + r.at + r.len].iter().zip(y).map(|(&p, &q)| p ^ q)
        });
        let peer = check_open_parts(delta, WHAT_D, l.peer, n, keys)?;
        let d: Vec<bool> = l.mine.iter().zip(&peer).map(|(&x, &y)| x ^ y).collect();
        plans.push((runs, d));
    }
    let n = n_pool.unwrap_or(0);
    // Per layer, the index of its run holding the tile's start.
    let mut cursor = vec![0usize; layers.len()];
    for start in (0..n).step_by(TILE) {
        let end = n.min(start + TILE);
        for ((l, (runs, d)), k) in layers.iter().zip(&plans).zip(cursor.iter_mut()) {
            let mut i = start;
            while i < end {
                let r = &runs[*k];
                let len = (r.at + r.len).min(end) - i;
                let from = r.from + (i - r.at);
                fold(acc, at + i, &l.pieces[r.piece], from, &d[i..i + len]);
                i += len;
                if i == r.at + r.len {
                    *k += 1;
                }
            }
        }
    }
    Ok(())
}

/// Folds `d.len()` entries of a layer's piece `l` from `from` into `acc` from `to`
/// (checked lengths: the caller's runs lie within both).
#[inline(always)]
fn fold(acc: &mut Triples, to: usize, l: &Triples, from: usize, d: &[bool]) {
    let (mine, theirs) = (to..to + d.len(), from..from + d.len());
    let (la, lc) = (&l.a.bits[theirs.clone()], &l.c.bits[theirs.clone()]);
    let (a, c) = (&mut acc.a.bits[mine.clone()], &mut acc.c.bits[mine.clone()]);
    for ((((a, c), &la), &lc), &d) in a.iter_mut().zip(c.iter_mut()).zip(la).zip(lc).zip(d) {
        *a ^= la;
        *c ^= lc ^ (la & d);
    }
    fold_blocks(
        &mut acc.a.macs[mine.clone()],
        &mut acc.c.macs[mine.clone()],
        &l.a.macs[theirs.clone()],
        &l.c.macs[theirs.clone()],
        d,
    );
    fold_blocks(
        &mut acc.a.keys[mine.clone()],
        &mut acc.c.keys[mine],
        &l.a.keys[theirs.clone()],
        &l.c.keys[theirs],
        d,
    );
}

/// One part (MACs or keys) of one run of [`combine`]'s fold: `a[k] ^= la[k]`, `c[k] ^=
/// lc[k] ^ d_k la[k]` (equal lengths, from [`runs`]).
#[inline(always)]
fn fold_blocks(a: &mut [Block], c: &mut [Block], la: &[Block], lc: &[Block], d: &[bool]) {
    for ((((a, c), &l), &lc), &d) in a.iter_mut().zip(c.iter_mut()).zip(la).zip(lc).zip(d) {
        *a ^= l;
        *c ^= lc ^ (l & Block::mask(d));
    }
}

#[cfg(test)]
mod tests {
    //! The streaming forms above against straightforward references kept here: the
    //! layer as one vector, output `i` taking entry `(i + s) mod L` one at a time; the
    //! same openings, folded triples and verdicts, on random consistent share pairs cut
    //! into random pieces.
    use super::*;
    use crate::Role;
    use proptest::prelude::*;
    use rand::{Rng, RngCore, SeedableRng};
    use rand_chacha::ChaCha12Rng;

    fn concat(pieces: &[Triples]) -> Triples {
        let mut all = Triples::default();
        for p in pieces {
            all.append(p.clone());
        }
        all
    }

    fn open_d_ref(acc: &Triples, at: usize, layer: &Triples, s: usize) -> (Vec<bool>, Vec<u8>) {
        let n = layer.len();
        let q = |i: usize| (i + s) % n;
        let bits: Vec<bool> = (0..n).map(|i| acc.b.bits[at + i] ^ layer.b.bits[q(i)]).collect();
        let macs = (0..n).map(|i| acc.b.macs[at + i] ^ layer.b.macs[q(i)]);
        let msg = open_parts(WHAT_D, &bits, macs);
        (bits, msg)
    }

    fn combine_ref(
        delta: &Delta,
        acc: &mut Triples,
        at: usize,
        layer: &Triples,
        s: usize,
        d_bits: &[bool],
        peer_opening: &[u8],
    ) -> Result<()> {
        let n = layer.len();
        let q = |i: usize| (i + s) % n;
        let keys = (0..n).map(|i| acc.b.keys[at + i] ^ layer.b.keys[q(i)]);
        let peer = check_open_parts(delta, WHAT_D, peer_opening, n, keys)?;
        for i in 0..n {
            let (j, d) = (q(i), d_bits[i] ^ peer[i]);
            let m = Block::mask(d);
            acc.a.bits[at + i] ^= layer.a.bits[j];
            acc.c.bits[at + i] ^= layer.c.bits[j] ^ (layer.a.bits[j] & d);
            acc.a.macs[at + i] ^= layer.a.macs[j];
            acc.c.macs[at + i] ^= layer.c.macs[j] ^ (layer.a.macs[j] & m);
            acc.a.keys[at + i] ^= layer.a.keys[j];
            acc.c.keys[at + i] ^= layer.c.keys[j] ^ (layer.a.keys[j] & m);
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

    /// A layer of pieces of the given sizes, both parties'.
    fn pieces(
        rng: &mut ChaCha12Rng,
        sizes: &[usize],
        da: &Delta,
        db: &Delta,
    ) -> (Vec<Triples>, Vec<Triples>) {
        sizes.iter().map(|&n| triples(rng, n, da, db)).unzip()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(40))]
        #[test]
        fn streamed_combining_matches_the_reference(
            seed in any::<u64>(),
            sizes in proptest::collection::vec(0usize..3000, 1..5),
            before in 0usize..20,
            flip in proptest::option::of((any::<bool>(), any::<prop::sample::Index>())),
        ) {
            // Two layers (B = 3) cut into the same pieces, each with its own shift,
            // folded at once; the reference folds one after the other.
            let mut rng = ChaCha12Rng::seed_from_u64(seed);
            let da = crate::pin_delta(Role::Garbler, block(&mut rng));
            let db = crate::pin_delta(Role::Evaluator, block(&mut rng));
            let n: usize = sizes.iter().sum();
            // The pool sits at `before` in the output triples, with more after it.
            let (acc_g, acc_e) = triples(&mut rng, before + n + 3, &da, &db);
            let mut layers = Vec::new();
            for j in 1..3u64 {
                let (lay_g, lay_e) = pieces(&mut rng, &sizes, &da, &db);
                let s = shift(block(&mut rng), j, n);
                prop_assert!(s < n.max(1));
                let (dg, og) = open_d(&acc_g, before, &lay_g, s).unwrap();
                let (de, oe) = open_d(&acc_e, before, &lay_e, s).unwrap();
                let (all_g, all_e) = (concat(&lay_g), concat(&lay_e));
                prop_assert_eq!((&dg, &og), (&open_d_ref(&acc_g, before, &all_g, s).0, &open_d_ref(&acc_g, before, &all_g, s).1));
                prop_assert_eq!((&de, &oe), (&open_d_ref(&acc_e, before, &all_e, s).0, &open_d_ref(&acc_e, before, &all_e, s).1));
                layers.push((lay_g, lay_e, all_g, all_e, s, dg, og, de, oe));
            }
            // A lie about one of the evaluator's d bits of one layer, or honest openings.
            let lied = match flip {
                Some((second, k)) if n > 0 => {
                    let k = k.index(n);
                    layers[usize::from(second)].8[5 + k / 8] ^= 1 << (k % 8);
                    true
                }
                _ => false,
            };
            let opened = |g: bool| -> Vec<Opened<'_>> {
                layers
                    .iter()
                    .map(|(lg, le, _, _, s, dg, og, de, oe)| {
                        if g {
                            Opened { pieces: lg, shift: *s, mine: dg, peer: oe }
                        } else {
                            Opened { pieces: le, shift: *s, mine: de, peer: og }
                        }
                    })
                    .collect()
            };
            let (mut got, mut want) = (acc_g.clone(), acc_g.clone());
            let r = combine(&da, &mut got, before, &opened(true));
            let r_ref = layers.iter().try_for_each(|(_, _, all_g, _, s, dg, _, _, oe)| {
                combine_ref(&da, &mut want, before, all_g, *s, dg, oe)
            });
            prop_assert_eq!(format!("{r:?}"), format!("{r_ref:?}"));
            prop_assert_eq!(r.is_err(), lied);
            if lied {
                prop_assert_eq!(&got, &acc_g, "nothing folded");
            } else {
                prop_assert_eq!(&got, &want);
                let (mut got_e, mut want_e) = (acc_e.clone(), acc_e.clone());
                combine(&db, &mut got_e, before, &opened(false)).unwrap();
                for (_, _, _, all_e, s, _, og, de, _) in &layers {
                    combine_ref(&db, &mut want_e, before, all_e, *s, de, og).unwrap();
                }
                prop_assert_eq!(&got_e, &want_e);
                for (x, y) in [(&got.a, &got_e.a), (&got.b, &got_e.b), (&got.c, &got_e.c)] {
                    prop_assert!(x.consistent_with(y, &da, &db));
                }
            }
        }

        #[test]
        fn runs_cover_the_shifted_layer_once(
            sizes in proptest::collection::vec(0usize..50, 1..6),
            s in any::<usize>(),
        ) {
            let n: usize = sizes.iter().sum();
            let starts: Vec<usize> = sizes.iter().scan(0, |acc, &k| { let x = *acc; *acc += k; Some(x) }).collect();
            let mut next = 0;
            let rs = runs(&sizes, s);
            prop_assert!(rs.len() <= sizes.iter().filter(|&&k| k > 0).count() + 1);
            for r in rs {
                prop_assert_eq!(r.at, next);
                prop_assert!(r.len > 0 && r.from + r.len <= sizes[r.piece]);
                for k in 0..r.len {
                    prop_assert_eq!(starts[r.piece] + r.from + k, (r.at + k + s % n.max(1)) % n);
                }
                next += r.len;
            }
            prop_assert_eq!(next, n);
        }
    }

    #[test]
    fn shifts_are_uniform_and_reproducible() {
        // Every shift of a small pool turns up about equally often over many seeds
        // (no modulo bias is visible at this size, but a wrong range or a stuck value
        // would be), and a seed and layer give one shift.
        let mut rng = ChaCha12Rng::seed_from_u64(3);
        let n = 7;
        let mut counts = [0usize; 7];
        for _ in 0..7_000 {
            let seed = Block::from(rng.gen::<u128>());
            let s = shift(seed, 2, n);
            assert_eq!(s, shift(seed, 2, n));
            counts[s] += 1;
        }
        assert!(counts.iter().all(|&c| (800..1200).contains(&c)), "{counts:?}");
        assert_eq!(shift(Block::from(5u128), 1, 1), 0);
        assert_eq!(shift(Block::from(5u128), 1, 0), 0);
        let seed = Block::from(99u128);
        let layers: Vec<usize> = (0..8).map(|l| shift(seed, l, 1 << 20)).collect();
        assert!(layers.windows(2).any(|w| w[0] != w[1]), "layers get their own shifts: {layers:?}");
    }

    #[test]
    fn malformed_openings_and_layouts_are_refused_before_folding() {
        let mut rng = ChaCha12Rng::seed_from_u64(9);
        let da = crate::pin_delta(Role::Garbler, block(&mut rng));
        let db = crate::pin_delta(Role::Evaluator, block(&mut rng));
        let n = 37;
        let (acc_g, acc_e) = triples(&mut rng, n, &da, &db);
        let (lay_g, lay_e) = pieces(&mut rng, &[20, 17], &da, &db);
        let s = 30;
        let (dg, _) = open_d(&acc_g, 0, &lay_g, s).unwrap();
        let (_, oe) = open_d(&acc_e, 0, &lay_e, s).unwrap();
        for bad in [&oe[..3], &oe[..oe.len() - 1], &[oe.clone(), vec![0]].concat()[..]] {
            let mut acc = acc_g.clone();
            let err = combine(&da, &mut acc, 0, &[Opened { pieces: &lay_g, shift: s, mine: &dg, peer: bad }])
                .unwrap_err();
            assert!(matches!(err, AuthError::Malformed { what: WHAT_D, .. }), "{err}");
            assert_eq!(acc, acc_g, "nothing folded");
        }
        // A pool that does not fit the output triples, a shift out of range, a ragged piece.
        assert!(open_d(&acc_g, 1, &lay_g, s).is_err());
        assert!(open_d(&acc_g, 0, &lay_g, n).is_err());
        let mut ragged = lay_g.clone();
        ragged[1].c.macs.pop();
        let opened = Opened { pieces: &ragged, shift: s, mine: &dg, peer: &oe };
        assert!(combine(&da, &mut acc_g.clone(), 0, &[opened]).is_err());
    }
}
