//! Garbling and evaluating a [`Program`] (bodies called by instructions over a wire
//! memory) as its executor runs it: [`ProgramGarbler`] and [`ProgramEvaluator`] are
//! the [`mpc_circuits::Engine`]s of the two sides, with [`Block`] labels.
//!
//! Guarantees:
//! - AND gates are numbered across the whole run (body call after body call, in
//!   program order), and AND number `j` uses tweaks `tweak_base + 2j` and
//!   `tweak_base + 2j + 1`: no tweak is used twice in one run. A run consumes
//!   [`program_tweaks_used`] tweaks.
//! - Garbling `Program::from_circuit(c)` produces byte for byte the tables of
//!   [`crate::Garbler`] on `c` (tested).
//! - A public constant bit `v` (a register operand) is `CONST_LABEL ^ v*Delta` for the
//!   garbler and [`CONST_LABEL`] for the evaluator, as for EQ gates.
//! - Per call, nothing is allocated once the buffers have grown to the largest body:
//!   one kernel with its [`crate::CHUNK_BYTES`] table buffer serves the whole run (tables
//!   reach the sink in full chunks across call boundaries), one label slot memory
//!   serves every body, and each body's [`SlotPlan`] is computed at its first call and
//!   precompiled at its second (bodies are called up to millions of times).
//! - Memory: the program's memory (held by the executor) plus the largest body's slots
//!   and each called body's plan; never anything per gate executed.

use mpc_circuits::{execute, Circuit, Engine, ExecError, Program};
use mpc_crypto::{Block, Delta};

use crate::error::GarbleError;
use crate::evaluator::EvalKernel;
use crate::garbler::GarbleKernel;
use crate::schedule::{self, SlotPlan};
use crate::stream::{TableSink, TableSource};
use crate::{OutputDecoding, Scheme, CONST_LABEL, DEFAULT_BATCH};

/// Tweaks a run of `program` consumes (two per executed AND gate).
pub fn program_tweaks_used(program: &Program) -> u128 {
    program.stats().and.saturating_mul(2)
}

/// The slot plans of a program's bodies, made lazily per body index.
#[derive(Debug, Default)]
struct Plans {
    plans: Vec<Option<(SlotPlan, u64)>>,
}

/// The slot plans of every body of a program, made ahead of a run (for instance on
/// another thread while the session waits for its peer) and given to
/// [`ProgramGarbler::with_plans`] / [`ProgramEvaluator::with_plans`], so the run does
/// not make them at each body's first call. The run's output does not change; plans of
/// another program are an error, never a wrong result.
#[derive(Debug, Default)]
pub struct ProgramPlans(Plans);

impl ProgramPlans {
    /// The plan of every body of `program`.
    pub fn new(program: &Program) -> ProgramPlans {
        ProgramPlans(Plans { plans: program.bodies().iter().map(|b| Some((SlotPlan::new(b), 0))).collect() })
    }

    /// The compiled plan of `circuit` as body 0 (of `Program::from_circuit`), for a run
    /// that calls it many times (the instances of a many-instance session): compiled
    /// now, so no call compiles it on the critical path.
    pub fn compiled_circuit(circuit: &Circuit) -> ProgramPlans {
        // Counted as called twice: `Plans::get` compiles only at the second call.
        ProgramPlans(Plans { plans: vec![Some((SlotPlan::compiled(circuit), 2))] })
    }
}

impl Plans {
    /// The plan of body `index` (`body`): made at the first call, compiled at the
    /// second (with the default batch size only: a compiled plan is for that size).
    fn get(&mut self, index: usize, body: &Circuit, batch: usize) -> Result<&SlotPlan, GarbleError> {
        if index >= self.plans.len() {
            self.plans.resize_with(index + 1, || None);
        }
        let entry = self.plans[index].get_or_insert_with(|| (SlotPlan::new(body), 0));
        if !entry.0.fits(body) {
            return Err(GarbleError::State("a body index was called with two different bodies"));
        }
        entry.1 += 1;
        if entry.1 == 2 && batch == DEFAULT_BATCH {
            entry.0.compile(body);
        }
        Ok(&entry.0)
    }
}

fn engine_error(e: GarbleError) -> ExecError {
    ExecError::Engine(Box::new(e))
}

/// The executor's error as a [`GarbleError`] (the engine's own error comes back as
/// itself).
pub fn exec_error(e: ExecError) -> GarbleError {
    match e {
        ExecError::Engine(inner) => match inner.downcast::<GarbleError>() {
            Ok(g) => *g,
            Err(other) => GarbleError::Program(other.to_string()),
        },
        ExecError::InputCount { want, got } => GarbleError::InputCount { want, got },
        other => GarbleError::Program(other.to_string()),
    }
}

/// The garbler's engine: garbles each body call as the executor runs it, streaming
/// tables into its sink. See the module docs; [`garble_program`] runs a whole program.
pub struct ProgramGarbler<S: TableSink> {
    kernel: GarbleKernel<S>,
    plans: Plans,
    labels: Vec<Block>,
    ands_done: u64,
    batch: usize,
}

impl<S: TableSink> core::fmt::Debug for ProgramGarbler<S> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ProgramGarbler").field("ands_done", &self.ands_done).finish_non_exhaustive()
    }
}

impl<S: TableSink> ProgramGarbler<S> {
    /// A garbler with offset `delta` whose first AND gate uses tweak `tweak_base`
    /// (no tweak in `tweak_base .. tweak_base + program_tweaks_used(p)` may have been
    /// used with `delta` before).
    pub fn new(delta: &Delta, tweak_base: u64, sink: S) -> Self {
        ProgramGarbler {
            kernel: GarbleKernel::new(delta, tweak_base, sink, false),
            plans: Plans::default(),
            labels: Vec::new(),
            ands_done: 0,
            batch: DEFAULT_BATCH,
        }
    }

    /// Largest AND batch (default [`DEFAULT_BATCH`], at least 1; other sizes skip the
    /// precompiled schedules). Does not change the output.
    pub fn with_batch_size(mut self, batch: usize) -> Self {
        self.batch = batch.max(1);
        self
    }

    /// Hashes large batches on the rayon pool. Does not change the output.
    pub fn with_parallel_levels(mut self, parallel: bool) -> Self {
        self.kernel.parallel = parallel;
        self
    }

    /// Uses the bodies' slot plans made ahead ([`ProgramPlans::new`] of the same
    /// program). Set it before the first call.
    pub fn with_plans(mut self, plans: ProgramPlans) -> Self {
        self.plans = plans.0;
        self
    }

    /// Garbles under `scheme` (default [`Scheme::HalfGates`]; three-halves seeds its
    /// random bits from the OS). Set it before the first call.
    pub fn with_scheme(self, scheme: Scheme) -> Self {
        match scheme {
            Scheme::HalfGates => self,
            Scheme::ThreeHalves => self.with_three_halves_seed(crate::garbler::os_seed()),
        }
    }

    /// Garbles with three-halves, its random bits from a PRG seeded with the secret
    /// `seed` (see [`crate::Garbler::with_three_halves_seed`]).
    pub fn with_three_halves_seed(mut self, seed: Block) -> Self {
        self.kernel.three_halves = Some(crate::three_halves::GarbleState::new(seed));
        self
    }

    /// AND gates garbled so far.
    pub fn ands_done(&self) -> u64 {
        self.ands_done
    }

    /// Writes the tables still buffered to the sink (call once the run is over).
    pub fn finish(&mut self) -> Result<(), GarbleError> {
        self.kernel.finish()
    }
}

impl<S: TableSink> Engine for ProgramGarbler<S> {
    type Label = Block;

    fn constant(&mut self, bit: bool) -> Block {
        CONST_LABEL ^ (Block::mask(bit) & self.kernel.delta.as_block())
    }

    fn call(
        &mut self,
        index: usize,
        body: &Circuit,
        inputs: &[Block],
        outputs: &mut Vec<Block>,
    ) -> Result<(), ExecError> {
        let plan = self.plans.get(index, body, self.batch).map_err(engine_error)?;
        let done = schedule::run_into(
            body,
            plan,
            inputs,
            &mut self.kernel,
            self.batch,
            self.ands_done,
            &mut self.labels,
            outputs,
        )
        .map_err(engine_error)?;
        self.ands_done += done;
        Ok(())
    }
}

/// The evaluator's engine: evaluates each body call as the executor runs it, reading
/// tables from its source. See the module docs; [`evaluate_program`] runs a whole
/// program.
pub struct ProgramEvaluator<S: TableSource> {
    kernel: EvalKernel<S>,
    plans: Plans,
    labels: Vec<Block>,
    ands_done: u64,
    batch: usize,
}

impl<S: TableSource> core::fmt::Debug for ProgramEvaluator<S> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ProgramEvaluator").field("ands_done", &self.ands_done).finish_non_exhaustive()
    }
}

impl<S: TableSource> ProgramEvaluator<S> {
    /// An evaluator reading tables from `source`, with the garbler's `tweak_base`.
    pub fn new(tweak_base: u64, source: S) -> Self {
        ProgramEvaluator {
            kernel: EvalKernel::new(tweak_base, source, false),
            plans: Plans::default(),
            labels: Vec::new(),
            ands_done: 0,
            batch: DEFAULT_BATCH,
        }
    }

    /// Largest AND batch (default [`DEFAULT_BATCH`]); does not change the output.
    pub fn with_batch_size(mut self, batch: usize) -> Self {
        self.batch = batch.max(1);
        self
    }

    /// Hashes large batches on the rayon pool; does not change the output.
    pub fn with_parallel_levels(mut self, parallel: bool) -> Self {
        self.kernel.parallel = parallel;
        self
    }

    /// Uses the bodies' slot plans made ahead (see [`ProgramGarbler::with_plans`]).
    pub fn with_plans(mut self, plans: ProgramPlans) -> Self {
        self.plans = plans.0;
        self
    }

    /// Evaluates tables garbled under `scheme` (default [`Scheme::HalfGates`]). Set it
    /// before the first call.
    pub fn with_scheme(mut self, scheme: Scheme) -> Self {
        self.kernel.set_scheme(scheme);
        self
    }

    /// AND gates evaluated so far.
    pub fn ands_done(&self) -> u64 {
        self.ands_done
    }
}

impl<S: TableSource> Engine for ProgramEvaluator<S> {
    type Label = Block;

    fn constant(&mut self, _bit: bool) -> Block {
        CONST_LABEL
    }

    fn call(
        &mut self,
        index: usize,
        body: &Circuit,
        inputs: &[Block],
        outputs: &mut Vec<Block>,
    ) -> Result<(), ExecError> {
        let plan = self.plans.get(index, body, self.batch).map_err(engine_error)?;
        let done = schedule::run_into(
            body,
            plan,
            inputs,
            &mut self.kernel,
            self.batch,
            self.ands_done,
            &mut self.labels,
            outputs,
        )
        .map_err(engine_error)?;
        self.ands_done += done;
        Ok(())
    }
}

/// Garbles a whole run of `program` into `sink`: `input_zero_labels` holds the
/// zero-label of every input wire (groups in order). Returns the decoding bits and the
/// zero-labels of the output bits (outputs in order).
pub fn garble_program<S: TableSink>(
    program: &Program,
    delta: &Delta,
    input_zero_labels: &[Block],
    tweak_base: u64,
    sink: S,
) -> Result<(OutputDecoding, Vec<Block>), GarbleError> {
    garble_program_with(ProgramGarbler::new(delta, tweak_base, sink), program, input_zero_labels)
}

/// [`garble_program`] with a configured garbler (e.g. [`ProgramGarbler::with_scheme`]).
pub fn garble_program_with<S: TableSink>(
    mut g: ProgramGarbler<S>,
    program: &Program,
    input_zero_labels: &[Block],
) -> Result<(OutputDecoding, Vec<Block>), GarbleError> {
    let zero = execute(program, &mut g, input_zero_labels).map_err(exec_error)?;
    g.finish()?;
    let decoding = OutputDecoding::from_bits(zero.iter().map(|l| l.lsb()).collect());
    Ok((decoding, zero))
}

/// Evaluates a whole run of `program` with tables from `source`: `input_labels` holds
/// the active label of every input wire. Returns the output labels (outputs in order).
pub fn evaluate_program<S: TableSource>(
    program: &Program,
    input_labels: &[Block],
    tweak_base: u64,
    source: S,
) -> Result<Vec<Block>, GarbleError> {
    evaluate_program_with(ProgramEvaluator::new(tweak_base, source), program, input_labels)
}

/// [`evaluate_program`] with a configured evaluator (e.g.
/// [`ProgramEvaluator::with_scheme`]).
pub fn evaluate_program_with<S: TableSource>(
    mut e: ProgramEvaluator<S>,
    program: &Program,
    input_labels: &[Block],
) -> Result<Vec<Block>, GarbleError> {
    execute(program, &mut e, input_labels).map_err(exec_error)
}
