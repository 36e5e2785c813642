//! Gate-level passes and circuit statistics.
//!
//! - [`simplify`]: constant propagation, copy elimination and structural hashing, by
//!   replaying the gates through a [`Builder`] (whose constructors fold constants,
//!   `x ^ x`, `x & !x`, `!!x` ... and reuse identical gates).
//! - [`remove_dead`]: drops gates whose results reach no output.
//! - [`schedule_levels`]: a stable reordering so that all AND gates of the same AND
//!   depth are adjacent (and therefore independent): the garbler can batch a run of
//!   consecutive ANDs.
//! - [`renumber`]: numbers wires in the order they are written (inputs first), so
//!   the live wires form a sliding window; [`allocate_slots`] goes further and maps
//!   wires onto storage slots reused after each wire's last read, the evaluator's
//!   memory bound (`num_slots` = peak live wires).
//! - [`optimize`]: all of the above, in that order.
//!
//! Every pass returns a circuit with the same input and output groups that computes
//! the same function (property-tested against the evaluator on random circuits).

use crate::builder::{Bit, Builder, Word};
use crate::circuit::{Circuit, Gate, OutputGroup, WireId};

/// Counts and depths of a circuit.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Stats {
    /// All gates.
    pub gates: usize,
    /// AND gates.
    pub and: usize,
    /// XOR gates.
    pub xor: usize,
    /// INV gates.
    pub inv: usize,
    /// EQ (constant) gates.
    pub eq: usize,
    /// EQW (copy) gates.
    pub eqw: usize,
    /// The largest number of AND gates on any path from an input to an output.
    pub and_depth: usize,
    /// Number of wires.
    pub wires: u32,
    /// Input wires.
    pub input_wires: u32,
    /// Output bits.
    pub output_bits: usize,
    /// The most wires alive at once when evaluating gate by gate (a wire lives from
    /// its write to its last read; outputs live to the end).
    pub peak_live_wires: usize,
}

/// The statistics of `c`.
pub fn stats(c: &Circuit) -> Stats {
    let mut s = Stats {
        wires: c.num_wires(),
        input_wires: c.num_input_wires(),
        output_bits: c.num_output_bits(),
        gates: c.gates().len(),
        ..Stats::default()
    };
    let mut depth = vec![0u32; c.num_wires() as usize];
    for g in c.gates() {
        let d = g.inputs().map(|w| depth[w.index()]).max().unwrap_or(0);
        let d = match g {
            Gate::And { .. } => {
                s.and += 1;
                d + 1
            }
            Gate::Xor { .. } => {
                s.xor += 1;
                d
            }
            Gate::Inv { .. } => {
                s.inv += 1;
                d
            }
            Gate::Const { .. } => {
                s.eq += 1;
                d
            }
            Gate::Copy { .. } => {
                s.eqw += 1;
                d
            }
        };
        depth[g.output().index()] = d;
    }
    s.and_depth =
        c.outputs().iter().flat_map(|o| o.wires.iter()).map(|w| depth[w.index()] as usize).max().unwrap_or(0);
    s.peak_live_wires = allocate_slots(c).num_slots as usize;
    s
}

impl Circuit {
    /// Gate counts, AND depth, wires and peak live wires; see [`Stats`].
    pub fn stats(&self) -> Stats {
        stats(self)
    }
}

const NEVER: u32 = u32::MAX;

/// For each wire, the index of the last gate that reads it; `u32::MAX - 1` for output
/// wires (they live to the end) and `u32::MAX` for wires nobody reads.
pub fn last_use(c: &Circuit) -> Vec<u32> {
    let mut last = vec![NEVER; c.num_wires() as usize];
    for (i, g) in c.gates().iter().enumerate() {
        for w in g.inputs() {
            last[w.index()] = i as u32;
        }
    }
    for o in c.outputs() {
        for w in &o.wires {
            last[w.index()] = NEVER - 1;
        }
    }
    last
}

/// Storage slots for the wires of a circuit: `slot[w]` is where wire `w`'s value can
/// be kept; two wires share a slot only if their lifetimes do not overlap.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct SlotMap {
    /// Slot of each wire.
    pub slot: Vec<u32>,
    /// Number of slots (the peak number of live wires).
    pub num_slots: u32,
}

/// Maps wires to reusable slots by liveness (a linear scan over the gates): an
/// evaluator using it needs `num_slots` values of memory, not `num_wires`.
pub fn allocate_slots(c: &Circuit) -> SlotMap {
    let last = last_use(c);
    let mut slot = vec![0u32; c.num_wires() as usize];
    let mut free: Vec<u32> = Vec::new();
    let mut next = 0u32;
    let mut take = |free: &mut Vec<u32>| {
        free.pop().unwrap_or_else(|| {
            next += 1;
            next - 1
        })
    };
    let n_in = c.num_input_wires() as usize;
    for s in slot.iter_mut().take(n_in) {
        *s = take(&mut free);
    }
    // Inputs nobody reads are free from the start.
    for (w, &l) in last.iter().enumerate().take(n_in) {
        if l == NEVER {
            free.push(slot[w]);
        }
    }
    for (i, g) in c.gates().iter().enumerate() {
        // Inputs whose last read is this gate are freed after reading; the output may
        // reuse one of them (values are read before the write).
        // (At most two inputs; a gate reading one wire twice frees its slot once.)
        let mut freed = [u32::MAX; 2];
        for (k, w) in g.inputs().enumerate() {
            if last[w.index()] == i as u32 && !freed.contains(&slot[w.index()]) {
                freed[k] = slot[w.index()];
                free.push(slot[w.index()]);
            }
        }
        let out = g.output().index();
        slot[out] = take(&mut free);
        if last[out] == NEVER {
            free.push(slot[out]);
        }
    }
    SlotMap { slot, num_slots: next }
}

/// Constant propagation, copy elimination and structural hashing (see module docs).
pub fn simplify(c: &Circuit) -> Circuit {
    let mut b = Builder::new(c.parties());
    let mut val: Vec<Bit> = vec![Bit::ZERO; c.num_wires() as usize];
    for (k, group) in c.inputs().iter().enumerate() {
        let word = b.input_typed(group.party, &group.name, group.ty.clone());
        for (w, bit) in c.input_wires(k).zip(word.bits()) {
            val[w as usize] = *bit;
        }
    }
    for g in c.gates() {
        let v = match *g {
            Gate::Xor { a, b: y, .. } => b.xor(val[a.index()], val[y.index()]),
            Gate::And { a, b: y, .. } => b.and(val[a.index()], val[y.index()]),
            Gate::Inv { a, .. } => b.inv(val[a.index()]),
            Gate::Const { value, .. } => Bit::Const(value),
            Gate::Copy { a, .. } => val[a.index()],
        };
        val[g.output().index()] = v;
    }
    for o in c.outputs() {
        let word = Word::from_bits(o.wires.iter().map(|w| val[w.index()]).collect());
        b.output_typed(&o.name, o.ty.clone(), o.reveal, &word);
    }
    // The builder's result satisfies every invariant: it only uses wires it wrote.
    b.finish().expect("replaying a valid circuit through the builder gives a valid circuit")
}

fn rebuild(c: &Circuit, gates: Vec<Gate>) -> Circuit {
    let (num_wires, parties, inputs, outputs, _) = c.clone().into_parts();
    // Same wires, a subset or permutation of topologically ordered gates.
    Circuit::new(num_wires, parties, inputs, outputs, gates).expect("the pass keeps the circuit valid")
}

/// Drops every gate whose output reaches no output group.
pub fn remove_dead(c: &Circuit) -> Circuit {
    let mut live = vec![false; c.num_wires() as usize];
    for o in c.outputs() {
        for w in &o.wires {
            live[w.index()] = true;
        }
    }
    let mut keep = vec![false; c.gates().len()];
    for (i, g) in c.gates().iter().enumerate().rev() {
        if live[g.output().index()] {
            keep[i] = true;
            for w in g.inputs() {
                live[w.index()] = true;
            }
        }
    }
    let gates = c.gates().iter().zip(&keep).filter(|(_, &k)| k).map(|(g, _)| *g).collect();
    rebuild(c, gates)
}

/// Stable reordering by AND depth: ANDs of depth d, then the free gates of depth d,
/// then ANDs of depth d+1 ... (see module docs).
pub fn schedule_levels(c: &Circuit) -> Circuit {
    let mut depth = vec![0u32; c.num_wires() as usize];
    let mut keys: Vec<(u32, u8, usize)> = Vec::with_capacity(c.gates().len());
    for (i, g) in c.gates().iter().enumerate() {
        let d = g.inputs().map(|w| depth[w.index()]).max().unwrap_or(0);
        let (d, kind) = if matches!(g, Gate::And { .. }) { (d + 1, 0) } else { (d, 1) };
        depth[g.output().index()] = d;
        keys.push((d, kind, i));
    }
    keys.sort_unstable();
    let gates = keys.iter().map(|&(_, _, i)| c.gates()[i]).collect();
    rebuild(c, gates)
}

/// Renumbers wires in write order (inputs first, then gate outputs in gate order) and
/// drops wires that nothing writes.
pub fn renumber(c: &Circuit) -> Circuit {
    let n_in = c.num_input_wires();
    let mut map = vec![u32::MAX; c.num_wires() as usize];
    for (w, m) in map.iter_mut().enumerate().take(n_in as usize) {
        *m = w as u32;
    }
    let mut next = n_in;
    let mut gates = Vec::with_capacity(c.gates().len());
    let m = |w: WireId, map: &[u32]| WireId(map[w.index()]);
    for g in c.gates() {
        let out = WireId(next);
        next += 1;
        let ng = match *g {
            Gate::Xor { a, b, .. } => Gate::Xor { a: m(a, &map), b: m(b, &map), out },
            Gate::And { a, b, .. } => Gate::And { a: m(a, &map), b: m(b, &map), out },
            Gate::Inv { a, .. } => Gate::Inv { a: m(a, &map), out },
            Gate::Copy { a, .. } => Gate::Copy { a: m(a, &map), out },
            Gate::Const { value, .. } => Gate::Const { value, out },
        };
        map[g.output().index()] = out.0;
        gates.push(ng);
    }
    let (_, parties, inputs, outputs, _) = c.clone().into_parts();
    let outputs = outputs
        .into_iter()
        .map(|o| OutputGroup { wires: o.wires.iter().map(|&w| m(w, &map)).collect(), ..o })
        .collect();
    Circuit::new(next, parties, inputs, outputs, gates).expect("renumbering keeps the circuit valid")
}

/// [`simplify`], [`remove_dead`], [`schedule_levels`] and [`renumber`].
pub fn optimize(c: &Circuit) -> Circuit {
    renumber(&schedule_levels(&remove_dead(&simplify(c))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::circuit::{InputGroup, PartyId, Reveal};
    use crate::eval::eval_lanes;
    use crate::ty::ValueType;
    use proptest::prelude::*;
    use rand::{Rng, SeedableRng};

    /// A random valid circuit with two 4-bit inputs and up to 3 outputs.
    fn random_circuit(seed: u64, n_gates: usize) -> Circuit {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let n_in = 8u32;
        let mut gates = Vec::new();
        for i in 0..n_gates as u32 {
            let out = WireId(n_in + i);
            let pick = |rng: &mut rand_chacha::ChaCha8Rng| WireId(rng.gen_range(0..n_in + i));
            let g = match rng.gen_range(0..6) {
                0 | 1 => Gate::Xor { a: pick(&mut rng), b: pick(&mut rng), out },
                2 | 3 => Gate::And { a: pick(&mut rng), b: pick(&mut rng), out },
                4 => Gate::Inv { a: pick(&mut rng), out },
                _ => {
                    if rng.gen_bool(0.5) {
                        Gate::Const { value: rng.gen(), out }
                    } else {
                        Gate::Copy { a: pick(&mut rng), out }
                    }
                }
            };
            gates.push(g);
        }
        let total = n_in + n_gates as u32;
        let outputs = (0..rng.gen_range(1..4))
            .map(|k| OutputGroup {
                name: format!("o{k}"),
                ty: ValueType::UInt(3),
                reveal: Reveal::All,
                wires: (0..3).map(|_| WireId(rng.gen_range(0..total))).collect(),
            })
            .collect();
        let inputs = vec![
            InputGroup { name: "x".into(), party: PartyId(0), ty: ValueType::UInt(4) },
            InputGroup { name: "y".into(), party: PartyId(1), ty: ValueType::UInt(4) },
        ];
        Circuit::new(total, vec!["a".into(), "b".into()], inputs, outputs, gates).unwrap()
    }

    /// Evaluates through the slot map (the memory-bounded evaluator).
    fn eval_slots(c: &Circuit, inputs: &[u64]) -> Vec<u64> {
        let sm = allocate_slots(c);
        let mut mem = vec![0u64; sm.num_slots as usize];
        let s = |w: WireId| sm.slot[w.index()] as usize;
        for (w, &v) in inputs.iter().enumerate() {
            mem[sm.slot[w] as usize] = v;
        }
        for g in c.gates() {
            let v = match *g {
                Gate::Xor { a, b, .. } => mem[s(a)] ^ mem[s(b)],
                Gate::And { a, b, .. } => mem[s(a)] & mem[s(b)],
                Gate::Inv { a, .. } => !mem[s(a)],
                Gate::Const { value, .. } => {
                    if value {
                        u64::MAX
                    } else {
                        0
                    }
                }
                Gate::Copy { a, .. } => mem[s(a)],
            };
            mem[s(g.output())] = v;
        }
        c.outputs().iter().flat_map(|o| o.wires.iter().map(|&w| mem[s(w)])).collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        #[test]
        fn passes_preserve_semantics(seed: u64, n in 0usize..60, lanes in proptest::collection::vec(any::<u64>(), 8)) {
            let c = random_circuit(seed, n);
            let want = eval_lanes(&c, &lanes).unwrap();
            for (name, p) in [
                ("simplify", simplify(&c)),
                ("remove_dead", remove_dead(&c)),
                ("schedule_levels", schedule_levels(&c)),
                ("renumber", renumber(&c)),
                ("optimize", optimize(&c)),
            ] {
                prop_assert_eq!(&eval_lanes(&p, &lanes).unwrap(), &want, "{}", name);
                prop_assert_eq!(&eval_slots(&p, &lanes), &want, "{} via slots", name);
                prop_assert!(p.and_count() <= c.and_count());
                prop_assert_eq!(stats(&p).and_depth <= stats(&c).and_depth || name == "renumber", true);
            }
            let o = optimize(&c);
            prop_assert!(o.gates().len() <= c.gates().len() + 2);
            // Scheduled: the ANDs of each depth are contiguous.
            let mut depth = vec![0u32; o.num_wires() as usize];
            let mut seen_depths: Vec<u32> = Vec::new();
            for g in o.gates() {
                let d = g.inputs().map(|w| depth[w.index()]).max().unwrap_or(0);
                let d = if matches!(g, Gate::And { .. }) { d + 1 } else { d };
                depth[g.output().index()] = d;
                if matches!(g, Gate::And { .. }) && seen_depths.last() != Some(&d) {
                    prop_assert!(!seen_depths.contains(&d), "ANDs of depth {} are split", d);
                    seen_depths.push(d);
                }
            }
        }
    }

    #[test]
    fn stats_of_a_small_circuit() {
        let mut b = Builder::new(&["a"]);
        let x = b.input(PartyId(0), "x", 3);
        let p = b.and(x.bit(0), x.bit(1));
        let q = b.and(p, x.bit(2));
        let r = b.xor(q, x.bit(0));
        let n = b.inv(r);
        b.output("y", &Word::from_bits(vec![n, Bit::ONE]));
        let c = b.finish().unwrap();
        let s = c.stats();
        assert_eq!((s.gates, s.and, s.xor, s.inv, s.eq, s.eqw), (5, 2, 1, 1, 1, 0));
        assert_eq!(s.and_depth, 2);
        assert_eq!(s.wires, 8);
        assert!(s.peak_live_wires <= 4, "{s:?}");
    }

    #[test]
    fn optimize_folds_a_wasteful_circuit() {
        // x & x, (x ^ 0), a repeated AND and a dead gate, written by hand.
        let w = WireId;
        let gates = vec![
            Gate::Const { value: false, out: w(2) },
            Gate::Xor { a: w(0), b: w(2), out: w(3) }, // = x0
            Gate::And { a: w(3), b: w(1), out: w(4) },
            Gate::And { a: w(0), b: w(1), out: w(5) }, // same as 4
            Gate::Xor { a: w(4), b: w(5), out: w(6) }, // = 0
            Gate::And { a: w(0), b: w(0), out: w(7) }, // dead
            Gate::Inv { a: w(6), out: w(8) },          // = 1
        ];
        let inputs = vec![InputGroup { name: "x".into(), party: PartyId(0), ty: ValueType::UInt(2) }];
        let outputs = vec![OutputGroup {
            name: "y".into(),
            ty: ValueType::UInt(2),
            reveal: Reveal::All,
            wires: vec![w(8), w(4)],
        }];
        let c = Circuit::new(9, vec!["p".into()], inputs, outputs, gates).unwrap();
        let o = optimize(&c);
        assert_eq!(o.and_count(), 1);
        assert_eq!(o.gates().len(), 2); // the AND and an EQ 1
        for v in 0..4u128 {
            assert_eq!(crate::eval::eval_u128(&o, &[v]).unwrap(), crate::eval::eval_u128(&c, &[v]).unwrap());
        }
    }
}
