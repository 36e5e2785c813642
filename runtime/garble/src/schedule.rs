//! The gate walker shared by garbler and evaluator: free gates at once, AND gates in
//! batches of mutually independent gates, labels kept in reusable slots.
//!
//! Guarantees: correct for any gate order a verified [`Circuit`] allows. Labels live in
//! the slots of `mpc_circuits::passes::allocate_slots` (`num_slots` = the peak number of
//! live wires, output wires live to the end), so memory is bounded by live wires, not
//! by all wires. A batch is a set of AND gates none of which reads the output of another
//! gate in the same batch; a batch reads all its inputs before writing any output. Any
//! gate that reads a slot a pending AND will write, and any free gate that writes a
//! slot a pending AND reads or writes, first flushes the batch; so the walk computes
//! exactly what gate-by-gate execution in circuit order does. Batches preserve the
//! circuit order of AND gates, so the table stream is in AND order whatever the batch
//! boundaries are. Free gates that do not touch the pending batch's slots run
//! immediately; a level-scheduled gate order (`mpc_circuits::passes::schedule_levels`)
//! makes batches full.

use mpc_circuits::passes::{allocate_slots, SlotMap};
use mpc_circuits::{Circuit, Gate};
use mpc_crypto::Block;

use crate::error::GarbleError;

/// A liveness-based slot assignment for one circuit, computed once
/// ([`SlotPlan::new`]) and shared by any number of garblers and evaluators of that
/// circuit (see [`crate::Garbler::with_plan`]); without one, each garbling computes
/// its own.
#[derive(Clone, Debug)]
pub struct SlotPlan {
    map: SlotMap,
    num_gates: usize,
}

impl SlotPlan {
    /// The slot plan of `circuit` (`mpc_circuits::passes::allocate_slots`).
    pub fn new(circuit: &Circuit) -> SlotPlan {
        SlotPlan { map: allocate_slots(circuit), num_gates: circuit.gates().len() }
    }

    /// Number of label slots (the peak number of live wires).
    pub fn num_slots(&self) -> usize {
        self.map.num_slots as usize
    }

    /// Whether the plan has the shape of `circuit` (same wire and gate counts). A plan
    /// of another circuit of the same shape gives wrong labels (never a panic).
    pub(crate) fn fits(&self, circuit: &Circuit) -> bool {
        self.map.slot.len() == circuit.num_wires() as usize && self.num_gates == circuit.gates().len()
    }

    /// Slot of each wire.
    pub(crate) fn slots(&self) -> &[u32] {
        &self.map.slot
    }
}

/// Runs `f` with the plan to use: `plan` if given (checked against `circuit`), else a
/// fresh one.
pub(crate) fn with_plan<T>(
    circuit: &Circuit,
    plan: Option<&SlotPlan>,
    f: impl FnOnce(&SlotPlan) -> Result<T, GarbleError>,
) -> Result<T, GarbleError> {
    match plan {
        Some(p) if p.fits(circuit) => f(p),
        Some(_) => Err(GarbleError::State("the slot plan was made for another circuit")),
        None => f(&SlotPlan::new(circuit)),
    }
}

/// One AND gate of a batch: input slots `a`, `b` and output slot `out` (indices into
/// the label slots).
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

/// A bit per slot: set while a pending (unprocessed) AND reads or writes the slot.
struct PendingSet(Vec<u64>);

impl PendingSet {
    fn new(n: usize) -> Self {
        PendingSet(vec![0; n.div_ceil(64)])
    }
    #[inline(always)]
    fn get(&self, w: u32) -> bool {
        // In range: slots are below num_slots, the set has num_slots bits.
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
        pending: &mut Pending,
        labels: &mut [Block],
    ) -> Result<(), GarbleError> {
        if self.gates.is_empty() {
            return Ok(());
        }
        k.and_batch(&self.gates, self.first_and, labels)?;
        for g in &self.gates {
            for s in [g.a, g.b, g.out] {
                pending.touched.clear(s);
            }
            pending.written.clear(g.out);
        }
        self.first_and += self.gates.len() as u64;
        self.gates.clear();
        Ok(())
    }
}

/// Slots the pending batch writes (`written`) and reads or writes (`touched`).
struct Pending {
    written: PendingSet,
    touched: PendingSet,
}

/// Walks the gates of `circuit` over label slots: `inputs` are the labels of the input
/// wires (in wire order); returns the labels of the output wires (groups in order).
pub(crate) fn run<K: Kernel>(
    circuit: &Circuit,
    plan: &SlotPlan,
    inputs: &[Block],
    kernel: &mut K,
    max_batch: usize,
) -> Result<Vec<Block>, GarbleError> {
    let slot = plan.slots();
    let n = plan.num_slots();
    let mut labels = vec![Block::ZERO; n];
    // Input wires are the first wires; `slot` has one entry per wire (`fits`), and every
    // slot is below num_slots (allocate_slots).
    for (w, l) in inputs.iter().enumerate() {
        labels[slot[w] as usize] = *l;
    }
    let mut p = Pending { written: PendingSet::new(n), touched: PendingSet::new(n) };
    let mut batch = Batch { gates: Vec::with_capacity(max_batch), first_and: 0, max: max_batch.max(1) };
    let s = |w: mpc_circuits::WireId| slot[w.index()];
    // Wire indices are in range of `slot` (num_wires long): `Circuit::new` checked them.
    for gate in circuit.gates() {
        match *gate {
            Gate::And { a, b, out } => {
                let (a, b, out) = (s(a), s(b), s(out));
                if p.written.get(a) || p.written.get(b) || batch.gates.len() == batch.max {
                    batch.flush(kernel, &mut p, &mut labels)?;
                }
                for x in [a, b, out] {
                    p.touched.set(x);
                }
                p.written.set(out);
                batch.gates.push(AndGate { a, b, out });
            }
            Gate::Xor { a, b, out } => {
                let (a, b, out) = (s(a), s(b), s(out));
                if p.written.get(a) || p.written.get(b) || p.touched.get(out) {
                    batch.flush(kernel, &mut p, &mut labels)?;
                }
                labels[out as usize] = labels[a as usize] ^ labels[b as usize];
            }
            Gate::Inv { a, out } => {
                let (a, out) = (s(a), s(out));
                if p.written.get(a) || p.touched.get(out) {
                    batch.flush(kernel, &mut p, &mut labels)?;
                }
                labels[out as usize] = kernel.inv(labels[a as usize]);
            }
            Gate::Copy { a, out } => {
                let (a, out) = (s(a), s(out));
                if p.written.get(a) || p.touched.get(out) {
                    batch.flush(kernel, &mut p, &mut labels)?;
                }
                labels[out as usize] = labels[a as usize];
            }
            Gate::Const { value, out } => {
                let out = s(out);
                if p.touched.get(out) {
                    batch.flush(kernel, &mut p, &mut labels)?;
                }
                labels[out as usize] = kernel.constant(value);
            }
        }
    }
    batch.flush(kernel, &mut p, &mut labels)?;
    // Output wires live to the end (allocate_slots never reuses their slots).
    Ok(circuit.outputs().iter().flat_map(|g| g.wires.iter().map(|w| labels[s(*w) as usize])).collect())
}

/// All-ones if `bit`, else zero (branch-free select mask).
#[inline(always)]
pub(crate) fn mask(bit: bool) -> Block {
    Block::from_u128((bit as u128).wrapping_neg())
}
