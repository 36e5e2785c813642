//! IR passes. Each pass rebuilds the graph in topological order through
//! [`Ir::node`], starting only from nodes that reach an output, so every pass also does
//! dead-code elimination, constant folding, algebraic simplification and
//! common-subexpression elimination; [`optimize`] adds strength reduction:
//! - multiplication by a constant becomes shifts and adds/subtracts (non-adjacent
//!   form), one `w`-bit adder per nonzero digit beyond the first, instead of a
//!   multiplier;
//! - unsigned `x < c` with a constant drops the bits below c's lowest set bit
//!   (`x < c` iff `x >> t < c >> t` when c has t trailing zeros) and `c < x` becomes
//!   `!(x < c + 1)`.

use std::collections::HashMap;

use petgraph::visit::NodeIndexable as _;

use crate::ir::{Ir, Node, NodeId, Op};

/// What a pass did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct PassStats {
    /// Nodes before.
    pub nodes_before: usize,
    /// Nodes after.
    pub nodes_after: usize,
}

/// Rebuilds `ir` keeping only live nodes, applying `rule` to each node.
fn rebuild(ir: &Ir, rule: &dyn Fn(&mut Ir, &Node, Vec<NodeId>) -> NodeId) -> Ir {
    let mut out = Ir::new(ir.parties.clone());
    out.inputs = ir.inputs.clone();
    out.outputs = ir.outputs.clone();
    out.evals = ir.evals.clone();
    // Liveness: everything that reaches an Output.
    let mut live = vec![false; ir.graph.node_bound()];
    let mut stack: Vec<NodeId> =
        ir.graph.node_indices().filter(|&n| matches!(ir.graph[n].op, Op::Output { .. })).collect();
    while let Some(n) = stack.pop() {
        if live[n.index()] {
            continue;
        }
        live[n.index()] = true;
        stack.extend(ir.graph[n].args.iter().copied());
    }
    let order = petgraph::algo::toposort(&ir.graph, None).unwrap_or_default();
    let mut map: HashMap<NodeId, NodeId> = HashMap::new();
    for id in order {
        if !live[id.index()] {
            continue;
        }
        let node = &ir.graph[id];
        let args: Vec<NodeId> = node.args.iter().map(|a| map.get(a).copied().unwrap_or(*a)).collect();
        out.at = ir.span(id);
        let new = rule(&mut out, node, args);
        map.insert(id, new);
    }
    out
}

/// In debug builds (so in every test), panics if `ir` breaks an invariant of
/// [`Ir::verify`] after `stage`: that is a compiler bug, caught where it happens.
/// `live`: also require every node to reach an output (true after dead-code
/// elimination). Nothing in release builds.
pub(crate) fn debug_verify(stage: &str, ir: &Ir, live: bool) {
    if cfg!(debug_assertions) {
        if let Err(e) = ir.verify(live) {
            panic!("internal error: the IR after {stage} breaks an invariant: {e}");
        }
    }
}

/// Dead-code elimination, folding and CSE only.
pub(crate) fn cleanup(ir: &Ir) -> (Ir, PassStats) {
    let out = rebuild(ir, &|ir, n, args| ir.node(n.op.clone(), args, n.width));
    debug_verify("cleanup", &out, true);
    let stats = PassStats { nodes_before: ir.node_count(), nodes_after: out.node_count() };
    (out, stats)
}

/// All IR passes: strength reduction, then cleanup.
pub(crate) fn optimize(ir: &Ir) -> (Ir, PassStats) {
    optimize_traced(ir, &mut |_, _| {})
}

/// [`optimize`], handing the IR after each pass to `trace` with the pass's name
/// (`"strength"`, `"cleanup"`): what the IR golden tests print.
pub(crate) fn optimize_traced(ir: &Ir, trace: &mut dyn FnMut(&str, &Ir)) -> (Ir, PassStats) {
    let reduced = rebuild(ir, &strength_reduce);
    debug_verify("strength reduction", &reduced, false);
    trace("strength", &reduced);
    let (out, _) = cleanup(&reduced);
    trace("cleanup", &out);
    let stats = PassStats { nodes_before: ir.node_count(), nodes_after: out.node_count() };
    (out, stats)
}

fn strength_reduce(ir: &mut Ir, n: &Node, args: Vec<NodeId>) -> NodeId {
    match &n.op {
        Op::Mul => {
            if let Some(p) = widening_product(ir, &args, n.width) {
                return p;
            }
            let (x, c) = match (ir.as_const(args[0]).is_some(), ir.as_const(args[1]).is_some()) {
                (false, true) => (args[0], args[1]),
                (true, false) => (args[1], args[0]),
                _ => return ir.node(Op::Mul, args, n.width),
            };
            let bits = ir.as_const(c).map(<[bool]>::to_vec).unwrap_or_default();
            mul_const(ir, x, &bits, n.width)
        }
        Op::Lt { signed: false } => {
            if let Some(c) = ir.as_const(args[1]).map(<[bool]>::to_vec) {
                return lt_const(ir, args[0], &c);
            }
            if let Some(c) = ir.as_const(args[0]).map(<[bool]>::to_vec) {
                // c < x  <=>  !(x < c + 1), unless c is all ones (then false).
                if c.iter().all(|&b| b) {
                    return ir.const_int(0, 1);
                }
                let mut c1 = c.clone();
                for b in c1.iter_mut() {
                    *b = !*b;
                    if *b {
                        break;
                    }
                }
                let l = lt_const(ir, args[1], &c1);
                return ir.node(Op::Not, vec![l], 1);
            }
            ir.node(n.op.clone(), args, n.width)
        }
        _ => ir.node(n.op.clone(), args, n.width),
    }
}

/// `(a as u64) * (b as u64)` with `a, b: u32` (and signed alike, and `mul_wide`):
/// both operands extended the same way from n-bit words to at least 2n bits, so the
/// product is the full 2n-bit product extended, which `MulFull` computes for about
/// two thirds of what a 2n-bit multiplier costs (1,696 AND for 32 bits instead of
/// 2,016). Not for constant operands, which `mul_const` handles.
fn widening_product(ir: &mut Ir, args: &[NodeId], width: u32) -> Option<NodeId> {
    let [x, y] = args else { return None };
    let (nx, ny) = (ir.get(*x), ir.get(*y));
    let (Op::Ext { signed: sx }, Op::Ext { signed: sy }) = (&nx.op, &ny.op) else { return None };
    let (sx, sy, ax, ay) = (*sx, *sy, *nx.args.first()?, *ny.args.first()?);
    let n = ir.width(ax);
    if sx != sy || n != ir.width(ay) || n == 0 || 2 * n > width {
        return None;
    }
    if ir.as_const(ax).is_some() || ir.as_const(ay).is_some() {
        return None;
    }
    let p = ir.node(Op::MulFull { signed: sx }, vec![ax, ay], 2 * n);
    Some(if width == 2 * n { p } else { ir.node(Op::Ext { signed: sx }, vec![p], width) })
}

/// Unsigned `x < c`.
fn lt_const(ir: &mut Ir, x: NodeId, c: &[bool]) -> NodeId {
    let w = c.len() as u32;
    let Some(t) = c.iter().position(|&b| b) else {
        return ir.const_int(0, 1); // x < 0
    };
    if t == 0 {
        let cn = ir.constant(c.to_vec());
        return ir.node(Op::Lt { signed: false }, vec![x, cn], 1);
    }
    let t = t as u32;
    let hi = ir.node(Op::Slice { lo: t }, vec![x], w - t);
    let ch = ir.constant(c[t as usize..].to_vec());
    ir.node(Op::Lt { signed: false }, vec![hi, ch], 1)
}

/// Non-adjacent form of the constant (digits -1, 0, 1, least significant first).
fn naf(bits: &[bool]) -> Vec<i8> {
    let mut digits = Vec::with_capacity(bits.len() + 1);
    let mut carry = 0u8;
    let mut i = 0;
    while i < bits.len() || carry > 0 {
        let b = u8::from(bits.get(i).copied().unwrap_or(false));
        let next = u8::from(bits.get(i + 1).copied().unwrap_or(false));
        let v = b + carry;
        match v {
            0 => digits.push(0),
            2 => {
                digits.push(0);
                carry = 1;
            }
            _ => {
                // v == 1: look at the next bit to decide between +1 and -1.
                if next == 1 {
                    digits.push(-1);
                    carry = 1;
                } else {
                    digits.push(1);
                    carry = 0;
                }
            }
        }
        if v == 0 {
            carry = 0;
        }
        i += 1;
    }
    digits
}

/// `x * c` by shifts and adds/subtracts, picking binary or NAF digits, whichever has
/// fewer nonzero terms.
fn mul_const(ir: &mut Ir, x: NodeId, c: &[bool], w: u32) -> NodeId {
    let bin: Vec<i8> = c.iter().map(|&b| i8::from(b)).collect();
    let n = naf(c);
    let count = |d: &[i8]| d.iter().take(w as usize).filter(|&&v| v != 0).count();
    let digits = if count(&n) < count(&bin) { n } else { bin };
    let mut acc: Option<NodeId> = None;
    let mut pending_neg: Vec<NodeId> = Vec::new();
    for (k, &d) in digits.iter().enumerate().take(w as usize) {
        if d == 0 {
            continue;
        }
        let term = ir.node(Op::ShlC(k as u32), vec![x], w);
        if d > 0 {
            acc = Some(match acc {
                None => term,
                Some(a) => ir.node(Op::Add, vec![a, term], w),
            });
        } else {
            pending_neg.push(term);
        }
    }
    let mut acc = acc.unwrap_or_else(|| ir.const_int(0, w));
    for t in pending_neg {
        acc = ir.node(Op::Sub, vec![acc, t], w);
    }
    acc
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(d: &[i8]) -> i128 {
        d.iter().enumerate().map(|(i, &v)| i128::from(v) << i).sum()
    }

    #[test]
    fn naf_is_exact() {
        for c in 0u32..600 {
            let bits: Vec<bool> = (0..12).map(|i| (c >> i) & 1 == 1).collect();
            let d = naf(&bits);
            assert_eq!(value(&d), i128::from(c), "c = {c}");
            assert!(d.windows(2).all(|p| p[0] == 0 || p[1] == 0), "adjacent digits for {c}");
        }
    }
}
