//! Wall-clock time and bytes of one authenticated-garbling run of a Bristol circuit,
//! both parties in threads of this process over an in-memory channel:
//! `cargo run --release -p mpc-auth --example timing -- FILE [RUNS]`.
//! Prints the median over RUNS (default 5) and each party's bytes sent.

use std::time::Instant;

use mpc_auth::protocol::{self, ChannelLink};
use mpc_auth::Role;
use mpc_net::{Channel, MemoryChannel};
use rand::SeedableRng;
use rand_chacha::ChaCha12Rng;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let path = args.get(1).ok_or("usage: timing FILE [RUNS]")?;
    let runs: usize = args.get(2).map(|s| s.parse()).transpose()?.unwrap_or(5);
    let circuit = mpc_circuits::bristol::read(&std::fs::read_to_string(path)?)?;
    let width =
        |p: u8| -> usize { circuit.inputs().iter().filter(|g| g.party.0 == p).map(|g| g.ty.width()).sum() };
    let (wa, wb) = (width(0), width(1));
    let mut times = Vec::new();
    let mut bytes = (0, 0);
    for run in 0..runs {
        let (ca, cb) = MemoryChannel::pair();
        let c = circuit.clone();
        let start = Instant::now();
        let eval = std::thread::spawn(move || {
            let mut rng = ChaCha12Rng::seed_from_u64(run as u64 + 100);
            let mut link = ChannelLink(cb);
            let out = protocol::run_reported(Role::Evaluator, &c, &vec![true; wb], &mut link, &mut rng);
            (out, link.0.bytes_sent())
        });
        let mut rng = ChaCha12Rng::seed_from_u64(run as u64);
        let mut link = ChannelLink(ca);
        let (_, phases) =
            protocol::run_reported(Role::Garbler, &circuit, &vec![false; wa], &mut link, &mut rng)?;
        let (out, eb) = eval.join().map_err(|_| "evaluator thread panicked")?;
        let (_, eval_phases) = out?;
        if run + 1 == runs {
            for (g, e) in phases.iter().zip(&eval_phases) {
                println!(
                    "  {:<20} garbler sent {:>9} B, evaluator sent {:>9} B ({:.1} B/AND), garbler {:.1} ms",
                    g.name,
                    g.bytes_sent,
                    e.bytes_sent,
                    (g.bytes_sent + e.bytes_sent) as f64 / circuit.and_count().max(1) as f64,
                    g.elapsed.as_secs_f64() * 1e3
                );
            }
        }
        times.push(start.elapsed().as_secs_f64() * 1e3);
        bytes = (link.0.bytes_sent(), eb);
    }
    times.sort_by(f64::total_cmp);
    println!(
        "{}: {} AND gates, median {:.1} ms over {runs} runs (min {:.1}), garbler sent {} bytes, evaluator {} bytes ({:.0} bytes per AND in all)",
        path,
        circuit.and_count(),
        times[times.len() / 2],
        times[0],
        bytes.0,
        bytes.1,
        (bytes.0 + bytes.1) as f64 / circuit.and_count().max(1) as f64
    );
    Ok(())
}
