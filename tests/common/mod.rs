//! Helpers shared by the CLI test binaries (each `tests/cli_*.rs` that needs them
//! declares `mod common;`).

use std::io::Write;
use std::process::{Command, Output, Stdio};

/// Runs the `mpc` binary with `args`, feeding `stdin` from another thread (so a large
/// input cannot deadlock against a full stdout pipe), and waits for it.
pub fn mpc_with_stdin(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mpc"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the mpc binary runs");
    let mut pipe = child.stdin.take().expect("stdin is piped");
    let data = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = pipe.write_all(&data);
    });
    let out = child.wait_with_output().expect("mpc finishes");
    writer.join().expect("writer thread");
    out
}
