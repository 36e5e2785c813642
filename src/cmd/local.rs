//! `mpc local PROG --input NAME=VALUE ... [--json] [--stats]`: both parties of the
//! two-party protocol in one process (two threads over an in-memory channel), the
//! full protocol included: hello, OT, streamed tables, output decoding. Takes every
//! input and prints what `mpc eval` prints.

use std::path::PathBuf;
use std::sync::Arc;

use mpc_runtime::SessionOptions;

use super::load::{load_program_for_protocol, parse_inputs, print_outputs};
use super::run::{stats_line, ProgressDisplay};

/// Arguments of `mpc local`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The program: an .mpc file or a Bristol circuit.
    prog: PathBuf,
    /// An input of either party, `NAME=VALUE`.
    #[arg(long = "input", short = 'i', value_name = "NAME=VALUE", allow_hyphen_values = true)]
    inputs: Vec<String>,
    /// Print one JSON object instead of `name: value` lines.
    #[arg(long)]
    json: bool,
    /// Print each party's time, bytes and rounds on stderr.
    #[arg(long)]
    stats: bool,
    /// Refuse a program whose run executes more than N gates (no limit without it).
    #[arg(long, value_name = "N")]
    max_gates: Option<u64>,
    /// How AND gates are garbled: `half-gates` or `three-halves` (see `mpc run`).
    #[arg(long, value_name = "SCHEME", default_value = "half-gates", value_parser = super::run::parse_scheme)]
    scheme: mpc_runtime::Scheme,
    /// No progress bar on stderr.
    #[arg(long, short = 'q')]
    quiet: bool,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let circuit = load_program_for_protocol(&args.prog)?;
    mpc_runtime::check_two_party_program(&circuit)?;
    super::program::check_max_gates(&circuit, args.max_gates)?;
    let inputs: Vec<Vec<bool>> =
        parse_inputs(&circuit, &args.inputs, None)?.into_iter().map(|(_, bits)| bits).collect();
    let display = ProgressDisplay::start(args.quiet, "AND gates");
    let opts =
        SessionOptions { progress: display.as_ref().map(|d| Arc::clone(&d.progress)), scheme: args.scheme };
    let result = mpc_runtime::run_local_program(&circuit, &inputs, &opts);
    drop(display);
    let out = result?;
    print_outputs(&circuit, &out.outputs, args.json, None)?;
    if args.stats {
        super::noteln!("{}", stats_line(&format!("{} (garbler)", circuit.parties()[0]), &out.garbler));
        super::noteln!("{}", stats_line(&format!("{} (evaluator)", circuit.parties()[1]), &out.evaluator));
    }
    Ok(())
}
