//! `mpc local PROG [--inputs FILE] --input NAME=VALUE ... [--json] [--stats]`: both
//! parties of the two-party protocol in one process ([`mpc::Program::local_with`]: two
//! threads over an in-memory channel), the full protocol included: hello, OT, streamed
//! tables, output decoding. Takes every input and prints what `mpc eval` prints.

use std::path::PathBuf;
use std::sync::Arc;

use super::load::{gather_inputs, load_program_for_protocol, print_outputs};
use super::run::{stats_line, ProgressDisplay};

/// Arguments of `mpc local`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The program: an .mpc file or a Bristol circuit.
    prog: PathBuf,
    /// An input of either party, `NAME=VALUE`.
    #[arg(long = "input", short = 'i', value_name = "NAME=VALUE", allow_hyphen_values = true)]
    inputs: Vec<String>,
    /// Inputs from a file: a JSON object of name to value, or a .csv file whose columns
    /// are array inputs (an --input of the same name overrides it).
    #[arg(long = "inputs", value_name = "FILE")]
    inputs_file: Option<PathBuf>,
    /// Print one JSON object instead of `name: value` lines.
    #[arg(long)]
    json: bool,
    /// Print each party's time, bytes and rounds on stderr.
    #[arg(long)]
    stats: bool,
    /// Refuse a program whose run executes more than N gates (no limit without it).
    #[arg(long, value_name = "N")]
    max_gates: Option<u64>,
    /// Add an output `out_of_bounds`: whether a secret index was out of range on the
    /// path the run took (by default such a read returns some element and such a
    /// write writes nothing, silently). `.mpc` programs only; loops are unrolled.
    #[arg(long)]
    check_bounds: bool,
    /// How AND gates are garbled: `half-gates` or `three-halves` (see `mpc run`).
    #[arg(long, value_name = "SCHEME", default_value = "half-gates", value_parser = super::run::parse_scheme)]
    scheme: mpc_runtime::Scheme,
    /// No progress bar on stderr.
    #[arg(long, short = 'q')]
    quiet: bool,
    /// Which parties the protocol protects against: `semi-honest` (default) or
    /// `malicious` (authenticated garbling; both parties must choose the same).
    #[arg(long, value_enum, default_value_t = super::security::SecurityArg::SemiHonest)]
    security: super::security::SecurityArg,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let program = load_program_for_protocol(&args.prog, args.check_bounds)?;
    program.check_two_party()?;
    super::program::check_max_gates(program.circuit(), args.max_gates)?;
    let inputs = gather_inputs(&program, None, args.inputs_file.as_deref(), &args.inputs)?;
    let display = ProgressDisplay::start(args.quiet, "AND gates");
    let mut opts = super::security::options(args.security, args.scheme, args.max_gates)?;
    if let Some(d) = &display {
        opts = opts.progress(Arc::clone(&d.progress));
    }
    let result = program.local_with(inputs, &opts);
    drop(display);
    let out = result?;
    print_outputs(&out, args.json)?;
    if args.stats {
        // `local` reports the garbler's statistics, then the evaluator's.
        for (role, (party, s)) in
            ["garbler", "evaluator"].iter().zip(program.parties().iter().zip(out.stats()))
        {
            super::noteln!("{}", stats_line(&format!("{party} ({role})"), s));
        }
    }
    Ok(())
}
