//! Fuzz target for the whole compiler front end and middle: any bytes, read as
//! UTF-8 (lossily), must compile or produce diagnostics, never panic or hang.
//! Run with `cargo +nightly fuzz run compile` from this directory.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mpc_compiler::{compile, render, Limits, Options};

fuzz_target!(|data: &[u8]| {
    let src = String::from_utf8_lossy(data);
    let opts = Options { optimize: true, limits: Limits { max_nodes: 100_000, max_steps: 10_000, max_depth: 16, max_gates: 1_000_000, max_body_gates: 1_000_000, ..Limits::default() } };
    let (_c, diags) = compile(&src, &opts);
    let _ = render(&diags, "fuzz.mpc", &src, false);
});
