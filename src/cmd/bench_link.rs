//! `mpc bench --bandwidth RATE [--latency TIME] [--scheme S] [--ands N] [--json]`:
//! whole two-party sessions over a simulated link (`mpc_net::ShapedChannel`: both
//! parties in this process on two threads, an in-memory channel shaped to the given
//! bandwidth and one-way latency), for each garbling scheme (or the one given):
//! a one-shot AES-128 session (the Bristol circuit, FIPS-197 checked; median of
//! `--aes-runs`) and a program of about `--ands` AND gates (`mpc bench --protocol`'s
//! multiply-accumulate loops, checked), plus each scheme's table bytes per AND as
//! measured on the wire. Times are wall-clock from connect to outputs.

use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use mpc_circuits::Program;
use mpc_garble::{CountingSink, Garbler, Scheme};
use mpc_net::{Link, MemoryChannel, ShapedChannel};
use mpc_runtime::{SessionOptions, SessionStats};

use super::outln;

/// The link flags of `mpc bench` (flattened into its arguments).
#[derive(Debug, clap::Args)]
pub struct LinkArgs {
    /// Run sessions over a simulated link of this bandwidth (e.g. 10gbit, 1gbit,
    /// 100mbit) instead of the kernel measurements.
    #[arg(long, value_name = "RATE", value_parser = parse_bandwidth)]
    bandwidth: Option<f64>,
    /// One-way latency of the simulated link (e.g. 1ms, 250us; default 0).
    #[arg(long, value_name = "TIME", value_parser = parse_latency, requires = "bandwidth")]
    latency: Option<Duration>,
    /// Garbling scheme of the link sessions (`half-gates` or `three-halves`; both
    /// when not given).
    #[arg(long, value_name = "SCHEME", value_parser = super::run::parse_scheme)]
    scheme: Option<Scheme>,
    /// One-shot AES-128 sessions per scheme (the median is reported).
    #[arg(long, value_name = "N", default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=1000))]
    aes_runs: u32,
}

impl LinkArgs {
    /// The `--scheme` given, if any.
    pub fn scheme(&self) -> Option<Scheme> {
        self.scheme
    }
}

fn parse_bandwidth(s: &str) -> Result<f64, String> {
    Link::parse_bandwidth(s).map_err(|e| e.to_string())
}

fn parse_latency(s: &str) -> Result<Duration, String> {
    Link::parse_latency(s).map_err(|e| e.to_string())
}

/// Table bytes per AND gate of `scheme`, counted on the garbler's output for a
/// 2^16-AND layer (three-halves: 24 bytes plus 5 control bits).
pub fn bytes_per_and(scheme: Scheme) -> anyhow::Result<f64> {
    let c = mpc_garble::perf::wide_layer(1 << 16);
    let (delta, zero) = mpc_garble::perf::setup(&c);
    let mut sink = CountingSink::default();
    Garbler::new(&c, &delta, zero, 0)?.with_scheme(scheme).garble(&mut sink)?;
    Ok(sink.bytes as f64 / c.and_count() as f64)
}

/// Garbling and evaluation AND gates per second of `scheme` on one core (a 2^16-AND
/// wide layer, CPU time where Linux gives it, as `mpc bench`'s kernel rates).
pub fn kernel_rates(scheme: Scheme, min: Duration) -> anyhow::Result<(f64, f64)> {
    use mpc_garble::{perf, Evaluator, SlotPlan};
    let c = perf::wide_layer(1 << 16);
    let (delta, zero) = perf::setup(&c);
    let plan = SlotPlan::compiled(&c);
    let mut tables = Vec::new();
    Garbler::new(&c, &delta, zero.clone(), 0)?.with_scheme(scheme).garble(&mut tables)?;
    let n = c.and_count() as u64;
    let mut failed = None;
    let g = perf::rate(min, n, || {
        let mut sink = CountingSink::default();
        let r = Garbler::new(&c, &delta, zero.clone(), 0)
            .and_then(|g| g.with_plan(&plan).with_scheme(scheme).garble(&mut sink));
        failed = failed.take().or(r.err());
    });
    let e = perf::rate(min, n, || {
        let mut src: &[u8] = &tables;
        let r = Evaluator::new(&c, zero.clone(), 0)
            .and_then(|e| e.with_plan(&plan).with_scheme(scheme).evaluate(&mut src));
        failed = failed.take().or(r.err());
    });
    match failed {
        Some(err) => Err(err.into()),
        None => Ok((g, e)),
    }
}

/// One session's wall time in seconds, the outputs as the evaluator sees them and the
/// garbler's statistics.
type SessionRun = (f64, Vec<Option<Vec<bool>>>, SessionStats);

/// One session of `program` over a fresh shaped link.
fn session(
    program: &Program,
    inputs: &[Vec<bool>],
    link: Link,
    scheme: Scheme,
) -> anyhow::Result<SessionRun> {
    let own = |party: u8| -> Vec<Vec<bool>> {
        program
            .inputs()
            .iter()
            .zip(inputs)
            .filter(|(g, _)| g.party.0 == party)
            .map(|(_, v)| v.clone())
            .collect()
    };
    let (g_in, e_in) = (own(0), own(1));
    let (a, b) = MemoryChannel::pair_with_timeout(Duration::from_secs(600));
    let (mut a, mut b) = (ShapedChannel::new(a, link), ShapedChannel::new(b, link));
    let opts = SessionOptions { scheme, ..Default::default() };
    let start = Instant::now();
    let (g, e) = std::thread::scope(|s| {
        let g = s.spawn(|| {
            let r = mpc_runtime::run_garbler_program(&mut a, program, &g_in, &opts);
            drop(a);
            r
        });
        let e = mpc_runtime::run_evaluator_program(&mut b, program, &e_in, &opts);
        drop(b);
        (g.join(), e)
    });
    let secs = start.elapsed().as_secs_f64();
    let g = match g {
        Ok(r) => r?,
        Err(_) => bail!("the garbler thread panicked (a bug)"),
    };
    let e = e?;
    Ok((secs, e.outputs, g.stats))
}

/// `mpc bench --protocol`'s workload with `rounds` passes.
fn mac_program(rounds: u64) -> anyhow::Result<Program> {
    let (p, _) =
        mpc_compiler::compile_program(&super::bench::mac_source(rounds), &mpc_compiler::Options::default());
    p.context("the built-in benchmark program did not compile (a bug)")
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Runs the link benchmark if `--bandwidth` was given (returns `false` otherwise).
/// `ands` is the size of the large program.
pub fn run(args: &LinkArgs, ands: u64, json: bool) -> anyhow::Result<bool> {
    let Some(bits_per_s) = args.bandwidth else {
        return Ok(false);
    };
    let link = Link { bits_per_s, latency: args.latency.unwrap_or(Duration::ZERO) };
    let schemes: Vec<Scheme> = args.scheme.map_or(Scheme::ALL.to_vec(), |s| vec![s]);

    let aes =
        mpc_circuits::bristol::read(super::bench::AES_128).context("reading the built-in AES-128 circuit")?;
    let aes = Program::from_circuit(&mpc_circuits::passes::schedule_levels(&aes))
        .map_err(|e| anyhow::anyhow!("the built-in AES-128 circuit is not a program: {e}"))?;
    // FIPS-197 appendix C.1, as `mpc bench`'s own check reads it.
    let key = 0x000102030405060708090a0b0c0d0e0f_u128;
    let pt = 0x00112233445566778899aabbccddeeff_u128;
    let want_ct = 0x69c4e0d86a7b0430d8cdb78070b4c55a_u128;
    let bits = |v: u128| (0..128).map(|i| v >> i & 1 == 1).collect::<Vec<bool>>();
    let aes_inputs = [bits(key), bits(pt)];

    let per_round = mac_program(1)?.stats().and.max(1);
    let rounds = (u128::from(ands) / per_round).max(1) as u64;
    let big = mac_program(rounds)?;
    let (a, b) = ((1..=1024u32).map(|i| i.wrapping_mul(0x9e37_79b9)).collect::<Vec<_>>(), vec![3u32; 1024]);
    let dot = a.iter().zip(&b).fold(0u32, |s, (x, y)| s.wrapping_add(x.wrapping_mul(*y)));
    let want = (0..rounds).fold(0u32, |s, _| s.wrapping_add(dot));
    let big_inputs = [super::bench::u32_bits(&a), super::bench::u32_bits(&b)];

    let mut rows = Vec::new();
    for &scheme in &schemes {
        let mut aes_ms = Vec::new();
        for _ in 0..args.aes_runs {
            let (secs, out, _) = session(&aes, &aes_inputs, link, scheme)?;
            anyhow::ensure!(
                out == vec![Some(bits(want_ct))],
                "AES-128 over the link gave a wrong ciphertext (a bug)"
            );
            aes_ms.push(secs * 1e3);
        }
        let (secs, out, stats) = session(&big, &big_inputs, link, scheme)?;
        anyhow::ensure!(
            out == vec![Some(super::bench::u32_bits(&[want]))],
            "the large program gave a wrong result (a bug)"
        );
        let (garble, eval) = kernel_rates(scheme, Duration::from_millis(500))?;
        rows.push(serde_json::json!({
            "scheme": scheme.name(),
            "garble_and_per_s": garble.round(),
            "eval_and_per_s": eval.round(),
            "aes128_session_ms": (median(aes_ms) * 100.0).round() / 100.0,
            "program_and_gates": stats.and_gates,
            "program_seconds": (secs * 1000.0).round() / 1000.0,
            "program_and_per_s": (stats.and_gates as f64 / secs).round(),
            "program_garbler_bytes_sent": stats.bytes_sent,
            "bytes_per_and": bytes_per_and(scheme)?,
        }));
    }
    if json {
        let v = serde_json::json!({
            "link": link.to_string(),
            "bandwidth_bits_per_s": link.bits_per_s,
            "latency_ms": link.latency.as_secs_f64() * 1e3,
            "transport": "both parties in this process, in-memory channel shaped by mpc_net::ShapedChannel",
            "aes_runs": args.aes_runs,
            "program": format!("{rounds} passes of s += a[i] * b[i] over [u32; 1024] arrays"),
            "schemes": rows,
        });
        outln!("{}", serde_json::to_string_pretty(&v)?)?;
    } else {
        outln!("link                     {link} (simulated, both parties in this process)")?;
        for r in &rows {
            outln!(
                "{:<13} aes128 session {} ms (median of {}), {} ANDs in {} s = {:.2}M AND/s, {} bytes/AND; kernel garble {:.1}M, eval {:.1}M AND/s",
                r["scheme"].as_str().unwrap_or(""),
                r["aes128_session_ms"],
                args.aes_runs,
                r["program_and_gates"],
                r["program_seconds"],
                r["program_and_per_s"].as_f64().unwrap_or(0.0) / 1e6,
                r["bytes_per_and"],
                r["garble_and_per_s"].as_f64().unwrap_or(0.0) / 1e6,
                r["eval_and_per_s"].as_f64().unwrap_or(0.0) / 1e6
            )?;
        }
    }
    Ok(true)
}
