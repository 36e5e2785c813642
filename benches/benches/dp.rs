//! DP benchmarks: exact discrete Laplace and discrete Gaussian samples per second at
//! scales 1, 10 and 1000 (the CKS20 samplers' cost grows slowly with the scale), and
//! the size of the in-circuit noise gadget.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use mpc_circuits::gadgets::dp::{add_distributed_noise, random_bits_needed, NoiseParams};
use mpc_circuits::{Builder, PartyId};
use mpc_native::dp::sample::{discrete_gaussian, discrete_laplace, GaussianParams};
use mpc_native::dp::Rational;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;

fn bench_dp(c: &mut Criterion) {
    let mut g = c.benchmark_group("dp_sample");
    g.throughput(Throughput::Elements(1000));
    for scale in [1u64, 10, 1000] {
        let mut rng = ChaCha20Rng::seed_from_u64(scale);
        g.bench_with_input(BenchmarkId::new("discrete_laplace_x1000", scale), &scale, |b, &s| {
            b.iter(|| (0..1000).map(|_| discrete_laplace(&mut rng, Rational::integer(s))).sum::<i64>())
        });
        let params = GaussianParams::new(Rational::integer(scale * scale)).expect("sigma^2");
        g.bench_with_input(BenchmarkId::new("discrete_gaussian_x1000", scale), &scale, |b, _| {
            b.iter(|| (0..1000).map(|_| discrete_gaussian(&mut rng, &params)).sum::<i64>())
        });
    }
    g.finish();

    for (num, den) in [(1u64, 1u64), (1, 10)] {
        let p = NoiseParams::new(num, den, 1).expect("params");
        let n = random_bits_needed(&p);
        let mut b = Builder::new(&["a", "b"]);
        let v = b.input(PartyId(0), "v", 32);
        let ra = b.input(PartyId(0), "ra", n);
        let rb = b.input(PartyId(1), "rb", n);
        let out = add_distributed_noise(&mut b, &v, &ra, &rb, &p);
        b.output("out", &out);
        let circuit = b.finish().expect("circuit");
        eprintln!(
            "dp gadget epsilon={num}/{den}: {} AND gates, {} random bits per party",
            circuit.and_count(),
            n
        );
    }
}

criterion_group!(benches, bench_dp);
criterion_main!(benches);
