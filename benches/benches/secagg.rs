//! Secure aggregation benchmarks: a whole simulated session (n clients and the
//! server in one process, every message encoded and decoded) for n = 100, d = 10^4,
//! without and with 10% dropouts after the masked-input round (the server then
//! reconstructs 10 mask keys and recomputes their pairwise masks). Before timing, one
//! run per configuration prints the client/server compute split (thread CPU time on
//! Linux) and the bytes per party. Larger configurations (n = 100, d = 10^5; n = 500,
//! d = 10^4 and 10^5, each without and with 10% dropouts) run once with
//! `MPC_BENCH_LARGE=1`.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use mpc_native::secagg::{simulate, Config, Dropouts, Modulus};
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;

fn inputs(n: u32, d: u32) -> Vec<Vec<u64>> {
    let mut rng = ChaCha20Rng::seed_from_u64(7);
    (0..n).map(|_| (0..d).map(|_| rng.next_u64() & 0xffff).collect()).collect()
}

fn drops(n: u32, percent: u32) -> Dropouts {
    Dropouts { round2: (0..n * percent / 100).collect(), ..Default::default() }
}

fn report(n: u32, d: u32, percent: u32) {
    let cfg = Config::new(n, n * 2 / 3, d, Modulus::power_of_two(32).expect("2^32")).expect("config");
    let xs = inputs(n, d);
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let t0 = std::time::Instant::now();
    let rep = simulate(cfg, &xs, &drops(n, percent), &mut rng).expect("session");
    let total = t0.elapsed();
    let ms = |t: &std::time::Duration| t.as_secs_f64() * 1e3;
    let per_client: Vec<f64> = rep.client_times.values().map(ms).collect();
    let mean = per_client.iter().sum::<f64>() / per_client.len() as f64;
    let max = per_client.iter().copied().fold(0.0, f64::max);
    let sent = rep.client_bytes_sent.values().sum::<u64>() / rep.client_bytes_sent.len() as u64;
    let recv = rep.client_bytes_received.values().sum::<u64>() / rep.client_bytes_received.len() as u64;
    eprintln!(
        "secagg n={n} d={d} drop={percent}% ({:?} clock): client {mean:.1} ms each (max {max:.1}), \
         server {:.1} ms; per client sent {sent} B, received {recv} B; server sent {} B; \
         whole run {:.2} s wall",
        rep.clock,
        ms(&rep.server_time),
        rep.server_bytes_sent,
        total.as_secs_f64(),
    );
}

fn bench_secagg(c: &mut Criterion) {
    report(100, 10_000, 0);
    report(100, 10_000, 10);
    if std::env::var("MPC_BENCH_LARGE").is_ok() {
        for (n, d) in [(100, 100_000), (500, 10_000), (500, 100_000)] {
            report(n, d, 0);
            report(n, d, 10);
        }
    }
    let mut g = c.benchmark_group("secagg_session");
    g.sample_size(10);
    for percent in [0u32, 10] {
        let (n, d) = (100u32, 10_000u32);
        let cfg = Config::new(n, n * 2 / 3, d, Modulus::power_of_two(32).expect("2^32")).expect("config");
        let xs = inputs(n, d);
        let dr = drops(n, percent);
        g.bench_with_input(BenchmarkId::new(format!("n{n}_d{d}_drop"), percent), &percent, |bench, _| {
            let mut rng = ChaCha20Rng::seed_from_u64(1);
            bench.iter(|| simulate(cfg, &xs, &dr, &mut rng).expect("session"))
        });
    }
    g.finish();
}

criterion_group!(benches, bench_secagg);
criterion_main!(benches);
