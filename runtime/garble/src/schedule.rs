//! The gate walker shared by garbler and evaluator: free gates at once, AND gates in
//! batches of mutually independent gates.
//!
//! Guarantees: correct for any gate order a verified [`Circuit`] allows. A batch is a
//! set of AND gates none of which reads the output of another gate in the same batch;
//! any gate (free or AND) that reads an output of the pending batch first flushes the
//! batch. Batches preserve the circuit order of AND gates, so the table stream is in
//! AND order whatever the batch boundaries are (garbler and evaluator could even batch
//! differently). Free gates that do not depend on the pending batch are evaluated
//! immediately, so runs of independent ANDs continue across interleaved XORs; a
//! level-scheduled gate order (`mpc_circuits` passes) makes batches full.

use mpc_circuits::{Circuit, Gate};
use mpc_crypto::Block;

use crate::error::GarbleError;

/// One AND gate of a batch: input wires `a`, `b` and output wire `out` (indices).
#[derive(Clone, Copy, Debug)]
pub(crate) struct AndGate {
    pub a: u32,
    pub b: u32,
    pub out: u32,
}

/// What differs between garbler and evaluator.
pub(crate) trait Kernel {
    /// The label of `!x` given the label of `x`.
    fn inv(&self, x: Block) -> Block;
    /// The label a constant wire of value `value` gets.
    fn constant(&self, value: bool) -> Block;
    /// Processes a batch of independent AND gates whose first gate is the
    /// `first_and`-th AND gate of the circuit.
    fn and_batch(
        &mut self,
        gates: &[AndGate],
        first_and: u64,
        labels: &mut [Block],
    ) -> Result<(), GarbleError>;
}

/// A bit per wire: set while the wire is the output of a pending (unprocessed) AND.
struct PendingSet(Vec<u64>);

impl PendingSet {
    fn new(n: usize) -> Self {
        PendingSet(vec![0; n.div_ceil(64)])
    }
    #[inline(always)]
    fn get(&self, w: u32) -> bool {
        // In range: wires come from a verified circuit, the set has num_wires bits.
        (self.0[(w >> 6) as usize] >> (w & 63)) & 1 == 1
    }
    #[inline(always)]
    fn set(&mut self, w: u32) {
        self.0[(w >> 6) as usize] |= 1 << (w & 63);
    }
    #[inline(always)]
    fn clear(&mut self, w: u32) {
        self.0[(w >> 6) as usize] &= !(1 << (w & 63));
    }
}

struct Batch {
    gates: Vec<AndGate>,
    first_and: u64,
    max: usize,
}

impl Batch {
    fn flush<K: Kernel>(
        &mut self,
        k: &mut K,
        pending: &mut PendingSet,
        labels: &mut [Block],
    ) -> Result<(), GarbleError> {
        if self.gates.is_empty() {
            return Ok(());
        }
        k.and_batch(&self.gates, self.first_and, labels)?;
        for g in &self.gates {
            pending.clear(g.out);
        }
        self.first_and += self.gates.len() as u64;
        self.gates.clear();
        Ok(())
    }
}

/// Walks the gates of `circuit`; `labels` has one entry per wire with the input wires
/// filled in. On return every written wire has its label.
pub(crate) fn run<K: Kernel>(
    circuit: &Circuit,
    labels: &mut [Block],
    kernel: &mut K,
    max_batch: usize,
) -> Result<(), GarbleError> {
    let mut pending = PendingSet::new(labels.len());
    let mut batch = Batch { gates: Vec::with_capacity(max_batch), first_and: 0, max: max_batch.max(1) };
    // Wire indices are in range of `labels` (num_wires long): `Circuit::new` checked them.
    for gate in circuit.gates() {
        match *gate {
            Gate::And { a, b, out } => {
                if pending.get(a.0) || pending.get(b.0) || batch.gates.len() == batch.max {
                    batch.flush(kernel, &mut pending, labels)?;
                }
                pending.set(out.0);
                batch.gates.push(AndGate { a: a.0, b: b.0, out: out.0 });
            }
            Gate::Xor { a, b, out } => {
                if pending.get(a.0) || pending.get(b.0) {
                    batch.flush(kernel, &mut pending, labels)?;
                }
                labels[out.index()] = labels[a.index()] ^ labels[b.index()];
            }
            Gate::Inv { a, out } => {
                if pending.get(a.0) {
                    batch.flush(kernel, &mut pending, labels)?;
                }
                labels[out.index()] = kernel.inv(labels[a.index()]);
            }
            Gate::Copy { a, out } => {
                if pending.get(a.0) {
                    batch.flush(kernel, &mut pending, labels)?;
                }
                labels[out.index()] = labels[a.index()];
            }
            Gate::Const { value, out } => labels[out.index()] = kernel.constant(value),
        }
    }
    batch.flush(kernel, &mut pending, labels)
}

/// All-ones if `bit`, else zero (branch-free select mask).
#[inline(always)]
pub(crate) fn mask(bit: bool) -> Block {
    Block::from_u128((bit as u128).wrapping_neg())
}
