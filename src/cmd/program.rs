//! What the commands do with a [`Program`] besides running it: the statistics of a
//! whole run without expanding it (`mpc compile --stats`, as JSON or text from the
//! library's `mpc::Stats`), the expanded Bristol Fashion circuit written as the
//! program executes (`mpc compile -o`) and the `--max-gates` check.
//!
//! Streamed Bristol numbering (what `-o` writes): wires `0..inputs` are the inputs;
//! if any instruction passes a register as public bits, two EQ gates come first
//! (constant 0, then 1); then one wire per executed gate in execution order; then one
//! EQW gate per output bit copying it to the last wires, as Bristol Fashion wants the
//! outputs last. So the header (gate and wire counts) follows from the gate counts of
//! [`Program::stats`] before anything runs, and nothing is held per gate.

use std::io::Write;
use std::sync::atomic::AtomicU64;

use anyhow::{bail, Context};
use mpc_circuits::{execute, Circuit, Engine, ExecError, Gate, Program};

// The whole-run counting lives in the library (`mpc::Stats`).
use mpc::internal::stats::uses_constants;

/// Refuses a program whose run executes more than `max` gates (`--max-gates`).
pub fn check_max_gates(program: &Program, max: Option<u64>) -> anyhow::Result<()> {
    if let Some(max) = max {
        let gates = program.stats().gates();
        if gates > u128::from(max) {
            bail!("the program executes {gates} gates, more than --max-gates {max} allows");
        }
    }
    Ok(())
}

/// The statistics object of `mpc compile --stats --json` for a program: the keys of
/// `mpc inspect --json` for the whole run (a program that is one call of one body
/// reports exactly that body's circuit statistics; otherwise gate counts come from
/// the trip counts, `wires` is the streamed expansion's, `and_depth` is computed by a
/// run on depths up to 2^24 executed gates and `null` beyond, and `peak_live_wires` is
/// what the runtime holds: memory slots plus the largest body's live wires), plus the
/// program's own size: `calls`, `bodies`, `body_gates`, `instructions`,
/// `memory_slots`, `program_size`.
pub fn stats_json(program: &Program) -> serde_json::Map<String, serde_json::Value> {
    use serde_json::json;
    let s = mpc::internal::stats::whole_run(program);
    let mut v = serde_json::Map::new();
    let inputs: Vec<usize> = program.inputs().iter().map(|g| g.ty.width()).collect();
    let outputs: Vec<usize> = program.outputs().iter().map(|o| o.ty.width()).collect();
    v.insert("gates".into(), count_json(s.gates));
    v.insert("and_gates".into(), count_json(s.and_gates));
    v.insert("xor_gates".into(), count_json(s.xor_gates));
    v.insert("inv_gates".into(), count_json(s.inv_gates));
    v.insert("eq_gates".into(), count_json(s.eq_gates));
    v.insert("eqw_gates".into(), count_json(s.eqw_gates));
    v.insert("and_depth".into(), s.and_depth.map_or(serde_json::Value::Null, count_json));
    v.insert("wires".into(), count_json(s.wires));
    v.insert("peak_live_wires".into(), count_json(s.peak_live_wires));
    v.insert("inputs".into(), json!(inputs));
    v.insert("outputs".into(), json!(outputs));
    v.insert(
        "input_names".into(),
        json!(program.inputs().iter().map(|g| g.name.clone()).collect::<Vec<_>>()),
    );
    v.insert(
        "output_names".into(),
        json!(program.outputs().iter().map(|o| o.name.clone()).collect::<Vec<_>>()),
    );
    v.insert("calls".into(), count_json(s.calls));
    v.insert("bodies".into(), json!(s.bodies));
    v.insert("body_gates".into(), json!(s.body_gates));
    v.insert("instructions".into(), json!(s.instructions));
    v.insert("memory_slots".into(), json!(s.memory_slots));
    v.insert("program_size".into(), json!(s.program_size));
    v
}

/// Prints [`stats_json`] (one JSON object with `--json`, else the text of
/// `mpc inspect`: aligned `key: value` lines, inputs and outputs, then the program's
/// size), with `compile_ms` when given.
pub fn print_stats(p: &Program, compile_ms: Option<f64>, json: bool) -> anyhow::Result<()> {
    use super::outln;
    let mut v = stats_json(p);
    if json {
        if let Some(ms) = compile_ms {
            v.insert("compile_ms".into(), serde_json::json!(ms));
        }
        return outln!("{}", serde_json::Value::Object(v));
    }
    let show = |k: &str| match v.get(k) {
        Some(serde_json::Value::Null) | None => "unknown (not expanded)".to_string(),
        Some(x) => x.to_string(),
    };
    for k in [
        "gates",
        "and_gates",
        "xor_gates",
        "inv_gates",
        "eq_gates",
        "eqw_gates",
        "and_depth",
        "wires",
        "peak_live_wires",
    ] {
        outln!("{:<17}{}", format!("{k}:"), show(k))?;
    }
    let party = |q: mpc_circuits::PartyId| p.parties().get(usize::from(q.0)).cloned().unwrap_or_default();
    for g in p.inputs() {
        outln!("input  {}: {} ({} bits, party {})", g.name, g.ty, g.ty.width(), party(g.party))?;
    }
    for o in p.outputs() {
        let to = match o.reveal {
            mpc_circuits::Reveal::All => "all".to_string(),
            mpc_circuits::Reveal::To(q) => party(q),
        };
        outln!("output {}: {} ({} bits, revealed to {to})", o.name, o.ty, o.ty.width())?;
    }
    if let Some(ms) = compile_ms {
        outln!("compile_ms:      {ms:.1}")?;
    }
    for k in ["calls", "bodies", "body_gates", "instructions", "memory_slots", "program_size"] {
        outln!("{:<17}{}", format!("{k}:"), show(k))?;
    }
    Ok(())
}

pub use mpc::internal::Counting;

/// Writes each executed gate as a Bristol Fashion line (see the module docs).
struct BristolWriter<W: Write> {
    out: W,
    next: u64,
    map: Vec<u64>,
    zero: u64,
    one: u64,
}

fn io_error(e: std::io::Error) -> ExecError {
    ExecError::Engine(Box::new(e))
}

impl<W: Write> Engine for BristolWriter<W> {
    type Label = u64;

    fn constant(&mut self, bit: bool) -> u64 {
        if bit {
            self.one
        } else {
            self.zero
        }
    }

    fn call(
        &mut self,
        _index: usize,
        body: &Circuit,
        inputs: &[u64],
        outputs: &mut Vec<u64>,
    ) -> Result<(), ExecError> {
        let mut map = std::mem::take(&mut self.map);
        map.clear();
        map.resize(body.num_wires() as usize, 0);
        let n = inputs.len().min(map.len());
        map[..n].copy_from_slice(&inputs[..n]);
        let o = &mut self.out;
        // Wire indices are below num_wires: `Circuit::new` checked every gate.
        for g in body.gates() {
            let out = self.next;
            self.next += 1;
            let m = |w: mpc_circuits::WireId| map[w.index()];
            match *g {
                Gate::Xor { a, b, .. } => writeln!(o, "2 1 {} {} {out} XOR", m(a), m(b)),
                Gate::And { a, b, .. } => writeln!(o, "2 1 {} {} {out} AND", m(a), m(b)),
                Gate::Inv { a, .. } => writeln!(o, "1 1 {} {out} INV", m(a)),
                Gate::Copy { a, .. } => writeln!(o, "1 1 {} {out} EQW", m(a)),
                Gate::Const { value, .. } => writeln!(o, "1 1 {} {out} EQ", u8::from(value)),
            }
            .map_err(io_error)?;
            map[g.output().index()] = out;
        }
        outputs.extend(body.outputs().iter().flat_map(|g| g.wires.iter().map(|w| map[w.index()])));
        self.map = map;
        Ok(())
    }
}

/// Writes the expanded Bristol Fashion circuit of `program` to `out` as the program
/// runs (memory: the program's, not the circuit's). `done` counts gates written.
/// A whole-run count as JSON: a number while it fits in `u64` (what JSON readers take
/// exactly), else its decimal digits as a string (saturated counts of loops whose trip
/// counts multiply past 2^64).
pub fn count_json(n: u128) -> serde_json::Value {
    match u64::try_from(n) {
        Ok(n) => serde_json::json!(n),
        Err(_) => serde_json::json!(n.to_string()),
    }
}

pub fn write_bristol<W: Write>(program: &Program, out: W, done: Option<&AtomicU64>) -> anyhow::Result<()> {
    let s = program.stats();
    let n_in = u128::from(program.num_input_wires());
    let consts: u128 = if uses_constants(program) { 2 } else { 0 };
    let out_bits = program.num_output_bits() as u128;
    let gates = consts.saturating_add(s.gates()).saturating_add(out_bits);
    let wires = n_in.saturating_add(gates);
    if wires > u128::from(u32::MAX) {
        bail!("the expanded circuit would have {wires} wires; a Bristol file holds at most {}", u32::MAX);
    }
    let mut w = BristolWriter { out, next: n_in as u64, map: Vec::new(), zero: 0, one: 0 };
    let mut head = format!("{gates} {wires}\n{}", program.inputs().len());
    for g in program.inputs() {
        head.push_str(&format!(" {}", g.ty.width()));
    }
    head.push_str(&format!("\n{}", program.outputs().len()));
    for o in program.outputs() {
        head.push_str(&format!(" {}", o.ty.width()));
    }
    head.push_str("\n\n");
    w.out.write_all(head.as_bytes())?;
    if consts == 2 {
        w.zero = w.next;
        w.one = w.next + 1;
        writeln!(w.out, "1 1 0 {} EQ\n1 1 1 {} EQ", w.zero, w.one)?;
        w.next += 2;
    }
    let inputs: Vec<u64> = (0..n_in as u64).collect();
    let result = match done {
        Some(d) => {
            let mut c = Counting { inner: w, done: d };
            let r = execute(program, &mut c, &inputs);
            w = c.inner;
            r
        }
        None => execute(program, &mut w, &inputs),
    };
    let outs = result.map_err(|e| match e {
        ExecError::Engine(inner) => match inner.downcast::<std::io::Error>() {
            Ok(io) => anyhow::Error::from(*io),
            Err(other) => anyhow::anyhow!("{other}"),
        },
        other => anyhow::Error::from(other),
    })?;
    let base = w.next;
    for (j, src) in outs.iter().enumerate() {
        writeln!(w.out, "1 1 {src} {} EQW", base + j as u64)?;
    }
    w.out.flush()?;
    // The counts of the header are those of the run (a mismatch is a bug, not a user error).
    anyhow::ensure!(
        u128::from(base + outs.len() as u64) == wires,
        "internal error: the expansion wrote {} wires, its header says {wires}",
        base + outs.len() as u64
    );
    Ok(())
}

/// `write_bristol` into a file.
pub fn write_bristol_file(
    program: &Program,
    path: &std::path::Path,
    done: Option<&AtomicU64>,
) -> anyhow::Result<()> {
    let file = std::fs::File::create(path).with_context(|| format!("cannot write `{}`", path.display()))?;
    write_bristol(program, std::io::BufWriter::with_capacity(1 << 20, file), done)
        .with_context(|| format!("cannot write `{}`", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use mpc_circuits::{
        Affine, Builder, InputGroup, Instr, Operand, PartyId, ProgramOutput, Region, Reveal, ValueType, Word,
    };
    use std::sync::atomic::Ordering;

    fn body() -> Circuit {
        let mut b = Builder::new(&["p"]);
        let x = b.input(PartyId(0), "x", 4);
        let k = b.input(PartyId(0), "k", 4);
        let bits: Vec<_> = (0..4)
            .map(|i| {
                let a = b.and(x.bit(i), k.bit(3 - i));
                b.xor(a, x.bit((i + 1) % 4))
            })
            .collect();
        b.output("y", &Word::from_bits(bits));
        b.finish().unwrap()
    }

    fn looped() -> Program {
        let at = |c: i64| Region { addr: Affine::constant(c), width: 4 };
        let code = vec![
            Instr::Loop {
                reg: 0,
                from: 0,
                to: 3,
                code: vec![Instr::Call {
                    body: 0,
                    args: vec![
                        Operand::Mem(at(0)),
                        Operand::Reg { value: Affine::reg(0).offset(5).unwrap(), width: 4 },
                    ],
                    results: vec![at(0)],
                }],
            },
            Instr::Call {
                body: 0,
                args: vec![Operand::Mem(at(0)), Operand::Mem(at(4))],
                results: vec![at(8)],
            },
        ];
        let inputs = vec![
            InputGroup { name: "a".into(), party: PartyId(0), ty: ValueType::UInt(4) },
            InputGroup { name: "b".into(), party: PartyId(1), ty: ValueType::UInt(4) },
        ];
        let outputs = vec![
            ProgramOutput { name: "r".into(), ty: ValueType::UInt(4), reveal: Reveal::All, region: at(8) },
            ProgramOutput { name: "a2".into(), ty: ValueType::UInt(4), reveal: Reveal::All, region: at(0) },
        ];
        Program::new(vec!["p".into(), "q".into()], inputs, outputs, vec![body()], code, 12, 1).unwrap()
    }

    /// The streamed Bristol file reads back and computes what the program computes.
    #[test]
    fn streamed_bristol_matches_the_program() {
        for p in [looped(), Program::from_circuit(&body()).unwrap()] {
            let mut text = Vec::new();
            let done = AtomicU64::new(0);
            write_bristol(&p, &mut text, Some(&done)).unwrap();
            assert_eq!(u128::from(done.load(Ordering::Relaxed)), p.stats().gates());
            let c = mpc_circuits::bristol::read(std::str::from_utf8(&text).unwrap()).unwrap();
            for v in 0..256u32 {
                let groups: Vec<Vec<bool>> = vec![
                    (0..4).map(|i| v >> i & 1 == 1).collect(),
                    (4..8).map(|i| v >> i & 1 == 1).collect(),
                ];
                let want = mpc_circuits::eval_program(&p, &groups).unwrap();
                let got = mpc_circuits::eval::eval_groups(&c, &groups).unwrap();
                assert_eq!(got, want, "input {v}");
            }
        }
    }

    #[test]
    fn stats_count_the_whole_run() {
        let p = looped();
        let v = stats_json(&p);
        assert_eq!(v["and_gates"], serde_json::json!(16));
        assert_eq!(v["gates"], serde_json::json!(32));
        assert_eq!(v["calls"], serde_json::json!(4));
        assert_eq!(v["and_depth"], serde_json::json!(4));
        assert_eq!(v["wires"], serde_json::json!(8 + 2 + 32));
        let one = Program::from_circuit(&body()).unwrap();
        let v = stats_json(&one);
        assert_eq!(serde_json::Value::Object(v.clone())["and_depth"], serde_json::json!(1));
        assert_eq!(v["gates"], serde_json::json!(body().gates().len()));
        assert!(check_max_gates(&p, Some(31)).is_err());
        assert!(check_max_gates(&p, Some(32)).is_ok());
        assert!(check_max_gates(&p, None).is_ok());
    }
}
