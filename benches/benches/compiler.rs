//! Compile-time benchmark: a loop-heavy program of about 10^6 AND gates (1,024 32-bit
//! multiply-accumulates), from source text to an optimised circuit. Reports time per
//! compile; divide by the printed AND count for time per gate.

use criterion::{criterion_group, criterion_main, Criterion};
use mpc_compiler::{compile, Options};

const PROGRAM: &str = r"
party alice;
party bob;
fn main(xs: [u32; 64] @alice, ys: [u32; 64] @bob) -> u32 {
    let mut acc: u32 = 0;
    for i in 0..64 {
        for j in 0..16 {
            acc += xs[i] * ys[(i + j * 3) % 64];
        }
    }
    acc
}
";

fn bench(c: &mut Criterion) {
    let (circuit, diags) = compile(PROGRAM, &Options::default());
    let circuit = circuit.unwrap_or_else(|| panic!("bench program must compile: {diags:?}"));
    eprintln!("compiler bench program: {} AND gates, {} gates", circuit.and_count(), circuit.gates().len());
    let mut g = c.benchmark_group("compiler");
    g.sample_size(10);
    g.bench_function("compile_1m_and", |b| {
        b.iter(|| compile(PROGRAM, &Options::default()).0.map(|c| c.and_count()))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
