//! The half-gates evaluator: holds one active label per live wire (the slots of a
//! [`SlotPlan`]) and reads the tables of
//! each batch of AND gates from a [`TableSource`] as it goes.
//!
//! Guarantees: reads exactly 32 bytes per AND gate, in AND order, never more than one
//! batch ahead; a short or failing source is an error, never a panic; wrong tables or
//! labels give wrong (random-looking) output labels, never a panic.

use mpc_circuits::Circuit;
use mpc_crypto::{Block, FixedKeyAes};

use crate::error::GarbleError;
use crate::schedule::{self, AndGate, Kernel, ParallelBatch, SlotPlan};
use crate::stream::TableSource;
use crate::three_halves::EvalState;
use crate::{Scheme, CONST_LABEL, DEFAULT_BATCH};

/// Evaluates one garbled circuit.
pub struct Evaluator<'c> {
    circuit: &'c Circuit,
    input_labels: Option<Vec<Block>>,
    tweak_base: u64,
    batch: usize,
    parallel: bool,
    plan: Option<&'c SlotPlan>,
    scheme: Scheme,
}

impl core::fmt::Debug for Evaluator<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Evaluator")
            .field("and_count", &self.circuit.and_count())
            .field("tweak_base", &self.tweak_base)
            .finish_non_exhaustive()
    }
}

impl<'c> Evaluator<'c> {
    /// An evaluator for `circuit` holding the active label of every input wire
    /// (`circuit.num_input_wires()`, in wire order) and the garbler's `tweak_base`.
    pub fn new(
        circuit: &'c Circuit,
        input_labels: Vec<Block>,
        tweak_base: u64,
    ) -> Result<Evaluator<'c>, GarbleError> {
        let want = circuit.num_input_wires() as usize;
        if input_labels.len() != want {
            return Err(GarbleError::InputCount { want, got: input_labels.len() });
        }
        Ok(Evaluator {
            circuit,
            input_labels: Some(input_labels),
            tweak_base,
            batch: DEFAULT_BATCH,
            parallel: false,
            plan: None,
            scheme: Scheme::HalfGates,
        })
    }

    /// Largest AND batch (default [`DEFAULT_BATCH`]); does not change the output.
    pub fn with_batch_size(mut self, batch: usize) -> Self {
        self.batch = batch.max(1);
        self
    }

    /// Hashes large batches on the rayon pool; does not change the output.
    pub fn with_parallel_levels(mut self, parallel: bool) -> Self {
        self.parallel = parallel;
        self
    }

    /// Evaluates tables garbled under `scheme` (default [`Scheme::HalfGates`]).
    pub fn with_scheme(mut self, scheme: Scheme) -> Self {
        self.scheme = scheme;
        self
    }

    /// Uses a precomputed [`SlotPlan`] of the circuit; a plan of a differently shaped
    /// circuit makes [`Evaluator::evaluate`] fail. Does not change the output.
    pub fn with_plan(mut self, plan: &'c SlotPlan) -> Self {
        self.plan = Some(plan);
        self
    }

    /// Evaluates, reading tables from `source`; returns the output labels (groups in
    /// order, bit 0 first). Can be called once.
    pub fn evaluate(&mut self, source: &mut impl TableSource) -> Result<Vec<Block>, GarbleError> {
        let inputs =
            self.input_labels.take().ok_or(GarbleError::State("this evaluator already evaluated"))?;
        let mut kernel = EvalKernel::new(self.tweak_base, source, self.parallel);
        kernel.set_scheme(self.scheme);
        let (circuit, batch) = (self.circuit, self.batch);
        schedule::with_plan(circuit, self.plan, |plan| {
            schedule::run(circuit, plan, &inputs, &mut kernel, batch)
        })
    }
}

pub(crate) struct EvalKernel<S: TableSource> {
    aes: &'static FixedKeyAes,
    tweak_base: u128,
    par: ParallelBatch,
    scratch: Vec<u8>,
    source: S,
    pub(crate) parallel: bool,
    /// Set when evaluating three-halves tables (then `parallel` is ignored).
    three_halves: Option<EvalState>,
}

impl<S: TableSource> EvalKernel<S> {
    /// A kernel reading from `source`.
    pub(crate) fn new(tweak_base: u64, source: S, parallel: bool) -> Self {
        EvalKernel {
            aes: FixedKeyAes::global(),
            tweak_base: tweak_base as u128,
            par: ParallelBatch::default(),
            scratch: Vec::new(),
            source,
            parallel,
            three_halves: None,
        }
    }

    /// Evaluates tables of `scheme`.
    pub(crate) fn set_scheme(&mut self, scheme: Scheme) {
        self.three_halves = match scheme {
            Scheme::HalfGates => None,
            Scheme::ThreeHalves => Some(EvalState::default()),
        };
    }
}

impl<S: TableSource> Kernel for EvalKernel<S> {
    #[inline(always)]
    fn inv(&self, x: Block) -> Block {
        x
    }

    #[inline(always)]
    fn constant(&self, _value: bool) -> Block {
        CONST_LABEL
    }

    fn and_batch(
        &mut self,
        gates: &[AndGate],
        first_and: u64,
        labels: &mut [Block],
    ) -> Result<(), GarbleError> {
        if let Some(th) = self.three_halves.as_mut() {
            let (source, scratch) = (&mut self.source, &mut self.scratch);
            return th.eval_batch(self.aes, self.tweak_base, gates, first_and, labels, source, scratch);
        }
        let n = gates.len();
        let tables = self.source.next_tables(32 * n, &mut self.scratch)?;
        let first_tweak = self.tweak_base + 2 * first_and as u128;
        let aes = self.aes;
        if !(self.parallel && n >= 2 * crate::PAR_CHUNK) {
            aes.eval_and_gates(labels, schedule::as_triples(gates), first_tweak, tables);
            return Ok(());
        }
        use rayon::prelude::*;
        let c = crate::PAR_CHUNK;
        let (pairs, outs) = self.par.gather(gates, labels);
        pairs
            .par_chunks(2 * c)
            .zip(tables.par_chunks(32 * c))
            .zip(outs.par_chunks_mut(c))
            .enumerate()
            .for_each(|(i, ((p, t), o))| aes.eval_half_gates(p, first_tweak + 2 * (i * c) as u128, t, o));
        self.par.scatter(gates, labels);
        Ok(())
    }
}
