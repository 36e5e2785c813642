//! Helpers shared by the CLI test binaries (each `tests/cli_*.rs` that needs them
//! declares `mod common;`). Each binary uses a subset, hence the `dead_code` allowance.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
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

/// Exit status 1, exactly one line on stderr, starting with `error: `, no panic
/// message; returns the line.
#[track_caller]
pub fn assert_one_sentence_failure(out: &Output) -> String {
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "stderr: {err}");
    assert_eq!(err.lines().count(), 1, "stderr: {err}");
    assert!(err.starts_with("error: "), "stderr: {err}");
    assert!(!err.contains("panicked"), "stderr: {err}");
    err
}

/// Success; returns stdout (UTF-8).
#[track_caller]
pub fn ok(out: &Output) -> String {
    assert!(out.status.success(), "exit {:?}: {}", out.status.code(), String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout.clone()).expect("utf-8 output")
}

/// A fresh directory under Cargo's per-target temporary directory, named for the test
/// binary, `name` and this process.
pub fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "{}_{name}_{}",
        env!("CARGO_CRATE_NAME"),
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create the scratch directory");
    dir
}

/// The path as `&str` (the test directories are UTF-8).
pub fn path_str(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// The path of `examples/NAME` in this repository.
pub fn example(name: &str) -> String {
    format!("{}/examples/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// Starts the `mpc` binary with `args`, stdin closed, stdout and stderr piped.
pub fn spawn(args: &[&str]) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_mpc"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the mpc binary runs")
}

/// Waits for `child` at most `limit`; kills it and fails the test on overrun (a hang
/// is a failure, not a wait).
pub fn finish(mut child: std::process::Child, limit: std::time::Duration) -> Output {
    let start = std::time::Instant::now();
    loop {
        if child.try_wait().expect("wait for mpc").is_some() {
            return child.wait_with_output().expect("collect mpc's output");
        }
        if start.elapsed() > limit {
            child.kill().ok();
            let out = child.wait_with_output().expect("collect mpc's output");
            panic!("mpc did not exit within {limit:?}: {}", String::from_utf8_lossy(&out.stderr));
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// A port that was free a moment ago (port 0 makes the OS pick one; it is released
/// right away for `mpc`).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind a loopback port")
        .port()
}
