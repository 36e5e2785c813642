//! OT benchmarks: 128 base OTs, and IKNP correlated / random / chosen-message OT
//! throughput in memory (OTs per second, each party's compute measured on its own and
//! both parties run back to back in one thread).
//!
//! Run: `cargo bench -p mpc-benches --bench ot -- --warm-up-time 1 --measurement-time 3`

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use mpc_crypto::{Block, Delta};
use mpc_ot::iknp::{Extend, SetupAnswer, SetupOffer};
use mpc_ot::{base, chosen, cot, rot};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha12Rng;

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
    let (mut sender, answer) = cot::Sender::new(&mut rng, &delta, &offer).unwrap();
    let mut receiver = setup.finish(&answer).unwrap();
    let choices: Vec<bool> = (0..N).map(|_| rng.gen()).collect();
    let mut g = c.benchmark_group("cot");
    g.sample_size(10);
    g.throughput(Throughput::Elements(N as u64));
    g.bench_function("receiver_extend", |b| b.iter(|| receiver.extend(&choices).unwrap()));
    // Fresh messages each iteration (the sender refuses a replayed batch).
    let (setup, offer) = cot::Receiver::new(&mut rng);
    let (mut sender2, answer) = cot::Sender::new(&mut rng, &delta, &offer).unwrap();
    let mut receiver2 = setup.finish(&answer).unwrap();
    g.bench_function("sender_extend", |b| {
        b.iter_batched(
            || receiver2.extend(&choices).unwrap().0.to_bytes(),
            |bytes| sender2.extend(N, &Extend::from_bytes(&bytes).unwrap()).unwrap(),
            BatchSize::PerIteration,
        )
    });
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
    let messages: Vec<[Block; 2]> = (0..N).map(|_| [Block::random(&mut rng), Block::random(&mut rng)]).collect();
    let mut g = c.benchmark_group("chosen_ot");
    g.sample_size(10);
    g.throughput(Throughput::Elements(N as u64));
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
    let mut rng = ChaCha12Rng::seed_from_u64(5);
    let mut m = [0u128; 128];
    for x in m.iter_mut() {
        *x = rng.gen();
    }
    let mut g = c.benchmark_group("transpose");
    g.throughput(Throughput::Elements(128));
    g.bench_function("128x128_portable", |b| {
        b.iter(|| {
            mpc_ot::transpose::transpose128(&mut m);
            m[0]
        })
    });
    g.finish();
}

criterion_group!(benches, bench_base, bench_cot, bench_rot, bench_chosen, bench_transpose);
criterion_main!(benches);
