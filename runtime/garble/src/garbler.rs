//! The half-gates garbler (Zahur, Rosulek, Evans 2015) with free-XOR and
//! point-and-permute over the fixed-key TCCR hash.
//!
//! Guarantees: the table stream is exactly 32 bytes per AND gate and nothing for
//! XOR/INV/EQ/EQW; tables are flushed to the sink in chunks of at most
//! [`crate::CHUNK_BYTES`]; the AND gate number `j` (in circuit order) uses tweaks
//! `tweak_base + 2j` and `tweak_base + 2j + 1`; memory is one label per *live* wire
//! (the slots of a [`SlotPlan`]) plus fixed buffers (the tables are never all held).

use mpc_circuits::Circuit;
use mpc_crypto::{Block, Delta, FixedKeyAes};
use subtle::{Choice, ConstantTimeEq};

use crate::error::GarbleError;
use crate::schedule::{self, AndGate, Kernel, ParallelBatch, SlotPlan};
use crate::stream::{TableSink, CHUNK_BYTES};
use crate::three_halves::GarbleState;
use crate::{OutputDecoding, Scheme, CONST_LABEL, DEFAULT_BATCH};

/// A fresh secret seed from the operating system's generator.
pub(crate) fn os_seed() -> Block {
    Block::random(&mut rand_core::OsRng)
}

/// Garbles one circuit once. See the crate documentation for the protocol around it.
pub struct Garbler<'c> {
    circuit: &'c Circuit,
    delta: Delta,
    input_zero_labels: Option<Vec<Block>>,
    tweak_base: u64,
    output_zero_labels: Option<Vec<Block>>,
    batch: usize,
    parallel: bool,
    plan: Option<&'c SlotPlan>,
    three_halves: Option<Block>,
}

impl core::fmt::Debug for Garbler<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Garbler")
            .field("and_count", &self.circuit.and_count())
            .field("tweak_base", &self.tweak_base)
            .finish_non_exhaustive()
    }
}

impl<'c> Garbler<'c> {
    /// A garbler for `circuit` with offset `delta`. `input_zero_labels` holds the
    /// zero-label of every input wire (`circuit.num_input_wires()` of them, in wire
    /// order): the garbler's own from its PRG, the evaluator's from correlated OT with
    /// correlation `delta`. `tweak_base` must be such that no tweak in
    /// `tweak_base .. tweak_base + tweaks_used(circuit)` was used before with `delta`.
    pub fn new(
        circuit: &'c Circuit,
        delta: &Delta,
        input_zero_labels: Vec<Block>,
        tweak_base: u64,
    ) -> Result<Garbler<'c>, GarbleError> {
        let want = circuit.num_input_wires() as usize;
        if input_zero_labels.len() != want {
            return Err(GarbleError::InputCount { want, got: input_zero_labels.len() });
        }
        Ok(Garbler {
            circuit,
            delta: delta.clone(),
            input_zero_labels: Some(input_zero_labels),
            tweak_base,
            output_zero_labels: None,
            batch: DEFAULT_BATCH,
            parallel: false,
            plan: None,
            three_halves: None,
        })
    }

    /// Garbles under `scheme` (default [`Scheme::HalfGates`]); three-halves draws its
    /// per-gate random bits from a PRG seeded from the OS ([`Garbler::with_three_halves_seed`]
    /// to fix the seed).
    pub fn with_scheme(self, scheme: Scheme) -> Self {
        match scheme {
            Scheme::HalfGates => Garbler { three_halves: None, ..self },
            Scheme::ThreeHalves => self.with_three_halves_seed(os_seed()),
        }
    }

    /// Garbles with three-halves, its random bits from a PRG seeded with `seed` (which
    /// must be secret and never reused; fixed seeds are for reproducible tests).
    pub fn with_three_halves_seed(mut self, seed: Block) -> Self {
        self.three_halves = Some(seed);
        self
    }

    /// Sets the largest number of AND gates hashed as one batch (default
    /// [`DEFAULT_BATCH`]; at least 1). Does not change the output.
    pub fn with_batch_size(mut self, batch: usize) -> Self {
        self.batch = batch.max(1);
        self
    }

    /// Hashes large batches on the rayon pool (split into chunks of
    /// [`crate::PAR_CHUNK`] gates). Does not change the output.
    pub fn with_parallel_levels(mut self, parallel: bool) -> Self {
        self.parallel = parallel;
        self
    }

    /// Uses a precomputed [`SlotPlan`] of the circuit (saves computing it per
    /// garbling); a plan of a differently shaped circuit makes [`Garbler::garble`] fail.
    /// Does not change the output.
    pub fn with_plan(mut self, plan: &'c SlotPlan) -> Self {
        self.plan = Some(plan);
        self
    }

    /// Garbles the circuit, streaming the tables into `sink`; returns the decoding
    /// bits of the outputs. Can be called once.
    pub fn garble(&mut self, sink: &mut impl TableSink) -> Result<OutputDecoding, GarbleError> {
        let inputs =
            self.input_zero_labels.take().ok_or(GarbleError::State("this garbler already garbled"))?;
        let mut kernel = GarbleKernel::new(&self.delta, self.tweak_base, sink, self.parallel);
        kernel.three_halves = self.three_halves.map(GarbleState::new);
        let (circuit, batch) = (self.circuit, self.batch);
        let zero = schedule::with_plan(circuit, self.plan, |plan| {
            schedule::run(circuit, plan, &inputs, &mut kernel, batch)
        })?;
        kernel.finish()?;
        let decoding = OutputDecoding::from_bits(zero.iter().map(|l| l.lsb()).collect());
        self.output_zero_labels = Some(zero);
        Ok(decoding)
    }

    /// The zero-labels of the output bits (groups in order, bit 0 first), after
    /// [`Garbler::garble`].
    pub fn output_zero_labels(&self) -> Option<&[Block]> {
        self.output_zero_labels.as_deref()
    }

    /// Decodes output labels the evaluator sent back, checking each is one of its
    /// wire's two labels (in constant time per label). A corrupted or forged label is
    /// [`GarbleError::InvalidOutputLabel`].
    pub fn decode_returned(&self, labels: &[Block]) -> Result<Vec<bool>, GarbleError> {
        let zero = self.output_zero_labels.as_deref().ok_or(GarbleError::State("decode before garbling"))?;
        decode_returned(&self.delta, zero, labels)
    }
}

/// Decodes output labels the evaluator sent back against their zero-labels `zero`,
/// checking each is one of its wire's two labels (in constant time per label); see
/// [`Garbler::decode_returned`].
pub fn decode_returned(delta: &Delta, zero: &[Block], labels: &[Block]) -> Result<Vec<bool>, GarbleError> {
    if labels.len() != zero.len() {
        return Err(GarbleError::OutputCount { want: zero.len(), got: labels.len() });
    }
    let d = delta.as_block();
    let mut bits = Vec::with_capacity(labels.len());
    for (index, (l, z)) in labels.iter().zip(zero).enumerate() {
        let is0: Choice = l.ct_eq(z);
        let is1: Choice = l.ct_eq(&(*z ^ d));
        if !bool::from(is0 | is1) {
            return Err(GarbleError::InvalidOutputLabel { index });
        }
        bits.push(bool::from(is1));
    }
    Ok(bits)
}

pub(crate) struct GarbleKernel<S: TableSink> {
    aes: &'static FixedKeyAes,
    pub(crate) delta: Delta,
    tweak_base: u128,
    par: ParallelBatch,
    /// The sink chunk being filled: `out[..filled]` holds tables not yet written. Its
    /// length stays `CHUNK_BYTES` (zeroed once), so batches write without zero-filling.
    out: Vec<u8>,
    filled: usize,
    sink: S,
    pub(crate) parallel: bool,
    /// Set when garbling with three-halves (then `parallel` is ignored).
    pub(crate) three_halves: Option<GarbleState>,
}

impl<S: TableSink> GarbleKernel<S> {
    /// A kernel writing to `sink` (its chunk buffer is allocated once, here).
    pub(crate) fn new(delta: &Delta, tweak_base: u64, sink: S, parallel: bool) -> Self {
        GarbleKernel {
            aes: FixedKeyAes::global(),
            delta: delta.clone(),
            tweak_base: tweak_base as u128,
            par: ParallelBatch::default(),
            out: vec![0u8; CHUNK_BYTES],
            filled: 0,
            sink,
            parallel,
            three_halves: None,
        }
    }

    /// Writes the tables still buffered to the sink.
    pub(crate) fn finish(&mut self) -> Result<(), GarbleError> {
        if self.filled > 0 {
            let filled = std::mem::take(&mut self.filled);
            self.sink.write_chunk(&mut self.out, filled)?;
            // A sink may swap in another buffer; it must be a whole chunk again.
            if self.out.len() != CHUNK_BYTES {
                self.out.resize(CHUNK_BYTES, 0);
            }
        }
        Ok(())
    }

    /// Garbles at most `CHUNK_BYTES / 32` gates into the output buffer.
    fn garble_part(
        &mut self,
        gates: &[AndGate],
        first_and: u64,
        labels: &mut [Block],
    ) -> Result<(), GarbleError> {
        let n = gates.len();
        if self.filled + 32 * n > CHUNK_BYTES {
            self.finish()?;
        }
        let start = self.filled;
        self.filled += 32 * n;
        // In range: and_batch passes at most CHUNK_BYTES / 32 gates, and the chunk was
        // flushed above if they did not fit.
        let tables = &mut self.out[start..self.filled];
        let first_tweak = self.tweak_base + 2 * first_and as u128;
        let (aes, delta) = (self.aes, &self.delta);
        if !(self.parallel && n >= 2 * crate::PAR_CHUNK) {
            aes.garble_and_gates(delta, labels, schedule::as_triples(gates), first_tweak, tables);
            return Ok(());
        }
        use rayon::prelude::*;
        let c = crate::PAR_CHUNK;
        let (pairs, outs) = self.par.gather(gates, labels);
        pairs
            .par_chunks(2 * c)
            .zip(tables.par_chunks_mut(32 * c))
            .zip(outs.par_chunks_mut(c))
            .enumerate()
            .for_each(|(i, ((p, t), o))| {
                aes.garble_half_gates(delta, p, first_tweak + 2 * (i * c) as u128, t, o)
            });
        self.par.scatter(gates, labels);
        Ok(())
    }
}

impl<S: TableSink> Kernel for GarbleKernel<S> {
    #[inline(always)]
    fn inv(&self, x: Block) -> Block {
        // The zero-label of !x is the one-label of x.
        x ^ self.delta.as_block()
    }

    #[inline(always)]
    fn constant(&self, value: bool) -> Block {
        // The evaluator's label is the public CONST_LABEL, which must encode `value`.
        CONST_LABEL ^ (Block::mask(value) & self.delta.as_block())
    }

    fn and_batch(
        &mut self,
        gates: &[AndGate],
        first_and: u64,
        labels: &mut [Block],
    ) -> Result<(), GarbleError> {
        if let Some(th) = self.three_halves.as_mut() {
            let (out, filled, sink) = (&mut self.out, &mut self.filled, &mut self.sink);
            return th.garble_batch(
                self.aes,
                &self.delta,
                self.tweak_base,
                gates,
                first_and,
                labels,
                out,
                filled,
                sink,
            );
        }
        let part = CHUNK_BYTES / 32;
        for (i, gs) in gates.chunks(part).enumerate() {
            self.garble_part(gs, first_and + (i * part) as u64, labels)?;
        }
        Ok(())
    }
}
