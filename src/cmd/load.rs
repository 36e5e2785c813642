//! Shared by the commands that take a program or circuit file and print its outputs
//! (`mpc eval`, `mpc inspect`, `mpc run`, `mpc local`): loading a [`Program`] (an
//! `.mpc` source through `mpc_compiler::compile_program`, a Bristol file as the
//! one-body program of its circuit) or, for `inspect` of a Bristol file, a circuit; parsing
//! `--input NAME=VALUE` assignments against the input groups; and printing outputs,
//! so that every command prints results in exactly the same way.
//!
//! Output format (the command-line contract): plain text is one `name: value` line
//! per output group; `--json` is one JSON object `{name: value}` where integers whose
//! value fits in 64 bits are numbers, wider ones `"0x..."` strings, bits
//! `true`/`false`, arrays and tuples arrays, structs objects (see
//! `mpc_circuits::value`).

use std::path::Path;

use anyhow::{anyhow, bail, Context};
use mpc_circuits::{parse_value, Circuit, PartyId, Program, Reveal, Value};

/// Loads a circuit file: Bristol Fashion or old Bristol, told apart by content, with
/// the parties, names, types and reveals of its shapes sidecar (`FILE.shapes.json`,
/// see [`super::shapes`]) when there is one (`.mpc` programs are loaded with
/// [`load_program`]).
pub fn load_circuit(path: &Path) -> anyhow::Result<Circuit> {
    load_with_sidecar(path).map(|(c, _)| c)
}

/// [`load_circuit`], and whether the file is a Bristol file without a sidecar (so it
/// runs under the default convention: input k belongs to party k % 2, every output is
/// revealed to both).
fn load_with_sidecar(path: &Path) -> anyhow::Result<(Circuit, bool)> {
    let bytes = super::read_path(path, super::CIRCUIT_STREAM_LIMIT)
        .with_context(|| format!("cannot read `{}`", path.display()))?;
    let circuit = mpc_circuits::bristol::read_bytes(&bytes)
        .with_context(|| format!("`{}` is not a valid Bristol circuit", path.display()))?;
    Ok(match super::shapes::load(path, &bytes, &circuit)? {
        Some(shaped) => (shaped, false),
        None => (circuit, true),
    })
}

/// Loads a program (`mpc eval`): an `.mpc` file through the compiler's program form,
/// else a Bristol file (with its shapes sidecar) as the one-body program of its circuit.
pub fn load_program(path: &Path) -> anyhow::Result<Program> {
    load_program_with(path, false, false)
}

/// [`load_program`] with `--check-bounds` (an `.mpc` file only).
pub fn load_program_checked(path: &Path, check_bounds: bool) -> anyhow::Result<Program> {
    load_program_with(path, false, check_bounds)
}

/// Loads a program to garble (`mpc run`, `mpc local`): as [`load_program`], and a
/// Bristol circuit is level-scheduled first (`mpc_circuits::passes::schedule_levels`,
/// which keeps its meaning) so that AND gates reach the garbling kernels in large
/// independent batches. Compiled bodies are scheduled already.
///
/// A Bristol file without a shapes sidecar gets a one-line warning on stderr: if it was
/// compiled from a program with other parties or restricted outputs, the default
/// convention gives inputs to the wrong party or outputs to the wrong eyes, and the
/// file alone cannot tell.
pub fn load_program_for_protocol(path: &Path, check_bounds: bool) -> anyhow::Result<Program> {
    load_program_with(path, true, check_bounds)
}

fn load_program_with(path: &Path, protocol: bool, check_bounds: bool) -> anyhow::Result<Program> {
    if path.extension().is_some_and(|e| e == "mpc") {
        // Diagnostics are rendered to stderr; failure is `AlreadyReported`.
        return super::compile::compile_program_file(path, check_bounds);
    }
    if check_bounds {
        anyhow::bail!(
            "`--check-bounds` needs the `.mpc` source: compile it with `mpc compile --check-bounds`, \
             which adds the `out_of_bounds` output to the circuit"
        );
    }
    let (mut c, bare) = load_with_sidecar(path)?;
    if protocol {
        if bare {
            super::noteln!(
                "warning: no `{}` beside the circuit: input k belongs to party k % 2 and every output is revealed to both parties",
                super::shapes::sidecar_path(path).display()
            );
        }
        c = mpc_circuits::passes::schedule_levels(&c);
    }
    Program::from_circuit(&c).with_context(|| format!("`{}` cannot run as a program", path.display()))
}

/// The input value that asks for fresh random bits: `--input NAME=random`.
pub const RANDOM: &str = "random";

/// `width` uniformly random bits from the operating system's generator, for
/// `--input NAME=random` (the random inputs of `dp_noise`, masks, nonces).
fn random_bits(width: usize) -> Vec<bool> {
    use rand::RngCore;
    use zeroize::Zeroize;
    let mut bytes = vec![0u8; width.div_ceil(8)];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let bits = (0..width).map(|i| (bytes[i / 8] >> (i % 8)) & 1 == 1).collect();
    bytes.zeroize();
    bits
}

/// Parses `NAME=VALUE` assignments against the circuit's input groups. The value
/// `random` (no literal of any type is spelled so) draws the group's bits from the
/// operating system's generator instead.
///
/// With `party == None` every input group must be given exactly once; with
/// `Some(p)` exactly the groups of party `p` must be given (naming another party's
/// input is an error). Returns `(group index, bits)` pairs in group order.
pub fn parse_inputs(
    circuit: &Program,
    assignments: &[String],
    party: Option<PartyId>,
) -> anyhow::Result<Vec<(usize, Vec<bool>)>> {
    let mut given: Vec<Option<Vec<bool>>> = vec![None; circuit.inputs().len()];
    for a in assignments {
        let Some((name, text)) = a.split_once('=') else {
            bail!("`--input {a}` must have the form NAME=VALUE");
        };
        let name = name.trim();
        let Some(k) = circuit.input_index(name) else {
            bail!("the circuit has no input named `{name}` (its inputs are {})", input_list(circuit));
        };
        let group = &circuit.inputs()[k];
        if let Some(p) = party {
            if group.party != p {
                bail!(
                    "input `{name}` belongs to party {}, not to this party ({})",
                    party_name(circuit, group.party),
                    party_name(circuit, p)
                );
            }
        }
        if given[k].is_some() {
            bail!("input `{name}` is given twice");
        }
        let bits = if text.trim() == RANDOM {
            random_bits(group.ty.width())
        } else {
            parse_value(text, &group.ty).map_err(|e| anyhow!("input `{name}`: {e}"))?
        };
        given[k] = Some(bits);
    }
    let mut out = Vec::new();
    for (k, (slot, group)) in given.into_iter().zip(circuit.inputs()).enumerate() {
        if party.is_some_and(|p| p != group.party) {
            continue;
        }
        match slot {
            Some(bits) => out.push((k, bits)),
            None => bail!(
                "missing input `{}` ({}); pass it with --input {}=VALUE",
                group.name,
                group.ty,
                group.name
            ),
        }
    }
    Ok(out)
}

fn party_name(circuit: &Program, p: PartyId) -> String {
    circuit.parties().get(usize::from(p.0)).cloned().unwrap_or_else(|| p.0.to_string())
}

fn input_list(circuit: &Program) -> String {
    let names: Vec<String> = circuit.inputs().iter().map(|g| format!("`{}` ({})", g.name, g.ty)).collect();
    if names.is_empty() {
        "none".to_string()
    } else {
        names.join(", ")
    }
}

/// Whether party `viewer` (or, for `None`, an observer who sees everything, as in
/// `mpc eval`) learns output `reveal`.
fn visible(reveal: Reveal, viewer: Option<PartyId>) -> bool {
    match (reveal, viewer) {
        (Reveal::All, _) | (_, None) => true,
        (Reveal::To(p), Some(v)) => p == v,
    }
}

/// Renders output groups (one bit vector per group, in order) as `mpc eval` prints
/// them. Groups not revealed to `viewer` are left out (`None`: print all).
pub fn format_outputs(
    circuit: &Program,
    outputs: &[Vec<bool>],
    json: bool,
    viewer: Option<PartyId>,
) -> anyhow::Result<String> {
    if outputs.len() != circuit.outputs().len() {
        bail!("expected {} output values, got {}", circuit.outputs().len(), outputs.len());
    }
    let shown = circuit.outputs().iter().zip(outputs).filter(|(g, _)| visible(g.reveal, viewer));
    if json {
        let mut map = serde_json::Map::new();
        for (g, bits) in shown {
            map.insert(g.name.clone(), Value::from_bits(&g.ty, bits).to_json());
        }
        Ok(serde_json::Value::Object(map).to_string() + "\n")
    } else {
        let mut s = String::new();
        for (g, bits) in shown {
            s.push_str(&format!("{}: {}\n", g.name, Value::from_bits(&g.ty, bits)));
        }
        Ok(s)
    }
}

/// Prints outputs on stdout, see [`format_outputs`].
pub fn print_outputs(
    circuit: &Program,
    outputs: &[Vec<bool>],
    json: bool,
    viewer: Option<PartyId>,
) -> anyhow::Result<()> {
    super::write_stdout(format_args!("{}", format_outputs(circuit, outputs, json, viewer)?))
}
