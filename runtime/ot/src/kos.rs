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
//! What it does not do: protect the receiver against a malicious *sender* beyond
//! IKNP's own (the sender has no choices to be inconsistent with; its `Delta` is
//! whatever it picked), nor make the base OTs malicious-secure (see [`crate::base`]).

use mpc_crypto::gf128::{self, Accumulator};
use mpc_crypto::{Block, Delta, Prg};
use rand_core::{CryptoRng, RngCore};

use crate::cot;
use crate::error::{OtError, Result};
use crate::iknp::{Extend, SetupAnswer, SetupOffer};
use crate::wire::Reader;

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

    /// The coefficients `chi_i` of `count` OTs.
    fn coefficients(&self, count: usize) -> Vec<u128> {
        let mut prg = Prg::from_seed_block(self.0);
        prg.blocks(count).into_iter().map(u128::from).collect()
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
pub struct ReceiverSetup(cot::ReceiverSetup);

impl ReceiverSetup {
    /// Completes the setup.
    pub fn finish(self, answer: &SetupAnswer) -> Result<Receiver> {
        self.0.finish(answer).map(Receiver)
    }
}

/// The set-up receiver (chooser).
#[derive(Debug)]
pub struct Receiver(cot::Receiver);

impl Receiver {
    /// Starts the setup (the same messages as [`cot`]).
    #[allow(clippy::new_ret_no_self)] // A type-state constructor: setup, then finish.
    pub fn new<R: RngCore + CryptoRng>(rng: &mut R) -> (ReceiverSetup, SetupOffer) {
        let (s, m) = cot::Receiver::new(rng);
        (ReceiverSetup(s), m)
    }

    /// One batch: the [`Extend`] message for `choices.len() + CHECK_OTS` OTs and the
    /// state that answers the sender's challenge.
    pub fn extend<R: RngCore + CryptoRng>(
        &mut self,
        rng: &mut R,
        choices: &[bool],
    ) -> Result<(Extend, PendingReceiver)> {
        let mut all = Vec::with_capacity(choices.len() + CHECK_OTS);
        all.extend_from_slice(choices);
        let mut mask = [0u8; CHECK_OTS / 8];
        rng.fill_bytes(&mut mask);
        all.extend((0..CHECK_OTS).map(|i| (mask[i / 8] >> (i % 8)) & 1 == 1));
        let (msg, labels) = self.0.extend(&all)?;
        Ok((msg, PendingReceiver { n: choices.len(), choices: all, labels }))
    }
}

/// A receiver's batch awaiting the challenge.
#[derive(Debug)]
pub struct PendingReceiver {
    n: usize,
    choices: Vec<bool>,
    labels: Vec<Block>,
}

impl PendingReceiver {
    /// The proof for `challenge` and the batch's `n` labels `K_i ^ c_i * Delta`.
    pub fn respond(self, challenge: &Challenge) -> (Proof, Vec<Block>) {
        let chi = challenge.coefficients(self.labels.len());
        let mut x = 0u128;
        let mut t = Accumulator::new();
        for ((&c, &label), &chi) in self.choices.iter().zip(&self.labels).zip(&chi) {
            // Branch free in the choice bit.
            x ^= chi & 0u128.wrapping_sub(c as u128);
            t.add_product(chi, u128::from(label));
        }
        let mut labels = self.labels;
        labels.truncate(self.n);
        (Proof { x, t: t.finish() }, labels)
    }
}

/// The set-up sender (holder of `Delta`).
#[derive(Debug)]
pub struct Sender {
    inner: cot::Sender,
    delta: Delta,
}

impl Sender {
    /// Answers the receiver's offer; the correlation is `delta`.
    pub fn new<R: RngCore + CryptoRng>(
        rng: &mut R,
        delta: &Delta,
        offer: &SetupOffer,
    ) -> Result<(Sender, SetupAnswer)> {
        let (inner, answer) = cot::Sender::new(rng, delta, offer)?;
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
        let total = n
            .checked_add(CHECK_OTS)
            .ok_or_else(|| OtError::InvalidArgument(format!("{n} OTs is more than one batch can hold")))?;
        let zero_labels = self.inner.extend(total, msg)?;
        let challenge = Challenge(Block::random(rng));
        Ok((challenge, PendingSender { n, challenge, zero_labels, delta: self.delta.clone() }))
    }
}

/// A sender's batch awaiting the receiver's proof.
#[derive(Debug)]
pub struct PendingSender {
    n: usize,
    challenge: Challenge,
    zero_labels: Vec<Block>,
    delta: Delta,
}

impl PendingSender {
    /// Checks the proof; on success the batch's `n` zero-labels `K_i`. On failure
    /// [`OtError::ConsistencyCheck`], and the labels are dropped.
    pub fn verify(self, proof: &Proof) -> Result<Vec<Block>> {
        let chi = self.challenge.coefficients(self.zero_labels.len());
        let mut q = Accumulator::new();
        for (&k, &chi) in self.zero_labels.iter().zip(&chi) {
            q.add_product(chi, u128::from(k));
        }
        let expect = q.finish() ^ gf128::mul(proof.x, u128::from(self.delta.as_block()));
        // Public outcome (the receiver learns it anyway from whether we continue); the
        // comparison itself is on values the receiver computed.
        if expect != proof.t {
            return Err(OtError::ConsistencyCheck { batch_ots: self.n });
        }
        let mut labels = self.zero_labels;
        labels.truncate(self.n);
        Ok(labels)
    }
}
