//! mpc-compiler: the `.mpc` language, from source text to an optimised [`Circuit`].
//!
//! Pipeline (no IO anywhere in this crate):
//! [`lexer`] (logos, byte spans) -> [`parser`] (LALRPOP grammar, error recovery) ->
//! [`ast`] -> [`check`] (names, types, parties, constants, recursion) -> `lower`
//! (inlining, unrolling, secret `if` to mux, secret indexing to mux trees) -> `ir`
//! (word-level dataflow graph) -> `passes` (folding, CSE, DCE, strength reduction)
//! -> `blast` (bit-blasting through `mpc_circuits::gadgets`) -> gate-level passes
//! (`mpc_circuits::passes::optimize`) -> [`Circuit`]; or, for the program form,
//! `roll` and `emit`. Builtins are one table, `builtins`, that every phase consults.
//!
//! The entry point is [`compile`]; it never panics and returns every diagnostic it
//! found, with the circuit when there were no errors. [`render`] prints diagnostics.
//!
//! **Internal crate** of the `mpc` workspace, not published. Its public surface is
//! what the workspace's binary, language server, tests, benches and fuzzers use:
//! [`compile`], [`compile_program`], [`compile_ir`]/[`compile_ir_traced`] (with
//! [`Ir::to_text`]/[`Ir::to_dot`]), [`Options`], [`Limits`], [`Diagnostic`],
//! [`Severity`], [`render`], [`diag::line_col`], [`analysis`] (the language server's
//! and `--explain`'s view), [`ast::Span`], [`lexer::lex`] and the nesting limits
//! [`check::MAX_NESTING`], [`parser::MAX_DEPTH`], [`types::MAX_TYPE_DEPTH`].
//! Everything else is `pub(crate)` and may change at any time. Applications use the
//! `mpc` crate's facade (`mpc::Program::compile`).

pub mod analysis;
pub mod ast;
mod blast;
mod builtins;
pub mod check;
pub mod diag;
mod emit;
mod ir;
pub mod lexer;
mod lint;
mod lower;
pub mod parser;
mod passes;
mod roll;
pub mod types;

use mpc_circuits::Circuit;

pub use diag::{render, Diagnostic, Severity};
pub use ir::Ir;
pub use lower::Limits;

/// Compiler options.
#[derive(Clone, Debug)]
pub struct Options {
    /// Run the IR passes (on by default).
    pub optimize: bool,
    /// Size limits that keep compilation finite.
    pub limits: Limits,
}

impl Default for Options {
    fn default() -> Options {
        Options { optimize: true, limits: Limits::default() }
    }
}

/// Front end and middle: source to optimised IR.
pub fn compile_ir(source: &str, options: &Options) -> (Option<Ir>, Vec<Diagnostic>) {
    compile_ir_traced(source, options, &mut |_, _| {})
}

/// [`compile_ir`], handing the IR to `trace` after lowering (`"lower"`) and after each
/// pass (see [`passes::optimize_traced`]; `"cleanup"` alone without `optimize`).
pub fn compile_ir_traced(
    source: &str,
    options: &Options,
    trace: &mut dyn FnMut(&str, &Ir),
) -> (Option<Ir>, Vec<Diagnostic>) {
    let (ir, diags) = front(source, options, options.limits.roll, trace);
    (ir.map(|(ir, _)| ir), diags)
}

/// Parse, check, lower (rolling loops if `roll`) and run the IR passes: the IR and the
/// rolled loops' bodies, with every diagnostic.
fn front(
    source: &str,
    options: &Options,
    roll: bool,
    trace: &mut dyn FnMut(&str, &Ir),
) -> (Option<(Ir, roll::RollState)>, Vec<Diagnostic>) {
    let (prog, mut diags) = parser::parse(source);
    let Some(prog) = prog else { return (None, diags) };
    // After a syntax error the checker would only add follow-on errors about the
    // recovered tree (names the broken statement declared, a `main` cut off by a
    // missing `}`): one error per mistake, so it does not run.
    if diags.iter().any(Diagnostic::is_error) {
        return (None, diags);
    }
    let (checked, cd) = check::check(&prog);
    diags.extend(cd);
    if diags.iter().any(Diagnostic::is_error) {
        return (None, diags);
    }
    diags.extend(lint::lint(&prog));
    match middle(&prog, &checked, options, roll, trace) {
        Ok(x) => (Some(x), diags),
        Err(d) => {
            diags.push(*d);
            (None, diags)
        }
    }
}

/// Lowering (rolling loops if `roll`) and the IR passes of a checked, error-free
/// program, handing the IR to `trace` after lowering and after each pass; the IR's
/// invariants are verified after each in debug builds.
fn middle(
    prog: &ast::Program,
    checked: &check::Checked,
    options: &Options,
    roll: bool,
    trace: &mut dyn FnMut(&str, &Ir),
) -> Result<(Ir, roll::RollState), Box<Diagnostic>> {
    let mut limits = options.limits.clone();
    limits.roll = roll;
    let (ir, rolled) = lower::lower_rolled(prog, checked, &limits)?;
    passes::debug_verify("lowering", &ir, false);
    trace("lower", &ir);
    let ir = if options.optimize {
        passes::optimize_traced(&ir, trace).0
    } else {
        let ir = passes::cleanup(&ir).0;
        trace("cleanup", &ir);
        ir
    };
    Ok((ir, rolled))
}

/// Compiles `.mpc` source to a circuit. Returns the circuit when there were no errors,
/// and all diagnostics (errors and warnings) in any case.
pub fn compile(source: &str, options: &Options) -> (Option<Circuit>, Vec<Diagnostic>) {
    let (ir, mut diags) = compile_ir(source, options);
    let Some(ir) = ir else { return (None, diags) };
    match blast::blast(&ir, options.limits.max_gates) {
        Ok(c) if options.optimize => (Some(mpc_circuits::passes::optimize(&c)), diags),
        Ok(c) => (Some(c), diags),
        Err(mpc_circuits::CircuitError::TooLarge(why)) => {
            diags.push(
                Diagnostic::error(ast::Span::default(), "the program is too large to compile")
                    .with_help(format!("{why}; reduce loop bounds, array sizes or widths")),
            );
            (None, diags)
        }
        Err(e) => {
            diags.push(Diagnostic::error(
                ast::Span::default(),
                format!("internal error: the circuit was rejected: {e}"),
            ));
            (None, diags)
        }
    }
}

/// Compiles `.mpc` source to the program form ([`mpc_circuits::Program`]): `for` loops
/// whose unrolled form would be large are lowered once into bodies that the executor
/// replays (see `roll.rs` and `emit.rs`), so compile time and memory follow the source
/// rather than the gates executed. `options.limits.max_body_gates` bounds each body;
/// nothing here bounds the whole run. Returns the program when there were no errors,
/// and all diagnostics in any case.
pub fn compile_program(source: &str, options: &Options) -> (Option<mpc_circuits::Program>, Vec<Diagnostic>) {
    let (front, mut diags) = front(source, options, true, &mut |_, _| {});
    let Some((ir, roll)) = front else { return (None, diags) };
    match back(&ir, &roll, options, false) {
        Ok((p, _)) => (Some(p), diags),
        Err(d) => {
            diags.push(d);
            (None, diags)
        }
    }
}

/// The program form of a lowered IR ([`emit`]), with the AND gates per source span
/// when `trace`; the failure as a diagnostic.
fn back(
    ir: &Ir,
    roll: &roll::RollState,
    options: &Options,
    trace: bool,
) -> Result<(mpc_circuits::Program, std::collections::HashMap<ast::Span, analysis::SpanCost>), Diagnostic> {
    match emit::emit(ir, roll, options.limits.max_body_gates, options.limits.sort_stream_min, trace) {
        Ok(p) => Ok(p),
        Err(why) if why.starts_with("internal error") => Err(Diagnostic::error(ast::Span::default(), why)),
        Err(why) => Err(Diagnostic::error(ast::Span::default(), "the program is too large to compile")
            .with_help(format!("{why}; reduce array sizes or widths, or move work into loops"))),
    }
}
