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
//! makes batches full. [`SlotPlan::compiled`] records this walk once (slots resolved,
//! batches fixed for [`crate::DEFAULT_BATCH`], every free gate an XOR over slots with
//! four reserved slots for `Delta`, zero and the constant labels) and replays it
//! without the checks: the free gates between two batches as one
//! [`mpc_crypto::XorList`] run; the replay produces exactly the same tables and labels
//! (tested).

use mpc_circuits::passes::{allocate_slots, SlotMap};
use mpc_circuits::{Circuit, Gate};
use mpc_crypto::{Block, XorList};

use crate::error::GarbleError;

/// A liveness-based slot assignment for one circuit, computed once
/// ([`SlotPlan::new`]) and shared by any number of garblers and evaluators of that
/// circuit (see [`crate::Garbler::with_plan`]); without one, each garbling computes
/// its own.
#[derive(Clone, Debug)]
pub struct SlotPlan {
    map: SlotMap,
    num_gates: usize,
    compiled: Option<Compiled>,
}

impl SlotPlan {
    /// The slot plan of `circuit` (`mpc_circuits::passes::allocate_slots`).
    pub fn new(circuit: &Circuit) -> SlotPlan {
        SlotPlan { map: allocate_slots(circuit), num_gates: circuit.gates().len(), compiled: None }
    }

    /// The slot plan plus a precompiled schedule (slots resolved, batches of at most
    /// [`crate::DEFAULT_BATCH`] ANDs fixed): garbling and evaluation with the default
    /// batch size then skip the per-gate hazard checks. Costs about 16 bytes per gate
    /// more than [`SlotPlan::new`]; worth it when one circuit is garbled many times.
    pub fn compiled(circuit: &Circuit) -> SlotPlan {
        let mut p = SlotPlan::new(circuit);
        p.compile(circuit);
        p
    }

    /// Adds the precompiled schedule of [`SlotPlan::compiled`] to a plan made by
    /// [`SlotPlan::new`] for `circuit` (nothing if it has one already).
    pub(crate) fn compile(&mut self, circuit: &Circuit) {
        if self.compiled.is_none() {
            self.compiled = compile(circuit, self, crate::DEFAULT_BATCH);
        }
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
/// the label slots). Laid out as `[a, b, out]` (see [`as_triples`]).
#[derive(Clone, Copy, Debug, bytemuck::Pod, bytemuck::Zeroable)]
#[repr(C)]
pub(crate) struct AndGate {
    pub a: u32,
    pub b: u32,
    pub out: u32,
}

/// The gates as the `[a, b, out]` triples of the mpc-crypto kernels.
pub(crate) fn as_triples(gates: &[AndGate]) -> &[[u32; 3]] {
    bytemuck::cast_slice(gates)
}

/// Buffers for hashing one batch on the rayon pool: the batch's input pairs are
/// gathered first and its outputs scattered after (exact, since a batch's gates are
/// independent), so that chunks of the batch can run on different threads.
#[derive(Default)]
pub(crate) struct ParallelBatch {
    pairs: Vec<Block>,
    outs: Vec<Block>,
}

impl ParallelBatch {
    /// Gathers the input labels of `gates`; returns `(pairs, outputs)` buffers for
    /// [`mpc_crypto::FixedKeyAes::garble_half_gates`] and its evaluator twin.
    pub(crate) fn gather(&mut self, gates: &[AndGate], labels: &[Block]) -> (&[Block], &mut [Block]) {
        self.pairs.clear();
        for g in gates {
            self.pairs.extend_from_slice(&[labels[g.a as usize], labels[g.b as usize]]);
        }
        self.outs.clear();
        self.outs.resize(gates.len(), Block::ZERO);
        (&self.pairs, &mut self.outs)
    }

    /// Writes the outputs computed since [`ParallelBatch::gather`] to their slots.
    pub(crate) fn scatter(&self, gates: &[AndGate], labels: &mut [Block]) {
        for (g, o) in gates.iter().zip(&self.outs) {
            labels[g.out as usize] = *o;
        }
    }
}

/// What differs between garbler and evaluator.
pub(crate) trait Kernel {
    /// The label of `!x` given the label of `x`: `x ^ inv(Block::ZERO)` (a fixed
    /// offset, which the compiled schedules rely on).
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

/// Slots the pending batch writes (`written`) and reads or writes (`touched`).
struct Pending {
    written: PendingSet,
    touched: PendingSet,
}

/// What the walk does with each step: run it (labels) or record it (compile).
trait Exec {
    /// Adds an AND to the pending batch.
    fn and(&mut self, g: AndGate);
    /// Processes the pending batch (non-empty).
    fn flush(&mut self, gates: &[AndGate]) -> Result<(), GarbleError>;
    fn xor(&mut self, a: u32, b: u32, out: u32);
    fn inv(&mut self, a: u32, out: u32);
    fn copy(&mut self, a: u32, out: u32);
    fn constant(&mut self, value: bool, out: u32);
}

/// Walks the gates of `circuit` in slot terms with the hazard rules of the module docs,
/// driving `x`. `batch` collects the pending ANDs.
fn walk<X: Exec>(circuit: &Circuit, plan: &SlotPlan, max_batch: usize, x: &mut X) -> Result<(), GarbleError> {
    let slot = plan.slots();
    let n = plan.num_slots();
    let mut p = Pending { written: PendingSet::new(n), touched: PendingSet::new(n) };
    let max = max_batch.max(1);
    let mut batch: Vec<AndGate> = Vec::with_capacity(max);
    let flush = |batch: &mut Vec<AndGate>, p: &mut Pending, x: &mut X| -> Result<(), GarbleError> {
        if batch.is_empty() {
            return Ok(());
        }
        x.flush(batch)?;
        for g in batch.iter() {
            for s in [g.a, g.b, g.out] {
                p.touched.clear(s);
            }
            p.written.clear(g.out);
        }
        batch.clear();
        Ok(())
    };
    let s = |w: mpc_circuits::WireId| slot[w.index()];
    // Wire indices are in range of `slot` (num_wires long): `Circuit::new` checked them.
    for gate in circuit.gates() {
        match *gate {
            Gate::And { a, b, out } => {
                let (a, b, out) = (s(a), s(b), s(out));
                if p.written.get(a) || p.written.get(b) || batch.len() == max {
                    flush(&mut batch, &mut p, x)?;
                }
                for w in [a, b, out] {
                    p.touched.set(w);
                }
                p.written.set(out);
                let g = AndGate { a, b, out };
                batch.push(g);
                x.and(g);
            }
            Gate::Xor { a, b, out } => {
                let (a, b, out) = (s(a), s(b), s(out));
                if p.written.get(a) || p.written.get(b) || p.touched.get(out) {
                    flush(&mut batch, &mut p, x)?;
                }
                x.xor(a, b, out);
            }
            Gate::Inv { a, out } => {
                let (a, out) = (s(a), s(out));
                if p.written.get(a) || p.touched.get(out) {
                    flush(&mut batch, &mut p, x)?;
                }
                x.inv(a, out);
            }
            Gate::Copy { a, out } => {
                let (a, out) = (s(a), s(out));
                if p.written.get(a) || p.touched.get(out) {
                    flush(&mut batch, &mut p, x)?;
                }
                x.copy(a, out);
            }
            Gate::Const { value, out } => {
                let out = s(out);
                if p.touched.get(out) {
                    flush(&mut batch, &mut p, x)?;
                }
                x.constant(value, out);
            }
        }
    }
    flush(&mut batch, &mut p, x)
}

/// Slots a compiled schedule reserves after the plan's `num_slots`, written at the
/// start of every run, so that every free gate is an XOR: INV is an XOR with
/// [`INV_SLOT`] (`Delta` when garbling, zero when evaluating: [`Kernel::inv`] is an
/// XOR with `inv(0)`), a copy an XOR with [`ZERO_SLOT`], a constant `v` the XOR of
/// [`const_slot`]`(v)` with [`ZERO_SLOT`].
const RESERVED_SLOTS: u32 = 4;
/// Offsets from `num_slots` of the reserved slots.
const ZERO_SLOT: u32 = 0;
const INV_SLOT: u32 = 1;
fn const_slot(value: bool) -> u32 {
    2 + value as u32
}

/// A compiled schedule (slots resolved, batches fixed for `max_batch`): `steps[i] =
/// (f, n)` runs the next `f` free gates of `free` (each an XOR over slots, reserved
/// slots included), then the next `n` ANDs of `ands` as one batch (none for `n = 0`).
/// Free gates between two batches thus run as one tight loop with one range check
/// ([`XorList::run`]), not one dispatch and three bounds checks per gate.
#[derive(Clone, Debug)]
pub(crate) struct Compiled {
    free: XorList,
    steps: Vec<(u32, u32)>,
    pub ands: Vec<AndGate>,
    pub max_batch: usize,
}

/// Records the walk into a [`Compiled`]; `reserved` is the plan's `num_slots` (the
/// first reserved slot).
struct Recorder {
    free: Vec<[u32; 3]>,
    steps: Vec<(u32, u32)>,
    ands: Vec<AndGate>,
    /// Free gates since the last batch.
    pending_free: u32,
    reserved: u32,
    levels: Levels,
}

impl Recorder {
    fn free(&mut self, a: u32, b: u32, out: u32) {
        self.free.push([a, b, out]);
        self.pending_free += 1;
    }

    /// Ends the run of free gates since the last batch: orders it by level.
    fn end_run(&mut self) -> u32 {
        let n = std::mem::take(&mut self.pending_free);
        let start = self.free.len() - n as usize;
        self.levels.order(&mut self.free[start..]);
        n
    }
}

/// Reorders a run of XOR gates by level, so that independent gates sit next to each
/// other and the processor overlaps them (in circuit order, chains of dependent XORs
/// through memory wait for each store in turn). A gate's level is at least one more
/// than the level of the gate that wrote either input in this run, and at least the
/// level of every gate of the run that read or wrote its output slot before it (slots
/// are reused); the sort is stable, so gates of one level keep their order. The
/// result computes exactly what the run in its first order computes.
struct Levels {
    /// Per slot, `[run, ready, used]`: in run `run`, the slot's current value was
    /// written at level `ready - 1`, and `used` is the largest level of a gate of the
    /// run that read or wrote it. Entries of another run count as zero.
    slots: Vec<[u32; 3]>,
    run: u32,
    keyed: Vec<(u32, [u32; 3])>,
    /// Counting-sort positions per level.
    starts: Vec<usize>,
}

impl Levels {
    /// For gates over slots below `slots`.
    fn new(slots: usize) -> Levels {
        Levels { slots: vec![[0; 3]; slots], run: 0, keyed: Vec::new(), starts: Vec::new() }
    }

    /// Orders `gates` (slots below the `slots` given to [`Levels::new`]) by level.
    fn order(&mut self, gates: &mut [[u32; 3]]) {
        if gates.len() < 2 {
            return;
        }
        self.run = self.run.wrapping_add(1);
        if self.run == 0 {
            // Stamps wrapped: forget every entry so none is taken for this run's.
            self.slots.iter_mut().for_each(|e| *e = [0; 3]);
            self.run = 1;
        }
        let run = self.run;
        let slots = &mut self.slots;
        // `[ready, used]` of slot `s` in this run.
        let get = |slots: &[[u32; 3]], s: u32| match slots[s as usize] {
            [r, ready, used] if r == run => (ready, used),
            _ => (0, 0),
        };
        self.keyed.clear();
        for g in gates.iter() {
            let [a, b, out] = *g;
            let (ra, ua) = get(slots, a);
            let (rb, _) = get(slots, b);
            let level = ra.max(rb).max(get(slots, out).1);
            slots[a as usize] = [run, ra, ua.max(level)];
            let (rb, ub) = get(slots, b);
            slots[b as usize] = [run, rb, ub.max(level)];
            slots[out as usize] = [run, level + 1, level];
            self.keyed.push((level, *g));
        }
        // A counting sort (levels are below the run's length): stable, linear.
        let top = self.keyed.iter().map(|k| k.0).max().map_or(0, |m| m as usize + 1);
        self.starts.clear();
        self.starts.resize(top + 1, 0);
        for k in &self.keyed {
            self.starts[k.0 as usize + 1] += 1;
        }
        for l in 1..=top {
            self.starts[l] += self.starts[l - 1];
        }
        for &(level, g) in &self.keyed {
            let at = &mut self.starts[level as usize];
            gates[*at] = g;
            *at += 1;
        }
    }
}

impl Exec for Recorder {
    fn and(&mut self, g: AndGate) {
        self.ands.push(g);
    }
    fn flush(&mut self, gates: &[AndGate]) -> Result<(), GarbleError> {
        // Batches have at most max_batch (at most u32::MAX, capped in `compile`) gates;
        // free gates between two batches are fewer than a body's gates, which
        // `compile` checks fit in u32.
        let free = self.end_run();
        self.steps.push((free, gates.len() as u32));
        Ok(())
    }
    fn xor(&mut self, a: u32, b: u32, out: u32) {
        self.free(a, b, out);
    }
    fn inv(&mut self, a: u32, out: u32) {
        self.free(a, self.reserved + INV_SLOT, out);
    }
    fn copy(&mut self, a: u32, out: u32) {
        self.free(a, self.reserved + ZERO_SLOT, out);
    }
    fn constant(&mut self, value: bool, out: u32) {
        self.free(self.reserved + const_slot(value), self.reserved + ZERO_SLOT, out);
    }
}

/// Records the walk of `circuit` with batches of at most `max_batch` ANDs; `None` for
/// a circuit too large to count its gates or slots in `u32` (it then runs uncompiled).
pub(crate) fn compile(circuit: &Circuit, plan: &SlotPlan, max_batch: usize) -> Option<Compiled> {
    let max_batch = max_batch.clamp(1, u32::MAX as usize);
    u32::try_from(circuit.gates().len()).ok()?;
    let reserved =
        u32::try_from(plan.num_slots()).ok().filter(|n| n.checked_add(RESERVED_SLOTS).is_some())?;
    let mut r = Recorder {
        free: Vec::with_capacity(circuit.gates().len() - circuit.and_count()),
        steps: Vec::new(),
        ands: Vec::with_capacity(circuit.and_count()),
        pending_free: 0,
        reserved,
        levels: Levels::new(reserved as usize + RESERVED_SLOTS as usize),
    };
    // The recorder never fails.
    let _ = walk(circuit, plan, max_batch, &mut r);
    if r.pending_free > 0 {
        let free = r.end_run();
        r.steps.push((free, 0));
    }
    Some(Compiled { free: XorList::new(r.free), steps: r.steps, ands: r.ands, max_batch })
}

struct Direct<'k, K: Kernel> {
    kernel: &'k mut K,
    labels: &'k mut [Block],
    first_and: u64,
}

impl<K: Kernel> Exec for Direct<'_, K> {
    #[inline(always)]
    fn and(&mut self, _g: AndGate) {}
    fn flush(&mut self, gates: &[AndGate]) -> Result<(), GarbleError> {
        self.kernel.and_batch(gates, self.first_and, self.labels)?;
        self.first_and += gates.len() as u64;
        Ok(())
    }
    #[inline(always)]
    fn xor(&mut self, a: u32, b: u32, out: u32) {
        self.labels[out as usize] = self.labels[a as usize] ^ self.labels[b as usize];
    }
    #[inline(always)]
    fn inv(&mut self, a: u32, out: u32) {
        self.labels[out as usize] = self.kernel.inv(self.labels[a as usize]);
    }
    #[inline(always)]
    fn copy(&mut self, a: u32, out: u32) {
        self.labels[out as usize] = self.labels[a as usize];
    }
    #[inline(always)]
    fn constant(&mut self, value: bool, out: u32) {
        self.labels[out as usize] = self.kernel.constant(value);
    }
}

/// Walks the gates of `circuit` over label slots: `inputs` are the labels of the input
/// wires (in wire order); returns the labels of the output wires (groups in order).
/// Uses the plan's compiled schedule when it was compiled for `max_batch`.
pub(crate) fn run<K: Kernel>(
    circuit: &Circuit,
    plan: &SlotPlan,
    inputs: &[Block],
    kernel: &mut K,
    max_batch: usize,
) -> Result<Vec<Block>, GarbleError> {
    let (mut labels, mut out) = (Vec::new(), Vec::with_capacity(circuit.num_output_bits()));
    run_into(circuit, plan, inputs, kernel, max_batch, 0, &mut labels, &mut out)?;
    Ok(out)
}

/// [`run`] with the caller's buffers, for engines that run many circuits (the bodies
/// of a program) one after the other: `labels` is the label slot memory (grown to the
/// plan's slots, never shrunk or cleared: every slot is written before it is read),
/// the output labels are appended to `out`, and the circuit's first AND gate is AND
/// number `first_and` of the whole run (its tweaks are `2 * first_and` on from the
/// kernel's base). Returns the number of AND gates processed.
#[allow(clippy::too_many_arguments)]
pub(crate) fn run_into<K: Kernel>(
    circuit: &Circuit,
    plan: &SlotPlan,
    inputs: &[Block],
    kernel: &mut K,
    max_batch: usize,
    first_and: u64,
    labels: &mut Vec<Block>,
    out: &mut Vec<Block>,
) -> Result<u64, GarbleError> {
    let want = circuit.num_input_wires() as usize;
    if inputs.len() != want {
        return Err(GarbleError::InputCount { want, got: inputs.len() });
    }
    if !plan.fits(circuit) {
        return Err(GarbleError::State("the slot plan was made for another circuit"));
    }
    let slot = plan.slots();
    let compiled = plan.compiled.as_ref().filter(|c| c.max_batch == max_batch.max(1));
    // Room for the reserved slots of a compiled schedule.
    let need = plan.num_slots() + if compiled.is_some() { RESERVED_SLOTS as usize } else { 0 };
    if labels.len() < need {
        labels.resize(need, Block::ZERO);
    }
    let mut x = Direct { kernel, labels: labels.as_mut_slice(), first_and };
    // Input wires are the first wires (`inputs` has exactly one label per input wire,
    // checked above); `slot` has one entry per wire (`fits`), and every slot is below
    // num_slots (allocate_slots), which `labels` holds.
    for (w, l) in inputs.iter().enumerate() {
        x.labels[slot[w] as usize] = *l;
    }
    match compiled {
        Some(c) => {
            let n = plan.num_slots();
            x.labels[n + ZERO_SLOT as usize] = Block::ZERO;
            x.labels[n + INV_SLOT as usize] = x.kernel.inv(Block::ZERO);
            for v in [false, true] {
                x.labels[n + const_slot(v) as usize] = x.kernel.constant(v);
            }
            let (mut free, mut and) = (0usize, 0usize);
            for &(f, a) in &c.steps {
                let end = free + f as usize;
                // The steps partition `free` and `ands`; `labels` covers the plan's
                // slots and the reserved ones, which are all the slots the gates name.
                c.free.run(x.labels, free..end);
                free = end;
                if a > 0 {
                    let end = and + a as usize;
                    x.flush(&c.ands[and..end])?;
                    and = end;
                }
            }
        }
        None => walk(circuit, plan, max_batch, &mut x)?,
    }
    let done = x.first_and - first_and;
    // Output wires live to the end (allocate_slots never reuses their slots).
    let labels = &*x.labels;
    out.extend(
        circuit.outputs().iter().flat_map(|g| g.wires.iter().map(|w| labels[slot[w.index()] as usize])),
    );
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha12Rng;

    fn run_in_order(gates: &[[u32; 3]], labels: &mut [Block]) {
        for &[a, b, out] in gates {
            labels[out as usize] = labels[a as usize] ^ labels[b as usize];
        }
    }

    /// Ordering runs by level changes nothing they compute, whatever the slot reuse
    /// (few slots, in-place gates, repeated writes), over many runs in a row (the
    /// per-run stamps).
    #[test]
    fn ordering_a_run_by_level_keeps_its_result() {
        let mut rng = ChaCha12Rng::seed_from_u64(16);
        let mut levels = Levels::new(12);
        for round in 0..300 {
            let slots = rng.gen_range(1..12u32);
            let n = rng.gen_range(0..80);
            let gates: Vec<[u32; 3]> = (0..n).map(|_| [0; 3].map(|_: u32| rng.gen_range(0..slots))).collect();
            let start: Vec<Block> = (0..slots).map(|_| Block::from_u128(rng.gen())).collect();
            let mut ordered = gates.clone();
            levels.order(&mut ordered);
            let mut sorted_copy = ordered.clone();
            let mut original_copy = gates.clone();
            sorted_copy.sort_unstable();
            original_copy.sort_unstable();
            assert_eq!(sorted_copy, original_copy, "round {round}: a permutation of the run");
            let (mut want, mut got) = (start.clone(), start.clone());
            run_in_order(&gates, &mut want);
            run_in_order(&ordered, &mut got);
            assert_eq!(got, want, "round {round}");
        }
    }

    /// Independent chains end up interleaved: gates of one level are adjacent.
    #[test]
    fn independent_chains_are_interleaved() {
        // Two chains over slots 0..3 and 3..6: x0 ^= x1, x2 ^= x0, ... each in turn.
        let mut gates = vec![[0, 1, 0], [0, 2, 2], [2, 1, 1], [3, 4, 3], [3, 5, 5], [5, 4, 4]];
        Levels::new(6).order(&mut gates);
        assert_eq!(gates, vec![[0, 1, 0], [3, 4, 3], [0, 2, 2], [3, 5, 5], [2, 1, 1], [5, 4, 4]]);
    }
}
