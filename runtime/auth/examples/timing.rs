//! Wall-clock time and bytes of authenticated-garbling runs of a Bristol circuit,
//! both parties in threads of this process over an in-memory channel:
//! `cargo run --release -p mpc-auth --example timing -- FILE [RUNS] [--instances K]
//! [--pool N] [--piece N] [--tcp]`.
//!
//! Each run is one session of K instances (default 1: one-shot) with one
//! preprocessing; prints the median over RUNS (default 5) of the session's wall time
//! and of the time per instance, each party's bytes, and bytes per AND gate by phase
//! (of the last run; the per-instance phases summed over the K instances).
//! Pin each party to one core from outside (`taskset -c 0,1`: two threads).
//! `--pool N` caps the triples bucketed together (`Options::pool_triples`, default
//! `bucket::POOL_TRIPLES`) and `--piece N` those made in one piece
//! (`Options::piece_triples`, default `bucket::PIECE_TRIPLES`), to compare bucketing
//! plans (the plan is printed). `--tcp` runs each session over loopback TCP instead
//! of the in-memory channel.

use std::time::Instant;

use mpc_auth::machine::{Machine, Options};
use mpc_auth::protocol::{self, ChannelLink, Phase};
use mpc_auth::{bucket, Role};
use mpc_net::{Channel, MemoryChannel, TcpChannel, TcpListenerChannel};
use rand::SeedableRng;
use rand_chacha::ChaCha12Rng;

const USAGE: &str = "usage: timing FILE [RUNS] [--instances K] [--pool N] [--piece N] [--tcp]";

/// A link of either transport.
type Link = ChannelLink<Box<dyn Channel>>;

/// Both ends of a fresh channel: in memory, or over loopback TCP.
fn pair(tcp: bool) -> Result<(Link, Link), Box<dyn std::error::Error>> {
    if !tcp {
        let (a, b) = MemoryChannel::pair();
        return Ok((ChannelLink(Box::new(a)), ChannelLink(Box::new(b))));
    }
    let timeout = std::time::Duration::from_secs(60);
    let listener = TcpListenerChannel::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?.to_string();
    let client = std::thread::spawn(move || TcpChannel::connect(&addr, timeout));
    let a = listener.accept(timeout)?;
    let b = client.join().map_err(|_| "connect thread panicked")??;
    Ok((ChannelLink(Box::new(a)), ChannelLink(Box::new(b))))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let mut positional = Vec::new();
    let mut instances = 1usize;
    let mut options = Options::default();
    let mut tcp = false;
    while let Some(a) = args.next() {
        if a == "--instances" {
            instances = args.next().ok_or(USAGE)?.parse()?;
        } else if a == "--pool" {
            options.pool_triples = args.next().ok_or(USAGE)?.parse()?;
        } else if a == "--tcp" {
            tcp = true;
        } else if a == "--piece" {
            options.piece_triples = args.next().ok_or(USAGE)?.parse()?;
        } else {
            positional.push(a);
        }
    }
    let path = positional.first().ok_or(USAGE)?;
    let runs: usize = positional.get(1).map(|s| s.parse()).transpose()?.unwrap_or(5);
    if runs == 0 || instances == 0 || options.pool_triples == 0 || options.piece_triples == 0 {
        return Err(USAGE.into());
    }
    let circuit = mpc_circuits::bristol::read(&std::fs::read_to_string(path)?)?;
    let width =
        |p: u8| -> usize { circuit.inputs().iter().filter(|g| g.party.0 == p).map(|g| g.ty.width()).sum() };
    let (wa, wb) = (width(0), width(1));
    let ands = circuit.and_count().max(1) * instances;
    let plan =
        bucket::pool_plan(circuit.and_count() * instances, options.pool_triples, options.piece_triples);
    println!(
        "bucketing: {} pool(s) of at most {} triples in {} piece(s) of at most {} at B = {}",
        plan.pools.len(),
        plan.pool_sizes().first().unwrap_or(&0),
        plan.pieces(),
        plan.pools.first().and_then(|p| p.first()).unwrap_or(&0),
        plan.b
    );
    let mut times = Vec::new();
    let mut bytes = (0, 0);
    for run in 0..runs {
        let (mut link, mut link_b) = pair(tcp)?;
        let c = circuit.clone();
        let start = Instant::now();
        let xb = vec![vec![true; wb]; instances];
        let eval = std::thread::spawn(move || {
            let mut rng = ChaCha12Rng::seed_from_u64(run as u64 + 100);
            let out = session(Role::Evaluator, &c, &xb, options, &mut link_b, &mut rng);
            (out, link_b.0.bytes_sent())
        });
        let mut rng = ChaCha12Rng::seed_from_u64(run as u64);
        let xa = vec![vec![false; wa]; instances];
        let (_, phases) = session(Role::Garbler, &circuit, &xa, options, &mut link, &mut rng)?;
        let (out, eb) = eval.join().map_err(|_| "evaluator thread panicked")?;
        let (_, eval_phases) = out?;
        times.push(start.elapsed().as_secs_f64() * 1e3);
        if run + 1 == runs {
            // Matched by name: the parties' phases may first appear in other orders.
            let eval_phases = summed(&eval_phases);
            for g in summed(&phases) {
                let Some(e) = eval_phases.iter().find(|e| e.name == g.name) else { continue };
                println!(
                    "  {:<20} garbler sent {:>10} B, evaluator sent {:>10} B ({:.1} B/AND); ms (waiting): garbler {:.1} ({:.1}), evaluator {:.1} ({:.1})",
                    g.name,
                    g.bytes_sent,
                    e.bytes_sent,
                    (g.bytes_sent + e.bytes_sent) as f64 / ands as f64,
                    g.elapsed.as_secs_f64() * 1e3,
                    g.waiting.as_secs_f64() * 1e3,
                    e.elapsed.as_secs_f64() * 1e3,
                    e.waiting.as_secs_f64() * 1e3
                );
            }
        }
        bytes = (link.0.bytes_sent(), eb);
    }
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    println!(
        "{}: {} AND gates x {instances} instances, median {:.1} ms per session over {runs} runs (min {:.1}), {:.2} ms per instance; garbler sent {} bytes, evaluator {} bytes ({:.0} bytes per AND in all)",
        path,
        circuit.and_count(),
        median,
        times[0],
        median / instances as f64,
        bytes.0,
        bytes.1,
        (bytes.0 + bytes.1) as f64 / ands as f64
    );
    Ok(())
}

/// One party's session of `inputs.len()` instances with `options`.
fn session(
    role: Role,
    circuit: &mpc_circuits::Circuit,
    inputs: &[Vec<bool>],
    options: Options,
    link: &mut Link,
    rng: &mut ChaCha12Rng,
) -> Result<(Vec<protocol::Outputs>, Vec<Phase>), mpc_auth::AuthError> {
    let mut machine = Machine::with_options(role, circuit, inputs, options, rng)?;
    let phases = protocol::drive(&mut machine, link)?;
    Ok((machine.take_outputs(), phases))
}

/// Phases with the same name added up, in order of first appearance.
fn summed(phases: &[Phase]) -> Vec<Phase> {
    let mut out: Vec<Phase> = Vec::new();
    for p in phases {
        match out.iter_mut().find(|q| q.name == p.name) {
            Some(q) => {
                q.bytes_sent += p.bytes_sent;
                q.bytes_received += p.bytes_received;
                q.elapsed += p.elapsed;
                q.waiting += p.waiting;
            }
            None => out.push(p.clone()),
        }
    }
    out
}
