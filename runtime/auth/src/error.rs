//! The error type of the preprocessing: a failed check names what failed.

use thiserror::Error;

/// Why a preprocessing step refused the peer's message or could not proceed.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthError {
    /// The peer's message does not parse (wrong tag, length or count).
    #[error("malformed {what} message: {reason}")]
    Malformed {
        /// Which message.
        what: &'static str,
        /// What was wrong.
        reason: String,
    },
    /// The peer's opened bits do not match their MACs.
    #[error("the peer's opening of {bits} authenticated bits ({what}) failed the MAC check")]
    MacCheck {
        /// What was being opened.
        what: &'static str,
        /// How many bits.
        bits: usize,
    },
    /// The equality check of the leaky AND triples failed: the peer's garbled AND
    /// tables or opened bits were not computed as the protocol says.
    #[error("the peer's leaky AND triples failed the equality check ({what})")]
    Equality {
        /// Which check.
        what: &'static str,
    },
    /// The evaluator's check of a garbled row: the decrypted MAC is neither key.
    #[error("the peer's garbled table for AND gate {gate} failed authentication")]
    GarbledTable {
        /// The AND gate's index (AND gates counted in circuit order from 0).
        gate: usize,
    },
    /// The garbler's check of an output label sent by the evaluator.
    #[error("the peer's label for output wire {wire} is not one of the wire's two labels")]
    OutputLabel {
        /// The circuit wire.
        wire: usize,
    },
    /// The oblivious transfer underneath refused a message or failed its check.
    #[error("oblivious transfer: {0}")]
    Ot(String),
    /// The peer announced a message longer than the protocol allows at this point
    /// (refused from its length prefix, before any of it is buffered).
    #[error("the peer announced a message of {len} bytes where at most {max} fit")]
    TooLarge {
        /// The announced length.
        len: u64,
        /// The most this message may have.
        max: u64,
    },
    /// A message of another kind than the protocol has at this point (a bug of the
    /// caller driving the machine, or of a test playing the peer).
    #[error("a {got} message arrived where the protocol has a {want} message")]
    Unexpected {
        /// What arrived.
        got: &'static str,
        /// What the protocol has there.
        want: &'static str,
    },
    /// The peer closed the channel (after a failed check on its side, say).
    #[error("the peer closed the connection")]
    Closed,
    /// The channel failed otherwise (timed out, too large a message).
    #[error("{0}")]
    Transport(String),
    /// Local arguments that do not fit together (a caller bug).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
}

/// Shorthand for results in this crate.
pub type Result<T> = core::result::Result<T, AuthError>;

/// The one mapping of transport errors, for every [`crate::protocol::Link`]: a closed
/// channel, a frame over its bound (refused from its length prefix), anything else.
impl From<mpc_net::NetError> for AuthError {
    fn from(e: mpc_net::NetError) -> AuthError {
        match e {
            mpc_net::NetError::Closed => AuthError::Closed,
            mpc_net::NetError::FrameTooLarge { len, max } => AuthError::TooLarge { len, max },
            other => AuthError::Transport(other.to_string()),
        }
    }
}
