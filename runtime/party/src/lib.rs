//! mpc-runtime: the two-party garbled-circuit session over an [`mpc_net::Channel`].
//!
//! The protocol is specified in `docs/protocol.md`; in short: a hello that both
//! sides check (magic, version, roles, circuit digest, shapes), the evaluator's input
//! labels by correlated OT whose correlation is the garbling `Delta` (IKNP, or
//! SoftSpoken from 257 OTs on: [`ot_extension`]), the
//! garbler's input labels, the half-gate tables streamed in chunks (the evaluator
//! evaluates while the garbler garbles), and output decoding to the parties each
//! output group's [`mpc_circuits::Reveal`] names.
//!
//! **Internal crate** of the `mpc` workspace, not published: its API serves the
//! workspace's other crates and may change at any time. Applications use the `mpc`
//! crate's facade (`mpc::Program`, `mpc::Inputs`, `mpc::Outputs`, `mpc::Channel`).
//!
//! Entry points: [`run_garbler_program`] (the program's first party, `PartyId(0)`),
//! [`run_evaluator_program`] (`PartyId(1)`), and [`run_local_program`] (both, on two
//! threads over a [`mpc_net::MemoryChannel`]) run one [`mpc_circuits::Program`]: the
//! executor walks its instructions identically on both sides and the garbling engines
//! stream each body call's tables, so memory follows the program, not the gates it
//! executes; [`run_garbler`] / [`run_evaluator`] / [`run_local`] take a circuit and run
//! its one-body program ([`mpc_circuits::Program::from_circuit`]); [`run_garbler_many`] / [`run_evaluator_many`] run many
//! instances of one circuit in one session (one OT setup and extension for all, tables
//! back to back, distinct tweaks per instance). Programs with other than two parties
//! are refused.
//!
//! Inside, each role is a sans-IO state machine ([`GarblerMachine`],
//! [`EvaluatorMachine`]; [`machine::Machine`]) exchanging the typed messages of
//! [`message`] with an rng its caller injects, and [`driver::drive`] is the one loop
//! that runs any of them over a channel; the `run_*` functions are thin wrappers that
//! pass ChaCha20 seeded by the OS. The malicious mode is one more such machine,
//! [`MaliciousMachine`] (the shared [`machine::HelloMachine`], then `mpc_auth`'s
//! protocol machine), run by the same driver.
//!
//! Guarantees: randomness comes from ChaCha20 seeded by the OS; `Delta` is zeroized
//! when dropped (by mpc-crypto); a peer that disconnects, stalls or sends garbage
//! yields a [`SessionError`] (one sentence) on both sides, never a panic or a hang
//! (every read has the channel's timeout). Security: semi-honest parties.

pub mod driver;
mod error;
mod evaluator;
mod garbler;
pub mod handshake;
pub mod machine;
mod malicious;
pub mod message;
pub mod ot_extension;
mod session;
mod tables;

pub use error::SessionError;
pub use evaluator::EvaluatorMachine;
pub use garbler::GarblerMachine;
pub use handshake::{circuit_digest, program_digest, Role};
pub use malicious::{run_local_malicious_program, run_malicious_program, MaliciousMachine, MaliciousMsg};
pub use mpc_garble::Scheme;
pub use session::{
    check_two_party, check_two_party_program, run_evaluator, run_evaluator_many, run_evaluator_program,
    run_garbler, run_garbler_many, run_garbler_program, run_local, run_local_program, LocalOutput,
    ManyOutput, Outputs, Progress, SessionOptions, SessionOutput, SessionStats,
};
