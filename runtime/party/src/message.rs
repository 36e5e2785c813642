//! The typed messages of the semi-honest session, one enum per direction
//! ([`ToEvaluator`], [`ToGarbler`], both wrapping the shared [`HelloMsg`]), their
//! wire encodings and their checked decoding.
//!
//! The wire carries no message tags: each side knows from the protocol's order what
//! comes next (`docs/protocol.md`, "Messages, in order"). A state machine says so
//! with an [`Expect`], which fixes the message's kind, how its bytes are delimited
//! ([`Framing`]: the common hello, a length-prefixed frame with a maximum, or an exact
//! size) and every size the decoder checks. The garbled tables are not a message of
//! these enums: they are the one bulk stream, written to and read from
//! [`mpc_garble::TableSink`]/[`mpc_garble::TableSource`] by the driver
//! ([`crate::driver`]) so that the writer thread and the zero-copy socket path stay.
//!
//! Guarantees: encoding then decoding with the [`Expect`] of the message's own kind
//! gives the message back; decoding checks the exact length (or the frame's maximum),
//! every field, and refuses trailing bytes, with a typed [`MessageError`]; nothing
//! here panics on any input. Label-carrying messages keep their labels in
//! [`Zeroizing`] buffers and print only their kind and length.

use mpc_crypto::Block;
use mpc_garble::{GarbleError, OutputDecoding};
use mpc_net::hello::{HelloError, HELLO_LEN};
use mpc_net::NetError;
use zeroize::Zeroizing;

use crate::handshake::{Hello, MAX_HELLO};
use crate::ot_extension::{OtAnswer, OtExtension, OtOffer};
use crate::SessionError;

/// The largest OT setup message (offer or answer) accepted.
pub const MAX_OT_SETUP: usize = 1 << 16;

/// The two hello messages every session (both security modes) opens with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HelloMsg {
    /// The toolkit's common hello ([`mpc_net::hello`]): magic, protocol, version, id.
    Common(mpc_net::hello::Hello),
    /// The session's hello (role, digest, shapes, instances, scheme), one frame.
    Program(Hello),
}

/// Garbler to evaluator.
pub enum ToEvaluator {
    /// A hello.
    Hello(HelloMsg),
    /// The OT extension's setup answer (128 base-OT replies), one frame.
    OtAnswer(OtAnswer),
    /// The garbler's active input labels, in wire order (16 bytes each, unframed).
    InputLabels(Zeroizing<Vec<Block>>),
    /// The decoding bits of the outputs the evaluator learns, packed (unframed).
    Decoding(OutputDecoding),
}

/// Evaluator to garbler.
pub enum ToGarbler {
    /// A hello.
    Hello(HelloMsg),
    /// The OT extension's setup offer, one frame.
    OtOffer(OtOffer),
    /// One extension message (IKNP or SoftSpoken, as the hellos chose) for all
    /// evaluator input bits, one frame. Its contents are checked by the extension's
    /// `Sender::extend_into`, which alone knows the extension's state.
    OtExtend(Vec<u8>),
    /// The status byte after evaluating (only `0` decodes).
    Evaluated,
    /// The active labels of the outputs the garbler learns (16 bytes each, unframed).
    OutputLabels(Zeroizing<Vec<Block>>),
}

impl std::fmt::Debug for ToEvaluator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ToEvaluator::Hello(h) => f.debug_tuple("Hello").field(h).finish(),
            ToEvaluator::OtAnswer(_) => f.write_str("OtAnswer(..)"),
            ToEvaluator::InputLabels(l) => write!(f, "InputLabels({} labels)", l.len()),
            ToEvaluator::Decoding(d) => write!(f, "Decoding({} bits)", d.len()),
        }
    }
}

impl std::fmt::Debug for ToGarbler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ToGarbler::Hello(h) => f.debug_tuple("Hello").field(h).finish(),
            ToGarbler::OtOffer(_) => f.write_str("OtOffer(..)"),
            ToGarbler::OtExtend(m) => write!(f, "OtExtend({} bytes)", m.len()),
            ToGarbler::Evaluated => f.write_str("Evaluated"),
            ToGarbler::OutputLabels(l) => write!(f, "OutputLabels({} labels)", l.len()),
        }
    }
}

/// The message a state machine waits for next, with every size its decoding checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Expect {
    /// [`HelloMsg::Common`].
    CommonHello,
    /// [`HelloMsg::Program`].
    ProgramHello,
    /// [`ToGarbler::OtOffer`] of extension `ext`.
    OtOffer {
        /// The extension the hellos chose.
        ext: OtExtension,
    },
    /// [`ToEvaluator::OtAnswer`] of extension `ext`.
    OtAnswer {
        /// The extension the hellos chose.
        ext: OtExtension,
    },
    /// [`ToGarbler::OtExtend`] for `ots` correlated OTs of extension `ext`.
    OtExtend {
        /// How many OTs the extension must give.
        ots: usize,
        /// The extension the hellos chose.
        ext: OtExtension,
    },
    /// [`ToEvaluator::InputLabels`], `count` labels.
    InputLabels {
        /// Number of labels.
        count: usize,
    },
    /// [`ToGarbler::Evaluated`].
    Evaluated,
    /// [`ToGarbler::OutputLabels`], `count` labels.
    OutputLabels {
        /// Number of labels.
        count: usize,
    },
    /// [`ToEvaluator::Decoding`] of `bits` bits.
    Decoding {
        /// Number of decoding bits.
        bits: usize,
    },
    /// A message of the malicious mode's protocol (`mpc_auth::machine`), one frame of
    /// at most the exact size that protocol fixes there.
    Malicious(mpc_auth::message::Expect),
}

/// How a message's bytes are delimited on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Framing {
    /// The common hello: 8 bytes of magic (checked first), then the rest of
    /// [`HELLO_LEN`].
    Hello,
    /// A `u32` length and that many bytes, at most `max`.
    Frame {
        /// The largest body accepted.
        max: usize,
    },
    /// Exactly this many bytes.
    Exact(usize),
}

impl Expect {
    /// How the message is delimited.
    pub fn framing(self) -> Framing {
        match self {
            Expect::CommonHello => Framing::Hello,
            Expect::ProgramHello => Framing::Frame { max: MAX_HELLO },
            Expect::OtOffer { .. } | Expect::OtAnswer { .. } => Framing::Frame { max: MAX_OT_SETUP },
            Expect::OtExtend { ots, ext } => Framing::Frame { max: extend_max(ots, ext) },
            Expect::InputLabels { count } | Expect::OutputLabels { count } => {
                Framing::Exact(count.saturating_mul(16))
            }
            Expect::Evaluated => Framing::Exact(1),
            Expect::Decoding { bits } => Framing::Exact(bits.div_ceil(8)),
            Expect::Malicious(e) => Framing::Frame { max: e.max() },
        }
    }

    /// The message's name in error messages.
    pub fn name(self) -> &'static str {
        match self {
            Expect::CommonHello | Expect::ProgramHello => "hello",
            Expect::OtOffer { .. } => "OT setup",
            Expect::OtAnswer { .. } => "OT setup answer",
            Expect::OtExtend { .. } => "OT extension",
            Expect::InputLabels { .. } => "input labels",
            Expect::Evaluated => "status",
            Expect::OutputLabels { .. } => "output labels",
            Expect::Decoding { .. } => "output decoding",
            Expect::Malicious(e) => e.name(),
        }
    }
}

/// Size bound of an extension message for `n` OTs: for IKNP 16 bytes per OT, padded
/// to 128, plus a header; for SoftSpoken [`OtExtension::max_extend_len`].
fn extend_max(n: usize, ext: OtExtension) -> usize {
    match ext {
        OtExtension::Iknp => n.div_ceil(128).saturating_mul(128).saturating_mul(16).saturating_add(256),
        OtExtension::SoftSpoken => ext.max_extend_len(n),
    }
}

/// Why a message from the peer was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MessageError {
    /// The common hello does not decode or speaks another protocol or version.
    #[error(transparent)]
    CommonHello(#[from] HelloError),
    /// A frame longer than the protocol allows.
    #[error("its {what} message has {len} bytes, at most {max} expected")]
    TooLong {
        /// The message.
        what: &'static str,
        /// The announced length.
        len: u64,
        /// The maximum.
        max: u64,
    },
    /// A message of another length than the protocol's.
    #[error("its {what} message has {len} bytes, not {want}")]
    Length {
        /// The message.
        what: &'static str,
        /// Its length.
        len: usize,
        /// The expected length.
        want: usize,
    },
    /// A message whose contents do not decode.
    #[error("malformed {what}: {reason}")]
    Malformed {
        /// The message.
        what: &'static str,
        /// Why.
        reason: String,
    },
    /// A state machine was handed a message of another kind than it waits for (a bug
    /// of the caller, or of a test playing the peer).
    #[error("a {got} message arrived where the protocol has a {want} message")]
    Unexpected {
        /// What arrived.
        got: &'static str,
        /// What the protocol has there.
        want: &'static str,
    },
}

impl From<MessageError> for SessionError {
    fn from(err: MessageError) -> SessionError {
        match err {
            MessageError::CommonHello(h) => h.into(),
            MessageError::TooLong { what: "hello", len, .. } => {
                SessionError::PeerMisbehaved(format!("it announced a hello of {len} bytes"))
            }
            other => SessionError::PeerMisbehaved(other.to_string()),
        }
    }
}

/// A message a state machine sends.
pub trait Encode {
    /// Appends the message's wire bytes (frame header included) to `out`; a frame
    /// body of 4 GiB or more is refused (`NetError::FrameTooLarge`).
    fn encode(&self, out: &mut Vec<u8>) -> Result<(), NetError>;
    /// The message's name.
    fn name(&self) -> &'static str;
    /// For a message that is exactly one frame around bytes it already holds: that
    /// body, so [`crate::driver::Wire::send`] frames it straight onto the channel
    /// instead of copying it into its buffer first (`encode` gives the same bytes).
    fn frame_body(&self) -> Option<std::borrow::Cow<'_, [u8]>> {
        None
    }
}

/// A message a state machine receives.
pub trait Decode: Sized {
    /// Decodes the bytes of one message (frame header removed) that `expect` describes.
    fn decode(expect: Expect, bytes: &[u8]) -> Result<Self, MessageError>;

    /// [`Decode::decode`] of bytes the caller owns (a decoder that keeps them, as the
    /// malicious mode's garbled tables, takes them without a copy).
    fn decode_vec(expect: Expect, bytes: Vec<u8>) -> Result<Self, MessageError> {
        Self::decode(expect, &bytes)
    }
}

pub(crate) fn frame(out: &mut Vec<u8>, body: &[u8]) -> Result<(), NetError> {
    let len = u32::try_from(body.len())
        .map_err(|_| NetError::FrameTooLarge { len: body.len() as u64, max: u64::from(u32::MAX) })?;
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(body);
    Ok(())
}

fn labels(out: &mut Vec<u8>, labels: &[Block]) -> Result<(), NetError> {
    out.reserve(labels.len() * 16);
    labels.iter().for_each(|b| out.extend_from_slice(&b.to_bytes()));
    Ok(())
}

fn raw(out: &mut Vec<u8>, bytes: &[u8]) -> Result<(), NetError> {
    out.extend_from_slice(bytes);
    Ok(())
}

fn exact(expect: Expect, bytes: &[u8]) -> Result<(), MessageError> {
    match expect.framing() {
        Framing::Exact(want) if bytes.len() != want => {
            Err(MessageError::Length { what: expect.name(), len: bytes.len(), want })
        }
        Framing::Frame { max } if bytes.len() > max => {
            Err(MessageError::TooLong { what: expect.name(), len: bytes.len() as u64, max: max as u64 })
        }
        _ => Ok(()),
    }
}

fn decode_labels(expect: Expect, bytes: &[u8]) -> Result<Zeroizing<Vec<Block>>, MessageError> {
    exact(expect, bytes)?;
    Ok(Zeroizing::new(
        bytes
            .chunks_exact(16)
            .map(|c| {
                let mut b = [0u8; 16];
                b.copy_from_slice(c);
                Block::from_bytes(b)
            })
            .collect(),
    ))
}

fn malformed(what: &'static str, reason: impl std::fmt::Display) -> MessageError {
    MessageError::Malformed { what, reason: reason.to_string() }
}

impl Encode for HelloMsg {
    fn encode(&self, out: &mut Vec<u8>) -> Result<(), NetError> {
        match self {
            HelloMsg::Common(h) => raw(out, &h.encode()),
            HelloMsg::Program(h) => frame(out, &h.to_bytes()),
        }
    }
    fn name(&self) -> &'static str {
        "hello"
    }
}

impl Decode for HelloMsg {
    fn decode(expect: Expect, bytes: &[u8]) -> Result<HelloMsg, MessageError> {
        match expect {
            Expect::CommonHello => {
                if bytes.len() != HELLO_LEN {
                    return Err(MessageError::Length { what: "hello", len: bytes.len(), want: HELLO_LEN });
                }
                Ok(HelloMsg::Common(mpc_net::hello::Hello::decode(bytes)?))
            }
            Expect::ProgramHello => {
                exact(expect, bytes)?;
                Hello::decode(bytes).map(HelloMsg::Program).map_err(|e| malformed("hello", e))
            }
            other => Err(MessageError::Unexpected { got: "hello", want: other.name() }),
        }
    }
}

impl Encode for ToEvaluator {
    fn encode(&self, out: &mut Vec<u8>) -> Result<(), NetError> {
        match self {
            ToEvaluator::Hello(h) => h.encode(out),
            ToEvaluator::OtAnswer(a) => frame(out, &a.to_bytes()),
            ToEvaluator::InputLabels(l) => labels(out, l),
            ToEvaluator::Decoding(d) => raw(out, &d.to_bytes()),
        }
    }
    fn name(&self) -> &'static str {
        match self {
            ToEvaluator::Hello(_) => "hello",
            ToEvaluator::OtAnswer(_) => "OT setup answer",
            ToEvaluator::InputLabels(_) => "input labels",
            ToEvaluator::Decoding(_) => "output decoding",
        }
    }
}

impl Decode for ToEvaluator {
    fn decode(expect: Expect, bytes: &[u8]) -> Result<ToEvaluator, MessageError> {
        match expect {
            Expect::CommonHello | Expect::ProgramHello => {
                HelloMsg::decode(expect, bytes).map(ToEvaluator::Hello)
            }
            Expect::OtAnswer { ext } => {
                exact(expect, bytes)?;
                OtAnswer::from_bytes(ext, bytes)
                    .map(ToEvaluator::OtAnswer)
                    .map_err(|e| malformed(expect.name(), e))
            }
            Expect::InputLabels { .. } => decode_labels(expect, bytes).map(ToEvaluator::InputLabels),
            Expect::Decoding { bits } => {
                exact(expect, bytes)?;
                OutputDecoding::from_bytes(bytes, bits)
                    .map(ToEvaluator::Decoding)
                    .map_err(|e: GarbleError| malformed(expect.name(), e))
            }
            other => Err(MessageError::Unexpected { got: other.name(), want: "garbler-to-evaluator" }),
        }
    }
}

impl Encode for ToGarbler {
    fn encode(&self, out: &mut Vec<u8>) -> Result<(), NetError> {
        match self {
            ToGarbler::Hello(h) => h.encode(out),
            ToGarbler::OtOffer(o) => frame(out, &o.to_bytes()),
            ToGarbler::OtExtend(m) => frame(out, m),
            ToGarbler::Evaluated => raw(out, &[0]),
            ToGarbler::OutputLabels(l) => labels(out, l),
        }
    }
    fn name(&self) -> &'static str {
        match self {
            ToGarbler::Hello(_) => "hello",
            ToGarbler::OtOffer(_) => "OT setup",
            ToGarbler::OtExtend(_) => "OT extension",
            ToGarbler::Evaluated => "status",
            ToGarbler::OutputLabels(_) => "output labels",
        }
    }
}

impl Decode for ToGarbler {
    fn decode(expect: Expect, bytes: &[u8]) -> Result<ToGarbler, MessageError> {
        match expect {
            Expect::CommonHello | Expect::ProgramHello => {
                HelloMsg::decode(expect, bytes).map(ToGarbler::Hello)
            }
            Expect::OtOffer { ext } => {
                exact(expect, bytes)?;
                OtOffer::from_bytes(ext, bytes)
                    .map(ToGarbler::OtOffer)
                    .map_err(|e| malformed(expect.name(), e))
            }
            Expect::OtExtend { .. } => {
                exact(expect, bytes)?;
                Ok(ToGarbler::OtExtend(bytes.to_vec()))
            }
            Expect::Evaluated => match bytes {
                [0] => Ok(ToGarbler::Evaluated),
                [s] => Err(malformed("status", format!("it sent status {s} after evaluating"))),
                _ => Err(MessageError::Length { what: "status", len: bytes.len(), want: 1 }),
            },
            Expect::OutputLabels { .. } => decode_labels(expect, bytes).map(ToGarbler::OutputLabels),
            other => Err(MessageError::Unexpected { got: other.name(), want: "evaluator-to-garbler" }),
        }
    }
}
