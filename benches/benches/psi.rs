//! PSI benchmarks: the whole ECDH-PSI protocol (both parties, two threads over an
//! in-memory channel) for 2^12 and 2^16 items per side with half the items shared,
//! and the per-item hash-to-group cost (one core). Bytes per side are printed
//! once per size. 2^20 items run only with `MPC_BENCH_LARGE=1` (about a minute of
//! core time per side per iteration).

use std::thread;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use mpc_native::psi::{self, Mode, Role};
use mpc_net::MemoryChannel;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;

fn sets(n: usize) -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
    let a = (0..n).map(|i| format!("user-{i}@example.com").into_bytes()).collect();
    let b = (n / 2..n + n / 2).map(|i| format!("user-{i}@example.com").into_bytes()).collect();
    (a, b)
}

fn run_once(a: Vec<Vec<u8>>, b: Vec<Vec<u8>>, mode: Mode) -> (u64, u64) {
    let (mut ca, mut cb) = MemoryChannel::pair();
    let h = thread::spawn(move || {
        let mut rng = ChaCha20Rng::seed_from_u64(2);
        psi::run(&mut cb, Role::Connector, mode, b, &mut rng).expect("connector")
    });
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let ra = psi::run(&mut ca, Role::Listener, mode, a, &mut rng).expect("listener");
    let rb = h.join().expect("thread");
    (ra.bytes_sent, rb.bytes_sent)
}

fn bench_psi(c: &mut Criterion) {
    let mut sizes = vec![1usize << 12, 1 << 16];
    if std::env::var("MPC_BENCH_LARGE").is_ok() {
        sizes.push(1 << 20);
    }
    let mut g = c.benchmark_group("psi");
    g.sample_size(10);
    for &n in &sizes {
        let (a, b) = sets(n);
        let (sa, sb) = run_once(a.clone(), b.clone(), Mode::Intersection);
        eprintln!("psi n={n}: listener sent {sa} bytes, connector sent {sb} bytes");
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::new("intersection", n), &n, |bench, _| {
            bench.iter(|| run_once(a.clone(), b.clone(), Mode::Intersection))
        });
    }
    g.finish();

    let mut g = c.benchmark_group("psi_item");
    let items: Vec<Vec<u8>> = (0..1024).map(|i| format!("item-{i}").into_bytes()).collect();
    g.throughput(Throughput::Elements(items.len() as u64));
    g.bench_function("hash_to_ristretto255_1024", |bench| {
        bench.iter(|| {
            items
                .iter()
                .map(|i| psi::hash_to_ristretto255(i, b"bench-dst").expect("hash"))
                .collect::<Vec<_>>()
        })
    });
    g.finish();
}

criterion_group!(benches, bench_psi);
criterion_main!(benches);
