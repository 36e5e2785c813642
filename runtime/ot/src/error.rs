//! The error type of every fallible OT operation.
//!
//! Guarantees: every way a peer's bytes can be wrong (truncated, trailing bytes, a
//! wrong tag, an invalid or identity curve point, a count that disagrees with ours)
//! maps to one variant here with a sentence that names what was wrong; decoding never
//! panics. Errors never carry secret values.

use thiserror::Error;

/// Why an OT message was refused or an OT call could not proceed.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum OtError {
    /// The bytes do not form a message of the expected kind (wrong tag, wrong length,
    /// trailing bytes).
    #[error("malformed {what} message: {reason}")]
    Malformed {
        /// Which message was being decoded.
        what: &'static str,
        /// What was wrong with it.
        reason: String,
    },
    /// A curve point sent by the peer is not a canonical ristretto255 encoding, or is the
    /// identity element.
    #[error("the peer sent an invalid curve point in {what} (point {index}): {reason}")]
    InvalidPoint {
        /// Which message held the point.
        what: &'static str,
        /// Index of the point within the message.
        index: usize,
        /// "not a canonical ristretto255 encoding" or "the identity element".
        reason: &'static str,
    },
    /// The peer's message carries a different number of OTs than this side expects.
    #[error("the peer's {what} message is for {got} OTs but {expected} were expected")]
    CountMismatch {
        /// Which message.
        what: &'static str,
        /// The count this side expected.
        expected: usize,
        /// The count in the message.
        got: usize,
    },
    /// The receiver's proof for an OT-extension batch failed its consistency check
    /// (KOS15 for IKNP, `softspoken::malicious` for SoftSpoken): it did not use the
    /// same choice bits in every column (or the proof was altered). The batch's labels
    /// were not released.
    #[error(
        "the peer's OT extension failed the consistency check (a batch of {batch_ots} OTs): \
         it did not use one choice vector in every column"
    )]
    ConsistencyCheck {
        /// The number of OTs the batch was for (without the check's own).
        batch_ots: usize,
    },
    /// An opening of authenticated bits does not match their MACs: the peer changed
    /// an opened bit or its MAC.
    #[error("the peer's opening of {bits} authenticated bits failed the MAC check")]
    MacCheck {
        /// The number of bits in the opening.
        bits: usize,
    },
    /// A local argument is out of range (for example, more messages than OTs).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
}

/// Shorthand for results in this crate.
pub type Result<T> = core::result::Result<T, OtError>;
