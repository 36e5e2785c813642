//! The per-instance compute of authenticated garbling on AES-128 (6,400 AND gates),
//! one core, no channel: a party's wire masks, both parties' Beaver step (openings and
//! their MAC checks), the garbler's tables and the evaluator's walk, on a dealt
//! instance (`mpc_auth::dealer::Online`, not the preprocessing protocol).
//! `cargo bench -p mpc-auth --bench online`; throughput in AND gates.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use mpc_auth::dealer::Online;
use mpc_auth::Role;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha12Rng;

const AES_128: &str = include_str!("../../garble/tests/vectors/aes_128.txt");

fn online(c: &mut Criterion) {
    let circuit = mpc_circuits::bristol::read(AES_128).expect("the vendored AES-128 circuit parses");
    let mut rng = ChaCha12Rng::seed_from_u64(1);
    let inputs: Vec<bool> = (0..circuit.num_input_wires()).map(|_| rng.gen()).collect();
    let inst = Online::deal(&circuit, &inputs, &mut rng);
    let tables = inst.garble().tables;
    let mut g = c.benchmark_group("auth-online/aes128");
    g.throughput(Throughput::Elements(inst.and_count() as u64));
    g.bench_function("wire masks (garbler)", |b| b.iter(|| inst.wire_masks(Role::Garbler)));
    g.bench_function("Beaver step (both parties)", |b| b.iter(|| inst.beaver()));
    g.bench_function("garble", |b| b.iter(|| inst.garble()));
    g.bench_function("evaluate", |b| b.iter(|| inst.evaluate(&tables).expect("honest tables")));
    g.finish();
}

criterion_group!(benches, online);
criterion_main!(benches);
