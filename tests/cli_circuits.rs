//! Command-line tests of `mpc inspect` and `mpc eval` on the published Bristol
//! circuits (circuits/tests/vectors/bristol): known answers through `--json`, the
//! inspect keys, and user errors that must exit 1 with one sentence and no panic.

use std::process::{Command, Output};

const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/circuits/tests/vectors/bristol");

fn mpc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mpc")).args(args).output().expect("the mpc binary runs")
}

fn file(name: &str) -> String {
    format!("{VECTORS}/{name}")
}

fn ok_stdout(args: &[&str]) -> String {
    let out = mpc(args);
    assert!(out.status.success(), "{args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("stdout is UTF-8")
}

/// A user error: exit status 1, one line on stderr starting with `error:`, no panic.
fn user_error(args: &[&str]) -> String {
    let out = mpc(args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
    assert!(stderr.starts_with("error: "), "{args:?}: {stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

#[test]
fn aes_fips197_through_eval_json() {
    let aes = file("aes_128.txt");
    let out = ok_stdout(&[
        "eval",
        &aes,
        "--input",
        "0=0x000102030405060708090a0b0c0d0e0f",
        "--input",
        "1=0x00112233445566778899aabbccddeeff",
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).expect("one JSON object");
    assert_eq!(v, serde_json::json!({"0": "0x69c4e0d86a7b0430d8cdb78070b4c55a"}));
}

#[test]
fn sha256_abc_through_eval() {
    // "abc" || 0x80 || zeros || 64-bit length 24: 64 bytes in all.
    let mut bytes = [0u8; 64];
    bytes[..3].copy_from_slice(b"abc");
    bytes[3] = 0x80;
    bytes[63] = 24;
    let block_hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let iv = "0x6a09e667bb67ae853c6ef372a54ff53a510e527f9b05688c1f83d9ab5be0cd19";
    let out = ok_stdout(&[
        "eval",
        &file("sha256.txt"),
        "-i",
        &format!("0=0x{block_hex}"),
        "-i",
        &format!("1={iv}"),
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["0"], "0xba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

#[test]
fn small_circuits_plain_and_json() {
    assert_eq!(ok_stdout(&["eval", &file("adder64.txt"), "--input", "0=3", "--input", "1=5"]), "0: 8\n");
    assert_eq!(
        ok_stdout(&["eval", &file("neg64.txt"), "--input", "0=5", "--json"]),
        "{\"0\":18446744073709551611}\n"
    );
    assert_eq!(ok_stdout(&["eval", &file("zero_equal.txt"), "--input", "0=0", "--json"]), "{\"0\":true}\n");
    assert_eq!(ok_stdout(&["eval", &file("zero_equal.txt"), "--input", "0=0x10"]), "0: false\n");
    let out = ok_stdout(&[
        "eval",
        &file("mult2_64.txt"),
        "-i",
        "0=0xffffffffffffffff",
        "-i",
        "1=0xffffffffffffffff",
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    // (2^64-1)^2 = 0xfffffffffffffffe_0000000000000001; output 0 is the high half.
    assert_eq!(v, serde_json::json!({"0": 18446744073709551614u64, "1": 1}));
    // The old Bristol format is detected by content.
    assert_eq!(
        ok_stdout(&["eval", &file("old_adder_32bit.txt"), "-i", "0=4294967295", "-i", "1=1"]),
        "0: 4294967296\n"
    );
}

#[test]
fn inspect_json_keys_and_counts() {
    let out = ok_stdout(&["inspect", &file("aes_128.txt"), "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    for key in ["gates", "and_gates", "xor_gates", "inv_gates", "and_depth", "wires", "inputs", "outputs"] {
        assert!(v.get(key).is_some(), "missing key {key}");
    }
    assert_eq!(v["and_gates"], 6400);
    assert_eq!(v["gates"], 36663);
    assert_eq!(v["wires"], 36919);
    assert_eq!(v["inputs"], serde_json::json!([128, 128]));
    assert_eq!(v["outputs"], serde_json::json!([128]));
    assert!(v["and_depth"].as_u64().unwrap() > 0);
    let text = ok_stdout(&["inspect", &file("sha256.txt")]);
    assert!(text.contains("and_gates:       22573"), "{text}");
}

#[test]
fn user_errors_exit_1_with_one_sentence() {
    let adder = file("adder64.txt");
    let e = user_error(&["eval", &adder, "-i", "0=1", "-i", "2=1"]);
    assert!(e.contains("no input named `2`"), "{e}");
    let e = user_error(&["eval", &adder, "-i", "0=1"]);
    assert!(e.contains("missing input `1`"), "{e}");
    let e = user_error(&["eval", &adder, "-i", "0=1", "-i", "0=2", "-i", "1=1"]);
    assert!(e.contains("given twice"), "{e}");
    let e = user_error(&["eval", &adder, "-i", "0=0x10000000000000000", "-i", "1=1"]);
    assert!(e.contains("does not fit in u64"), "{e}");
    let e = user_error(&["eval", &adder, "-i", "0=-1", "-i", "1=1"]);
    assert!(e.contains("does not fit"), "{e}");
    user_error(&["eval", &adder, "-i", "0=12abc", "-i", "1=1"]);
    user_error(&["eval", &adder, "-i", "0", "-i", "1=1"]);
    user_error(&["eval", &file("zero_equal.txt"), "-i", "0=[1, 2]"]);
    user_error(&["eval", &file("does-not-exist.txt")]);
    user_error(&["inspect", &file("does-not-exist.txt")]);
    // A malformed circuit: the error names the line.
    let dir = env!("CARGO_TARGET_TMPDIR");
    let bad = format!("{dir}/bad_circuit.txt");
    std::fs::write(&bad, "1 3\n1 1\n1 1\n\n2 1 0 7 2 XOR\n").unwrap();
    let e = user_error(&["inspect", &bad]);
    assert!(e.contains("line 5"), "{e}");
    std::fs::write(&bad, [0xffu8, 0xfe, 0x00]).unwrap();
    user_error(&["eval", &bad]);
}
