//! Prints fixed-key AES, TCCR, garbling and evaluation rates for the synthetic
//! workloads (quick manual check; `mpc bench` and the criterion benches are the
//! reference). Run with `cargo run --release -p mpc-garble --example throughput`.

use std::time::Duration;

use mpc_garble::perf;

fn main() {
    let t = Duration::from_millis(700);
    let only = std::env::args().nth(1);
    if let Some(mode) = only {
        let wide = perf::wide_layer(1 << 20);
        let r = match mode.as_str() {
            "garble" => perf::garble_and_per_s(&wide, 4 * t),
            "eval" => perf::eval_and_per_s(&wide, 4 * t),
            _ => perf::tccr_blocks_per_s(4 * t),
        };
        println!("{mode}: {:.1}M/s", r / 1e6);
        return;
    }
    println!("aes backend: {}", mpc_crypto::aes_backend());
    let aes = perf::aes_blocks_per_s(t);
    println!("aes blocks/s: {:.1}M", aes / 1e6);
    println!("aes crate blocks/s: {:.1}M", perf::aes_crate_blocks_per_s(t) / 1e6);
    println!("tccr/s: {:.1}M", perf::tccr_blocks_per_s(t) / 1e6);
    let wide = perf::wide_layer(1 << 20);
    let g = perf::garble_and_per_s(&wide, t);
    let e = perf::eval_and_per_s(&wide, t);
    println!(
        "wide garble {:.1}M AND/s ({:.0}% of aes/8), eval {:.1}M AND/s ({:.0}% of aes/4)",
        g / 1e6,
        100.0 * g / (aes / 8.0),
        e / 1e6,
        100.0 * e / (aes / 4.0)
    );
    let chain = perf::and_chain(1 << 18);
    println!(
        "chain garble {:.1}M AND/s, eval {:.1}M AND/s",
        perf::garble_and_per_s(&chain, t) / 1e6,
        perf::eval_and_per_s(&chain, t) / 1e6
    );
    let lay = perf::layered(256, 2048);
    println!(
        "layered garble {:.1}M AND/s, eval {:.1}M AND/s",
        perf::garble_and_per_s(&lay, t) / 1e6,
        perf::eval_and_per_s(&lay, t) / 1e6
    );
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/aes_128.txt")).unwrap();
    let aesc = mpc_circuits::bristol::read(&text).unwrap();
    let sched = mpc_circuits::passes::schedule_levels(&aesc);
    for (name, c) in [("aes128 file order", &aesc), ("aes128 level order", &sched)] {
        let g = perf::garble_and_per_s(c, t);
        let e = perf::eval_and_per_s(c, t);
        println!(
            "{name}: garble {:.1}M AND/s ({:.1} us), eval {:.1}M AND/s ({:.1} us)",
            g / 1e6,
            6400.0 / g * 1e6,
            e / 1e6,
            6400.0 / e * 1e6
        );
    }
}
