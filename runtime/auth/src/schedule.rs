//! An instance's walk over a circuit, compiled once per circuit: the free gates as a
//! list of XORs over a few reused *slots*, and each AND gate's input and output slots,
//! so that every per-instance walk (the wire masks, the garbler's zero-labels, the
//! evaluator's masked values and labels) runs a flat list instead of matching gates
//! over arrays as wide as the circuit.
//!
//! Slots: `0..n_in` hold the input wires (wire `w` in slot `w`); then two reserved
//! slots, [`Schedule::zero`] and [`Schedule::one`], which a walk sets to its zero and
//! to its encoding of the public bit 1 (the wire masks: the garbler's share flips, the
//! evaluator's key moves by its `Delta`; labels and masked values: zero, since an INV
//! only moves the mask); every other wire gets a slot when it is written and gives it
//! back after its last reader that is run (output wires are kept to the end; a wire
//! whose last reader is a left-out gate keeps its slot, which costs a slot, never a
//! value), so the slots of a walk stay about as few as the circuit's live wires and in
//! cache.
//!
//! Every free gate is one op `[a, b, out]`, `slot[out] = slot[a] ^ slot[b]`: XOR as
//! itself, INV as `a ^ one`, copy as `a ^ zero`, a constant as `zero ^ zero` or
//! `one ^ zero`. A free gate whose output no gate reads and no output is is left out
//! (one pass: a free gate read only by left-out gates is still run). [`AndSlots::ops_before`] says how many ops run before each AND gate.
//!
//! Invariants (from the [`Circuit`] invariants: topological order, each wire written
//! once): running the ops `0..ops_before` of AND gate `k`, after the slots of the
//! input wires, the reserved slots and the outputs of AND gates `0..k` were set, leaves
//! in slots `a` and `b` of gate `k` the values of its input wires; after all ops and
//! all AND outputs, [`Schedule::outputs`] hold the output wires. A slot is written
//! before it is read in every walk; the ops and AND gates only name slots below
//! [`Schedule::slots`].

use mpc_circuits::{Circuit, Gate};

use crate::protocol::output_wires;

/// One AND gate's slots (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct AndSlots {
    /// The slot of its first and of its second input.
    pub(crate) a: u32,
    pub(crate) b: u32,
    /// The slot its output is written to.
    pub(crate) out: u32,
    /// The ops that run before it (ops `0..ops_before`).
    pub(crate) ops_before: u32,
    /// Its index among the circuit's AND gates in circuit order.
    pub(crate) k: u32,
    /// Its group: in [`Schedule::by_level`] its AND depth (adjacent AND gates of one
    /// group read none of each other's outputs), else its position.
    pub(crate) group: u32,
}

/// The compiled walk of one circuit (see the module docs).
#[derive(Clone, Debug)]
pub(crate) struct Schedule {
    n_in: usize,
    slots: usize,
    ops: Vec<[u32; 3]>,
    ands: Vec<AndSlots>,
    /// The slots of the output wires revealed to each party, in output order.
    outputs: [Vec<u32>; 2],
    /// The same circuit in AND-depth order ([`Schedule::by_level`]).
    level: Option<Box<Schedule>>,
}

/// A value a walk moves through the slots: XOR is its only operation.
pub(crate) trait Slot: Copy + core::ops::BitXor<Output = Self> {}
impl<T: Copy + core::ops::BitXor<Output = T>> Slot for T {}

impl Schedule {
    /// The schedule of `circuit`, in circuit order, with its AND-depth order
    /// ([`Schedule::by_level`]).
    pub(crate) fn new(circuit: &Circuit) -> Schedule {
        let gates = circuit.gates();
        // Each wire's AND depth; a free gate of depth d runs after the AND gates of
        // depth d and before those of depth d + 1 (key 2 d, AND gates 2 d - 1), the
        // circuit order kept within a key: a topological order whose AND gates of one
        // depth are adjacent, with no free gate between them.
        let mut depth = vec![0u32; circuit.num_wires() as usize];
        let mut keyed: Vec<(u32, usize)> = Vec::with_capacity(gates.len());
        for (p, g) in gates.iter().enumerate() {
            let d = g.inputs().map(|w| depth[w.index()]).max().unwrap_or(0);
            let (d, key) = match g {
                Gate::And { .. } => (d + 1, 2 * d + 1),
                _ => (d, 2 * d),
            };
            depth[g.output().index()] = d;
            keyed.push((key, p));
        }
        keyed.sort_by_key(|&(key, _)| key);
        let mut circuit_order = Schedule::compile(circuit, (0..gates.len()).map(|p| (p as u32, p)).collect());
        let level = Schedule::compile(circuit, keyed);
        circuit_order.level = Some(Box::new(level));
        circuit_order
    }

    /// The same circuit in AND-depth order (the AND gates of one depth adjacent, so a
    /// walk can hash them in one batch); its AND gates carry their circuit-order
    /// index [`AndSlots::k`].
    pub(crate) fn by_level(&self) -> &Schedule {
        self.level.as_deref().unwrap_or(self)
    }

    /// The schedule of `circuit`'s gates in `order` (a topological order; each gate
    /// with its group, [`AndSlots::group`]).
    fn compile(circuit: &Circuit, order: Vec<(u32, usize)>) -> Schedule {
        let n_in = circuit.num_input_wires() as usize;
        let (zero, one) = (n_in as u32, n_in as u32 + 1);
        let all = circuit.gates();
        // Each AND gate's index in circuit order.
        let mut and_index = vec![u32::MAX; all.len()];
        let mut next = 0;
        for (p, g) in all.iter().enumerate() {
            if matches!(g, Gate::And { .. }) {
                and_index[p] = next;
                next += 1;
            }
        }
        let gates: Vec<Gate> = order.iter().map(|&(_, p)| all[p]).collect();
        let ks: Vec<u32> = order.iter().map(|&(_, p)| and_index[p]).collect();
        // The last gate that reads each wire; output wires are read at the end.
        let mut last = vec![0usize; circuit.num_wires() as usize];
        for (p, g) in gates.iter().enumerate() {
            for w in g.inputs() {
                last[w.index()] = p;
            }
        }
        for g in circuit.outputs() {
            for w in &g.wires {
                last[w.index()] = usize::MAX;
            }
        }
        let mut slot_of: Vec<u32> = vec![u32::MAX; circuit.num_wires() as usize];
        for (w, s) in slot_of.iter_mut().enumerate().take(n_in) {
            *s = w as u32;
        }
        let mut free: Vec<u32> = Vec::new();
        let mut slots = n_in + 2;
        let mut alloc = |free: &mut Vec<u32>| match free.pop() {
            Some(s) => s,
            None => {
                slots += 1;
                (slots - 1) as u32
            }
        };
        // A wire's slot back once gate `p` was its last reader (input wires keep theirs).
        let release = |free: &mut Vec<u32>, slot_of: &[u32], w: usize, p: usize| {
            if w >= n_in && last[w] == p {
                free.push(slot_of[w]);
            }
        };
        let mut ops = Vec::new();
        let mut ands = Vec::new();
        for (p, g) in gates.iter().enumerate() {
            let (a, b) = match *g {
                Gate::Xor { a, b, .. } | Gate::And { a, b, .. } => (slot_of[a.index()], slot_of[b.index()]),
                Gate::Inv { a, .. } => (slot_of[a.index()], one),
                Gate::Copy { a, .. } => (slot_of[a.index()], zero),
                Gate::Const { value, .. } => (if value { one } else { zero }, zero),
            };
            let out = g.output().index();
            let is_and = matches!(g, Gate::And { .. });
            if !is_and && last[out] <= p {
                // Never read (a reader of `out` comes after gate `p`): left out.
                continue;
            }
            let mut ins = g.inputs().map(|w| w.index());
            let first = ins.next();
            if let Some(w) = first {
                release(&mut free, &slot_of, w, p);
            }
            if let Some(w) = ins.next().filter(|&w| Some(w) != first) {
                release(&mut free, &slot_of, w, p);
            }
            let o = alloc(&mut free);
            slot_of[out] = o;
            if is_and {
                let (group, k) = (order[p].0, ks[p]);
                ands.push(AndSlots { a, b, out: o, ops_before: ops.len() as u32, k, group });
                if last[out] <= p {
                    free.push(o);
                }
            } else {
                ops.push([a, b, o]);
            }
        }
        let outputs = [0u8, 1].map(|p| output_wires(circuit, p).iter().map(|&w| slot_of[w]).collect());
        Schedule { n_in, slots, ops, ands, outputs, level: None }
    }

    /// The number of slots a walk needs.
    pub(crate) fn slots(&self) -> usize {
        self.slots
    }

    /// The number of input wires (slots `0..n_in`).
    pub(crate) fn n_in(&self) -> usize {
        self.n_in
    }

    /// The reserved slot of the constant 0.
    pub(crate) fn zero(&self) -> usize {
        self.n_in
    }

    /// The reserved slot of the public bit 1.
    pub(crate) fn one(&self) -> usize {
        self.n_in + 1
    }

    /// The AND gates, in circuit order.
    pub(crate) fn ands(&self) -> &[AndSlots] {
        &self.ands
    }

    /// The slots of the output wires revealed to party `p`, in output order.
    pub(crate) fn outputs(&self, p: usize) -> &[u32] {
        &self.outputs[p]
    }

    /// A walk's slots: `fill` everywhere, `zero` and `one` in the reserved slots.
    pub(crate) fn new_slots<T: Slot>(&self, fill: T, zero: T, one: T) -> Vec<T> {
        let mut s = vec![fill; self.slots()];
        s[self.zero()] = zero;
        s[self.one()] = one;
        s
    }

    /// Runs ops `from..to` over `slots` (at least [`Schedule::slots`] long).
    #[inline]
    pub(crate) fn run<T: Slot>(&self, slots: &mut [T], from: usize, to: usize) {
        for &[a, b, o] in &self.ops[from..to] {
            slots[o as usize] = slots[a as usize] ^ slots[b as usize];
        }
    }

    /// The number of ops.
    pub(crate) fn ops(&self) -> usize {
        self.ops.len()
    }

    /// The whole walk over `slots` (its input and reserved slots set): before each
    /// AND gate the ops it waits for, then `and(k, gate, slots)`, which reads the
    /// gate's input slots and writes its output slot; then the remaining ops.
    #[inline]
    pub(crate) fn walk<T: Slot>(&self, slots: &mut [T], mut and: impl FnMut(usize, AndSlots, &mut [T])) {
        let mut done = 0;
        for (k, &g) in self.ands.iter().enumerate() {
            self.run(slots, done, g.ops_before as usize);
            done = g.ops_before as usize;
            and(k, g, slots);
        }
        self.run(slots, done, self.ops.len());
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use mpc_circuits::{Circuit, Gate, InputGroup, OutputGroup, PartyId, Reveal, ValueType, WireId};
    use proptest::prelude::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha12Rng;

    use super::*;

    /// A random circuit over every gate kind, `n_out` outputs.
    /// The plaintext value of every wire (the reference the walks are tested against,
    /// here and in `garbling`'s tests).
    pub(crate) fn wire_values(c: &Circuit, inputs: &[bool]) -> Vec<bool> {
        let mut v = vec![false; c.num_wires() as usize];
        v[..inputs.len()].copy_from_slice(inputs);
        for g in c.gates() {
            match *g {
                Gate::Xor { a, b, out } => v[out.index()] = v[a.index()] ^ v[b.index()],
                Gate::And { a, b, out } => v[out.index()] = v[a.index()] & v[b.index()],
                Gate::Inv { a, out } => v[out.index()] = !v[a.index()],
                Gate::Const { value, out } => v[out.index()] = value,
                Gate::Copy { a, out } => v[out.index()] = v[a.index()],
            }
        }
        v
    }

    fn random_circuit(seed: u64, n_gates: usize, n_out: usize) -> (Circuit, ChaCha12Rng) {
        let mut rng = ChaCha12Rng::seed_from_u64(seed);
        let (n_a, n_b) = (rng.gen_range(1..6u32), rng.gen_range(1..6u32));
        let n_in = n_a + n_b;
        let num_wires = n_in + n_gates as u32;
        let mut gates = Vec::new();
        for out in n_in..num_wires {
            let a = WireId(rng.gen_range(out.saturating_sub(6)..out));
            let b = WireId(rng.gen_range(0..out));
            let out = WireId(out);
            gates.push(match rng.gen_range(0..10) {
                0..=3 => Gate::And { a, b, out },
                4..=6 => Gate::Xor { a, b, out },
                7 => Gate::Inv { a, out },
                8 => Gate::Const { value: rng.gen(), out },
                _ => Gate::Copy { a, out },
            });
        }
        let outs: Vec<WireId> = (0..n_out).map(|_| WireId(rng.gen_range(0..num_wires))).collect();
        let c = Circuit::new(
            num_wires,
            vec!["alice".into(), "bob".into()],
            vec![
                InputGroup { name: "a".into(), party: PartyId(0), ty: ValueType::UInt(n_a) },
                InputGroup { name: "b".into(), party: PartyId(1), ty: ValueType::UInt(n_b) },
            ],
            vec![OutputGroup {
                name: "o".into(),
                ty: ValueType::UInt(n_out as u32),
                reveal: Reveal::To(PartyId(1)),
                wires: outs,
            }],
            gates,
        )
        .unwrap();
        (c, rng)
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: 64,
            rng_seed: proptest::test_runner::RngSeed::Fixed(0x736c_6f74),
            ..ProptestConfig::default()
        })]

        /// The walk computes every output as the circuit does (bits, the AND gates'
        /// outputs as `a & b`, the public 1 as a plain `true`), with fewer slots than
        /// wires once the circuit is long, and reads each AND gate's inputs right.
        #[test]
        fn the_walk_evaluates_the_circuit(seed in any::<u64>(), n_gates in 1usize..400, n_out in 1usize..12) {
            let (c, mut rng) = random_circuit(seed, n_gates, n_out);
            let s = Schedule::new(&c);
            let inputs: Vec<bool> = (0..c.num_input_wires()).map(|_| rng.gen()).collect();
            let plain = wire_values(&c, &inputs);
            let and_inputs: Vec<(bool, bool)> = c
                .gates()
                .iter()
                .filter_map(|g| match *g {
                    Gate::And { a, b, .. } => Some((plain[a.index()], plain[b.index()])),
                    _ => None,
                })
                .collect();
            let mut slots = s.new_slots(false, false, true);
            slots[..inputs.len()].copy_from_slice(&inputs);
            let mut seen = Vec::new();
            s.walk(&mut slots, |_, g, v| {
                let (x, y) = (v[g.a as usize], v[g.b as usize]);
                seen.push((x, y));
                v[g.out as usize] = x & y;
            });
            prop_assert_eq!(seen, and_inputs);
            let got: Vec<bool> = s.outputs(1).iter().map(|&o| slots[o as usize]).collect();
            let want: Vec<bool> = c.outputs()[0].wires.iter().map(|w| plain[w.index()]).collect();
            prop_assert_eq!(got, want);
            prop_assert!(s.outputs(0).is_empty());
            prop_assert!(s.slots() <= c.num_wires() as usize + 2);
        }
    }

    /// A long chain keeps its slots few: each wire's slot is reused after its last read.
    #[test]
    fn a_chain_reuses_slots() {
        let n = 1000u32;
        let mut gates = vec![Gate::Xor { a: WireId(0), b: WireId(1), out: WireId(2) }];
        for w in 3..n {
            gates.push(if w % 2 == 0 {
                Gate::Xor { a: WireId(w - 1), b: WireId(0), out: WireId(w) }
            } else {
                Gate::And { a: WireId(w - 1), b: WireId(1), out: WireId(w) }
            });
        }
        let c = Circuit::new(
            n,
            vec!["alice".into(), "bob".into()],
            vec![
                InputGroup { name: "a".into(), party: PartyId(0), ty: ValueType::UInt(1) },
                InputGroup { name: "b".into(), party: PartyId(1), ty: ValueType::UInt(1) },
            ],
            vec![OutputGroup {
                name: "o".into(),
                ty: ValueType::UInt(1),
                reveal: Reveal::All,
                wires: vec![WireId(n - 1)],
            }],
            gates,
        )
        .unwrap();
        let s = Schedule::new(&c);
        assert!(s.slots() <= 2 + 2 + 2, "{} slots", s.slots());
        assert_eq!(s.ands().len() as u32 + s.ops() as u32, n - 2);
    }
}
