//! Nanoseconds per unit of the mpc-crypto kernels under OT extension and the KOS check,
//! as the malicious preprocessing calls them: `cargo run --release -p mpc-crypto
//! --example kernels -- [ROUNDS]`. Prints the median of ROUNDS (default 7) timings of
//! each kernel; a development aid beside the criterion benches (benches/), which build
//! the whole workspace.

use std::hint::black_box;
use std::time::Instant;

use mpc_crypto::gf128::Accumulator;
use mpc_crypto::transpose::{transpose128, transpose128_append, transpose_columns_append};
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

    // 64 tiles of columns as OT extension lays them out (column j's blocks together).
    let cols = &Prg::from_seed_block(Block::from(3u128)).blocks(128 * 64);
    let mut rows = Vec::with_capacity(128 * 64);
    let ns = time(rounds, 64 * 256, || {
        for _ in 0..256 {
            rows.clear();
            for k in 0..64 {
                transpose128_append(black_box(cols), k, 64, &mut rows);
            }
            black_box(&mut rows);
        }
    });
    println!("transpose128_append from 64-tile columns: {ns:.1} ns/tile");
    let ns = time(rounds, 64 * 256, || {
        for _ in 0..256 {
            rows.clear();
            let mut tile = [0u128; 128];
            for k in 0..64 {
                for (j, x) in tile.iter_mut().enumerate() {
                    *x = cols[j * 64 + k].to_u128();
                }
                transpose128(&mut tile);
                rows.extend(tile.iter().map(|&w| Block::from_u128(w)));
            }
            black_box(&mut rows);
        }
    });
    println!("the same through a tile and transpose128: {ns:.1} ns/tile");
    let ns = time(rounds, 64 * 256, || {
        for _ in 0..256 {
            rows.clear();
            transpose_columns_append(black_box(cols), 64, &mut rows);
            black_box(&mut rows);
        }
    });
    println!("transpose_columns_append of 64 tiles: {ns:.1} ns/tile");
    Ok(())
}
