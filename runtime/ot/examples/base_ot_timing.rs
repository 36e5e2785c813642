//! Wall-clock time of one set of base OTs, Chou-Orlandi (`mpc_ot::base`, the
//! semi-honest session's) beside Masny-Rindal endemic OT (`mpc_ot::endemic`, the
//! malicious session's), both parties in this thread, through the wire encodings:
//! `cargo run --release -p mpc-ot --example base_ot_timing -- [N] [RUNS]`
//! (default 128 OTs, 51 runs; the two protocols' runs interleaved). Prints the
//! median per side: the receiver's part (decode the setup, compute and encode the
//! reply) and the sender's (start, then decode the reply and derive the keys).
//! Chou-Orlandi splits its point arithmetic over up to 4 threads, endemic OT does not:
//! pin with `taskset` to compare like with like.

use std::time::Instant;

use mpc_ot::{base, endemic};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha12Rng;

/// Seconds of (receiver part, sender part) of one run.
type Times = (f64, f64);

fn chou_orlandi(rng: &mut ChaCha12Rng, choices: &[bool]) -> Result<Times, mpc_ot::OtError> {
    let t0 = Instant::now();
    let (sender, m1) = base::Sender::new(rng, choices.len())?;
    let b1 = m1.to_bytes();
    let t1 = Instant::now();
    let (m2, _) = base::receive(rng, &base::SenderSetup::from_bytes(&b1)?, choices)?;
    let b2 = m2.to_bytes();
    let t2 = Instant::now();
    let keys = sender.finish(&base::ReceiverReply::from_bytes(&b2)?)?;
    let t3 = Instant::now();
    std::hint::black_box(keys);
    Ok(((t2 - t1).as_secs_f64(), (t1 - t0 + (t3 - t2)).as_secs_f64()))
}

fn masny_rindal(rng: &mut ChaCha12Rng, choices: &[bool]) -> Result<Times, mpc_ot::OtError> {
    let t0 = Instant::now();
    let (sender, m1) = endemic::Sender::new(rng, choices.len())?;
    let b1 = m1.to_bytes();
    let t1 = Instant::now();
    let (m2, _) = endemic::receive(rng, &endemic::SenderSetup::from_bytes(&b1)?, choices)?;
    let b2 = m2.to_bytes();
    let t2 = Instant::now();
    let keys = sender.finish(&endemic::ReceiverReply::from_bytes(&b2)?)?;
    let t3 = Instant::now();
    std::hint::black_box(keys);
    Ok(((t2 - t1).as_secs_f64(), (t1 - t0 + (t3 - t2)).as_secs_f64()))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().map(|s| s.parse()).transpose()?.unwrap_or(128);
    let runs: usize = args.next().map(|s| s.parse()).transpose()?.unwrap_or(51);
    if runs == 0 {
        return Err("RUNS must be at least 1".into());
    }
    let mut rng = ChaCha12Rng::seed_from_u64(1);
    let choices: Vec<bool> = (0..n).map(|_| rng.gen()).collect();
    let (mut co, mut mr) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        co.push(chou_orlandi(&mut rng, &choices)?);
        mr.push(masny_rindal(&mut rng, &choices)?);
    }
    println!("{n} base OTs, {runs} runs interleaved, medians (ms)");
    println!("| protocol | receiver | sender | both |");
    println!("|---|---|---|---|");
    for (name, t) in [("Chou-Orlandi (base)", &co), ("Masny-Rindal (endemic)", &mr)] {
        let ms = |f: &dyn Fn(&Times) -> f64| 1e3 * median(t.iter().map(f).collect());
        println!("| {name} | {:.2} | {:.2} | {:.2} |", ms(&|x| x.0), ms(&|x| x.1), ms(&|x| x.0 + x.1));
    }
    Ok(())
}
