//! `mpc compile --explain`: the per-line AND gates add up to the program's AND count
//! (`--stats`) on every example and on a rolled loop of over 10^6 AND gates, loops
//! report runs and per-run cost, and `mpc lsp` answers over real stdio.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::{json, Value};

fn mpc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mpc")).args(args).output().expect("the mpc binary runs")
}

fn json_of(args: &[&str]) -> Value {
    let out = mpc(args);
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("JSON on stdout")
}

fn count(v: &Value) -> u128 {
    match v {
        Value::Number(n) => u128::from(n.as_u64().expect("a count")),
        Value::String(s) => s.parse().expect("a decimal count"),
        other => panic!("not a count: {other}"),
    }
}

/// The explanation of `path`, checked to add up to `--stats`'s AND gates.
fn explain_adds_up(path: &Path) -> Value {
    let p = path.to_str().expect("UTF-8 path");
    let e = json_of(&["compile", "--explain", "--json", p]);
    let stats = json_of(&["compile", "--stats", "--json", p]);
    let total = count(&e["and_gates"]);
    assert_eq!(total, count(&stats["and_gates"]), "{p}");
    let lines: u128 = e["lines"].as_array().expect("lines").iter().map(|l| count(&l["and_gates"])).sum();
    assert_eq!(count(&e["unattributed"]), 0, "{p}: {e}");
    assert_eq!(lines, total, "{p}: {e}");
    // Heaviest first.
    let counts: Vec<u128> =
        e["lines"].as_array().expect("lines").iter().map(|l| count(&l["and_gates"])).collect();
    assert!(counts.windows(2).all(|w| w[0] >= w[1]), "{p}: {counts:?}");
    e
}

#[test]
fn every_example_adds_up() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).expect("examples/") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|x| x == "mpc") {
            let e = explain_adds_up(&path);
            assert!(count(&e["and_gates"]) > 0, "{}", path.display());
            n += 1;
        }
    }
    assert!(n >= 5, "only {n} examples");
}

/// 1000 trips of a rolled loop: a 32-bit multiplication in a function (993 AND) and
/// an addition (31 AND) per trip, over 10^6 AND gates in all.
const BIG: &str = "party a;\nparty b;\n\
fn step(acc: u32, y: u32) -> u32 {\n    acc * y\n}\n\
fn main(x: u32 @a, y: u32 @b) -> u32 {\n    let mut acc = x;\n    for i in 0..1000 {\n        \
acc = step(acc, y) + x;\n        if acc > y { acc = acc - y; }\n    }\n    acc\n}\n";

#[test]
fn a_million_and_rolled_loop_adds_up_with_runs() {
    let dir = std::env::temp_dir().join(format!("mpc-explain-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("big.mpc");
    std::fs::write(&path, BIG).expect("write");
    let e = explain_adds_up(&path);
    assert!(count(&e["and_gates"]) >= 1_000_000, "{e}");
    let lines = e["lines"].as_array().expect("lines");
    // The multiplication (line 4, in `step`) is the heaviest: 1000 runs.
    assert_eq!(lines[0]["line"], json!(4), "{e}");
    assert_eq!(count(&lines[0]["runs"]), 1000);
    let per = lines[0]["and_per_run"].as_f64().expect("per run");
    assert_eq!(per * 1000.0, count(&lines[0]["and_gates"]) as f64);
    assert_eq!(e["functions"][0]["name"], json!("step"));
    let text = mpc(&["compile", "--explain", path.to_str().expect("UTF-8")]);
    assert!(text.status.success());
    let text = String::from_utf8(text.stdout).expect("UTF-8");
    assert!(text.contains("acc * y"), "{text}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn explain_of_a_broken_program_is_its_diagnostics() {
    let dir = std::env::temp_dir().join(format!("mpc-explain-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("bad.mpc");
    std::fs::write(&path, "party a;\nfn main(x: u8 @a) -> u8 { x + true }\n").expect("write");
    let out = mpc(&["compile", "--explain", path.to_str().expect("UTF-8")]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("mismatched types"));
    std::fs::remove_dir_all(&dir).ok();
}

/// One LSP message with its `Content-Length` header.
fn send(w: &mut impl Write, v: &Value) {
    let body = v.to_string();
    write!(w, "Content-Length: {}\r\n\r\n{body}", body.len()).expect("server reads");
    w.flush().expect("flush");
}

fn recv(r: &mut impl BufRead) -> Value {
    let mut len = 0usize;
    loop {
        let mut line = String::new();
        r.read_line(&mut line).expect("header");
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(v) = line.strip_prefix("Content-Length: ") {
            len = v.parse().expect("length");
        }
    }
    let mut body = vec![0u8; len];
    r.read_exact(&mut body).expect("body");
    serde_json::from_slice(&body).expect("JSON")
}

/// `mpc lsp` over real stdin/stdout: initialize, a diagnostic, shutdown, exit 0.
#[test]
fn lsp_over_stdio() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mpc"))
        .args(["lsp", "--stdio"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("mpc lsp starts");
    let mut w = child.stdin.take().expect("stdin");
    let mut r = BufReader::new(child.stdout.take().expect("stdout"));
    send(&mut w, &json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}}));
    let init = recv(&mut r);
    assert_eq!(init["result"]["capabilities"]["definitionProvider"], json!(true), "{init}");
    send(&mut w, &json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}));
    let doc = json!({"uri": "file:///x.mpc", "languageId": "mpc", "version": 1,
        "text": "party a;\nfn main(x: u8 @a) -> u8 { y }\n"});
    send(
        &mut w,
        &json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": doc}}),
    );
    let diags = recv(&mut r);
    assert_eq!(diags["method"], json!("textDocument/publishDiagnostics"), "{diags}");
    let d = &diags["params"]["diagnostics"][0];
    // `y` on line 1 (0-based), column 26.
    assert_eq!(d["range"]["start"], json!({"line": 1, "character": 26}), "{diags}");
    send(&mut w, &json!({"jsonrpc": "2.0", "id": 2, "method": "shutdown"}));
    let done = recv(&mut r);
    assert_eq!(done["id"], json!(2));
    send(&mut w, &json!({"jsonrpc": "2.0", "method": "exit"}));
    drop(w);
    assert!(child.wait().expect("exits").success());
}
