//! mpc-circuits: Boolean circuits for garbling.
//!
//! - [`Circuit`]: a verified, topologically ordered list of XOR/AND/INV/EQ/EQW gates
//!   over `u32` wires, with named input groups per party and named output groups
//!   (see [`circuit`] for the invariants every `Circuit` satisfies).
//! - [`Builder`]: writing circuits in Rust, with constant folding and structural
//!   hashing as gates are added.
//! - [`eval`]: the bit-sliced plaintext evaluator, the test oracle for everything else.
//!
//! **Internal crate** of the `mpc` workspace, not published: its API serves the
//! workspace's other crates and may change at any time. Applications use the `mpc`
//! crate's facade (`mpc::Program`, `mpc::Inputs`, `mpc::Outputs`, `mpc::Channel`),
//! which re-exports [`Circuit`], [`Value`] and [`ValueType`] from here.
//!
//! - [`program`]: the compiled program form (bodies and instructions over a wire
//!   memory) and the one executor that walks it into any [`Engine`].
//!
//! This crate depends on no other crate of the project.

pub mod bristol;
pub mod builder;
pub mod circuit;
pub mod eval;
pub mod gadgets;
pub mod passes;
pub mod program;
pub mod ty;
pub mod value;

pub use bristol::{BristolError, BristolErrorKind};
pub use builder::{Bit, Builder, Word};
pub use circuit::{Circuit, CircuitError, Gate, InputGroup, OutputGroup, PartyId, Reveal, WireId};
pub use passes::Stats;
pub use program::{
    eval_program, execute, expand, Affine, Engine, ExecError, Instr, Operand, Program, ProgramError,
    ProgramOutput, ProgramStats, Region,
};
pub use ty::ValueType;
pub use value::{parse_value, Value, ValueError};
