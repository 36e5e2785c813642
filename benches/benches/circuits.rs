//! Benchmarks of mpc-circuits: the bit-sliced plaintext evaluator (gates per second
//! on the published AES-128 circuit, 64 input sets per pass) and the Bristol Fashion
//! reader (MB/s on aes_128.txt and sha256.txt), plus building our AES-128 gadget.
//!
//! Run: `cargo bench -p mpc-benches --bench circuits -- --warm-up-time 1 --measurement-time 3`

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use mpc_circuits::{bristol, eval, passes, Builder, PartyId};
use rand::{Rng, SeedableRng};

const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../circuits/tests/vectors/bristol");

fn read(name: &str) -> String {
    std::fs::read_to_string(format!("{VECTORS}/{name}")).expect("vector files are in the repository")
}

fn evaluator(c: &mut Criterion) {
    let aes = bristol::read(&read("aes_128.txt")).expect("aes_128.txt parses");
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    let lanes: Vec<u64> = (0..aes.num_input_wires()).map(|_| rng.gen()).collect();
    let mut g = c.benchmark_group("eval");
    g.throughput(Throughput::Elements(aes.gates().len() as u64));
    g.bench_function("aes_128 (64 lanes), gates", |b| b.iter(|| eval::eval_lanes(&aes, &lanes).unwrap()));
    let opt = passes::optimize(&aes);
    g.throughput(Throughput::Elements(opt.gates().len() as u64));
    g.bench_function("aes_128 optimized (64 lanes), gates", |b| {
        b.iter(|| eval::eval_lanes(&opt, &lanes).unwrap())
    });
    let sha = bristol::read(&read("sha256.txt")).expect("sha256.txt parses");
    let lanes: Vec<u64> = (0..sha.num_input_wires()).map(|_| rng.gen()).collect();
    g.throughput(Throughput::Elements(sha.gates().len() as u64));
    g.bench_function("sha256 (64 lanes), gates", |b| b.iter(|| eval::eval_lanes(&sha, &lanes).unwrap()));
    g.finish();
}

fn reader(c: &mut Criterion) {
    let mut g = c.benchmark_group("bristol");
    for name in ["aes_128.txt", "sha256.txt"] {
        let text = read(name);
        g.throughput(Throughput::Bytes(text.len() as u64));
        g.bench_function(format!("read {name}"), |b| b.iter(|| bristol::read(&text).unwrap()));
    }
    let aes = bristol::read(&read("aes_128.txt")).expect("aes_128.txt parses");
    g.throughput(Throughput::Elements(aes.gates().len() as u64));
    g.bench_function("write aes_128, gates", |b| b.iter(|| bristol::write_fashion(&aes)));
    g.finish();
}

fn build_and_passes(c: &mut Criterion) {
    let mut g = c.benchmark_group("build");
    g.bench_function("aes128 gadget", |b| {
        b.iter(|| {
            let mut bl = Builder::new(&["a", "b"]);
            let k = bl.input(PartyId(0), "key", 128);
            let x = bl.input(PartyId(1), "block", 128);
            let y = mpc_circuits::gadgets::aes::aes128(&mut bl, &k, &x);
            bl.output("y", &y);
            bl.finish().unwrap()
        })
    });
    let aes = bristol::read(&read("aes_128.txt")).expect("aes_128.txt parses");
    g.bench_function("optimize aes_128", |b| {
        b.iter_batched(|| aes.clone(), |c| passes::optimize(&c), BatchSize::LargeInput)
    });
    g.finish();
}

criterion_group!(benches, evaluator, reader, build_and_passes);
criterion_main!(benches);
