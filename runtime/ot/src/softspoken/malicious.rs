//! SoftSpoken correlated OT secure against a malicious receiver: the extension of the
//! parent module with the consistency check of the subspace VOLE (Roy, "SoftSpokenOT:
//! Quieter OT Extension from Small-Field Silent VOLE in the Minicrypt Model", Crypto
//! 2022, eprint 2022/192, section 4; the same check as libOTe's
//! `SubspaceVoleMaliciousLeaky`), beside [`crate::kos`] for IKNP.
//!
//! The threat: the receiver sends one correction `u_i ^ c^(i)` per piece `i` of `Delta`
//! and may use a different choice vector `c^(i)` in some pieces (or send tree sums that
//! make the sender's seeds depend on `Delta_i`). The sender's columns are then
//! `W_{i,b} = V_{i,b} ^ Delta_{i,b} c^(i)` and later selective failures would leak `Delta`.
//!
//! The check, one round trip after each batch (message flow of [`crate::kos`]):
//! 1. the receiver extends `n` OTs rounded up to whole tiles of 128, plus one more tile
//!    ([`CHECK_OTS`] = 128) of uniformly random choices that only masks the check;
//!    `m` OTs in all, `T = m / 128` tiles;
//! 2. after the batch is in, the sender draws a fresh 128-bit seed, the [`Challenge`];
//!    both expand it into one coefficient `chi_w` in GF(2^128) per tile `w`. The hash of
//!    an `m`-bit column `x` (tile `w` read as the field element `x[w]`) is
//!    `H(x) = sum_w chi_w x[w]`: F_2-linear in `x`, and for `x != 0` uniform over the
//!    challenge (some `x[w] != 0` and `chi_w` is uniform): a universal hash of the
//!    columns, the random linear map `R` of the paper's check;
//! 3. the receiver answers with the [`Proof`]: `c_hat = H(c)` and a SHA-256 digest of
//!    the 128 column hashes `t_j = H(V_j)` (it has the columns before transposing them);
//! 4. the sender computes `H(W_j)` for its 128 columns as they come out of the
//!    extension, and checks that the digest of `H(W_j) ^ Delta_j c_hat` (`j = 0..128`)
//!    is the receiver's. Only then are the `n` zero-labels released; padding and
//!    check OTs are discarded on both sides.
//!
//! The digest stands for the 128 values the paper's receiver sends: the receiver could
//! compute the digest of any vector it would send, and a matching digest means the
//! vectors are equal (collision resistance of SHA-256). This keeps the proof at
//! [`Proof::LEN`] = 49 bytes instead of 2 KiB.
//!
//! # Security (kappa = 128, against a malicious receiver)
//! - Completeness: an honest receiver has `W_j = V_j ^ Delta_j c`, so
//!   `H(W_j) ^ Delta_j H(c) = H(V_j)` and the check passes always.
//! - Soundness with leakage (the paper's section 4, "leaky" subspace VOLE): the
//!   corrections and tree sums are fixed before the challenge. If piece `i` was
//!   corrected to `c^(i) != c`, with `c` the vector `c_hat` hashes to, then
//!   `H(c^(i)) ^ c_hat != 0` except with probability `2^-128`, and the check of column
//!   `j` of that piece holds only if the receiver guessed `Delta_j`; so a receiver that
//!   cheats in `l` bits of `Delta` passes with probability `2^-l` and, when it passes,
//!   has learned those `l` bits ("selective failure", the same bound as KOS15's for
//!   IKNP). Seeds that depend on `Delta_i` (inconsistent tree sums) are the same case:
//!   for every value of `Delta_i` the sender's columns are fixed functions of the
//!   receiver's messages, the check passes exactly for a set `S_i` of values it chose
//!   (leaking `Delta_i in S_i`, probability `|S_i| / 2^d`), and universality forces the
//!   columns for all values in `S_i` to be `V' ^ Delta_i c` for one `c`, so the outputs
//!   are correlated OTs with that choice vector. Each event the argument rules out has
//!   probability `2^-128` and there are at most `(2^8 * 128)^2 = 2^30` of them, so the
//!   statistical error is below `2^-98`.
//! - Privacy of the choices: `H(c)` includes `chi_T c[T]` for the random tile `T`, a
//!   uniform field element (for `chi_T != 0`), so `c_hat` is uniform given the real
//!   choices; the column hashes `H(V_j) = H(W_j) ^ Delta_j H(c)` are what the sender
//!   can compute itself. The check tile is used for nothing else.
//! - The sender never outputs a label from a batch whose check failed
//!   ([`PendingSender::verify`] returns them only on success).
//!
//! What it does not do: protect the receiver against a malicious sender beyond the
//! semi-honest protocol (the sender has no choices; its `Delta` is whatever it picked),
//! nor make the base OTs malicious-secure: its setup is the parent module's, over the
//! Chou-Orlandi base OTs of [`crate::base`], where [`crate::kos`] now uses the
//! Masny-Rindal OTs of [`crate::endemic`] (wiring this module into the malicious mode
//! needs that setup too); there is no bootstrap of the reverse direction as in
//! [`crate::kos`].
//!
//! ```text
//! evaluator (Receiver)                               garbler (Sender, Delta)
//! (setup: the parent module's SetupOffer / SetupAnswer)
//! let (msg, pending) = receiver.extend(rng, &choices)?;
//!                        ----- Extend ----->
//!                      let (challenge, pending) = sender.extend(rng, choices.len(), &msg)?;
//!                        <--- Challenge ---
//! let (proof, labels) = pending.respond(&challenge);
//!                        ----- Proof ------>
//!                      let zero_labels = pending.verify(&proof)?;
//! ```

use mpc_crypto::gf128::Accumulator;
use mpc_crypto::{Block, Delta, Prg};
use rand_core::{CryptoRng, RngCore};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::Zeroize;

use super::{Extend, SetupAnswer, SetupOffer, BASE_OTS};
use crate::error::{OtError, Result};
use crate::iknp::{pack_bits, transpose_chunk};
use crate::wire::Reader;
use crate::MAX_BATCH;

/// Random OTs appended to every batch (after padding to whole tiles) to mask the
/// check: one tile, whose choices form one uniform field element.
pub const CHECK_OTS: usize = 128;
const TAG_CHALLENGE: u8 = 0x54;
const TAG_PROOF: u8 = 0x55;

/// The OTs a batch of `n` takes on the wire: `n` rounded up to a multiple of 128, plus
/// [`CHECK_OTS`]. `None` past [`MAX_BATCH`].
pub fn wire_ots(n: usize) -> Option<usize> {
    let total = n.checked_next_multiple_of(128)?.checked_add(CHECK_OTS)?;
    (total <= MAX_BATCH).then_some(total)
}

/// The sender's fresh challenge seed for one batch (17 bytes on the wire).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Challenge(Block);

impl Challenge {
    const WHAT: &'static str = "SoftSpoken consistency challenge";
    /// The size of the wire encoding.
    pub const LEN: usize = 17;

    /// Wire encoding: tag `0x54`, then the 16-byte seed.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(Self::LEN);
        out.push(TAG_CHALLENGE);
        out.extend_from_slice(&self.0.to_bytes());
        out
    }

    /// Checked decoding (tag, exact length).
    pub fn from_bytes(bytes: &[u8]) -> Result<Challenge> {
        let mut r = Reader::new(Self::WHAT, bytes, TAG_CHALLENGE)?;
        let seed = block(r.take(16)?);
        r.finish()?;
        Ok(Challenge(seed))
    }

    /// The coefficients `chi_w` of `tiles` tiles.
    fn coefficients(&self, tiles: usize) -> Vec<u128> {
        let mut chis = vec![Block::ZERO; tiles];
        Prg::from_seed_block(self.0).fill_blocks(&mut chis);
        chis.into_iter().map(u128::from).collect()
    }
}

/// The receiver's answer to a [`Challenge`]: `c_hat = H(c)` and the SHA-256 digest of
/// the column hashes `H(V_j)` (49 bytes on the wire).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Proof {
    c_hat: u128,
    digest: [u8; 32],
}

impl Proof {
    const WHAT: &'static str = "SoftSpoken consistency proof";
    /// The size of the wire encoding.
    pub const LEN: usize = 49;

    /// Wire encoding: tag `0x55`, `c_hat` (16 bytes, little-endian), the 32-byte digest.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(Self::LEN);
        out.push(TAG_PROOF);
        out.extend_from_slice(&self.c_hat.to_le_bytes());
        out.extend_from_slice(&self.digest);
        out
    }

    /// Checked decoding (tag, exact length).
    pub fn from_bytes(bytes: &[u8]) -> Result<Proof> {
        let mut r = Reader::new(Self::WHAT, bytes, TAG_PROOF)?;
        let c_hat = u128::from(block(r.take(16)?));
        let mut digest = [0u8; 32];
        digest.copy_from_slice(r.take(32)?);
        r.finish()?;
        Ok(Proof { c_hat, digest })
    }
}

fn block(bytes: &[u8]) -> Block {
    let mut b = [0u8; 16];
    b.copy_from_slice(bytes);
    Block::from(b)
}

/// The SHA-256 digest of 128 column hashes (little-endian, column 0 first).
fn digest_columns(hashes: &[u128; BASE_OTS]) -> [u8; 32] {
    let mut h = Sha256::new();
    for t in hashes {
        h.update(t.to_le_bytes());
    }
    h.finalize().into()
}

/// The receiver waiting for the setup answer (the parent module's setup).
#[derive(Debug)]
pub struct ReceiverSetup(super::ReceiverSetup);

impl ReceiverSetup {
    /// Completes the setup.
    pub fn finish(self, answer: &SetupAnswer) -> Result<Receiver> {
        self.0.finish(answer).map(Receiver)
    }
}

/// The set-up receiver (chooser).
#[derive(Debug)]
pub struct Receiver(super::Receiver);

impl Receiver {
    /// Starts the setup with [`super::DEFAULT_K`].
    #[allow(clippy::new_ret_no_self)] // A type-state constructor: setup, then finish.
    pub fn new<R: RngCore + CryptoRng>(rng: &mut R) -> (ReceiverSetup, SetupOffer) {
        let (setup, offer) = super::Receiver::new(rng);
        (ReceiverSetup(setup), offer)
    }

    /// Starts the setup with parameter `k` (refused outside `2..=8`): the same messages
    /// as the semi-honest [`super::Receiver::with_k`].
    pub fn with_k<R: RngCore + CryptoRng>(rng: &mut R, k: u8) -> Result<(ReceiverSetup, SetupOffer)> {
        let (setup, offer) = super::Receiver::with_k(rng, k)?;
        Ok((ReceiverSetup(setup), offer))
    }

    /// The parameter `k`.
    pub fn k(&self) -> u8 {
        self.0.k()
    }

    /// The number of OTs consumed so far (padding and check OTs included).
    pub fn position(&self) -> u64 {
        self.0.position()
    }

    /// One batch: the [`Extend`] message for [`wire_ots`]`(choices.len())` OTs and the
    /// state that answers the sender's challenge. The columns stay untransposed until
    /// the challenge arrives (no second copy of the batch).
    pub fn extend<R: RngCore + CryptoRng>(
        &mut self,
        rng: &mut R,
        choices: &[bool],
    ) -> Result<(Extend, PendingReceiver)> {
        let n = choices.len();
        let total = wire_ots(n).ok_or_else(|| {
            OtError::InvalidArgument(format!("{n} OTs and the check's are more than {MAX_BATCH}"))
        })?;
        let padded = total - CHECK_OTS;
        let mut all = Vec::with_capacity(total);
        all.extend_from_slice(choices);
        all.resize(padded, false);
        let mut mask = [0u8; CHECK_OTS / 8];
        rng.fill_bytes(&mut mask);
        all.extend((0..CHECK_OTS).map(|i| (mask[i / 8] >> (i % 8)) & 1 == 1));
        mask.zeroize();
        let packed = pack_bits(&all);
        let first = self.0.position();
        let mut bytes = Vec::new();
        let mut columns = vec![Block::ZERO; total];
        let done = self.0.extend_columns(&all, &mut bytes, |w0, c, cols| {
            columns[128 * w0..128 * (w0 + c)].copy_from_slice(cols);
        });
        all.zeroize();
        done?;
        let chunk = self.0.chunk_tiles();
        Ok((Extend { n: total, first, bytes }, PendingReceiver { n, packed, columns, chunk }))
    }
}

/// A receiver's batch awaiting the challenge: its choices (packed per tile) and its
/// columns `V` chunk by chunk in the layout of the extension (chunks of `chunk` tiles,
/// column `j` of a chunk of `c` tiles at `j * c`).
pub struct PendingReceiver {
    n: usize,
    packed: Vec<u128>,
    columns: Vec<Block>,
    chunk: usize,
}

impl core::fmt::Debug for PendingReceiver {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("softspoken::malicious::PendingReceiver").field("n", &self.n).finish_non_exhaustive()
    }
}

impl Drop for PendingReceiver {
    fn drop(&mut self) {
        self.packed.zeroize();
        self.columns.zeroize();
    }
}

impl PendingReceiver {
    /// The proof for `challenge` and the batch's `n` labels `K_i ^ c_i * Delta`.
    pub fn respond(mut self, challenge: &Challenge) -> (Proof, Vec<Block>) {
        let tiles = self.packed.len();
        let chis = challenge.coefficients(tiles);
        let mut c_acc = Accumulator::new();
        c_acc.add_products(&chis, &self.packed);
        let mut accs = [Accumulator::new(); BASE_OTS];
        let mut labels = vec![Block::ZERO; 128 * tiles];
        for w0 in (0..tiles).step_by(self.chunk) {
            let c = self.chunk.min(tiles - w0);
            let cols = &self.columns[128 * w0..128 * (w0 + c)];
            let words: &[u128] = bytemuck::cast_slice(cols);
            for (j, acc) in accs.iter_mut().enumerate() {
                acc.add_products(&chis[w0..w0 + c], &words[j * c..(j + 1) * c]);
            }
            transpose_chunk(cols, c, &mut labels[128 * w0..128 * (w0 + c)]);
        }
        let hashes: [u128; BASE_OTS] = core::array::from_fn(|j| accs[j].finish());
        let proof = Proof { c_hat: c_acc.finish(), digest: digest_columns(&hashes) };
        labels.truncate(self.n);
        self.columns.zeroize();
        (proof, labels)
    }
}

/// The set-up sender (holder of `Delta`).
#[derive(Debug)]
pub struct Sender {
    inner: super::Sender,
    delta: Delta,
}

impl Sender {
    /// Answers the receiver's offer (with the `k` it names); the correlation is `delta`.
    pub fn new<R: RngCore + CryptoRng>(
        rng: &mut R,
        delta: &Delta,
        offer: &SetupOffer,
    ) -> Result<(Sender, SetupAnswer)> {
        let (inner, answer) = super::Sender::new(rng, delta, offer)?;
        Ok((Sender { inner, delta: delta.clone() }, answer))
    }

    /// The parameter `k` (from the receiver's offer).
    pub fn k(&self) -> u8 {
        self.inner.k()
    }

    /// Takes a batch of `n` OTs ([`wire_ots`]`(n)` on the wire) and draws the challenge
    /// to send back. The column hashes are taken chunk by chunk as the extension makes
    /// the columns; the labels stay locked in the [`PendingSender`] until the proof
    /// verifies. A malformed or misplaced message is refused with the state unchanged.
    pub fn extend<R: RngCore + CryptoRng>(
        &mut self,
        rng: &mut R,
        n: usize,
        msg: &Extend,
    ) -> Result<(Challenge, PendingSender)> {
        let total = wire_ots(n).ok_or_else(|| {
            OtError::InvalidArgument(format!("{n} OTs and the check's are more than {MAX_BATCH}"))
        })?;
        if msg.len() != total {
            return Err(OtError::CountMismatch { what: Extend::WHAT, expected: total, got: msg.len() });
        }
        // Drawn once the batch is in: the receiver is bound by its message.
        let challenge = Challenge(Block::random(rng));
        let chis = challenge.coefficients(total / 128);
        let mut accs = [Accumulator::new(); BASE_OTS];
        let mut zero_labels = vec![Block::ZERO; total];
        self.inner.extend_columns(total, msg.as_bytes(), |w0, c, cols| {
            let words: &[u128] = bytemuck::cast_slice(cols);
            for (j, acc) in accs.iter_mut().enumerate() {
                acc.add_products(&chis[w0..w0 + c], &words[j * c..(j + 1) * c]);
            }
            transpose_chunk(cols, c, &mut zero_labels[128 * w0..128 * (w0 + c)]);
        })?;
        let hashes = Box::new(core::array::from_fn(|j| accs[j].finish()));
        Ok((challenge, PendingSender { n, hashes, zero_labels, delta: self.delta.clone() }))
    }

    /// The number of OTs consumed so far (padding and check OTs included).
    pub fn position(&self) -> u64 {
        self.inner.position()
    }
}

/// A sender's batch awaiting the receiver's proof.
pub struct PendingSender {
    n: usize,
    /// `H(W_j)` for the 128 columns (boxed: 2 KiB).
    hashes: Box<[u128; BASE_OTS]>,
    zero_labels: Vec<Block>,
    delta: Delta,
}

impl core::fmt::Debug for PendingSender {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("softspoken::malicious::PendingSender").field("n", &self.n).finish_non_exhaustive()
    }
}

impl Drop for PendingSender {
    fn drop(&mut self) {
        self.hashes.as_mut_slice().zeroize();
        self.zero_labels.zeroize();
    }
}

impl PendingSender {
    /// Checks the proof; on success the batch's `n` zero-labels `K_i`. On failure
    /// [`OtError::ConsistencyCheck`], and the labels are dropped (zeroized).
    pub fn verify(mut self, proof: &Proof) -> Result<Vec<Block>> {
        let delta = u128::from(self.delta.as_block());
        let mut expect: [u128; BASE_OTS] = core::array::from_fn(|j| {
            // Branch free in the bits of Delta: an all-ones mask where bit j is set.
            let mask = 0u128.wrapping_sub((delta >> j) & 1);
            self.hashes[j] ^ (proof.c_hat & mask)
        });
        let digest = digest_columns(&expect);
        expect.zeroize();
        // The outcome is public (the receiver learns it from whether we continue).
        if !bool::from(digest[..].ct_eq(&proof.digest[..])) {
            return Err(OtError::ConsistencyCheck { batch_ots: self.n });
        }
        let mut labels = core::mem::take(&mut self.zero_labels);
        labels.truncate(self.n);
        Ok(labels)
    }
}
