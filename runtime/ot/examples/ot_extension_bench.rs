//! Correlated-OT extension throughput: IKNP ([`mpc_ot::cot`]) beside SoftSpoken
//! ([`mpc_ot::softspoken`]) for every `k`, and the malicious-receiver variants with
//! their consistency checks, IKNP + KOS15 ([`mpc_ot::kos`]) and SoftSpoken with the
//! subspace-VOLE check ([`mpc_ot::softspoken::malicious`]), between two threads over
//! loopback TCP (optionally through a rate-limited [`ShapedChannel`]).
//!
//! ```text
//! cargo run --release -p mpc-ot --example ot_extension_bench -- [--batches 32] [--runs 5] [--bandwidth 1gbit] [--only checked]
//! ```
//!
//! Each run: a fresh connection and setup (timed apart), then `batches` batches of
//! 2^16 random choice bits streamed from the receiver to the sender, timed on the
//! receiver from its first batch to the sender's acknowledgement of the last. Printed
//! per extension (medians over the runs): bytes the receiver sent per OT in the
//! extension phase (with a check: the extension messages and proofs; the sender's
//! 17-byte challenges, 21 bytes framed per batch, are not counted), OTs per second (median, min and max), each side's CPU time per OT
//! (from `/proc/thread-self/schedstat`, so it measures the work, not the share of a
//! loaded machine the scheduler granted) and the setup time. Every run checks a sample
//! of the outputs: `labels[i] ^ zero_labels[i] == c_i * Delta`. A checked batch costs
//! one round trip (extension, challenge, proof), pipelined one batch deep: the
//! receiver sends batch `i + 1` before it answers the challenge of batch `i`; `--only
//! semi-honest` or `--only checked` runs half the table.

use std::error::Error;
use std::thread;
use std::time::{Duration, Instant};

use mpc_crypto::{thread_cpu_ns, Block, Delta};
use mpc_net::frame::{recv_frame, recv_u32, send_frame, send_u32};
use mpc_net::{Channel, Link, ShapedChannel, TcpChannel, TcpListenerChannel};
use mpc_ot::softspoken::malicious as soft_mal;
use mpc_ot::{cot, iknp, kos, softspoken};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha12Rng;

type Res<T> = Result<T, Box<dyn Error + Send + Sync>>;

const BATCH: usize = 1 << 16;
const TIMEOUT: Duration = Duration::from_secs(60);

/// Which extension a run uses.
#[derive(Clone, Copy, Debug)]
enum Ext {
    Iknp,
    Soft(u8),
    /// IKNP with the KOS15 check.
    Kos,
    /// SoftSpoken with the subspace-VOLE check.
    SoftMal(u8),
}

impl Ext {
    fn name(self) -> String {
        match self {
            Ext::Iknp => "IKNP".to_string(),
            Ext::Soft(k) => format!("SoftSpoken k={k}"),
            Ext::Kos => "IKNP + KOS15 check".to_string(),
            Ext::SoftMal(k) => format!("SoftSpoken k={k} + check"),
        }
    }
}

/// The largest challenge or proof frame.
const MAX_CHECK_FRAME: usize = 64;

/// The sender's state for any extension, with a checked batch awaiting its proof.
enum ExtSender {
    Iknp(cot::Sender),
    Soft(softspoken::Sender),
    Kos(kos::Sender, Option<kos::PendingSender>),
    SoftMal(soft_mal::Sender, Option<soft_mal::PendingSender>),
}

impl ExtSender {
    /// One batch of `n` from the message bytes. A checked batch sends its challenge,
    /// then reads the proof of the batch before it (one batch in flight ahead of its
    /// check, so both parties work at once) and puts that batch's labels in `out`.
    fn batch(
        &mut self,
        rng: &mut ChaCha12Rng,
        ch: &mut dyn Channel,
        n: usize,
        msg: &mut Vec<u8>,
        out: &mut Vec<Block>,
    ) -> Res<()> {
        match self {
            ExtSender::Iknp(s) => s.extend_into(n, msg, out)?,
            ExtSender::Soft(s) => s.extend_into(n, msg, out)?,
            ExtSender::Kos(s, pending) => {
                let ext = iknp::Extend::from_vec(std::mem::take(msg))?;
                let (challenge, next) = s.extend(rng, n, &ext)?;
                *msg = ext.into_bytes();
                send_frame(ch, &challenge.to_bytes())?;
                ch.flush()?;
                if let Some(p) = pending.replace(next) {
                    *out = p.verify(&kos::Proof::from_bytes(&recv_frame(ch, MAX_CHECK_FRAME)?)?)?;
                }
            }
            ExtSender::SoftMal(s, pending) => {
                let ext = softspoken::Extend::from_vec(std::mem::take(msg))?;
                let (challenge, next) = s.extend(rng, n, &ext)?;
                *msg = ext.into_bytes();
                send_frame(ch, &challenge.to_bytes())?;
                ch.flush()?;
                if let Some(p) = pending.replace(next) {
                    *out = p.verify(&soft_mal::Proof::from_bytes(&recv_frame(ch, MAX_CHECK_FRAME)?)?)?;
                }
            }
        }
        Ok(())
    }

    /// Verifies the last checked batch (its labels into `out`).
    fn finish(&mut self, ch: &mut dyn Channel, out: &mut Vec<Block>) -> Res<()> {
        match self {
            ExtSender::Iknp(_) | ExtSender::Soft(_) => {}
            ExtSender::Kos(_, pending) => {
                if let Some(p) = pending.take() {
                    *out = p.verify(&kos::Proof::from_bytes(&recv_frame(ch, MAX_CHECK_FRAME)?)?)?;
                }
            }
            ExtSender::SoftMal(_, pending) => {
                if let Some(p) = pending.take() {
                    *out = p.verify(&soft_mal::Proof::from_bytes(&recv_frame(ch, MAX_CHECK_FRAME)?)?)?;
                }
            }
        }
        Ok(())
    }
}

/// The receiver's state for any extension, with a checked batch awaiting its challenge.
enum ExtReceiver {
    Iknp(cot::Receiver),
    Soft(softspoken::Receiver),
    Kos(kos::Receiver, Option<kos::PendingReceiver>),
    SoftMal(soft_mal::Receiver, Option<soft_mal::PendingReceiver>),
}

/// Sends one extension message, framed by its length.
fn send_batch(ch: &mut dyn Channel, msg: &[u8]) -> Res<()> {
    // A batch is at most 1 GiB (MAX_BATCH OTs), so its length fits a u32.
    send_u32(ch, u32::try_from(msg.len())?)?;
    ch.send(msg)?;
    ch.flush()?;
    Ok(())
}

impl ExtReceiver {
    /// One batch: sends the extension message; for a checked batch, then answers the
    /// challenge of the batch before it and puts that batch's labels in `out`.
    fn batch(
        &mut self,
        rng: &mut ChaCha12Rng,
        ch: &mut dyn Channel,
        c: &[bool],
        msg: &mut Vec<u8>,
        out: &mut Vec<Block>,
    ) -> Res<()> {
        match self {
            ExtReceiver::Iknp(r) => {
                r.extend_into(c, msg, out)?;
                send_batch(ch, msg)?;
            }
            ExtReceiver::Soft(r) => {
                r.extend_into(c, msg, out)?;
                send_batch(ch, msg)?;
            }
            ExtReceiver::Kos(r, pending) => {
                let (ext, next) = r.extend(rng, c)?;
                send_batch(ch, ext.as_bytes())?;
                if let Some(p) = pending.replace(next) {
                    *out = answer_kos(ch, p)?;
                }
            }
            ExtReceiver::SoftMal(r, pending) => {
                let (ext, next) = r.extend(rng, c)?;
                send_batch(ch, ext.as_bytes())?;
                if let Some(p) = pending.replace(next) {
                    *out = answer_soft(ch, p)?;
                }
            }
        }
        Ok(())
    }

    /// Answers the last checked batch's challenge (its labels into `out`).
    fn finish(&mut self, ch: &mut dyn Channel, out: &mut Vec<Block>) -> Res<()> {
        match self {
            ExtReceiver::Iknp(_) | ExtReceiver::Soft(_) => {}
            ExtReceiver::Kos(_, pending) => {
                if let Some(p) = pending.take() {
                    *out = answer_kos(ch, p)?;
                }
            }
            ExtReceiver::SoftMal(_, pending) => {
                if let Some(p) = pending.take() {
                    *out = answer_soft(ch, p)?;
                }
            }
        }
        Ok(())
    }
}

fn answer_kos(ch: &mut dyn Channel, pending: kos::PendingReceiver) -> Res<Vec<Block>> {
    let challenge = kos::Challenge::from_bytes(&recv_frame(ch, MAX_CHECK_FRAME)?)?;
    let (proof, labels) = pending.respond(&challenge);
    send_frame(ch, &proof.to_bytes())?;
    ch.flush()?;
    Ok(labels)
}

fn answer_soft(ch: &mut dyn Channel, pending: soft_mal::PendingReceiver) -> Res<Vec<Block>> {
    let challenge = soft_mal::Challenge::from_bytes(&recv_frame(ch, MAX_CHECK_FRAME)?)?;
    let (proof, labels) = pending.respond(&challenge);
    send_frame(ch, &proof.to_bytes())?;
    ch.flush()?;
    Ok(labels)
}

struct Sample {
    ots_per_s: f64,
    bytes_per_ot: f64,
    receiver_ns_per_ot: f64,
    sender_ns_per_ot: f64,
    setup_ms: f64,
}

fn wrap(ch: TcpChannel, link: Option<Link>) -> Box<dyn Channel> {
    match link {
        Some(l) => Box::new(ShapedChannel::new(ch, l)),
        None => Box::new(ch),
    }
}

/// The sender's side of one run: setup, the batches, the acknowledgement. Returns its
/// CPU ns for the batches, `Delta` and the last batch's zero labels.
fn sender_side(
    mut ch: Box<dyn Channel>,
    ext: Ext,
    batches: usize,
    seed: u64,
) -> Res<(u64, Delta, Vec<Block>)> {
    let mut rng = ChaCha12Rng::seed_from_u64(seed);
    let delta = Delta::random(&mut rng);
    let offer = recv_frame(&mut ch, 1 << 16)?;
    let (mut sender, answer) = match ext {
        Ext::Iknp => {
            let (s, a) = cot::Sender::new(&mut rng, &delta, &iknp::SetupOffer::from_bytes(&offer)?)?;
            (ExtSender::Iknp(s), a.to_bytes())
        }
        Ext::Soft(_) => {
            let (s, a) =
                softspoken::Sender::new(&mut rng, &delta, &softspoken::SetupOffer::from_bytes(&offer)?)?;
            (ExtSender::Soft(s), a.to_bytes())
        }
        Ext::Kos => {
            let (s, a) = kos::Sender::new(&mut rng, &delta, &kos::SetupOffer::from_bytes(&offer)?)?;
            (ExtSender::Kos(s, None), a.to_bytes())
        }
        Ext::SoftMal(_) => {
            let (s, a) =
                soft_mal::Sender::new(&mut rng, &delta, &softspoken::SetupOffer::from_bytes(&offer)?)?;
            (ExtSender::SoftMal(s, None), a.to_bytes())
        }
    };
    send_frame(&mut ch, &answer)?;
    ch.flush()?;
    let (mut msg, mut zero) = (Vec::new(), Vec::new());
    let cpu0 = thread_cpu_ns().unwrap_or(0);
    for _ in 0..batches {
        let len = recv_u32(&mut ch)? as usize;
        let most = BATCH + 2 * kos::CHECK_OTS;
        if len > softspoken::Extend::max_encoded_len(most).max(iknp::Extend::encoded_len_for(most)) {
            return Err(format!("a batch of {len} bytes is more than any extension sends").into());
        }
        msg.resize(len, 0);
        ch.recv_exact(&mut msg)?;
        sender.batch(&mut rng, ch.as_mut(), BATCH, &mut msg, &mut zero)?;
    }
    sender.finish(ch.as_mut(), &mut zero)?;
    let cpu = thread_cpu_ns().unwrap_or(0) - cpu0;
    ch.send(&[1])?;
    ch.flush()?;
    Ok((cpu, delta, zero))
}

fn run_once(ext: Ext, batches: usize, link: Option<Link>, seed: u64) -> Res<Sample> {
    let listener = TcpListenerChannel::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?.to_string();
    let sender = thread::spawn(move || -> Res<(u64, Delta, Vec<Block>)> {
        let ch = wrap(listener.accept(TIMEOUT)?, link);
        sender_side(ch, ext, batches, seed)
    });
    let mut ch = wrap(TcpChannel::connect(&addr, TIMEOUT)?, link);
    let mut rng = ChaCha12Rng::seed_from_u64(seed ^ 0xFFFF);
    let setup_start = Instant::now();
    let mut receiver = match ext {
        Ext::Iknp => {
            let (setup, offer) = cot::Receiver::new(&mut rng);
            send_frame(&mut ch, &offer.to_bytes())?;
            ch.flush()?;
            let answer = iknp::SetupAnswer::from_bytes(&recv_frame(&mut ch, 1 << 16)?)?;
            ExtReceiver::Iknp(setup.finish(&answer)?)
        }
        Ext::Soft(k) => {
            let (setup, offer) = softspoken::Receiver::with_k(&mut rng, k)?;
            send_frame(&mut ch, &offer.to_bytes())?;
            ch.flush()?;
            let answer = softspoken::SetupAnswer::from_bytes(&recv_frame(&mut ch, 1 << 16)?)?;
            ExtReceiver::Soft(setup.finish(&answer)?)
        }
        Ext::Kos => {
            let (setup, offer) = kos::Receiver::new(&mut rng);
            send_frame(&mut ch, &offer.to_bytes())?;
            ch.flush()?;
            let answer = kos::SetupAnswer::from_bytes(&recv_frame(&mut ch, 1 << 16)?)?;
            ExtReceiver::Kos(setup.finish(&answer)?, None)
        }
        Ext::SoftMal(k) => {
            let (setup, offer) = soft_mal::Receiver::with_k(&mut rng, k)?;
            send_frame(&mut ch, &offer.to_bytes())?;
            ch.flush()?;
            let answer = softspoken::SetupAnswer::from_bytes(&recv_frame(&mut ch, 1 << 16)?)?;
            ExtReceiver::SoftMal(setup.finish(&answer)?, None)
        }
    };
    let setup = setup_start.elapsed();
    let choices: Vec<bool> = (0..BATCH).map(|_| rng.gen()).collect();
    let (mut msg, mut labels) = (Vec::new(), Vec::new());
    let sent0 = ch.bytes_sent();
    let start = Instant::now();
    let cpu0 = thread_cpu_ns().unwrap_or(0);
    for _ in 0..batches {
        receiver.batch(&mut rng, ch.as_mut(), &choices, &mut msg, &mut labels)?;
    }
    receiver.finish(ch.as_mut(), &mut labels)?;
    let cpu = thread_cpu_ns().unwrap_or(0) - cpu0;
    let mut ack = [0u8; 1];
    ch.recv_exact(&mut ack)?;
    let wall = start.elapsed();
    let sent = ch.bytes_sent() - sent0;
    let (sender_cpu, delta, zero) = sender.join().map_err(|_| "the sender thread panicked")??;
    for i in (0..BATCH).step_by(97) {
        let expect = if choices[i] { zero[i] ^ delta.as_block() } else { zero[i] };
        if labels[i] != expect {
            return Err(format!("{}: OT {i} is not correlated with Delta", ext.name()).into());
        }
    }
    let ots = (batches * BATCH) as f64;
    Ok(Sample {
        ots_per_s: ots / wall.as_secs_f64(),
        bytes_per_ot: sent as f64 / ots,
        receiver_ns_per_ot: cpu as f64 / ots,
        sender_ns_per_ot: sender_cpu as f64 / ots,
        setup_ms: setup.as_secs_f64() * 1e3,
    })
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Which rows of the table to run.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Only {
    All,
    SemiHonest,
    Checked,
}

fn parse_args() -> Res<(usize, usize, Option<Link>, Only)> {
    let (mut batches, mut runs, mut link, mut only) = (32usize, 5usize, None, Only::All);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{a} needs a value"));
        match a.as_str() {
            "--batches" => batches = value()?.parse().map_err(|e| format!("--batches: {e}"))?,
            "--runs" => runs = value()?.parse().map_err(|e| format!("--runs: {e}"))?,
            "--bandwidth" => {
                let bits_per_s = Link::parse_bandwidth(&value()?)?;
                if bits_per_s <= 0.0 {
                    return Err("--bandwidth must be positive".into());
                }
                link = Some(Link { bits_per_s, latency: Duration::ZERO });
            }
            "--only" => {
                only = match value()?.as_str() {
                    "semi-honest" => Only::SemiHonest,
                    "checked" => Only::Checked,
                    v => return Err(format!("--only takes semi-honest or checked, not {v}").into()),
                }
            }
            other => {
                return Err(
                    format!("unknown argument {other} (use --batches, --runs, --bandwidth, --only)").into()
                )
            }
        }
    }
    if batches == 0 || runs == 0 {
        return Err("--batches and --runs must be at least 1".into());
    }
    Ok((batches, runs, link, only))
}

fn main() -> Res<()> {
    let (batches, runs, link, only) = parse_args()?;
    let link_text = link.map_or("loopback TCP".to_string(), |l| format!("loopback TCP shaped to {l}"));
    println!("{batches} x 2^16 correlated OTs per run, {runs} runs, {link_text}, medians (min-max for OT/s)");
    println!();
    println!("| extension | bytes/OT | OT/s (M) | receiver CPU ns/OT | sender CPU ns/OT | setup ms |");
    println!("|---|---|---|---|---|---|");
    let mut exts = Vec::new();
    if only != Only::Checked {
        exts.push(Ext::Iknp);
        exts.extend((softspoken::MIN_K..=softspoken::MAX_K).map(Ext::Soft));
    }
    if only != Only::SemiHonest {
        exts.push(Ext::Kos);
        exts.extend((softspoken::MIN_K..=softspoken::MAX_K).map(Ext::SoftMal));
    }
    for ext in exts {
        let samples =
            (0..runs).map(|r| run_once(ext, batches, link, 1000 + r as u64)).collect::<Res<Vec<_>>>()?;
        let rates: Vec<f64> = samples.iter().map(|s| s.ots_per_s / 1e6).collect();
        let (lo, hi) = rates.iter().fold((f64::MAX, 0f64), |(l, h), &r| (l.min(r), h.max(r)));
        println!(
            "| {} | {:.2} | {:.1} ({:.1}-{:.1}) | {:.1} | {:.1} | {:.1} |",
            ext.name(),
            median(samples.iter().map(|s| s.bytes_per_ot).collect()),
            median(rates),
            lo,
            hi,
            median(samples.iter().map(|s| s.receiver_ns_per_ot).collect()),
            median(samples.iter().map(|s| s.sender_ns_per_ot).collect()),
            median(samples.iter().map(|s| s.setup_ms).collect()),
        );
    }
    Ok(())
}
