//! Correlated OT secure against a malicious receiver: IKNP ([`crate::cot`]) with the
//! consistency check of Keller, Orsini and Scholl ("Actively Secure OT Extension with
//! Optimal Overhead", Crypto 2015, section 4, protocol in Figure 7).
//!
//! The threat: in IKNP the receiver sends `u_j = G(k_j^0) ^ G(k_j^1) ^ r` for each of
//! the 128 columns `j`; a malicious receiver may use a different choice vector `r^(j)`
//! in some columns. Then the sender's rows are `Q_i = T_i ^ r_i * Delta ^ e_i * Delta`
//! with `e_i` masking the columns it lied in, and selective failures later leak bits
//! of `Delta` (the garbler's global secret), breaking everything built on it.
//!
//! The check, one round trip after each [`Extend`] batch:
//! 1. the receiver extends `n + CHECK_OTS` OTs: its `n` choices and [`CHECK_OTS`]
//!    uniformly random ones that only mask the check;
//! 2. after receiving the batch, the sender draws a fresh 128-bit seed, the
//!    [`Challenge`]; both expand it into coefficients `chi_i` in GF(2^128);
//! 3. the receiver answers with the [`Proof`] `x = sum chi_i * r_i`,
//!    `t = sum chi_i * T_i`;
//! 4. the sender checks `t == q ^ x * Delta` with `q = sum chi_i * Q_i`
//!    ([`mpc_crypto::gf128`]) and only then releases its zero-labels; the last
//!    [`CHECK_OTS`] OTs of both sides are discarded.
//!
//! Guarantees (KOS15 Theorem 1, with the random-oracle-free analysis of section 4.1
//! for the linear check; kappa = 128, statistical parameter s = 40):
//! - A receiver that is consistent passes always. A receiver whose columns disagree
//!   passes only if it guessed the bits of `Delta` at the columns it lied in; the
//!   sender's abort therefore leaks at most which guess was right, i.e. the receiver
//!   learns `c` bits of `Delta` with probability `2^-c` ("selective failure", bounded
//!   as in KOS15 Lemma 1): this is what the authenticated-garbling layer above is
//!   designed to tolerate.
//! - The proof reveals nothing about the `n` real choices: the [`CHECK_OTS`] = 256 >=
//!   kappa + s random extra OTs make `x` and `t` uniform given them (KOS15 section
//!   4.2), and they are never used for anything else.
//! - The sender never outputs a label from a batch whose check failed
//!   ([`PendingSender::verify`] returns them only on success).
//!
//! # Bootstrapping the reverse direction (one base-OT set for two sessions)
//!
//! Authenticated garbling needs correlated OT both ways (each party's bits MACed
//! under the other's `Delta`). Instead of a second set of 128 base OTs the reverse
//! direction is seeded from this one ([`Receiver::extend_bootstrap`],
//! [`PendingSender::verify_bootstrap`], [`PendingReceiver::respond_bootstrap`]):
//! 1. the receiver `R` adds [`BOOTSTRAP_OTS`] = 128 OTs with uniformly random choices
//!    `r_j` to a checked batch and sends, with the batch, the [`Flip`]
//!    `d = r ^ Delta'` where `Delta'` is the `Delta` it will use as the reverse
//!    direction's *sender*;
//! 2. after the check passed, the sender `S` (holding `Delta`, zero-labels `Q_j`)
//!    forms the random OT `m_j^b = H(Q_j ^ b Delta, j)` (the tweakable
//!    correlation-robust hash of mpc-crypto, tweaks in their own domain) and takes
//!    `(m_j^{d_j}, m_j^{1 ^ d_j})` as the key pair of base OT `j` of the reverse
//!    direction, in which it is the IKNP *receiver* (base-OT sender);
//! 3. `R` has `T_j = Q_j ^ r_j Delta`, so `H(T_j, j) = m_j^{r_j}`, the key of choice
//!    `Delta'_j = r_j ^ d_j` of the pair: exactly what IKNP's sender with secret
//!    `Delta'` holds after its base OTs.
//!
//! Why this is as good as fresh base OTs (the standard bootstrap of random OT from OT
//! extension, with Beaver's derandomisation; KOS15's own random-OT output is this
//! hash of the checked correlated OT): against a malicious `S`, the choices
//! `r_j` are hidden by IKNP exactly as every other choice of the batch (and the
//! [`CHECK_OTS`] mask them in the proof), so `d` is a one-time pad of `Delta'`; `S`
//! may pick its base-OT "messages" (it could anyway, as a base-OT sender). Against a
//! malicious `R`, the check bounds what it can know of `Delta` to the `c` bits it
//! guessed in inconsistent columns (probability `2^-c`); learning the other key
//! `m_j^{1 ^ r_j} = H(T_j ^ Delta, j)` as well means querying the hash at
//! `T_j ^ Delta`, which needs the rest of `Delta`: the same correlation-robustness
//! assumption (with the same leak) that the garbling under `Delta` already rests on.
//! So the reverse direction's base OTs are as secure as the checked batch and the
//! base OTs are run once per session, not twice. Each bootstrap OT is used for
//! nothing else.
//!
//! # Base OTs
//!
//! The setup ([`Receiver::new`], [`Sender::new`]) runs the 128 base OTs as endemic
//! OTs ([`crate::endemic`], Masny-Rindal: UC-secure against a malicious party in the
//! random-oracle model under CDH, random keys as KOS15 takes them), not the
//! Chou-Orlandi OTs of the semi-honest flavours: its messages are [`SetupOffer`] and
//! [`SetupAnswer`], not [`iknp::SetupOffer`] and [`iknp::SetupAnswer`].
//!
//! What it does not do: protect the receiver against a malicious *sender* beyond
//! IKNP's own (the sender has no choices to be inconsistent with; its `Delta` is
//! whatever it picked).

use mpc_crypto::chi::chi_sums;
use mpc_crypto::gf128::{self, Accumulator};
use mpc_crypto::{Block, Delta};
use rand_core::{CryptoRng, RngCore};
use subtle::{Choice, ConditionallySelectable};
use zeroize::Zeroize;

use crate::endemic;
use crate::error::{OtError, Result};
use crate::iknp::{self, pack_bits, unpack_bits, Extend, BASE_OTS};
use crate::wire::Reader;
use crate::MAX_BATCH;

/// Setup message 2 (sender to receiver): the endemic base-OT receiver's pairs (8197
/// bytes for the 128 base OTs).
pub use crate::endemic::ReceiverReply as SetupAnswer;
/// Setup message 1 (receiver to sender): the endemic base-OT sender's point (33 bytes;
/// not IKNP's Chou-Orlandi [`iknp::SetupOffer`], see the module docs).
pub use crate::endemic::SenderSetup as SetupOffer;

/// Random OTs appended to every batch to mask the check (>= kappa + s = 168, rounded
/// to whole 128-OT tiles).
pub const CHECK_OTS: usize = 256;
const TAG_CHALLENGE: u8 = 0xC1;
const TAG_PROOF: u8 = 0xC2;

/// The sender's fresh challenge seed for one batch (17 bytes on the wire).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Challenge(Block);

impl Challenge {
    const WHAT: &'static str = "OT consistency challenge";
    /// The size of the wire encoding.
    pub const LEN: usize = 17;

    /// Wire encoding: tag `0xC1`, then the 16-byte seed.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(17);
        out.push(TAG_CHALLENGE);
        out.extend_from_slice(&self.0.to_bytes());
        out
    }

    /// Checked decoding.
    pub fn from_bytes(bytes: &[u8]) -> Result<Challenge> {
        let mut r = Reader::new(Self::WHAT, bytes, TAG_CHALLENGE)?;
        let seed = block(r.take(16)?);
        r.finish()?;
        Ok(Challenge(seed))
    }
}

/// The receiver's answer `(x, t)` to a [`Challenge`] (33 bytes on the wire).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Proof {
    x: u128,
    t: u128,
}

impl Proof {
    const WHAT: &'static str = "OT consistency proof";
    /// The size of the wire encoding.
    pub const LEN: usize = 33;

    /// Wire encoding: tag `0xC2`, `x`, `t` (16 bytes each, little-endian).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(33);
        out.push(TAG_PROOF);
        out.extend_from_slice(&self.x.to_le_bytes());
        out.extend_from_slice(&self.t.to_le_bytes());
        out
    }

    /// Checked decoding.
    pub fn from_bytes(bytes: &[u8]) -> Result<Proof> {
        let mut r = Reader::new(Self::WHAT, bytes, TAG_PROOF)?;
        let x = u128::from(block(r.take(16)?));
        let t = u128::from(block(r.take(16)?));
        r.finish()?;
        Ok(Proof { x, t })
    }
}

fn block(bytes: &[u8]) -> Block {
    let mut b = [0u8; 16];
    b.copy_from_slice(bytes);
    Block::from(b)
}

/// The malicious-secure correlated-OT receiver waiting for the setup answer.
#[derive(Debug)]
pub struct ReceiverSetup(endemic::Sender);

impl ReceiverSetup {
    /// Completes the setup.
    pub fn finish(self, answer: &SetupAnswer) -> Result<Receiver> {
        let keys = self.0.finish(answer)?;
        iknp::ExtReceiver::from_base_keys(&keys).map(Receiver)
    }
}

/// The set-up receiver (chooser).
#[derive(Debug)]
pub struct Receiver(iknp::ExtReceiver);

impl Receiver {
    /// Starts the setup: the 128 base OTs are endemic OTs ([`crate::endemic`], secure
    /// against a malicious party), not [`crate::cot`]'s Chou-Orlandi ones.
    #[allow(clippy::new_ret_no_self)] // A type-state constructor: setup, then finish.
    pub fn new<R: RngCore + CryptoRng>(rng: &mut R) -> (ReceiverSetup, SetupOffer) {
        // `new` refuses only counts above MAX_BATCH, and BASE_OTS = 128 is below it.
        let (s, m) = endemic::Sender::new(rng, BASE_OTS).expect("BASE_OTS is within MAX_BATCH");
        (ReceiverSetup(s), m)
    }

    /// One batch: the [`Extend`] message for `choices.len() + CHECK_OTS` OTs and the
    /// state that answers the sender's challenge.
    pub fn extend<R: RngCore + CryptoRng>(
        &mut self,
        rng: &mut R,
        choices: &[bool],
    ) -> Result<(Extend, PendingReceiver)> {
        let n = choices.len();
        let total = with_check(n)?;
        let mut mask = [0u8; CHECK_OTS / 8];
        rng.fill_bytes(&mut mask);
        // The choices packed, then the check OTs' random bits at `n ..`.
        let mut packed = pack_bits(choices);
        packed.resize(total.div_ceil(128), 0);
        for i in 0..CHECK_OTS {
            let bit = u128::from((mask[i / 8] >> (i % 8)) & 1);
            packed[(n + i) / 128] |= bit << ((n + i) % 128);
        }
        mask.zeroize();
        self.extend_all(n, total, packed)
    }

    /// [`Self::extend`] for `n` uniformly random choices, drawn here: returns them
    /// (as bools, for the caller's own use) with the batch. The choices and the
    /// [`CHECK_OTS`] check bits come from one `fill_bytes` into the packed words, so
    /// no per-bit work is done but the unpacking of the `n` returned bools (the
    /// authenticated bits of mpc-auth are such random choices).
    pub fn extend_random<R: RngCore + CryptoRng>(
        &mut self,
        rng: &mut R,
        n: usize,
    ) -> Result<(Vec<bool>, Extend, PendingReceiver)> {
        let total = with_check(n)?;
        if total > MAX_BATCH {
            return Err(OtError::InvalidArgument(format!("{n} OTs in one batch is more than {MAX_BATCH}")));
        }
        let mut packed = vec![0u128; total.div_ceil(128)];
        rng.fill_bytes(bytemuck::cast_slice_mut(&mut packed));
        if total % 128 != 0 {
            // Bits from `total` on are zero (the packing's convention).
            if let Some(last) = packed.last_mut() {
                *last &= (1u128 << (total % 128)) - 1;
            }
        }
        let choices = unpack_bits(&packed, n);
        let (msg, pending) = self.extend_all(n, total, packed)?;
        Ok((choices, msg, pending))
    }

    /// A batch of `total` OTs whose choices are `packed` (the first `n` the caller's).
    fn extend_all(&mut self, n: usize, total: usize, packed: Vec<u128>) -> Result<(Extend, PendingReceiver)> {
        let mut bytes = Vec::new();
        let mut labels = Vec::new();
        let first = self.0.next_index();
        self.0.extend_packed(&packed, total, &mut bytes, &mut labels)?;
        let msg = Extend::from_parts(total, first, bytes);
        Ok((msg, PendingReceiver { n, choices: packed, labels, bootstrap: None }))
    }

    /// [`Self::extend`] with [`BOOTSTRAP_OTS`] more random OTs that become, after the
    /// check, the base OTs of the reverse direction, in which this party is the
    /// *sender* with `reverse_delta` (see the module docs). Returns the batch, the
    /// [`Flip`] to send with it, and the pending state
    /// ([`PendingReceiver::respond_bootstrap`]).
    pub fn extend_bootstrap<R: RngCore + CryptoRng>(
        &mut self,
        rng: &mut R,
        choices: &[bool],
        reverse_delta: &Delta,
    ) -> Result<(Extend, Flip, PendingReceiver)> {
        let r = u128::from(Block::random(rng));
        let mut all = Vec::with_capacity(choices.len() + BOOTSTRAP_OTS);
        all.extend_from_slice(choices);
        all.extend((0..BOOTSTRAP_OTS).map(|j| (r >> j) & 1 == 1));
        let (msg, mut pending) = self.extend(rng, &all)?;
        pending.n = choices.len();
        pending.bootstrap = Some(reverse_delta.clone());
        let flip = Flip(r ^ u128::from(reverse_delta.as_block()));
        Ok((msg, flip, pending))
    }
}

/// OTs added to a batch by [`Receiver::extend_bootstrap`] to seed the reverse
/// direction: one per base OT of IKNP.
pub const BOOTSTRAP_OTS: usize = BASE_OTS;
const TAG_FLIP: u8 = 0xC3;

/// The bootstrap receiver's `d = r ^ Delta'`: its random choices `r` in the
/// [`BOOTSTRAP_OTS`] bootstrap OTs XOR the bits of its reverse-direction `Delta'`
/// (Beaver's derandomisation). 17 bytes on the wire; `r` is uniform and hidden from
/// the sender by IKNP, so `d` reveals nothing about `Delta'`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flip(u128);

impl Flip {
    const WHAT: &'static str = "OT bootstrap flip";
    /// The size of the wire encoding.
    pub const LEN: usize = 17;

    /// Wire encoding: tag `0xC3`, then the 16 bytes of `d` (little-endian).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(Self::LEN);
        out.push(TAG_FLIP);
        out.extend_from_slice(&self.0.to_le_bytes());
        out
    }

    /// Checked decoding.
    pub fn from_bytes(bytes: &[u8]) -> Result<Flip> {
        let mut r = Reader::new(Self::WHAT, bytes, TAG_FLIP)?;
        let d = u128::from(block(r.take(16)?));
        r.finish()?;
        Ok(Flip(d))
    }
}

/// The tweak of bootstrap OT `j` in the hash that turns it into a random OT (a domain
/// of its own: bit 126 set, no other user of the hash sets it with these low bits).
fn bootstrap_tweak(j: usize) -> Block {
    Block::from((1u128 << 126) | j as u128)
}

/// A bootstrap batch's reverse `Delta` and its bootstrap OTs' labels.
type Bootstrap = (Delta, Vec<Block>);

/// A receiver's batch awaiting the challenge.
#[derive(Debug)]
pub struct PendingReceiver {
    n: usize,
    /// All the batch's choices, check OTs included, packed (bit `i % 128` of word
    /// `i / 128`).
    choices: Vec<u128>,
    labels: Vec<Block>,
    /// The reverse direction's `Delta` of a bootstrap batch.
    bootstrap: Option<Delta>,
}

impl PendingReceiver {
    /// The proof for `challenge` and the batch's `n` labels `K_i ^ c_i * Delta`.
    pub fn respond(self, challenge: &Challenge) -> (Proof, Vec<Block>) {
        let (proof, labels, _) = self.respond_all(challenge);
        (proof, labels)
    }

    /// For a batch of [`Receiver::extend_bootstrap`]: the proof, the batch's `n`
    /// labels, and the reverse direction's [`Sender`], whose base-OT keys are
    /// `H(T_j, j)` for the bootstrap OTs' labels `T_j`.
    ///
    /// # Errors
    /// [`OtError::InvalidArgument`] for a batch made by [`Receiver::extend`].
    pub fn respond_bootstrap(self, challenge: &Challenge) -> Result<(Proof, Vec<Block>, Sender)> {
        let (proof, labels, boot) = self.respond_all(challenge);
        let Some((delta, mut keys)) = boot else {
            return Err(OtError::InvalidArgument(
                "respond_bootstrap on a batch without bootstrap OTs".into(),
            ));
        };
        mpc_crypto::FixedKeyAes::global().tccr_many(&mut keys, bootstrap_tweak);
        let inner = iknp::sender_from_base_keys(delta.as_block(), &keys)?;
        keys.zeroize();
        Ok((proof, labels, Sender { inner, delta }))
    }

    /// The proof, the `n` labels, and for a bootstrap batch its `Delta'` and the
    /// bootstrap OTs' labels.
    fn respond_all(self, challenge: &Challenge) -> (Proof, Vec<Block>, Option<Bootstrap>) {
        let mut t = Accumulator::new();
        let (choices, labels) = (&self.choices, &self.labels);
        let labels_words: &[u128] = bytemuck::cast_slice(labels);
        // chi_i is block i of the challenge's stream; branch free in the choice bits.
        let x = chi_sums(&mut t, challenge.0, 0, labels_words, choices);
        let mut choices = self.choices;
        choices.zeroize();
        let mut labels = self.labels;
        let boot = self.bootstrap.map(|d| (d, labels[self.n..self.n + BOOTSTRAP_OTS].to_vec()));
        labels.truncate(self.n);
        (Proof { x, t: t.finish() }, labels, boot)
    }
}

/// The set-up sender (holder of `Delta`).
#[derive(Debug)]
pub struct Sender {
    inner: iknp::ExtSender,
    delta: Delta,
}

impl Sender {
    /// Answers the receiver's offer; the correlation is `delta`.
    pub fn new<R: RngCore + CryptoRng>(
        rng: &mut R,
        delta: &Delta,
        offer: &SetupOffer,
    ) -> Result<(Sender, SetupAnswer)> {
        let s = delta.as_block();
        let mut bits: Vec<bool> = (0..BASE_OTS).map(|j| (s.to_u128() >> j) & 1 == 1).collect();
        let received = endemic::receive(rng, offer, &bits);
        bits.zeroize();
        let (answer, keys) = received?;
        let inner = iknp::sender_from_base_keys(s, &keys)?;
        Ok((Sender { inner, delta: delta.clone() }, answer))
    }

    /// Takes a batch of `n` OTs (`n + CHECK_OTS` on the wire) and draws the challenge
    /// to send back. The labels stay locked in the [`PendingSender`] until the proof
    /// verifies.
    pub fn extend<R: RngCore + CryptoRng>(
        &mut self,
        rng: &mut R,
        n: usize,
        msg: &Extend,
    ) -> Result<(Challenge, PendingSender)> {
        let total = with_check(n)?;
        // The challenge is drawn once the batch is in (the receiver is bound by its
        // message).
        let challenge = Challenge(Block::random(rng));
        let pending = self.extend_checked(n, total, challenge, msg)?;
        Ok((challenge, pending))
    }

    /// [`Self::extend`] in two steps: the challenge now (drawn once the batch is in,
    /// from the same rng draw, so the messages are [`Self::extend`]'s), the batch's
    /// extension and check sum by [`Self::finish`], so a caller can send the challenge
    /// first. Batches are finished in the order they were taken (a batch out of order
    /// fails as a wrong batch index).
    pub fn challenge<R: RngCore + CryptoRng>(
        &mut self,
        rng: &mut R,
        n: usize,
        msg: Extend,
    ) -> Result<(Challenge, Unextended)> {
        let total = with_check(n)?;
        let challenge = Challenge(Block::random(rng));
        Ok((challenge, Unextended { n, total, challenge, msg }))
    }

    /// The extension of a batch taken by [`Self::challenge`]: its [`PendingSender`].
    pub fn finish(&mut self, batch: Unextended) -> Result<PendingSender> {
        let Unextended { n, total, challenge, msg } = batch;
        self.extend_checked(n, total, challenge, &msg)
    }

    /// The batch's zero-labels, with the check's sum `q = sum chi_i Q_i` taken chunk by
    /// chunk as the rows come out of the extension, while they are in cache.
    fn extend_checked(
        &mut self,
        n: usize,
        total: usize,
        challenge: Challenge,
        msg: &Extend,
    ) -> Result<PendingSender> {
        let mut q = Accumulator::new();
        let mut zero_labels = Vec::new();
        // The chunks come in order: `done` rows summed so far, so the chunk's first
        // coefficient is block `done` of the challenge's stream.
        let mut done = 0u128;
        self.inner.extend_into_with(total, msg.as_bytes(), &mut zero_labels, |rows| {
            chi_sums(&mut q, challenge.0, done, bytemuck::cast_slice(rows), &[]);
            done += rows.len() as u128;
        })?;
        Ok(PendingSender { n, q: q.finish(), zero_labels, delta: self.delta.clone(), bootstrap: false })
    }

    /// [`Self::extend`] for a batch of [`Receiver::extend_bootstrap`]: `n` OTs plus
    /// [`BOOTSTRAP_OTS`] (plus [`CHECK_OTS`] on the wire).
    pub fn extend_bootstrap<R: RngCore + CryptoRng>(
        &mut self,
        rng: &mut R,
        n: usize,
        msg: &Extend,
    ) -> Result<(Challenge, PendingSender)> {
        let total = n
            .checked_add(BOOTSTRAP_OTS)
            .ok_or_else(|| OtError::InvalidArgument(format!("{n} OTs is more than one batch can hold")))?;
        let (challenge, mut pending) = self.extend(rng, total, msg)?;
        pending.n = n;
        pending.bootstrap = true;
        Ok((challenge, pending))
    }
}

/// `n` OTs and the check's, on the wire.
fn with_check(n: usize) -> Result<usize> {
    n.checked_add(CHECK_OTS)
        .ok_or_else(|| OtError::InvalidArgument(format!("{n} OTs is more than one batch can hold")))
}

/// A sender's batch taken and challenged ([`Sender::challenge`]), not yet extended:
/// finish it with [`Sender::finish`].
pub struct Unextended {
    n: usize,
    total: usize,
    challenge: Challenge,
    msg: Extend,
}

impl core::fmt::Debug for Unextended {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Unextended").field("n", &self.n).finish_non_exhaustive()
    }
}

/// A sender's batch awaiting the receiver's proof.
#[derive(Debug)]
pub struct PendingSender {
    n: usize,
    /// `sum chi_i Q_i` over the batch (every OT, check OTs included).
    q: u128,
    zero_labels: Vec<Block>,
    delta: Delta,
    /// Whether [`BOOTSTRAP_OTS`] follow the `n` OTs.
    bootstrap: bool,
}

impl PendingSender {
    /// Checks the proof; on success the batch's `n` zero-labels `K_i`. On failure
    /// [`OtError::ConsistencyCheck`], and the labels are dropped.
    pub fn verify(self, proof: &Proof) -> Result<Vec<Block>> {
        self.verify_all(proof).map(|(labels, _)| labels)
    }

    /// For a batch of [`Sender::extend_bootstrap`]: checks the proof; on success the
    /// batch's `n` zero-labels and the reverse direction's [`Receiver`], whose base-OT
    /// key pairs are `(m_{d_j}, m_{1 ^ d_j})` with `m_b = H(Q_j ^ b Delta, j)` for the
    /// bootstrap OTs' zero-labels `Q_j` and the receiver's [`Flip`] `d`. Nothing is
    /// derived from a batch whose check failed.
    ///
    /// # Errors
    /// [`OtError::ConsistencyCheck`] as [`Self::verify`]; [`OtError::InvalidArgument`]
    /// for a batch made by [`Sender::extend`].
    pub fn verify_bootstrap(self, proof: &Proof, flip: &Flip) -> Result<(Vec<Block>, Receiver)> {
        if !self.bootstrap {
            return Err(OtError::InvalidArgument("verify_bootstrap on a batch without bootstrap OTs".into()));
        }
        let d = self.delta.as_block();
        let (labels, boot) = self.verify_all(proof)?;
        let aes = mpc_crypto::FixedKeyAes::global();
        let mut m0 = boot;
        let mut m1: Vec<Block> = m0.iter().map(|&q| q ^ d).collect();
        aes.tccr_many(&mut m0, bootstrap_tweak);
        aes.tccr_many(&mut m1, bootstrap_tweak);
        let keys: Vec<[Block; 2]> = (0..BOOTSTRAP_OTS)
            .map(|j| {
                let swap = Choice::from(((flip.0 >> j) & 1) as u8);
                [
                    Block::conditional_select(&m0[j], &m1[j], swap),
                    Block::conditional_select(&m1[j], &m0[j], swap),
                ]
            })
            .collect();
        let receiver = iknp::ExtReceiver::from_base_keys(&keys)?;
        m0.zeroize();
        m1.zeroize();
        let mut keys = keys;
        keys.iter_mut().for_each(|k| k.zeroize());
        Ok((labels, Receiver(receiver)))
    }

    /// The `n` zero-labels and, for a bootstrap batch, the bootstrap OTs' zero-labels.
    fn verify_all(self, proof: &Proof) -> Result<(Vec<Block>, Vec<Block>)> {
        let expect = self.q ^ gf128::mul(proof.x, u128::from(self.delta.as_block()));
        // Public outcome (the receiver learns it anyway from whether we continue); the
        // comparison itself is on values the receiver computed.
        if expect != proof.t {
            return Err(OtError::ConsistencyCheck { batch_ots: self.n });
        }
        let mut labels = self.zero_labels;
        let boot = if self.bootstrap { labels[self.n..self.n + BOOTSTRAP_OTS].to_vec() } else { Vec::new() };
        labels.truncate(self.n);
        Ok((labels, boot))
    }
}
