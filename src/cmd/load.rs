//! Shared by the commands that take a program or circuit file and print its outputs
//! (`mpc eval`, `mpc inspect`, `mpc run`, `mpc local`), all through the library's
//! facade ([`mpc::Program`], [`mpc::Inputs`], [`mpc::Outputs`]): loading a program
//! (an `.mpc` source compiled, a Bristol file with its shapes sidecar) with the
//! compiler's diagnostics on stderr, gathering inputs from `--inputs FILE` and
//! `--input NAME=VALUE`, and printing outputs, so that every command does each in
//! exactly the same way.
//!
//! Output format (the command-line contract): plain text is one `name: value` line
//! per output group; `--json` is one JSON object `{name: value}` where integers whose
//! value fits in 64 bits are numbers, wider ones `"0x..."` strings, bits
//! `true`/`false`, arrays and tuples arrays, structs objects (see
//! `mpc_circuits::value`).
//!
//! Inputs: the file's values first, then each `--input`, which replaces the file's
//! value of the same input; an input given twice with `--input` is an error.

use std::io::IsTerminal as _;
use std::path::Path;

use anyhow::anyhow;
use mpc_circuits::Circuit;

use super::AlreadyReported;

/// Loads a circuit file for `mpc inspect`: Bristol Fashion or old Bristol, told apart
/// by content, with the parties, names, types and reveals of its shapes sidecar
/// (`FILE.shapes.json`, see `mpc::internal::shapes`) when there is one.
pub fn load_circuit(path: &Path) -> anyhow::Result<Circuit> {
    Ok(mpc::internal::load_circuit(path)?.0)
}

/// Loads a program (`mpc eval`, `mpc inspect`): an `.mpc` file compiled (diagnostics
/// rendered on stderr, in colour on a terminal; a program that does not compile is
/// `AlreadyReported`), else a Bristol file (with its shapes sidecar).
pub fn load_program(path: &Path) -> anyhow::Result<mpc::Program> {
    load_program_checked(path, false)
}

/// [`load_program`] with `--check-bounds` (an `.mpc` file only).
pub fn load_program_checked(path: &Path, check_bounds: bool) -> anyhow::Result<mpc::Program> {
    let options =
        mpc::LoadOptions::default().color(std::io::stderr().is_terminal()).check_bounds(check_bounds);
    match mpc::Program::load_with(path, &options) {
        Ok(p) => {
            if !p.warnings().is_empty() {
                super::note(format_args!("{}", p.warnings()));
            }
            Ok(p)
        }
        Err(mpc::Error::Compile { diagnostics }) => {
            super::note(format_args!("{diagnostics}"));
            Err(AlreadyReported.into())
        }
        Err(e) => Err(e.into()),
    }
}

/// Loads a program to garble (`mpc run`, `mpc local`): as [`load_program`], and a
/// Bristol file without a shapes sidecar gets a one-line warning on stderr: if it was
/// compiled from a program with other parties or restricted outputs, the default
/// convention gives inputs to the wrong party or outputs to the wrong eyes, and the
/// file alone cannot tell.
pub fn load_program_for_protocol(path: &Path, check_bounds: bool) -> anyhow::Result<mpc::Program> {
    let p = load_program_checked(path, check_bounds)?;
    if p.uses_default_convention() {
        super::noteln!(
            "warning: no `{}` beside the circuit: input k belongs to party k % 2 and every output is revealed to both parties",
            super::shapes::sidecar_path(path).display()
        );
    }
    Ok(p)
}

/// The inputs of `party` (every party's for `None`) from `--inputs FILE` and then the
/// `--input NAME=VALUE` assignments (see [`mpc::Inputs::set_arg`]; `random` draws fresh
/// bits). Every input of the party must end up set.
pub fn gather_inputs(
    program: &mpc::Program,
    party: Option<&str>,
    file: Option<&Path>,
    assignments: &[String],
) -> anyhow::Result<mpc::Inputs> {
    let mut inputs = match party {
        Some(p) => program.inputs(p)?,
        None => program.all_inputs(),
    };
    if let Some(f) = file {
        inputs.set_from_file(f)?;
    }
    for a in assignments {
        inputs.set_arg(a)?;
    }
    inputs.check().map_err(|e| match e {
        mpc::Error::MissingInput { name, ty } => {
            anyhow!("missing input `{name}` ({ty}); pass it with --input {name}=VALUE")
        }
        other => other.into(),
    })?;
    Ok(inputs)
}

/// Prints outputs on stdout as `name: value` lines, or one JSON object with `json`.
pub fn print_outputs(outputs: &mpc::Outputs, json: bool) -> anyhow::Result<()> {
    if json {
        super::outln!("{}", outputs.to_json())
    } else {
        super::write_stdout(format_args!("{}", outputs.to_text()))
    }
}
