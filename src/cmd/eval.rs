//! `mpc eval FILE [--inputs FILE] --input NAME=VALUE ... [--json] [--max-gates N]
//! [--quiet]`: evaluates a program (or a circuit file, as its one-body program) in
//! plaintext through the library's [`mpc::Program::eval_with`] (the program executor
//! with the plain engine, the reference the garbled protocol is tested against) and
//! prints its outputs the way `mpc run` and `mpc local` do (see `load::print_outputs`).
//!
//! For Bristol files inputs and outputs are named by position (`0`, `1`, ...).
//! Unknown names, missing or repeated inputs and values that do not fit their type
//! are user errors (exit 1, one sentence).

use std::path::PathBuf;
use std::sync::Arc;

use super::load::{gather_inputs, load_program_checked, print_outputs};
use super::run::ProgressDisplay;

/// Arguments of `mpc eval`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The circuit file (Bristol Fashion or old Bristol).
    file: PathBuf,
    /// An input value, `NAME=VALUE` (decimal, 0x hex, true/false, [a, b], {"f": v}).
    #[arg(long = "input", short = 'i', value_name = "NAME=VALUE", allow_hyphen_values = true)]
    inputs: Vec<String>,
    /// Inputs from a file: a JSON object of name to value, or a .csv file whose columns
    /// are array inputs (an --input of the same name overrides it).
    #[arg(long = "inputs", value_name = "FILE")]
    inputs_file: Option<PathBuf>,
    /// Print one JSON object instead of `name: value` lines.
    #[arg(long)]
    json: bool,
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
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let p = load_program_checked(&args.file, args.check_bounds)?;
    super::program::check_max_gates(p.circuit(), args.max_gates)?;
    let inputs = gather_inputs(&p, None, args.inputs_file.as_deref(), &args.inputs)?;
    let display = ProgressDisplay::start(args.quiet, "gates");
    let mut opts = mpc::RunOptions::default();
    if let Some(d) = &display {
        opts = opts.progress(Arc::clone(&d.progress));
    }
    let result = p.eval_with(inputs, &opts);
    drop(display);
    print_outputs(&result?, args.json)
}
