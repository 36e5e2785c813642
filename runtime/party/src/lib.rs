//! mpc-runtime: the two-party garbled-circuit session over an [`mpc_net::Channel`].
//!
//! The protocol is specified in `docs/protocol.md`; in short: a hello that both
//! sides check (magic, version, roles, circuit digest, shapes), the evaluator's input
//! labels by IKNP correlated OT whose correlation is the garbling `Delta`, the
//! garbler's input labels, the half-gate tables streamed in chunks (the evaluator
//! evaluates while the garbler garbles), and output decoding to the parties each
//! output group's [`mpc_circuits::Reveal`] names.
//!
//! Entry points: [`run_garbler`] (the program's first party, `PartyId(0)`),
//! [`run_evaluator`] (`PartyId(1)`), and [`run_local`] (both, on two threads over a
//! [`mpc_net::MemoryChannel`]); [`run_garbler_many`] / [`run_evaluator_many`] run many
//! instances of one circuit in one session (one OT setup and extension for all, tables
//! back to back, distinct tweaks per instance). Programs with other than two parties
//! are refused.
//!
//! Guarantees: randomness comes from ChaCha20 seeded by the OS; `Delta` is zeroized
//! when dropped (by mpc-crypto); a peer that disconnects, stalls or sends garbage
//! yields a [`SessionError`] (one sentence) on both sides, never a panic or a hang
//! (every read has the channel's timeout). Security: semi-honest parties.

mod error;
pub mod handshake;
mod session;

pub use error::SessionError;
pub use handshake::{circuit_digest, Role};
pub use session::{
    check_two_party, run_evaluator, run_evaluator_many, run_garbler, run_garbler_many, run_local,
    LocalOutput, ManyOutput, Progress, SessionOptions, SessionOutput, SessionStats,
};
