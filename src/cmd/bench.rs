//! `mpc bench [--json]`: measures on this machine, in a few seconds, what the garbling
//! engine rests on and what it achieves: which AES backend is active, fixed-key AES
//! blocks/s, TCCR hashes/s, half-gates garbling and evaluation AND gates/s on one core,
//! and the time to garble and evaluate the AES-128 circuit (the published Bristol
//! Fashion file, level-scheduled, checked against FIPS-197 on the way).
//!
//! `aes_blocks_per_s` is the `aes` crate's `encrypt_blocks` on batches of 1024 blocks,
//! measured before and after the garbling runs, the better of the two: the reference of
//! the garbling bar (garbling >= 60% of aes/8, evaluation >= 60% of aes/4). Our own
//! kernels (`kernel`: VAES on CPUs that have it, else AES-NI) run AES faster than the
//! crate; `kernel_aes_blocks_per_s` and the `_of_kernel_` ratios report the stricter
//! comparison against them too.
//!
//! Then, unless `--no-sessions`, two parties on two threads over loopback TCP (module
//! `session`, wall clock, medians): `pipeline_and_per_s` (a 10^7-AND layered program,
//! connect to outputs), `base_ot_ms`, `aes128_session_ms`, `aes128_amortized_us` and
//! `sha256_amortized_us` (100 instances in one session), `cot_per_s`; and
//! `bytes_per_and` of the garbling scheme (`scheme`). Scripts read these key names.
//!
//! `mpc bench --setup [--runs N]` measures only `base_ot_ms` and `aes128_session_ms`,
//! N interleaved runs of each (median, minimum, maximum), and the single-thread times
//! of an AES-128 session's other per-party work (one-body program, hello digest, slot
//! plans).
//!
//! `mpc bench --malicious [--runs N]` measures the malicious mode instead (module
//! `malicious`: AES-128 one-shot and amortised over 100 in one session, SHA-256, bytes
//! per AND by phase), N interleaved runs (default 5), medians.
//!
//! `mpc bench --protocol [--ands N]` instead measures a whole two-party run of a
//! compiled program with loops (about N AND gates, default 10^7) end to end: AND/s,
//! compile time, bytes; the result is checked against a plain computation.
//!
//! Rates use this thread's CPU time where Linux provides it (so a loaded machine gives
//! the speed of the code, not the share of the CPU it got), wall-clock time elsewhere;
//! the `clock` field says which.

use std::time::Duration;

use anyhow::Context;
use mpc_crypto::{aes_backend, Block, Delta, Prg};
use mpc_garble::{decode, encode, perf, Evaluator, Garbler};

use super::outln;

mod malicious;
mod session;

/// The AES-128 Bristol Fashion circuit (mkskeller/bristol-fashion, see
/// runtime/garble/tests/vectors/PROVENANCE.md).
pub(super) const AES_128: &str = include_str!("../../runtime/garble/tests/vectors/aes_128.txt");

/// Arguments of `mpc bench`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print one JSON object instead of a table.
    #[arg(long)]
    json: bool,
    /// Seconds to spend on each measurement (default 0.6; the whole run takes about
    /// twelve times this).
    #[arg(long, default_value_t = 0.6, value_parser = parse_seconds)]
    seconds: f64,
    /// Instead, measure a whole two-party run end to end: a compiled multiply-accumulate
    /// program (loops over u32 arrays) of about `--ands` AND gates, both parties in this
    /// process over an in-memory channel (hello, OT, streamed tables, outputs), checked
    /// against a plain computation.
    #[arg(long)]
    protocol: bool,
    /// AND gates of the `--protocol` run (rounded to whole passes over the arrays).
    #[arg(long, default_value_t = 10_000_000, value_parser = clap::value_parser!(u64).range(1..=100_000_000_000))]
    ands: u64,
    /// `--bandwidth`, `--latency`, `--scheme`: sessions over a simulated link
    /// (`bench_link.rs`).
    #[command(flatten)]
    link: super::bench_link::LinkArgs,
    /// Skip the two-party measurements over loopback TCP (`pipeline_and_per_s`,
    /// `base_ot_ms`, `aes128_session_ms`, `aes128_amortized_us`, `sha256_amortized_us`,
    /// `cot_per_s`), which take a few seconds more.
    #[arg(long)]
    no_sessions: bool,
    /// Instead, measure only the setup: `base_ot_ms` and `aes128_session_ms`, `--runs`
    /// runs of each (interleaved), reported as median, minimum and maximum; the quick
    /// way to compare two builds or to profile the setup.
    #[arg(long)]
    setup: bool,
    /// Instead, measure the malicious mode (`--security malicious`): AES-128 one-shot
    /// and amortised over 100 instances in one session, SHA-256, bytes per AND by phase,
    /// `--runs` runs of each (interleaved), medians.
    #[arg(long, conflicts_with_all = ["setup", "protocol"])]
    malicious: bool,
    /// Runs of each `--setup` (default 21) or `--malicious` (default 5) measurement.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    runs: Option<u32>,
}

/// The SHA-256 compression Bristol Fashion circuit (same provenance as [`AES_128`]).
const SHA_256: &str = include_str!("../../runtime/garble/tests/vectors/sha256.txt");

/// Runs of each two-party measurement (the median is reported).
const SESSION_RUNS: usize = 5;
/// Instances of the amortized AES-128 and SHA-256 sessions.
const AMORTIZED: usize = 100;

/// The two-party measurements of [`session`].
struct Sessions {
    pipeline_and_per_s: f64,
    pipeline_ands: u64,
    base_ot_ms: f64,
    aes128_session_ms: f64,
    aes128_amortized_us: f64,
    sha256_amortized_us: f64,
    cot_per_s: f64,
}

fn sessions(aes: &mpc_circuits::Circuit) -> anyhow::Result<Sessions> {
    use rand::SeedableRng;
    let mut rng = rand_chacha::ChaCha12Rng::from_entropy();
    let layered = session::layered_program()?;
    let pipeline_ands = u64::try_from(layered.stats().and).unwrap_or(u64::MAX);
    let sha = mpc_circuits::bristol::read(SHA_256).context("reading the built-in SHA-256 circuit")?;
    let sha = mpc_circuits::passes::schedule_levels(&sha);
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let pipeline = session::median(SESSION_RUNS, || session::pipeline_run(&layered, &mut rng))?;
    let base_ot = session::median(4 * SESSION_RUNS, || session::base_ot_run(&mut rng))?;
    let aes_one = session::median(4 * SESSION_RUNS, || session::session_run(aes, 1, &mut rng))?;
    let aes_many = session::median(SESSION_RUNS, || session::session_run(aes, AMORTIZED, &mut rng))?;
    let sha_many = session::median(SESSION_RUNS, || session::session_run(&sha, AMORTIZED, &mut rng))?;
    let mut cot =
        (0..SESSION_RUNS).map(|_| session::cot_run(64, &mut rng)).collect::<anyhow::Result<Vec<f64>>>()?;
    cot.sort_by(f64::total_cmp);
    Ok(Sessions {
        pipeline_and_per_s: pipeline_ands as f64 / pipeline.as_secs_f64(),
        pipeline_ands,
        base_ot_ms: ms(base_ot),
        aes128_session_ms: ms(aes_one),
        aes128_amortized_us: ms(aes_many) * 1e3 / AMORTIZED as f64,
        sha256_amortized_us: ms(sha_many) * 1e3 / AMORTIZED as f64,
        cot_per_s: cot[cot.len() / 2],
    })
}

/// The `--protocol` workload: `rounds` passes of `s += a[i] * b[i]` over 1024-element
/// u32 arrays, one from each party.
pub(super) fn mac_source(rounds: u64) -> String {
    format!(
        "party alice;\nparty bob;\nfn main(a: [u32; 1024] @alice, b: [u32; 1024] @bob) -> (s: u32) {{\n    let mut s: u32 = 0;\n    for r in 0..{rounds} {{\n        for i in 0..1024 {{\n            s = s + a[i] * b[i];\n        }}\n    }}\n    (s,)\n}}\n"
    )
}

pub(super) fn u32_bits(v: &[u32]) -> Vec<bool> {
    v.iter().flat_map(|x| (0..32).map(move |i| x >> i & 1 == 1)).collect()
}

/// `mpc bench --protocol`: AND/s of a whole two-party run of a program.
fn protocol(args: &Args) -> anyhow::Result<()> {
    use rand::Rng;
    let compile = |rounds: u64| -> anyhow::Result<(mpc_circuits::Program, f64)> {
        let start = std::time::Instant::now();
        let (p, _) = mpc_compiler::compile_program(&mac_source(rounds), &mpc_compiler::Options::default());
        let ms = start.elapsed().as_secs_f64() * 1e3;
        Ok((p.context("the built-in benchmark program did not compile (a bug)")?, ms))
    };
    let per_round = compile(1)?.0.stats().and.max(1);
    let rounds = (u128::from(args.ands) / per_round).max(1) as u64;
    let (p, compile_ms) = compile(rounds)?;
    let mut rng = rand::thread_rng();
    let a: Vec<u32> = (0..1024).map(|_| rng.gen()).collect();
    let b: Vec<u32> = (0..1024).map(|_| rng.gen()).collect();
    let dot = a.iter().zip(&b).fold(0u32, |s, (x, y)| s.wrapping_add(x.wrapping_mul(*y)));
    let want = (0..rounds).fold(0u32, |s, _| s.wrapping_add(dot));
    let start = std::time::Instant::now();
    let out = mpc_runtime::run_local_program(&p, &[u32_bits(&a), u32_bits(&b)], &Default::default())?;
    let secs = start.elapsed().as_secs_f64();
    anyhow::ensure!(out.outputs == vec![u32_bits(&[want])], "the garbled run gave a wrong result (a bug)");
    let ands = out.garbler.and_gates;
    let rate = ands as f64 / secs;
    if args.json {
        let v = serde_json::json!({
            "workload": format!("{rounds} passes of s += a[i] * b[i] over [u32; 1024] arrays, one per party"),
            "program_and_gates": ands,
            "program_size": p.size(),
            "compile_ms": (compile_ms * 10.0).round() / 10.0,
            "seconds": (secs * 1000.0).round() / 1000.0,
            "and_per_s": rate.round(),
            "bytes": out.garbler.bytes_sent + out.evaluator.bytes_sent,
            "transport": "both parties in one process, in-memory channel",
        });
        outln!("{}", serde_json::to_string_pretty(&v)?)
    } else {
        outln!("workload                 {rounds} passes of s += a[i] * b[i] over [u32; 1024] arrays (program size {})", p.size())?;
        outln!("compile_ms               {compile_ms:.1}")?;
        outln!("and_gates                {ands}")?;
        outln!("seconds                  {secs:.3}  (both parties in one process, in-memory channel, result checked)")?;
        outln!("and_per_s                {:.2}M", rate / 1e6)
    }
}

/// `mpc bench --setup`: `base_ot_ms` and `aes128_session_ms` only, `--runs` of each,
/// and the single-thread times of the session's other per-session work.
fn setup(args: &Args) -> anyhow::Result<()> {
    use rand::SeedableRng;
    let aes = mpc_circuits::bristol::read(AES_128).context("reading the built-in AES-128 circuit")?;
    let aes = mpc_circuits::passes::schedule_levels(&aes);
    let mut rng = rand_chacha::ChaCha12Rng::from_entropy();
    let mut runs: [Vec<Duration>; 5] = Default::default();
    let n_runs = args.runs.unwrap_or(21);
    for _ in 0..n_runs {
        runs[0].push(session::base_ot_run(&mut rng)?);
        runs[1].push(session::session_run(&aes, 1, &mut rng)?);
        for (r, t) in runs[2..].iter_mut().zip(session::session_parts(&aes)?) {
            r.push(t);
        }
    }
    // (median, min, max) in ms.
    let [ot, one, from_circuit, digest, plans] = runs.map(|mut t| {
        t.sort();
        let ms = |d: Duration| (d.as_secs_f64() * 1e6).round() / 1e3;
        (ms(t[t.len() / 2]), ms(t[0]), ms(t[t.len() - 1]))
    });
    if args.json {
        let v = serde_json::json!({
            "runs": n_runs,
            "base_ot_ms": ot.0, "base_ot_ms_min": ot.1, "base_ot_ms_max": ot.2,
            "aes128_session_ms": one.0, "aes128_session_ms_min": one.1, "aes128_session_ms_max": one.2,
            "sessions_transport": "two threads over loopback TCP, wall clock, interleaved runs",
            "aes128_from_circuit_ms": from_circuit.0,
            "aes128_digest_ms": digest.0,
            "aes128_plans_ms": plans.0,
            "parts": "medians, one thread, per party and session: Program::from_circuit, the hello's program_digest, ProgramPlans::new",
        });
        outln!("{}", serde_json::to_string_pretty(&v)?)
    } else {
        outln!("base_ot_ms               {:.3}  (min {:.3}, max {:.3}; {} runs)", ot.0, ot.1, ot.2, n_runs)?;
        outln!(
            "aes128_session_ms        {:.3}  (min {:.3}, max {:.3}; {} runs)",
            one.0,
            one.1,
            one.2,
            n_runs
        )?;
        outln!(
            "per party and session    from_circuit {:.3} ms, hello digest {:.3} ms, slot plans {:.3} ms  (one thread, medians)",
            from_circuit.0,
            digest.0,
            plans.0
        )
    }
}

/// `mpc bench --malicious`.
fn malicious_run(args: &Args) -> anyhow::Result<()> {
    let aes = mpc_circuits::bristol::read(AES_128).context("reading the built-in AES-128 circuit")?;
    let sha = mpc_circuits::bristol::read(SHA_256).context("reading the built-in SHA-256 circuit")?;
    let n_runs = args.runs.unwrap_or(SESSION_RUNS as u32) as usize;
    let m = malicious::run(&aes, &sha, n_runs)?;
    let r2 = |x: f64| (x * 100.0).round() / 100.0;
    if args.json {
        let phases: Vec<serde_json::Value> = m
            .phases
            .iter()
            .map(|p| {
                serde_json::json!({
                    "phase": p.name,
                    "bytes_per_and": r2(p.bytes_per_and),
                    "garbler_ms": r2(p.garbler_ms),
                    "garbler_waiting_ms": r2(p.garbler_waiting_ms),
                })
            })
            .collect();
        let v = serde_json::json!({
            "runs": m.runs,
            "malicious_aes128_session_ms": r2(m.aes128_session_ms),
            "malicious_aes128_amortized_ms": r2(m.aes128_amortized_ms),
            "malicious_amortized_instances": malicious::AMORTIZED,
            "malicious_sha256_session_ms": r2(m.sha256_session_ms),
            "malicious_bytes_per_and": r2(m.bytes_per_and),
            "malicious_phases": phases,
            "sessions_transport": "two threads over loopback TCP, wall clock, medians; phases of the last amortised run",
        });
        outln!("{}", serde_json::to_string_pretty(&v)?)
    } else {
        outln!(
            "malicious_aes128_session_ms     {:.2}  (one AES-128, median of {})",
            m.aes128_session_ms,
            m.runs
        )?;
        outln!(
            "malicious_aes128_amortized_ms   {:.2}  ({} AES-128 in one session, per instance)",
            m.aes128_amortized_ms,
            malicious::AMORTIZED
        )?;
        outln!("malicious_sha256_session_ms     {:.2}  (one SHA-256 compression)", m.sha256_session_ms)?;
        outln!("malicious_bytes_per_and         {:.1}  (both parties, amortised session)", m.bytes_per_and)?;
        for p in &m.phases {
            outln!(
                "  {:<22} {:>7.1} B/AND, garbler {:.1} ms ({:.1} waiting)",
                p.name,
                p.bytes_per_and,
                p.garbler_ms,
                p.garbler_waiting_ms
            )?;
        }
        Ok(())
    }
}

fn parse_seconds(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && (0.01..=60.0).contains(&v) => Ok(v),
        _ => Err(format!("`{s}` is not a number of seconds between 0.01 and 60")),
    }
}

/// Garbles and evaluates the AES-128 circuit on the FIPS-197 appendix C.1 vector and
/// checks the ciphertext.
fn aes_kat(circuit: &mpc_circuits::Circuit) -> anyhow::Result<()> {
    let key = u128::from_be_bytes([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
    let pt = u128::from_be_bytes([
        0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
    ]);
    let want = u128::from_be_bytes([
        0x69, 0xc4, 0xe0, 0xd8, 0x6a, 0x7b, 0x04, 0x30, 0xd8, 0xcd, 0xb7, 0x80, 0x70, 0xb4, 0xc5, 0x5a,
    ]);
    let bits: Vec<bool> =
        (0..128).map(|i| key >> i & 1 == 1).chain((0..128).map(|i| pt >> i & 1 == 1)).collect();
    let mut prg = Prg::from_seed_block(Block::from_u128(7));
    let delta = Delta::from_block(prg.random_block());
    let zero = prg.blocks(bits.len());
    let active = encode(&zero, &delta, &bits)?;
    let mut tables = Vec::new();
    let decoding = Garbler::new(circuit, &delta, zero, 0)?.garble(&mut tables)?;
    let labels = Evaluator::new(circuit, active, 0)?.evaluate(&mut tables.as_slice())?;
    let out = decode(&labels, &decoding)?;
    let got = out.iter().enumerate().fold(0u128, |acc, (i, &b)| acc | (u128::from(b) << i));
    anyhow::ensure!(got == want, "the garbled AES-128 circuit gave a wrong ciphertext (a bug)");
    Ok(())
}

pub fn run(args: Args) -> anyhow::Result<()> {
    if super::bench_link::run(&args.link, args.ands, args.json)? {
        return Ok(());
    }
    if args.protocol {
        return protocol(&args);
    }
    if args.setup {
        return setup(&args);
    }
    if args.malicious {
        return malicious_run(&args);
    }
    let t = Duration::from_secs_f64(args.seconds);
    let aes_circuit = mpc_circuits::bristol::read(AES_128).context("reading the built-in AES-128 circuit")?;
    let aes_circuit = mpc_circuits::passes::schedule_levels(&aes_circuit);
    aes_kat(&aes_circuit)?;

    let aes_crate_before = perf::aes_crate_blocks_per_s(t);
    let kernel_aes = perf::aes_blocks_per_s(t);
    let tccr = perf::tccr_blocks_per_s(t);
    let wide = perf::wide_layer(1 << 18);
    let garble = perf::garble_and_per_s(&wide, 2 * t);
    let eval = perf::eval_and_per_s(&wide, 2 * t);
    let ands = aes_circuit.and_count() as f64;
    let aes_garble = perf::garble_and_per_s(&aes_circuit, t);
    let aes_eval = perf::eval_and_per_s(&aes_circuit, t);
    let aes = aes_crate_before.max(perf::aes_crate_blocks_per_s(t));
    let garble_us = ands / aes_garble * 1e6;
    let eval_us = ands / aes_eval * 1e6;
    let garble_ratio = garble / (aes / 8.0);
    let eval_ratio = eval / (aes / 4.0);
    let kernel = mpc_crypto::FixedKeyAes::global().kernel_name();
    let (garble_k, eval_k) = (garble / (kernel_aes / 8.0), eval / (kernel_aes / 4.0));
    let r3 = |x: f64| (x * 1000.0).round() / 1000.0;
    // The table bytes per AND gate of the scheme `--scheme` names (half-gates when not
    // given), counted on the garbler's output.
    let scheme = args.link.scheme().unwrap_or(mpc_runtime::Scheme::HalfGates);
    let bytes_per_and = super::bench_link::bytes_per_and(scheme)?;
    let scheme = scheme.name();
    let sessions = if args.no_sessions { None } else { Some(sessions(&aes_circuit)?) };
    let r1 = |x: f64| (x * 10.0).round() / 10.0;

    if args.json {
        let v = serde_json::json!({
            "aes_backend": aes_backend(),
            "clock": perf::clock_name(),
            "aes_blocks_per_s": aes.round(),
            "aes_blocks_per_s_source": "aes crate encrypt_blocks, 1024-block batches, best of two runs",
            "kernel": kernel,
            "kernel_aes_blocks_per_s": kernel_aes.round(),
            "tccr_per_s": tccr.round(),
            "garble_and_per_s": garble.round(),
            "eval_and_per_s": eval.round(),
            "garble_ratio_of_aes_over_8": r3(garble_ratio),
            "eval_ratio_of_aes_over_4": r3(eval_ratio),
            "garble_ratio_of_kernel_aes_over_8": r3(garble_k),
            "eval_ratio_of_kernel_aes_over_4": r3(eval_k),
            "workload": format!("wide layer of {} independent AND gates", wide.and_count()),
            "aes128_circuit": "Bristol Fashion aes_128 (level-scheduled), FIPS-197 checked",
            "aes128_and_gates": aes_circuit.and_count(),
            "aes128_garble_us": (garble_us * 10.0).round() / 10.0,
            "aes128_eval_us": (eval_us * 10.0).round() / 10.0,
            "aes128_garble_eval_us": ((garble_us + eval_us) * 10.0).round() / 10.0,
            "scheme": scheme,
            "bytes_per_and": bytes_per_and,
        });
        let mut v = v;
        if let (Some(s), Some(obj)) = (&sessions, v.as_object_mut()) {
            let extra = serde_json::json!({
                "pipeline_and_per_s": s.pipeline_and_per_s.round(),
                "pipeline_ratio_of_garble": r3(s.pipeline_and_per_s / garble),
                "pipeline_workload": format!("layered program, {} AND (1,024 per layer), two threads over loopback TCP, connect to outputs, median of {SESSION_RUNS}, wall clock", s.pipeline_ands),
                "base_ot_ms": r3(s.base_ot_ms),
                "aes128_session_ms": r3(s.aes128_session_ms),
                "aes128_amortized_us": r1(s.aes128_amortized_us),
                "sha256_amortized_us": r1(s.sha256_amortized_us),
                "cot_per_s": s.cot_per_s.round(),
                "sessions_transport": "two threads over loopback TCP, wall clock, medians",
            });
            if let Some(extra) = extra.as_object() {
                obj.extend(extra.clone());
            }
        }
        outln!("{}", serde_json::to_string_pretty(&v)?)?;
    } else {
        let m = |x: f64| format!("{:.1}M", x / 1e6);
        outln!("aes_backend              {}", aes_backend())?;
        outln!("clock                    {} (rates per second of this clock, one core)", perf::clock_name())?;
        outln!("aes_blocks_per_s         {}  (aes crate, 1024-block batches, best of two runs)", m(aes))?;
        outln!("kernel                   {kernel}  (our fixed-key AES: {} blocks/s)", m(kernel_aes))?;
        outln!("tccr_per_s               {}", m(tccr))?;
        outln!(
            "garble_and_per_s         {}  ({:.0}% of aes/8, {:.0}% of kernel aes/8; wide layer of {} ANDs)",
            m(garble),
            100.0 * garble_ratio,
            100.0 * garble_k,
            wide.and_count()
        )?;
        outln!(
            "eval_and_per_s           {}  ({:.0}% of aes/4, {:.0}% of kernel aes/4)",
            m(eval),
            100.0 * eval_ratio,
            100.0 * eval_k
        )?;
        outln!(
            "aes128 garble+eval       {:.0} us  (garble {:.0} us, eval {:.0} us; {} ANDs, Bristol aes_128, level-scheduled, FIPS-197 ok)",
            garble_us + eval_us,
            garble_us,
            eval_us,
            aes_circuit.and_count()
        )?;
        outln!("bytes_per_and            {bytes_per_and:.1}  ({scheme})")?;
        if let Some(s) = &sessions {
            outln!(
                "pipeline_and_per_s       {}  ({:.0}% of garble_and_per_s; layered program of {} ANDs, two threads over loopback TCP, connect to outputs)",
                m(s.pipeline_and_per_s),
                100.0 * s.pipeline_and_per_s / garble,
                s.pipeline_ands
            )?;
            outln!("base_ot_ms               {:.2}  (128 Chou-Orlandi OTs over loopback TCP)", s.base_ot_ms)?;
            outln!(
                "aes128_session_ms        {:.2}  (one AES-128 session, connect to outputs)",
                s.aes128_session_ms
            )?;
            outln!(
                "aes128_amortized_us      {:.0}  ({AMORTIZED} AES-128 in one session)",
                s.aes128_amortized_us
            )?;
            outln!(
                "sha256_amortized_us      {:.0}  ({AMORTIZED} SHA-256 compressions in one session)",
                s.sha256_amortized_us
            )?;
            outln!("cot_per_s                {}  (IKNP correlated OT over loopback TCP)", m(s.cot_per_s))?;
        }
    }
    Ok(())
}
