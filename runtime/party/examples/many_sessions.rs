//! Profiling harness for the sessions of `mpc bench` (`aes128_amortized_us`,
//! `sha256_amortized_us`, `aes128_session_ms`): `RUNS` sessions of 100 instances of
//! the AES-128 (or, with argument `sha256`, SHA-256) Bristol circuit, or with
//! `aes128-once` of one AES-128 run (`run_garbler`/`run_evaluator`), or with
//! `pipeline` of `mpc bench`'s 10^7-AND layered program (M AND/s), between two
//! threads over loopback TCP, each checked against the plaintext evaluator; prints the
//! median time per instance and the process's CPU time over the sessions' wall time
//! (on two cores, 2.0 means both were busy throughout; the plaintext checks are
//! outside both). For `perf record -e cpu-clock`; the numbers that go in
//! docs/benchmarks.md come from `mpc bench --json`.
//!
//! `cargo run --release -p mpc-runtime --example many_sessions [aes128|sha256] [RUNS]`

use std::time::{Duration, Instant};

use mpc_circuits::Circuit;
use mpc_net::{TcpChannel, TcpListenerChannel};
use mpc_runtime::{run_evaluator, run_evaluator_many, run_garbler, run_garbler_many, SessionOptions};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha12Rng;

const AES_128: &str = include_str!("../../garble/tests/vectors/aes_128.txt");
const SHA_256: &str = include_str!("../../garble/tests/vectors/sha256.txt");
const INSTANCES: usize = 100;
const TIMEOUT: Duration = Duration::from_secs(60);

fn inputs(c: &Circuit, party: u8, rng: &mut ChaCha12Rng) -> Vec<Vec<Vec<bool>>> {
    (0..INSTANCES)
        .map(|_| {
            c.inputs()
                .iter()
                .filter(|g| g.party.0 == party)
                .map(|g| (0..g.ty.width()).map(|_| rng.gen()).collect())
                .collect()
        })
        .collect()
}

/// `mpc bench`'s `pipeline_and_per_s` workload: 9,766 layers of 1,024 AND gates.
const LAYERED: &str = "party alice;
party bob;
fn main(a: [u32; 32] @alice, b: [u32; 32] @bob) -> (s: [u32; 32]) {
    let mut x = a;
    for r in 0..9766 {
        let mut y = x;
        for i in 0..32 {
            y[i] = (x[i] & x[(i + 1) % 32]) ^ b[i];
        }
        x = y;
    }
    (x,)
}
";

/// `runs` runs of [`LAYERED`] over loopback TCP; prints the median AND gates per second.
fn pipeline(runs: usize) -> Result<(), Box<dyn std::error::Error>> {
    let (p, _) = mpc_compiler::compile_program(LAYERED, &mpc_compiler::Options::default());
    let p = p.ok_or("the layered program did not compile")?;
    let ands = p.stats().and as f64;
    let (a, b) = (vec![vec![true; 1024]], vec![vec![false; 1024]]);
    let opts = SessionOptions::default();
    let mut times = Vec::new();
    for _ in 0..runs {
        let listener = TcpListenerChannel::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?.to_string();
        let start = Instant::now();
        let (g, e) = std::thread::scope(|s| {
            let g = s.spawn(|| {
                let mut ch = listener.accept(TIMEOUT).map_err(|e| e.to_string())?;
                mpc_runtime::run_garbler_program(&mut ch, &p, &a, &opts).map_err(|e| e.to_string())
            });
            let e = TcpChannel::connect(&addr, TIMEOUT).map_err(|e| e.to_string()).and_then(|mut ch| {
                mpc_runtime::run_evaluator_program(&mut ch, &p, &b, &opts).map_err(|e| e.to_string())
            });
            (g.join().unwrap_or_else(|_| Err("the garbler panicked".into())), e)
        });
        times.push(start.elapsed());
        if g?.outputs != e?.outputs {
            return Err("the parties disagree".into());
        }
    }
    times.sort();
    let median = times[times.len() / 2].as_secs_f64();
    println!("pipeline: median of {runs} runs: {:.2} M AND/s", ands / median / 1e6);
    Ok(())
}

/// This process's CPU time (user and system, all threads) in clock ticks of 10 ms,
/// from `/proc/self/stat`; `None` where that cannot be read.
fn process_cpu_ticks() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The fields after the command name (which may hold spaces) start at `state`;
    // utime and stime are the 14th and 15th fields of the line.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let which = args.get(1).map_or("aes128", String::as_str);
    let runs: usize = args.get(2).map_or(Ok(20), |s| s.parse())?;
    if which == "pipeline" {
        return pipeline(runs);
    }
    let text = if which == "sha256" { SHA_256 } else { AES_128 };
    let once = which == "aes128-once";
    let circuit = mpc_circuits::passes::schedule_levels(&mpc_circuits::bristol::read(text)?);
    let mut rng = ChaCha12Rng::seed_from_u64(1);
    let opts = SessionOptions::default();
    let mut times = Vec::with_capacity(runs);
    let mut cpu_ticks = Some(0u64);
    for _ in 0..runs {
        let (g_in, e_in) = (inputs(&circuit, 0, &mut rng), inputs(&circuit, 1, &mut rng));
        let listener = TcpListenerChannel::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?.to_string();
        let cpu_start = process_cpu_ticks();
        let start = Instant::now();
        let (g, e) = std::thread::scope(|s| {
            let g = s.spawn(|| {
                let mut ch = listener.accept(TIMEOUT).map_err(|e| e.to_string())?;
                if once {
                    return run_garbler(&mut ch, &circuit, &g_in[0], &opts)
                        .map(|o| vec![o.outputs])
                        .map_err(|e| e.to_string());
                }
                run_garbler_many(&mut ch, &circuit, &g_in, &opts)
                    .map(|o| o.outputs)
                    .map_err(|e| e.to_string())
            });
            let e = TcpChannel::connect(&addr, TIMEOUT).map_err(|e| e.to_string()).and_then(|mut ch| {
                if once {
                    return run_evaluator(&mut ch, &circuit, &e_in[0], &opts)
                        .map(|o| vec![o.outputs])
                        .map_err(|e| e.to_string());
                }
                run_evaluator_many(&mut ch, &circuit, &e_in, &opts)
                    .map(|o| o.outputs)
                    .map_err(|e| e.to_string())
            });
            (g.join().unwrap_or_else(|_| Err("the garbler panicked".into())), e)
        });
        times.push(start.elapsed());
        let spent = process_cpu_ticks().zip(cpu_start).map(|(end, start)| end.saturating_sub(start));
        cpu_ticks = cpu_ticks.zip(spent).map(|(total, t)| total + t);
        let (g, e) = (g?, e?);
        for k in 0..if once { 1 } else { INSTANCES } {
            let mut all = Vec::new();
            let (mut gi, mut ei) = (g_in[k].iter(), e_in[k].iter());
            for grp in circuit.inputs() {
                all.extend(if grp.party.0 == 0 { gi.next() } else { ei.next() }.cloned());
            }
            let want = mpc_circuits::eval::eval_groups(&circuit, &all)?;
            for (j, w) in want.iter().enumerate() {
                let seen = [&g[k][j], &e[k][j]];
                if !seen.iter().all(|o| o.as_ref().is_none_or(|o| o == w)) {
                    return Err(format!("instance {k}, output {j}: wrong result").into());
                }
            }
        }
    }
    times.sort();
    let median = times[times.len() / 2].as_secs_f64() * 1e6;
    let per = if once { 1 } else { INSTANCES };
    println!("{which}: median of {runs} sessions: {:.1} us per instance", median / per as f64);
    if let Some(ticks) = cpu_ticks {
        let wall: f64 = times.iter().map(Duration::as_secs_f64).sum();
        println!("CPU time / wall time over the sessions: {:.2}", ticks as f64 / 100.0 / wall);
    }
    Ok(())
}
