//! The typed messages of the authenticated-garbling protocol ([`Message`], one variant
//! per protocol message, both directions), what a machine waits for next
//! ([`Expect`], with the exact size it allows) and the checked decoding of one
//! message's bytes.
//!
//! On the wire every message is one length-prefixed frame whose body is
//! [`Message::to_wire`]; no tag says which message it is: each side knows it from the
//! protocol's order (`docs/protocol.md`, "The malicious session as state machines"), and the
//! receiving machine's [`Expect`] fixes the kind and the most bytes it takes (the
//! exact size the protocol fixes at that point). [`decode`] refuses a longer body with [`AuthError::TooLarge`] (what a
//! [`crate::protocol::Link`] also does from the length prefix alone, before buffering)
//! and a body of any other length or contents with a typed error. Messages whose
//! contents only a later step can check (MAC openings, leaky-AND rows, garbled rows)
//! are kept as their bytes, checked for length here and for contents by the step
//! that consumes them ([`crate::shares::AuthShares::check_open`],
//! [`crate::leaky_and::Layer::evaluate`], the evaluator's MAC check per row).
//!
//! Guarantees: for every message `m` and the `Expect` its receiver waits for,
//! `decode(expect, m.to_wire())` gives `m` back; nothing here panics on any input.

use std::borrow::Cow;

use mpc_crypto::Block;
use mpc_ot::{iknp, kos};

use crate::error::{AuthError, Result};
use crate::feq;
use crate::shares::{pack_bits, unpack_bits};

/// The size of the base-OT setup answer: the endemic OT's reply for the 128 base OTs
/// (`mpc_ot::endemic`; the offer is [`kos::SetupOffer::LEN`] bytes).
pub const SETUP_ANSWER_LEN: usize = kos::SetupAnswer::encoded_len(iknp::BASE_OTS);

/// The size of an [`crate::shares::AuthShares::open`] message for `n` bits.
pub fn open_len(n: usize) -> usize {
    5 + n.div_ceil(8) + 32
}

/// One message of the protocol (the direction is fixed by the protocol's order).
#[derive(Clone)]
pub enum Message {
    /// Evaluator: the base-OT offer of the first KOS session.
    OtSetupOffer(kos::SetupOffer),
    /// Garbler: the base-OT answer.
    OtSetupAnswer(kos::SetupAnswer),
    /// Either: one KOS extension batch (the receiver's matrix).
    OtExtend(iknp::Extend),
    /// Evaluator: the flip of the bootstrap batch (the reverse session's base OTs).
    KosFlip(kos::Flip),
    /// Either: the KOS sender's challenge of one batch.
    KosChallenge(kos::Challenge),
    /// Either: the KOS receiver's proof of one batch.
    KosProof(kos::Proof),
    /// Either: one leaky-AND layer's half-gate rows ([`crate::leaky_and::Layer::tables`]).
    LeakyTables(Vec<u8>),
    /// Either: one leaky-AND layer's opened bits.
    LeakyBits(Vec<u8>),
    /// Garbler: a commitment (the equality check's digest, the coin toss's seed).
    Commitment([u8; 32]),
    /// Evaluator: its 32-byte value in the clear (its digest, its coin seed).
    Value([u8; 32]),
    /// Garbler: the opening of its commitment.
    Opening([u8; feq::OPENING_LEN]),
    /// Either: one bucketing opening of `d` ([`crate::bucket::open_d`]).
    BucketOpening(Vec<u8>),
    /// Either: the Beaver step's opening of `d` and `e` for every AND gate.
    BeaverOpening(Vec<u8>),
    /// Either: the opening of this party's mask shares of the peer's input wires.
    InputMasks(Vec<u8>),
    /// Evaluator: its inputs' masked values `z^ = y ^ lambda`, in the clear (uniform
    /// to the garbler, which holds only a key for the evaluator's share of `lambda`).
    EvaluatorInputs(Vec<bool>),
    /// Garbler: its inputs' masked values, and the active labels of every input wire
    /// (its own, then the evaluator's, whose masked values it was sent).
    GarblerInputs {
        /// `z^ = x ^ lambda` per input wire of the garbler.
        masked: Vec<bool>,
        /// `L_{w, z^}` per input wire of the garbler, then per input wire of the
        /// evaluator.
        labels: Vec<Block>,
    },
    /// Garbler: the authenticated garbled tables, 4 rows of 32 bytes per AND gate.
    Tables(Vec<u8>),
    /// Evaluator: for the garbler's output wires, the masked values, their labels and
    /// the opening of its mask shares.
    EvaluatorOutputs {
        /// `z^` per output wire of the garbler.
        masked: Vec<bool>,
        /// `L_{w, z^}` per such wire.
        labels: Vec<Block>,
        /// Its mask shares of those wires, opened.
        masks: Vec<u8>,
    },
    /// Garbler: the opening of its mask shares of the evaluator's output wires.
    OutputMasks(Vec<u8>),
}

impl core::fmt::Debug for Message {
    /// The kind and size only (labels and shares are secrets of a run).
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}({} bytes)", self.name(), self.to_wire().len())
    }
}

/// The message a machine waits for next, with the sizes its decoding checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Expect {
    /// [`Message::OtSetupOffer`].
    OtSetupOffer,
    /// [`Message::OtSetupAnswer`].
    OtSetupAnswer,
    /// [`Message::OtExtend`] of `ots` OTs (check OTs included).
    OtExtend {
        /// OTs in the batch.
        ots: usize,
    },
    /// [`Message::KosFlip`].
    KosFlip,
    /// [`Message::KosChallenge`].
    KosChallenge,
    /// [`Message::KosProof`].
    KosProof,
    /// [`Message::LeakyTables`] of `n` candidates.
    LeakyTables {
        /// Candidates in the layer.
        n: usize,
    },
    /// [`Message::LeakyBits`] of `n` candidates.
    LeakyBits {
        /// Candidates in the layer.
        n: usize,
    },
    /// [`Message::Commitment`], for the check `what`.
    Commitment {
        /// The equality check or coin toss.
        what: &'static str,
    },
    /// [`Message::Value`], for the check `what`.
    Value {
        /// The equality check or coin toss.
        what: &'static str,
    },
    /// [`Message::Opening`], for the check `what`.
    Opening {
        /// The equality check or coin toss.
        what: &'static str,
    },
    /// [`Message::BucketOpening`] of `bits` bits.
    BucketOpening {
        /// Opened bits.
        bits: usize,
    },
    /// [`Message::BeaverOpening`] of `bits` bits.
    BeaverOpening {
        /// Opened bits.
        bits: usize,
    },
    /// [`Message::InputMasks`] of `bits` bits.
    InputMasks {
        /// Opened bits.
        bits: usize,
    },
    /// [`Message::EvaluatorInputs`] for `wires` input wires.
    EvaluatorInputs {
        /// The evaluator's input wires.
        wires: usize,
    },
    /// [`Message::GarblerInputs`]: masked values for `garbler` input wires, labels for
    /// those and `evaluator` more.
    GarblerInputs {
        /// The garbler's input wires.
        garbler: usize,
        /// The evaluator's input wires.
        evaluator: usize,
    },
    /// [`Message::Tables`] of `ands` AND gates.
    Tables {
        /// AND gates of the instance.
        ands: usize,
    },
    /// [`Message::EvaluatorOutputs`] for `wires` output wires.
    EvaluatorOutputs {
        /// The garbler's output wires.
        wires: usize,
    },
    /// [`Message::OutputMasks`] of `bits` bits.
    OutputMasks {
        /// Opened bits.
        bits: usize,
    },
}

impl Expect {
    /// The most bytes the message's body may have: its exact size. Saturates for sizes
    /// no honest run reaches.
    pub fn max(self) -> usize {
        let labels = |n: usize| n.div_ceil(8).saturating_add(n.saturating_mul(16));
        match self {
            Expect::OtSetupOffer => kos::SetupOffer::LEN,
            Expect::OtSetupAnswer => SETUP_ANSWER_LEN,
            Expect::OtExtend { ots } => iknp::BASE_OTS
                .saturating_mul(16)
                .saturating_mul(ots.div_ceil(128))
                .saturating_add(iknp::EXTEND_HEADER_LEN),
            Expect::KosFlip => kos::Flip::LEN,
            Expect::KosChallenge => kos::Challenge::LEN,
            Expect::KosProof => kos::Proof::LEN,
            Expect::LeakyTables { n } => n.saturating_mul(16).saturating_add(5),
            Expect::LeakyBits { n } => n.div_ceil(8).saturating_add(5),
            Expect::Commitment { .. } | Expect::Value { .. } => 32,
            Expect::Opening { .. } => feq::OPENING_LEN,
            Expect::BucketOpening { bits }
            | Expect::BeaverOpening { bits }
            | Expect::InputMasks { bits }
            | Expect::OutputMasks { bits } => open_len(bits),
            Expect::EvaluatorInputs { wires } => wires.div_ceil(8),
            Expect::GarblerInputs { garbler, evaluator } => {
                labels(garbler).saturating_add(evaluator.saturating_mul(16))
            }
            Expect::Tables { ands } => ands.saturating_mul(128),
            Expect::EvaluatorOutputs { wires } => labels(wires).saturating_add(open_len(wires)),
        }
    }

    /// The message's name in error messages.
    pub fn name(self) -> &'static str {
        match self {
            Expect::OtSetupOffer => "OT setup",
            Expect::OtSetupAnswer => "OT setup answer",
            Expect::OtExtend { .. } => "OT extension",
            Expect::KosFlip => "KOS flip",
            Expect::KosChallenge => "KOS challenge",
            Expect::KosProof => "KOS proof",
            Expect::LeakyTables { .. } => "leaky-AND tables",
            Expect::LeakyBits { .. } => "leaky-AND bits",
            Expect::Commitment { .. } => "commitment",
            Expect::Value { .. } => "committed value",
            Expect::Opening { .. } => "opening",
            Expect::BucketOpening { .. } => "bucket opening",
            Expect::BeaverOpening { .. } => "Beaver openings",
            Expect::InputMasks { .. } => "input masks",
            Expect::EvaluatorInputs { .. } => "evaluator inputs",
            Expect::GarblerInputs { .. } => "garbler inputs",
            Expect::Tables { .. } => "garbled tables",
            Expect::EvaluatorOutputs { .. } => "output message",
            Expect::OutputMasks { .. } => "output masks",
        }
    }

    /// Whether `msg` is of the kind this names.
    pub fn admits(self, msg: &Message) -> bool {
        self.name() == msg.name()
    }
}

impl Message {
    /// The message's name (as [`Expect::name`] of its kind).
    pub fn name(&self) -> &'static str {
        match self {
            Message::OtSetupOffer(_) => "OT setup",
            Message::OtSetupAnswer(_) => "OT setup answer",
            Message::OtExtend(_) => "OT extension",
            Message::KosFlip(_) => "KOS flip",
            Message::KosChallenge(_) => "KOS challenge",
            Message::KosProof(_) => "KOS proof",
            Message::LeakyTables(_) => "leaky-AND tables",
            Message::LeakyBits(_) => "leaky-AND bits",
            Message::Commitment(_) => "commitment",
            Message::Value(_) => "committed value",
            Message::Opening(_) => "opening",
            Message::BucketOpening(_) => "bucket opening",
            Message::BeaverOpening(_) => "Beaver openings",
            Message::InputMasks(_) => "input masks",
            Message::EvaluatorInputs(_) => "evaluator inputs",
            Message::GarblerInputs { .. } => "garbler inputs",
            Message::Tables(_) => "garbled tables",
            Message::EvaluatorOutputs { .. } => "output message",
            Message::OutputMasks(_) => "output masks",
        }
    }

    /// The frame body on the wire (borrowed where the message keeps its bytes).
    pub fn to_wire(&self) -> Cow<'_, [u8]> {
        let with_labels = |masked: &[bool], labels: &[Block]| {
            let mut out = pack_bits(masked);
            out.reserve(16 * labels.len());
            labels.iter().for_each(|l| out.extend_from_slice(&l.to_bytes()));
            out
        };
        match self {
            Message::OtSetupOffer(m) => Cow::Owned(m.to_bytes()),
            Message::OtSetupAnswer(m) => Cow::Owned(m.to_bytes()),
            Message::OtExtend(m) => Cow::Borrowed(m.as_bytes()),
            Message::KosFlip(m) => Cow::Owned(m.to_bytes()),
            Message::KosChallenge(m) => Cow::Owned(m.to_bytes()),
            Message::KosProof(m) => Cow::Owned(m.to_bytes()),
            Message::Commitment(b) | Message::Value(b) => Cow::Borrowed(b),
            Message::Opening(b) => Cow::Borrowed(b),
            Message::LeakyTables(b)
            | Message::LeakyBits(b)
            | Message::BucketOpening(b)
            | Message::BeaverOpening(b)
            | Message::InputMasks(b)
            | Message::Tables(b)
            | Message::OutputMasks(b) => Cow::Borrowed(b),
            Message::EvaluatorInputs(masked) => Cow::Owned(pack_bits(masked)),
            Message::GarblerInputs { masked, labels } => Cow::Owned(with_labels(masked, labels)),
            Message::EvaluatorOutputs { masked, labels, masks } => {
                let mut out = with_labels(masked, labels);
                out.extend_from_slice(masks);
                Cow::Owned(out)
            }
        }
    }
}

impl Message {
    /// The frame body on the wire, [`Message::to_wire`]'s bytes, moved out of the
    /// message where it keeps them (no copy of tables, batches or openings).
    pub fn into_wire(self) -> Vec<u8> {
        match self {
            Message::OtExtend(m) => m.into_bytes(),
            Message::LeakyTables(b)
            | Message::LeakyBits(b)
            | Message::BucketOpening(b)
            | Message::BeaverOpening(b)
            | Message::InputMasks(b)
            | Message::Tables(b)
            | Message::OutputMasks(b) => b,
            other => other.to_wire().into_owned(),
        }
    }
}

fn ot(e: mpc_ot::OtError) -> AuthError {
    AuthError::Ot(e.to_string())
}

/// `n` bits then `m` labels at the start of `bytes` (whose length the caller checked).
fn bits_and_labels(what: &'static str, bytes: &[u8], n: usize, m: usize) -> Result<(Vec<bool>, Vec<Block>)> {
    let masked =
        unpack_bits(&bytes[..n.div_ceil(8)], n).map_err(|reason| AuthError::Malformed { what, reason })?;
    let labels = bytes[n.div_ceil(8)..n.div_ceil(8) + 16 * m]
        .chunks_exact(16)
        .map(|c| {
            let mut b = [0u8; 16];
            b.copy_from_slice(c);
            Block::from(b)
        })
        .collect();
    Ok((masked, labels))
}

/// Decodes the body of the message `expect` names: over [`Expect::max`] is
/// [`AuthError::TooLarge`]; a message of fixed size with another length, or contents
/// that do not parse, [`AuthError::Malformed`] (or the OT's error).
pub fn decode(expect: Expect, bytes: Vec<u8>) -> Result<Message> {
    let max = expect.max();
    if bytes.len() > max {
        return Err(AuthError::TooLarge { len: bytes.len() as u64, max: max as u64 });
    }
    let what = expect.name();
    // The body itself if it is exactly `max` bytes.
    let exact = |bytes: Vec<u8>| {
        if bytes.len() == max {
            Ok(bytes)
        } else {
            Err(AuthError::Malformed { what, reason: format!("{} bytes, expected {max}", bytes.len()) })
        }
    };
    Ok(match expect {
        Expect::OtSetupOffer => Message::OtSetupOffer(kos::SetupOffer::from_bytes(&bytes).map_err(ot)?),
        Expect::OtSetupAnswer => Message::OtSetupAnswer(kos::SetupAnswer::from_bytes(&bytes).map_err(ot)?),
        Expect::OtExtend { .. } => Message::OtExtend(iknp::Extend::from_vec(bytes).map_err(ot)?),
        Expect::KosFlip => Message::KosFlip(kos::Flip::from_bytes(&bytes).map_err(ot)?),
        Expect::KosChallenge => Message::KosChallenge(kos::Challenge::from_bytes(&bytes).map_err(ot)?),
        Expect::KosProof => Message::KosProof(kos::Proof::from_bytes(&bytes).map_err(ot)?),
        Expect::Commitment { what } => Message::Commitment(feq::digest_message(what, &bytes)?),
        Expect::Value { what } => Message::Value(feq::digest_message(what, &bytes)?),
        Expect::Opening { what } => {
            let opening = bytes.as_slice().try_into().map_err(|_| AuthError::Malformed {
                what,
                reason: format!("an opening of {} bytes, expected {}", bytes.len(), feq::OPENING_LEN),
            })?;
            Message::Opening(opening)
        }
        Expect::LeakyTables { .. } => Message::LeakyTables(exact(bytes)?),
        Expect::LeakyBits { .. } => Message::LeakyBits(exact(bytes)?),
        Expect::BucketOpening { .. } => Message::BucketOpening(exact(bytes)?),
        Expect::BeaverOpening { .. } => Message::BeaverOpening(exact(bytes)?),
        Expect::InputMasks { .. } => Message::InputMasks(exact(bytes)?),
        Expect::OutputMasks { .. } => Message::OutputMasks(exact(bytes)?),
        Expect::Tables { .. } => Message::Tables(exact(bytes)?),
        Expect::EvaluatorInputs { wires } => {
            let bytes = exact(bytes)?;
            Message::EvaluatorInputs(
                unpack_bits(&bytes, wires).map_err(|reason| AuthError::Malformed { what, reason })?,
            )
        }
        Expect::GarblerInputs { garbler, evaluator } => {
            let bytes = exact(bytes)?;
            let (masked, labels) = bits_and_labels(what, &bytes, garbler, garbler + evaluator)?;
            Message::GarblerInputs { masked, labels }
        }
        Expect::EvaluatorOutputs { wires } => {
            let bytes = exact(bytes)?;
            let (masked, labels) = bits_and_labels(what, &bytes, wires, wires)?;
            let masks = bytes[wires.div_ceil(8) + 16 * wires..].to_vec();
            Message::EvaluatorOutputs { masked, labels, masks }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_over_the_bound_is_too_large_and_a_short_one_malformed() {
        let e = Expect::Tables { ands: 2 };
        assert_eq!(decode(e, vec![0; 257]).unwrap_err(), AuthError::TooLarge { len: 257, max: 256 });
        assert!(matches!(decode(e, vec![0; 255]), Err(AuthError::Malformed { what: "garbled tables", .. })));
        assert!(matches!(decode(e, vec![7; 256]), Ok(Message::Tables(t)) if t == vec![7; 256]));
    }

    #[test]
    fn into_wire_moves_the_bytes_to_wire_gives() {
        let mut extend = vec![0xE1, 1, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0];
        extend.extend((0..2048).map(|i| (i * 31 % 251) as u8));
        let bytes = |n: usize, k: u8| (0..n).map(|i| (i as u8).wrapping_mul(k)).collect::<Vec<u8>>();
        let labels = vec![Block::from(5u128), Block::from(u128::MAX - 3)];
        let messages = vec![
            Message::OtExtend(iknp::Extend::from_vec(extend).unwrap()),
            Message::LeakyTables(bytes(300, 3)),
            Message::LeakyBits(bytes(9, 5)),
            Message::Commitment([1; 32]),
            Message::Value([2; 32]),
            Message::Opening([3; feq::OPENING_LEN]),
            Message::BucketOpening(bytes(41, 7)),
            Message::BeaverOpening(bytes(42, 11)),
            Message::InputMasks(bytes(38, 13)),
            Message::EvaluatorInputs(vec![true, false, true, true]),
            Message::GarblerInputs { masked: vec![false, true], labels: labels.clone() },
            Message::Tables(bytes(256, 17)),
            Message::EvaluatorOutputs { masked: vec![true, true], labels, masks: bytes(38, 19) },
            Message::OutputMasks(bytes(38, 23)),
        ];
        for m in messages {
            let want = m.to_wire().into_owned();
            let name = m.name();
            assert_eq!(m.into_wire(), want, "{name}");
        }
    }

    #[test]
    fn labelled_messages_round_trip() {
        let masked = vec![true, false, true];
        let labels = vec![Block::from(1u128), Block::from(2u128), Block::from(u128::MAX)];
        let m =
            Message::EvaluatorOutputs { masked: masked.clone(), labels: labels.clone(), masks: vec![9; 38] };
        let bytes = m.to_wire().into_owned();
        match decode(Expect::EvaluatorOutputs { wires: 3 }, bytes).unwrap() {
            Message::EvaluatorOutputs { masked: m2, labels: l2, masks } => {
                assert_eq!((m2, l2, masks), (masked, labels.clone(), vec![9; 38]));
            }
            other => panic!("{other:?}"),
        }
        // The garbler's inputs carry labels for the evaluator's wires too.
        let m = Message::GarblerInputs { masked: vec![true], labels: labels.clone() };
        match decode(Expect::GarblerInputs { garbler: 1, evaluator: 2 }, m.to_wire().into_owned()).unwrap() {
            Message::GarblerInputs { masked: m2, labels: l2 } => assert_eq!((m2, l2), (vec![true], labels)),
            other => panic!("{other:?}"),
        }
        // A set padding bit in the packed masked values is refused.
        let mut bad =
            Message::GarblerInputs { masked: vec![true], labels: vec![Block::ZERO] }.to_wire().into_owned();
        bad[0] |= 0x80;
        let e = Expect::GarblerInputs { garbler: 1, evaluator: 0 };
        assert!(matches!(decode(e, bad), Err(AuthError::Malformed { .. })));
        // The evaluator's masked bits: exactly ceil(n/8) bytes, padding bits zero.
        let m = Message::EvaluatorInputs(vec![true, false, true]);
        let e = Expect::EvaluatorInputs { wires: 3 };
        assert!(
            matches!(decode(e, m.to_wire().into_owned()), Ok(Message::EvaluatorInputs(b)) if b == [true, false, true])
        );
        assert!(matches!(decode(e, vec![0x08]), Err(AuthError::Malformed { .. })));
        assert!(matches!(decode(e, vec![]), Err(AuthError::Malformed { .. })));
        assert!(matches!(decode(e, vec![0, 0]), Err(AuthError::TooLarge { .. })));
    }
}
