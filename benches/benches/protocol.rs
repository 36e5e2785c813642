//! End-to-end two-party protocol benchmarks over loopback TCP: the whole session
//! (TCP connect, hello with circuit digest, 128 base OTs, IKNP extension for the
//! evaluator's inputs, streamed half-gate tables, output decoding) for AES-128 and the
//! SHA-256 compression function (the Bristol circuits) and the auction example, with the
//! two parties on two threads of this process, also 100 AES / 20 SHA-256 instances in one
//! session; and one run of a 10^7-AND circuit with each party in its own
//! process (this binary re-executed), reporting AND gates/s and each party's peak
//! RSS (`VmHWM`). Also IKNP correlated-OT throughput over loopback TCP: the receiver
//! (evaluator) streams batches of 2^16 OTs (`extend_into`, reused buffers, 16 bytes
//! per OT on the wire) to the sender (garbler) on another thread; the clock runs from
//! the first batch to the sender's acknowledgement of the last (base OTs excluded).
//!
//! Run: `cargo bench -p mpc-benches --bench protocol -- --warm-up-time 1 --measurement-time 3`
//! (`MPC_BENCH_SKIP_BIG=1` skips the 10^7-AND run).

use std::net::TcpListener;
use std::process::Command;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use mpc_circuits::{Circuit, Gate, InputGroup, OutputGroup, PartyId, Reveal, ValueType, WireId};
use mpc_crypto::Delta;
use mpc_net::{Channel, TcpChannel, TcpListenerChannel};
use mpc_ot::cot;
use mpc_ot::iknp::{Extend, SetupAnswer, SetupOffer};
use mpc_runtime::{
    run_evaluator, run_evaluator_many, run_garbler, run_garbler_many, ManyOutput, SessionOptions,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha12Rng;

const PARTY_ENV: &str = "MPC_PROTOCOL_BENCH_PARTY";
const TIMEOUT: Duration = Duration::from_secs(60);

fn own_inputs(c: &Circuit, party: u8, rng: &mut ChaCha12Rng) -> Vec<Vec<bool>> {
    c.inputs()
        .iter()
        .filter(|g| g.party.0 == party)
        .map(|g| (0..g.ty.width()).map(|_| rng.gen()).collect())
        .collect()
}

/// `k` instances of `c` in one session over a fresh loopback TCP connection.
fn session_many(c: &Circuit, k: usize) -> (ManyOutput, ManyOutput) {
    let mut rng = ChaCha12Rng::seed_from_u64(1);
    let g_in: Vec<_> = (0..k).map(|_| own_inputs(c, 0, &mut rng)).collect();
    let e_in: Vec<_> = (0..k).map(|_| own_inputs(c, 1, &mut rng)).collect();
    let listener = TcpListenerChannel::bind("127.0.0.1:0").expect("bind loopback");
    let addr = listener.local_addr().expect("bound").to_string();
    std::thread::scope(|s| {
        let g = s.spawn(move || {
            let mut ch = listener.accept(TIMEOUT).expect("accept");
            run_garbler_many(&mut ch, c, &g_in, &SessionOptions::default()).expect("garbler")
        });
        let mut ch = TcpChannel::connect(&addr, TIMEOUT).expect("connect");
        let e = run_evaluator_many(&mut ch, c, &e_in, &SessionOptions::default()).expect("evaluator");
        (g.join().expect("garbler thread"), e)
    })
}

fn aes() -> Circuit {
    let text = include_str!("../../circuits/tests/vectors/bristol/aes_128.txt");
    // Level-scheduled, as `mpc run` / `mpc local` do with a Bristol file.
    mpc_circuits::passes::schedule_levels(
        &mpc_circuits::bristol::read(text).expect("the published AES circuit parses"),
    )
}

fn sha256() -> Circuit {
    let text = include_str!("../../circuits/tests/vectors/bristol/sha256.txt");
    mpc_circuits::passes::schedule_levels(
        &mpc_circuits::bristol::read(text).expect("the published SHA-256 circuit parses"),
    )
}

fn auction() -> Circuit {
    let src = include_str!("../../examples/auction.mpc");
    mpc_compiler::compile(src, &mpc_compiler::Options::default()).0.expect("the auction example compiles")
}

fn report(name: &str, c: &Circuit) {
    let (g, e) = session_many(c, 1);
    println!(
        "{name}: {} AND; garbler sent {} B, evaluator sent {} B; rounds garbler {} / evaluator {}; one session {:.2} ms",
        c.and_count(),
        g.stats.bytes_sent,
        e.stats.bytes_sent,
        g.stats.rounds,
        e.stats.rounds,
        e.stats.elapsed.as_secs_f64() * 1e3
    );
}

fn bench_sessions(crit: &mut Criterion) {
    let mut group = crit.benchmark_group("protocol_loopback");
    for (name, c) in [("aes128", aes()), ("sha256", sha256()), ("auction", auction())] {
        report(name, &c);
        group.throughput(Throughput::Elements(c.and_count() as u64));
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let start = Instant::now();
                for _ in 0..iters {
                    session_many(&c, 1);
                }
                start.elapsed()
            })
        });
    }
    // Many instances in one session (one OT setup): the per-circuit cost.
    for (name, c, k) in [("aes128", aes(), 100), ("sha256", sha256(), 20)] {
        let (g, e) = session_many(&c, k);
        println!(
            "{name} x{k} in one session: {:.2} ms in all, {:.0} us per circuit; garbler sent {} B, evaluator sent {} B",
            e.stats.elapsed.as_secs_f64() * 1e3,
            e.stats.elapsed.as_secs_f64() * 1e6 / k as f64,
            g.stats.bytes_sent,
            e.stats.bytes_sent
        );
        group.throughput(Throughput::Elements((k * c.and_count()) as u64));
        group.bench_function(format!("{name}_x{k}_one_session"), |b| {
            b.iter_custom(|iters| {
                let start = Instant::now();
                for _ in 0..iters {
                    session_many(&c, k);
                }
                start.elapsed()
            })
        });
    }
    group.finish();
}

fn recv_frame(ch: &mut TcpChannel) -> Vec<u8> {
    let mut len = [0u8; 8];
    ch.recv_exact(&mut len).expect("frame length");
    let mut buf = vec![0u8; u64::from_le_bytes(len) as usize];
    ch.recv_exact(&mut buf).expect("frame");
    buf
}

fn send_frame(ch: &mut TcpChannel, data: &[u8]) {
    ch.send(&(data.len() as u64).to_le_bytes()).expect("send");
    ch.send(data).expect("send");
}

/// `batches` batches of `batch` correlated OTs over a fresh loopback connection (setup
/// not timed); returns the time from the first batch to the last one's acknowledgement.
fn cot_tcp(batches: u64, batch: usize) -> Duration {
    let listener = TcpListenerChannel::bind("127.0.0.1:0").expect("bind loopback");
    let addr = listener.local_addr().expect("bound").to_string();
    std::thread::scope(|s| {
        s.spawn(move || {
            let mut rng = ChaCha12Rng::seed_from_u64(3);
            let mut ch = listener.accept(TIMEOUT).expect("accept");
            let delta = Delta::random(&mut rng);
            let offer = SetupOffer::from_bytes(&recv_frame(&mut ch)).expect("offer");
            let (mut sender, answer) = cot::Sender::new(&mut rng, &delta, &offer).expect("setup");
            send_frame(&mut ch, &answer.to_bytes());
            ch.flush().expect("flush");
            let mut msg = vec![0u8; Extend::encoded_len_for(batch)];
            let mut keys = Vec::new();
            for _ in 0..batches {
                ch.recv_exact(&mut msg).expect("extension message");
                sender.extend_into(batch, &msg, &mut keys).expect("extend");
            }
            std::hint::black_box(&keys);
            ch.send(&[1]).expect("ack");
            ch.flush().expect("flush");
        });
        let mut rng = ChaCha12Rng::seed_from_u64(4);
        let mut ch = TcpChannel::connect(&addr, TIMEOUT).expect("connect");
        let (setup, offer) = cot::Receiver::new(&mut rng);
        send_frame(&mut ch, &offer.to_bytes());
        ch.flush().expect("flush");
        let answer = SetupAnswer::from_bytes(&recv_frame(&mut ch)).expect("answer");
        let mut receiver = setup.finish(&answer).expect("finish");
        let choices: Vec<bool> = (0..batch).map(|_| rng.gen()).collect();
        let (mut msg, mut labels) = (Vec::new(), Vec::new());
        let start = Instant::now();
        for _ in 0..batches {
            receiver.extend_into(&choices, &mut msg, &mut labels).expect("extend");
            ch.send(&msg).expect("send");
            ch.flush().expect("flush");
        }
        let mut ack = [0u8; 1];
        ch.recv_exact(&mut ack).expect("ack");
        std::hint::black_box(&labels);
        start.elapsed()
    })
}

fn bench_ot_tcp(crit: &mut Criterion) {
    let batch = 1 << 16;
    let mut group = crit.benchmark_group("cot_loopback_tcp");
    group.throughput(Throughput::Elements(batch as u64));
    group.bench_function("batch_2^16", |b| b.iter_custom(|iters| cot_tcp(iters, batch)));
    group.finish();
    let n = 256u64;
    let t = cot_tcp(n, batch);
    println!(
        "correlated OT over loopback TCP: {} OTs in {:.3} s = {:.1}M OTs/s ({} B on the wire per OT)",
        n * batch as u64,
        t.as_secs_f64(),
        (n * batch as u64) as f64 / t.as_secs_f64() / 1e6,
        Extend::encoded_len_for(batch) as f64 / batch as f64
    );
}

/// A layered circuit of `layers` x `width` AND gates (each gate reads two wires of
/// the previous layer), built directly (no structural hashing), half the inputs each.
fn big_circuit(width: u32, layers: u32) -> Circuit {
    let half = width / 2;
    let inputs = vec![
        InputGroup { name: "x".into(), party: PartyId(0), ty: ValueType::UInt(half) },
        InputGroup { name: "y".into(), party: PartyId(1), ty: ValueType::UInt(width - half) },
    ];
    let mut gates = Vec::with_capacity((width * layers) as usize);
    for l in 0..layers {
        let (prev, cur) = (l * width, (l + 1) * width);
        for i in 0..width {
            let a = WireId(prev + i);
            let b = WireId(prev + (i * 7 + 1) % width);
            gates.push(Gate::And { a, b, out: WireId(cur + i) });
        }
    }
    let last = layers * width;
    let outputs = vec![OutputGroup {
        name: "z".into(),
        ty: ValueType::UInt(128),
        reveal: Reveal::All,
        wires: (0..128).map(|i| WireId(last + i)).collect(),
    }];
    Circuit::new((layers + 1) * width, vec!["p0".into(), "p1".into()], inputs, outputs, gates)
        .expect("the layered circuit is valid")
}

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:"))?.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(0)
}

/// Child process: one party of the 10^7-AND session.
fn party_process(spec: &str) {
    let (role, addr) = spec.split_once(' ').expect("ROLE ADDR");
    let c = big_circuit(1024, 9766);
    let mut rng = ChaCha12Rng::seed_from_u64(2);
    let out = if role == "garbler" {
        let listener = TcpListenerChannel::bind(addr).expect("bind");
        println!("ready");
        let mut ch = listener.accept(TIMEOUT).expect("accept");
        run_garbler(&mut ch, &c, &own_inputs(&c, 0, &mut rng), &SessionOptions::default()).expect("garbler")
    } else {
        let mut ch = TcpChannel::connect(addr, TIMEOUT).expect("connect");
        run_evaluator(&mut ch, &c, &own_inputs(&c, 1, &mut rng), &SessionOptions::default())
            .expect("evaluator")
    };
    let s = out.stats;
    println!(
        "{role}: {} AND in {:.3} s = {:.2}M AND/s; sent {} B, received {} B; peak RSS {} MiB",
        s.and_gates,
        s.elapsed.as_secs_f64(),
        s.and_gates as f64 / s.elapsed.as_secs_f64() / 1e6,
        s.bytes_sent,
        s.bytes_received,
        peak_rss_kib() / 1024
    );
}

fn big_run() {
    let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port").port();
    let addr = format!("127.0.0.1:{port}");
    let exe = std::env::current_exe().expect("own path");
    let spawn = |role: &str| {
        Command::new(&exe).env(PARTY_ENV, format!("{role} {addr}")).output().expect("re-run this benchmark")
    };
    let (g, e) = std::thread::scope(|s| {
        let g = s.spawn(|| spawn("garbler"));
        std::thread::sleep(Duration::from_millis(200));
        let e = spawn("evaluator");
        (g.join().expect("garbler"), e)
    });
    for out in [g, e] {
        print!("{}", String::from_utf8_lossy(&out.stdout).replace("ready\n", ""));
        eprint!("{}", String::from_utf8_lossy(&out.stderr));
    }
}

fn main() {
    if let Ok(spec) = std::env::var(PARTY_ENV) {
        party_process(&spec);
        return;
    }
    let mut crit = Criterion::default().configure_from_args();
    bench_sessions(&mut crit);
    bench_ot_tcp(&mut crit);
    crit.final_summary();
    if std::env::var_os("MPC_BENCH_SKIP_BIG").is_none() {
        println!("10^7-AND layered circuit (width 1024), two processes over loopback TCP:");
        big_run();
    }
}
