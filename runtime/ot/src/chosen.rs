//! Chosen-message 1-of-2 OT of [`Block`]s from IKNP (random OT plus one-time pads).
//!
//! The sender holds pairs `[m0_i, m1_i]`, the receiver choice bits `c_i`; the receiver
//! learns `m_{c_i}` and nothing about `m_{1-c_i}`, the sender nothing about `c_i`.
//!
//! ```text
//! receiver                                           sender
//! (setup round trip as in crate::cot)
//! let (msg, pending) = receiver.extend(&choices)?;
//!                      ----- Extend ----->
//!                                   let reply = sender.send(&messages, &msg)?;
//!                      <---- Transfer ----
//! let chosen = receiver.receive(pending, &reply)?;
//! ```
//!
//! `Transfer` carries `y_b,i = m_b,i ^ k_b,i` with the random-OT keys of
//! [`crate::rot`]; the receiver unmasks `y_{c_i},i` with its key. Two messages per
//! batch.
//!
//! Guarantees: a [`Transfer`] for a different batch (count or first index) is refused;
//! the receiver's selection of `y_{c_i}` is constant time.

use mpc_crypto::Block;
use rand_core::{CryptoRng, RngCore};
use subtle::{Choice, ConditionallySelectable};
use zeroize::Zeroize;

use crate::error::{OtError, Result};
use crate::iknp::{self, decode_blocks, Extend, SetupAnswer, SetupOffer};
use crate::rot::hash_rows;
use crate::wire::{put_count, Reader};
use crate::MAX_BATCH;

const TAG_TRANSFER: u8 = 0xE2;

/// The sender's masked messages for one batch.
///
/// Wire encoding: tag `0xE2`, `u32` count `n`, `u64` first OT index (little-endian),
/// then `2n` blocks: `y0_i, y1_i` for each OT in order.
#[derive(Clone)]
pub struct Transfer {
    first: u64,
    y: Vec<[Block; 2]>,
}

impl core::fmt::Debug for Transfer {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Transfer")
            .field("n", &self.y.len())
            .field("first", &self.first)
            .finish_non_exhaustive()
    }
}

impl Transfer {
    const WHAT: &'static str = "chosen-OT transfer";

    /// The number of OTs in this batch.
    pub fn len(&self) -> usize {
        self.y.len()
    }

    /// Whether the batch is empty.
    pub fn is_empty(&self) -> bool {
        self.y.is_empty()
    }

    /// The wire encoding.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(13 + 32 * self.y.len());
        out.push(TAG_TRANSFER);
        put_count(&mut out, self.y.len());
        out.extend_from_slice(&self.first.to_le_bytes());
        for [a, b] in &self.y {
            out.extend_from_slice(&a.to_bytes());
            out.extend_from_slice(&b.to_bytes());
        }
        out
    }

    /// Checked decoding: tag, count within [`MAX_BATCH`], exact length.
    pub fn from_bytes(bytes: &[u8]) -> Result<Transfer> {
        let mut r = Reader::new(Self::WHAT, bytes, TAG_TRANSFER)?;
        let n = r.count()?;
        if n > MAX_BATCH {
            return Err(r.malformed(format!("{n} OTs is more than the limit {MAX_BATCH}")));
        }
        let mut first = [0u8; 8];
        first.copy_from_slice(r.take(8)?);
        r.expect_remaining(32 * n)?;
        let flat = decode_blocks(r.take(32 * n)?);
        r.finish()?;
        let y = flat.chunks_exact(2).map(|p| [p[0], p[1]]).collect();
        Ok(Transfer { first: u64::from_le_bytes(first), y })
    }
}

/// What the receiver keeps between sending [`Extend`] and getting the [`Transfer`].
pub struct Pending {
    first: u64,
    choices: Vec<bool>,
    keys: Vec<Block>,
}

impl core::fmt::Debug for Pending {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Pending")
            .field("n", &self.keys.len())
            .field("first", &self.first)
            .finish_non_exhaustive()
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        self.keys.zeroize();
        self.choices.zeroize();
    }
}

/// The chosen-OT receiver waiting for the [`SetupAnswer`].
#[derive(Debug)]
pub struct ReceiverSetup(iknp::ReceiverSetup);

impl ReceiverSetup {
    /// Completes the setup.
    pub fn finish(self, answer: &SetupAnswer) -> Result<Receiver> {
        self.0.finish(answer).map(Receiver)
    }
}

/// The set-up chosen-OT receiver.
#[derive(Debug)]
pub struct Receiver(iknp::ExtReceiver);

impl Receiver {
    /// Starts the setup: returns the state to finish and the message for the sender.
    #[allow(clippy::new_ret_no_self)] // A type-state constructor: setup, then finish.
    pub fn new<R: RngCore + CryptoRng>(rng: &mut R) -> (ReceiverSetup, SetupOffer) {
        let (s, m) = iknp::receiver_setup(rng);
        (ReceiverSetup(s), m)
    }

    /// Starts one batch: the message for the sender and the state for [`Self::receive`].
    pub fn extend(&mut self, choices: &[bool]) -> Result<(Extend, Pending)> {
        let first = self.0.next_index();
        let (msg, mut keys) = self.0.extend(choices)?;
        hash_rows(&mut keys, Block::ZERO, first);
        Ok((msg, Pending { first, choices: choices.to_vec(), keys }))
    }

    /// Finishes a batch: `m_{c_i}` for each choice `c_i`.
    pub fn receive(&self, pending: Pending, transfer: &Transfer) -> Result<Vec<Block>> {
        if transfer.len() != pending.keys.len() {
            return Err(OtError::CountMismatch {
                what: Transfer::WHAT,
                expected: pending.keys.len(),
                got: transfer.len(),
            });
        }
        if transfer.first != pending.first {
            return Err(OtError::Malformed {
                what: Transfer::WHAT,
                reason: format!("answers the batch at OT {}, expected {}", transfer.first, pending.first),
            });
        }
        let out = transfer
            .y
            .iter()
            .zip(pending.keys.iter().zip(pending.choices.iter()))
            .map(|([y0, y1], (k, &c))| Block::conditional_select(y0, y1, Choice::from(c as u8)) ^ *k)
            .collect();
        Ok(out)
    }
}

/// The set-up chosen-OT sender.
#[derive(Debug)]
pub struct Sender(crate::rot::Sender);

impl Sender {
    /// Answers the receiver's offer (with a fresh random secret).
    pub fn new<R: RngCore + CryptoRng>(rng: &mut R, offer: &SetupOffer) -> Result<(Sender, SetupAnswer)> {
        let (s, m) = crate::rot::Sender::new(rng, offer)?;
        Ok((Sender(s), m))
    }

    /// Masks `messages[i] = [m0_i, m1_i]` for the receiver's batch `msg` (which must be
    /// for `messages.len()` OTs).
    pub fn send(&mut self, messages: &[[Block; 2]], msg: &Extend) -> Result<Transfer> {
        let first = msg.first_index();
        // The random-OT keys become the masked messages in place.
        let mut y = self.0.extend(messages.len(), msg)?;
        for ([k0, k1], [m0, m1]) in y.iter_mut().zip(messages) {
            *k0 ^= *m0;
            *k1 ^= *m1;
        }
        Ok(Transfer { first, y })
    }
}
