//! Random OT from IKNP: the sender gets two random keys per OT, the receiver the one
//! its choice bit selects.
//!
//! On top of the correlated rows (`Q_i = T_i ^ r_i * s`, `s` a fresh secret of the
//! sender) both sides hash with the tweakable correlation-robust hash of mpc-crypto,
//! tweaked by the OT's index in the session (unique: indices only grow):
//! `k0_i = H(Q_i, i)`, `k1_i = H(Q_i ^ s, i)`, and the receiver computes
//! `H(T_i, i) = k_{r_i}`. Message flow is that of [`crate::cot`]: one setup round trip
//! ([`crate::iknp::SetupOffer`], [`crate::iknp::SetupAnswer`]) and one
//! [`crate::iknp::Extend`] per batch.
//!
//! Guarantees: `keys[i][choices[i]] == chosen[i]`; the other key is pseudorandom to the
//! receiver (TCCR security of the fixed-key AES hash) and the sender learns nothing
//! about the choices.

use mpc_crypto::{Block, FixedKeyAes};
use rand_core::{CryptoRng, RngCore};

use crate::error::Result;
use crate::iknp::{self, Extend, SetupAnswer, SetupOffer};

/// Hashes rows in place: `rows[k] <- H(rows[k] ^ offset, first + k)`.
pub(crate) fn hash_rows(rows: &mut [Block], offset: Block, first: u64) {
    for r in rows.iter_mut() {
        *r ^= offset;
    }
    FixedKeyAes::global().tccr_many(rows, |k| Block::from(first + k as u64));
}

/// The random-OT receiver waiting for the [`SetupAnswer`].
#[derive(Debug)]
pub struct ReceiverSetup(iknp::ReceiverSetup);

impl ReceiverSetup {
    /// Completes the setup.
    pub fn finish(self, answer: &SetupAnswer) -> Result<Receiver> {
        self.0.finish(answer).map(Receiver)
    }
}

/// The set-up random-OT receiver.
#[derive(Debug)]
pub struct Receiver(iknp::ExtReceiver);

impl Receiver {
    /// Starts the setup: returns the state to finish and the message for the sender.
    #[allow(clippy::new_ret_no_self)] // A type-state constructor: setup, then finish.
    pub fn new<R: RngCore + CryptoRng>(rng: &mut R) -> (ReceiverSetup, SetupOffer) {
        let (s, m) = iknp::receiver_setup(rng);
        (ReceiverSetup(s), m)
    }

    /// One batch: the message for the sender and the key `k_{c_i}` for each choice.
    pub fn extend(&mut self, choices: &[bool]) -> Result<(Extend, Vec<Block>)> {
        let first = self.0.next_index();
        let (msg, mut rows) = self.0.extend(choices)?;
        hash_rows(&mut rows, Block::ZERO, first);
        Ok((msg, rows))
    }
}

/// The set-up random-OT sender.
#[derive(Debug)]
pub struct Sender(iknp::ExtSender);

impl Sender {
    /// Answers the receiver's offer with a fresh random secret `s`.
    pub fn new<R: RngCore + CryptoRng>(rng: &mut R, offer: &SetupOffer) -> Result<(Sender, SetupAnswer)> {
        let s = Block::random(rng);
        let (ext, m) = iknp::sender_setup(rng, s, offer)?;
        Ok((Sender(ext), m))
    }

    /// One batch of `n` OTs: both keys `[k0_i, k1_i]` of each OT.
    pub fn extend(&mut self, n: usize, msg: &Extend) -> Result<Vec<[Block; 2]>> {
        let first = self.0.next_index();
        let s = self.0.s();
        let rows = self.0.extend(n, msg)?;
        let mut keys: Vec<[Block; 2]> = rows.iter().map(|&q| [q, q ^ s]).collect();
        // Both keys of OT k share its tweak `first + k`.
        let flat: &mut [Block] = bytemuck::cast_slice_mut(&mut keys);
        FixedKeyAes::global().tccr_many(flat, |k| Block::from(first + (k / 2) as u64));
        Ok(keys)
    }
}
