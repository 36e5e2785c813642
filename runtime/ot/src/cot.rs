//! Correlated OT with the garbler's `Delta`: the evaluator's input labels straight from
//! IKNP.
//!
//! The [`Sender`] (garbler) holds `Delta` and gets zero-labels `K_i`; the [`Receiver`]
//! (evaluator) with choice bits `c_i` gets `K_i ^ c_i * Delta`. No hashing: these are
//! the raw IKNP rows, which is exactly what free-XOR garbling wants (EMP does the same).
//!
//! ```text
//! evaluator (Receiver)                               garbler (Sender, Delta)
//! let (setup, offer) = Receiver::new(rng);
//!                       --- SetupOffer -->
//!                                  let (sender, answer) = Sender::new(rng, &delta, &offer)?;
//!                       <-- SetupAnswer ---
//! let mut receiver = setup.finish(&answer)?;
//! // per batch:
//! let (msg, labels) = receiver.extend(&choices)?;
//!                       ----- Extend ----->
//!                                  let zero_labels = sender.extend(choices.len(), &msg)?;
//! ```
//!
//! Guarantees: `labels[i] == zero_labels[i] ^ (choices[i] as Delta)` for every batch;
//! the sender never sees a choice bit, the receiver never sees `Delta`.

use mpc_crypto::{Block, Delta};
use rand_core::{CryptoRng, RngCore};

use crate::error::Result;
use crate::iknp::{self, Extend, SetupAnswer, SetupOffer};

/// The correlated-OT receiver (evaluator) waiting for the [`SetupAnswer`].
#[derive(Debug)]
pub struct ReceiverSetup(iknp::ReceiverSetup);

impl ReceiverSetup {
    /// Completes the setup.
    pub fn finish(self, answer: &SetupAnswer) -> Result<Receiver> {
        self.0.finish(answer).map(Receiver)
    }
}

/// The set-up correlated-OT receiver (evaluator).
#[derive(Debug)]
pub struct Receiver(iknp::ExtReceiver);

impl Receiver {
    /// Starts the setup: returns the state to finish and the message for the sender.
    #[allow(clippy::new_ret_no_self)] // A type-state constructor: setup, then finish.
    pub fn new<R: RngCore + CryptoRng>(rng: &mut R) -> (ReceiverSetup, SetupOffer) {
        let (s, m) = iknp::receiver_setup(rng);
        (ReceiverSetup(s), m)
    }

    /// One batch: the message for the sender and the label `K_i ^ c_i * Delta` of each
    /// choice bit `c_i`.
    pub fn extend(&mut self, choices: &[bool]) -> Result<(Extend, Vec<Block>)> {
        self.0.extend(choices)
    }

    /// [`Self::extend`] into reused buffers (both cleared first): `msg` gets the wire
    /// encoding of the [`Extend`] message to send, `labels` the labels. The fast path
    /// for streaming many batches: no allocation once the buffers have grown.
    pub fn extend_into(
        &mut self,
        choices: &[bool],
        msg: &mut Vec<u8>,
        labels: &mut Vec<Block>,
    ) -> Result<()> {
        self.0.extend_into(choices, msg, labels)
    }

    /// The number of OTs consumed so far (padding included).
    pub fn position(&self) -> u64 {
        self.0.next_index()
    }
}

/// The set-up correlated-OT sender (garbler).
#[derive(Debug)]
pub struct Sender(iknp::ExtSender);

impl Sender {
    /// Answers the receiver's offer; the correlation is `delta`.
    pub fn new<R: RngCore + CryptoRng>(
        rng: &mut R,
        delta: &Delta,
        offer: &SetupOffer,
    ) -> Result<(Sender, SetupAnswer)> {
        let (s, m) = iknp::sender_setup(rng, delta.as_block(), offer)?;
        Ok((Sender(s), m))
    }

    /// One batch of `n` OTs: the zero-labels `K_i`. Refuses a message for a different
    /// count or out of sequence.
    pub fn extend(&mut self, n: usize, msg: &Extend) -> Result<Vec<Block>> {
        self.0.extend(n, msg)
    }

    /// [`Self::extend`] straight from the received bytes of an [`Extend`] message
    /// (validated here) into a reused buffer (cleared first). The state is unchanged on
    /// error.
    pub fn extend_into(&mut self, n: usize, msg: &[u8], zero_labels: &mut Vec<Block>) -> Result<()> {
        self.0.extend_into(n, msg, zero_labels)
    }

    /// The number of OTs consumed so far (padding included).
    pub fn position(&self) -> u64 {
        self.0.next_index()
    }
}
