//! Workloads and timing loops shared by `mpc bench`, the criterion benches and the
//! memory example: synthetic circuits (a wide AND layer, a dependent AND chain, a
//! layered random circuit) and throughput measurements. Level scheduling is
//! `mpc_circuits::passes::schedule_levels`.
//!
//! Guarantees: the generated circuits are deterministic (fixed-seed LCG) and verified
//! by `Circuit::new`; measurements run for at least the requested time and report
//! per-second rates from wall-clock time on the current thread.

use std::time::{Duration, Instant};

use mpc_circuits::{Circuit, Gate, InputGroup, OutputGroup, PartyId, Reveal, ValueType, WireId};
use mpc_crypto::{Block, Delta, FixedKeyAes, Prg};

use crate::{CountingSink, Evaluator, Garbler, SlotPlan};

/// A tiny deterministic generator for workload wiring (not for secrets).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, bound: u32) -> u32 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((self.0 >> 33) % u64::from(bound)) as u32
    }
}

fn two_party_circuit(num_wires: u32, n_in: u32, outs: Vec<WireId>, gates: Vec<Gate>) -> Circuit {
    let half = n_in / 2;
    Circuit::new(
        num_wires,
        vec!["garbler".into(), "evaluator".into()],
        vec![
            InputGroup { name: "a".into(), party: PartyId(0), ty: ValueType::UInt(half) },
            InputGroup { name: "b".into(), party: PartyId(1), ty: ValueType::UInt(n_in - half) },
        ],
        vec![OutputGroup {
            name: "out".into(),
            ty: ValueType::UInt(outs.len() as u32),
            reveal: Reveal::All,
            wires: outs,
        }],
        gates,
    )
    // The construction below only reads earlier wires and writes each wire once.
    .expect("synthetic workload circuits are valid by construction")
}

/// `n` independent AND gates over random pairs of 256 input wires (one level).
pub fn wide_layer(n: usize) -> Circuit {
    let n_in = 256u32;
    let mut rng = Lcg(1);
    let gates: Vec<Gate> = (0..n as u32)
        .map(|i| Gate::And { a: WireId(rng.next(n_in)), b: WireId(rng.next(n_in)), out: WireId(n_in + i) })
        .collect();
    let num_wires = n_in + n as u32;
    let outs = (num_wires - 64.min(n as u32)..num_wires).map(WireId).collect::<Vec<_>>();
    let outs = if outs.is_empty() { vec![WireId(0)] } else { outs };
    two_party_circuit(num_wires, n_in, outs, gates)
}

/// `n` AND gates each reading the previous one's output (depth `n`: the worst case,
/// one gate per batch).
pub fn and_chain(n: usize) -> Circuit {
    let n_in = 128u32;
    let mut gates = Vec::with_capacity(n);
    let mut prev = WireId(0);
    for i in 0..n as u32 {
        let out = WireId(n_in + i);
        gates.push(Gate::And { a: prev, b: WireId(1 + i % (n_in - 1)), out });
        prev = out;
    }
    two_party_circuit(n_in + n as u32, n_in, vec![prev], gates)
}

/// `layers` layers of `width` AND gates and `width` XOR gates each, every gate reading
/// random wires of the previous layer: a deep circuit whose live wires are two layers.
pub fn layered(layers: usize, width: usize) -> Circuit {
    let w = width as u32;
    let mut rng = Lcg(7);
    let mut gates = Vec::with_capacity(2 * layers * width);
    let mut prev_start = 0u32;
    let mut prev_len = w; // the inputs form layer 0
    let mut next = w;
    for _ in 0..layers {
        let start = next;
        for _ in 0..width {
            let (a, b) = (prev_start + rng.next(prev_len), prev_start + rng.next(prev_len));
            gates.push(Gate::And { a: WireId(a), b: WireId(b), out: WireId(next) });
            next += 1;
        }
        for _ in 0..width {
            let (a, b) = (prev_start + rng.next(prev_len), start + rng.next(w));
            gates.push(Gate::Xor { a: WireId(a), b: WireId(b), out: WireId(next) });
            next += 1;
        }
        prev_start = start;
        prev_len = 2 * w;
    }
    let outs = (next - w.min(64)..next).map(WireId).collect();
    two_party_circuit(next, w, outs, gates)
}

pub use mpc_crypto::thread_cpu_ns;

/// Which clock [`rate`] uses: `"thread-cpu"` (Linux) or `"wall"`.
pub fn clock_name() -> &'static str {
    if thread_cpu_ns().is_some() {
        "thread-cpu"
    } else {
        "wall"
    }
}

/// Runs `f` (which processes `per_call` items) repeatedly for at least `min` of this
/// thread's CPU time (wall-clock time where that is unavailable) and returns items per
/// second of that clock.
pub fn rate(min: Duration, per_call: u64, mut f: impl FnMut()) -> f64 {
    f(); // warm-up
    let now = || thread_cpu_ns().map(Duration::from_nanos);
    let wall = Instant::now();
    let cpu0 = now();
    let elapsed = || match (cpu0, now()) {
        (Some(a), Some(b)) => b.saturating_sub(a),
        _ => wall.elapsed(),
    };
    // Reading the clock costs a few microseconds, so check it only every `step` calls,
    // with `step` grown until a step takes about a millisecond.
    let (mut calls, mut step) = (0u64, 1u64);
    loop {
        let t = Instant::now();
        for _ in 0..step {
            f();
        }
        calls += step;
        if t.elapsed() < Duration::from_millis(1) {
            step *= 2;
        }
        let e = elapsed();
        if e >= min {
            return (calls * per_call) as f64 / e.as_secs_f64().max(1e-9);
        }
    }
}

/// Fixed-key AES blocks per second on batches of 1024 blocks (the kernel the hashes use).
pub fn aes_blocks_per_s(min: Duration) -> f64 {
    let aes = FixedKeyAes::global();
    let mut buf: Vec<Block> = (0..1024u128).map(Block::from_u128).collect();
    rate(min, buf.len() as u64, || aes.permute_many(std::hint::black_box(&mut buf)))
}

/// Blocks per second of the `aes` crate's own `encrypt_blocks` (no fused kernel).
pub fn aes_crate_blocks_per_s(min: Duration) -> f64 {
    let aes = FixedKeyAes::global();
    let mut buf: Vec<Block> = (0..1024u128).map(Block::from_u128).collect();
    rate(min, buf.len() as u64, || aes.permute_many_aes_crate(std::hint::black_box(&mut buf)))
}

/// TCCR hashes per second on batches of 1024 blocks.
pub fn tccr_blocks_per_s(min: Duration) -> f64 {
    let aes = FixedKeyAes::global();
    let mut buf: Vec<Block> = (0..1024u128).map(Block::from_u128).collect();
    rate(min, buf.len() as u64, || aes.tccr_many(std::hint::black_box(&mut buf), |k| Block::from(k as u64)))
}

/// Random input zero-labels and Delta for `circuit` (deterministic seed).
pub fn setup(circuit: &Circuit) -> (Delta, Vec<Block>) {
    let mut prg = Prg::from_seed_block(Block::from_u128(42));
    let delta = Delta::from_block(prg.random_block());
    (delta, prg.blocks(circuit.num_input_wires() as usize))
}

/// Garbles `circuit` to a counting sink; AND gates per second (the circuit's
/// compiled [`SlotPlan`] is computed once, outside the timed loop).
pub fn garble_and_per_s(circuit: &Circuit, min: Duration) -> f64 {
    let (delta, zero) = setup(circuit);
    let plan = SlotPlan::compiled(circuit);
    rate(min, circuit.and_count() as u64, || {
        let mut sink = CountingSink::default();
        // Inputs match the circuit by construction of `setup`.
        let mut g =
            Garbler::new(circuit, &delta, zero.clone(), 0).expect("label count matches").with_plan(&plan);
        g.garble(&mut sink).expect("a counting sink never fails");
    })
}

/// Evaluates `circuit` from in-memory tables; AND gates per second (plan computed
/// once, as above).
pub fn eval_and_per_s(circuit: &Circuit, min: Duration) -> f64 {
    let (delta, zero) = setup(circuit);
    let plan = SlotPlan::compiled(circuit);
    let mut tables = Vec::new();
    // As above: the labels match the circuit, a Vec sink never fails.
    Garbler::new(circuit, &delta, zero.clone(), 0)
        .expect("label count matches")
        .garble(&mut tables)
        .expect("Vec");
    rate(min, circuit.and_count() as u64, || {
        let mut src: &[u8] = &tables;
        let mut e = Evaluator::new(circuit, zero.clone(), 0).expect("label count matches").with_plan(&plan);
        e.evaluate(&mut src).expect("the tables are complete");
    })
}
