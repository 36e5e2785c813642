//! `mpc run PROG --party NAME (--listen ADDR | --connect ADDR) [--inputs FILE]
//! --input NAME=VALUE ... [--json] [--timeout SECS] [--stats] [--tls-cert F --tls-key F
//! --peer-cert F]`: one party of a two-party garbled-circuit session over TCP (or TLS),
//! through the library's [`mpc::Program::run_with`] over the channel built here.
//!
//! The program's first party garbles, the second evaluates (`docs/protocol.md`);
//! which side listens is free. Each party passes only its own inputs, and prints what
//! `mpc eval` prints restricted to the outputs it may see. Every failure (no peer,
//! timeout, disconnect, garbage, a different program, a bad input) is one sentence
//! and exit status 1.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::bail;
use mpc_net::Channel;
use mpc_runtime::{Progress, Scheme, SessionStats};

use super::load::{gather_inputs, load_program_for_protocol, print_outputs};
use super::tls::{accept_peer, connect_peer, TlsArgs};

/// Arguments of `mpc run`.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("endpoint").required(true).args(["listen", "connect"])))]
pub struct Args {
    /// The program: an .mpc file or a Bristol circuit.
    prog: PathBuf,
    /// Which of the program's parties this process is (the first party garbles).
    #[arg(long, value_name = "NAME")]
    party: String,
    /// Wait for the peer on this address (e.g. 0.0.0.0:7000).
    #[arg(long, value_name = "ADDR")]
    listen: Option<String>,
    /// Connect to the peer at this address (retried until the timeout).
    #[arg(long, value_name = "ADDR")]
    connect: Option<String>,
    /// One of this party's inputs, `NAME=VALUE`.
    #[arg(long = "input", short = 'i', value_name = "NAME=VALUE", allow_hyphen_values = true)]
    inputs: Vec<String>,
    /// This party's inputs from a file: a JSON object of name to value, or a .csv file
    /// whose columns are array inputs (an --input of the same name overrides it).
    #[arg(long = "inputs", value_name = "FILE")]
    inputs_file: Option<PathBuf>,
    /// Print one JSON object instead of `name: value` lines.
    #[arg(long)]
    json: bool,
    /// Seconds to wait for the peer (connecting, and every read) before giving up.
    #[arg(long, value_name = "SECS", default_value_t = 30.0)]
    timeout: f64,
    /// Print time, bytes and rounds on stderr.
    #[arg(long)]
    stats: bool,
    #[command(flatten)]
    tls: TlsArgs,
    /// Refuse a program whose run executes more than N gates (no limit without it).
    #[arg(long, value_name = "N")]
    max_gates: Option<u64>,
    /// Add an output `out_of_bounds`: whether a secret index was out of range on the
    /// path the run took (by default such a read returns some element and such a
    /// write writes nothing, silently). `.mpc` programs only; loops are unrolled.
    #[arg(long)]
    check_bounds: bool,
    /// No progress bar on stderr.
    #[arg(long, short = 'q')]
    quiet: bool,
    /// Which parties the protocol protects against: `semi-honest` (default) or
    /// `malicious` (authenticated garbling; both parties must choose the same).
    #[arg(long, value_enum, default_value_t = super::security::SecurityArg::SemiHonest)]
    security: super::security::SecurityArg,
    /// How AND gates are garbled: `half-gates` (32 bytes per AND, the faster kernel)
    /// or `three-halves` (24.6 bytes per AND, for slow links). Both parties must pass
    /// the same.
    #[arg(long, value_name = "SCHEME", default_value = "half-gates", value_parser = parse_scheme)]
    scheme: Scheme,
}

/// `--scheme`'s value: a [`Scheme::name`].
pub fn parse_scheme(s: &str) -> Result<Scheme, String> {
    Scheme::from_name(s).ok_or_else(|| {
        let names: Vec<&str> = Scheme::ALL.iter().map(|s| s.name()).collect();
        format!("unknown garbling scheme `{s}` (one of: {})", names.join(", "))
    })
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let program = load_program_for_protocol(&args.prog, args.check_bounds)?;
    program.check_two_party()?;
    super::program::check_max_gates(program.circuit(), args.max_gates)?;
    let inputs = gather_inputs(&program, Some(&args.party), args.inputs_file.as_deref(), &args.inputs)?;
    if !(args.timeout.is_finite() && args.timeout > 0.0 && args.timeout <= 1e6) {
        bail!("--timeout must be a positive number of seconds (at most 1000000)");
    }
    let timeout = Duration::from_secs_f64(args.timeout);
    let tls = args.tls.identity()?;

    let mut channel: Box<dyn Channel> = match (&args.listen, &args.connect) {
        (Some(addr), _) => accept_peer(addr, tls.as_ref(), timeout)?,
        (None, Some(addr)) => connect_peer(addr, tls.as_ref(), timeout)?,
        // clap's required `endpoint` group guarantees one of the two.
        (None, None) => bail!("pass --listen ADDR or --connect ADDR"),
    };

    let display = ProgressDisplay::start(args.quiet, "AND gates");
    let mut opts = super::security::options(args.security, args.scheme, args.max_gates)?;
    if let Some(d) = &display {
        opts = opts.progress(Arc::clone(&d.progress));
    }
    let result = program.run_with(&args.party, inputs, &mut *channel, &opts);
    drop(display);
    let out = result?;
    print_outputs(&out, args.json)?;
    if args.stats {
        for s in out.stats() {
            super::noteln!("{}", stats_line(&args.party, s));
        }
    }
    Ok(())
}

/// One line of statistics for `--stats`.
pub(crate) fn stats_line(who: &str, s: &SessionStats) -> String {
    let secs = s.elapsed.as_secs_f64();
    let rate = if secs > 0.0 { s.and_gates as f64 / secs } else { 0.0 };
    format!(
        "{who}: {:.3} ms, sent {} bytes, received {} bytes, {} rounds, {} AND gates ({:.2}M AND/s)",
        secs * 1e3,
        s.bytes_sent,
        s.bytes_received,
        s.rounds,
        s.and_gates,
        rate / 1e6
    )
}

/// A progress bar on stderr, shown only when stderr is a terminal, not with
/// `--quiet`, and only once the run has taken more than a second: `unit` done of the
/// total (from the program's statistics, set by whoever runs it), rate and time left.
pub(crate) struct ProgressDisplay {
    pub(crate) progress: Arc<Progress>,
    done: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ProgressDisplay {
    pub(crate) fn start(quiet: bool, unit: &'static str) -> Option<ProgressDisplay> {
        if quiet || !std::io::stderr().is_terminal() {
            return None;
        }
        let progress = Arc::new(Progress::default());
        let done = Arc::new(AtomicBool::new(false));
        let (p, d) = (Arc::clone(&progress), Arc::clone(&done));
        let thread = std::thread::spawn(move || draw(&p, &d, unit));
        Some(ProgressDisplay { progress, done, thread: Some(thread) })
    }
}

impl Drop for ProgressDisplay {
    fn drop(&mut self) {
        self.done.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            // The drawing thread does not panic on its own; ignore it if it did.
            let _ = t.join();
        }
    }
}

impl std::fmt::Debug for ProgressDisplay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProgressDisplay").finish_non_exhaustive()
    }
}

fn draw(p: &Progress, done: &AtomicBool, unit: &str) {
    let start = Instant::now();
    let tick = Duration::from_millis(100);
    while start.elapsed() < Duration::from_secs(1) {
        if done.load(Ordering::Relaxed) {
            return;
        }
        std::thread::sleep(tick);
    }
    let bar = indicatif::ProgressBar::new(p.and_gates_total.load(Ordering::Relaxed).max(1))
        .with_elapsed(start.elapsed());
    let template =
        format!("{{bar:30.cyan/blue}} {{pos}}/{{len}} {unit}  {{msg}}  [{{elapsed_precise}}, {{eta}} left]");
    if let Ok(style) = indicatif::ProgressStyle::with_template(&template) {
        bar.set_style(style);
    }
    while !done.load(Ordering::Relaxed) {
        let gates = p.and_gates_done.load(Ordering::Relaxed);
        let bytes = p.bytes_sent.load(Ordering::Relaxed).max(p.bytes_received.load(Ordering::Relaxed));
        let secs = start.elapsed().as_secs_f64();
        bar.set_length(p.and_gates_total.load(Ordering::Relaxed).max(1));
        bar.set_position(gates);
        let rate = format!("{:.2}M {unit}/s", gates as f64 / secs / 1e6);
        bar.set_message(if bytes > 0 {
            format!("{:.1} MiB moved, {rate}", bytes as f64 / (1 << 20) as f64)
        } else {
            rate
        });
        std::thread::sleep(tick);
    }
    bar.finish_and_clear();
}
