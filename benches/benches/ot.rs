//! OT benchmarks: 128 base OTs, and IKNP correlated / random / chosen-message OT
//! throughput in memory (OTs per second, each party's compute measured on its own and
//! both parties run back to back in one thread).
//!
//! Times are the benchmark thread's *CPU time* (Linux `/proc/thread-self/schedstat`,
//! wall time elsewhere): the machine these numbers come from is shared, and CPU time of
//! single-threaded code is what an idle core would take; criterion's own analysis runs
//! outside the measured region. That clock advances in scheduler ticks (4 ms here), so
//! every benchmark keeps its samples far longer than a tick.
//!
//! Run: `cargo bench -p mpc-benches --bench ot -- --warm-up-time 1 --measurement-time 3`

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use criterion::measurement::{Measurement, ValueFormatter, WallTime};
use criterion::{criterion_group, criterion_main, BatchSize, Throughput};
use mpc_crypto::{Block, Delta};
use mpc_ot::iknp::{Extend, SetupAnswer, SetupOffer};
use mpc_ot::{base, chosen, cot, rot};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha12Rng;

type Criterion = criterion::Criterion<ThreadCpuTime>;

/// Criterion measurement: CPU time of the calling thread, in nanoseconds.
struct ThreadCpuTime;

/// Nanoseconds the current thread has run on a CPU ([`mpc_crypto::thread_cpu_ns`]),
/// or wall time since the first call where that is unavailable.
fn thread_cpu_ns() -> u64 {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    mpc_crypto::thread_cpu_ns().unwrap_or_else(|| EPOCH.get_or_init(Instant::now).elapsed().as_nanos() as u64)
}

impl Measurement for ThreadCpuTime {
    type Intermediate = u64;
    type Value = Duration;

    fn start(&self) -> u64 {
        thread_cpu_ns()
    }

    fn end(&self, start: u64) -> Duration {
        Duration::from_nanos(thread_cpu_ns().saturating_sub(start))
    }

    fn add(&self, a: &Duration, b: &Duration) -> Duration {
        *a + *b
    }

    fn zero(&self) -> Duration {
        Duration::ZERO
    }

    fn to_f64(&self, v: &Duration) -> f64 {
        v.as_nanos() as f64
    }

    fn formatter(&self) -> &dyn ValueFormatter {
        // Same unit (nanoseconds) as wall time, so the same formatter applies.
        WallTime.formatter()
    }
}

/// OTs per extension batch (a 1 MiB extension message). Much larger batches pay for
/// fresh pages on every call (glibc returns big freed blocks to the kernel).
const N: usize = 1 << 16;

fn bench_base(c: &mut Criterion) {
    let mut rng = ChaCha12Rng::seed_from_u64(1);
    let choices: Vec<bool> = (0..128).map(|_| rng.gen()).collect();
    let mut g = c.benchmark_group("base_ot");
    g.sample_size(20);
    // Both parties' compute for 128 base OTs, messages serialized and decoded.
    g.bench_function("128_both_parties", |b| {
        b.iter(|| {
            let (sender, m1) = base::Sender::new(&mut rng, 128).unwrap();
            let m1 = base::SenderSetup::from_bytes(&m1.to_bytes()).unwrap();
            let (m2, keys) = base::receive(&mut rng, &m1, &choices).unwrap();
            let m2 = base::ReceiverReply::from_bytes(&m2.to_bytes()).unwrap();
            (sender.finish(&m2).unwrap(), keys)
        })
    });
    // Each party's own compute: the sender's is `Sender::new` plus decoding the reply and
    // `finish`, the receiver's is decoding the setup plus `receive` and encoding the reply.
    g.bench_function("128_sender", |b| {
        b.iter_batched(
            || {
                let (_, m1) = base::Sender::new(&mut rng, 128).unwrap();
                let (m2, _) = base::receive(&mut rng, &m1, &choices).unwrap();
                m2.to_bytes()
            },
            |reply| {
                // A fresh sender's scalar does not match the reply's `A`, but the work is the same.
                let (sender, m1) = base::Sender::new(&mut ChaCha12Rng::seed_from_u64(3), 128).unwrap();
                let m2 = base::ReceiverReply::from_bytes(&reply).unwrap();
                (m1.to_bytes(), sender.finish(&m2).unwrap())
            },
            BatchSize::SmallInput,
        )
    });
    let mut rng2 = ChaCha12Rng::seed_from_u64(4);
    g.bench_function("128_receiver", |b| {
        b.iter_batched(
            || base::Sender::new(&mut rng, 128).unwrap().1.to_bytes(),
            |setup| {
                let m1 = base::SenderSetup::from_bytes(&setup).unwrap();
                let (m2, keys) = base::receive(&mut rng2, &m1, &choices).unwrap();
                (m2.to_bytes(), keys)
            },
            BatchSize::SmallInput,
        )
    });
    // The full IKNP setup (128 base OTs with the roles of cot).
    let delta = Delta::random(&mut rng);
    g.bench_function("cot_setup_both_parties", |b| {
        b.iter(|| {
            let (setup, offer) = cot::Receiver::new(&mut rng);
            let offer = SetupOffer::from_bytes(&offer.to_bytes()).unwrap();
            let (sender, answer) = cot::Sender::new(&mut rng, &delta, &offer).unwrap();
            let answer = SetupAnswer::from_bytes(&answer.to_bytes()).unwrap();
            (sender, setup.finish(&answer).unwrap())
        })
    });
    g.finish();
}

fn bench_cot(c: &mut Criterion) {
    let mut rng = ChaCha12Rng::seed_from_u64(2);
    let delta = Delta::random(&mut rng);
    let (setup, offer) = cot::Receiver::new(&mut rng);
    let (_, answer) = cot::Sender::new(&mut rng, &delta, &offer).unwrap();
    let mut receiver = setup.finish(&answer).unwrap();
    let choices: Vec<bool> = (0..N).map(|_| rng.gen()).collect();
    let mut g = c.benchmark_group("cot");
    g.sample_size(10);
    g.throughput(Throughput::Elements(N as u64));
    // Each party on its own, on the buffer-reusing path a streaming protocol uses.
    let (mut msg, mut labels) = (Vec::new(), Vec::new());
    g.bench_function("receiver_extend_into", |b| {
        b.iter(|| receiver.extend_into(&choices, &mut msg, &mut labels).unwrap())
    });
    // Fresh messages each iteration (the sender refuses a replayed batch).
    let (setup, offer) = cot::Receiver::new(&mut rng);
    let (mut sender2, answer) = cot::Sender::new(&mut rng, &delta, &offer).unwrap();
    let mut receiver2 = setup.finish(&answer).unwrap();
    let mut zero = Vec::new();
    g.bench_function("sender_extend_into", |b| {
        b.iter_batched_ref(
            || {
                receiver2.extend_into(&choices, &mut msg, &mut labels).unwrap();
                msg.clone()
            },
            |bytes| sender2.extend_into(N, bytes, &mut zero).unwrap(),
            BatchSize::PerIteration,
        )
    });
    // Both parties back to back on the typed API, on a fresh session (the receiver
    // above is ahead of `sender`).
    let (setup, offer) = cot::Receiver::new(&mut rng);
    let (mut sender, answer) = cot::Sender::new(&mut rng, &delta, &offer).unwrap();
    let mut receiver = setup.finish(&answer).unwrap();
    g.bench_function("both_parties_serialized", |b| {
        b.iter(|| {
            let (msg, labels) = receiver.extend(&choices).unwrap();
            let msg = Extend::from_bytes(&msg.to_bytes()).unwrap();
            (sender.extend(N, &msg).unwrap(), labels)
        })
    });
    g.finish();
}

fn bench_rot(c: &mut Criterion) {
    let mut rng = ChaCha12Rng::seed_from_u64(3);
    let (setup, offer) = rot::Receiver::new(&mut rng);
    let (mut sender, answer) = rot::Sender::new(&mut rng, &offer).unwrap();
    let mut receiver = setup.finish(&answer).unwrap();
    let choices: Vec<bool> = (0..N).map(|_| rng.gen()).collect();
    let mut g = c.benchmark_group("rot");
    g.sample_size(10);
    g.throughput(Throughput::Elements(N as u64));
    // Each party on its own (fresh session; the typed API).
    {
        let (setup, offer) = rot::Receiver::new(&mut rng);
        let (_sender, answer) = rot::Sender::new(&mut rng, &offer).unwrap();
        let mut receiver = setup.finish(&answer).unwrap();
        g.bench_function("receiver_extend", |b| b.iter(|| receiver.extend(&choices).unwrap()));
        let (setup, offer) = rot::Receiver::new(&mut rng);
        let (mut sender2, answer) = rot::Sender::new(&mut rng, &offer).unwrap();
        let mut receiver2 = setup.finish(&answer).unwrap();
        g.bench_function("sender_extend", |b| {
            b.iter_batched(
                || receiver2.extend(&choices).unwrap().0,
                |msg| sender2.extend(N, &msg).unwrap(),
                BatchSize::PerIteration,
            )
        });
    }
    g.bench_function("both_parties_serialized", |b| {
        b.iter(|| {
            let (msg, keys) = receiver.extend(&choices).unwrap();
            let msg = Extend::from_bytes(&msg.to_bytes()).unwrap();
            (sender.extend(N, &msg).unwrap(), keys)
        })
    });
    g.finish();
}

fn bench_chosen(c: &mut Criterion) {
    let mut rng = ChaCha12Rng::seed_from_u64(4);
    let (setup, offer) = chosen::Receiver::new(&mut rng);
    let (mut sender, answer) = chosen::Sender::new(&mut rng, &offer).unwrap();
    let mut receiver = setup.finish(&answer).unwrap();
    let choices: Vec<bool> = (0..N).map(|_| rng.gen()).collect();
    let messages: Vec<[Block; 2]> =
        (0..N).map(|_| [Block::random(&mut rng), Block::random(&mut rng)]).collect();
    let mut g = c.benchmark_group("chosen_ot");
    g.sample_size(10);
    g.throughput(Throughput::Elements(N as u64));
    // The sender's part on its own (fresh session).
    {
        let (setup, offer) = chosen::Receiver::new(&mut rng);
        let (mut sender2, answer) = chosen::Sender::new(&mut rng, &offer).unwrap();
        let mut receiver2 = setup.finish(&answer).unwrap();
        g.bench_function("sender_send", |b| {
            b.iter_batched(
                || receiver2.extend(&choices).unwrap().0,
                |msg| sender2.send(&messages, &msg).unwrap(),
                BatchSize::PerIteration,
            )
        });
    }
    g.bench_function("both_parties_serialized", |b| {
        b.iter(|| {
            let (msg, pending) = receiver.extend(&choices).unwrap();
            let msg = Extend::from_bytes(&msg.to_bytes()).unwrap();
            let t = sender.send(&messages, &msg).unwrap();
            let t = chosen::Transfer::from_bytes(&t.to_bytes()).unwrap();
            receiver.receive(pending, &t).unwrap()
        })
    });
    g.finish();
}

fn bench_transpose(c: &mut Criterion) {
    // 512 tiles per iteration so that each sample spans many scheduler ticks (the CPU
    // clock advances in ticks).
    const TILES: usize = 512;
    let mut rng = ChaCha12Rng::seed_from_u64(5);
    let mut m: Vec<[u128; 128]> = (0..TILES).map(|_| core::array::from_fn(|_| rng.gen())).collect();
    let mut g = c.benchmark_group("transpose");
    g.sample_size(10);
    g.throughput(Throughput::Elements((128 * TILES) as u64));
    g.bench_function("128x128_portable_x512", |b| {
        b.iter(|| {
            for t in m.iter_mut() {
                mpc_ot::transpose::transpose128(t);
            }
            m[0][0]
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = criterion::Criterion::default().with_measurement(ThreadCpuTime);
    targets = bench_base, bench_cot, bench_rot, bench_chosen, bench_transpose
}
criterion_main!(benches);
