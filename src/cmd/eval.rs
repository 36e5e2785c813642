//! `mpc eval FILE --input NAME=VALUE ... [--json]`: evaluates a circuit in plaintext
//! (the reference the garbled protocol is tested against) and prints its outputs the
//! way `mpc run` and `mpc local` do (see `load::print_outputs`).
//!
//! For Bristol files inputs and outputs are named by position (`0`, `1`, ...).
//! Unknown names, missing or repeated inputs and values that do not fit their type
//! are user errors (exit 1, one sentence).

use std::path::PathBuf;

use anyhow::Context;

use super::load::{load_circuit, parse_inputs, print_outputs};

/// Arguments of `mpc eval`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The circuit file (Bristol Fashion or old Bristol).
    file: PathBuf,
    /// An input value, `NAME=VALUE` (decimal, 0x hex, true/false, [a, b], {"f": v}).
    #[arg(long = "input", short = 'i', value_name = "NAME=VALUE", allow_hyphen_values = true)]
    inputs: Vec<String>,
    /// Print one JSON object instead of `name: value` lines.
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let c = load_circuit(&args.file)?;
    let given = parse_inputs(&c, &args.inputs, None)?;
    let groups: Vec<Vec<bool>> = given.into_iter().map(|(_, bits)| bits).collect();
    let outputs = mpc_circuits::eval::eval_groups(&c, &groups).context("evaluation failed")?;
    print_outputs(&c, &outputs, args.json, None)
}
