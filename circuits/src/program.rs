//! The compiled program form: bodies (small verified circuits) and instructions that
//! call them over a wire memory, so that a program's size follows its source, not the
//! number of gates it executes.
//!
//! # Model
//! - **Memory** is `memory` wire slots, each holding one wire's value (a label for the
//!   garbler and evaluator, a bit for the plaintext evaluator). The program's input
//!   groups occupy slots `0..num_input_wires` in order, exactly as a [`Circuit`]'s input
//!   wires do; each output group is read from a [`Region`] when the code has run.
//! - **Registers** `0..num_regs` hold public integers (`i64`): loop counters. They are
//!   the same on both sides, so the executor walks exactly the same path everywhere.
//! - An [`Affine`] expression `c + sum(k_r * reg_r)` gives an address; a [`Region`] is
//!   `width` consecutive slots starting at an address.
//! - [`Instr::Call`] runs body `b` (a [`Circuit`]): input group `k` of the body is
//!   filled from operand `k` ([`Operand::Mem`], a region of memory, or
//!   [`Operand::Reg`], the low bits of a register expression as public constants), the
//!   gates run, and output group `k` is written to `results[k]`. All operands are read
//!   before any result is written; results are written in order (a later one wins
//!   where two overlap).
//! - [`Instr::Loop`] sets register `reg` to `from, from+1, .., to-1` and runs `code`
//!   for each value (nothing if `to <= from`). [`Instr::Copy`] copies a region.
//!
//! # Invariants (checked by [`Program::new`])
//! - Every region of every instruction lies inside memory for every value its
//!   registers take (interval arithmetic over the enclosing loops' ranges); every
//!   register an expression uses is the counter of an enclosing loop; loops nest at
//!   most [`MAX_NESTING`] deep.
//! - Every call's operand and result widths equal its body's input and output group
//!   widths; output regions lie inside memory.
//!
//! So an executor can index memory without further checks beyond what `Program::new`
//! proved; [`execute`] still uses checked indexing and reports [`ExecError`].
//!
//! # Cost
//! [`Program::stats`] counts the gates the whole run executes from the trip counts,
//! without executing anything: the AND count is the number of garbled AND gates.

use crate::circuit::{Circuit, Gate, InputGroup, Reveal};
use crate::ty::ValueType;

/// Deepest loop nesting a program may have.
pub const MAX_NESTING: usize = 64;

/// `c + sum(k * reg)` over public registers.
#[derive(Clone, PartialEq, Eq, Hash, Debug, Default)]
pub struct Affine {
    /// The constant term.
    pub c: i64,
    /// `(register, coefficient)` pairs, registers distinct, coefficients non-zero.
    pub terms: Vec<(u32, i64)>,
}

impl Affine {
    /// A constant.
    pub fn constant(c: i64) -> Affine {
        Affine { c, terms: Vec::new() }
    }

    /// One register.
    pub fn reg(r: u32) -> Affine {
        Affine { c: 0, terms: vec![(r, 1)] }
    }

    /// The constant, if the expression uses no register.
    pub fn as_const(&self) -> Option<i64> {
        self.terms.is_empty().then_some(self.c)
    }

    /// `self + other`, or `None` on overflow.
    pub fn add(&self, other: &Affine) -> Option<Affine> {
        let mut out = self.clone();
        out.c = out.c.checked_add(other.c)?;
        for &(r, k) in &other.terms {
            match out.terms.iter_mut().find(|(q, _)| *q == r) {
                Some(t) => t.1 = t.1.checked_add(k)?,
                None => out.terms.push((r, k)),
            }
        }
        out.terms.retain(|t| t.1 != 0);
        out.terms.sort_unstable();
        Some(out)
    }

    /// `self * k`, or `None` on overflow.
    pub fn scale(&self, k: i64) -> Option<Affine> {
        if k == 0 {
            return Some(Affine::constant(0));
        }
        let mut out = Affine { c: self.c.checked_mul(k)?, terms: Vec::with_capacity(self.terms.len()) };
        for &(r, q) in &self.terms {
            out.terms.push((r, q.checked_mul(k)?));
        }
        Some(out)
    }

    /// `self + k`, or `None` on overflow.
    pub fn offset(&self, k: i64) -> Option<Affine> {
        let mut out = self.clone();
        out.c = out.c.checked_add(k)?;
        Some(out)
    }

    /// The value under `regs` (wrapping; a verified program never wraps).
    #[inline]
    pub fn eval(&self, regs: &[i64]) -> i64 {
        let mut v = self.c;
        for &(r, k) in &self.terms {
            v = v.wrapping_add(k.wrapping_mul(regs.get(r as usize).copied().unwrap_or(0)));
        }
        v
    }

    /// The smallest and largest value over the register ranges `ranges[r] = (lo, hi)`
    /// (inclusive), or `None` when a register has no range.
    pub fn bounds(&self, ranges: &[Option<(i64, i64)>]) -> Option<(i128, i128)> {
        let (mut lo, mut hi) = (i128::from(self.c), i128::from(self.c));
        for &(r, k) in &self.terms {
            let (a, b) = (*ranges.get(r as usize)?)?;
            let (x, y) = (i128::from(k) * i128::from(a), i128::from(k) * i128::from(b));
            lo += x.min(y);
            hi += x.max(y);
        }
        Some((lo, hi))
    }
}

/// `width` consecutive memory slots from `addr`.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct Region {
    /// The first slot.
    pub addr: Affine,
    /// Number of slots.
    pub width: u32,
}

/// Where a body input comes from.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub enum Operand {
    /// A region of memory.
    Mem(Region),
    /// The low `width` bits (two's complement) of a register expression, as public
    /// constants.
    Reg {
        /// The value.
        value: Affine,
        /// Number of bits.
        width: u32,
    },
}

impl Operand {
    /// Number of wires.
    pub fn width(&self) -> u32 {
        match self {
            Operand::Mem(r) => r.width,
            Operand::Reg { width, .. } => *width,
        }
    }
}

/// One instruction; see the module docs.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub enum Instr {
    /// Run a body.
    Call {
        /// Index into [`Program::bodies`].
        body: u32,
        /// One per body input group.
        args: Vec<Operand>,
        /// One per body output group.
        results: Vec<Region>,
    },
    /// A counted loop over a register.
    Loop {
        /// The counter.
        reg: u32,
        /// First value.
        from: i64,
        /// One past the last value.
        to: i64,
        /// The loop body.
        code: Vec<Instr>,
    },
    /// Copy `src` to `dst` (same width; may not overlap).
    Copy {
        /// Destination.
        dst: Region,
        /// Source.
        src: Region,
    },
}

/// An output of the program: its name, type, who learns it and where it is read.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct ProgramOutput {
    /// The output's name.
    pub name: String,
    /// Its type (`region.width == ty.width()`).
    pub ty: ValueType,
    /// Who learns it.
    pub reveal: Reveal,
    /// Where its bits are, bit 0 first.
    pub region: Region,
}

/// Why a program was rejected by [`Program::new`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProgramError {
    #[error("instruction {at}: {what}")]
    Invalid { at: String, what: String },
    #[error("the program is invalid: {0}")]
    Shape(String),
}

/// A verified compiled program; see the module docs.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Program {
    parties: Vec<String>,
    inputs: Vec<InputGroup>,
    outputs: Vec<ProgramOutput>,
    bodies: Vec<Circuit>,
    code: Vec<Instr>,
    memory: u32,
    num_regs: u32,
}

/// Gate counts of a whole run.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct ProgramStats {
    /// AND gates executed (each garbled once).
    pub and: u128,
    /// XOR gates executed.
    pub xor: u128,
    /// INV gates executed.
    pub inv: u128,
    /// Other free gates (EQ, EQW) executed.
    pub other: u128,
    /// Body calls executed.
    pub calls: u128,
}

impl ProgramStats {
    /// All gates (saturating, like the counts: nested loops from source constants can
    /// exceed any integer).
    pub fn gates(&self) -> u128 {
        self.and.saturating_add(self.xor).saturating_add(self.inv).saturating_add(self.other)
    }
}

impl Program {
    /// Checks every invariant of the module docs.
    pub fn new(
        parties: Vec<String>,
        inputs: Vec<InputGroup>,
        outputs: Vec<ProgramOutput>,
        bodies: Vec<Circuit>,
        code: Vec<Instr>,
        memory: u32,
        num_regs: u32,
    ) -> Result<Program, ProgramError> {
        let shape = |s: String| ProgramError::Shape(s);
        let mut input_wires: u64 = 0;
        for g in &inputs {
            if usize::from(g.party.0) >= parties.len() {
                return Err(shape(format!("input `{}` names an unknown party", g.name)));
            }
            if g.ty.width() == 0 {
                return Err(shape(format!("input `{}` has width 0", g.name)));
            }
            input_wires += g.ty.width() as u64;
        }
        if input_wires > u64::from(memory) {
            return Err(shape(format!("the inputs need {input_wires} slots, memory has {memory}")));
        }
        for (i, a) in inputs.iter().enumerate() {
            if inputs[..i].iter().any(|b| b.name == a.name) {
                return Err(shape(format!("two inputs are named `{}`", a.name)));
            }
        }
        for (i, a) in outputs.iter().enumerate() {
            if outputs[..i].iter().any(|b| b.name == a.name) {
                return Err(shape(format!("two outputs are named `{}`", a.name)));
            }
            if a.ty.width() == 0 || a.ty.width() != a.region.width as usize {
                return Err(shape(format!("output `{}` has the wrong width", a.name)));
            }
            if let Reveal::To(p) = a.reveal {
                if usize::from(p.0) >= parties.len() {
                    return Err(shape(format!("output `{}` names an unknown party", a.name)));
                }
            }
            check_region(&a.region, &[], memory).map_err(|w| shape(format!("output `{}`: {w}", a.name)))?;
        }
        let mut ranges: Vec<Option<(i64, i64)>> = vec![None; num_regs as usize];
        check_code(&code, &bodies, memory, &mut ranges, 0, "")?;
        Ok(Program { parties, inputs, outputs, bodies, code, memory, num_regs })
    }

    /// The parties, in order.
    pub fn parties(&self) -> &[String] {
        &self.parties
    }

    /// The input groups (slots `0..num_input_wires`, in order).
    pub fn inputs(&self) -> &[InputGroup] {
        &self.inputs
    }

    /// Number of input wires.
    pub fn num_input_wires(&self) -> u32 {
        self.inputs.iter().map(|g| g.ty.width() as u32).sum()
    }

    /// The outputs.
    pub fn outputs(&self) -> &[ProgramOutput] {
        &self.outputs
    }

    /// Number of output bits.
    pub fn num_output_bits(&self) -> usize {
        self.outputs.iter().map(|o| o.region.width as usize).sum()
    }

    /// The bodies.
    pub fn bodies(&self) -> &[Circuit] {
        &self.bodies
    }

    /// The top-level code.
    pub fn code(&self) -> &[Instr] {
        &self.code
    }

    /// Number of memory slots.
    pub fn memory(&self) -> u32 {
        self.memory
    }

    /// Number of registers.
    pub fn num_regs(&self) -> u32 {
        self.num_regs
    }

    /// Index of the input group called `name`.
    pub fn input_index(&self, name: &str) -> Option<usize> {
        self.inputs.iter().position(|g| g.name == name)
    }

    /// Size of the program form: body gates plus instructions (what compile time and
    /// memory follow).
    pub fn size(&self) -> usize {
        fn count(code: &[Instr]) -> usize {
            code.iter()
                .map(|i| match i {
                    Instr::Loop { code, .. } => 1 + count(code),
                    _ => 1,
                })
                .sum()
        }
        self.bodies.iter().map(|b| b.gates().len()).sum::<usize>() + count(&self.code)
    }

    /// Gate counts of the whole run, from the trip counts (nothing is executed).
    pub fn stats(&self) -> ProgramStats {
        let per_body: Vec<ProgramStats> = self
            .bodies
            .iter()
            .map(|b| {
                let mut s = ProgramStats { calls: 1, ..ProgramStats::default() };
                for g in b.gates() {
                    match g {
                        Gate::And { .. } => s.and += 1,
                        Gate::Xor { .. } => s.xor += 1,
                        Gate::Inv { .. } => s.inv += 1,
                        _ => s.other += 1,
                    }
                }
                s
            })
            .collect();
        fn walk(code: &[Instr], per_body: &[ProgramStats], times: u128, s: &mut ProgramStats) {
            for i in code {
                match i {
                    Instr::Call { body, .. } => {
                        if let Some(b) = per_body.get(*body as usize) {
                            s.and = s.and.saturating_add(b.and.saturating_mul(times));
                            s.xor = s.xor.saturating_add(b.xor.saturating_mul(times));
                            s.inv = s.inv.saturating_add(b.inv.saturating_mul(times));
                            s.other = s.other.saturating_add(b.other.saturating_mul(times));
                            s.calls = s.calls.saturating_add(times);
                        }
                    }
                    Instr::Loop { from, to, code, .. } => {
                        let n = (i128::from(*to) - i128::from(*from)).max(0) as u128;
                        walk(code, per_body, times.saturating_mul(n), s);
                    }
                    Instr::Copy { .. } => {}
                }
            }
        }
        let mut s = ProgramStats::default();
        walk(&self.code, &per_body, 1, &mut s);
        s
    }

    /// The program of one circuit: a single call of it as the only body. Lets every
    /// circuit (Bristol files, small programs) run through the same executor.
    pub fn from_circuit(circuit: &Circuit) -> Result<Program, ProgramError> {
        let n_in = circuit.num_input_wires();
        let (parties, inputs) = (circuit.parties().to_vec(), circuit.inputs().to_vec());
        let mut body_inputs = Vec::with_capacity(inputs.len());
        let mut args = Vec::with_capacity(inputs.len());
        for (k, g) in inputs.iter().enumerate() {
            let r = circuit.input_wires(k);
            body_inputs.push(g.clone());
            args.push(Operand::Mem(Region {
                addr: Affine::constant(i64::from(r.start)),
                width: r.end - r.start,
            }));
        }
        let mut outputs = Vec::with_capacity(circuit.outputs().len());
        let mut results = Vec::with_capacity(circuit.outputs().len());
        let mut at = u64::from(n_in);
        for o in circuit.outputs() {
            let width = o.wires.len() as u32;
            let region = Region { addr: Affine::constant(at as i64), width };
            results.push(region.clone());
            outputs.push(ProgramOutput { name: o.name.clone(), ty: o.ty.clone(), reveal: o.reveal, region });
            at += u64::from(width);
        }
        let memory = u32::try_from(at).map_err(|_| ProgramError::Shape("too many output bits".into()))?;
        let code = vec![Instr::Call { body: 0, args, results }];
        Program::new(parties, inputs, outputs, vec![circuit.clone()], code, memory, 0)
    }
}

fn check_region(r: &Region, ranges: &[Option<(i64, i64)>], memory: u32) -> Result<(), String> {
    let Some((lo, hi)) = r.addr.bounds(ranges) else {
        return Err("an address uses a register outside its loop".into());
    };
    if lo < 0 || hi + i128::from(r.width) > i128::from(memory) {
        return Err(format!(
            "region [{lo}, {}) may leave memory of {memory} slots",
            hi + i128::from(r.width)
        ));
    }
    Ok(())
}

fn check_code(
    code: &[Instr],
    bodies: &[Circuit],
    memory: u32,
    ranges: &mut [Option<(i64, i64)>],
    depth: usize,
    path: &str,
) -> Result<(), ProgramError> {
    if depth > MAX_NESTING {
        return Err(ProgramError::Shape(format!("loops nest more than {MAX_NESTING} deep")));
    }
    for (i, ins) in code.iter().enumerate() {
        let at = format!("{path}{i}");
        let bad = |what: String| ProgramError::Invalid { at: at.clone(), what };
        match ins {
            Instr::Call { body, args, results } => {
                let Some(b) = bodies.get(*body as usize) else {
                    return Err(bad(format!("calls body {body}, which does not exist")));
                };
                if args.len() != b.inputs().len() || results.len() != b.outputs().len() {
                    return Err(bad("operand or result count differs from the body's".into()));
                }
                for (a, g) in args.iter().zip(b.inputs()) {
                    if a.width() as usize != g.ty.width() {
                        return Err(bad("an operand's width differs from the body's input".into()));
                    }
                    match a {
                        Operand::Mem(r) => check_region(r, ranges, memory).map_err(bad)?,
                        Operand::Reg { value, width } => {
                            if value.bounds(ranges).is_none() || *width == 0 {
                                return Err(bad("a register operand is invalid".into()));
                            }
                        }
                    }
                }
                for (r, g) in results.iter().zip(b.outputs()) {
                    if r.width as usize != g.wires.len() {
                        return Err(bad("a result's width differs from the body's output".into()));
                    }
                    check_region(r, ranges, memory).map_err(bad)?;
                }
            }
            Instr::Copy { dst, src } => {
                if dst.width != src.width {
                    return Err(bad("copy between regions of different widths".into()));
                }
                check_region(dst, ranges, memory).map_err(bad)?;
                check_region(src, ranges, memory).map_err(bad)?;
            }
            Instr::Loop { reg, from, to, code } => {
                let Some(slot) = ranges.get_mut(*reg as usize) else {
                    return Err(bad(format!("loop register {reg} does not exist")));
                };
                if slot.is_some() {
                    return Err(bad(format!("loop register {reg} is already an enclosing loop's")));
                }
                if to > from {
                    *slot = Some((*from, *to - 1));
                    let r = check_code(code, bodies, memory, ranges, depth + 1, &format!("{at}."));
                    ranges[*reg as usize] = None;
                    r?;
                }
            }
        }
    }
    Ok(())
}

/// Why an execution failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExecError {
    #[error("the program has {want} input wires, {got} were given")]
    InputCount { want: usize, got: usize },
    #[error("a region is outside memory (the program was not verified)")]
    OutOfBounds,
    #[error("the engine stopped: {0}")]
    Engine(Box<dyn std::error::Error + Send + Sync>),
    #[error("stopped at the caller's request")]
    Cancelled,
}

/// What runs the gates of a body: the garbler, the evaluator, the plaintext evaluator
/// or an expander into one circuit. The executor does the rest (memory, registers,
/// operands and results) identically for all of them.
pub trait Engine {
    /// A wire's value: a label, or a bit.
    type Label: Copy + Default;
    /// The value of a public constant bit.
    fn constant(&mut self, bit: bool) -> Self::Label;
    /// Runs body number `index` (`body`) on `inputs` (one per body input wire, groups
    /// in order) and appends one value per body output bit (groups in order) to
    /// `outputs`. Calls come in program order; the engine counts them if it needs a
    /// position (tweaks).
    fn call(
        &mut self,
        index: usize,
        body: &Circuit,
        inputs: &[Self::Label],
        outputs: &mut Vec<Self::Label>,
    ) -> Result<(), ExecError>;
}

/// Runs `program` on `engine`: `inputs` are the values of all input wires (groups in
/// order); returns the values of all output bits (outputs in order). Memory is the
/// program's `memory` slots plus one body's inputs and outputs at a time.
pub fn execute<E: Engine>(
    program: &Program,
    engine: &mut E,
    inputs: &[E::Label],
) -> Result<Vec<E::Label>, ExecError> {
    let want = program.num_input_wires() as usize;
    if inputs.len() != want {
        return Err(ExecError::InputCount { want, got: inputs.len() });
    }
    let mut x = Exec {
        memory: vec![E::Label::default(); program.memory as usize],
        regs: vec![0; program.num_regs as usize],
        args: Vec::new(),
        outs: Vec::new(),
    };
    x.memory[..want].copy_from_slice(inputs);
    x.run(program, &program.code, engine)?;
    let mut out = Vec::with_capacity(program.num_output_bits());
    for o in &program.outputs {
        out.extend_from_slice(x.region(&o.region)?);
    }
    Ok(out)
}

struct Exec<L> {
    memory: Vec<L>,
    regs: Vec<i64>,
    args: Vec<L>,
    outs: Vec<L>,
}

impl<L: Copy> Exec<L> {
    fn range(&self, r: &Region) -> Result<std::ops::Range<usize>, ExecError> {
        let a = r.addr.eval(&self.regs);
        let start = usize::try_from(a).map_err(|_| ExecError::OutOfBounds)?;
        let end = start.checked_add(r.width as usize).ok_or(ExecError::OutOfBounds)?;
        if end > self.memory.len() {
            return Err(ExecError::OutOfBounds);
        }
        Ok(start..end)
    }

    fn region(&self, r: &Region) -> Result<&[L], ExecError> {
        Ok(&self.memory[self.range(r)?])
    }

    fn run<E: Engine<Label = L>>(
        &mut self,
        p: &Program,
        code: &[Instr],
        engine: &mut E,
    ) -> Result<(), ExecError> {
        for ins in code {
            match ins {
                Instr::Call { body, args, results } => {
                    let b = p.bodies.get(*body as usize).ok_or(ExecError::OutOfBounds)?;
                    let mut a = std::mem::take(&mut self.args);
                    a.clear();
                    for op in args {
                        match op {
                            Operand::Mem(r) => a.extend_from_slice(self.region(r)?),
                            Operand::Reg { value, width } => {
                                let v = value.eval(&self.regs);
                                for k in 0..*width {
                                    let bit = if k < 64 { (v >> k) & 1 == 1 } else { v < 0 };
                                    a.push(engine.constant(bit));
                                }
                            }
                        }
                    }
                    let mut o = std::mem::take(&mut self.outs);
                    o.clear();
                    let r = engine.call(*body as usize, b, &a, &mut o);
                    self.args = a;
                    r?;
                    let mut pos = 0usize;
                    for r in results {
                        let range = self.range(r)?;
                        let end = pos + range.len();
                        let src = o.get(pos..end).ok_or(ExecError::OutOfBounds)?;
                        self.memory[range].copy_from_slice(src);
                        pos = end;
                    }
                    self.outs = o;
                }
                Instr::Copy { dst, src } => {
                    let (d, s) = (self.range(dst)?, self.range(src)?);
                    self.memory.copy_within(s, d.start);
                }
                Instr::Loop { reg, from, to, code } => {
                    let mut i = *from;
                    while i < *to {
                        if let Some(r) = self.regs.get_mut(*reg as usize) {
                            *r = i;
                        }
                        self.run(p, code, engine)?;
                        i += 1;
                    }
                }
            }
        }
        Ok(())
    }
}

/// The plaintext engine: runs bodies gate by gate on bits (the test oracle of the
/// program form; the bit-sliced [`crate::eval`] remains the circuits' oracle).
#[derive(Debug, Default)]
pub struct PlainEngine {
    wires: Vec<bool>,
}

impl Engine for PlainEngine {
    type Label = bool;

    fn constant(&mut self, bit: bool) -> bool {
        bit
    }

    fn call(
        &mut self,
        _index: usize,
        body: &Circuit,
        inputs: &[bool],
        outputs: &mut Vec<bool>,
    ) -> Result<(), ExecError> {
        let w = &mut self.wires;
        w.clear();
        w.resize(body.num_wires() as usize, false);
        w[..inputs.len()].copy_from_slice(inputs);
        // Wire indices are in range and written before read: `Circuit::new` checked.
        for g in body.gates() {
            match *g {
                Gate::Xor { a, b, out } => w[out.index()] = w[a.index()] ^ w[b.index()],
                Gate::And { a, b, out } => w[out.index()] = w[a.index()] & w[b.index()],
                Gate::Inv { a, out } => w[out.index()] = !w[a.index()],
                Gate::Const { value, out } => w[out.index()] = value,
                Gate::Copy { a, out } => w[out.index()] = w[a.index()],
            }
        }
        for o in body.outputs() {
            outputs.extend(o.wires.iter().map(|x| w[x.index()]));
        }
        Ok(())
    }
}

/// Evaluates `program` in the clear: one bit vector per input group in, one per
/// output in.
pub fn eval_program(program: &Program, inputs: &[Vec<bool>]) -> Result<Vec<Vec<bool>>, ExecError> {
    let bits: Vec<bool> = inputs.iter().flatten().copied().collect();
    let flat = execute(program, &mut PlainEngine::default(), &bits)?;
    let mut out = Vec::with_capacity(program.outputs.len());
    let mut pos = 0;
    for o in &program.outputs {
        let w = o.region.width as usize;
        out.push(flat[pos..pos + w].to_vec());
        pos += w;
    }
    Ok(out)
}

/// The expander engine: appends every executed gate to one circuit (the unrolled form,
/// for Bristol output and as a cross-check). Memory grows with the gates executed.
#[derive(Debug)]
pub struct Expander {
    gates: Vec<Gate>,
    next: u32,
    map: Vec<u32>,
    zero: Option<u32>,
    one: Option<u32>,
    limit: usize,
}

impl Expander {
    fn fresh(&mut self) -> Result<u32, ExecError> {
        let w = self.next;
        self.next =
            self.next.checked_add(1).ok_or_else(|| ExecError::Engine("more than 2^32 wires".into()))?;
        Ok(w)
    }
}

impl Engine for Expander {
    type Label = u32;

    fn constant(&mut self, bit: bool) -> u32 {
        let cached = if bit { self.one } else { self.zero };
        if let Some(w) = cached {
            return w;
        }
        let w = self.next;
        self.next = self.next.saturating_add(1);
        self.gates.push(Gate::Const { value: bit, out: crate::WireId(w) });
        if bit {
            self.one = Some(w);
        } else {
            self.zero = Some(w);
        }
        w
    }

    fn call(
        &mut self,
        _index: usize,
        body: &Circuit,
        inputs: &[u32],
        outputs: &mut Vec<u32>,
    ) -> Result<(), ExecError> {
        if self.gates.len().saturating_add(body.gates().len()) > self.limit {
            return Err(ExecError::Engine(
                format!("the expanded circuit has more than {} gates", self.limit).into(),
            ));
        }
        let mut map = std::mem::take(&mut self.map);
        map.clear();
        map.resize(body.num_wires() as usize, 0);
        map[..inputs.len()].copy_from_slice(inputs);
        use crate::WireId as W;
        for g in body.gates() {
            let out = self.fresh()?;
            let m = |x: W| W(map[x.index()]);
            self.gates.push(match *g {
                Gate::Xor { a, b, .. } => Gate::Xor { a: m(a), b: m(b), out: W(out) },
                Gate::And { a, b, .. } => Gate::And { a: m(a), b: m(b), out: W(out) },
                Gate::Inv { a, .. } => Gate::Inv { a: m(a), out: W(out) },
                Gate::Const { value, .. } => Gate::Const { value, out: W(out) },
                Gate::Copy { a, .. } => Gate::Copy { a: m(a), out: W(out) },
            });
            map[g.output().index()] = out;
        }
        for o in body.outputs() {
            outputs.extend(o.wires.iter().map(|x| map[x.index()]));
        }
        self.map = map;
        Ok(())
    }
}

/// The unrolled circuit of `program` (at most `max_gates` gates): the same inputs and
/// outputs, every executed gate in execution order.
pub fn expand(program: &Program, max_gates: usize) -> Result<Circuit, ExecError> {
    let n = program.num_input_wires();
    let mut e =
        Expander { gates: Vec::new(), next: n, map: Vec::new(), zero: None, one: None, limit: max_gates };
    let inputs: Vec<u32> = (0..n).collect();
    let outs = execute(program, &mut e, &inputs)?;
    let mut outputs = Vec::with_capacity(program.outputs.len());
    let mut pos = 0;
    for o in &program.outputs {
        let w = o.region.width as usize;
        outputs.push(crate::OutputGroup {
            name: o.name.clone(),
            ty: o.ty.clone(),
            reveal: o.reveal,
            wires: outs[pos..pos + w].iter().map(|&x| crate::WireId(x)).collect(),
        });
        pos += w;
    }
    Circuit::new(e.next, program.parties.clone(), program.inputs.clone(), outputs, e.gates)
        .map_err(|err| ExecError::Engine(Box::new(err)))
}
