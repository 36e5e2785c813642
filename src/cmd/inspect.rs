//! `mpc inspect FILE [--json]`: the statistics of a circuit file (gate counts, AND
//! depth, wires, peak live wires, input and output widths).
//!
//! JSON keys (the command-line contract): `gates`, `and_gates`, `xor_gates`,
//! `inv_gates`, `and_depth`, `wires`, `inputs` (widths), `outputs` (widths); also
//! `eq_gates`, `eqw_gates`, `peak_live_wires`, `input_names`, `output_names`.

use std::path::PathBuf;

use mpc_circuits::Circuit;

use super::load::load_circuit;

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
    let c = load_circuit(&args.file)?;
    if args.json {
        println!("{}", serde_json::Value::Object(stats_json(&c)));
    } else {
        print_stats_text(&c);
    }
    Ok(())
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
pub fn print_stats_text(c: &Circuit) {
    let s = c.stats();
    println!("gates:           {}", s.gates);
    println!("and_gates:       {}", s.and);
    println!("xor_gates:       {}", s.xor);
    println!("inv_gates:       {}", s.inv);
    println!("eq_gates:        {}", s.eq);
    println!("eqw_gates:       {}", s.eqw);
    println!("and_depth:       {}", s.and_depth);
    println!("wires:           {}", s.wires);
    println!("peak_live_wires: {}", s.peak_live_wires);
    let party = |p: mpc_circuits::PartyId| c.parties().get(usize::from(p.0)).cloned().unwrap_or_default();
    for g in c.inputs() {
        println!("input  {}: {} ({} bits, party {})", g.name, g.ty, g.ty.width(), party(g.party));
    }
    for g in c.outputs() {
        let to = match g.reveal {
            mpc_circuits::Reveal::All => "all".to_string(),
            mpc_circuits::Reveal::To(p) => party(p),
        };
        println!("output {}: {} ({} bits, revealed to {to})", g.name, g.ty, g.ty.width());
    }
}
