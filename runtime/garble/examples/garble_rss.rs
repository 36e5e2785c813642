//! Garbles an AND-only circuit of N gates (a dependent chain: `perf::and_chain`) into a
//! counting sink, for measuring peak memory with `/usr/bin/time -v`:
//! `cargo run --release -p mpc-garble --example garble_rss -- 10000000`.
//! Prints the gate count, table bytes produced, and the sizes of the circuit, of the
//! slot plan (4 bytes per wire) and of the label slots (16 bytes per live wire), so the
//! peak RSS can be compared with them.

use mpc_garble::{perf, CountingSink, Garbler, SlotPlan};

fn main() {
    let n: usize = match std::env::args().nth(1).map(|s| s.parse()) {
        None => 1_000_000,
        Some(Ok(n)) if n > 0 && n < u32::MAX as usize - 1024 => n,
        Some(_) => {
            eprintln!("usage: garble_rss [number of AND gates, 1 .. 4e9]");
            std::process::exit(1);
        }
    };
    let circuit = perf::and_chain(n);
    let (delta, zero) = perf::setup(&circuit);
    let start = std::time::Instant::now();
    let mut sink = CountingSink::default();
    let plan = SlotPlan::new(&circuit);
    let mut g =
        Garbler::new(&circuit, &delta, zero, 0).expect("label count matches the circuit").with_plan(&plan);
    g.garble(&mut sink).expect("a counting sink never fails");
    let mib = |b: u64| b as f64 / (1 << 20) as f64;
    println!(
        "{} ANDs garbled in {:.2} s; {:.1} MiB of tables in {} chunks; circuit gates {:.1} MiB; slot plan {:.1} MiB; {} label slots ({:.3} MiB)",
        circuit.and_count(),
        start.elapsed().as_secs_f64(),
        mib(sink.bytes),
        sink.chunks,
        mib(16 * circuit.gates().len() as u64),
        mib(4 * u64::from(circuit.num_wires())),
        plan.num_slots(),
        mib(16 * plan.num_slots() as u64),
    );
}
