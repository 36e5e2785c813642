//! Paillier: key generation, encryption (textbook public, CRT with the secret key,
//! DJN fixed-base), CRT decryption, homomorphic add and scalar multiply, at n = 2048 and
//! 3072, plus rayon batch throughput; decryption also on a one-thread pool (per-core cost). Run: `cargo bench -p mpc-benches --bench paillier`.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use mpc_native::paillier::{decrypt_batch, encrypt_batch, BoxedUint, FixedBaseEncryptor, SecretKey};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

fn bench(c: &mut Criterion) {
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    for bits in [2048u32, 3072] {
        let sk = SecretKey::generate(bits, &mut rng).expect("key generation");
        let pk = sk.public_key().clone();
        let fb = FixedBaseEncryptor::new(&pk, &mut rng);
        let m = BoxedUint::from(123_456_789u64);
        let ct = pk.encrypt(&m, &mut rng).expect("encrypt");
        let ct2 = pk.encrypt(&m, &mut rng).expect("encrypt");
        let mut g = c.benchmark_group(format!("paillier_{bits}"));
        g.sample_size(10);
        g.throughput(Throughput::Elements(1));
        g.bench_function("encrypt_public", |b| b.iter(|| pk.encrypt(&m, &mut rng).expect("encrypt")));
        g.bench_function("encrypt_secret_crt", |b| b.iter(|| sk.encrypt(&m, &mut rng).expect("encrypt")));
        g.bench_function("encrypt_fixed_base", |b| b.iter(|| fb.encrypt(&m, &mut rng).expect("encrypt")));
        g.bench_function("decrypt_crt", |b| b.iter(|| sk.decrypt(&ct).expect("decrypt")));
        // The same with both CRT halves on one thread: the per-core cost.
        let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().expect("pool");
        g.bench_function("decrypt_crt_1thread", |b| {
            b.iter(|| one.install(|| sk.decrypt(&ct).expect("decrypt")))
        });
        g.bench_function("add", |b| b.iter(|| pk.add(&ct, &ct2).expect("add")));
        g.bench_function("mul_plain_64bit", |b| b.iter(|| pk.mul_signed(&ct, 1_000_003).expect("mul")));
        g.bench_function("validate", |b| b.iter(|| pk.validate(&ct).expect("valid")));
        let batch: Vec<BoxedUint> = (0..32u64).map(BoxedUint::from).collect();
        g.throughput(Throughput::Elements(batch.len() as u64));
        g.bench_function("encrypt_fixed_base_batch32_rayon", |b| {
            b.iter(|| encrypt_batch(&fb, &batch, &mut rng).expect("encrypt"))
        });
        let cts = encrypt_batch(&fb, &batch, &mut rng).expect("encrypt");
        g.bench_function("decrypt_batch32_rayon", |b| b.iter(|| decrypt_batch(&sk, &cts).expect("decrypt")));
        g.finish();
    }
    let mut g = c.benchmark_group("paillier_keygen");
    g.sample_size(10);
    for bits in [2048u32, 3072] {
        g.bench_function(format!("keygen_{bits}"), |b| {
            b.iter_batched(
                || ChaCha20Rng::seed_from_u64(rand::random()),
                |mut r| SecretKey::generate(bits, &mut r).expect("keygen"),
                BatchSize::PerIteration,
            )
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
