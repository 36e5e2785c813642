//! Lowering: a checked program to [`Ir`] by partial evaluation.
//!
//! `main` is evaluated with its inputs as IR nodes; everything known at compile time
//! is computed on the spot. Functions are inlined, `for` loops unrolled, an `if` on a
//! constant condition takes one branch and an `if` on a secret condition evaluates
//! both and muxes the value and every variable the branches assigned. Arrays, tuples
//! and structs are [`Val::Agg`] of scalars; a constant index is free, a secret index
//! reads through a mux tree and writes through a one-hot decoder with one mux per
//! element.
//!
//! Compile-time facts are checked here and reported as diagnostics: loop bounds and
//! constant indices, literal ranges, compile-time overflow and division by zero, and a
//! budget on unrolling so that no program can make the compiler run forever.

use std::collections::HashMap;

use mpc_circuits::{Affine, InputGroup, PartyId, Reveal};

use crate::ast::*;
use crate::check::Checked;
use crate::diag::Diagnostic;
use crate::ir::{Ir, NodeId, Op, OutputDecl};
use crate::types::{parse_literal, Ty};

/// A value during lowering.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Val {
    /// A bool or integer word (an IR node).
    W(NodeId),
    /// A compile-time integer.
    C(i128),
    /// An array, tuple or struct: its elements/fields in order.
    Agg(Vec<Val>),
    /// A scalar in wire memory (only inside a rolled loop's body): `width` slots from
    /// an address that may depend on loop registers. Read through `Lower::load`.
    M(Affine, u32),
    /// A public run-time integer (a loop counter of a rolled loop, or an affine
    /// function of counters) and the width of its type (0 when untyped).
    R(Affine, u32),
}

/// Limits that keep compilation finite.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Roll `for` loops into bodies compiled once (the program form); off for the
    /// unrolled circuit.
    pub roll: bool,
    /// Roll a loop only when its unrolled IR would have at least this many nodes
    /// (trips times body nodes); smaller loops are unrolled and optimised across
    /// iterations. Tests set 0 to roll every loop that can be.
    pub roll_min_work: u64,
    /// A `sort` whose network would have at least this many gates (estimated as
    /// elements x width x log2(elements)^2) runs as loops over one compare-and-swap body
    /// instead of one gadget. Tests set 0 to stream every sort.
    pub sort_stream_min: u64,
    /// Maximum IR nodes created.
    pub max_nodes: usize,
    /// Maximum unrolling work in total: loop iterations plus expressions evaluated
    /// (about a second per 10^7 in a debug build).
    pub max_steps: u64,
    /// Maximum inlining depth.
    pub max_depth: usize,
    /// Maximum gates of the bit-blasted circuit (16 bytes each in the `Circuit`, about
    /// 40 while building), so that no program can exhaust memory.
    pub max_gates: usize,
    /// Maximum gates of one body of the program form (what bounds the compiler's memory
    /// there; the gates a run executes are not bounded by the compiler).
    pub max_body_gates: usize,
    /// Add a last output `out_of_bounds` (a `bool` revealed to all): whether any
    /// secret index evaluated on the path the run took was out of range (by default
    /// such a read returns an element chosen by the index's low bits and such a write
    /// writes nothing, silently). Loops are then unrolled, not rolled.
    pub check_bounds: bool,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            roll: false,
            roll_min_work: crate::roll::ROLL_MIN_WORK,
            sort_stream_min: 1 << 22,
            max_nodes: 10_000_000,
            max_steps: 10_000_000,
            max_depth: 64,
            max_gates: 200_000_000,
            max_body_gates: 10_000_000,
            check_bounds: false,
        }
    }
}

/// One step of an assignment target: a field or an index.
pub(crate) enum Proj {
    Field(usize),
    Index(Val, Span),
}

pub(crate) enum Flow {
    Normal,
    Return(Val),
}

type R<T> = Result<T, Box<Diagnostic>>;

pub(crate) fn err<T>(span: Span, msg: impl Into<String>) -> R<T> {
    Err(Box::new(Diagnostic::error(span, msg)))
}

pub(crate) fn err_help<T>(span: Span, msg: impl Into<String>, help: impl Into<String>) -> R<T> {
    Err(Box::new(Diagnostic::error(span, msg).with_help(help)))
}

pub(crate) struct Lower<'a> {
    pub(crate) prog: &'a Program,
    pub(crate) ck: &'a Checked,
    pub(crate) ir: Ir,
    pub(crate) scopes: Vec<Scope>,
    consts: HashMap<String, Val>,
    depth: usize,
    pub(crate) steps: u64,
    pub(crate) limits: Limits,
    /// Nesting of secret conditions (returns are not allowed inside).
    pub(crate) secret_depth: usize,
    /// Input bits (group, bit) already consumed as `dp_noise` randomness, with the
    /// call that used them.
    pub(crate) dp_used: HashMap<(u32, u32), Span>,
    /// Rolled loops, their bodies and the wire memory they use (see `roll.rs`).
    pub(crate) roll: crate::roll::RollState,
    /// With [`Limits::check_bounds`]: the out-of-bounds flag so far (`None`: no secret
    /// index could be out of range yet) and the secret conditions of the `if`
    /// branches being lowered (the flag only counts indices on the path taken).
    oob: Option<NodeId>,
    path: Vec<NodeId>,
}

/// The variables of one block, in declaration order, with an index by name so that
/// lookups do not scan the block (100,000 `let`s took 21 s to lower when they did).
/// A `let` of a name the block already has replaces that binding in place: the old
/// one can no longer be named, and keeping positions stable is what the merge of the
/// two sides of a secret `if` relies on.
#[derive(Clone, Default)]
pub(crate) struct Scope {
    pub(crate) vars: Vec<(String, Val)>,
    index: HashMap<String, usize>,
}

impl Scope {
    /// Below this many variables a scan is cheaper than building the index (loop
    /// bodies create a scope per iteration).
    const SCAN: usize = 16;

    fn position(&self, name: &str) -> Option<usize> {
        if self.vars.len() <= Self::SCAN {
            self.vars.iter().position(|(n, _)| n == name)
        } else {
            self.index.get(name).copied()
        }
    }

    pub(crate) fn push(&mut self, (name, v): (String, Val)) {
        match self.position(&name) {
            Some(i) => self.vars[i].1 = v,
            None => {
                self.vars.push((name, v));
                if self.vars.len() == Self::SCAN + 1 {
                    self.index = self.vars.iter().enumerate().map(|(i, (n, _))| (n.clone(), i)).collect();
                } else if self.vars.len() > Self::SCAN + 1 {
                    let i = self.vars.len() - 1;
                    self.index.insert(self.vars[i].0.clone(), i);
                }
            }
        }
    }

    fn get(&self, name: &str) -> Option<&Val> {
        self.position(name).map(|i| &self.vars[i].1)
    }

    fn get_mut(&mut self, name: &str) -> Option<&mut Val> {
        self.position(name).map(|i| &mut self.vars[i].1)
    }
}

/// Lowers a checked, error-free program into IR, also returning the rolled loops'
/// bodies (empty unless `limits.roll`).
pub(crate) fn lower_rolled(
    prog: &Program,
    ck: &Checked,
    limits: &Limits,
) -> Result<(Ir, crate::roll::RollState), Box<Diagnostic>> {
    let mut l = Lower {
        prog,
        ck,
        ir: Ir::new(ck.parties.clone()),
        scopes: Vec::new(),
        consts: HashMap::new(),
        depth: 0,
        steps: 0,
        limits: limits.clone(),
        secret_depth: 0,
        dp_used: HashMap::new(),
        roll: crate::roll::RollState::default(),
        oob: None,
        path: Vec::new(),
    };
    if limits.check_bounds {
        // The flag is lowering state that rolled bodies would not carry.
        l.limits.roll = false;
    }
    l.run()?;
    Ok((l.ir, l.roll))
}

fn mask_fits(v: i128, ty: &Ty) -> bool {
    match ty {
        Ty::UInt(w) => v >= 0 && (*w >= 127 || v < (1i128 << w)),
        Ty::SInt(w) => *w >= 127 || (v >= -(1i128 << (w - 1)) && v < (1i128 << (w - 1))),
        Ty::Bool => v == 0 || v == 1,
        _ => true,
    }
}

impl<'a> Lower<'a> {
    fn run(&mut self) -> R<()> {
        let prog = self.prog;
        // Constants, in order.
        for (name, idx, ty) in &self.ck.consts {
            if let Some(Item::Const { value, .. }) = prog.items.get(*idx) {
                self.scopes.push(Scope::default());
                let v = self.expr(value)?;
                self.scopes.pop();
                let v = self.coerce(v, ty, value.span)?;
                self.consts.insert(name.clone(), v);
            }
        }
        let Some(sig) = self.ck.fns.get("main") else { return err(Span::default(), "no `main`") };
        let Some(Item::Fn(main)) = prog.items.get(sig.item) else { return err(Span::default(), "no `main`") };
        let mut scope = Scope::default();
        for (k, (p, ty)) in main.params.iter().zip(&sig.params).enumerate() {
            let party = self.ck.input_parties.get(k).copied().unwrap_or(0);
            let Some(vt) = ty.value_type(&self.ck.structs) else {
                return err(p.ty.span, "input has no run-time type");
            };
            self.ir.inputs.push(InputGroup { name: p.name.name.clone(), party: PartyId(party), ty: vt });
            let width = ty.width(&self.ck.structs) as u32;
            let node = self.ir.node(Op::Input { group: k as u32 }, vec![], width);
            let mut off = 0;
            let v = self.unflatten(node, ty, &mut off);
            scope.push((p.name.name.clone(), v));
        }
        self.roll.memory = self.ir.inputs.iter().map(|g| g.ty.width() as u64).sum();
        self.scopes.push(scope);
        let ret = match self.block(&main.body)? {
            (Flow::Return(v), _) => v,
            (Flow::Normal, v) => v,
        };
        self.scopes.pop();
        let ret = self.coerce(ret, &sig.ret, main.body.span)?;
        let parts: Vec<Val> = if self.ck.output_tuple {
            match ret {
                Val::Agg(items) => items,
                other => vec![other],
            }
        } else {
            vec![ret]
        };
        for (i, (spec, v)) in self.ck.outputs.iter().zip(parts).enumerate() {
            let Some(vt) = spec.ty.value_type(&self.ck.structs) else {
                return err(main.name.span, "output has no run-time type");
            };
            let reveal = match spec.party {
                Some(p) => Reveal::To(PartyId(p)),
                None => Reveal::All,
            };
            self.ir.outputs.push(OutputDecl { name: spec.name.clone(), ty: vt, reveal });
            let mut leaves = Vec::new();
            self.flatten(&v, &spec.ty, &mut leaves)?;
            let width = leaves.iter().map(|&n| self.ir.width(n)).sum();
            self.ir.node(Op::Output { index: i as u32 }, leaves, width);
        }
        if self.limits.check_bounds {
            self.bounds_output(main.name.span)?;
        }
        Ok(())
    }

    /// The `out_of_bounds` output of [`Limits::check_bounds`], after the program's own.
    fn bounds_output(&mut self, span: Span) -> R<()> {
        const NAME: &str = "out_of_bounds";
        if self.ir.outputs.iter().any(|o| o.name == NAME) {
            return err_help(
                span,
                format!("the program already has an output named `{NAME}`"),
                "rename that output to use `--check-bounds`",
            );
        }
        let Some(vt) = Ty::Bool.value_type(&self.ck.structs) else {
            return err(span, "internal error: `bool` has no run-time type");
        };
        let flag = match self.oob {
            Some(f) => f,
            None => self.ir.const_int(0, 1),
        };
        let index = self.ir.outputs.len() as u32;
        self.ir.outputs.push(OutputDecl { name: NAME.into(), ty: vt, reveal: Reveal::All });
        self.ir.node(Op::Output { index }, vec![flag], 1);
        Ok(())
    }

    /// With [`Limits::check_bounds`], ORs "secret index `idx` is not below `n`, on the
    /// path being lowered" into the flag. Nothing when it cannot be out of range.
    fn note_index(&mut self, idx: NodeId, n: usize) {
        if !self.limits.check_bounds {
            return;
        }
        let w = self.ir.width(idx);
        if w < 128 && (n as u128) >= (1u128 << w) {
            return;
        }
        let bound = self.ir.const_int(n as i128, w);
        let below = self.ir.node(Op::Lt { signed: false }, vec![idx, bound], 1);
        let mut out = self.ir.node(Op::Not, vec![below], 1);
        for &c in &self.path {
            out = self.ir.node(Op::And, vec![out, c], 1);
        }
        self.oob = Some(match self.oob {
            Some(f) => self.ir.node(Op::Or, vec![f, out], 1),
            None => out,
        });
    }

    pub(crate) fn unflatten(&mut self, node: NodeId, ty: &Ty, off: &mut u32) -> Val {
        match ty {
            Ty::Bool | Ty::UInt(_) | Ty::SInt(_) => {
                let w = ty.width(&self.ck.structs) as u32;
                let v = self.ir.node(Op::Slice { lo: *off }, vec![node], w);
                *off += w;
                Val::W(v)
            }
            Ty::Array(t, n) => Val::Agg((0..*n).map(|_| self.unflatten(node, t, off)).collect()),
            Ty::Tuple(ts) => Val::Agg(ts.iter().map(|t| self.unflatten(node, t, off)).collect()),
            Ty::Struct(i) => {
                let fields: Vec<Ty> = self.ck.structs[*i].fields.iter().map(|(_, t)| t.clone()).collect();
                Val::Agg(fields.iter().map(|t| self.unflatten(node, t, off)).collect())
            }
            Ty::Int | Ty::Error => Val::C(0),
        }
    }

    pub(crate) fn flatten(&mut self, v: &Val, ty: &Ty, out: &mut Vec<NodeId>) -> R<()> {
        match (v, ty) {
            (Val::W(n), _) => out.push(*n),
            (Val::M(..) | Val::R(..), t) => {
                let v = self.coerce(v.clone(), t, Span::default())?;
                let n = self.word(&v, Span::default())?;
                out.push(n);
            }
            (Val::C(c), t) => {
                let w = t.width(&self.ck.structs) as u32;
                out.push(self.ir.const_int(*c, w));
            }
            (Val::Agg(items), Ty::Array(t, _)) => {
                for it in items {
                    self.flatten(it, t, out)?;
                }
            }
            (Val::Agg(items), Ty::Tuple(ts)) => {
                for (it, t) in items.iter().zip(ts) {
                    self.flatten(it, t, out)?;
                }
            }
            (Val::Agg(items), Ty::Struct(i)) => {
                let fields: Vec<Ty> = self.ck.structs[*i].fields.iter().map(|(_, t)| t.clone()).collect();
                for (it, t) in items.iter().zip(&fields) {
                    self.flatten(it, t, out)?;
                }
            }
            _ => return err(Span::default(), "internal error: value does not match its type"),
        }
        Ok(())
    }

    /// Counts one unit of unrolling work (a loop iteration or an expression
    /// evaluated) against [`Limits::max_steps`]. Counting expressions too bounds the
    /// time of loops whose bodies create no IR nodes (public counters), which the
    /// node budget does not see.
    pub(crate) fn step(&mut self, span: Span) -> R<()> {
        self.steps_n(1, span)
    }

    /// [`Self::step`] for `n` units at once.
    fn steps_n(&mut self, n: u64, span: Span) -> R<()> {
        self.steps = self.steps.saturating_add(n);
        if self.steps > self.limits.max_steps {
            return err_help(
                span,
                "too many loop iterations",
                format!(
                    "the compiler unrolls at most {} steps (loop iterations, expressions evaluated and \
                     variables merged after secret `if`s) in total",
                    self.limits.max_steps
                ),
            );
        }
        Ok(())
    }

    fn budget(&mut self, span: Span) -> R<()> {
        if self.ir.node_count() > self.limits.max_nodes {
            return err_help(
                span,
                "the program is too large to compile",
                format!(
                    "it needs more than {} IR nodes; reduce loop bounds or array sizes",
                    self.limits.max_nodes
                ),
            );
        }
        Ok(())
    }

    // ---- values ----

    /// Converts compile-time integers inside `v` to words of `ty`.
    pub(crate) fn coerce(&mut self, v: Val, ty: &Ty, span: Span) -> R<Val> {
        Ok(match (v, ty) {
            (Val::C(c), Ty::UInt(w) | Ty::SInt(w)) => {
                if !mask_fits(c, ty) {
                    return err_help(
                        span,
                        format!("value {c} does not fit in `{}`", ty.display(&self.ck.structs)),
                        "use a wider type or a smaller value",
                    );
                }
                Val::W(self.ir.const_int(c, *w))
            }
            (Val::R(a, 0), Ty::UInt(w) | Ty::SInt(w)) => Val::R(a, *w),
            (Val::Agg(items), Ty::Array(t, _)) => {
                Val::Agg(items.into_iter().map(|x| self.coerce(x, t, span)).collect::<R<_>>()?)
            }
            (Val::Agg(items), Ty::Tuple(ts)) => {
                Val::Agg(items.into_iter().zip(ts).map(|(x, t)| self.coerce(x, t, span)).collect::<R<_>>()?)
            }
            (Val::Agg(items), Ty::Struct(i)) => {
                let fields: Vec<Ty> = self.ck.structs[*i].fields.iter().map(|(_, t)| t.clone()).collect();
                Val::Agg(
                    items.into_iter().zip(&fields).map(|(x, t)| self.coerce(x, t, span)).collect::<R<_>>()?,
                )
            }
            (v, _) => v,
        })
    }

    pub(crate) fn word(&mut self, v: &Val, span: Span) -> R<NodeId> {
        match v {
            Val::W(n) => Ok(*n),
            Val::M(addr, w) => self.load(addr, *w, span),
            Val::R(a, w) if *w > 0 => Ok(self.reg_bits(a, *w)),
            _ => err_help(
                span,
                "this value has no run-time type here",
                "give it a type, e.g. `5u32` or `let x: u32 = ...`",
            ),
        }
    }

    /// A compile-time integer value of `v`, if known.
    pub(crate) fn known_int(&self, v: &Val, ty: &Ty) -> Option<i128> {
        match v {
            Val::C(c) => Some(*c),
            Val::W(n) => self.ir.const_i128(*n, matches!(ty, Ty::SInt(_))),
            Val::R(a, _) => a.as_const().map(i128::from),
            Val::Agg(_) | Val::M(..) => None,
        }
    }

    fn known_bool(&self, v: &Val) -> Option<bool> {
        match v {
            Val::W(n) => self.ir.as_const(*n).map(|b| b.first() == Some(&true)),
            Val::C(c) => Some(*c != 0),
            Val::R(a, _) => a.as_const().map(|c| c != 0),
            Val::Agg(_) | Val::M(..) => None,
        }
    }

    fn mux(&mut self, sel: NodeId, t: &Val, f: &Val, span: Span) -> R<Val> {
        Ok(match (t, f) {
            (Val::Agg(a), Val::Agg(b)) if a.len() == b.len() => {
                Val::Agg(a.iter().zip(b).map(|(x, y)| self.mux(sel, x, y, span)).collect::<R<_>>()?)
            }
            _ if t == f => t.clone(),
            (Val::C(_), _) | (_, Val::C(_)) => {
                return err_help(
                    span,
                    "a compile-time integer cannot depend on a secret condition",
                    "give the variable a type: `let mut x: u32 = ...`",
                )
            }
            _ => {
                let (a, b) = (self.word(t, span)?, self.word(f, span)?);
                let w = self.ir.width(a);
                Val::W(self.ir.node(Op::Mux, vec![sel, a, b], w))
            }
        })
    }

    // ---- statements ----

    fn lookup(&self, name: &str) -> Option<&Val> {
        for s in self.scopes.iter().rev() {
            if let Some(v) = s.get(name) {
                return Some(v);
            }
        }
        self.consts.get(name)
    }

    fn lookup_mut(&mut self, name: &str) -> Option<&mut Val> {
        for s in self.scopes.iter_mut().rev() {
            if let Some(v) = s.get_mut(name) {
                return Some(v);
            }
        }
        None
    }

    pub(crate) fn block(&mut self, b: &Block) -> R<(Flow, Val)> {
        self.scopes.push(Scope::default());
        let r = self.block_inner(b);
        self.scopes.pop();
        r
    }

    fn block_inner(&mut self, b: &Block) -> R<(Flow, Val)> {
        for s in &b.stmts {
            if let Flow::Return(v) = self.stmt(s)? {
                return Ok((Flow::Return(v.clone()), v));
            }
        }
        match &b.tail {
            Some(e) => self.tail_expr(e),
            None => Ok((Flow::Normal, Val::Agg(Vec::new()))),
        }
    }

    /// A block's tail expression. An `if` (or block) there may `return` from the
    /// function when its condition is public, as a statement `if` may
    /// (`if X == 1 { return a; } else { return b; }` ending a function).
    fn tail_expr(&mut self, e: &Expr) -> R<(Flow, Val)> {
        let r = match &e.kind {
            ExprKind::Block(b) => {
                self.step(e.span)?;
                self.block(b)?
            }
            ExprKind::Match(m) => {
                self.step(e.span)?;
                self.tail_expr(&m.desugared)?
            }
            ExprKind::If(c, then, els) => {
                self.step(e.span)?;
                let cv = self.expr(c)?;
                match self.known_bool(&cv) {
                    Some(true) => self.block(then)?,
                    Some(false) => match els {
                        Some(el) => self.tail_expr(el)?,
                        None => (Flow::Normal, Val::Agg(Vec::new())),
                    },
                    None => (Flow::Normal, self.secret_if(&cv, c.span, then, els.as_deref())?),
                }
            }
            _ => return Ok((Flow::Normal, self.expr(e)?)),
        };
        match r {
            (Flow::Return(v), _) => Ok((Flow::Return(v.clone()), v)),
            (Flow::Normal, v) => Ok((Flow::Normal, self.finish_expr(e, v)?)),
        }
    }

    /// [`Self::stmt_inner`] with the statement's span as the source attribution of
    /// nodes made outside its expressions (an assignment's writes through an index).
    fn stmt(&mut self, s: &Stmt) -> R<Flow> {
        let span = match s {
            Stmt::Assign { span, .. } | Stmt::For { span, .. } | Stmt::Return { span, .. } => *span,
            _ => self.ir.at,
        };
        let saved = std::mem::replace(&mut self.ir.at, span);
        let r = self.stmt_inner(s);
        self.ir.at = saved;
        r
    }

    fn stmt_inner(&mut self, s: &Stmt) -> R<Flow> {
        match s {
            Stmt::Let { name, value, .. } => {
                let v = self.expr(value)?;
                if let Some(scope) = self.scopes.last_mut() {
                    scope.push((name.name.clone(), v));
                }
            }
            Stmt::Assign { place, op, value, span } => {
                let rhs = match op {
                    None => self.expr(value)?,
                    Some(op) => {
                        let cur = self.expr(place)?;
                        let rv = self.expr(value)?;
                        let pty = self.ck.ty(place);
                        let vty = self.ck.ty(value);
                        self.binop(*op, cur, rv, &pty, &vty, &pty, *span)?
                    }
                };
                let pty = self.ck.ty(place);
                let rhs = self.coerce(rhs, &pty, value.span)?;
                self.assign(place, rhs)?;
            }
            Stmt::Expr(e) => {
                if let ExprKind::If(c, t, el) = &e.kind {
                    // Statement `if`: may return.
                    return self.if_stmt(c, t, el.as_deref());
                }
                if let ExprKind::Match(_) = &e.kind {
                    // Statement `match`: may return, like an `if`.
                    return Ok(self.tail_expr(e)?.0);
                }
                self.expr(e)?;
            }
            Stmt::For { var, lo, hi, body, span, rev, inclusive } => {
                let lty = self.ck.ty(lo);
                let lv = self.expr(lo)?;
                let hv = self.expr(hi)?;
                let (Some(a), Some(b)) = (self.known_int(&lv, &lty), self.known_int(&hv, &lty)) else {
                    if matches!(lv, Val::R(..)) || matches!(hv, Val::R(..)) {
                        return self.no_roll("a loop bound depends on an enclosing loop's counter");
                    }
                    return err_help(
                        Span::new(lo.span.lo, hi.span.hi),
                        "loop bounds must be known at compile time",
                        "inputs are secret; loop to a constant bound and use `if` inside the loop",
                    );
                };
                // `a..=b`: i128 holds every bound plus one.
                let b = if *inclusive { b + 1 } else { b };
                if self.limits.roll && self.try_roll(var, &lty, a, b, body, *span, *rev)? {
                    return Ok(Flow::Normal);
                }
                let mut k = a;
                while k < b {
                    let i = if *rev { a + b - 1 - k } else { k };
                    self.step(*span)?;
                    self.budget(*span)?;
                    let iv = match lty {
                        Ty::UInt(w) | Ty::SInt(w) => Val::W(self.ir.const_int(i, w)),
                        _ => Val::C(i),
                    };
                    let mut scope = Scope::default();
                    scope.push((var.name.clone(), iv));
                    self.scopes.push(scope);
                    let r = self.block(body);
                    self.scopes.pop();
                    if let (Flow::Return(v), _) = r? {
                        return Ok(Flow::Return(v));
                    }
                    k += 1;
                }
            }
            Stmt::Return { value, span } => {
                if self.secret_depth > 0 {
                    return err_help(
                        *span,
                        "`return` inside an `if` on a secret condition is not supported",
                        "assign the result to a variable and return it at the end",
                    );
                }
                let v = match value {
                    Some(v) => self.expr(v)?,
                    None => Val::Agg(Vec::new()),
                };
                return Ok(Flow::Return(v));
            }
            Stmt::Unbounded(span) | Stmt::Error(span) => return err(*span, "cannot compile this statement"),
        }
        Ok(Flow::Normal)
    }

    fn if_stmt(&mut self, c: &Expr, then: &Block, els: Option<&Expr>) -> R<Flow> {
        let cv = self.expr(c)?;
        if let Some(k) = self.known_bool(&cv) {
            if k {
                return Ok(self.block(then)?.0);
            }
            return match els {
                None => Ok(Flow::Normal),
                Some(e) => match &e.kind {
                    ExprKind::If(c2, t2, e2) => self.if_stmt(c2, t2, e2.as_deref()),
                    ExprKind::Block(b) => Ok(self.block(b)?.0),
                    _ => {
                        self.expr(e)?;
                        Ok(Flow::Normal)
                    }
                },
            };
        }
        self.secret_if(&cv, c.span, then, els)?;
        Ok(Flow::Normal)
    }

    /// Both branches under a secret condition; merges assigned variables; returns the muxed value.
    fn secret_if(&mut self, cv: &Val, span: Span, then: &Block, els: Option<&Expr>) -> R<Val> {
        // The muxes that merge the two sides belong to the condition's line.
        let saved = std::mem::replace(&mut self.ir.at, span);
        let r = self.secret_if_inner(cv, span, then, els);
        self.ir.at = saved;
        r
    }

    fn secret_if_inner(&mut self, cv: &Val, span: Span, then: &Block, els: Option<&Expr>) -> R<Val> {
        let sel = self.word(cv, span)?;
        // Saving and merging the variables costs one step per variable in scope, or
        // many variables times many secret `if`s would be quadratic and unbounded
        // (8,000 of each took 29 s).
        let vars: usize = self.scopes.iter().map(|s| s.vars.len()).sum();
        self.steps_n(vars as u64, span)?;
        self.secret_depth += 1;
        let saved = self.scopes.clone();
        if self.limits.check_bounds {
            self.path.push(sel);
        }
        let r1 = self.block(then);
        if self.limits.check_bounds {
            self.path.pop();
            let not = self.ir.node(Op::Not, vec![sel], 1);
            self.path.push(not);
        }
        let then_scopes = std::mem::replace(&mut self.scopes, saved);
        let tv = match r1 {
            Ok((_, v)) => v,
            Err(e) => {
                self.secret_depth -= 1;
                return Err(e);
            }
        };
        let ev = match els {
            Some(e) => self.expr(e),
            None => Ok(Val::Agg(Vec::new())),
        };
        if self.limits.check_bounds {
            self.path.pop();
        }
        self.secret_depth -= 1;
        let ev = ev?;
        // Merge variables.
        let else_scopes = std::mem::take(&mut self.scopes);
        let mut merged = Vec::with_capacity(else_scopes.len());
        for (ts, es) in then_scopes.iter().zip(else_scopes) {
            let mut scope = Scope::default();
            for ((name, t), (_, e)) in ts.vars.iter().zip(es.vars) {
                let v = if *t == e { e } else { self.mux(sel, t, &e, span)? };
                scope.push((name.clone(), v));
            }
            merged.push(scope);
        }
        self.scopes = merged;
        if tv == Val::Agg(Vec::new()) && ev == Val::Agg(Vec::new()) {
            return Ok(tv);
        }
        self.mux(sel, &tv, &ev, span)
    }

    /// Writes `rhs` into a place expression.
    fn assign(&mut self, place: &Expr, rhs: Val) -> R<()> {
        // Collect the projection path.
        let mut projs = Vec::new();
        let mut cur = place;
        let root = loop {
            match &cur.kind {
                ExprKind::Path(n) => break n,
                ExprKind::Field(base, f) => {
                    let bty = self.ck.ty(base);
                    let idx = match &bty {
                        Ty::Struct(i) => self.ck.structs[*i].fields.iter().position(|(n, _)| n == &f.name),
                        _ => f.name.parse::<usize>().ok(),
                    };
                    let Some(idx) = idx else { return err(f.span, "unknown field") };
                    projs.push(Proj::Field(idx));
                    cur = base;
                }
                ExprKind::Index(base, i) => {
                    let iv = self.expr(i)?;
                    projs.push(Proj::Index(iv, i.span));
                    cur = base;
                }
                _ => return err(cur.span, "invalid assignment target"),
            }
        };
        projs.reverse();
        let Some(slot) = self.lookup_mut(&root.name) else {
            return err(root.span, format!("cannot find variable `{}`", root.name));
        };
        let mut val = std::mem::replace(slot, Val::C(0));
        let r = self.update(&mut val, &projs, rhs, None);
        if let Some(slot) = self.lookup_mut(&root.name) {
            *slot = val;
        }
        r
    }

    pub(crate) fn update(&mut self, val: &mut Val, projs: &[Proj], rhs: Val, guard: Option<NodeId>) -> R<()> {
        let Some((first, rest)) = projs.split_first() else {
            *val = match guard {
                None => rhs,
                Some(g) => self.mux(g, &rhs, val, Span::default())?,
            };
            return Ok(());
        };
        let Val::Agg(items) = val else {
            return err(Span::default(), "internal error: projection of a scalar");
        };
        match first {
            Proj::Field(i) => match items.get_mut(*i) {
                Some(slot) => self.update(slot, rest, rhs, guard),
                None => err(Span::default(), "internal error: field out of range"),
            },
            Proj::Index(iv, span) => {
                let n = items.len();
                if let Some(k) = self.known_int(iv, &Ty::UInt(256)) {
                    if k < 0 || k as u128 >= n as u128 {
                        return err(*span, format!("index {k} is out of bounds for an array of length {n}"));
                    }
                    return self.update(&mut items[k as usize], rest, rhs, guard);
                }
                if let Val::R(a, _) = iv {
                    return self.update_reg(items, a, rest, rhs, guard, *span);
                }
                // Secret index: one-hot decoder, one guarded update per element.
                let idx = self.word(iv, *span)?;
                self.note_index(idx, n);
                let dec = self.ir.node(Op::Decode, vec![idx], n as u32);
                for (j, slot) in items.iter_mut().enumerate() {
                    let hit = self.ir.node(Op::Slice { lo: j as u32 }, vec![dec], 1);
                    let g = match guard {
                        None => hit,
                        Some(g) => self.ir.node(Op::And, vec![g, hit], 1),
                    };
                    self.update(slot, rest, rhs.clone(), Some(g))?;
                }
                self.budget(*span)
            }
        }
    }

    // ---- expressions ----

    pub(crate) fn expr(&mut self, e: &Expr) -> R<Val> {
        self.step(e.span)?;
        // Source attribution (`Ir::spans`): nodes made while lowering `e` (and not
        // inside a subexpression) belong to `e`. A rolled loop swaps `self.ir` in and
        // out within one expression, so the saved span is restored on the same IR.
        let saved = std::mem::replace(&mut self.ir.at, e.span);
        *self.ir.evals.entry(e.span).or_insert(0) += 1;
        let v = self.expr_inner(e).and_then(|v| self.finish_expr(e, v));
        self.ir.at = saved;
        v
    }

    /// The value of `e` as its checked type (and wrapped into a one-element tuple
    /// where the checker says so).
    fn finish_expr(&mut self, e: &Expr, v: Val) -> R<Val> {
        let ty = self.ck.ty(e);
        let v = self.coerce(v, &ty, e.span)?;
        if self.ck.wrap_single.contains(&e.id) {
            // `x` returned for a one-element tuple type: the value is `(x,)`.
            return Ok(Val::Agg(vec![v]));
        }
        Ok(v)
    }

    fn expr_inner(&mut self, e: &Expr) -> R<Val> {
        let ty = self.ck.ty(e);
        match &e.kind {
            ExprKind::Error => err(e.span, "cannot compile this expression"),
            ExprKind::Int(text) => {
                let lit = parse_literal(text).map_err(|m| Box::new(Diagnostic::error(e.span, m)))?;
                match ty {
                    Ty::UInt(w) | Ty::SInt(w) => {
                        if lit.bits.len() > w as usize {
                            return err_help(
                                e.span,
                                format!(
                                    "literal `{text}` does not fit in `{}`",
                                    ty.display(&self.ck.structs)
                                ),
                                "use a wider type",
                            );
                        }
                        let mut bits = lit.bits.clone();
                        bits.resize(w as usize, false);
                        Ok(Val::W(self.ir.constant(bits)))
                    }
                    _ => match lit.as_i128() {
                        Some(v) => Ok(Val::C(v)),
                        None => err(e.span, "integer literal is too large"),
                    },
                }
            }
            ExprKind::Bool(b) => Ok(Val::W(self.ir.const_int(i128::from(*b), 1))),
            ExprKind::Path(n) => match self.lookup(&n.name) {
                Some(v) => Ok(v.clone()),
                None => err(n.span, format!("cannot find `{}`", n.name)),
            },
            ExprKind::Binary(..) => self.binary(e),
            ExprKind::Unary(op, a) => {
                let v = self.expr(a)?;
                match (op, v) {
                    (UnOp::Neg, Val::C(c)) => match c.checked_neg() {
                        Some(x) => Ok(Val::C(x)),
                        None => err(e.span, "compile-time overflow"),
                    },
                    (UnOp::Neg, v) => {
                        let n = self.word(&v, e.span)?;
                        let w = self.ir.width(n);
                        Ok(Val::W(self.ir.node(Op::Neg, vec![n], w)))
                    }
                    (UnOp::Not, v) => {
                        let n = self.word(&v, e.span)?;
                        let w = self.ir.width(n);
                        Ok(Val::W(self.ir.node(Op::Not, vec![n], w)))
                    }
                }
            }
            ExprKind::Cast(a, _) => {
                let sty = self.ck.ty(a);
                let v = self.expr(a)?;
                let (Ty::UInt(w) | Ty::SInt(w)) = ty else { return err(e.span, "invalid cast") };
                match v {
                    Val::C(c) => Ok(Val::W(self.ir.const_int(c, w))),
                    Val::R(a, _) => {
                        let fits = a.as_const().is_some() || self.roll_range_fits(&a, &ty);
                        Ok(if fits { Val::R(a, w) } else { Val::W(self.reg_bits(&a, w)) })
                    }
                    Val::W(_) | Val::M(..) => {
                        let v = self.coerce(v, &sty, e.span)?;
                        let n = self.word(&v, e.span)?;
                        let signed = matches!(sty, Ty::SInt(_));
                        Ok(Val::W(self.ir.node(Op::Ext { signed }, vec![n], w)))
                    }
                    Val::Agg(_) => err(e.span, "invalid cast"),
                }
            }
            ExprKind::Call(name, args) => self.call(e, name, args),
            ExprKind::Method(recv, name, args) => self.method(e, recv, name, args),
            ExprKind::Variant(t, v, args) => self.variant(e, t, v, args.as_deref(), &ty),
            ExprKind::Tag(en, v) => match self
                .ck
                .enums
                .get(&en.name)
                .and_then(|d| d.variants.iter().position(|(n, _)| n == &v.name))
            {
                Some(k) => Ok(Val::C(k as i128)),
                None => err(v.span, "unknown variant"),
            },
            ExprKind::Closure(..) => err(e.span, "closures are only supported as the key of `sort_by_key`"),
            ExprKind::Match(m) => match self.block_expr(&m.desugared)? {
                (Flow::Normal, v) => Ok(v),
                (Flow::Return(_), _) => err_help(
                    e.span,
                    "`return` inside a `match` used as a value is not supported",
                    "use the `match` as a statement, or assign to a variable",
                ),
            },
            ExprKind::Index(base, idx) => {
                let bv = self.expr(base)?;
                let iv = self.expr(idx)?;
                let Val::Agg(items) = bv else { return err(e.span, "cannot index this value") };
                let n = items.len();
                if let Some(k) = self.known_int(&iv, &Ty::UInt(256)) {
                    if k < 0 || k as u128 >= n as u128 {
                        return err(
                            idx.span,
                            format!("index {k} is out of bounds for an array of length {n}"),
                        );
                    }
                    return Ok(items[k as usize].clone());
                }
                if let Val::R(a, _) = &iv {
                    return self.index_reg(&items, a, idx.span);
                }
                if n == 0 {
                    return err(idx.span, "index into an empty array");
                }
                let elem_ty = match self.ck.ty(base) {
                    Ty::Array(t, _) => *t,
                    _ => ty.clone(),
                };
                let cost = (n as u64).saturating_mul(elem_ty.width(&self.ck.structs));
                if self.limits.roll && cost > self.limits.max_body_gates as u64 {
                    return err_help(
                        e.span,
                        format!("a secret index into {n} elements needs about {cost} AND gates in one body"),
                        format!(
                            "one body may have at most {} gates; index a smaller array or split it",
                            self.limits.max_body_gates
                        ),
                    );
                }
                let items: Vec<Val> =
                    items.into_iter().map(|x| self.coerce(x, &elem_ty, e.span)).collect::<R<_>>()?;
                let idx = self.word(&iv, idx.span)?;
                self.note_index(idx, items.len());
                let r = self.mux_tree(idx, &items, 0, e.span)?;
                self.budget(e.span)?;
                Ok(r)
            }
            ExprKind::Field(base, f) => {
                let bty = self.ck.ty(base);
                let bv = self.expr(base)?;
                let idx = match &bty {
                    Ty::Struct(i) => self.ck.structs[*i].fields.iter().position(|(n, _)| n == &f.name),
                    _ => f.name.parse::<usize>().ok(),
                };
                match (bv, idx) {
                    (Val::Agg(items), Some(i)) if i < items.len() => Ok(items[i].clone()),
                    _ => err(f.span, "unknown field"),
                }
            }
            ExprKind::Tuple(items) | ExprKind::Array(items) => {
                Ok(Val::Agg(items.iter().map(|x| self.expr(x)).collect::<R<_>>()?))
            }
            ExprKind::Repeat(v, _) => {
                let Ty::Array(_, n) = ty else { return err(e.span, "invalid array") };
                let x = self.expr(v)?;
                Ok(Val::Agg(vec![x; n as usize]))
            }
            ExprKind::StructLit(_, fields) => {
                let Ty::Struct(si) = ty else { return err(e.span, "invalid struct") };
                let order: Vec<String> = self.ck.structs[si].fields.iter().map(|(n, _)| n.clone()).collect();
                let mut vals: Vec<Option<Val>> = vec![None; order.len()];
                for (fname, fe) in fields {
                    let v = self.expr(fe)?;
                    if let Some(p) = order.iter().position(|n| n == &fname.name) {
                        vals[p] = Some(v);
                    }
                }
                Ok(Val::Agg(vals.into_iter().map(|v| v.unwrap_or(Val::C(0))).collect()))
            }
            ExprKind::Block(b) => match self.block(b)? {
                (Flow::Normal, v) => Ok(v),
                (Flow::Return(_), _) => err_help(
                    e.span,
                    "`return` inside a block expression is not supported",
                    "move the `return` to statement level",
                ),
            },
            ExprKind::If(c, then, els) => {
                let cv = self.expr(c)?;
                if let Some(k) = self.known_bool(&cv) {
                    let r = if k {
                        self.block(then)?
                    } else {
                        match els {
                            Some(el) => (Flow::Normal, self.expr(el)?),
                            None => (Flow::Normal, Val::Agg(Vec::new())),
                        }
                    };
                    return match r {
                        (Flow::Normal, v) => Ok(v),
                        (Flow::Return(_), _) => {
                            err(e.span, "`return` inside an `if` expression is not supported")
                        }
                    };
                }
                self.secret_if(&cv, c.span, then, els.as_deref())
            }
        }
    }

    /// The rewriting of a `match` (a block): its flow and value.
    fn block_expr(&mut self, e: &Expr) -> R<(Flow, Val)> {
        match &e.kind {
            ExprKind::Block(b) => self.block(b),
            _ => Ok((Flow::Normal, self.expr(e)?)),
        }
    }

    /// The value 0 (false, all-zero) of type `ty`.
    pub(crate) fn zero(&mut self, ty: &Ty) -> Val {
        match ty {
            Ty::Bool => Val::W(self.ir.const_int(0, 1)),
            Ty::UInt(w) | Ty::SInt(w) => Val::W(self.ir.const_int(0, *w)),
            Ty::Array(t, n) => {
                let z = self.zero(t);
                Val::Agg(vec![z; *n as usize])
            }
            Ty::Tuple(ts) => Val::Agg(ts.iter().map(|t| self.zero(t)).collect()),
            Ty::Struct(i) => {
                let fields: Vec<Ty> = self.ck.structs[*i].fields.iter().map(|(_, t)| t.clone()).collect();
                Val::Agg(fields.iter().map(|t| self.zero(t)).collect())
            }
            Ty::Int | Ty::Error => Val::C(0),
        }
    }

    /// `uN::MAX`/`MIN`/`BITS`, or a variant of an enum: its tag, its payloads, and
    /// zeros in the other variants' payload fields (so that `==` on enum values
    /// compares only what the variants hold).
    fn variant(&mut self, e: &Expr, t: &Ident, v: &Ident, args: Option<&[Expr]>, ty: &Ty) -> R<Val> {
        if v.name == "BITS" {
            let Some((_, w)) = crate::types::int_type_name(&t.name) else {
                return err(t.span, "not an integer type");
            };
            return Ok(Val::W(self.ir.const_int(i128::from(w), 32)));
        }
        match ty {
            Ty::UInt(w) | Ty::SInt(w) => {
                let (w, signed) = (*w, matches!(ty, Ty::SInt(_)));
                let top = (w - 1) as usize;
                let mut bits = vec![v.name == "MAX"; w as usize];
                if signed {
                    bits[top] = v.name == "MIN";
                }
                Ok(Val::W(self.ir.constant(bits)))
            }
            Ty::Struct(si) => {
                let Some((_, def)) = self.ck.enums.iter().find(|(_, d)| d.strukt == *si) else {
                    return err(e.span, "unknown enum");
                };
                let Some(k) = def.variants.iter().position(|(n, _)| n == &v.name) else {
                    return err(v.span, "unknown variant");
                };
                let variants = def.variants.clone();
                let tag_ty =
                    self.ck.structs[*si].fields.first().map(|(_, t)| t.clone()).unwrap_or(Ty::UInt(1));
                let mut fields = vec![self.coerce(Val::C(k as i128), &tag_ty, e.span)?];
                for (j, (_, payload)) in variants.iter().enumerate() {
                    for (p, pty) in payload.iter().enumerate() {
                        let val = match args.and_then(|a| a.get(p)) {
                            Some(a) if j == k => {
                                let val = self.expr(a)?;
                                self.coerce(val, pty, a.span)?
                            }
                            _ => self.zero(pty),
                        };
                        fields.push(val);
                    }
                }
                Ok(Val::Agg(fields))
            }
            _ => err(e.span, "invalid `T::NAME`"),
        }
    }

    /// A built-in method (`xs.len()`, `x.bit(i)`): see `builtins`.
    fn method(&mut self, e: &Expr, recv: &Expr, name: &Ident, args: &[Expr]) -> R<Val> {
        match crate::builtins::lookup(&name.name, crate::builtins::Form::Method) {
            Some((id, b)) if b.arity == args.len() => {
                let ty = self.ck.ty(e);
                let call =
                    crate::builtins::LowerCall { id, expr: e, recv: Some(recv), args, vals: Vec::new(), ty };
                (b.lower)(self, call)
            }
            _ => err(name.span, format!("no method `{}` here", name.name)),
        }
    }

    /// Secret-index read: a binary mux tree over the index bits (n-1 muxes).
    pub(crate) fn mux_tree(&mut self, idx: NodeId, items: &[Val], bit: u32, span: Span) -> R<Val> {
        if items.len() == 1 {
            return Ok(items[0].clone());
        }
        let iw = self.ir.width(idx);
        // Split by bit `bit`: even and odd positions.
        let even: Vec<Val> = items.iter().step_by(2).cloned().collect();
        let odd: Vec<Val> = items.iter().skip(1).step_by(2).cloned().collect();
        let e = self.mux_tree(idx, &even, bit + 1, span)?;
        if bit >= iw {
            return Ok(e);
        }
        let o = self.mux_tree(idx, &odd, bit + 1, span)?;
        let sel = self.ir.node(Op::Slice { lo: bit }, vec![idx], 1);
        self.mux(sel, &o, &e, span)
    }

    /// Binary expression `e`. A left-associated chain `a + b + c` is walked down its
    /// left spine and back up in a loop (one level of recursion however long it is;
    /// the nesting limit counts it as one); each inner node is stepped and finished
    /// as [`Self::expr`] would.
    fn binary(&mut self, e: &Expr) -> R<Val> {
        let (spine, leftmost) = e.binary_spine();
        for node in spine.iter().skip(1) {
            self.step(node.span)?;
        }
        let mut av = self.expr(leftmost)?;
        for (k, node) in spine.iter().enumerate().rev() {
            let ExprKind::Binary(op, a, b) = &node.kind else { continue };
            let v = 'v: {
                // Short-circuit on a known left operand.
                if matches!(op, BinOp::And | BinOp::Or) {
                    if let Some(known) = self.known_bool(&av) {
                        if known == (*op == BinOp::Or) {
                            break 'v av;
                        }
                        break 'v self.expr(b)?;
                    }
                }
                let (aty, bty, rty) = (self.ck.ty(a), self.ck.ty(b), self.ck.ty(node));
                let bv = self.expr(b)?;
                self.binop(*op, av, bv, &aty, &bty, &rty, node.span)?
            };
            // `expr` finishes the outermost node; the inner ones are finished here.
            av = if k == 0 { v } else { self.finish_expr(node, v)? };
        }
        Ok(av)
    }

    #[allow(clippy::too_many_arguments)]
    fn binop(&mut self, op: BinOp, a: Val, b: Val, aty: &Ty, bty: &Ty, rty: &Ty, span: Span) -> R<Val> {
        use BinOp::*;
        // Compile-time integers.
        if let (Val::C(x), Val::C(y)) = (&a, &b) {
            let (x, y) = (*x, *y);
            let r = match op {
                Add => x.checked_add(y),
                Sub => x.checked_sub(y),
                Mul => x.checked_mul(y),
                Div | Rem if y == 0 => return err(span, "division by zero in a compile-time expression"),
                Div => x.checked_div(y),
                Rem => x.checked_rem(y),
                BitAnd => Some(x & y),
                BitOr => Some(x | y),
                BitXor => Some(x ^ y),
                Shl => u32::try_from(y)
                    .ok()
                    .filter(|&s| s < 127)
                    .and_then(|s| x.checked_shl(s))
                    .filter(|v| v >> (y as u32) == x),
                Shr => Some(if y >= 127 {
                    if x < 0 {
                        -1
                    } else {
                        0
                    }
                } else {
                    x >> y
                }),
                Eq | Ne | Lt | Le | Gt | Ge | And | Or => {
                    let t = match op {
                        Eq => x == y,
                        Ne => x != y,
                        Lt => x < y,
                        Le => x <= y,
                        Gt => x > y,
                        Ge => x >= y,
                        And => x != 0 && y != 0,
                        _ => x != 0 || y != 0,
                    };
                    return Ok(Val::W(self.ir.const_int(i128::from(t), 1)));
                }
            };
            return match r {
                Some(v) => Ok(Val::C(v)),
                None => err_help(
                    span,
                    "compile-time integer overflow",
                    "give the values a type so the arithmetic wraps",
                ),
            };
        }
        // Public run-time integers (loop counters): affine arithmetic and comparisons
        // decided over the counters' ranges stay public; anything else becomes wires.
        let (a, b) = if matches!(a, Val::R(..)) || matches!(b, Val::R(..)) {
            if let Some(v) = self.reg_binop(op, &a, &b, aty, bty, rty) {
                return Ok(v);
            }
            self.reg_operands(a, b, aty, bty, span)?
        } else {
            (a, b)
        };
        // Aggregates: only == and !=.
        if let (Val::Agg(_), Val::Agg(_)) = (&a, &b) {
            let mut la = Vec::new();
            let mut lb = Vec::new();
            self.flatten(&a, aty, &mut la)?;
            self.flatten(&b, bty, &mut lb)?;
            let wa: u32 = la.iter().map(|&n| self.ir.width(n)).sum();
            let ca = self.ir.node(Op::Concat, la, wa);
            let cb = self.ir.node(Op::Concat, lb, wa);
            let eq = self.ir.node(Op::Eq, vec![ca, cb], 1);
            return Ok(Val::W(if op == Ne { self.ir.node(Op::Not, vec![eq], 1) } else { eq }));
        }
        let signed = matches!(aty, Ty::SInt(_)) || matches!(bty, Ty::SInt(_));
        // Shifts: amount may be any unsigned width.
        if matches!(op, Shl | Shr) {
            let x = self.word(&a, span)?;
            let w = self.ir.width(x);
            if let Some(k) = self.known_int(&b, bty) {
                let k = k.clamp(0, i128::from(w)) as u32;
                let signed = matches!(aty, Ty::SInt(_));
                let op = if op == Shl { Op::ShlC(k) } else { Op::ShrC { k, signed } };
                return Ok(Val::W(self.ir.node(op, vec![x], w)));
            }
            let amt = self.word(&b, span)?;
            let signed = matches!(aty, Ty::SInt(_));
            let op = if op == Shl { Op::Shl } else { Op::Shr { signed } };
            return Ok(Val::W(self.ir.node(op, vec![x, amt], w)));
        }
        let _ = rty;
        let x = self.word(&a, span)?;
        let y = self.word(&b, span)?;
        let w = self.ir.width(x);
        let node = |s: &mut Self, op: Op, args: Vec<NodeId>, w: u32| Val::W(s.ir.node(op, args, w));
        Ok(match op {
            Add => node(self, Op::Add, vec![x, y], w),
            Sub => node(self, Op::Sub, vec![x, y], w),
            Mul => node(self, Op::Mul, vec![x, y], w),
            Div => node(self, Op::Div { signed }, vec![x, y], w),
            Rem => node(self, Op::Rem { signed }, vec![x, y], w),
            BitAnd | And => node(self, Op::And, vec![x, y], w),
            BitOr | Or => node(self, Op::Or, vec![x, y], w),
            BitXor => node(self, Op::Xor, vec![x, y], w),
            Eq => node(self, Op::Eq, vec![x, y], 1),
            Ne => {
                let e = self.ir.node(Op::Eq, vec![x, y], 1);
                node(self, Op::Not, vec![e], 1)
            }
            Lt => node(self, Op::Lt { signed }, vec![x, y], 1),
            Gt => node(self, Op::Lt { signed }, vec![y, x], 1),
            Le => {
                let g = self.ir.node(Op::Lt { signed }, vec![y, x], 1);
                node(self, Op::Not, vec![g], 1)
            }
            Ge => {
                let l = self.ir.node(Op::Lt { signed }, vec![x, y], 1);
                node(self, Op::Not, vec![l], 1)
            }
            Shl | Shr => return err(span, "internal error: shift"),
        })
    }

    fn call(&mut self, e: &Expr, name: &Ident, args: &[Expr]) -> R<Val> {
        let ty = self.ck.ty(e);
        let n = name.name.as_str();
        if let Some((id, b)) = crate::builtins::lookup(n, crate::builtins::Form::Function) {
            // A closure (the key of `sort_by_key`) is lowered by the builtin.
            let vals: Vec<Val> = args
                .iter()
                .filter(|a| !matches!(a.kind, ExprKind::Closure(..)))
                .map(|a| self.expr(a))
                .collect::<R<_>>()?;
            let call = crate::builtins::LowerCall { id, expr: e, recv: None, args, vals, ty };
            return (b.lower)(self, call);
        }
        let n = self.ck.call_targets.get(&e.id).map_or(n, String::as_str);
        let Some(sig) = self.ck.fns.get(n) else { return err(name.span, "unknown function") };
        let f = match sig.instance {
            Some(i) => self.ck.instances.get(i),
            None => match self.prog.items.get(sig.item) {
                Some(Item::Fn(f)) => Some(f),
                _ => None,
            },
        };
        let Some(f) = f else { return err(name.span, "unknown function") };
        if self.depth >= self.limits.max_depth {
            return err(name.span, "functions nest too deeply");
        }
        let mut scope = Scope::default();
        for ((p, t), a) in f.params.iter().zip(&sig.params).zip(args) {
            let v = self.expr(a)?;
            let v = self.coerce(v, t, a.span)?;
            scope.push((p.name.name.clone(), v));
        }
        let saved = std::mem::replace(&mut self.scopes, vec![scope]);
        let saved_secret = std::mem::replace(&mut self.secret_depth, 0);
        self.depth += 1;
        let r = self.block(&f.body);
        self.depth -= 1;
        self.scopes = saved;
        self.secret_depth = saved_secret;
        let v = match r? {
            (Flow::Return(v), _) | (Flow::Normal, v) => v,
        };
        self.coerce(v, &sig.ret, e.span)
    }
}

#[cfg(test)]
mod tests;
