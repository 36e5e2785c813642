//! Bit-blasting: IR nodes to gates through `mpc_circuits::gadgets`.
//!
//! [`blast_op`] maps one IR operation on words to gadget calls; the IR's constant
//! folder calls it too, so folding and the circuit agree by construction. [`blast`]
//! walks a whole [`Ir`] in topological order into a [`Builder`] and finishes the
//! circuit. Widths are guaranteed equal by lowering; `fit` still zero-extends or
//! truncates defensively so a front-end bug can never reach a gadget's assertion.

use mpc_circuits::gadgets::{self, arith, cmp, div, mul, mux, shift, sort};
use mpc_circuits::{Bit, Builder, Circuit, CircuitError, Word};
use petgraph::stable_graph::NodeIndex;
use petgraph::visit::NodeIndexable as _;

use std::collections::HashMap;

use crate::ast::Span;
use crate::ir::{Ir, Op};

/// `x` zero-extended or truncated to `w` bits.
pub(crate) fn fit(x: &Word, w: usize) -> Word {
    if x.width() == w {
        x.clone()
    } else {
        x.zext(w)
    }
}

fn bit(x: &Word) -> Bit {
    x.bits().first().copied().unwrap_or(Bit::ZERO)
}

/// Gates for one operation on `args`, result `width` bits. `Input`/`Output`/`Const`
/// are handled by [`blast`] (here they give constants/concatenation).
pub(crate) fn blast_op(b: &mut Builder, op: &Op, args: &[&Word], width: usize) -> Word {
    let w = width;
    let empty = Word::default();
    let arg = |i: usize| args.get(i).copied().unwrap_or(&empty);
    let a = || fit(arg(0), w);
    let bb = || fit(arg(1), w);
    let one = |x: Bit| Word::from_bits(vec![x]);
    match op {
        // Loops are run by the program form (`emit.rs`), never blasted into one circuit.
        Op::Input { .. } | Op::Loop { .. } => Word::constant(0, w),
        Op::Const(bits) => Word::constant_bits(bits),
        Op::Not => gadgets::not(b, &a()),
        Op::And => gadgets::and(b, &a(), &bb()),
        Op::Or => gadgets::or(b, &a(), &bb()),
        Op::Xor => gadgets::xor(b, &a(), &bb()),
        Op::Add => arith::add(b, &a(), &bb()),
        Op::Sub => arith::sub(b, &a(), &bb()),
        Op::Neg => arith::neg(b, &a()),
        Op::Mul => mul::mul(b, &a(), &bb()),
        Op::MulFull { signed } => {
            let x = arg(0);
            let y = fit(arg(1), x.width());
            fit(&mul::mul_full(b, x, &y, *signed), w)
        }
        Op::Div { signed } => div::divrem(b, &a(), &bb(), *signed).0,
        Op::Rem { signed } => div::divrem(b, &a(), &bb(), *signed).1,
        Op::Shl => shift::shl(b, &a(), arg(1)),
        Op::Shr { signed: false } => shift::lshr(b, &a(), arg(1)),
        Op::Shr { signed: true } => shift::ashr(b, &a(), arg(1)),
        Op::ShlC(k) => shift::shl_const(&a(), *k as usize),
        Op::ShrC { k, signed: false } => shift::lshr_const(&a(), *k as usize),
        Op::ShrC { k, signed: true } => shift::ashr_const(&a(), *k as usize),
        Op::Eq => {
            let x = arg(0);
            let y = fit(arg(1), x.width());
            one(cmp::eq(b, x, &y))
        }
        Op::Lt { signed } => {
            let x = arg(0);
            let y = fit(arg(1), x.width());
            one(cmp::lt(b, x, &y, *signed))
        }
        Op::Mux => mux::mux(b, bit(arg(0)), &fit(arg(1), w), &fit(arg(2), w)),
        Op::Slice { lo } => {
            let x = arg(0);
            let lo = *lo as usize;
            let hi = (lo + w).min(x.width());
            fit(&x.slice(lo.min(hi)..hi), w)
        }
        Op::Concat | Op::Output { .. } => {
            let mut bits = Vec::with_capacity(w);
            for x in args {
                bits.extend_from_slice(x.bits());
            }
            fit(&Word::from_bits(bits), w)
        }
        Op::Ext { signed: false } => arg(0).zext(w),
        Op::Ext { signed: true } => arg(0).sext(w),
        Op::Sort { signed, desc, key } => {
            if args.is_empty() {
                return Word::constant(0, w);
            }
            let e = args[0].width();
            let xs: Vec<Word> = args.iter().map(|x| fit(x, e)).collect();
            let sorted = if *key == 0 || *key as usize >= e {
                sort::sort(b, &xs, *signed, *desc)
            } else {
                sort_by_top(b, &xs, *key as usize, *signed, *desc)
            };
            let mut bits = Vec::with_capacity(w);
            for x in sorted {
                bits.extend(x.into_bits());
            }
            fit(&Word::from_bits(bits), w)
        }
        Op::Decode => decode(b, arg(0), w),
        Op::Builtin { id, params } => match &id.entry().op {
            Some(rule) => (rule.blast)(b, params, args, w),
            // Unreachable: only a builtin with an operation makes these nodes.
            None => Word::constant(0, w),
        },
    }
}

/// One-hot decoder: bit j of the result is `index == j`, for j < n. Shares the
/// products of index bits level by level (about n AND in total).
fn decode(b: &mut Builder, index: &Word, n: usize) -> Word {
    // Bits of the index that can matter for j < n; any higher set bit means no match.
    let k = gadgets::bits_for(n.saturating_sub(1));
    let k = k.min(index.width());
    let high: Vec<Bit> = index.bits()[k..].to_vec();
    let in_range = {
        let any = gadgets::or_all(b, &high);
        b.inv(any)
    };
    // After i index bits, table[j] = in_range & (index bits 0..i == j) for j < min(2^i, n).
    let mut table: Vec<Bit> = vec![in_range];
    for i in 0..k {
        let x = index.bit(i);
        let nx = b.inv(x);
        let size = table.len();
        let mut out = Vec::with_capacity((size * 2).min(n));
        for j in 0..(size * 2).min(n) {
            // Index j: low bits select the table entry, bit i is `j >= size`.
            let (t, sel) = if j < size { (table[j], nx) } else { (table[j - size], x) };
            out.push(b.and(t, sel));
        }
        table = out;
    }
    table.resize(n, Bit::ZERO);
    Word::from_bits(table)
}

/// Builds the circuit for a whole IR; refuses with `CircuitError::TooLarge` once the
/// circuit passes `max_gates` gates. The builder stops recording gates at the limit
/// (so one huge node, a big `sort` say, cannot exhaust memory first), and the limit is
/// checked after each IR node.
pub(crate) fn blast(ir: &Ir, max_gates: usize) -> Result<Circuit, CircuitError> {
    blast_traced(ir, max_gates, None)
}

/// [`blast`] recording, for each gate of the builder (gate `i` of the circuit), the
/// index in `trace.spans` of the source span (`Ir::spans`) of the node that made it.
fn blast_traced(
    ir: &Ir,
    max_gates: usize,
    mut trace: Option<&mut GateTrace>,
) -> Result<Circuit, CircuitError> {
    let mut b = Builder::new(&ir.parties).with_gate_limit(max_gates.saturating_add(1));
    let inputs: Vec<Word> = ir.inputs.iter().map(|g| b.input_typed(g.party, &g.name, g.ty.clone())).collect();
    let order = petgraph::algo::toposort(&ir.graph, None).unwrap_or_default();
    let mut words: Vec<Option<Word>> = vec![None; ir.graph.node_bound()];
    let mut outputs: Vec<Option<Word>> = vec![None; ir.outputs.len()];
    let empty = Word::default();
    for id in order {
        let node = &ir.graph[id];
        // Borrowed, not cloned: an argument can be a whole large array of which a `Slice`
        // reads a few bits (cloning made an n-element array's n slices O(n^2)).
        let args: Vec<&Word> =
            node.args.iter().map(|a: &NodeIndex<u32>| words[a.index()].as_ref().unwrap_or(&empty)).collect();
        let word = match &node.op {
            Op::Input { group } => inputs.get(*group as usize).cloned().unwrap_or_default(),
            op => blast_op(&mut b, op, &args, node.width as usize),
        };
        if let Some(t) = trace.as_deref_mut() {
            t.record(ir.span(id), b.gate_count());
        }
        if let Op::Output { index } = node.op {
            if let Some(slot) = outputs.get_mut(index as usize) {
                *slot = Some(word.clone());
            }
        }
        if b.over_limit() || b.gate_count() > max_gates {
            return Err(CircuitError::TooLarge(format!("it needs more than {max_gates} gates")));
        }
        words[id.index()] = Some(word);
    }
    for (decl, word) in ir.outputs.iter().zip(outputs) {
        let word = fit(&word.unwrap_or_default(), decl.ty.width());
        b.output_typed(&decl.name, decl.ty.clone(), decl.reveal, &word);
    }
    b.finish()
}

/// Which source span made each gate while blasting (see [`blast_attributed`]).
#[derive(Default)]
struct GateTrace {
    spans: Vec<Span>,
    index: HashMap<Span, u32>,
    /// Per builder gate, its index in `spans`.
    gate: Vec<u32>,
}

impl GateTrace {
    /// The gates up to `gate_count` were made by a node of `span`.
    fn record(&mut self, span: Span, gate_count: usize) {
        if self.gate.len() >= gate_count {
            return;
        }
        let next = self.spans.len() as u32;
        let k = *self.index.entry(span).or_insert(next);
        if k == next {
            self.spans.push(span);
        }
        self.gate.resize(gate_count, k);
    }
}

/// The AND gates and AND depth that one source span's nodes leave in an optimised
/// circuit. `depth` is the longest chain of AND gates all made by that span (what the
/// span adds to the circuit's depth where its gates are chained), not the circuit's.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct SpanGates {
    /// AND gates.
    pub and_gates: u64,
    /// The longest chain of its own AND gates.
    pub depth: u32,
}

/// [`blast`] followed by `mpc_circuits::passes::optimize`, with the AND gates each
/// source span leaves in the optimised circuit. The builder already folds constants
/// and hashes gates, so the gate-level optimiser only drops dead gates: the AND gates
/// that reach an output, counted per span here, are the optimised circuit's. Should
/// the two ever differ, the difference is attributed to `Span::default()` (no source)
/// so that the counts still add up to the circuit's.
pub(crate) fn blast_attributed(
    ir: &Ir,
    max_gates: usize,
) -> Result<(Circuit, HashMap<Span, SpanGates>), CircuitError> {
    let mut trace = GateTrace::default();
    let c = blast_traced(ir, max_gates, Some(&mut trace))?;
    let gates = c.gates();
    // Liveness, as `passes::remove_dead` computes it.
    let mut live_wire = vec![false; c.num_wires() as usize];
    for o in c.outputs() {
        for w in &o.wires {
            live_wire[w.index()] = true;
        }
    }
    let mut live = vec![false; gates.len()];
    for (i, g) in gates.iter().enumerate().rev() {
        if live_wire[g.output().index()] {
            live[i] = true;
            for w in g.inputs() {
                live_wire[w.index()] = true;
            }
        }
    }
    const NONE: u32 = u32::MAX;
    let mut wire_span = vec![NONE; c.num_wires() as usize];
    let mut wire_depth = vec![0u32; c.num_wires() as usize];
    let mut per: Vec<SpanGates> = vec![SpanGates::default(); trace.spans.len()];
    for (i, g) in gates.iter().enumerate() {
        let k = trace.gate.get(i).copied().unwrap_or(NONE);
        let is_and = matches!(g, mpc_circuits::Gate::And { .. });
        let d = g
            .inputs()
            .filter(|w| wire_span[w.index()] == k)
            .map(|w| wire_depth[w.index()])
            .max()
            .unwrap_or(0)
            + u32::from(is_and);
        wire_span[g.output().index()] = k;
        wire_depth[g.output().index()] = d;
        if let (true, Some(p)) = (live[i], per.get_mut(k as usize)) {
            p.and_gates += u64::from(is_and);
            p.depth = p.depth.max(d);
        }
    }
    let optimized = mpc_circuits::passes::optimize(&c);
    let mut out: HashMap<Span, SpanGates> = HashMap::new();
    for (span, p) in trace.spans.iter().zip(per) {
        if p.and_gates > 0 {
            out.insert(*span, p);
        }
    }
    let counted: u64 = out.values().map(|p| p.and_gates).sum();
    let actual =
        optimized.gates().iter().filter(|g| matches!(g, mpc_circuits::Gate::And { .. })).count() as u64;
    if actual > counted {
        out.entry(Span::default()).or_default().and_gates += actual - counted;
    }
    Ok((optimized, out))
}

/// Batcher's network (the comparators of `sort::sort`) comparing only the top `key`
/// bits of each word and swapping whole words: `sort_by_key`, whose words are
/// `key ‖ index ‖ element` (the index makes equal keys keep their order).
fn sort_by_top(
    b: &mut mpc_circuits::Builder,
    xs: &[Word],
    key: usize,
    signed: bool,
    desc: bool,
) -> Vec<Word> {
    use mpc_circuits::gadgets::{cmp, mux};
    let e = xs.first().map_or(0, Word::width);
    let top = |x: &Word| x.slice(e - key..e);
    let mut v = xs.to_vec();
    sort::for_each_batcher_pair(xs.len(), |i, j| {
        let (ki, kj) = (top(&v[i]), top(&v[j]));
        let swap = if desc { cmp::gt(b, &kj, &ki, signed) } else { cmp::lt(b, &kj, &ki, signed) };
        let (lo, hi) = mux::cond_swap(b, swap, &v[i], &v[j]);
        v[i] = lo;
        v[j] = hi;
        !b.over_limit()
    });
    v
}
