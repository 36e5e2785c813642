//! Sigma proofs: prove and verify for Schnorr and Chaum-Pedersen, OR proofs, and batch
//! verification of 64 Schnorr proofs. Run: `cargo bench -p mpc-benches --bench zk`.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use mpc_native::zk::{self, Point, ProofContext, Statement};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

const CTX: ProofContext<'static> = ProofContext { protocol: b"bench/v1", session: b"s" };

fn bench(c: &mut Criterion) {
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let mut g = c.benchmark_group("zk");
    let (x, p) = zk::keypair(&mut rng);
    let dlog = Statement::dlog_generator(p);
    // A second base with unknown log is not needed for timing; any point will do.
    let (_, h): (_, Point) = zk::keypair(&mut rng);
    let eq = Statement::dlog_eq(zk::public_point(&zk::SecretScalar::ONE), p, h, h * x);
    g.bench_function("schnorr_prove", |b| b.iter(|| zk::prove(&CTX, &dlog, &x, &mut rng).expect("prove")));
    let proof = zk::prove(&CTX, &dlog, &x, &mut rng).expect("prove");
    g.bench_function("schnorr_verify", |b| b.iter(|| zk::verify(&CTX, &dlog, &proof).expect("verify")));
    g.bench_function("chaum_pedersen_prove", |b| {
        b.iter(|| zk::prove(&CTX, &eq, &x, &mut rng).expect("prove"))
    });
    let cp = zk::prove(&CTX, &eq, &x, &mut rng).expect("prove");
    g.bench_function("chaum_pedersen_verify", |b| b.iter(|| zk::verify(&CTX, &eq, &cp).expect("verify")));
    let (_, other) = zk::keypair(&mut rng);
    let other = Statement::dlog_generator(other);
    g.bench_function("or_prove", |b| {
        b.iter(|| zk::prove_or(&CTX, [&other, &dlog], 1, &x, &mut rng).expect("prove"))
    });
    let orp = zk::prove_or(&CTX, [&other, &dlog], 1, &x, &mut rng).expect("prove");
    g.bench_function("or_verify", |b| b.iter(|| zk::verify_or(&CTX, [&other, &dlog], &orp).expect("verify")));
    let items: Vec<(Statement, zk::Proof)> = (0..64)
        .map(|_| {
            let (x, p) = zk::keypair(&mut rng);
            let st = Statement::dlog_generator(p);
            let pr = zk::prove(&CTX, &st, &x, &mut rng).expect("prove");
            (st, pr)
        })
        .collect();
    let refs: Vec<_> = items.iter().map(|(s, p)| (CTX, s, p)).collect();
    g.throughput(Throughput::Elements(64));
    g.bench_function("schnorr_verify_64_individually", |b| {
        b.iter(|| refs.iter().for_each(|(c, s, p)| zk::verify(c, s, p).expect("verify")))
    });
    g.bench_function("schnorr_batch_verify_64", |b| {
        b.iter(|| zk::batch_verify(&refs, &mut rng).expect("verify"))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
