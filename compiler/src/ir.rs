//! The IR: a word-level dataflow graph in a `petgraph` [`StableGraph`].
//!
//! # Specification
//!
//! A node is a [`Node`]: an operation [`Op`], its operands `args` (node ids, in
//! order) and its result `width` in bits. For every operand there is an edge from the
//! operand to the user whose weight is the operand position, so petgraph algorithms
//! (topological sort, DOT output) see the data flow; `args` is the authoritative
//! order. The graph is acyclic and every operand exists before its user.
//!
//! Values are bit vectors, bit 0 least significant, two's complement where an op is
//! `signed`. There are no types beyond widths: bool is width 1; arrays, tuples and
//! structs exist only in the front end and are split into scalar nodes before the IR.
//!
//! | op | operands | width | meaning |
//! |----|----------|-------|---------|
//! | `Input{group}` | - | group width | input group `group` (all its bits) |
//! | `Const(bits)` | - | `bits.len()` | a constant |
//! | `Not`,`And`,`Or`,`Xor` | 1 or 2 of width w | w | bitwise |
//! | `Add`,`Sub`,`Mul` | 2 of width w | w | wrapping |
//! | `Neg` | 1 | w | wrapping negation |
//! | `Div{s}`,`Rem{s}` | 2 of width w | w | Rust semantics; `x/0 = all ones`, `x%0 = x` |
//! | `Shl`,`Shr{s}` | x (w), amount (any) | w | amount `>= w` gives 0 (or the sign) |
//! | `ShlC(k)`,`ShrC{k,s}` | 1 | w | shift by a constant |
//! | `Eq`, `Lt{s}` | 2 of width w | 1 | comparisons |
//! | `Mux` | sel (1), t (w), f (w) | w | `sel ? t : f` |
//! | `Slice{lo}` | 1 | w | bits `lo..lo+w` of the operand |
//! | `Concat` | n | sum | operands low to high |
//! | `Ext{s}` | 1 | w | zero/sign extension or truncation to w |
//! | `MulFull{s}` | 2 of width n | 2n | the full product (made by the IR passes from `Mul` of two `Ext`s of n-bit words to at least 2n bits) |
//! | `Sort{s,desc,key}` | n of width e | n*e | the operands sorted (sorting network) by their top `key` bits (all bits when `key` is 0) |
//! | `Decode` | index (any) | n | bit j is `index == j` |
//! | `Builtin{id, params}` | as the builtin's entry says | as the entry says | a builtin's own operation (`min`, `abs`, `popcount`, `hamming`, `aes128`, `sha256_compress`, `dp_noise`, ...): its printing, operand rules, gates and cost are [`crate::builtins::OpRule`] of entry `id`; `params` are its compile-time parameters |
//! | `Output{index}` | n leaves | sum | output group `index`, the leaves concatenated |
//! | `Loop{id}` | the loop's state leaves | sum | rolled loop `id` (see `roll.rs`) run on the state; its result is the final state |
//!
//! [`Ir::node`] is the only way to add nodes: it folds constants (by running the very
//! gadget the back end would use on constant bits, so folding cannot disagree with
//! the circuit), applies local algebraic identities and hashes structurally, so equal
//! nodes are shared (common-subexpression elimination on the fly).
//!
//! Source attribution is a side table, not part of a node: [`Ir::spans`] gives the
//! span of the expression that first made each node (for `--explain` and the language
//! server), so equal nodes are shared whatever their origin.

use std::collections::HashMap;
use std::fmt::Write as _;

use mpc_circuits::{Builder, InputGroup, Reveal, ValueType, Word};

use crate::ast::Span;
use crate::builtins::BuiltinId;
use petgraph::stable_graph::{NodeIndex, StableGraph};

/// A node's id.
pub(crate) type NodeId = NodeIndex<u32>;

/// An IR operation; see the module docs.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub(crate) enum Op {
    Input {
        group: u32,
    },
    Const(Vec<bool>),
    Not,
    And,
    Or,
    Xor,
    Add,
    Sub,
    Neg,
    Mul,
    Div {
        signed: bool,
    },
    Rem {
        signed: bool,
    },
    Shl,
    Shr {
        signed: bool,
    },
    ShlC(u32),
    ShrC {
        k: u32,
        signed: bool,
    },
    Eq,
    Lt {
        signed: bool,
    },
    Mux,
    Slice {
        lo: u32,
    },
    Concat,
    Ext {
        signed: bool,
    },
    Sort {
        signed: bool,
        desc: bool,
        key: u32,
    },
    MulFull {
        signed: bool,
    },
    Decode,
    Output {
        index: u32,
    },
    Loop {
        id: u32,
    },
    /// A builtin's own operation (see `builtins`): its entry and parameters.
    Builtin {
        id: BuiltinId,
        params: Vec<u64>,
    },
}

impl Op {
    fn commutative(&self) -> bool {
        matches!(self, Op::And | Op::Or | Op::Xor | Op::Add | Op::Mul | Op::MulFull { .. } | Op::Eq)
            || matches!(self, Op::Builtin { id, .. } if id.entry().op.as_ref().is_some_and(|r| r.commutative))
    }

    /// A short name for printing.
    pub(crate) fn name(&self) -> String {
        match self {
            Op::Input { group } => format!("input#{group}"),
            Op::Const(bits) => format!("const {}", const_text(bits)),
            Op::ShlC(k) => format!("shl {k}"),
            Op::ShrC { k, signed } => format!("{} {k}", if *signed { "ashr" } else { "lshr" }),
            Op::Slice { lo } => format!("slice @{lo}"),
            Op::Output { index } => format!("output#{index}"),
            Op::Loop { id } => format!("loop#{id}"),
            Op::Div { signed } => if *signed { "sdiv" } else { "udiv" }.into(),
            Op::Rem { signed } => if *signed { "srem" } else { "urem" }.into(),
            Op::Shr { signed } => if *signed { "ashr" } else { "lshr" }.into(),
            Op::Lt { signed } => if *signed { "slt" } else { "ult" }.into(),
            Op::Ext { signed } => if *signed { "sext" } else { "zext" }.into(),
            Op::Builtin { id, params } => match &id.entry().op {
                Some(rule) => (rule.show)(params),
                None => id.entry().name.to_string(),
            },
            Op::Sort { signed, desc, key } => format!(
                "sort{}{}{}",
                if *signed { " signed" } else { "" },
                if *desc { " desc" } else { "" },
                if *key > 0 { format!(" key={key}") } else { String::new() }
            ),
            other => format!("{other:?}").to_lowercase(),
        }
    }
}

/// Constant bits as hex (most significant first).
pub(crate) fn const_text(bits: &[bool]) -> String {
    if bits.is_empty() {
        return "0x0".into();
    }
    let mut s = String::from("0x");
    let digits = bits.len().div_ceil(4);
    for d in (0..digits).rev() {
        let v =
            (0..4).fold(0u8, |acc, i| acc | (u8::from(bits.get(d * 4 + i).copied().unwrap_or(false)) << i));
        let _ = write!(s, "{v:x}");
    }
    s
}

/// One node: operation, operands, width.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Node {
    /// The operation.
    pub op: Op,
    /// Operands in order.
    pub args: Vec<NodeId>,
    /// Result width in bits.
    pub width: u32,
}

/// An output group of the program.
#[derive(Clone, Debug)]
pub(crate) struct OutputDecl {
    /// Its name.
    pub name: String,
    /// Its type.
    pub ty: ValueType,
    /// Who learns it.
    pub reveal: Reveal,
}

/// A whole program in IR form.
#[derive(Clone, Debug, Default)]
pub struct Ir {
    /// The dataflow graph.
    pub(crate) graph: StableGraph<Node, u32>,
    /// Party names; `PartyId(k)` is the k-th.
    pub(crate) parties: Vec<String>,
    /// Input groups in order (`Input{group}` refers to these).
    pub(crate) inputs: Vec<InputGroup>,
    /// Output groups in order (`Output{index}` refers to these).
    pub(crate) outputs: Vec<OutputDecl>,
    cache: HashMap<Node, NodeId>,
    /// Source attribution: the span of the innermost expression being lowered when
    /// each node was created (a node shared by CSE keeps its first creator's). Nodes
    /// made outside any expression have `Span::default()`. Passes carry it over.
    pub(crate) spans: HashMap<NodeId, Span>,
    /// How many times lowering evaluated each expression span into this IR (unrolled
    /// iterations and inlined calls each count once).
    pub(crate) evals: HashMap<Span, u64>,
    /// The span new nodes are attributed to (set by lowering and by passes).
    pub(crate) at: Span,
}

impl Ir {
    /// An empty IR for the given parties.
    pub(crate) fn new(parties: Vec<String>) -> Ir {
        Ir { parties, ..Ir::default() }
    }

    /// The node `id` (panics on a removed id, which no pass hands out).
    pub(crate) fn get(&self, id: NodeId) -> &Node {
        &self.graph[id]
    }

    /// Width of node `id`.
    pub(crate) fn width(&self, id: NodeId) -> u32 {
        self.graph[id].width
    }

    /// The constant bits of `id`, if it is a constant.
    pub(crate) fn as_const(&self, id: NodeId) -> Option<&[bool]> {
        match &self.graph[id].op {
            Op::Const(bits) => Some(bits),
            _ => None,
        }
    }

    /// The constant value of `id` read as an integer (signed if `signed`), if it fits i128.
    pub(crate) fn const_i128(&self, id: NodeId, signed: bool) -> Option<i128> {
        let bits = self.as_const(id)?;
        let neg = signed && bits.last() == Some(&true);
        let fill = neg;
        if bits.len() > 127 && bits[127..].iter().any(|&b| b != fill) {
            return None;
        }
        let mut v: i128 = 0;
        for i in (0..bits.len().min(127)).rev() {
            v = (v << 1) | i128::from(bits[i]);
        }
        if neg && bits.len() <= 127 {
            v -= 1i128 << bits.len();
        } else if neg {
            v -= 1i128 << 127;
        }
        Some(v)
    }

    /// A constant of `width` bits from an i128 (two's complement, truncated).
    pub(crate) fn const_int(&mut self, value: i128, width: u32) -> NodeId {
        let bits = (0..width).map(|i| if i < 127 { (value >> i) & 1 == 1 } else { value < 0 }).collect();
        self.constant(bits)
    }

    /// A constant node.
    pub(crate) fn constant(&mut self, bits: Vec<bool>) -> NodeId {
        let width = bits.len() as u32;
        self.raw(Node { op: Op::Const(bits), args: Vec::new(), width })
    }

    /// Whether `id` is the constant 0 / all ones.
    fn is_zero(&self, id: NodeId) -> bool {
        self.as_const(id).is_some_and(|b| b.iter().all(|&x| !x))
    }

    fn is_ones(&self, id: NodeId) -> bool {
        self.as_const(id).is_some_and(|b| b.iter().all(|&x| x))
    }

    fn is_one(&self, id: NodeId) -> bool {
        self.as_const(id).is_some_and(|b| b.first() == Some(&true) && b.iter().skip(1).all(|&x| !x))
    }

    /// Adds (or finds) a node, after folding and local simplification.
    pub(crate) fn node(&mut self, op: Op, mut args: Vec<NodeId>, width: u32) -> NodeId {
        if let Some(id) = self.simplify(&op, &args, width) {
            return id;
        }
        // Fold constants through the gadgets.
        let foldable = !matches!(op, Op::Input { .. } | Op::Output { .. } | Op::Const(_) | Op::Loop { .. });
        if foldable && !args.is_empty() && args.iter().all(|&a| self.as_const(a).is_some()) {
            let mut b = Builder::new(&[] as &[&str]);
            let words: Vec<Word> =
                args.iter().map(|&a| Word::constant_bits(self.as_const(a).unwrap_or(&[]))).collect();
            let refs: Vec<&Word> = words.iter().collect();
            let out = crate::blast::blast_op(&mut b, &op, &refs, width as usize);
            if let Some(bits) = out.bits().iter().map(|x| x.as_const()).collect::<Option<Vec<bool>>>() {
                return self.constant(bits);
            }
        }
        if op.commutative() && args.len() == 2 && args[0] > args[1] {
            args.swap(0, 1);
        }
        self.raw(Node { op, args, width })
    }

    fn raw(&mut self, node: Node) -> NodeId {
        if !matches!(node.op, Op::Output { .. }) {
            if let Some(&id) = self.cache.get(&node) {
                return id;
            }
        }
        let args = node.args.clone();
        let id = self.graph.add_node(node.clone());
        for (i, a) in args.into_iter().enumerate() {
            self.graph.add_edge(a, id, i as u32);
        }
        self.cache.insert(node, id);
        self.spans.insert(id, self.at);
        id
    }

    /// The source span node `id` is attributed to (`Span::default()` if none).
    pub(crate) fn span(&self, id: NodeId) -> Span {
        self.spans.get(&id).copied().unwrap_or_default()
    }

    /// Local algebraic identities; returns an existing/new node if one applies.
    fn simplify(&mut self, op: &Op, a: &[NodeId], width: u32) -> Option<NodeId> {
        let w = width;
        match op {
            Op::Xor if a[0] == a[1] => Some(self.const_int(0, w)),
            Op::Xor | Op::Or | Op::Add if self.is_zero(a[1]) => Some(a[0]),
            Op::Xor | Op::Or | Op::Add if self.is_zero(a[0]) => Some(a[1]),
            Op::Sub if self.is_zero(a[1]) => Some(a[0]),
            Op::Sub if a[0] == a[1] => Some(self.const_int(0, w)),
            Op::And | Op::Or if a[0] == a[1] => Some(a[0]),
            Op::And if self.is_zero(a[0]) || self.is_zero(a[1]) => Some(self.const_int(0, w)),
            Op::And if self.is_ones(a[1]) => Some(a[0]),
            Op::And if self.is_ones(a[0]) => Some(a[1]),
            Op::Or if self.is_ones(a[0]) || self.is_ones(a[1]) => Some(self.const_int(-1, w)),
            Op::Mul if self.is_zero(a[0]) || self.is_zero(a[1]) => Some(self.const_int(0, w)),
            Op::Mul if self.is_one(a[1]) => Some(a[0]),
            Op::Mul if self.is_one(a[0]) => Some(a[1]),
            Op::Div { .. } if self.is_one(a[1]) => Some(a[0]),
            Op::Not => match &self.graph[a[0]].op {
                Op::Not => Some(self.graph[a[0]].args[0]),
                _ => None,
            },
            Op::ShlC(0) | Op::ShrC { k: 0, .. } => Some(a[0]),
            Op::Eq if a[0] == a[1] => Some(self.const_int(1, 1)),
            Op::Lt { .. } if a[0] == a[1] => Some(self.const_int(0, 1)),
            Op::Mux => {
                if a[1] == a[2] {
                    return Some(a[1]);
                }
                if let Some(s) = self.as_const(a[0]) {
                    return Some(if s.first() == Some(&true) { a[1] } else { a[2] });
                }
                if w == 1 && self.is_one(a[1]) && self.is_zero(a[2]) {
                    return Some(a[0]);
                }
                if w == 1 && self.is_zero(a[1]) && self.is_one(a[2]) {
                    return Some(self.node(Op::Not, vec![a[0]], 1));
                }
                None
            }
            Op::Slice { lo } => {
                let src = &self.graph[a[0]];
                if *lo == 0 && src.width == w {
                    return Some(a[0]);
                }
                match &src.op {
                    Op::Slice { lo: lo2 } => {
                        let (inner, lo2) = (src.args[0], *lo2);
                        Some(self.node(Op::Slice { lo: lo + lo2 }, vec![inner], w))
                    }
                    Op::Concat => {
                        // A slice that falls inside one operand reads that operand.
                        let mut pos = 0u32;
                        let parts = src.args.clone();
                        for p in parts {
                            let pw = self.graph[p].width;
                            if *lo >= pos && lo + w <= pos + pw {
                                return Some(self.node(Op::Slice { lo: lo - pos }, vec![p], w));
                            }
                            pos += pw;
                        }
                        None
                    }
                    _ => None,
                }
            }
            Op::Ext { .. } if self.graph[a[0]].width == w => Some(a[0]),
            Op::Concat if a.len() == 1 => Some(a[0]),
            _ => None,
        }
    }

    /// Number of live nodes.
    pub(crate) fn node_count(&self) -> usize {
        self.graph.node_count()
    }

    /// The IR as readable text, one node per line in topological order.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "; parties: {}", self.parties.join(", "));
        for (i, g) in self.inputs.iter().enumerate() {
            let _ = writeln!(
                s,
                "; input#{i} {}: {} @{}",
                g.name,
                g.ty,
                self.parties.get(g.party.0 as usize).map(String::as_str).unwrap_or("?")
            );
        }
        for (i, o) in self.outputs.iter().enumerate() {
            let r = match o.reveal {
                Reveal::All => "all".to_string(),
                Reveal::To(p) => self.parties.get(p.0 as usize).cloned().unwrap_or_default(),
            };
            let _ = writeln!(s, "; output#{i} {}: {} -> {r}", o.name, o.ty);
        }
        let order = petgraph::algo::toposort(&self.graph, None).unwrap_or_default();
        for id in order {
            let n = &self.graph[id];
            let args: Vec<String> = n.args.iter().map(|a| format!("%{}", a.index())).collect();
            let _ = writeln!(s, "%{} = {} {} : {}", id.index(), n.op.name(), args.join(", "), n.width);
        }
        s
    }

    /// Checks the IR's invariants (the module docs' specification): every operand
    /// exists, and the graph's edges are exactly the operands (one edge per operand,
    /// weighted by its position); the graph is acyclic; each node's operand count and
    /// widths fit its op's row of the table; `Input{group}` and `Output{index}` refer
    /// to declared groups, each at most once, with the declared widths. With `live`,
    /// also that every node reaches an `Output` (what every pass guarantees, since
    /// passes rebuild from the outputs; freshly lowered IR may hold dead nodes).
    /// Returns the first violation found. Run between passes in debug builds.
    pub(crate) fn verify(&self, live: bool) -> Result<(), String> {
        use petgraph::visit::{EdgeRef as _, NodeIndexable as _};
        let g = &self.graph;
        let name = |id: NodeId| format!("%{} ({})", id.index(), g[id].op.name());
        let mut inputs_seen = vec![false; self.inputs.len()];
        let mut outputs_seen = vec![false; self.outputs.len()];
        for id in g.node_indices() {
            let n = &g[id];
            for &a in &n.args {
                if !g.contains_node(a) {
                    return Err(format!("{}: operand %{} does not exist", name(id), a.index()));
                }
            }
            let mut edges: Vec<(u32, NodeId)> = g
                .edges_directed(id, petgraph::Direction::Incoming)
                .map(|e| (*e.weight(), e.source()))
                .collect();
            edges.sort();
            let want: Vec<(u32, NodeId)> = n.args.iter().enumerate().map(|(i, &a)| (i as u32, a)).collect();
            if edges != want {
                return Err(format!("{}: its edges do not match its operands", name(id)));
            }
            let w: Vec<u32> = n.args.iter().map(|&a| g[a].width).collect();
            let width = n.width;
            let all_w = |k: usize| w.len() == k && w.iter().all(|&x| x == width);
            let ok = match &n.op {
                Op::Input { group } => {
                    let Some(seen) = inputs_seen.get_mut(*group as usize) else {
                        return Err(format!("{}: no input group {group}", name(id)));
                    };
                    if std::mem::replace(seen, true) {
                        return Err(format!("{}: input group {group} is read by two nodes", name(id)));
                    }
                    w.is_empty() && self.inputs[*group as usize].ty.width() == width as usize
                }
                Op::Const(bits) => w.is_empty() && bits.len() == width as usize,
                Op::Not | Op::Neg | Op::ShlC(_) | Op::ShrC { .. } => all_w(1),
                Op::And | Op::Or | Op::Xor => all_w(1) || all_w(2),
                Op::MulFull { .. } => w.len() == 2 && w[0] == w[1] && u64::from(width) == 2 * u64::from(w[0]),
                Op::Add | Op::Sub | Op::Mul | Op::Div { .. } | Op::Rem { .. } => all_w(2),
                Op::Shl | Op::Shr { .. } => w.len() == 2 && w[0] == width,
                Op::Eq | Op::Lt { .. } => w.len() == 2 && w[0] == w[1] && width == 1,
                Op::Mux => w.len() == 3 && w[0] == 1 && w[1] == width && w[2] == width,
                Op::Slice { lo } => w.len() == 1 && u64::from(*lo) + u64::from(width) <= u64::from(w[0]),
                Op::Concat | Op::Loop { .. } => {
                    w.iter().map(|&x| u64::from(x)).sum::<u64>() == u64::from(width)
                }
                Op::Ext { .. } | Op::Decode => w.len() == 1,
                Op::Sort { .. } => {
                    !w.is_empty()
                        && w.iter().all(|&x| x == w[0])
                        && u64::from(w[0]) * w.len() as u64 == u64::from(width)
                }
                Op::Builtin { id, .. } => id.entry().op.as_ref().is_some_and(|r| (r.valid)(&w, width)),
                Op::Output { index } => {
                    let Some(seen) = outputs_seen.get_mut(*index as usize) else {
                        return Err(format!("{}: no output group {index}", name(id)));
                    };
                    if std::mem::replace(seen, true) {
                        return Err(format!("{}: output group {index} is written twice", name(id)));
                    }
                    w.iter().map(|&x| u64::from(x)).sum::<u64>() == u64::from(width)
                        && self.outputs[*index as usize].ty.width() == width as usize
                }
            };
            if !ok {
                return Err(format!("{}: operand widths {w:?} do not fit result width {width}", name(id)));
            }
        }
        if petgraph::algo::toposort(g, None).is_err() {
            return Err("the graph has a cycle".into());
        }
        if live {
            let mut reached = vec![false; g.node_bound()];
            let mut stack: Vec<NodeId> =
                g.node_indices().filter(|&n| matches!(g[n].op, Op::Output { .. })).collect();
            while let Some(n) = stack.pop() {
                if !std::mem::replace(&mut reached[n.index()], true) {
                    stack.extend(g[n].args.iter().copied());
                }
            }
            if let Some(dead) = g.node_indices().find(|n| !reached[n.index()]) {
                return Err(format!("{}: reaches no output", name(dead)));
            }
        }
        Ok(())
    }

    /// The IR as a Graphviz DOT graph.
    pub fn to_dot(&self) -> String {
        let g = self.graph.map(|_, n| format!("{} : {}", n.op.name(), n.width), |_, e| *e);
        format!("{}", petgraph::dot::Dot::new(&g))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mpc_circuits::PartyId;

    fn small() -> (Ir, NodeId, NodeId) {
        let mut ir = Ir::new(vec!["a".into()]);
        ir.inputs.push(InputGroup { name: "x".into(), party: PartyId(0), ty: ValueType::UInt(8) });
        ir.outputs.push(OutputDecl { name: "y".into(), ty: ValueType::UInt(8), reveal: Reveal::All });
        let x = ir.node(Op::Input { group: 0 }, vec![], 8);
        let one = ir.const_int(1, 8);
        let y = ir.node(Op::Add, vec![x, one], 8);
        ir.node(Op::Output { index: 0 }, vec![y], 8);
        (ir, x, y)
    }

    #[test]
    fn verify_accepts_good_ir_and_names_each_violation() {
        let (ir, x, y) = small();
        assert_eq!(ir.verify(true), Ok(()));
        // A dead node: fine unless liveness is asked for.
        let mut dead = ir.clone();
        dead.node(Op::Not, vec![x], 8);
        assert_eq!(dead.verify(false), Ok(()));
        assert!(dead.verify(true).is_err_and(|e| e.contains("reaches no output")));
        // Operand widths that do not fit the op (built around `node`'s folding).
        let mut bad = ir.clone();
        let narrow = bad.const_int(1, 4);
        let n = bad.graph.add_node(Node { op: Op::Add, args: vec![x, narrow], width: 8 });
        bad.graph.add_edge(x, n, 0);
        bad.graph.add_edge(narrow, n, 1);
        assert!(bad.verify(false).is_err_and(|e| e.contains("do not fit")), "{:?}", bad.verify(false));
        // Edges that disagree with the operands.
        let mut bad = ir.clone();
        let n = bad.graph.add_node(Node { op: Op::Not, args: vec![y], width: 8 });
        assert!(bad.verify(false).is_err_and(|e| e.contains("edges")));
        bad.graph.add_edge(y, n, 0);
        assert_eq!(bad.verify(false), Ok(()));
        // A cycle: two `Not`s reading each other.
        let mut bad = ir.clone();
        let p = bad.graph.add_node(Node { op: Op::Not, args: vec![], width: 8 });
        let q = bad.graph.add_node(Node { op: Op::Not, args: vec![p], width: 8 });
        bad.graph[p].args.push(q);
        bad.graph.add_edge(p, q, 0);
        bad.graph.add_edge(q, p, 0);
        assert_eq!(bad.verify(false), Err("the graph has a cycle".into()));
        // An input group read twice, an undeclared output.
        let mut bad = ir.clone();
        let n = bad.graph.add_node(Node { op: Op::Input { group: 0 }, args: vec![], width: 8 });
        assert!(bad.verify(false).is_err_and(|e| e.contains("read by two nodes")));
        bad.graph[n].op = Op::Output { index: 3 };
        assert!(bad.verify(false).is_err_and(|e| e.contains("no output group 3")));
    }
}
