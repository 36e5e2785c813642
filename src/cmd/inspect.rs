//! `mpc inspect FILE [--json]`: the statistics of a circuit file (gate counts, AND
//! depth, wires, peak live wires, input and output widths). For an `.mpc` program,
//! those of its whole run computed from the program form without expanding it, plus
//! the program's size (as `mpc compile --stats`, see `program::stats_json`).
//!
//! JSON keys (the command-line contract): `gates`, `and_gates`, `xor_gates`,
//! `inv_gates`, `and_depth`, `wires`, `inputs` (widths), `outputs` (widths); also
//! `eq_gates`, `eqw_gates`, `peak_live_wires`, `input_names`, `output_names`.

use std::path::PathBuf;

use mpc_circuits::Circuit;

use super::load::load_circuit;
use super::outln;

/// Arguments of `mpc inspect`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The circuit file (Bristol Fashion or old Bristol).
    file: PathBuf,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    if args.file.extension().is_some_and(|e| e == "mpc") {
        // A program: the statistics of its whole run, computed without expanding it.
        let p = super::load::load_program(&args.file)?;
        return super::program::print_stats(p.circuit(), None, args.json);
    }
    let c = load_circuit(&args.file)?;
    if args.json {
        outln!("{}", serde_json::Value::Object(stats_json(&c)))
    } else {
        print_stats_text(&c)
    }
}

/// The statistics object of `mpc inspect --json` (also the base of `mpc compile --stats --json`).
pub fn stats_json(c: &Circuit) -> serde_json::Map<String, serde_json::Value> {
    let s = c.stats();
    let inputs: Vec<usize> = c.inputs().iter().map(|g| g.ty.width()).collect();
    let outputs: Vec<usize> = c.outputs().iter().map(|g| g.ty.width()).collect();
    let v = serde_json::json!({
        "gates": s.gates,
        "and_gates": s.and,
        "xor_gates": s.xor,
        "inv_gates": s.inv,
        "eq_gates": s.eq,
        "eqw_gates": s.eqw,
        "and_depth": s.and_depth,
        "wires": s.wires,
        "peak_live_wires": s.peak_live_wires,
        "inputs": inputs,
        "outputs": outputs,
        "input_names": c.inputs().iter().map(|g| g.name.clone()).collect::<Vec<_>>(),
        "output_names": c.outputs().iter().map(|g| g.name.clone()).collect::<Vec<_>>(),
    });
    match v {
        serde_json::Value::Object(map) => map,
        // The literal above is an object.
        _ => serde_json::Map::new(),
    }
}

/// The plain-text statistics of `mpc inspect` (also printed by `mpc compile --stats`).
pub fn print_stats_text(c: &Circuit) -> anyhow::Result<()> {
    let s = c.stats();
    outln!("gates:           {}", s.gates)?;
    outln!("and_gates:       {}", s.and)?;
    outln!("xor_gates:       {}", s.xor)?;
    outln!("inv_gates:       {}", s.inv)?;
    outln!("eq_gates:        {}", s.eq)?;
    outln!("eqw_gates:       {}", s.eqw)?;
    outln!("and_depth:       {}", s.and_depth)?;
    outln!("wires:           {}", s.wires)?;
    outln!("peak_live_wires: {}", s.peak_live_wires)?;
    let party = |p: mpc_circuits::PartyId| c.parties().get(usize::from(p.0)).cloned().unwrap_or_default();
    for g in c.inputs() {
        outln!("input  {}: {} ({} bits, party {})", g.name, g.ty, g.ty.width(), party(g.party))?;
    }
    for g in c.outputs() {
        let to = match g.reveal {
            mpc_circuits::Reveal::All => "all".to_string(),
            mpc_circuits::Reveal::To(p) => party(p),
        };
        outln!("output {}: {} ({} bits, revealed to {to})", g.name, g.ty, g.ty.width())?;
    }
    Ok(())
}
