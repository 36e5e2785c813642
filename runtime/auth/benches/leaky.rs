//! The preprocessing's local work per leaky-AND layer, one core, no channel: one
//! party's half-gate rows, its evaluation of the peer's rows, the finish into the
//! equality digest, the digest alone, and an opening of authenticated bits with its
//! check. A layer of 32,000 candidates (one of AES-128 x 100's chunks); random shares
//! (the work does not depend on their consistency). Each iteration allocates its
//! outputs afresh (512 KB of rows and as much of `Partial` per `tables`), so the
//! page faults of first touch are in the times, as in a cold process; in a session
//! the allocator mostly hands back memory a previous chunk freed.
//! `cargo bench -p mpc-auth --bench leaky`; throughput in candidates (or shares).

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use mpc_auth::feq::EqDigest;
use mpc_auth::leaky_and::Layer;
use mpc_auth::shares::AuthShares;
use mpc_auth::{pin_delta, Role};
use mpc_crypto::Block;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha12Rng;

const N: usize = 32_000;

fn shares(rng: &mut ChaCha12Rng, n: usize) -> AuthShares {
    AuthShares {
        bits: (0..n).map(|_| rng.gen()).collect(),
        macs: (0..n).map(|_| Block::random(rng)).collect(),
        keys: (0..n).map(|_| Block::random(rng)).collect(),
    }
}

fn layer(rng: &mut ChaCha12Rng) -> Layer {
    Layer { a: shares(rng, N), b: shares(rng, N), r: shares(rng, N), first_index: 1 << 20 }
}

fn leaky(c: &mut Criterion) {
    let mut rng = ChaCha12Rng::seed_from_u64(1);
    let role = Role::Garbler;
    let delta = pin_delta(role, Block::random(&mut rng));
    let mine = layer(&mut rng);
    let peer = layer(&mut rng);
    let peer_delta = pin_delta(role.peer(), Block::random(&mut rng));
    let (peer_tables, peer_partial) = peer.tables(role.peer(), &peer_delta).expect("a well-shaped layer");
    let (my_tables, _) = mine.tables(role, &delta).expect("a well-shaped layer");
    let (_, peer_bits) =
        peer.evaluate(role.peer(), peer_partial, &my_tables).expect("rows of the right size");

    let mut g = c.benchmark_group("auth-leaky/layer");
    g.throughput(Throughput::Elements(N as u64));
    g.bench_function("tables", |b| b.iter(|| mine.tables(role, &delta).expect("shaped")));
    g.bench_function("evaluate", |b| {
        b.iter_batched(
            || mine.tables(role, &delta).expect("shaped").1,
            |partial| mine.evaluate(role, partial, &peer_tables).expect("rows"),
            BatchSize::LargeInput,
        )
    });
    g.bench_function("finish", |b| {
        b.iter_batched(
            || {
                let partial = mine.tables(role, &delta).expect("shaped").1;
                (mine.clone(), mine.evaluate(role, partial, &peer_tables).expect("rows").0)
            },
            |(l, s)| {
                let mut check = EqDigest::new();
                let t = l.finish(role, &delta, s, &peer_bits, &mut check).expect("bits");
                (t, check.finalize())
            },
            BatchSize::LargeInput,
        )
    });
    g.bench_function("all three", |b| {
        b.iter_batched(
            || mine.clone(),
            |l| {
                let (_rows, partial) = l.tables(role, &delta).expect("shaped");
                let (s, _bits) = l.evaluate(role, partial, &peer_tables).expect("rows");
                let mut check = EqDigest::new();
                let t = l.finish(role, &delta, s, &peer_bits, &mut check).expect("bits");
                (t, check.finalize())
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();

    let stream: Vec<u8> = (0..16 * N).map(|_| rng.gen()).collect();
    let mut g = c.benchmark_group("auth-leaky/eq-digest");
    g.throughput(Throughput::Bytes(stream.len() as u64));
    g.bench_function("16 bytes per candidate", |b| {
        b.iter(|| {
            let mut d = EqDigest::new();
            d.update(&stream);
            d.finalize()
        })
    });
    g.finish();

    let opened = shares(&mut rng, N);
    let opening = opened.open("bench");
    let mut g = c.benchmark_group("auth-leaky/opening");
    g.throughput(Throughput::Elements(N as u64));
    g.bench_function("open", |b| b.iter(|| opened.open("bench")));
    // The check fails (random shares): the same work as a passing one.
    g.bench_function("check", |b| b.iter(|| opened.check_open(&delta, "bench", &opening).is_err()));
    g.finish();
}

criterion_group!(benches, leaky);
criterion_main!(benches);
