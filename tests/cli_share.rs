//! The `mpc share` command-line contract: split/combine round-trips a 1 MiB binary file;
//! too few, mixed or corrupted shares exit 1 with one sentence on stderr.

use std::process::Output;

use rand::{RngCore, SeedableRng};

mod common;

fn mpc(args: &[&str], stdin: &[u8]) -> Output {
    common::mpc_with_stdin(args, stdin)
}

fn split(secret: &[u8], t: usize, n: usize) -> Vec<String> {
    let out = mpc(&["share", "split", "--threshold", &t.to_string(), "--shares", &n.to_string()], secret);
    assert!(out.status.success(), "split failed: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<String> = text.lines().map(str::to_owned).collect();
    assert_eq!(lines.len(), n);
    lines
}

/// [`common::assert_one_sentence_failure`], and nothing on stdout.
#[track_caller]
fn assert_one_sentence_failure(out: &Output) {
    common::assert_one_sentence_failure(out);
    assert!(out.stdout.is_empty());
}

#[test]
fn one_mebibyte_binary_round_trip() {
    let mut secret = vec![0u8; 1 << 20];
    rand_chacha::ChaCha20Rng::seed_from_u64(42).fill_bytes(&mut secret);
    let lines = split(&secret, 3, 5);
    let input = format!("{}\n{}\n{}\n", lines[4], lines[0], lines[2]);
    let out = mpc(&["share", "combine"], input.as_bytes());
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stdout == secret, "combined bytes differ from the secret");
}

#[test]
fn small_secrets_and_all_shares() {
    for secret in [&b""[..], b"\n", b"\x00\xff\x00 trailing newline\n"] {
        let lines = split(secret, 2, 4);
        let out = mpc(&["share", "combine"], (lines.join("\n") + "\n").as_bytes());
        assert!(out.status.success());
        assert_eq!(out.stdout, secret);
    }
}

#[test]
fn too_few_mixed_and_corrupted_shares_fail() {
    let a = split(b"first secret", 3, 5);
    let b = split(b"second secret", 3, 5);
    assert_one_sentence_failure(&mpc(&["share", "combine"], format!("{}\n{}\n", a[0], a[1]).as_bytes()));
    assert_one_sentence_failure(&mpc(
        &["share", "combine"],
        format!("{}\n{}\n{}\n", a[0], a[1], b[2]).as_bytes(),
    ));
    let mut corrupted = a[2].clone().into_bytes();
    let pos = corrupted.len() - 12;
    corrupted[pos] = if corrupted[pos] == b'0' { b'1' } else { b'0' };
    let corrupted = String::from_utf8(corrupted).unwrap();
    assert_one_sentence_failure(&mpc(
        &["share", "combine"],
        format!("{}\n{}\n{}\n", a[0], a[1], corrupted).as_bytes(),
    ));
    assert_one_sentence_failure(&mpc(&["share", "combine"], b"not a share\n"));
    assert_one_sentence_failure(&mpc(&["share", "combine"], b""));
    assert_one_sentence_failure(&mpc(&["share", "combine"], &[0xff, 0xfe, b'\n']));
    assert_one_sentence_failure(&mpc(&["share", "split", "--threshold", "0", "--shares", "3"], b"x"));
    assert_one_sentence_failure(&mpc(&["share", "split", "--threshold", "4", "--shares", "3"], b"x"));
    assert_one_sentence_failure(&mpc(&["share", "split", "--threshold", "2", "--shares", "256"], b"x"));
}
