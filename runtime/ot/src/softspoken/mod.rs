//! SoftSpoken OT extension (Roy, Crypto 2022), semi-honest: correlated OT with the
//! garbler's `Delta`, the same outputs as [`crate::cot`] for fewer bytes on the wire.
//!
//! Parameter `k` in `2..=8` ([`MIN_K`], [`MAX_K`]): the 128 bits of `Delta` are cut
//! into `ceil(128 / k)` pieces `Delta_i` of `k` bits (the last one narrower when `k`
//! does not divide 128: 2 bits for k = 3, 6, 7, 3 bits for k = 5), one small-field
//! VOLE each.
//!
//! # Protocol
//!
//! Setup (the flow of [`crate::cot`]; the receiver is the base-OT sender):
//! 1. receiver: [`SetupOffer`] = `k` and a Chou-Orlandi setup for 128 base OTs.
//! 2. sender: base-OT receiver; base OT `j` is chosen with `!Delta_j`. [`SetupAnswer`].
//! 3. receiver: gets both keys of each base OT. For each piece `i` (width `d`) it
//!    builds a GGM tree of depth `d` (module `ggm`); its `2^d` leaves are the seeds `s_x`,
//!    `x` in `F_2^d`. Level `l` of tree `i` belongs to base OT `j = off_i + d - l`
//!    (`off_i = k i`): level 1's two nodes *are* that OT's two keys, and the keys of
//!    each deeper level's OT mask its level sums `[K_l^0, K_l^1]`. These
//!    `128 - ceil(128 / k)` masked pairs (piece by piece, level 2 to `d`; 2,048 bytes at
//!    k = 2 to 3,584 at k = 8) ride on the first [`Extend`] message, so setup keeps one
//!    round trip and the API of [`crate::cot`].
//! 4. sender, on the first batch: unmasks `K_l^{!Delta_j}` (level 1: its key is the
//!    node itself) and rebuilds every seed of tree `i` except `s_{Delta_i}` (an
//!    all-but-one, `2^d - 1` out of `2^d`, OT).
//!
//! One batch of `n` OTs (`m = n` rounded up to a multiple of 128, tile `w` = OTs
//! `128 w ..`): for each piece `i` and tile `w` both sides expand the seeds they know,
//! `r_x[w] = tccr(s_x, w)` (module `vole`), and the receiver computes
//! `u_i = sum_x r_x`, `v_i = sum_x x * r_x` (`k` bit-columns `v_{i,b}`), while the
//! sender computes the same sums over its seeds (the unknown one counts as anything:
//! its coefficient below is zero) and `w_{i,b} = v'_{i,b} ^ Delta_{i,b} u'_i`, which is
//! `sum_x (x ^ Delta_i)_b r_x = v_{i,b} ^ Delta_{i,b} u_i`: a small VOLE. With choice
//! bits `c` the receiver sends [`Extend`], the columns `u_i ^ c` (the repetition-code
//! subspace VOLE: every piece is corrected to the same `c`), that is `ceil(128 / k)`
//! bits per OT instead of IKNP's 128. The sender adds `Delta_{i,b} (u_i ^ c)` and holds
//! `W = V ^ c * Delta` column by column; transposing 128x128 tiles gives rows
//! `K_i = W_i` (sender) and `K_i ^ c_i Delta = V_i` (receiver). Padding rows are
//! dropped. Each [`Extend`] names its first OT, so a lost or reordered batch is an
//! error, not silently wrong labels.
//!
//! ```text
//! evaluator (Receiver)                               garbler (Sender, Delta)
//! let (setup, offer) = Receiver::new(rng);          // or Receiver::with_k(rng, k)?
//!                       --- SetupOffer -->
//!                                  let (sender, answer) = Sender::new(rng, &delta, &offer)?;
//!                       <-- SetupAnswer ---
//! let mut receiver = setup.finish(&answer)?;
//! // per batch (the first one also carries the tree sums):
//! let (msg, labels) = receiver.extend(&choices)?;
//!                       ----- Extend ----->
//!                                  let zero_labels = sender.extend(choices.len(), &msg)?;
//! ```
//!
//! Bytes per OT (large batches): `ceil(128 / k) / 8`: 8 (k = 2), 5.4, 4, 3.3, 2.8, 2.4,
//! 2 (k = 8), against 16 for IKNP; computation grows as `2^k / k` AES calls per OT
//! on each side. Setup: 35 bytes, 4101 bytes, and [`Extend::tree_len`] bytes in the
//! first batch.
//!
//! # Security
//! Semi-honest only, kappa = 128: the sender's view is the masked tree sums and
//! `u_i ^ c`, pseudorandom to it since each `u_i` includes the seed it lacks; the
//! receiver never sees `Delta`. Against a receiver that may cheat, use [`malicious`]:
//! the same extension with the paper's consistency check of the subspace VOLE (section
//! 4), which also covers tree sums that make the sender's seeds depend on `Delta`
//! (argued in its module doc). Base OT: Chou-Orlandi of [`crate::base`]; seeds are expanded with the
//! fixed-key AES TCCR hash of mpc-crypto, tweaked by the session-unique tile index,
//! and the GGM tree with AES-CTR keyed by each node. `Delta`, seeds, tree nodes and
//! base-OT keys are zeroized and never printed.
//!
//! Guarantees: `labels[i] == zero_labels[i] ^ (choices[i] as Delta)` for every batch;
//! decoding checks the tag, `k`, the count, the first index and the exact length, and
//! a refused message leaves the sender's state unchanged; the sender's use of `Delta`
//! (puncturing and the per-batch correction) is branch free.

mod ggm;
pub mod malicious;
mod vole;

use mpc_crypto::{Block, Delta, FixedKeyAes};
use rand_core::{CryptoRng, RngCore};
use subtle::{Choice, ConditionallySelectable};
use zeroize::Zeroize;

use crate::base;
use crate::error::{OtError, Result};
use crate::iknp::{pack_bits, transpose_chunk};
use crate::wire::Reader;
use crate::MAX_BATCH;

/// The smallest `k`.
pub const MIN_K: u8 = 2;
/// The largest `k`.
pub const MAX_K: u8 = 8;
/// The `k` of [`Receiver::new`]: the one that beat IKNP on every link measured in
/// docs/benchmarks.md (unshaped loopback TCP, 10 Gbit/s, 1 Gbit/s, 100 Mbit/s) at
/// 5.4 bytes per OT. Slower links want a larger `k` (5-6 at 1 Gbit/s, 8 at
/// 100 Mbit/s).
pub const DEFAULT_K: u8 = 3;
/// Base OTs under the extension (the security parameter kappa).
pub const BASE_OTS: usize = 128;
/// Bytes before the tree sums or columns in an [`Extend`] encoding.
pub const EXTEND_HEADER_LEN: usize = 14;

const TAG_OFFER: u8 = 0x51;
const TAG_FIRST: u8 = 0x52;
const TAG_NEXT: u8 = 0x53;
/// Seed blocks expanded per piece and chunk (`2^d` slots of `c` tiles): 64 KiB, so
/// the reduction runs in L2.
const CHUNK_BLOCKS: usize = 4096;
/// Most tiles in one chunk.
const MAX_CHUNK_TILES: usize = 64;

/// How `Delta` is cut into pieces for a given `k`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Layout {
    k: usize,
    pieces: usize,
}

impl Layout {
    fn new(k: u8) -> Result<Layout> {
        if !(MIN_K..=MAX_K).contains(&k) {
            return Err(OtError::InvalidArgument(format!(
                "SoftSpoken k must be in {MIN_K}..={MAX_K}, not {k}"
            )));
        }
        let k = usize::from(k);
        Ok(Layout { k, pieces: BASE_OTS.div_ceil(k) })
    }

    /// The width of piece `i` (`k`, or what is left of 128 bits for the last piece).
    fn width(&self, i: usize) -> usize {
        if i + 1 < self.pieces {
            self.k
        } else {
            BASE_OTS - self.k * (self.pieces - 1)
        }
    }

    /// The first bit of `Delta` (and column) of piece `i`.
    fn offset(&self, i: usize) -> usize {
        self.k * i
    }

    /// Tiles per chunk: the largest piece's `2^k` slots of a chunk fit [`CHUNK_BLOCKS`].
    fn chunk_tiles(&self) -> usize {
        (CHUNK_BLOCKS >> self.k).clamp(1, MAX_CHUNK_TILES)
    }

    /// Bytes of the masked tree sums in the first [`Extend`]: two blocks for each
    /// tree level below the first (level 1 is the base OT's keys themselves).
    fn tree_len(&self) -> usize {
        32 * (BASE_OTS - self.pieces)
    }

    /// Column bytes of a batch of `n` OTs.
    fn columns_len(&self, n: usize) -> usize {
        16 * self.pieces * n.div_ceil(128)
    }
}

/// Setup message 1 (receiver to sender): `k` and the base-OT sender's point.
///
/// Wire encoding: tag `0x51`, `k` (one byte), then a [`base::SenderSetup`] (33 bytes).
#[derive(Debug, Clone)]
pub struct SetupOffer {
    k: u8,
    base: base::SenderSetup,
}

impl SetupOffer {
    const WHAT: &'static str = "SoftSpoken setup offer";

    /// The `k` the receiver asks for.
    pub fn k(&self) -> u8 {
        self.k
    }

    /// The wire encoding.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = vec![TAG_OFFER, self.k];
        out.extend_from_slice(&self.base.to_bytes());
        out
    }

    /// Checked decoding (a `k` outside `2..=8` is refused as malformed).
    pub fn from_bytes(bytes: &[u8]) -> Result<SetupOffer> {
        let mut r = Reader::new(Self::WHAT, bytes, TAG_OFFER)?;
        let k = r.take(1)?[0];
        if Layout::new(k).is_err() {
            return Err(r.malformed(format!("k = {k} is outside {MIN_K}..={MAX_K}")));
        }
        let base = base::SenderSetup::from_bytes(&bytes[2..])?;
        Ok(SetupOffer { k, base })
    }
}

/// Setup message 2 (sender to receiver): the base-OT receiver's 128 points, the same
/// message as IKNP's (the encoding of [`base::ReceiverReply`]).
pub use crate::iknp::SetupAnswer;

/// One extension batch (receiver to sender).
///
/// Wire encoding: tag `0x52` (the session's first batch) or `0x53` (every later one),
/// `k` (one byte), `u32` count `n` and `u64` index of the first OT (little-endian);
/// in the first batch only, the masked tree-sum pairs ([`Extend::tree_len`] bytes,
/// 32 per pair: piece by piece, levels 2 to the piece's width); then the `ceil(128 / k)` columns `u_i ^ c`, each `ceil(n / 128)` blocks of
/// 16 bytes (bit `b` of block `w` is OT `128 w + b`).
#[derive(Clone)]
pub struct Extend {
    n: usize,
    first: u64,
    bytes: Vec<u8>,
}

impl core::fmt::Debug for Extend {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("softspoken::Extend")
            .field("n", &self.n)
            .field("first", &self.first)
            .field("carries_tree", &self.carries_tree())
            .finish_non_exhaustive()
    }
}

/// A validated header.
struct Header {
    k: u8,
    n: usize,
    first: u64,
    carries_tree: bool,
}

impl Extend {
    const WHAT: &'static str = "SoftSpoken extension";

    /// The number of OTs in this batch.
    pub fn len(&self) -> usize {
        self.n
    }

    /// Whether the batch is empty.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// The index (in the session) of this batch's first OT.
    pub fn first_index(&self) -> u64 {
        self.first
    }

    /// Whether this is the session's first batch, which carries the tree sums.
    pub fn carries_tree(&self) -> bool {
        self.bytes.first() == Some(&TAG_FIRST)
    }

    /// The bytes of tree sums the first batch carries for parameter `k`:
    /// `32 * (128 - ceil(128 / k))`, 2,048 (k = 2) to 3,584 (k = 8). `k` outside
    /// `2..=8` is an error.
    pub fn tree_len(k: u8) -> Result<usize> {
        Ok(Layout::new(k)?.tree_len())
    }

    /// The size of the encoding of a batch of `n` OTs for parameter `k` (first batch:
    /// with the [`Extend::tree_len`] bytes of tree sums). `k` outside `2..=8` is an
    /// error.
    pub fn encoded_len_for(n: usize, k: u8, first: bool) -> Result<usize> {
        let layout = Layout::new(k)?;
        Ok(EXTEND_HEADER_LEN + if first { layout.tree_len() } else { 0 } + layout.columns_len(n))
    }

    /// An upper bound on the encoding of any batch of `n` OTs, first or not, for any
    /// `k` (the largest tree sums, k = 8, plus the most columns, k = 2): a framing
    /// limit for the session.
    pub fn max_encoded_len(n: usize) -> usize {
        let most_tree = 32 * (BASE_OTS - BASE_OTS.div_ceil(usize::from(MAX_K)));
        EXTEND_HEADER_LEN + most_tree + 16 * BASE_OTS.div_ceil(usize::from(MIN_K)) * n.div_ceil(128)
    }

    /// The size of this message's encoding in bytes.
    pub fn encoded_len(&self) -> usize {
        self.bytes.len()
    }

    /// The wire encoding (a copy; see [`Extend::as_bytes`]).
    pub fn to_bytes(&self) -> Vec<u8> {
        self.bytes.clone()
    }

    /// The wire encoding, borrowed.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The wire encoding, moved out.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    /// Checked decoding: tag, `k`, count within [`MAX_BATCH`], exact length.
    pub fn from_bytes(bytes: &[u8]) -> Result<Extend> {
        let h = Self::check(bytes)?;
        Ok(Extend { n: h.n, first: h.first, bytes: bytes.to_vec() })
    }

    /// [`Extend::from_bytes`] without copying the buffer.
    pub fn from_vec(bytes: Vec<u8>) -> Result<Extend> {
        let h = Self::check(&bytes)?;
        Ok(Extend { n: h.n, first: h.first, bytes })
    }

    fn check(bytes: &[u8]) -> Result<Header> {
        let tag = bytes.first().copied();
        let carries_tree = tag == Some(TAG_FIRST);
        let mut r = Reader::new(Self::WHAT, bytes, if carries_tree { TAG_FIRST } else { TAG_NEXT })?;
        let k = r.take(1)?[0];
        let layout =
            Layout::new(k).map_err(|_| r.malformed(format!("k = {k} is outside {MIN_K}..={MAX_K}")))?;
        let n = r.count()?;
        if n > MAX_BATCH {
            return Err(r.malformed(format!("{n} OTs is more than the limit {MAX_BATCH}")));
        }
        let mut first = [0u8; 8];
        first.copy_from_slice(r.take(8)?);
        r.expect_remaining(if carries_tree { layout.tree_len() } else { 0 } + layout.columns_len(n))?;
        Ok(Header { k, n, first: u64::from_le_bytes(first), carries_tree })
    }
}

/// The receiver (evaluator) waiting for the [`SetupAnswer`]: the base-OT sender.
pub struct ReceiverSetup {
    layout: Layout,
    base: base::Sender,
}

impl core::fmt::Debug for ReceiverSetup {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("softspoken::ReceiverSetup").field("k", &self.layout.k).finish_non_exhaustive()
    }
}

impl ReceiverSetup {
    /// Completes the setup: builds the trees and masks their level sums with the
    /// base-OT keys (sent with the first batch).
    pub fn finish(self, answer: &SetupAnswer) -> Result<Receiver> {
        let mut keys = self.base.finish(&answer.0)?;
        let layout = self.layout;
        let aes = FixedKeyAes::global();
        let mut tree = Vec::with_capacity(BASE_OTS - layout.pieces);
        let mut seeds = Vec::new();
        for i in 0..layout.pieces {
            let d = layout.width(i);
            let top = layout.offset(i) + d - 1;
            let (mut leaves, mut sums) = ggm::expand(keys[top], d);
            for l in 2..=d {
                let j = layout.offset(i) + d - l;
                tree.push([sums[l - 1][0] ^ keys[j][0], sums[l - 1][1] ^ keys[j][1]]);
            }
            sums.zeroize();
            aes.permute_many(&mut leaves);
            seeds.extend_from_slice(&leaves);
            leaves.zeroize();
        }
        keys.zeroize();
        Ok(Receiver { core: Core::new(layout, seeds), tree: Some(tree) })
    }
}

/// What both sides keep: the layout, the seed keys `pi(s_x)` of every piece (piece by
/// piece, `2^width` each; the sender's unknown one is `pi(0)`), the next OT index and
/// the chunk buffers.
struct Core {
    layout: Layout,
    seeds: Vec<Block>,
    /// Each piece's [`vole::key_sums`] (`width + 1` blocks), piece by piece.
    sums: Vec<Block>,
    next: u64,
    /// One piece's expanded seeds for a chunk.
    work: Vec<Block>,
    /// The 128 output columns of a chunk.
    cols: Vec<Block>,
}

impl Drop for Core {
    fn drop(&mut self) {
        self.seeds.zeroize();
        self.sums.zeroize();
        self.work.zeroize();
        self.cols.zeroize();
    }
}

impl Core {
    fn new(layout: Layout, seeds: Vec<Block>) -> Core {
        let c = layout.chunk_tiles();
        let mut sums = Vec::new();
        let mut seed_off = 0;
        for i in 0..layout.pieces {
            let d = layout.width(i);
            sums.extend_from_slice(&vole::key_sums(&seeds[seed_off..seed_off + (1 << d)], d));
            seed_off += 1 << d;
        }
        Core {
            layout,
            seeds,
            sums,
            next: 0,
            work: vec![Block::ZERO; c << layout.k],
            cols: vec![Block::ZERO; BASE_OTS * c],
        }
    }

    /// Runs a batch of `tiles` tiles chunk by chunk. For each piece `i` of each chunk,
    /// `piece(i, w0, c, u, v, cols)` gets `u_i` (c blocks), the `v_{i,b}` (width * c
    /// blocks, b-major) and the chunk's columns of piece `i` (same shape) to fill;
    /// then `chunk(w0, c, cols)` gets the chunk's 128 columns (column `j`'s `c` tiles at
    /// `j * c`), the layout [`transpose_chunk`] reads.
    fn run(
        &mut self,
        tiles: usize,
        mut piece: impl FnMut(usize, usize, usize, &[Block], &[Block], &mut [Block]),
        mut chunk_done: impl FnMut(usize, usize, &[Block]),
    ) {
        let layout = self.layout;
        let aes = FixedKeyAes::global();
        let chunk = layout.chunk_tiles();
        let base_tile = self.next / 128;
        for w0 in (0..tiles).step_by(chunk) {
            let c = chunk.min(tiles - w0);
            let (mut seed_off, mut sum_off) = (0, 0);
            for i in 0..layout.pieces {
                let d = layout.width(i);
                let keys = &self.seeds[seed_off..seed_off + (1 << d)];
                let sums = &self.sums[sum_off..sum_off + d + 1];
                seed_off += 1 << d;
                sum_off += d + 1;
                let work = &mut self.work[..c << d];
                vole::expand_reduce(aes, keys, sums, d, base_tile + w0 as u64, c, work);
                let off = layout.offset(i);
                let (u, v) = work.split_at(c);
                piece(i, w0, c, u, &v[..d * c], &mut self.cols[off * c..(off + d) * c]);
            }
            chunk_done(w0, c, &self.cols[..BASE_OTS * c]);
        }
        self.next += (128 * tiles) as u64;
    }
}

/// The set-up receiver (evaluator).
pub struct Receiver {
    core: Core,
    /// The masked tree sums, until the first batch has carried them.
    tree: Option<Vec<[Block; 2]>>,
}

impl core::fmt::Debug for Receiver {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("softspoken::Receiver")
            .field("k", &self.core.layout.k)
            .field("next", &self.core.next)
            .finish_non_exhaustive()
    }
}

impl Receiver {
    /// Starts the setup with [`DEFAULT_K`]: returns the state to finish and the message
    /// for the sender.
    #[allow(clippy::new_ret_no_self)] // A type-state constructor: setup, then finish.
    pub fn new<R: RngCore + CryptoRng>(rng: &mut R) -> (ReceiverSetup, SetupOffer) {
        // DEFAULT_K is within MIN_K..=MAX_K.
        Receiver::with_k(rng, DEFAULT_K).expect("DEFAULT_K is a valid k")
    }

    /// Starts the setup with parameter `k` (refused outside `2..=8`).
    pub fn with_k<R: RngCore + CryptoRng>(rng: &mut R, k: u8) -> Result<(ReceiverSetup, SetupOffer)> {
        let layout = Layout::new(k)?;
        let (base, setup) = base::Sender::new(rng, BASE_OTS)?;
        Ok((ReceiverSetup { layout, base }, SetupOffer { k, base: setup }))
    }

    /// The parameter `k`.
    pub fn k(&self) -> u8 {
        // k <= MAX_K = 8.
        self.core.layout.k as u8
    }

    /// One batch: the message for the sender and the label `K_i ^ c_i * Delta` of each
    /// choice bit `c_i`.
    pub fn extend(&mut self, choices: &[bool]) -> Result<(Extend, Vec<Block>)> {
        let mut bytes = Vec::new();
        let mut rows = Vec::new();
        let first = self.core.next;
        self.extend_into(choices, &mut bytes, &mut rows)?;
        Ok((Extend { n: choices.len(), first, bytes }, rows))
    }

    /// [`Self::extend`] into reused buffers (both cleared first): `msg` gets the wire
    /// encoding of the [`Extend`] message to send, `labels` the labels.
    pub fn extend_into(
        &mut self,
        choices: &[bool],
        msg: &mut Vec<u8>,
        labels: &mut Vec<Block>,
    ) -> Result<()> {
        let n = choices.len();
        if n > MAX_BATCH {
            return Err(OtError::InvalidArgument(format!("{n} OTs in one batch is more than {MAX_BATCH}")));
        }
        labels.clear();
        labels.resize(128 * n.div_ceil(128), Block::ZERO);
        self.extend_columns(choices, msg, |w0, c, cols| {
            transpose_chunk(cols, c, &mut labels[128 * w0..128 * (w0 + c)]);
        })?;
        labels.truncate(n);
        Ok(())
    }

    /// The tiles per chunk that [`Self::extend_columns`] hands out (the last chunk of a
    /// batch may be shorter).
    pub(crate) fn chunk_tiles(&self) -> usize {
        self.core.layout.chunk_tiles()
    }

    /// [`Self::extend_into`] without the transposition: `chunk_done(w0, c, cols)` gets
    /// each chunk's 128 columns `V` (tiles `w0 .. w0 + c`, column `j` at `j * c`).
    pub(crate) fn extend_columns(
        &mut self,
        choices: &[bool],
        msg: &mut Vec<u8>,
        chunk_done: impl FnMut(usize, usize, &[Block]),
    ) -> Result<()> {
        let n = choices.len();
        if n > MAX_BATCH {
            return Err(OtError::InvalidArgument(format!("{n} OTs in one batch is more than {MAX_BATCH}")));
        }
        let layout = self.core.layout;
        let tiles = n.div_ceil(128);
        let tree = self.tree.take();
        let tree_len = if tree.is_some() { layout.tree_len() } else { 0 };
        msg.clear();
        msg.resize(EXTEND_HEADER_LEN + tree_len + layout.columns_len(n), 0);
        msg[0] = if tree.is_some() { TAG_FIRST } else { TAG_NEXT };
        msg[1] = self.k();
        // n <= MAX_BATCH < 2^32.
        msg[2..6].copy_from_slice(&(n as u32).to_le_bytes());
        msg[6..14].copy_from_slice(&self.core.next.to_le_bytes());
        if let Some(mut tree) = tree {
            for (o, pair) in msg[EXTEND_HEADER_LEN..].chunks_exact_mut(32).zip(&tree) {
                o[..16].copy_from_slice(&pair[0].to_bytes());
                o[16..].copy_from_slice(&pair[1].to_bytes());
            }
            tree.zeroize();
        }
        let mut r = pack_bits(choices);
        let columns = &mut msg[EXTEND_HEADER_LEN + tree_len..];
        self.core.run(
            tiles,
            |i, w0, c, u, v, cols| {
                let off = 16 * (i * tiles + w0);
                let out = columns[off..off + 16 * c].chunks_exact_mut(16);
                for ((o, ut), rt) in out.zip(u).zip(&r[w0..w0 + c]) {
                    o.copy_from_slice(&(*ut ^ Block::from_u128(*rt)).to_bytes());
                }
                cols.copy_from_slice(v);
            },
            chunk_done,
        );
        r.zeroize();
        Ok(())
    }

    /// The number of OTs consumed so far (padding included).
    pub fn position(&self) -> u64 {
        self.core.next
    }
}

/// The sender's seeds: not yet built (until the first batch brings the tree sums), or
/// built.
enum SenderState {
    /// The base-OT keys `k_j^{!Delta_j}`.
    Pending(Vec<Block>),
    Ready(Core),
}

/// The set-up sender (garbler).
pub struct Sender {
    layout: Layout,
    delta: Block,
    state: SenderState,
}

impl core::fmt::Debug for Sender {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("softspoken::Sender")
            .field("k", &self.layout.k)
            .field("next", &self.position())
            .finish_non_exhaustive()
    }
}

impl Drop for Sender {
    fn drop(&mut self) {
        self.delta.zeroize();
        if let SenderState::Pending(keys) = &mut self.state {
            keys.zeroize();
        }
    }
}

impl Sender {
    /// Answers the receiver's offer (with the `k` it names); the correlation is `delta`.
    pub fn new<R: RngCore + CryptoRng>(
        rng: &mut R,
        delta: &Delta,
        offer: &SetupOffer,
    ) -> Result<(Sender, SetupAnswer)> {
        let layout = Layout::new(offer.k)?;
        let delta = delta.as_block();
        // Base OT j learns the key of the sibling of Delta's path: choice !Delta_j.
        let bits: Vec<bool> = (0..BASE_OTS).map(|j| (delta.to_u128() >> j) & 1 == 0).collect();
        let (reply, keys) = base::receive(rng, &offer.base, &bits)?;
        Ok((Sender { layout, delta, state: SenderState::Pending(keys) }, SetupAnswer(reply)))
    }

    /// The parameter `k` (from the receiver's offer).
    pub fn k(&self) -> u8 {
        // k <= MAX_K = 8.
        self.layout.k as u8
    }

    /// One batch of `n` OTs: the zero-labels `K_i`. Refuses a message for a different
    /// count, `k` or position.
    pub fn extend(&mut self, n: usize, msg: &Extend) -> Result<Vec<Block>> {
        let mut rows = Vec::new();
        self.extend_into(n, msg.as_bytes(), &mut rows)?;
        Ok(rows)
    }

    /// [`Self::extend`] straight from the received bytes of an [`Extend`] message
    /// (validated here) into a reused buffer (cleared first). The state is unchanged on
    /// error.
    pub fn extend_into(&mut self, n: usize, msg: &[u8], zero_labels: &mut Vec<Block>) -> Result<()> {
        // The message's own count (at most MAX_BATCH) sizes the buffer; extend_columns
        // refuses it if it is not `n`.
        let tiles = Extend::check(msg)?.n.div_ceil(128);
        zero_labels.clear();
        zero_labels.resize(128 * tiles, Block::ZERO);
        self.extend_columns(n, msg, |w0, c, cols| {
            transpose_chunk(cols, c, &mut zero_labels[128 * w0..128 * (w0 + c)]);
        })
        .inspect_err(|_| zero_labels.clear())?;
        zero_labels.truncate(n);
        Ok(())
    }

    /// [`Self::extend_into`] without the transposition: `chunk_done(w0, c, cols)` gets
    /// each chunk's 128 columns `W` (tiles `w0 .. w0 + c`, column `j` at `j * c`). The
    /// message is validated before any work; the state is unchanged on error.
    pub(crate) fn extend_columns(
        &mut self,
        n: usize,
        msg: &[u8],
        chunk_done: impl FnMut(usize, usize, &[Block]),
    ) -> Result<()> {
        let h = Extend::check(msg)?;
        let malformed = |reason: String| OtError::Malformed { what: Extend::WHAT, reason };
        if usize::from(h.k) != self.layout.k {
            return Err(malformed(format!(
                "the batch is for k = {} but this session uses k = {}",
                h.k,
                self.k()
            )));
        }
        if h.n != n {
            return Err(OtError::CountMismatch { what: Extend::WHAT, expected: n, got: h.n });
        }
        if h.first != self.position() {
            return Err(malformed(format!(
                "batch starts at OT {} but this side is at OT {} (a batch was lost or reordered)",
                h.first,
                self.position()
            )));
        }
        let pending = matches!(self.state, SenderState::Pending(_));
        if h.carries_tree != pending {
            return Err(malformed(if pending {
                "the session's first batch does not carry the tree sums".to_string()
            } else {
                "a later batch carries tree sums again".to_string()
            }));
        }
        let mut body = &msg[EXTEND_HEADER_LEN..];
        if let SenderState::Pending(keys) = &self.state {
            let tree_len = self.layout.tree_len();
            let seeds = self.puncture(keys, &body[..tree_len]);
            self.state = SenderState::Ready(Core::new(self.layout, seeds));
            body = &body[tree_len..];
        }
        let SenderState::Ready(core) = &mut self.state else {
            unreachable!("the state was made Ready above");
        };
        let delta = self.delta.to_u128();
        let layout = self.layout;
        let tiles = n.div_ceil(128);
        core.run(
            tiles,
            |i, w0, c, u, v, cols| {
                let off = 16 * (i * tiles + w0);
                // u_i ^ (u_i ^ c) on the receiver's side, u'_i ^ (u_i ^ c) here.
                let mut uc = [Block::ZERO; MAX_CHUNK_TILES];
                for ((x, ut), bytes) in uc.iter_mut().zip(u).zip(body[off..off + 16 * c].chunks_exact(16)) {
                    let mut a = [0u8; 16];
                    a.copy_from_slice(bytes);
                    *x = *ut ^ Block::from_bytes(a);
                }
                let piece_off = layout.offset(i);
                for (b, (col, vb)) in cols.chunks_exact_mut(c).zip(v.chunks_exact(c)).enumerate() {
                    let bit = Choice::from(((delta >> (piece_off + b)) & 1) as u8);
                    let mask = Block::conditional_select(&Block::ZERO, &Block::ONES, bit);
                    for ((o, x), y) in col.iter_mut().zip(vb).zip(&uc[..c]) {
                        *o = *x ^ (*y & mask);
                    }
                }
                uc.zeroize();
            },
            chunk_done,
        );
        Ok(())
    }

    /// Rebuilds every seed but `s_{Delta_i}` of each piece from the masked tree sums
    /// ([`Layout::tree_len`] bytes) and this side's base-OT keys; returns the seed keys.
    fn puncture(&self, keys: &[Block], tree: &[u8]) -> Vec<Block> {
        let layout = self.layout;
        let delta = self.delta.to_u128();
        let aes = FixedKeyAes::global();
        let mut seeds = Vec::new();
        let mut pairs = tree.chunks_exact(32);
        for i in 0..layout.pieces {
            let d = layout.width(i);
            let off = layout.offset(i);
            let point = ((delta >> off) as u32) & ((1u32 << d) - 1);
            // Level 1: the base-OT key is the node off the path itself.
            let mut sums = vec![keys[off + d - 1]];
            for l in 2..=d {
                let j = off + d - l;
                // The caller passes tree_len bytes: one pair per level below the first.
                let pair = pairs.next().expect("the tree holds a pair per level below the first");
                let e0 = block_at(&pair[..16]);
                let e1 = block_at(&pair[16..]);
                // The key is for !Delta_j: unmask e^{!Delta_j}.
                let bit = Choice::from(((delta >> j) & 1) as u8);
                sums.push(Block::conditional_select(&e1, &e0, bit) ^ keys[j]);
            }
            let mut leaves = ggm::puncture(point, d, &sums);
            sums.zeroize();
            aes.permute_many(&mut leaves);
            seeds.extend_from_slice(&leaves);
            leaves.zeroize();
        }
        seeds
    }

    /// The number of OTs consumed so far (padding included).
    pub fn position(&self) -> u64 {
        match &self.state {
            SenderState::Pending(_) => 0,
            SenderState::Ready(core) => core.next,
        }
    }
}

/// A block from 16 bytes (the caller passes exactly 16).
fn block_at(bytes: &[u8]) -> Block {
    let mut a = [0u8; 16];
    a.copy_from_slice(bytes);
    Block::from_bytes(a)
}
