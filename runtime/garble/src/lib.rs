//! `mpc-garble`: Yao garbled circuits with free-XOR, point-and-permute and half-gates
//! (Zahur, Rosulek, Evans, Eurocrypt 2015), hashed with the fixed-key AES TCCR hash of
//! Guo, Katz, Wang, Yu (eprint 2019/074). Sans-IO: tables go to a [`TableSink`] and
//! come from a [`TableSource`]; this crate never touches a socket. [`Scheme::ThreeHalves`]
//! (`with_scheme` on every garbler and evaluator) garbles AND gates with Rosulek and
//! Roy's three-halves scheme instead ([`three_halves`]: 24 bytes plus 5 bits per AND);
//! everything below about labels, XOR/INV/EQ and decoding holds for both.
//!
//! **Internal crate** of the `mpc` workspace, not published: its API serves the
//! workspace's other crates and may change at any time. Applications use the `mpc`
//! crate's facade (`mpc::Program`, `mpc::Inputs`, `mpc::Outputs`, `mpc::Channel`).
//!
//! # Labels
//! The garbler holds a [`mpc_crypto::Delta`] (lsb 1) and a zero-label `W0` per wire; bit
//! `b` is encoded as `W0 ^ b*Delta`. The evaluator holds one *active* label per wire.
//! - XOR: `W0(out) = W0(a) ^ W0(b)` (free).
//! - INV: the garbler sets `W0(out) = W0(a) ^ Delta`, the evaluator copies its label
//!   (free, no table).
//! - EQW (copy): both copy.
//! - EQ (constant `v`): the evaluator's label is the public [`CONST_LABEL`]; the
//!   garbler sets `W0(out) = CONST_LABEL ^ v*Delta`, so the public label encodes `v`.
//!   Nothing is sent; the evaluator learns nothing it did not know (the value is public).
//! - AND, half-gates: for the `j`-th AND gate (circuit order, from 0) with tweaks
//!   `t = tweak_base + 2j` and `t' = t + 1`, `pa = lsb(A0)`, `pb = lsb(B0)`:
//!   `T_G = H(A0,t) ^ H(A1,t) ^ pb*Delta`, `W_G0 = H(A0,t) ^ pa*T_G`,
//!   `T_E = H(B0,t') ^ H(B1,t') ^ A0`, `W_E0 = H(B0,t') ^ pb*(T_E ^ A0)`,
//!   `W0(out) = W_G0 ^ W_E0`; the table is `T_G || T_E` (32 bytes). The evaluator
//!   computes `H(Wa,t) ^ sa*T_G ^ H(Wb,t') ^ sb*(T_E ^ Wa)` with `sa, sb` its colour
//!   bits. The garbler makes 4 TCCR calls (8 AES) per AND, the evaluator 2 (4 AES).
//!
//! # Tweaks
//! A circuit consumes [`tweaks_used`] = `2 * and_count` tweaks starting at the
//! `tweak_base` both sides pass; a session that garbles several circuits under one
//! Delta must give each a disjoint range (e.g. the next base is the previous base plus
//! `tweaks_used`). Tweaks are never reused inside one garbling.
//!
//! # API (what the protocol uses)
//! - [`Garbler::new`]`(circuit, &delta, input_zero_labels, tweak_base)` then
//!   [`Garbler::garble`]`(&mut sink) -> OutputDecoding`; [`Garbler::output_zero_labels`];
//!   [`Garbler::decode_returned`] decodes and *verifies* labels the evaluator sends back.
//! - [`Evaluator::new`]`(circuit, input_labels, tweak_base)` then
//!   [`Evaluator::evaluate`]`(&mut source) -> Vec<Block>` (output labels), and
//!   [`decode`]`(&labels, &decoding) -> Vec<bool>`.
//! - Programs ([`mpc_circuits::Program`]: bodies called by instructions over a wire
//!   memory): [`ProgramGarbler`] / [`ProgramEvaluator`] are the executor's engines
//!   ([`mpc_circuits::execute`] drives them identically on both sides), or
//!   [`garble_program`] / [`evaluate_program`] for a whole run. AND gates are numbered
//!   (and tweaked) across body calls; see `program.rs`.
//! - [`TableSink`] / [`TableSource`] (`Vec<u8>`, `&[u8]`, [`CountingSink`]; the protocol
//!   implements them over its channel); [`OutputDecoding::to_bytes`]/`from_bytes` for
//!   sending decoding bits.
//! - [`SlotPlan`]: [`SlotPlan::new`] (label slots) or [`SlotPlan::compiled`] (plus a
//!   precompiled walk, ~1.3-1.5x faster at the default batch size), computed once per
//!   circuit and passed with `with_plan` to any number of garblers/evaluators;
//!   optional (without it each garbling computes `SlotPlan::new`).
//! - [`encode`] (active labels from zero labels and bits), [`garble_many`] /
//!   [`evaluate_many`] (independent instances on the rayon pool).
//!
//! # Streaming and memory
//! Tables are produced and consumed batch by batch (at most [`DEFAULT_BATCH`] AND gates,
//! chunks of [`CHUNK_BYTES`] to the sink); neither side ever holds all tables. Both keep
//! one 16-byte label per *live* wire: the slots of `mpc_circuits::passes::allocate_slots`
//! (a [`SlotPlan`], computed per garbling or once per circuit and passed with
//! `with_plan`), plus the fixed buffers and the plan's 4 bytes per wire.
//!
//! # Batching
//! Independent AND gates are hashed together (see `schedule.rs`), so each AES call
//! carries up to `4 * DEFAULT_BATCH` blocks; any valid gate order is correct, and a
//! level-scheduled order makes the batches full.
//!
//! # Corruption
//! Nothing here panics on bad tables, labels or decoding data. Decoding with
//! [`decode`] (colour bit ^ decoding bit) cannot detect a corrupted label: it yields a
//! wrong bit. When output labels go back to the garbler, [`Garbler::decode_returned`]
//! detects any label that is not one of the wire's two labels (forging one needs Delta).
//!
//! Tables are written in the in-memory layout of [`Block`], which is its little-endian
//! byte encoding: the crate supports little-endian targets only (checked at compile
//! time).

#[cfg(not(target_endian = "little"))]
compile_error!(
    "mpc-garble writes tables in the in-memory block layout and supports little-endian targets only"
);

mod error;
mod evaluator;
mod garbler;
pub mod perf;
mod program;
mod schedule;
mod stream;
pub mod three_halves;

pub use error::{BoxError, GarbleError};
pub use evaluator::Evaluator;
pub use garbler::{decode_returned, Garbler};
pub use program::{
    evaluate_program, evaluate_program_with, exec_error, garble_program, garble_program_with,
    program_tweaks_used, ProgramEvaluator, ProgramGarbler, ProgramPlans,
};
pub use schedule::SlotPlan;
pub use stream::{CountingSink, TableSink, TableSource, CHUNK_BYTES};

use mpc_circuits::Circuit;
use mpc_crypto::{Block, Delta};

/// How AND gates are garbled; both parties must use the same one (the session
/// negotiates it in its hello). XOR, INV, EQ, EQW and the labels are the same in both.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// Half-gates (Zahur, Rosulek, Evans 2015): 32 bytes per AND, 4 TCCR calls to
    /// garble, 2 to evaluate. The default: fastest where the kernel is the limit.
    #[default]
    HalfGates,
    /// Three-halves (Rosulek, Roy 2021, [`three_halves`]): 24 bytes plus 5 bits per AND,
    /// 6 TCCR calls to garble, 3 to evaluate. Wins where the wire is the limit.
    ThreeHalves,
}

impl Scheme {
    /// Both schemes, default first.
    pub const ALL: [Scheme; 2] = [Scheme::HalfGates, Scheme::ThreeHalves];

    /// The name used on the command line and in the hello (`half-gates`,
    /// `three-halves`).
    pub fn name(self) -> &'static str {
        match self {
            Scheme::HalfGates => "half-gates",
            Scheme::ThreeHalves => "three-halves",
        }
    }

    /// The scheme called `name` ([`Scheme::name`]), if any.
    pub fn from_name(name: &str) -> Option<Scheme> {
        Scheme::ALL.into_iter().find(|s| s.name() == name)
    }

    /// Table bytes a run of `ands` AND gates produces under this scheme.
    pub fn table_bytes(self, ands: u64) -> u64 {
        match self {
            Scheme::HalfGates => 32 * ands,
            Scheme::ThreeHalves => three_halves::stream_bytes(ands),
        }
    }
}

impl core::fmt::Display for Scheme {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

/// The public label the evaluator holds for every constant (EQ) wire.
pub const CONST_LABEL: Block = Block::ZERO;

/// Default largest number of AND gates hashed as one batch.
pub const DEFAULT_BATCH: usize = 1024;

/// AND gates per rayon task when a garbler/evaluator hashes wide batches in parallel.
pub const PAR_CHUNK: usize = 512;

/// Number of tweaks garbling `circuit` consumes (two per AND gate; three-halves uses
/// the same range plus its image with bit 127 set, see [`three_halves`]).
pub fn tweaks_used(circuit: &Circuit) -> u64 {
    2 * circuit.and_count() as u64
}

/// Table bytes garbling `circuit` with half-gates produces (32 per AND gate; see
/// [`Scheme::table_bytes`] for either scheme).
pub fn table_bytes(circuit: &Circuit) -> u64 {
    32 * circuit.and_count() as u64
}

/// The active labels for `bits` given the zero labels: `W0 ^ bit*Delta`.
///
/// Returns [`GarbleError::InputCount`] if the lengths differ.
pub fn encode(zero_labels: &[Block], delta: &Delta, bits: &[bool]) -> Result<Vec<Block>, GarbleError> {
    if zero_labels.len() != bits.len() {
        return Err(GarbleError::InputCount { want: zero_labels.len(), got: bits.len() });
    }
    let d = delta.as_block();
    Ok(zero_labels.iter().zip(bits).map(|(z, &b)| *z ^ Block::mask(b) & d).collect())
}

/// Per output bit, the colour bit of its zero-label: the value of an output bit is
/// `lsb(active label) ^ decoding bit`.
#[derive(Clone, PartialEq, Eq)]
pub struct OutputDecoding {
    bits: Vec<bool>,
}

impl core::fmt::Debug for OutputDecoding {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "OutputDecoding({} bits)", self.bits.len())
    }
}

impl OutputDecoding {
    /// From decoding bits.
    pub fn from_bits(bits: Vec<bool>) -> OutputDecoding {
        OutputDecoding { bits }
    }

    /// The decoding bits.
    pub fn bits(&self) -> &[bool] {
        &self.bits
    }

    /// Number of output bits.
    pub fn len(&self) -> usize {
        self.bits.len()
    }

    /// Whether there are no output bits.
    pub fn is_empty(&self) -> bool {
        self.bits.is_empty()
    }

    /// The decoding bits restricted to `range` (e.g. one output group's bits, to send
    /// only to the party that learns it).
    pub fn slice(&self, range: core::ops::Range<usize>) -> Option<OutputDecoding> {
        self.bits.get(range).map(|b| OutputDecoding { bits: b.to_vec() })
    }

    /// Packed bits, bit `i` at byte `i / 8`, bit position `i % 8`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = vec![0u8; self.bits.len().div_ceil(8)];
        for (i, &b) in self.bits.iter().enumerate() {
            out[i / 8] |= u8::from(b) << (i % 8);
        }
        out
    }

    /// Unpacks `n` bits written by [`OutputDecoding::to_bytes`]; a wrong length or set
    /// padding bits are an error.
    pub fn from_bytes(bytes: &[u8], n: usize) -> Result<OutputDecoding, GarbleError> {
        let want = n.div_ceil(8);
        if bytes.len() != want || (!n.is_multiple_of(8) && bytes[want - 1] >> (n % 8) != 0) {
            return Err(GarbleError::DecodingLength { bits: n, want, got: bytes.len() });
        }
        Ok(OutputDecoding { bits: (0..n).map(|i| (bytes[i / 8] >> (i % 8)) & 1 == 1).collect() })
    }
}

/// Decodes output labels: bit `i` is `lsb(labels[i]) ^ decoding[i]`. A corrupted label
/// gives a wrong bit (undetectable with decoding bits alone).
pub fn decode(labels: &[Block], decoding: &OutputDecoding) -> Result<Vec<bool>, GarbleError> {
    if labels.len() != decoding.bits.len() {
        return Err(GarbleError::OutputCount { want: decoding.bits.len(), got: labels.len() });
    }
    Ok(labels.iter().zip(&decoding.bits).map(|(l, &d)| l.lsb() ^ d).collect())
}

/// One garbling job for [`garble_many`].
#[derive(Debug)]
pub struct GarbleJob {
    /// The instance's Delta.
    pub delta: Delta,
    /// Zero-labels of all input wires.
    pub input_zero_labels: Vec<Block>,
    /// First tweak of the instance.
    pub tweak_base: u64,
}

/// The result of one garbling job: tables, decoding bits, output zero-labels.
#[derive(Debug)]
pub struct Garbled {
    /// The whole table stream.
    pub tables: Vec<u8>,
    /// Output decoding bits.
    pub decoding: OutputDecoding,
    /// Output zero labels.
    pub output_zero_labels: Vec<Block>,
}

/// The slot plan for `instances` runs of `circuit`: precompiled when it is reused.
fn plan_for(circuit: &Circuit, instances: usize) -> SlotPlan {
    if instances > 1 {
        SlotPlan::compiled(circuit)
    } else {
        SlotPlan::new(circuit)
    }
}

/// Garbles independent instances of one circuit in parallel on the rayon pool, each
/// into its own `Vec<u8>`.
pub fn garble_many(circuit: &Circuit, jobs: Vec<GarbleJob>) -> Vec<Result<Garbled, GarbleError>> {
    use rayon::prelude::*;
    let plan = plan_for(circuit, jobs.len());
    jobs.into_par_iter()
        .map(|job| {
            let mut g =
                Garbler::new(circuit, &job.delta, job.input_zero_labels, job.tweak_base)?.with_plan(&plan);
            let mut tables = Vec::with_capacity(table_bytes(circuit) as usize);
            let decoding = g.garble(&mut tables)?;
            let output_zero_labels = g.output_zero_labels().unwrap_or_default().to_vec();
            Ok(Garbled { tables, decoding, output_zero_labels })
        })
        .collect()
}

/// Evaluates independent instances in parallel: `(input labels, tweak base, tables)`
/// per instance; returns the output labels of each.
pub fn evaluate_many(
    circuit: &Circuit,
    jobs: Vec<(Vec<Block>, u64, &[u8])>,
) -> Vec<Result<Vec<Block>, GarbleError>> {
    use rayon::prelude::*;
    let plan = plan_for(circuit, jobs.len());
    jobs.into_par_iter()
        .map(|(labels, base, mut tables)| {
            Evaluator::new(circuit, labels, base)?.with_plan(&plan).evaluate(&mut tables)
        })
        .collect()
}
