//! Shamir: split and combine of byte strings (GF(2^8), 3-of-5) per MiB and of field
//! elements (2^61-1, ristretto255 scalars), Feldman dealing and share verification.
//! Run: `cargo bench -p mpc-benches --bench shamir`.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use mpc_native::shamir::{self, feldman, Field, Fp61, Scalar25519};
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;

fn bench(c: &mut Criterion) {
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let mut g = c.benchmark_group("shamir");
    g.sample_size(10);
    let mut secret = vec![0u8; 1 << 20];
    rng.fill_bytes(&mut secret);
    g.throughput(Throughput::Bytes(secret.len() as u64));
    g.bench_function("split_bytes_3of5_1MiB", |b| {
        b.iter(|| shamir::split_bytes(&secret, 3, 5, &mut rng).expect("split"))
    });
    let shares = shamir::split_bytes(&secret, 3, 5, &mut rng).expect("split");
    g.bench_function("combine_bytes_3of5_1MiB", |b| {
        b.iter(|| shamir::reconstruct_bytes(&shares[..3]).expect("combine"))
    });
    g.bench_function("combine_bytes_5of5_checked_1MiB", |b| {
        b.iter(|| shamir::reconstruct_bytes(&shares).expect("combine"))
    });
    let fp: Vec<Fp61> = (0..1024u64).map(Fp61::from_u64).collect();
    g.throughput(Throughput::Elements(fp.len() as u64));
    g.bench_function("split_fp61_1024_elems_3of5", |b| {
        b.iter(|| shamir::split(&fp, 3, 5, &mut rng).expect("split"))
    });
    let fps = shamir::split(&fp, 3, 5, &mut rng).expect("split");
    g.bench_function("combine_fp61_1024_elems_3of5", |b| {
        b.iter(|| shamir::reconstruct(&fps[..3]).expect("combine"))
    });
    let sc: Vec<Scalar25519> = (0..1024).map(|_| Scalar25519::random(&mut rng)).collect();
    g.bench_function("split_r255_1024_elems_3of5", |b| {
        b.iter(|| shamir::split(&sc, 3, 5, &mut rng).expect("split"))
    });
    g.throughput(Throughput::Elements(1));
    let s = Scalar25519::random(&mut rng).0;
    g.bench_function("feldman_split_3of5", |b| b.iter(|| feldman::split(&s, 3, 5, &mut rng).expect("split")));
    let (fs, comms) = feldman::split(&s, 3, 5, &mut rng).expect("split");
    g.bench_function("feldman_verify_share_t3", |b| {
        b.iter(|| feldman::verify_share(&comms, &fs[4]).expect("ok"))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
