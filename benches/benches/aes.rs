//! Fixed-key AES and the hashes over it (mpc-crypto): raw blocks/s through the fused
//! AES-NI kernel and through the `aes` crate, TCCR/CCR/CR hashes/s, and the AES-CTR PRG.
//! Run: `cargo bench -p mpc-benches --bench aes -- --warm-up-time 1 --measurement-time 3`.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use mpc_crypto::{Block, FixedKeyAes, Prg};

const N: usize = 1024;

fn bench(c: &mut Criterion) {
    let aes = FixedKeyAes::global();
    let mut buf: Vec<Block> = (0..N as u128).map(Block::from_u128).collect();
    let mut g = c.benchmark_group("fixed_key_aes");
    g.throughput(Throughput::Elements(N as u64));
    g.bench_function("permute_many (fused kernel)", |b| b.iter(|| aes.permute_many(&mut buf)));
    g.bench_function("permute_many (aes crate)", |b| b.iter(|| aes.permute_many_aes_crate(&mut buf)));
    g.bench_function("tccr_many", |b| b.iter(|| aes.tccr_many(&mut buf, |k| Block::from(k as u64))));
    let portable = FixedKeyAes::default().without_fused_kernel();
    g.bench_function("tccr_many (aes crate, no fused kernel)", |b| {
        b.iter(|| portable.tccr_many(&mut buf, |k| Block::from(k as u64)))
    });
    g.bench_function("ccr_many", |b| b.iter(|| aes.ccr_many(&mut buf)));
    g.bench_function("cr_many", |b| b.iter(|| aes.cr_many(&mut buf)));
    let mut prg = Prg::from_seed_block(Block::from_u128(1));
    g.bench_function("prg fill_blocks", |b| b.iter(|| prg.fill_blocks(&mut buf)));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
