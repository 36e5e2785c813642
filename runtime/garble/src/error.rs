//! [`GarbleError`]: everything that can go wrong while garbling, evaluating or decoding.
//!
//! Guarantees: every failure caused by input (label counts, short or failing table
//! streams, malformed decoding data, a returned output label that is neither of the
//! wire's two labels) is one of these variants; nothing in this crate panics on it.

use std::error::Error as StdError;

/// A boxed error from a sink or source implementation (e.g. the protocol's channel).
pub type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// Why garbling, evaluation or decoding failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GarbleError {
    /// The caller passed the wrong number of input labels.
    #[error("expected {want} input labels (one per input wire), got {got}")]
    InputCount { want: usize, got: usize },
    /// The table stream ended before the circuit's tables did.
    #[error("the garbled tables ended early: needed {needed} more bytes, only {available} available")]
    Truncated { needed: usize, available: usize },
    /// Writing tables failed (the sink's error is the source).
    #[error("could not write garbled tables: {0}")]
    Sink(#[source] BoxError),
    /// Reading tables failed (the source's error is the source).
    #[error("could not read garbled tables: {0}")]
    Source(#[source] BoxError),
    /// Output labels and decoding information do not have the same length.
    #[error("expected {want} output labels, got {got}")]
    OutputCount { want: usize, got: usize },
    /// Serialized decoding information has the wrong length.
    #[error("output decoding for {bits} bits needs {want} bytes, got {got}")]
    DecodingLength { bits: usize, want: usize, got: usize },
    /// A label returned to the garbler is neither label of its output wire: it was
    /// corrupted or forged.
    #[error("output label {index} is not a valid label of its wire (corrupted or forged)")]
    InvalidOutputLabel { index: usize },
    /// The garbler was asked to garble twice, or to decode before garbling.
    #[error("{0}")]
    State(&'static str),
    /// The program executor stopped (an unverified program, or a cancelled run).
    #[error("the program could not run: {0}")]
    Program(String),
}
