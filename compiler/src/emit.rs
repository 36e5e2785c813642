//! The program form: an IR with `Loop` nodes (and the rolled loops' bodies) to a
//! [`Program`] of bodies and instructions.
//!
//! An IR is cut at its `Loop` nodes, taken in topological order `L_0 .. L_{K-1}`, into
//! segments `0..=K`: a node belongs to the first segment after every loop it depends
//! on, outputs to the last. Segment `j` becomes one body called before `L_j` runs; it
//! writes `L_j`'s operands into `L_j`'s state region and *spills* to a temporary region
//! every value a later segment or loop needs. A later segment reads spilled values,
//! the IR's inputs and loop results (state regions) as operands. `L_j` itself becomes
//! an [`Instr::Loop`] whose code is its body IR emitted the same way, recursively.
//!
//! Invariants: outputs are written only by the last segment, so a body's reads all see
//! memory as it was when the body started (the rule `roll.rs` relies on); temporaries
//! and state regions are static (loops do not recurse), allocated after everything
//! the lowering placed; identical bodies are stored once.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use mpc_circuits::{Affine, Circuit, Instr, Operand, Program, ProgramOutput, Region, ValueType};
use petgraph::visit::NodeIndexable as _;

use crate::analysis::SpanCost;
use crate::ast::Span;
use crate::ir::{Ir, NodeId, Op, OutputDecl};
use crate::roll::{LoopInfo, RollState};

/// Builds the program of a lowered, optimised IR. `max_body_gates` bounds every body
/// (the memory a compile can take); the number of gates executed is not bounded here.
/// With `trace`, also the whole run's AND gates per source span (see `analysis.rs`):
/// each body's gates per span (`blast::blast_attributed`) times the calls of that body
/// at its place in the code, and each expression's evaluations (`Ir::evals`) times the
/// runs of the code it was lowered into; empty without.
pub(crate) fn emit(
    ir: &Ir,
    roll: &RollState,
    max_body_gates: usize,
    sort_stream_min: u64,
    trace: bool,
) -> Result<(Program, HashMap<Span, SpanCost>), String> {
    let mut e = Emitter {
        trace: trace.then(HashMap::new),
        runs: 1,
        sort_regs: roll.ranges.len() as u32,
        sort_stream_min,
        loops: &roll.loops,
        memory: roll.memory,
        bodies: Vec::new(),
        index: HashMap::new(),
        max_body_gates,
        parties: ir.parties.clone(),
    };
    let mut inputs = Vec::with_capacity(ir.inputs.len());
    let mut at = 0i64;
    for g in &ir.inputs {
        let w = g.ty.width() as u32;
        inputs.push(Operand::Mem(Region { addr: Affine::constant(at), width: w }));
        at += i64::from(w);
    }
    let mut outs = Vec::with_capacity(ir.outputs.len());
    let mut program_outputs = Vec::with_capacity(ir.outputs.len());
    for o in &ir.outputs {
        let w = o.ty.width() as u32;
        let region = e.alloc(w)?;
        outs.push(region.clone());
        program_outputs.push(ProgramOutput {
            name: o.name.clone(),
            ty: o.ty.clone(),
            reveal: o.reveal,
            region,
        });
    }
    let code = e.block(ir, &inputs, &outs)?;
    let memory =
        u32::try_from(e.memory).map_err(|_| "the program needs more than 2^32 memory slots".to_string())?;
    let num_regs = roll.ranges.len() as u32 + 3;
    let costs = e.trace.take().unwrap_or_default();
    Program::new(ir.parties.clone(), ir.inputs.clone(), program_outputs, e.bodies, code, memory, num_regs)
        .map(|p| (p, costs))
        .map_err(|err| format!("internal error: the program was rejected: {err}"))
}

/// What one segment's call needs to know.
#[derive(Clone, Copy)]
struct Segment<'s> {
    order: &'s [NodeId],
    kind: &'s [Kind],
    j: usize,
    lp: Option<NodeId>,
    spill: &'s HashMap<NodeId, Region>,
    inputs: &'s [Operand],
    outputs: &'s [Region],
    areas: &'s HashMap<NodeId, (u64, u32)>,
}

struct Emitter<'a> {
    /// AND gates and evaluations per source span, when tracing.
    trace: Option<HashMap<Span, SpanCost>>,
    /// How many times the code being emitted runs (the product of the trip counts of
    /// the enclosing loops).
    runs: u128,
    /// First of the three registers streamed sorts count with.
    sort_regs: u32,
    /// `Limits::sort_stream_min`.
    sort_stream_min: u64,
    loops: &'a [LoopInfo],
    memory: u64,
    bodies: Vec<Circuit>,
    index: HashMap<u64, Vec<u32>>,
    max_body_gates: usize,
    parties: Vec<String>,
}

/// Where a node's value is when a segment needs it from outside.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Computed in segment `seg`.
    Node { seg: usize },
    /// An input, a constant or a loop result (or a slice of one): available anywhere.
    Leaf,
}

impl Emitter<'_> {
    fn alloc(&mut self, width: u32) -> Result<Region, String> {
        let at = self.memory;
        self.memory += u64::from(width);
        if self.memory > u64::from(u32::MAX) {
            return Err("the program needs more than 2^32 memory slots".into());
        }
        Ok(Region { addr: Affine::constant(at as i64), width })
    }

    fn loop_info(&self, ir: &Ir, n: NodeId) -> Option<&LoopInfo> {
        match ir.get(n).op {
            Op::Loop { id } => self.loops.get(id as usize),
            _ => None,
        }
    }

    /// Whether node `n` runs as instructions between segments: a rolled loop, or a
    /// sort too large for one body (streamed as a sorting network).
    fn runs_apart(&self, ir: &Ir, n: NodeId) -> bool {
        let node = ir.get(n);
        match node.op {
            Op::Loop { .. } => true,
            Op::Sort { desc: false, .. } => {
                let k = node.args.len() as u64;
                let e = node.args.first().map_or(0, |&a| u64::from(ir.get(a).width));
                e > 0 && k >= 2 && k * e * u64::from(64 - k.leading_zeros()).pow(2) >= self.sort_stream_min
            }
            _ => false,
        }
    }

    /// The operand that reads leaf `n` (an input, a loop result or a slice of one).
    fn leaf_operand(
        &self,
        ir: &Ir,
        n: NodeId,
        inputs: &[Operand],
        areas: &HashMap<NodeId, (u64, u32)>,
    ) -> Option<Operand> {
        let node = ir.get(n);
        if let Some(&(base, _)) = areas.get(&n) {
            return Some(Operand::Mem(Region { addr: Affine::constant(base as i64), width: node.width }));
        }
        match &node.op {
            Op::Input { group } => inputs.get(*group as usize).cloned(),
            Op::Slice { lo } => {
                let &(base, _) = areas.get(node.args.first()?)?;
                let addr = Affine::constant(base as i64 + i64::from(*lo));
                Some(Operand::Mem(Region { addr, width: node.width }))
            }
            _ => None,
        }
    }

    /// The instructions that run `ir` with `inputs[k]` feeding `Input{k}` and
    /// `Output{k}` written to `outputs[k]`.
    fn block(&mut self, ir: &Ir, inputs: &[Operand], outputs: &[Region]) -> Result<Vec<Instr>, String> {
        if let Some(t) = &mut self.trace {
            for (span, &n) in &ir.evals {
                let c = t.entry(*span).or_default();
                c.runs = c.runs.saturating_add(u128::from(n).saturating_mul(self.runs));
            }
        }
        let order =
            petgraph::algo::toposort(&ir.graph, None).map_err(|_| "internal error: a cycle in the IR")?;
        let loops: Vec<NodeId> = order.iter().copied().filter(|&n| self.runs_apart(ir, n)).collect();
        let k = loops.len();
        if k == 0 {
            // One segment: the IR is the body as it stands (its inputs are `inputs` in
            // order, its outputs `outputs`), blasted exactly as the unrolled compiler
            // blasts it.
            let args: Vec<Operand> = inputs.to_vec();
            let keep: Vec<usize> = (0..outputs.len()).filter(|&i| outputs[i].width > 0).collect();
            if keep.len() != outputs.len() || ir.inputs.len() != inputs.len() {
                return self.split(ir, &order, inputs, outputs);
            }
            let circuit = self.body_circuit(ir)?;
            let body = self.intern(circuit);
            return Ok(vec![Instr::Call { body, args, results: outputs.to_vec() }]);
        }
        self.split(ir, &order, inputs, outputs)
    }

    /// [`Self::block`] for an IR cut into segments at its loops.
    fn split(
        &mut self,
        ir: &Ir,
        order: &[NodeId],
        inputs: &[Operand],
        outputs: &[Region],
    ) -> Result<Vec<Instr>, String> {
        let order = order.to_vec();
        let loops: Vec<NodeId> = order.iter().copied().filter(|&n| self.runs_apart(ir, n)).collect();
        let k = loops.len();
        let loop_pos: HashMap<NodeId, usize> = loops.iter().enumerate().map(|(i, &n)| (n, i)).collect();
        let mut areas: HashMap<NodeId, (u64, u32)> = HashMap::new();
        for &l in &loops {
            let area = match self.loop_info(ir, l) {
                Some(info) => (info.state_base, info.state_width),
                None => {
                    // A streamed sort: its elements padded to a power of two.
                    let node = ir.get(l);
                    let e = node.args.first().map_or(0, |&a| ir.get(a).width);
                    let n = node.args.len().next_power_of_two() as u64;
                    let w = u32::try_from(n * u64::from(e)).map_err(|_| "a sort is too large".to_string())?;
                    let r = self.alloc(w)?;
                    (r.addr.c as u64, w)
                }
            };
            areas.insert(l, area);
        }
        let mut kind: Vec<Kind> = vec![Kind::Leaf; ir.graph.node_bound()];
        let is_loop_slice = |n: NodeId| {
            let node = ir.get(n);
            matches!(node.op, Op::Slice { .. }) && node.args.first().is_some_and(|a| loop_pos.contains_key(a))
        };
        // A loop's result is available from the segment after it.
        let avail = |kind: &[Kind], a: NodeId| -> usize {
            if let Some(j) = loop_pos.get(&a) {
                return j + 1;
            }
            if is_loop_slice(a) {
                return ir.get(a).args.first().and_then(|x| loop_pos.get(x)).map_or(0, |j| j + 1);
            }
            match kind[a.index()] {
                Kind::Node { seg } => seg,
                Kind::Leaf => 0,
            }
        };
        for &n in &order {
            let node = ir.get(n);
            kind[n.index()] = match &node.op {
                _ if loop_pos.contains_key(&n) || is_loop_slice(n) => Kind::Leaf,
                Op::Input { .. } | Op::Const(_) => Kind::Leaf,
                Op::Output { .. } => Kind::Node { seg: k },
                _ => Kind::Node { seg: node.args.iter().map(|&a| avail(&kind, a)).max().unwrap_or(0) },
            };
        }
        // Values a segment must spill: used by a later segment or a later loop.
        let mut spill: HashMap<NodeId, Region> = HashMap::new();
        let mut need_later: Vec<bool> = vec![false; ir.graph.node_bound()];
        for &n in &order {
            let node = ir.get(n);
            let user_seg = match kind[n.index()] {
                _ if loop_pos.contains_key(&n) => loop_pos.get(&n).copied(),
                Kind::Node { seg } => Some(seg),
                Kind::Leaf => None,
            };
            let Some(us) = user_seg else { continue };
            for &a in &node.args {
                if let Kind::Node { seg } = kind[a.index()] {
                    // A loop at position j takes its operands from segment j.
                    if seg < us {
                        need_later[a.index()] = true;
                    }
                }
            }
        }
        for &n in &order {
            if need_later[n.index()] {
                let w = ir.get(n).width;
                if w > 0 {
                    let r = self.alloc(w)?;
                    spill.insert(n, r);
                }
            }
        }
        let mut code = Vec::new();
        for j in 0..=k {
            let lp = loops.get(j).copied();
            let seg =
                Segment { order: &order, kind: &kind, j, lp, spill: &spill, inputs, outputs, areas: &areas };
            if let Some(call) = self.segment(ir, &seg)? {
                code.push(call);
            }
            if let Some(l) = lp {
                match self.loop_info(ir, l).cloned() {
                    Some(info) => {
                        let outer = self.runs;
                        let trips = (i128::from(info.to) - i128::from(info.from)).max(0) as u128;
                        self.runs = outer.saturating_mul(trips);
                        let body = self.block(&info.body, &info.operands, &info.results);
                        self.runs = outer;
                        let body = body?;
                        code.push(Instr::Loop { reg: info.reg, from: info.from, to: info.to, code: body });
                    }
                    None => {
                        let Op::Sort { signed, key, .. } = ir.get(l).op else {
                            return Err("internal error: unknown loop".into());
                        };
                        let e = ir.get(l).args.first().map_or(0, |&a| ir.get(a).width);
                        let base = areas.get(&l).map_or(0, |a| a.0);
                        let key = if key == 0 || key > e { e } else { key };
                        self.sort_network(&mut code, base, e, ir.get(l).args.len(), signed, key, ir.span(l))?;
                    }
                }
            }
        }
        Ok(code)
    }

    /// The optimised circuit of a segment's IR, within the body gate limit.
    fn body_circuit(&mut self, ir: &Ir) -> Result<Circuit, String> {
        // Refuse a body far over the limit before blasting it (the estimate is rough,
        // hence the margin; the builder enforces the exact limit).
        if crate::roll::gate_estimate(ir) / 4 > self.max_body_gates as u64 {
            return Err(format!(
                "a part of the program between loops needs more than {} gates",
                self.max_body_gates
            ));
        }
        let refused = |e| match e {
            mpc_circuits::CircuitError::TooLarge(why) => format!("a part of the program between loops {why}"),
            e => format!("internal error: a body was rejected: {e}"),
        };
        if let Some(t) = &mut self.trace {
            let (circuit, gates) =
                crate::blast::blast_attributed(ir, self.max_body_gates).map_err(refused)?;
            for (span, g) in gates {
                let c = t.entry(span).or_default();
                c.and_gates = c.and_gates.saturating_add(u128::from(g.and_gates).saturating_mul(self.runs));
                c.depth = c.depth.max(g.depth);
            }
            return Ok(circuit);
        }
        let circuit = crate::blast::blast(ir, self.max_body_gates).map_err(refused)?;
        Ok(mpc_circuits::passes::optimize(&circuit))
    }

    /// Batcher's odd-even merge sort (the comparators of
    /// `mpc_circuits::gadgets::sort::for_each_batcher_pair`) on `k` elements of `e` bits
    /// at `base`, padded to `n = k.next_power_of_two()` with the largest value (which
    /// never moves), as loops over one compare-and-swap body. For merges of blocks of
    /// `2p` at distance `step` the comparators are `(a, a + step)` with
    /// `a = blk*2p + i` (`step == p`) or `a = blk*2p + step + m*2*step + i`
    /// (`step < p`), `i < step`: affine in the counters, so nothing is materialised.
    #[allow(clippy::too_many_arguments)] // One call site; the parameters are the network's shape.
    fn sort_network(
        &mut self,
        code: &mut Vec<Instr>,
        base: u64,
        e: u32,
        k: usize,
        signed: bool,
        key: u32,
        span: Span,
    ) -> Result<(), String> {
        let n = k.next_power_of_two() as i64;
        let mut b = mpc_circuits::Builder::new(&self.parties);
        let x = b.input(mpc_circuits::PartyId(0), "0", e as usize);
        let y = b.input(mpc_circuits::PartyId(0), "1", e as usize);
        // Compare the top `key` bits (all of them for `sort`), swap whole words.
        let top = (e - key) as usize..e as usize;
        let swap = mpc_circuits::gadgets::cmp::lt(&mut b, &y.slice(top.clone()), &x.slice(top), signed);
        let (lo, hi) = mpc_circuits::gadgets::mux::cond_swap(&mut b, swap, &x, &y);
        b.output("0", &lo);
        b.output("1", &hi);
        let c = b.finish().map_err(|err| format!("internal error: {err}"))?;
        let c = mpc_circuits::passes::optimize(&c);
        let body_stats = mpc_circuits::passes::stats(&c);
        let body = self.intern(c);
        let mut calls: u128 = 0;
        let (r0, r1, r2) = (self.sort_regs, self.sort_regs + 1, self.sort_regs + 2);
        let ew = i64::from(e);
        let term = |r: u32, k: i64| Affine { c: 0, terms: vec![(r, k)] };
        let mut p = 1i64;
        while p < n {
            let mut step = p;
            while step >= 1 {
                let (off, m_count) = if step == p { (0, 1) } else { (step, p / step - 1) };
                let addr = Affine::constant(base as i64 + off * ew)
                    .add(&term(r0, 2 * p * ew))
                    .and_then(|a| a.add(&term(r1, 2 * step * ew)))
                    .and_then(|a| a.add(&term(r2, ew)))
                    .ok_or("address overflow")?;
                let other = addr.offset(step * ew).ok_or("address overflow")?;
                let (ra, rb) = (Region { addr, width: e }, Region { addr: other, width: e });
                let call = Instr::Call {
                    body,
                    args: vec![Operand::Mem(ra.clone()), Operand::Mem(rb.clone())],
                    results: vec![ra, rb],
                };
                let inner = Instr::Loop { reg: r2, from: 0, to: step, code: vec![call] };
                let mid = Instr::Loop { reg: r1, from: 0, to: m_count, code: vec![inner] };
                code.push(Instr::Loop { reg: r0, from: 0, to: n / (2 * p), code: vec![mid] });
                calls += (n / (2 * p) * m_count * step).max(0) as u128;
                step /= 2;
            }
            p *= 2;
        }
        if let Some(t) = &mut self.trace {
            let c = t.entry(span).or_default();
            let ands = (body_stats.and as u128).saturating_mul(calls).saturating_mul(self.runs);
            c.and_gates = c.and_gates.saturating_add(ands);
            c.depth = c.depth.max(body_stats.and_depth as u32);
        }
        Ok(())
    }

    /// The call of segment `j` (nodes of that segment, plus writing loop `lp`'s
    /// operands into its state and spilling what later segments need), if it does
    /// anything.
    #[allow(clippy::too_many_arguments)]
    fn segment(&mut self, ir: &Ir, sg: &Segment<'_>) -> Result<Option<Instr>, String> {
        let Segment { order, kind, j, lp, spill, inputs, outputs, areas } = *sg;
        let mut seg_ir = Ir::new(self.parties.clone());
        let mut args: Vec<Operand> = Vec::new();
        let mut map: HashMap<NodeId, NodeId> = HashMap::new();
        let mut results: Vec<Region> = Vec::new();
        // The body-side node of `a`, reading it from outside the segment if needed.
        let get = |this: &Self,
                   seg_ir: &mut Ir,
                   args: &mut Vec<Operand>,
                   map: &mut HashMap<NodeId, NodeId>,
                   a: NodeId|
         -> Result<NodeId, String> {
            if let Some(&m) = map.get(&a) {
                return Ok(m);
            }
            let node = ir.get(a);
            if let Op::Const(bits) = &node.op {
                let m = seg_ir.constant(bits.clone());
                map.insert(a, m);
                return Ok(m);
            }
            let op = match this.leaf_operand(ir, a, inputs, areas) {
                Some(op) => op,
                None => match spill.get(&a) {
                    Some(r) => Operand::Mem(r.clone()),
                    None => return Err("internal error: a value is needed where it was not kept".into()),
                },
            };
            let g = args.len() as u32;
            let w = op.width();
            args.push(op);
            seg_ir.inputs.push(mpc_circuits::InputGroup {
                name: g.to_string(),
                party: mpc_circuits::PartyId(0),
                ty: ValueType::UInt(w),
            });
            let m = seg_ir.node(Op::Input { group: g }, vec![], w);
            map.insert(a, m);
            Ok(m)
        };
        for &n in order {
            if kind[n.index()] != (Kind::Node { seg: j }) {
                continue;
            }
            let node = ir.get(n);
            if let Op::Output { .. } = node.op {
                continue;
            }
            let mut a = Vec::with_capacity(node.args.len());
            for &x in &node.args {
                a.push(get(self, &mut seg_ir, &mut args, &mut map, x)?);
            }
            seg_ir.at = ir.span(n);
            let m = seg_ir.node(node.op.clone(), a, node.width);
            map.insert(n, m);
        }
        let mut outs: Vec<NodeId> = Vec::new();
        // The next loop's operands, into its state.
        if let Some(l) = lp {
            let Some(&(base, width)) = areas.get(&l) else {
                return Err("internal error: unknown loop".into());
            };
            let base = base as i64;
            let mut off = 0i64;
            for &x in &ir.get(l).args.clone() {
                let m = get(self, &mut seg_ir, &mut args, &mut map, x)?;
                let w = seg_ir.width(m);
                results.push(Region { addr: Affine::constant(base + off), width: w });
                outs.push(m);
                off += i64::from(w);
            }
            // A streamed sort's padding: the largest value, which never moves.
            if let Op::Sort { signed, .. } = ir.get(l).op {
                let e = ir.get(l).args.first().map_or(0, |&a| ir.get(a).width);
                while e > 0 && off + i64::from(e) <= i64::from(width) {
                    let mut bits = vec![true; e as usize];
                    if signed {
                        bits[e as usize - 1] = false;
                    }
                    let m = seg_ir.constant(bits);
                    results.push(Region { addr: Affine::constant(base + off), width: e });
                    outs.push(m);
                    off += i64::from(e);
                }
            }
        }
        // Spills of this segment.
        for &n in order {
            if kind[n.index()] == (Kind::Node { seg: j }) {
                if let Some(r) = spill.get(&n) {
                    if let Some(&m) = map.get(&n) {
                        results.push(r.clone());
                        outs.push(m);
                    }
                }
            }
        }
        // Outputs, in the last segment, in output order (a later write to the same
        // place wins, so the order is the program's, not the graph's).
        let mut out_nodes: Vec<(u32, NodeId)> = order
            .iter()
            .filter_map(|&n| match ir.get(n).op {
                Op::Output { index } => Some((index, n)),
                _ => None,
            })
            .collect();
        out_nodes.sort_unstable_by_key(|&(index, _)| index);
        for &(_, n) in &out_nodes {
            if let Op::Output { index } = ir.get(n).op {
                if kind[n.index()] != (Kind::Node { seg: j }) {
                    continue;
                }
                let Some(r) = outputs.get(index as usize) else {
                    return Err("internal error: unknown output".into());
                };
                let mut parts = Vec::new();
                for &x in &ir.get(n).args.clone() {
                    parts.push(get(self, &mut seg_ir, &mut args, &mut map, x)?);
                }
                let w: u32 = parts.iter().map(|&p| seg_ir.width(p)).sum();
                if w != r.width {
                    return Err("internal error: an output's width differs from its region".into());
                }
                let m = seg_ir.node(Op::Concat, parts, w);
                results.push(r.clone());
                outs.push(m);
            }
        }
        // Zero-width results carry nothing.
        let keep: Vec<usize> = (0..outs.len()).filter(|&i| results[i].width > 0).collect();
        if keep.is_empty() {
            return Ok(None);
        }
        let (outs, results): (Vec<NodeId>, Vec<Region>) =
            keep.into_iter().map(|i| (outs[i], results[i].clone())).unzip();
        for (i, &m) in outs.iter().enumerate() {
            let w = seg_ir.width(m);
            seg_ir.outputs.push(OutputDecl {
                name: i.to_string(),
                ty: ValueType::UInt(w),
                reveal: mpc_circuits::Reveal::All,
            });
            seg_ir.node(Op::Output { index: i as u32 }, vec![m], w);
        }
        let circuit = self.body_circuit(&seg_ir)?;
        let body = self.intern(circuit);
        Ok(Some(Instr::Call { body, args, results }))
    }

    /// The index of `c` among the bodies, adding it if new.
    fn intern(&mut self, c: Circuit) -> u32 {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        c.gates().hash(&mut h);
        c.num_wires().hash(&mut h);
        for g in c.inputs() {
            g.ty.width().hash(&mut h);
        }
        for o in c.outputs() {
            o.wires.hash(&mut h);
        }
        let key = h.finish();
        let same = self.index.entry(key).or_default();
        for &i in same.iter() {
            if self.bodies.get(i as usize) == Some(&c) {
                return i;
            }
        }
        let i = self.bodies.len() as u32;
        same.push(i);
        self.bodies.push(c);
        i
    }
}
