//! Command-line contract of `mpc compile` and `mpc eval` on `.mpc` programs: output
//! names and values, `--json`, `--stats` keys, Bristol output that our reader
//! evaluates, and exit status 1 (never 101) with diagnostics on stderr.

use std::path::PathBuf;
use std::process::{Command, Output};

fn mpc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mpc")).args(args).output().expect("run mpc")
}

fn example(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples").join(name).display().to_string()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn temp(name: &str, contents: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mpc-cli-compiler-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let p = dir.join(name);
    std::fs::write(&p, contents).expect("write temp file");
    p
}

#[test]
fn eval_auction_plain_and_json() {
    let f = example("auction.mpc");
    let o = mpc(&["eval", &f, "--input", "a=100", "--input", "b=150"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = stdout(&o);
    assert!(out.contains("alice_wins: false"), "{out}");
    assert!(out.contains("price: 100"), "{out}");
    let o = mpc(&["eval", &f, "--input", "a=200", "--input", "b=150", "--json"]);
    assert!(o.status.success());
    let v: serde_json::Value = serde_json::from_str(stdout(&o).trim()).expect("json");
    assert_eq!(v["alice_wins"], serde_json::json!(true));
    assert_eq!(v["price"], serde_json::json!(150));
}

#[test]
fn eval_signed_and_arrays() {
    let p = temp("signed.mpc", "party p;\nfn main(xs: [i8; 3] @p) -> (sorted: [i8; 3], low: i8) {\n    let s = sort(xs);\n    (s, s[0])\n}\n");
    let o = mpc(&["eval", p.to_str().unwrap(), "--input", "xs=[3, -5, 1]", "--json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_str(stdout(&o).trim()).expect("json");
    assert_eq!(v["sorted"], serde_json::json!([-5, 1, 3]));
    assert_eq!(v["low"], serde_json::json!(-5));
}

#[test]
fn compile_stats_json_has_inspect_keys() {
    let o = mpc(&["compile", &example("auction.mpc"), "--stats", "--json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_str(stdout(&o).trim()).expect("json");
    for k in [
        "gates",
        "and_gates",
        "xor_gates",
        "inv_gates",
        "and_depth",
        "wires",
        "inputs",
        "outputs",
        "compile_ms",
    ] {
        assert!(v.get(k).is_some(), "missing key {k} in {v}");
    }
    assert_eq!(v["and_gates"], serde_json::json!(64));
    assert_eq!(v["inputs"], serde_json::json!([32, 32]));
}

#[test]
fn compile_to_bristol_then_eval_it() {
    let out = temp("millionaires.bristol", "");
    let o = mpc(&["compile", &example("millionaires.mpc"), "-o", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // The shapes sidecar keeps the program's names and types.
    let side = out.with_file_name("millionaires.bristol.shapes.json");
    assert!(side.exists());
    let o = mpc(&["eval", out.to_str().unwrap(), "--input", "alice=7", "--input", "bob=3"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(stdout(&o), "alice_richer: true\n");
    // Without it, Bristol inputs and outputs are named by position.
    std::fs::remove_file(&side).unwrap();
    let o = mpc(&["eval", out.to_str().unwrap(), "--input", "0=7", "--input", "1=3"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(stdout(&o), "0: true\n");
}

#[test]
fn emit_ir_and_dot() {
    let o = mpc(&["compile", &example("auction.mpc"), "--emit", "ir"]);
    assert!(o.status.success());
    let ir = stdout(&o);
    assert!(ir.contains("ult") && ir.contains("mux"), "{ir}");
    let o = mpc(&["compile", &example("auction.mpc"), "--emit", "dot"]);
    assert!(o.status.success());
    assert!(stdout(&o).starts_with("digraph"), "{}", stdout(&o));
}

#[test]
fn bad_programs_exit_1_with_diagnostics() {
    let p = temp("bad.mpc", "party p;\nfn main(a: u8 @p, b: u16 @p) -> u16 {\n    a + b\n}\n");
    let path = p.to_str().unwrap();
    for args in [vec!["compile", path], vec!["eval", path, "--input", "a=1", "--input", "b=2"]] {
        let cmd = args[0];
        let o = mpc(&args);
        assert_eq!(o.status.code(), Some(1), "{cmd}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("mismatched types"), "{err}");
        assert!(err.contains("bad.mpc:3:5"), "{err}");
    }
}

#[test]
fn bad_inputs_exit_1() {
    let f = example("auction.mpc");
    let o = mpc(&["eval", &f, "--input", "a=100", "--input", "b=99999999999"]);
    assert_eq!(o.status.code(), Some(1));
    let o = mpc(&["eval", &f, "--input", "a=100"]);
    assert_eq!(o.status.code(), Some(1));
    let o = mpc(&["compile", "/nonexistent/x.mpc"]);
    assert_eq!(o.status.code(), Some(1));
}

/// Warnings are printed and do not fail; `--check-bounds` adds the `out_of_bounds`
/// output (issue 18, item 12).
#[test]
fn warnings_and_check_bounds() {
    let p = temp(
        "bounds.mpc",
        "party a;\nparty b;\nfn main(xs: [u8; 5] @a, i: u8 @b, unused: u8 @b) -> u8 {\n    xs[i]\n}\n",
    );
    let f = p.to_str().unwrap();
    let o = mpc(&["eval", f, "-i", "xs=[1, 2, 3, 4, 5]", "-i", "i=7", "-i", "unused=0"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("unused input `unused`"), "{err}");
    assert!(!stdout(&o).contains("out_of_bounds"), "{}", stdout(&o));
    let o = mpc(&["eval", f, "--check-bounds", "-i", "xs=[1, 2, 3, 4, 5]", "-i", "i=7", "-i", "unused=0"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(stdout(&o).contains("out_of_bounds: true"), "{}", stdout(&o));
    let o = mpc(&["eval", f, "--check-bounds", "-i", "xs=[1, 2, 3, 4, 5]", "-i", "i=4", "-i", "unused=0"]);
    assert!(stdout(&o).contains("out_of_bounds: false"), "{}", stdout(&o));
    let o = mpc(&["local", f, "--check-bounds", "-i", "xs=[1, 2, 3, 4, 5]", "-i", "i=9", "-i", "unused=0"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(stdout(&o).contains("out_of_bounds: true"), "{}", stdout(&o));
}
