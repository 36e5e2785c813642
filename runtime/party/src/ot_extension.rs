//! Which correlated-OT extension delivers the evaluator's input labels, and the one
//! type per role and message that hides the choice from the state machines.
//!
//! The rule ([`ot_extension_for`]) depends only on the number of OTs the session
//! runs (the evaluator's input bits times the instances), which both parties know
//! from the program, so both choose the same; the hello carries the choice
//! ([`crate::handshake::Hello`]) so that a peer that chose otherwise is refused by
//! name. SoftSpoken ([`mpc_ot::softspoken`], k = [`SOFTSPOKEN_K`]) sends
//! `ceil(128 / k)` bits per OT instead of IKNP's 128 ([`mpc_ot::cot`]) but its first
//! batch also carries the GGM tree sums, so it is chosen exactly when the evaluator's
//! OT bytes (offer and the one extension frame; the answers have the same size) are
//! fewer. Both are semi-honest with kappa = 128 and give the same outputs:
//! `labels[i] == zero_labels[i] ^ (choices[i] as Delta)`.
//!
//! Guarantees: a setup message, answer or receiver state of one extension is never
//! handed to the other (the decoders take the extension the hello fixed); a
//! SoftSpoken offer with another `k` than [`SOFTSPOKEN_K`] is refused.

use mpc_crypto::{Block, Delta};
use mpc_ot::{cot, iknp, softspoken};
use rand_core::{CryptoRng, RngCore};

use crate::SessionError;

/// The SoftSpoken parameter the session uses (5.4 bytes per OT; the `k` that beat
/// IKNP on every link measured in docs/benchmarks.md).
pub const SOFTSPOKEN_K: u8 = softspoken::DEFAULT_K;

/// Bytes a SoftSpoken setup offer has beyond IKNP's (its tag and `k`).
const SOFTSPOKEN_OFFER_EXTRA: usize = 2;

/// The OT extension of a session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OtExtension {
    /// IKNP: 16 bytes per OT.
    Iknp,
    /// SoftSpoken with k = [`SOFTSPOKEN_K`].
    SoftSpoken,
}

impl OtExtension {
    /// The hello's byte: 0 for IKNP, `k` for SoftSpoken.
    pub fn tag(self) -> u8 {
        match self {
            OtExtension::Iknp => 0,
            OtExtension::SoftSpoken => SOFTSPOKEN_K,
        }
    }

    /// The extension of a hello byte ([`OtExtension::tag`]); `None` for any other.
    pub fn from_tag(tag: u8) -> Option<OtExtension> {
        match tag {
            0 => Some(OtExtension::Iknp),
            SOFTSPOKEN_K => Some(OtExtension::SoftSpoken),
            _ => None,
        }
    }

    /// The bytes the evaluator sends for `ots` OTs in one batch (beyond the answer,
    /// the same size for both): setup offer and extension frame body, relative to
    /// IKNP's offer.
    fn evaluator_bytes(self, ots: usize) -> usize {
        match self {
            OtExtension::Iknp => iknp::Extend::encoded_len_for(ots),
            OtExtension::SoftSpoken => {
                // SOFTSPOKEN_K is within 2..=8, so the size is defined.
                let extend =
                    softspoken::Extend::encoded_len_for(ots, SOFTSPOKEN_K, true).unwrap_or(usize::MAX);
                extend.saturating_add(SOFTSPOKEN_OFFER_EXTRA)
            }
        }
    }

    /// Size bound of the one extension frame for `ots` OTs.
    pub fn max_extend_len(self, ots: usize) -> usize {
        match self {
            OtExtension::Iknp => iknp::Extend::encoded_len_for(ots),
            OtExtension::SoftSpoken => softspoken::Extend::max_encoded_len(ots),
        }
    }
}

impl std::fmt::Display for OtExtension {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OtExtension::Iknp => f.write_str("IKNP"),
            OtExtension::SoftSpoken => write!(f, "SoftSpoken (k = {SOFTSPOKEN_K})"),
        }
    }
}

/// The OT extension of a session of `ots` correlated OTs (the evaluator's input bits
/// times the instances): SoftSpoken when the evaluator sends fewer bytes with it
/// (from 257 OTs on at k = 3: three or more 128-OT tiles pay for the 2,720 bytes of
/// tree sums), IKNP below, where the base OTs dominate the cost anyway.
pub fn ot_extension_for(ots: usize) -> OtExtension {
    if OtExtension::SoftSpoken.evaluator_bytes(ots) < OtExtension::Iknp.evaluator_bytes(ots) {
        OtExtension::SoftSpoken
    } else {
        OtExtension::Iknp
    }
}

/// The evaluator's setup offer.
#[derive(Debug, Clone)]
pub enum OtOffer {
    /// IKNP's.
    Iknp(iknp::SetupOffer),
    /// SoftSpoken's.
    SoftSpoken(softspoken::SetupOffer),
}

impl OtOffer {
    /// The wire encoding.
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            OtOffer::Iknp(o) => o.to_bytes(),
            OtOffer::SoftSpoken(o) => o.to_bytes(),
        }
    }

    /// Checked decoding as `ext`'s offer.
    pub fn from_bytes(ext: OtExtension, bytes: &[u8]) -> Result<OtOffer, mpc_ot::OtError> {
        match ext {
            OtExtension::Iknp => iknp::SetupOffer::from_bytes(bytes).map(OtOffer::Iknp),
            OtExtension::SoftSpoken => softspoken::SetupOffer::from_bytes(bytes).map(OtOffer::SoftSpoken),
        }
    }
}

/// The garbler's setup answer.
#[derive(Debug, Clone)]
pub enum OtAnswer {
    /// IKNP's.
    Iknp(iknp::SetupAnswer),
    /// SoftSpoken's.
    SoftSpoken(softspoken::SetupAnswer),
}

impl OtAnswer {
    /// The wire encoding.
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            OtAnswer::Iknp(a) => a.to_bytes(),
            OtAnswer::SoftSpoken(a) => a.to_bytes(),
        }
    }

    /// Checked decoding as `ext`'s answer.
    pub fn from_bytes(ext: OtExtension, bytes: &[u8]) -> Result<OtAnswer, mpc_ot::OtError> {
        match ext {
            OtExtension::Iknp => iknp::SetupAnswer::from_bytes(bytes).map(OtAnswer::Iknp),
            OtExtension::SoftSpoken => softspoken::SetupAnswer::from_bytes(bytes).map(OtAnswer::SoftSpoken),
        }
    }
}

/// The evaluator's side after its offer.
#[derive(Debug)]
pub(crate) enum ReceiverSetup {
    Iknp(cot::ReceiverSetup),
    SoftSpoken(softspoken::ReceiverSetup),
}

/// Starts the evaluator's side of `ext`.
pub(crate) fn receiver<R: RngCore + CryptoRng>(ext: OtExtension, rng: &mut R) -> (ReceiverSetup, OtOffer) {
    match ext {
        OtExtension::Iknp => {
            let (s, o) = cot::Receiver::new(rng);
            (ReceiverSetup::Iknp(s), OtOffer::Iknp(o))
        }
        OtExtension::SoftSpoken => {
            let (s, o) = softspoken::Receiver::new(rng);
            (ReceiverSetup::SoftSpoken(s), OtOffer::SoftSpoken(o))
        }
    }
}

impl ReceiverSetup {
    /// Finishes the setup with the garbler's answer and runs one batch for `choices`:
    /// `msg` gets the extension frame's body, `labels` the labels.
    pub(crate) fn extend_once(
        self,
        answer: &OtAnswer,
        choices: &[bool],
        msg: &mut Vec<u8>,
        labels: &mut Vec<Block>,
    ) -> Result<(), SessionError> {
        match (self, answer) {
            (ReceiverSetup::Iknp(s), OtAnswer::Iknp(a)) => s.finish(a)?.extend_into(choices, msg, labels)?,
            (ReceiverSetup::SoftSpoken(s), OtAnswer::SoftSpoken(a)) => {
                s.finish(a)?.extend_into(choices, msg, labels)?
            }
            _ => return Err(SessionError::Internal("an OT answer of the other extension".into())),
        }
        Ok(())
    }
}

/// The garbler's side after its answer.
#[derive(Debug)]
pub(crate) enum Sender {
    Iknp(cot::Sender),
    SoftSpoken(softspoken::Sender),
}

impl Sender {
    /// Answers the evaluator's offer; the correlation is `delta`.
    pub(crate) fn new<R: RngCore + CryptoRng>(
        rng: &mut R,
        delta: &Delta,
        offer: &OtOffer,
    ) -> Result<(Sender, OtAnswer), SessionError> {
        Ok(match offer {
            OtOffer::Iknp(o) => {
                let (s, a) = cot::Sender::new(rng, delta, o)?;
                (Sender::Iknp(s), OtAnswer::Iknp(a))
            }
            OtOffer::SoftSpoken(o) if o.k() != SOFTSPOKEN_K => {
                return Err(SessionError::PeerMisbehaved(format!(
                    "its SoftSpoken offer has k = {}, the hellos agreed on k = {SOFTSPOKEN_K}",
                    o.k()
                )))
            }
            OtOffer::SoftSpoken(o) => {
                let (s, a) = softspoken::Sender::new(rng, delta, o)?;
                (Sender::SoftSpoken(s), OtAnswer::SoftSpoken(a))
            }
        })
    }

    /// One batch of `n` OTs from the extension frame's body: the zero labels.
    pub(crate) fn extend_into(
        &mut self,
        n: usize,
        msg: &[u8],
        zero_labels: &mut Vec<Block>,
    ) -> Result<(), SessionError> {
        match self {
            Sender::Iknp(s) => s.extend_into(n, msg, zero_labels)?,
            Sender::SoftSpoken(s) => s.extend_into(n, msg, zero_labels)?,
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::rand_core::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    #[test]
    fn softspoken_from_257_ots_on_and_only_when_it_sends_fewer_bytes() {
        assert_eq!(ot_extension_for(0), OtExtension::Iknp);
        assert_eq!(ot_extension_for(1), OtExtension::Iknp);
        assert_eq!(ot_extension_for(256), OtExtension::Iknp);
        assert_eq!(ot_extension_for(257), OtExtension::SoftSpoken);
        assert_eq!(ot_extension_for(8000), OtExtension::SoftSpoken);
        // The rule compares what real messages weigh: offers and one extension frame.
        let mut rng = ChaCha20Rng::seed_from_u64(7);
        let delta = Delta::random(&mut rng);
        for n in [1usize, 128, 256, 257, 384, 1000] {
            let choices: Vec<bool> = (0..n).map(|i| i % 3 == 0).collect();
            let mut sizes = Vec::new();
            for ext in [OtExtension::Iknp, OtExtension::SoftSpoken] {
                let (setup, offer) = receiver(ext, &mut rng);
                let (mut sender, answer) = Sender::new(&mut rng, &delta, &offer).expect("offer");
                let (mut msg, mut labels, mut zeros) = (Vec::new(), Vec::new(), Vec::new());
                setup.extend_once(&answer, &choices, &mut msg, &mut labels).expect("extend");
                assert!(msg.len() <= ext.max_extend_len(n));
                sender.extend_into(n, &msg, &mut zeros).expect("sender");
                for ((l, z), c) in labels.iter().zip(&zeros).zip(&choices) {
                    let want = if *c { *z ^ delta.as_block() } else { *z };
                    assert_eq!(*l, want);
                }
                sizes.push(offer.to_bytes().len() + msg.len());
            }
            let fewer = if sizes[1] < sizes[0] { OtExtension::SoftSpoken } else { OtExtension::Iknp };
            assert_eq!(ot_extension_for(n), fewer, "{n} OTs: {sizes:?}");
        }
    }

    #[test]
    fn hello_tags_round_trip_and_others_are_refused() {
        for ext in [OtExtension::Iknp, OtExtension::SoftSpoken] {
            assert_eq!(OtExtension::from_tag(ext.tag()), Some(ext));
        }
        assert_eq!(OtExtension::from_tag(5), None);
    }
}
