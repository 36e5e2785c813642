//! `mpc compile PROG.mpc [-o FILE] [--emit bristol|ir|dot] [--stats] [--json]`: compiles
//! an `.mpc` program to its program form (`mpc_compiler::compile_program`: bodies and
//! instructions). Other commands load programs through the library (`mpc::Program::load_with`).
//!
//! Diagnostics are rendered rustc-style on stderr (colours on a terminal) and the
//! command fails with `AlreadyReported` (exit 1, nothing more printed). `--stats`
//! prints the keys of `mpc inspect --json` (gates, and_gates, xor_gates, inv_gates,
//! and_depth, wires, inputs, outputs) for the whole run, computed from the program
//! without expanding it (see `program::stats_json`), plus `compile_ms` and the
//! program's size (`calls`, `bodies`, `body_gates`, `instructions`, `memory_slots`,
//! `program_size`); with `--json` as one object. Without `-o` the Bristol text (or IR /
//! DOT) goes to stdout unless only `--stats` was asked for. The Bristol text is the
//! expanded circuit, written gate by gate as the program executes (never held whole).
//! With `-o FILE` it gets its shapes sidecar `FILE.shapes.json` (parties, input owners,
//! names, types, reveals; see [`super::shapes`]), and a warning on stderr when the
//! program gives an input to another party than the Bristol convention would or reveals
//! an output to one party.
//! `--explain` prints where the AND gates go instead (see [`super::explain`]).

use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use mpc_circuits::Program;
use mpc_compiler::{render, Options};

use super::run::ProgressDisplay;
use super::{note, write_stdout, AlreadyReported};

/// What to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Emit {
    /// Bristol Fashion circuit.
    Bristol,
    /// The optimised word-level IR, as text.
    Ir,
    /// The IR as a Graphviz graph.
    Dot,
}

/// Arguments of `mpc compile`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The program (`.mpc`).
    file: PathBuf,
    /// Write the output here instead of stdout.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: Option<PathBuf>,
    /// What to write.
    #[arg(long, value_enum, default_value_t = Emit::Bristol)]
    emit: Emit,
    /// Print circuit statistics and compile time.
    #[arg(long)]
    stats: bool,
    /// Statistics as one JSON object.
    #[arg(long)]
    json: bool,
    /// Print where the AND gates go: each source line and function, heaviest first
    /// (see `explain.rs`); with `--json` as one object.
    #[arg(long)]
    explain: bool,
    /// Skip the IR and gate-level optimisation passes.
    #[arg(long)]
    no_opt: bool,
    /// Add an output `out_of_bounds`: whether a secret index was out of range on the
    /// path the run took (by default such a read returns some element and such a
    /// write writes nothing, silently). `.mpc` programs only; loops are unrolled.
    #[arg(long)]
    check_bounds: bool,
    /// No progress bar on stderr while a long expansion is written.
    #[arg(long, short = 'q')]
    quiet: bool,
}

fn read_source(path: &Path) -> anyhow::Result<String> {
    let bytes = super::read_path(path, super::PROGRAM_STREAM_LIMIT)
        .with_context(|| format!("cannot read `{}`", path.display()))?;
    String::from_utf8(bytes).map_err(|_| anyhow::anyhow!("`{}` is not UTF-8 text", path.display()))
}

pub fn report(diags: &[mpc_compiler::Diagnostic], path: &Path, source: &str) {
    if diags.is_empty() {
        return;
    }
    let color = std::io::stderr().is_terminal();
    note(format_args!("{}", render(diags, &path.display().to_string(), source, color)));
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let source = read_source(&args.file)?;
    // `-o` naming the program itself would replace the source with the circuit.
    if let Some(out) = &args.output {
        let same = std::fs::canonicalize(out)
            .ok()
            .is_some_and(|o| std::fs::canonicalize(&args.file).is_ok_and(|f| f == o));
        if same {
            anyhow::bail!("the output file `{}` is the program itself", out.display());
        }
        let side = super::shapes::sidecar_path(out);
        let same = std::fs::canonicalize(&side)
            .ok()
            .is_some_and(|o| std::fs::canonicalize(&args.file).is_ok_and(|f| f == o));
        if same && args.emit == Emit::Bristol {
            anyhow::bail!("the sidecar `{}` would be the program itself", side.display());
        }
    }
    let mut options = Options { optimize: !args.no_opt, ..Options::default() };
    options.limits.check_bounds = args.check_bounds;
    if args.explain {
        return super::explain::run(&args.file, &source, &options, args.json);
    }
    let start = Instant::now();
    let text = match args.emit {
        Emit::Ir | Emit::Dot => {
            let (ir, diags) = mpc_compiler::compile_ir(&source, &options);
            report(&diags, &args.file, &source);
            let ir = ir.ok_or(AlreadyReported)?;
            if args.emit == Emit::Ir {
                ir.to_text()
            } else {
                ir.to_dot()
            }
        }
        Emit::Bristol => {
            let (p, diags) = mpc_compiler::compile_program(&source, &options);
            report(&diags, &args.file, &source);
            let p = p.ok_or(AlreadyReported)?;
            let elapsed = start.elapsed();
            if args.stats || args.json {
                print_stats(&p, elapsed.as_secs_f64() * 1000.0, args.json)?;
            }
            if args.output.is_none() && (args.stats || args.json) {
                return Ok(());
            }
            return write_expanded(&p, args.output.as_deref(), args.quiet);
        }
    };
    match &args.output {
        Some(path) => {
            std::fs::write(path, text).with_context(|| format!("cannot write `{}`", path.display()))
        }
        None => write_stdout(format_args!("{text}")),
    }
}

/// Writes the expanded Bristol Fashion circuit to `path` (with its shapes sidecar
/// beside it, [`super::shapes`]) or stdout, streamed, with a progress bar for long
/// expansions. When the program has parties, input owners or reveals that the Bristol
/// format cannot say, a note on stderr tells the user the sidecar must travel with the
/// file (or, on stdout, that there is none).
fn write_expanded(p: &Program, path: Option<&Path>, quiet: bool) -> anyhow::Result<()> {
    let special = super::shapes::program_needs_sidecar(p);
    let total = u64::try_from(p.stats().gates()).unwrap_or(u64::MAX);
    let display = ProgressDisplay::start(quiet, "gates written");
    let done = display.as_ref().map(|d| {
        d.progress.and_gates_total.store(total, std::sync::atomic::Ordering::Relaxed);
        &d.progress.and_gates_done
    });
    let result = match path {
        Some(path) => super::program::write_bristol_file(p, path, done),
        None => {
            if special {
                note(format_args!(
                    "warning: Bristol text cannot say which party owns each input or who learns each output; \
                     write it with -o FILE to get FILE.shapes.json, which `mpc run` reads\n"
                ));
            }
            let out = std::io::BufWriter::with_capacity(1 << 20, std::io::stdout().lock());
            super::program::write_bristol(p, out, done).context("could not write to stdout")
        }
    };
    drop(display);
    result?;
    let Some(path) = path else { return Ok(()) };
    let side = super::shapes::sidecar_path(path);
    let digest = super::shapes::file_sha256(path)?;
    std::fs::write(&side, super::shapes::render_program(p, &digest))
        .with_context(|| format!("cannot write `{}`", side.display()))?;
    if special {
        note(format_args!(
            "warning: `{}` alone would give inputs to the wrong party or outputs to the wrong eyes; \
             keep `{}` beside it (mpc run, local and eval read it)\n",
            path.display(),
            side.display()
        ));
    }
    Ok(())
}

/// The statistics of `mpc inspect` for the whole run plus the compile time and the
/// program's size.
fn print_stats(p: &Program, compile_ms: f64, json: bool) -> anyhow::Result<()> {
    super::program::print_stats(p, Some(compile_ms), json)
}
