//! [`Stats`]: what a program's whole run executes, computed from the program form
//! without expanding it (`mpc compile --stats`, `mpc inspect`, [`crate::Program::stats`]).
//!
//! Invariants: a program that is one call of one body (a circuit file, a program
//! without rolled loops) reports exactly that body's circuit statistics; otherwise gate
//! counts come from the trip counts (saturating: nested loops can exceed any integer),
//! `wires` is the streamed Bristol expansion's, `and_depth` is computed by a run on
//! depths up to 2^24 executed gates and unknown beyond, and `peak_live_wires` is what
//! the runtime holds: memory slots plus the largest body's live wires.

use mpc_circuits::{execute, Circuit, Engine, ExecError, Gate, Instr, Operand, Program};

/// What a program's whole run executes, and the size of its program form.
///
/// ```
/// let p = mpc::Program::compile(
///     "party a; party b;
///      fn main(x: [u8; 100] @a, y: u8 @b) -> u8 {
///          let mut acc = y;
///          for i in 0..100 { acc = acc * x[i]; }
///          acc
///      }",
/// ).unwrap();
/// let s = p.stats();
/// assert!(s.and_gates >= 100 * 8 && s.gates >= s.and_gates + s.xor_gates);
/// assert!(s.and_depth.is_some());
/// assert!(s.calls >= 1);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// All gates executed.
    pub gates: u128,
    /// AND gates (each garbled once: the cost).
    pub and_gates: u128,
    /// XOR gates (free).
    pub xor_gates: u128,
    /// INV gates (free).
    pub inv_gates: u128,
    /// EQ (constant) gates.
    pub eq_gates: u128,
    /// EQW (copy) gates.
    pub eqw_gates: u128,
    /// The most AND gates on any path from an input to an output (rounds of a
    /// depth-bound protocol); `None` when the run executes more than 2^24 gates.
    pub and_depth: Option<u128>,
    /// Wires of the expanded circuit.
    pub wires: u128,
    /// The most wires alive at once.
    pub peak_live_wires: u128,
    /// Body calls executed.
    pub calls: u128,
    /// Bodies of the program form.
    pub bodies: usize,
    /// Gates of all bodies (the program's size in gates, not the run's).
    pub body_gates: usize,
    /// Instructions (a loop counts itself and its code).
    pub instructions: usize,
    /// Memory slots (wires held between calls).
    pub memory_slots: u32,
    /// The program form's size in bytes, roughly.
    pub program_size: usize,
}

/// How often each body is called in a whole run (saturating).
pub fn body_calls(program: &Program) -> Vec<u128> {
    fn walk(code: &[Instr], times: u128, calls: &mut [u128]) {
        for ins in code {
            match ins {
                Instr::Call { body, .. } => {
                    if let Some(c) = calls.get_mut(*body as usize) {
                        *c = c.saturating_add(times);
                    }
                }
                Instr::Loop { from, to, code, .. } => {
                    let n = (i128::from(*to) - i128::from(*from)).max(0) as u128;
                    walk(code, times.saturating_mul(n), calls);
                }
                Instr::Copy { .. } => {}
            }
        }
    }
    let mut calls = vec![0u128; program.bodies().len()];
    walk(program.code(), 1, &mut calls);
    calls
}

/// Whether an instruction passes a register as public constant bits.
pub fn uses_constants(program: &Program) -> bool {
    fn walk(code: &[Instr]) -> bool {
        code.iter().any(|ins| match ins {
            Instr::Call { args, .. } => args.iter().any(|a| matches!(a, Operand::Reg { .. })),
            Instr::Loop { code, .. } => walk(code),
            Instr::Copy { .. } => false,
        })
    }
    walk(program.code())
}

/// Number of instructions (loops count themselves and their code).
pub fn instruction_count(code: &[Instr]) -> usize {
    code.iter()
        .map(|i| match i {
            Instr::Loop { code, .. } => 1 + instruction_count(code),
            _ => 1,
        })
        .sum()
}

/// The single body a program runs once, if that is all it does (a circuit file, a
/// program without rolled loops): its statistics are then exactly the circuit's.
fn single_call(program: &Program) -> Option<&Circuit> {
    match program.code() {
        [Instr::Call { body, .. }] => program.bodies().get(*body as usize),
        _ => None,
    }
}

/// Largest expansion whose AND depth `--stats` computes by running the program on
/// depths (beyond it the depth is reported as unknown).
const DEPTH_LIMIT: u128 = 1 << 24;

/// Computes AND depths: each wire's label is its depth.
struct DepthEngine {
    wires: Vec<u64>,
}

impl Engine for DepthEngine {
    type Label = u64;

    fn constant(&mut self, _bit: bool) -> u64 {
        0
    }

    fn call(
        &mut self,
        _index: usize,
        body: &Circuit,
        inputs: &[u64],
        outputs: &mut Vec<u64>,
    ) -> Result<(), ExecError> {
        let w = &mut self.wires;
        w.clear();
        w.resize(body.num_wires() as usize, 0);
        let n = inputs.len().min(w.len());
        w[..n].copy_from_slice(&inputs[..n]);
        // Wire indices are below num_wires: `Circuit::new` checked every gate.
        for g in body.gates() {
            let d = g.inputs().map(|x| w[x.index()]).max().unwrap_or(0);
            w[g.output().index()] = if matches!(g, Gate::And { .. }) { d + 1 } else { d };
        }
        outputs.extend(body.outputs().iter().flat_map(|o| o.wires.iter().map(|x| w[x.index()])));
        Ok(())
    }
}

/// The [`Stats`] of `program`'s whole run.
pub fn whole_run(program: &Program) -> Stats {
    let s = program.stats();
    let mut out = Stats {
        gates: s.gates(),
        and_gates: s.and,
        xor_gates: s.xor,
        inv_gates: s.inv,
        eq_gates: 0,
        eqw_gates: 0,
        and_depth: None,
        wires: 0,
        peak_live_wires: 0,
        calls: s.calls,
        bodies: program.bodies().len(),
        body_gates: program.bodies().iter().map(|b| b.gates().len()).sum(),
        instructions: instruction_count(program.code()),
        memory_slots: program.memory(),
        program_size: program.size(),
    };
    if let Some(body) = single_call(program) {
        let b = body.stats();
        let n = |x: usize| x as u128;
        out.gates = n(b.gates);
        out.and_gates = n(b.and);
        out.xor_gates = n(b.xor);
        out.inv_gates = n(b.inv);
        out.eq_gates = n(b.eq);
        out.eqw_gates = n(b.eqw);
        out.and_depth = Some(n(b.and_depth));
        out.wires = u128::from(b.wires);
        out.peak_live_wires = n(b.peak_live_wires);
        return out;
    }
    let calls = body_calls(program);
    let mut peak = 0usize;
    for (b, n) in program.bodies().iter().zip(&calls) {
        let (e, w) = b.gates().iter().fold((0u128, 0u128), |(e, w), g| match g {
            Gate::Const { .. } => (e + 1, w),
            Gate::Copy { .. } => (e, w + 1),
            _ => (e, w),
        });
        out.eq_gates = out.eq_gates.saturating_add(e.saturating_mul(*n));
        out.eqw_gates = out.eqw_gates.saturating_add(w.saturating_mul(*n));
        if *n > 0 {
            peak = peak.max(mpc_circuits::passes::allocate_slots(b).num_slots as usize);
        }
    }
    let consts = if uses_constants(program) { 2 } else { 0 };
    out.wires = (u128::from(program.num_input_wires()) + consts).saturating_add(s.gates());
    out.and_depth = (s.gates() <= DEPTH_LIMIT)
        .then(|| {
            let inputs = vec![0u64; program.num_input_wires() as usize];
            execute(program, &mut DepthEngine { wires: Vec::new() }, &inputs).ok()
        })
        .flatten()
        .map(|d| u128::from(d.into_iter().max().unwrap_or(0)));
    out.peak_live_wires = (program.memory() as usize + peak) as u128;
    out
}
