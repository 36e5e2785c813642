//! Rolled loops: a `for` loop whose body is lowered once, with its counter as a public
//! register, instead of once per iteration.
//!
//! # How a loop is rolled
//! At `for i in a..b` (constant bounds, [`Limits::roll`] on), the body's free names are
//! found syntactically. Each variable it names that holds run-time values becomes part
//! of the loop's *state*, a region of wire memory of its own: the variables the body
//! assigns always, read-only ones unless they are compile-time values (kept as they
//! are) or already sit contiguously in memory that nothing pending may write (read in
//! place). The body is then lowered once into its own [`Ir`] with state variables as
//! [`Val::M`] (memory at a known address) and `i` as [`Val::R`] (a register), and
//! becomes a [`LoopInfo`]: the body IR, where its inputs come from (memory regions whose
//! addresses are affine in the registers, or register values as constant bits) and
//! where its outputs go. In the enclosing IR the loop is one `Loop{id}` node whose
//! operands are the state's initial leaves and whose result is the final state.
//!
//! # Invariants of a body
//! - All its inputs are read when it starts and its outputs written when it ends, in
//!   order (writes through a register index first, then changed variables).
//! - A read of memory checks the body's pending writes: the same address forwards the
//!   written value, an address that may overlap without being equal makes the loop
//!   fall back to unrolling, so a body never reads a stale value.
//! - A write through a register index goes only to an assigned state variable's own
//!   region that no other live variable shares, and never under a secret condition.
//!
//! Anything outside these rules (a `return` in the body, `dp_noise`, a loop bound that
//! depends on a counter, a compile-time integer the body changes, any error while the
//! body is lowered, ...) makes the loop fall back to unrolling, which is always correct
//! and reports the program's real errors. So does a small loop: rolling pays only when
//! `trips x estimated gates per iteration` reaches `Limits::roll_min_work`
//! ([`ROLL_MIN_WORK`] by default); below that the unrolled form is optimised across
//! iterations. So does a loop nested in another rolled loop whose state copy (in and out
//! on every entry) would outweigh its work. Rolling never changes what a program
//! computes.
//!
//! # Iterations per call
//! An innermost loop with a small body lowers `K` iterations into one body (the counter
//! is `from + K*reg + k`), `K` the largest divisor of the trip count up to
//! [`UNROLL_MAX`] keeping the body under [`UNROLL_TARGET`] estimated gates, so that the
//! independent AND gates of neighbouring iterations are garbled in the same batches.

use std::collections::{BTreeSet, HashMap, HashSet};

use mpc_circuits::{Affine, InputGroup, Operand, PartyId, Region, ValueType};

use crate::ast::*;
use crate::diag::Diagnostic;
use crate::ir::{Ir, NodeId, Op};
use crate::lower::{Lower, Scope, Val};
use crate::types::Ty;

/// Loops whose unrolled form would have fewer gates than this (estimated) stay
/// unrolled.
pub(crate) const ROLL_MIN_WORK: u64 = 50_000;

/// Loops with fewer trips than this stay unrolled.
pub(crate) const ROLL_MIN_TRIPS: i128 = 2;

type R<T> = Result<T, Box<Diagnostic>>;

/// A rolled loop, ready to be placed in the enclosing IR: its id, operands, state
/// width and base, and the assigned variables with their place in the state.
type Rolled = (u32, Vec<NodeId>, u32, u64, Vec<(usize, usize, Val)>);

/// One rolled loop.
#[derive(Clone, Debug)]
pub(crate) struct LoopInfo {
    /// The counter register.
    pub reg: u32,
    /// First counter value.
    pub from: i64,
    /// One past the last.
    pub to: i64,
    /// The body, optimised; its `Input{k}` is `operands[k]`, its `Output{k}` goes to
    /// `results[k]`.
    pub body: Ir,
    pub operands: Vec<Operand>,
    pub results: Vec<Region>,
    /// The state region: the `Loop` node's operands are copied here on entry and its
    /// result is read from here.
    pub state_base: u64,
    pub state_width: u32,
    /// IR nodes the loop stands for (trips times the body's, nested loops included).
    pub work: u64,
}

/// The pending body being lowered.
#[derive(Clone, Debug, Default)]
pub(crate) struct BodyCtx {
    pub operands: Vec<Operand>,
    loads: HashMap<(Affine, u32), NodeId>,
    regs: HashMap<(Affine, u32), NodeId>,
    /// Writes through a register index: address, width, value.
    pub log: Vec<(Affine, u32, NodeId)>,
    /// Regions of the assigned state variables (base, width), writable in place.
    homes: Vec<(i64, u64)>,
}

/// Rolled loops and the memory they use.
#[derive(Clone, Debug, Default)]
pub(crate) struct RollState {
    pub loops: Vec<LoopInfo>,
    /// Next free memory slot (inputs come first).
    pub memory: u64,
    /// Range of each register (inclusive).
    pub ranges: Vec<Option<(i64, i64)>>,
    pub body: Option<BodyCtx>,
}

/// Names a block reads or assigns, and whether rolling it is out of the question.
#[derive(Default)]
struct FreeVars {
    used: BTreeSet<String>,
    assigned: HashSet<String>,
    blocker: Option<&'static str>,
    /// Whether the block has a `for` loop of its own.
    nested_loop: bool,
}

impl FreeVars {
    fn block(&mut self, b: &Block) {
        for s in &b.stmts {
            self.stmt(s);
        }
        if let Some(t) = &b.tail {
            self.expr(t);
        }
    }

    fn stmt(&mut self, s: &Stmt) {
        match s {
            Stmt::Let { value, .. } => self.expr(value),
            Stmt::Assign { place, value, .. } => {
                let mut p = place;
                loop {
                    match &p.kind {
                        ExprKind::Path(n) => {
                            self.assigned.insert(n.name.clone());
                            self.used.insert(n.name.clone());
                            break;
                        }
                        ExprKind::Field(b, _) => p = b,
                        ExprKind::Index(b, i) => {
                            self.expr(i);
                            p = b;
                        }
                        _ => {
                            self.expr(p);
                            break;
                        }
                    }
                }
                self.expr(value);
            }
            Stmt::Expr(e) => self.expr(e),
            Stmt::For { lo, hi, body, .. } => {
                self.nested_loop = true;
                self.expr(lo);
                self.expr(hi);
                self.block(body);
            }
            Stmt::Return { .. } => self.blocker = Some("the body returns"),
            Stmt::Unbounded(_) | Stmt::Error(_) => self.blocker = Some("the body does not compile"),
        }
    }

    fn expr(&mut self, e: &Expr) {
        match &e.kind {
            ExprKind::Int(_) | ExprKind::Bool(_) | ExprKind::Error => {}
            ExprKind::Path(n) => {
                self.used.insert(n.name.clone());
            }
            ExprKind::Binary(..) => {
                // A chain's left spine in a loop (one level, see `Expr::binary_spine`).
                let (spine, leftmost) = e.binary_spine();
                self.expr(leftmost);
                for node in spine {
                    if let ExprKind::Binary(_, _, b) = &node.kind {
                        self.expr(b);
                    }
                }
            }
            ExprKind::Index(a, b) | ExprKind::Repeat(a, b) => {
                self.expr(a);
                self.expr(b);
            }
            ExprKind::Unary(_, a) | ExprKind::Cast(a, _) | ExprKind::Field(a, _) => self.expr(a),
            ExprKind::Call(f, args) => {
                if let Some((_, b)) = crate::builtins::lookup(&f.name, crate::builtins::Form::Function) {
                    if let Some(why) = b.roll_blocker {
                        self.blocker = Some(why);
                    }
                }
                for a in args {
                    self.expr(a);
                }
            }
            ExprKind::Tuple(xs) | ExprKind::Array(xs) => {
                for x in xs {
                    self.expr(x);
                }
            }
            ExprKind::StructLit(_, fs) => {
                for (_, x) in fs {
                    self.expr(x);
                }
            }
            ExprKind::Tag(..) => {}
            ExprKind::Closure(_, a) => self.expr(a),
            ExprKind::Method(a, _, xs) => {
                self.expr(a);
                for x in xs {
                    self.expr(x);
                }
            }
            ExprKind::Variant(_, _, xs) => {
                for x in xs.iter().flatten() {
                    self.expr(x);
                }
            }
            ExprKind::Match(m) => self.expr(&m.desugared),
            ExprKind::Block(b) => self.block(b),
            ExprKind::If(c, t, el) => {
                self.expr(c);
                self.block(t);
                if let Some(el) = el {
                    self.expr(el);
                }
            }
        }
    }
}

/// Whether `[a, a+wa)` and `[b, b+wb)` may overlap for some register values.
fn may_overlap(a: &Affine, wa: u32, b: &Affine, wb: u32, ranges: &[Option<(i64, i64)>]) -> bool {
    let Some((lo, hi)) = b.scale(-1).and_then(|nb| a.add(&nb)).and_then(|d| d.bounds(ranges)) else {
        return true;
    };
    // d = a - b; disjoint iff a + wa <= b or b + wb <= a, i.e. d <= -wa or d >= wb.
    !(hi <= -i128::from(wa) || lo >= i128::from(wb))
}

/// `v` with every memory address moved by `delta`; `None` if `v` has a leaf that is
/// not in memory.
fn shift(v: &Val, delta: &Affine) -> Option<Val> {
    Some(match v {
        Val::M(a, w) => Val::M(a.add(delta)?, *w),
        Val::Agg(xs) => Val::Agg(xs.iter().map(|x| shift(x, delta)).collect::<Option<_>>()?),
        _ => return None,
    })
}

/// The constant address difference `b - a` if `b` is `a` moved by one constant.
fn stride(a: &Val, b: &Val) -> Option<i64> {
    let mut d = None;
    fn walk(a: &Val, b: &Val, d: &mut Option<i64>) -> bool {
        match (a, b) {
            (Val::M(x, wx), Val::M(y, wy)) if wx == wy => {
                let Some(diff) = x.scale(-1).and_then(|nx| y.add(&nx)).and_then(|z| z.as_const()) else {
                    return false;
                };
                match d {
                    None => {
                        *d = Some(diff);
                        true
                    }
                    Some(k) => *k == diff,
                }
            }
            (Val::Agg(xs), Val::Agg(ys)) if xs.len() == ys.len() => {
                xs.iter().zip(ys).all(|(x, y)| walk(x, y, d))
            }
            _ => false,
        }
    }
    if walk(a, b, &mut d) {
        d.or(Some(0))
    } else {
        None
    }
}

/// Every memory leaf of `v` (address, width).
fn mem_leaves<'v>(v: &'v Val, out: &mut Vec<(&'v Affine, u32)>) {
    match v {
        Val::M(a, w) => out.push((a, *w)),
        Val::Agg(xs) => xs.iter().for_each(|x| mem_leaves(x, out)),
        _ => {}
    }
}

/// Whether `v` holds only compile-time values (untyped integers, constant words,
/// registers): such variables are not state.
fn compile_time(v: &Val, ir: &Ir) -> bool {
    match v {
        Val::C(_) | Val::R(..) => true,
        Val::W(n) => ir.as_const(*n).is_some(),
        Val::M(..) => false,
        Val::Agg(xs) => xs.iter().all(|x| compile_time(x, ir)),
    }
}

fn has_untyped(v: &Val) -> bool {
    match v {
        Val::C(_) | Val::R(_, 0) => true,
        Val::Agg(xs) => xs.iter().any(has_untyped),
        _ => false,
    }
}

/// Whether all leaves of `v` are memory laid out contiguously from its first leaf.
fn contiguous(v: &Val) -> Option<(Affine, u64)> {
    let mut leaves = Vec::new();
    mem_leaves(v, &mut leaves);
    let mut flat = 0usize;
    count_leaves(v, &mut flat);
    if leaves.len() != flat || leaves.is_empty() {
        return None;
    }
    let base = leaves[0].0.clone();
    let mut off: i64 = 0;
    for (a, w) in &leaves {
        if **a != base.offset(off)? {
            return None;
        }
        off += i64::from(*w);
    }
    Some((base, off as u64))
}

fn count_leaves(v: &Val, n: &mut usize) {
    match v {
        Val::Agg(xs) => xs.iter().for_each(|x| count_leaves(x, n)),
        _ => *n += 1,
    }
}

impl Lower<'_> {
    /// Gives up rolling the loop being rolled: the error unwinds to `try_roll`, which
    /// unrolls the loop instead (any error inside a roll attempt does).
    pub(crate) fn no_roll<T>(&mut self, why: &str) -> R<T> {
        Err(Box::new(Diagnostic::error(Span::default(), format!("internal: not rolled: {why}"))))
    }

    /// The current body (an internal error outside one).
    fn ctx(&mut self) -> R<&mut BodyCtx> {
        match self.roll.body.as_mut() {
            Some(c) => Ok(c),
            None => Err(Box::new(Diagnostic::error(
                Span::default(),
                "internal error: memory outside a loop body",
            ))),
        }
    }

    /// A body input node reading `operand`.
    fn body_input(&mut self, operand: Operand) -> R<NodeId> {
        let w = operand.width();
        let ctx = self.ctx()?;
        let k = ctx.operands.len() as u32;
        ctx.operands.push(operand);
        self.ir.inputs.push(InputGroup { name: k.to_string(), party: PartyId(0), ty: ValueType::UInt(w) });
        Ok(self.ir.node(Op::Input { group: k }, vec![], w))
    }

    /// The value of `width` memory slots at `addr`, as the body sees it (after its own
    /// earlier writes).
    pub(crate) fn load(&mut self, addr: &Affine, width: u32, _span: Span) -> R<NodeId> {
        let ranges = self.roll.ranges.clone();
        let ctx = self.ctx()?;
        for (a, w, n) in ctx.log.iter().rev() {
            if a == addr && *w == width {
                return Ok(*n);
            }
            if may_overlap(addr, width, a, *w, &ranges) {
                return self.no_roll("a read may overlap a write through a loop counter");
            }
        }
        if let Some(&n) = ctx.loads.get(&(addr.clone(), width)) {
            return Ok(n);
        }
        let n = self.body_input(Operand::Mem(Region { addr: addr.clone(), width }))?;
        self.ctx()?.loads.insert((addr.clone(), width), n);
        Ok(n)
    }

    /// The low `width` bits of a public register expression, as constant wires.
    pub(crate) fn reg_bits(&mut self, a: &Affine, width: u32) -> NodeId {
        if let Some(c) = a.as_const() {
            return self.ir.const_int(i128::from(c), width);
        }
        if let Some(ctx) = self.roll.body.as_ref() {
            if let Some(&n) = ctx.regs.get(&(a.clone(), width)) {
                return n;
            }
        }
        match self.body_input(Operand::Reg { value: a.clone(), width }) {
            Ok(n) => {
                if let Some(ctx) = self.roll.body.as_mut() {
                    ctx.regs.insert((a.clone(), width), n);
                }
                n
            }
            // Registers exist only inside bodies; unreachable, but a constant never
            // panics.
            Err(_) => self.ir.const_int(0, width),
        }
    }

    fn affine_of(&self, v: &Val, ty: &Ty) -> Option<Affine> {
        match v {
            Val::R(a, _) => Some(a.clone()),
            Val::C(c) => i64::try_from(*c).ok().map(Affine::constant),
            Val::W(n) => self
                .ir
                .const_i128(*n, matches!(ty, Ty::SInt(_)))
                .and_then(|c| i64::try_from(c).ok())
                .map(Affine::constant),
            _ => None,
        }
    }

    /// A binary operation on public registers that stays public, if it can.
    pub(crate) fn reg_binop(
        &mut self,
        op: BinOp,
        a: &Val,
        b: &Val,
        aty: &Ty,
        bty: &Ty,
        rty: &Ty,
    ) -> Option<Val> {
        use BinOp::*;
        let (x, y) = (self.affine_of(a, aty)?, self.affine_of(b, bty)?);
        let ranges = &self.roll.ranges;
        match op {
            Add | Sub | Mul => {
                let r = match op {
                    Add => x.add(&y)?,
                    Sub => x.add(&y.scale(-1)?)?,
                    _ => match (x.as_const(), y.as_const()) {
                        (Some(k), _) => y.scale(k)?,
                        (_, Some(k)) => x.scale(k)?,
                        _ => return None,
                    },
                };
                let (lo, hi) = r.bounds(ranges)?;
                let w = match rty {
                    Ty::UInt(w) => {
                        if lo < 0 || (*w < 127 && hi >= 1i128 << w) {
                            return None;
                        }
                        *w
                    }
                    Ty::SInt(w) => {
                        if *w < 127 && (lo < -(1i128 << (w - 1)) || hi >= 1i128 << (w - 1)) {
                            return None;
                        }
                        *w
                    }
                    Ty::Int => 0,
                    _ => return None,
                };
                Some(Val::R(r, w))
            }
            Eq | Ne | Lt | Le | Gt | Ge => {
                let d = x.add(&y.scale(-1)?)?;
                let (lo, hi) = d.bounds(ranges)?;
                let t = match op {
                    Eq if lo == 0 && hi == 0 => true,
                    Eq | Ne if lo > 0 || hi < 0 => op == Ne,
                    Ne if lo == 0 && hi == 0 => false,
                    Lt if hi < 0 => true,
                    Lt if lo >= 0 => false,
                    Le if hi <= 0 => true,
                    Le if lo > 0 => false,
                    Gt if lo > 0 => true,
                    Gt if hi <= 0 => false,
                    Ge if lo >= 0 => true,
                    Ge if hi < 0 => false,
                    _ => return None,
                };
                Some(Val::W(self.ir.const_int(i128::from(t), 1)))
            }
            _ => None,
        }
    }

    /// Operands of a binary operation with registers made wires of the other side's
    /// width.
    pub(crate) fn reg_operands(&mut self, a: Val, b: Val, aty: &Ty, bty: &Ty, span: Span) -> R<(Val, Val)> {
        let width_of = |s: &mut Self, v: &Val, ty: &Ty| -> Option<u32> {
            match (v, ty) {
                (Val::R(_, w), _) if *w > 0 => Some(*w),
                (_, Ty::UInt(w) | Ty::SInt(w)) => Some(*w),
                (Val::W(n), _) => Some(s.ir.width(*n)),
                _ => None,
            }
        };
        let (wa, wb) = (width_of(self, &a, aty), width_of(self, &b, bty));
        let fix = |v: Val, other: Option<u32>| match v {
            Val::R(x, 0) => match other {
                Some(w) => Ok(Val::R(x, w)),
                None => Err(()),
            },
            v => Ok(v),
        };
        match (fix(a, wb), fix(b, wa)) {
            (Ok(a), Ok(b)) => {
                let a = if let Val::R(..) = a { Val::W(self.word(&a, span)?) } else { a };
                let b = if let Val::R(..) = b { Val::W(self.word(&b, span)?) } else { b };
                Ok((a, b))
            }
            _ => self.no_roll("an untyped loop counter is used with secret values"),
        }
    }

    /// Whether every value of `a` fits in the integer type `ty`.
    pub(crate) fn roll_range_fits(&self, a: &Affine, ty: &Ty) -> bool {
        let Some((lo, hi)) = a.bounds(&self.roll.ranges) else { return false };
        match ty {
            Ty::UInt(w) => lo >= 0 && (*w >= 127 || hi < 1i128 << w),
            Ty::SInt(w) => *w >= 127 || (lo >= -(1i128 << (w - 1)) && hi < 1i128 << (w - 1)),
            _ => false,
        }
    }

    /// `items[a]` for a register index `a`.
    pub(crate) fn index_reg(&mut self, items: &[Val], a: &Affine, span: Span) -> R<Val> {
        let n = items.len() as i128;
        let Some((lo, hi)) = a.bounds(&self.roll.ranges) else {
            return self.no_roll("an index uses a register outside its loop");
        };
        if lo < 0 || hi >= n {
            // Maybe only on a path the unrolled loop never takes; unrolling decides.
            let _ = span;
            return self.no_roll("an index may be out of bounds");
        }
        if n == 1 {
            return Ok(items[0].clone());
        }
        let Some(d) = stride(&items[0], &items[1]) else {
            return self.no_roll("an array indexed by a loop counter is not in memory");
        };
        for (k, it) in items.iter().enumerate().skip(2) {
            if stride(&items[0], it) != Some(d * k as i64) {
                return self.no_roll("an array indexed by a loop counter is not contiguous");
            }
        }
        let Some(delta) = a.scale(d) else { return self.no_roll("address overflow") };
        match shift(&items[0], &delta) {
            Some(v) => Ok(v),
            None => self.no_roll("an array indexed by a loop counter is not in memory"),
        }
    }

    /// `items[a] (rest) = rhs` for a register index `a`: a pending write of the body.
    pub(crate) fn update_reg(
        &mut self,
        items: &mut [Val],
        a: &Affine,
        rest: &[crate::lower::Proj],
        rhs: Val,
        guard: Option<NodeId>,
        span: Span,
    ) -> R<()> {
        if self.secret_depth > 0 || guard.is_some() {
            return self.no_roll("a write through a loop counter under a secret condition");
        }
        let elem = self.index_reg(items, a, span)?;
        // The array must be an assigned state variable's own region, shared with no
        // other live variable.
        let Some((base, width)) = contiguous(&Val::Agg(items.to_vec())) else {
            return self.no_roll("a write through a loop counter to an array not in its own memory");
        };
        let homes = self.ctx()?.homes.clone();
        // The array (perhaps a row at a counter-dependent address) must lie inside one
        // home for every counter value; the aliasing check below covers that home.
        let Some((lo, hi)) = base.bounds(&self.roll.ranges) else {
            return self.no_roll("a write to an array at an unknown address");
        };
        let Some(&(hb, hw)) = homes.iter().find(|&&(hb, hw)| {
            lo >= i128::from(hb) && hi + i128::from(width as i64) <= i128::from(hb) + hw as i128
        }) else {
            return self.no_roll("a write through a loop counter to an array the loop does not own");
        };
        let (whole, width) = (Affine::constant(hb), hw);
        let ranges = self.roll.ranges.clone();
        let w32 = u32::try_from(width).unwrap_or(u32::MAX);
        for s in &self.scopes {
            for (_, v) in &s.vars {
                let mut leaves = Vec::new();
                mem_leaves(v, &mut leaves);
                if leaves.iter().any(|(x, w)| may_overlap(x, *w, &whole, w32, &ranges)) {
                    return self
                        .no_roll("an array written through a loop counter is shared with another variable");
                }
            }
        }
        let mut new = elem.clone();
        self.update(&mut new, rest, rhs, None)?;
        let writes = self.changed_leaves(&elem, &new, span)?;
        self.ctx()?.log.extend(writes);
        Ok(())
    }

    /// The leaves of `now` that differ from the memory leaves of `home` (same shape),
    /// as writes `(address, width, value)` to make memory hold `now`.
    fn changed_leaves(&mut self, home: &Val, now: &Val, span: Span) -> R<Vec<(Affine, u32, NodeId)>> {
        let mut h = Vec::new();
        mem_leaves(home, &mut h);
        let h: Vec<(Affine, u32)> = h.into_iter().map(|(a, w)| (a.clone(), w)).collect();
        let mut n = Vec::new();
        flat_vals(now, &mut n);
        if n.len() != h.len() {
            return self.no_roll("a value changed shape");
        }
        let mut writes = Vec::new();
        for ((addr, w), v) in h.into_iter().zip(n) {
            if v == Val::M(addr.clone(), w) {
                continue;
            }
            let v = match v {
                Val::R(x, 0) => Val::R(x, w),
                v => v,
            };
            let node = self.word(&v, span)?;
            if self.ir.width(node) != w {
                return self.no_roll("a value changed width");
            }
            writes.push((addr, w, node));
        }
        Ok(writes)
    }

    /// Tries to roll `for var in from..to { body }` (counting down when `rev`);
    /// `Ok(false)` means unroll it.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn try_roll(
        &mut self,
        var: &Ident,
        lty: &Ty,
        from: i128,
        to: i128,
        body: &Block,
        span: Span,
        rev: bool,
    ) -> R<bool> {
        if to - from < ROLL_MIN_TRIPS {
            return Ok(false);
        }
        let (Ok(from), Ok(to)) = (i64::try_from(from), i64::try_from(to)) else { return Ok(false) };
        let mut fv = FreeVars::default();
        fv.block(body);
        if fv.blocker.is_some() {
            return Ok(false);
        }
        let saved = Saved {
            scopes: self.scopes.clone(),
            steps: self.steps,
            dp: self.dp_used.clone(),
            loops: self.roll.loops.len(),
            memory: self.roll.memory,
        };
        self.step(span)?;
        let trips = to - from;
        let Some(one) = self.attempt(var, lty, from, to, body, &fv, span, 1, &saved, rev) else {
            return Ok(false);
        };
        // Small bodies: unroll by K inside the body (K iterations per call), so that
        // independent work of neighbouring iterations fills the garbling batches.
        let per_iter = self.roll.loops.get(one.0 as usize).map_or(u64::MAX, |l| l.work / trips as u64);
        // Only innermost loops: unrolling an outer one would lower its inner loops again.
        let k = if fv.nested_loop { 1 } else { unroll_factor(trips, per_iter) };
        let rolled = if k > 1 {
            saved.restore(self);
            self.attempt(var, lty, from, to, body, &fv, span, k, &saved, rev)
                .or_else(|| self.attempt(var, lty, from, to, body, &fv, span, 1, &saved, rev))
        } else {
            Some(one)
        };
        let Some((id, args, width, base, assigned)) = rolled else { return Ok(false) };
        self.scopes = saved.scopes;
        self.finish_roll(id, args, width, base, assigned);
        Ok(true)
    }

    /// One try at rolling with `unroll` iterations per body call; on anything but
    /// success the lowering state is as `saved` left it and the answer is `None`:
    /// unroll.
    #[allow(clippy::too_many_arguments)]
    fn attempt(
        &mut self,
        var: &Ident,
        lty: &Ty,
        from: i64,
        to: i64,
        body: &Block,
        fv: &FreeVars,
        span: Span,
        unroll: i64,
        saved: &Saved,
        rev: bool,
    ) -> Option<Rolled> {
        if let Ok(Some(r)) = self.roll_body(var, lty, from, to, body, fv, span, unroll, rev) {
            return Some(r);
        }
        // Any error inside the body, a fallback or not, means unrolling: the unrolled
        // lowering reports the program's real errors (an error only the rolled form
        // meets, such as a counter used where a width is needed, is then no error).
        saved.restore(self);
        None
    }

    #[allow(clippy::too_many_arguments)]
    fn roll_body(
        &mut self,
        var: &Ident,
        lty: &Ty,
        from: i64,
        to: i64,
        body: &Block,
        fv: &FreeVars,
        span: Span,
        unroll: i64,
        rev: bool,
    ) -> R<Option<Rolled>> {
        let unroll = unroll.max(1);
        let calls = (to - from) / unroll;
        if calls * unroll != to - from {
            return Ok(None);
        }
        // The state: which variables, their initial leaves and their place.
        let base = self.roll.memory;
        let mut args: Vec<NodeId> = Vec::new();
        let mut off: u64 = 0;
        let mut seen: HashSet<(usize, usize)> = HashSet::new();
        // (scope, position, home Val) of assigned state variables; read-only ones too.
        let mut assigned: Vec<(usize, usize, Val)> = Vec::new();
        let mut rebind: Vec<(usize, usize, Val)> = Vec::new();
        let ranges = self.roll.ranges.clone();
        for name in &fv.used {
            let Some((si, vi)) = self.find_var(name) else { continue };
            if !seen.insert((si, vi)) {
                continue;
            }
            let v = self.scopes[si].vars[vi].1.clone();
            let is_assigned = fv.assigned.contains(name);
            if !is_assigned {
                if compile_time(&v, &self.ir) {
                    continue;
                }
                if let Some((b, w)) = contiguous(&v) {
                    let pending = match &self.roll.body {
                        Some(ctx) => ctx.log.iter().any(|(a, aw, _)| {
                            may_overlap(a, *aw, &b, u32::try_from(w).unwrap_or(u32::MAX), &ranges)
                        }),
                        None => false,
                    };
                    if !pending {
                        continue;
                    }
                }
            }
            if has_untyped(&v) {
                return self.no_roll("a compile-time integer is used as loop state");
            }
            let start = base + off;
            let mut leaves = Vec::new();
            self.state_leaves(&v, &mut leaves, span)?;
            let mut at = start;
            let home = self.relocate(&v, &mut at)?;
            off = at - base;
            args.extend(leaves);
            if is_assigned {
                assigned.push((si, vi, home.clone()));
            }
            rebind.push((si, vi, home));
        }
        let Ok(state_width) = u32::try_from(off) else {
            return self.no_roll("the loop's state is too large");
        };
        if assigned.is_empty() {
            // The loop changes nothing the program can see.
            return self.no_roll("the loop assigns no variable");
        }
        if base + off > u64::from(u32::MAX) {
            return self.no_roll("the program needs more than 2^32 memory slots");
        }
        self.roll.memory = base + off;
        let reg = self.roll.ranges.len() as u32;
        self.roll.ranges.push(Some((0, calls - 1)));
        // Lower the body once, in a fresh IR and body context.
        let parties = self.ir.parties.clone();
        let outer_ir = std::mem::replace(&mut self.ir, Ir::new(parties));
        // Nodes the body makes outside its expressions belong to the `for` statement.
        self.ir.at = span;
        let homes: Vec<(i64, u64)> = assigned
            .iter()
            .filter_map(|(_, _, h)| contiguous(h).and_then(|(b, w)| b.as_const().map(|b| (b, w))))
            .collect();
        let outer_ctx = self.roll.body.replace(BodyCtx { homes, ..BodyCtx::default() });
        for (si, vi, home) in &rebind {
            self.scopes[*si].vars[*vi].1 = home.clone();
        }
        let counter_width = match lty {
            Ty::UInt(w) | Ty::SInt(w) => *w,
            _ => 0,
        };
        // Iteration `from + unroll*reg + k` for k in 0..unroll, in order (counting
        // down from `to - 1` when `rev`).
        let mut r = Ok(());
        for k in 0..unroll {
            let counter = if rev {
                Affine { c: to - 1 - k, terms: vec![(reg, -unroll)] }
            } else {
                Affine { c: from + k, terms: vec![(reg, unroll)] }
            };
            let mut scope = Scope::default();
            scope.push((var.name.clone(), Val::R(counter, counter_width)));
            self.scopes.push(scope);
            r = self.block(body).map(|_| ());
            self.scopes.pop();
            if r.is_err() {
                break;
            }
        }
        // A scope for symmetry with the pop below.
        self.scopes.push(Scope::default());
        let r = r.and_then(|_| {
            // Outputs: pending writes, then every changed leaf of assigned variables.
            // A write that a later write to the same address replaces is dropped; the
            // rest keep their order (outputs are written in order, the later wins).
            let log = self.ctx()?.log.clone();
            let mut outs: Vec<(Affine, u32, NodeId)> = Vec::with_capacity(log.len());
            for (i, (a, w, n)) in log.iter().enumerate() {
                if !log[i + 1..].iter().any(|(b, v, _)| b == a && v == w) {
                    outs.push((a.clone(), *w, *n));
                }
            }
            for (si, vi, home) in &assigned {
                let now = self.scopes[*si].vars[*vi].1.clone();
                let writes = self.changed_leaves(home, &now, span)?;
                outs.extend(writes);
            }
            Ok(outs)
        });
        self.scopes.pop();
        self.roll.ranges[reg as usize] = None;
        let body_ir = std::mem::replace(&mut self.ir, outer_ir);
        let ctx = std::mem::replace(&mut self.roll.body, outer_ctx);
        let outs = r?;
        let Some(ctx) = ctx else { return self.no_roll("lost the body") };
        let mut body_ir = body_ir;
        let mut results = Vec::with_capacity(outs.len());
        for (k, (addr, w, node)) in outs.into_iter().enumerate() {
            body_ir.outputs.push(crate::ir::OutputDecl {
                name: k.to_string(),
                ty: ValueType::UInt(w),
                reveal: mpc_circuits::Reveal::All,
            });
            body_ir.node(Op::Output { index: k as u32 }, vec![node], w);
            results.push(Region { addr, width: w });
        }
        let body_ir = crate::passes::optimize(&body_ir).0;
        let trips = calls as u64;
        let nested: u64 = body_ir
            .graph
            .node_indices()
            .filter_map(|n| match body_ir.graph[n].op {
                Op::Loop { id } => self.roll.loops.get(id as usize).map(|l| l.work),
                _ => None,
            })
            .sum();
        let work = trips.saturating_mul(gate_estimate(&body_ir).saturating_add(nested));
        if work < self.limits.roll_min_work {
            return Ok(None);
        }
        // Inside another loop the state is copied in and out on every entry: when that
        // copy is larger than the work it serves (`c[i][j] += ..` over a whole matrix
        // as the innermost loop's state), unrolling into the enclosing body is cheaper.
        if self.roll.body.is_some() && u64::from(state_width).saturating_mul(4) > work {
            return Ok(None);
        }
        let id = self.roll.loops.len() as u32;
        self.roll.loops.push(LoopInfo {
            reg,
            from: 0,
            to: calls,
            body: body_ir,
            operands: ctx.operands,
            results,
            state_base: base,
            state_width,
            work,
        });
        Ok(Some((id, args, state_width, base, assigned)))
    }

    /// In the enclosing scopes (restored): the `Loop` node, and assigned variables
    /// rebound to its result.
    fn finish_roll(
        &mut self,
        id: u32,
        args: Vec<NodeId>,
        state_width: u32,
        base: u64,
        assigned: Vec<(usize, usize, Val)>,
    ) {
        let node = self.ir.node(Op::Loop { id }, args, state_width);
        for (si, vi, home) in assigned {
            let v = self.leaves_of_loop(&home, node, base);
            if let Some(slot) = self.scopes.get_mut(si).and_then(|s| s.vars.get_mut(vi)) {
                slot.1 = v;
            }
        }
    }

    /// `home` (memory leaves in the state) as slices of the loop node's result.
    fn leaves_of_loop(&mut self, home: &Val, node: NodeId, base: u64) -> Val {
        match home {
            Val::M(a, w) => {
                let lo = (a.c as u64).saturating_sub(base) as u32;
                Val::W(self.ir.node(Op::Slice { lo }, vec![node], *w))
            }
            Val::Agg(xs) => Val::Agg(xs.iter().map(|x| self.leaves_of_loop(x, node, base)).collect()),
            other => other.clone(),
        }
    }

    fn find_var(&self, name: &str) -> Option<(usize, usize)> {
        for (si, s) in self.scopes.iter().enumerate().rev() {
            if let Some(vi) = s.vars.iter().rposition(|(n, _)| n == name) {
                return Some((si, vi));
            }
        }
        None
    }

    /// The leaves of `v` as nodes of the current IR (the loop's operands).
    fn state_leaves(&mut self, v: &Val, out: &mut Vec<NodeId>, span: Span) -> R<()> {
        match v {
            Val::Agg(xs) => {
                for x in xs {
                    self.state_leaves(x, out, span)?;
                }
                Ok(())
            }
            Val::C(_) | Val::R(_, 0) => self.no_roll("a compile-time integer is used as loop state"),
            v => {
                let n = self.word(v, span)?;
                out.push(n);
                Ok(())
            }
        }
    }

    /// `v`'s shape with memory leaves laid out from `*at`.
    fn relocate(&mut self, v: &Val, at: &mut u64) -> R<Val> {
        Ok(match v {
            Val::Agg(xs) => Val::Agg(xs.iter().map(|x| self.relocate(x, at)).collect::<R<_>>()?),
            Val::W(n) => {
                let w = self.ir.width(*n);
                let m = Val::M(Affine::constant(*at as i64), w);
                *at += u64::from(w);
                m
            }
            Val::M(_, w) | Val::R(_, w) => {
                let m = Val::M(Affine::constant(*at as i64), *w);
                *at += u64::from(*w);
                m
            }
            Val::C(_) => return self.no_roll("a compile-time integer is used as loop state"),
        })
    }
}

/// A rough count of the gates `ir` blasts into (what unrolling would cost the
/// compiler per iteration), without blasting it.
pub(crate) fn gate_estimate(ir: &Ir) -> u64 {
    ir.graph
        .node_indices()
        .map(|n| {
            let node = &ir.graph[n];
            let w = u64::from(node.width).max(1);
            let arg_w = node.args.first().map_or(w, |&a| u64::from(ir.graph[a].width).max(1));
            match &node.op {
                Op::Mul | Op::MulFull { .. } | Op::Div { .. } | Op::Rem { .. } => 2 * w * w,
                Op::Shl | Op::Shr { .. } => w * (64 - w.leading_zeros() as u64),
                Op::Sort { .. } => {
                    let k = node.args.len().max(1) as u64;
                    let l = u64::from(64 - k.leading_zeros());
                    k * l * l * arg_w
                }
                Op::Builtin { id, .. } => id.entry().op.as_ref().map_or(3 * w, |r| (r.cost)(w)),
                Op::Decode => w,
                Op::Input { .. }
                | Op::Const(_)
                | Op::Slice { .. }
                | Op::Concat
                | Op::Output { .. }
                | Op::Loop { .. } => 0,
                _ => 3 * w,
            }
        })
        .sum()
}

/// Lowering state to return to when a roll is abandoned.
struct Saved {
    scopes: Vec<Scope>,
    steps: u64,
    dp: HashMap<(u32, u32), Span>,
    loops: usize,
    memory: u64,
}

impl Saved {
    fn restore(&self, l: &mut Lower<'_>) {
        l.scopes = self.scopes.clone();
        l.steps = self.steps;
        l.dp_used = self.dp.clone();
        l.roll.loops.truncate(self.loops);
        l.roll.memory = self.memory;
    }
}

/// Estimated gates one body call should reach before its AND gates fill the garbling
/// batches across iterations.
const UNROLL_TARGET: u64 = 1 << 15;

/// Most iterations one body call may hold.
const UNROLL_MAX: i64 = 32;

/// Iterations per body call for a loop of `trips` iterations of about `per_iter`
/// gates: the largest divisor of `trips` up to [`UNROLL_MAX`] that keeps the body
/// under [`UNROLL_TARGET`], at least 1.
fn unroll_factor(trips: i64, per_iter: u64) -> i64 {
    (1..=UNROLL_MAX.min(trips))
        .rev()
        .find(|&k| trips % k == 0 && (k as u64).saturating_mul(per_iter) <= UNROLL_TARGET)
        .unwrap_or(1)
}

/// The scalar leaves of `v` in order.
fn flat_vals(v: &Val, out: &mut Vec<Val>) {
    match v {
        Val::Agg(xs) => xs.iter().for_each(|x| flat_vals(x, out)),
        v => out.push(v.clone()),
    }
}
