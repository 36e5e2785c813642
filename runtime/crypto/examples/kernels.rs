//! Nanoseconds per unit of the mpc-crypto kernels under OT extension and the KOS check,
//! as the malicious preprocessing calls them: `cargo run --release -p mpc-crypto
//! --example kernels -- [ROUNDS]`. Prints the median of ROUNDS (default 7) timings of
//! each kernel; a development aid beside the criterion benches (benches/), which build
//! the whole workspace.

use std::hint::black_box;
use std::time::Instant;

use mpc_crypto::columns::ColumnPrgs;
use mpc_crypto::gf128::Accumulator;
use mpc_crypto::transpose::{transpose128, transpose_tiles_append};
use mpc_crypto::{Block, Prg};

/// Median nanoseconds per unit of `units` units done by `f`, over `rounds` timings.
fn time(rounds: usize, units: usize, mut f: impl FnMut()) -> f64 {
    f();
    let mut t: Vec<f64> = (0..rounds)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_secs_f64() * 1e9 / units as f64
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t[t.len() / 2]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rounds: usize = std::env::args().nth(1).map(|s| s.parse()).transpose()?.unwrap_or(7);
    let rounds = rounds.max(1);
    let mut prg = Prg::from_seed_block(Block::from(7u128));
    let mut buf = vec![Block::ZERO; 64];
    let calls = 1 << 14;
    let ns = time(rounds, 64 * calls, || {
        for _ in 0..calls {
            prg.fill_blocks(&mut buf);
            black_box(&mut buf);
        }
    });
    println!("Prg::fill_blocks, 64 blocks a call: {ns:.3} ns/block");

    let aes = mpc_crypto::FixedKeyAes::global();
    let mut hs = Prg::from_seed_block(Block::from(5u128)).blocks(256);
    let ns = time(rounds, 256 * calls, || {
        for i in 0..calls {
            aes.tccr_many(&mut hs, |k| Block::from((i * 256 + k) as u128));
            black_box(&mut hs);
        }
    });
    println!("FixedKeyAes::tccr_many, 256 blocks a call: {ns:.3} ns/block");

    let a = Prg::from_seed_block(Block::from(1u128)).blocks(1 << 16);
    let b = Prg::from_seed_block(Block::from(2u128)).blocks(1 << 16);
    let (a, b): (&[u128], &[u128]) = (bytemuck::cast_slice(&a), bytemuck::cast_slice(&b));
    let ns = time(rounds, a.len() * 16, || {
        for _ in 0..16 {
            let mut acc = Accumulator::new();
            acc.add_products(black_box(a), black_box(b));
            black_box(acc.finish());
        }
    });
    println!("Accumulator::add_products: {ns:.3} ns/term");

    // The KOS check's sums over 2^16 rows: coefficients by counter mode into a buffer
    // then the products and the choice-bit sum, against chi::chi_sums in registers.
    let bits: Vec<u128> = b.chunks(128).map(|c| c[0]).collect();
    let seed = Block::from(9u128);
    let mut chis = vec![Block::ZERO; 1024];
    let ns = time(rounds, a.len() * 16, || {
        for _ in 0..16 {
            let (mut acc, mut x, mut p) = (Accumulator::new(), 0u128, Prg::from_seed_block(seed));
            for (start, rows) in a.chunks(1024).enumerate() {
                p.fill_blocks(&mut chis[..rows.len()]);
                let c: &[u128] = bytemuck::cast_slice(&chis[..rows.len()]);
                acc.add_products(c, rows);
                x ^= mpc_crypto::gf128::select_sum(c, &bits[8 * start..]);
            }
            black_box((acc.finish(), x));
        }
    });
    println!("KOS sums in three passes (ctr, add_products, select_sum): {ns:.3} ns/term");
    let ns = time(rounds, a.len() * 16, || {
        for _ in 0..16 {
            let mut acc = Accumulator::new();
            let x = mpc_crypto::chi::chi_sums(&mut acc, seed, 0, black_box(a), &bits);
            black_box((acc.finish(), x));
        }
    });
    println!("chi::chi_sums: {ns:.3} ns/term");

    let mut m = [0u128; 128];
    for (i, w) in m.iter_mut().enumerate() {
        *w = a[i];
    }
    let ns = time(rounds, 1 << 14, || {
        for _ in 0..1 << 14 {
            transpose128(black_box(&mut m));
        }
    });
    println!("transpose128: {ns:.1} ns/tile");

    // A chunk of 16 tiles as OT extension lays it out since the column PRGs write it
    // tile-major (`mpc_crypto::columns`).
    let tiles = &Prg::from_seed_block(Block::from(3u128)).blocks(128 * 16);
    let mut rows = Vec::with_capacity(128 * 16);
    let ns = time(rounds, 16 * 1024, || {
        for _ in 0..1024 {
            rows.clear();
            transpose_tiles_append(black_box(tiles), &mut rows);
            black_box(&mut rows);
        }
    });
    println!("transpose_tiles_append of 16 tiles: {ns:.1} ns/tile");

    // The column PRGs of one 16-tile chunk: the receiver's two streams with the XOR
    // into `u`, and the sender's one stream with its masked XOR of `u`.
    let seeds: [Block; 128] = core::array::from_fn(|j| Block::from(j as u128 + 11));
    let seeds1: [Block; 128] = core::array::from_fn(|j| Block::from(j as u128 + 500));
    let (p0, p1) = (ColumnPrgs::new(&seeds), ColumnPrgs::new(&seeds1));
    let r = vec![0x5555u128; 16];
    let mut t = vec![Block::ZERO; 128 * 16];
    // The columns sit 13 bytes into the message (its header), as in mpc-ot.
    let mut msg = vec![0u8; 13 + 128 * 16 * 16];
    let u = &mut msg[13..];
    let ns = time(rounds, 16 * 1024, || {
        for i in 0..1024 {
            p0.receiver_chunk(&p1, 16 * i as u128, &r, &mut t, u, 256);
            black_box((&mut t, &mut *u));
        }
    });
    println!("ColumnPrgs::receiver_chunk of 16 tiles (wide: {}): {ns:.1} ns/tile", p0.is_wide());
    let ns = time(rounds, 16 * 1024, || {
        for i in 0..1024 {
            p0.sender_chunk(Block::from(0xf0f0u128), 16 * i as u128, 16, u, 256, &mut t);
            black_box(&mut t);
        }
    });
    println!("ColumnPrgs::sender_chunk of 16 tiles: {ns:.1} ns/tile");
    Ok(())
}
