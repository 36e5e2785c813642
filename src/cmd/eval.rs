//! `mpc eval FILE --input NAME=VALUE ... [--json] [--max-gates N] [--quiet]`: evaluates
//! a program (or a circuit file, as its one-body program) in plaintext through the
//! program executor (`mpc_circuits::execute` with `PlainEngine`, the reference the
//! garbled protocol is tested against) and prints its outputs the way `mpc run` and
//! `mpc local` do (see `load::print_outputs`).
//!
//! For Bristol files inputs and outputs are named by position (`0`, `1`, ...).
//! Unknown names, missing or repeated inputs and values that do not fit their type
//! are user errors (exit 1, one sentence).

use std::path::PathBuf;

use anyhow::Context;
use mpc_circuits::execute;
use mpc_circuits::program::PlainEngine;

use super::program::Counting;

use super::load::{load_program_checked, parse_inputs, print_outputs};
use super::run::ProgressDisplay;

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
    /// Refuse a program whose run executes more than N gates (no limit without it).
    #[arg(long, value_name = "N")]
    max_gates: Option<u64>,
    /// No progress bar on stderr.
    #[arg(long, short = 'q')]
    quiet: bool,
    /// Add an output `out_of_bounds`: whether a secret index was out of range on the
    /// path the run took (by default such a read returns some element and such a
    /// write writes nothing, silently). `.mpc` programs only; loops are unrolled.
    #[arg(long)]
    check_bounds: bool,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let p = load_program_checked(&args.file, args.check_bounds)?;
    super::program::check_max_gates(&p, args.max_gates)?;
    let given = parse_inputs(&p, &args.inputs, None)?;
    let bits: Vec<bool> = given.into_iter().flat_map(|(_, bits)| bits).collect();
    let display = ProgressDisplay::start(args.quiet, "gates");
    let result = match &display {
        Some(d) => {
            let total = u64::try_from(p.stats().gates()).unwrap_or(u64::MAX);
            d.progress.and_gates_total.store(total, std::sync::atomic::Ordering::Relaxed);
            let mut engine = Counting { inner: PlainEngine::default(), done: &d.progress.and_gates_done };
            execute(&p, &mut engine, &bits)
        }
        None => execute(&p, &mut PlainEngine::default(), &bits),
    };
    drop(display);
    let flat = result.context("evaluation failed")?;
    let mut outputs = Vec::with_capacity(p.outputs().len());
    let mut pos = 0;
    for o in p.outputs() {
        let w = o.region.width as usize;
        // `execute` returns exactly one bit per output bit, outputs in order.
        outputs.push(flat.get(pos..pos + w).context("evaluation failed: too few output bits")?.to_vec());
        pos += w;
    }
    print_outputs(&p, &outputs, args.json, None)
}
