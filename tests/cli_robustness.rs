//! Robustness of the `mpc` command line against bad user input and a hostile
//! environment: every failure is exit status 1 with one `error: ...` line on stderr,
//! never a panic (exit 101), a hang or output silently lost.
//!
//! Each test is a regression test for a problem found by auditing the CLI: it fails on
//! the code before the fix. Every command here fails before any network I/O (or runs in
//! one process), and each takes well under a second in a debug build.

use std::process::{Command, Output, Stdio};

mod common;

use common::{assert_one_sentence_failure, ok, path_str, scratch};

fn mpc(args: &[&str], stdin: &[u8]) -> Output {
    common::mpc_with_stdin(args, stdin)
}

fn example(name: &str) -> String {
    format!("{}/examples/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn bristol_adder() -> String {
    format!("{}/circuits/tests/vectors/bristol/adder64.txt", env!("CARGO_MANIFEST_DIR"))
}

/// Runs `mpc` with stdin from /dev/null, killing it (and failing) if it takes more than
/// `secs` seconds: for inputs that used to make it hang.
#[track_caller]
fn mpc_with_deadline(args: &[&str], secs: u64) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mpc"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the mpc binary runs");
    let start = std::time::Instant::now();
    while child.try_wait().expect("wait for mpc").is_none() {
        if start.elapsed() > std::time::Duration::from_secs(secs) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("mpc {args:?} did not finish within {secs} s");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.wait_with_output().expect("mpc finishes")
}

/// Runs `mpc` with stdout (or stderr) going to `/dev/full`, where every write fails
/// with ENOSPC, as a full disk or a closed pipe makes it fail.
#[cfg(target_os = "linux")]
fn mpc_into_full_device(args: &[&str], stdin: &[u8], stderr_full: bool) -> Output {
    use std::io::Write;
    let full = || std::fs::OpenOptions::new().write(true).open("/dev/full").expect("open /dev/full");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mpc"));
    cmd.args(args).stdin(Stdio::piped());
    if stderr_full {
        cmd.stdout(Stdio::piped()).stderr(full());
    } else {
        cmd.stdout(full()).stderr(Stdio::piped());
    }
    let mut child = cmd.spawn().expect("the mpc binary runs");
    let mut pipe = child.stdin.take().expect("stdin is piped");
    let _ = pipe.write_all(stdin);
    drop(pipe);
    child.wait_with_output().expect("mpc finishes")
}

/// `print!` panics when stdout cannot be written ("failed printing to stdout", exit
/// 101); every command that prints must report it as one sentence instead.
#[cfg(target_os = "linux")]
#[test]
fn unwritable_stdout_is_one_sentence_not_a_panic() {
    let dir = scratch("stdout");
    let data = dir.join("data.txt");
    std::fs::write(&data, "1 2 3\n").expect("write data");
    let adder = bristol_adder();
    let millionaires = example("millionaires.mpc");
    let cases: Vec<Vec<&str>> = vec![
        vec!["inspect", &adder],
        vec!["inspect", &adder, "--json"],
        vec!["eval", &adder, "--input", "0=1", "--input", "1=2"],
        vec!["eval", &adder, "--input", "0=1", "--input", "1=2", "--json"],
        vec!["compile", &millionaires],
        vec!["compile", &millionaires, "--stats"],
        vec!["compile", &millionaires, "--stats", "--json"],
        vec!["zk", "keygen"],
        vec!["dp", "--input", path_str(&data), "--query", "count", "--epsilon", "1"],
        vec!["secagg", "simulate", "--clients", "3", "--threshold", "2", "--dim", "2"],
        vec!["secagg", "simulate", "--clients", "3", "--threshold", "2", "--dim", "2", "--json"],
    ];
    for args in &cases {
        let out = mpc_into_full_device(args, b"", false);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        let last = err.lines().last().unwrap_or_default();
        assert!(last.starts_with("error: could not write to stdout"), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
}

/// With stderr unwritable, a failing command still exits 1 (`eprintln!` would panic).
#[cfg(target_os = "linux")]
#[test]
fn unwritable_stderr_still_exits_1() {
    let adder = bristol_adder();
    let out = mpc_into_full_device(&["eval", &adder, "--input", "0=1"], b"", true);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let out = mpc_into_full_device(&["share", "split", "-t", "0", "-n", "2"], b"x", true);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
}

/// Usage errors were clap's exit status 2 with several lines of usage; they are user
/// errors like any other. `--help` and `--version` still succeed.
#[test]
fn usage_errors_exit_1_with_one_sentence() {
    let cases: &[(&[&str], &str)] = &[
        (&["share", "split", "-t", "-1", "-n", "3"], "unexpected argument '-1'"),
        (&["share", "split", "-t", "2", "-n", "99999999999999999999"], "--shares"),
        (&["share", "split", "-t", "x", "-n", "3"], "--threshold"),
        (&["share", "split", "-t", "2", "-t", "3", "-n", "3"], "cannot be used multiple times"),
        (&["share"], "`mpc share` needs a subcommand"),
        (&[], "`mpc` needs a subcommand"),
        (&["paillier", "keygen"], "--secret-key <SECRET_KEY>, --public-key <PUBLIC_KEY>"),
        (&["compile", "x.mpc", "--emit", "foo"], "possible values: bristol, ir, dot"),
        (&["shar"], "a similar subcommand exists: 'share'"),
        (&["eval", "--bogus"], "unexpected argument '--bogus'"),
        (
            &["psi", "--party", "a", "--listen", "127.0.0.1:0", "--connect", "127.0.0.1:1", "--set", "s"],
            "cannot be used with",
        ),
        (
            &["dp", "--input", "d", "--query", "count", "--epsilon", "1", "--delta", "-0.5"],
            "unexpected argument",
        ),
    ];
    for (args, needle) in cases {
        let err = assert_one_sentence_failure(&mpc(args, b""));
        assert!(err.contains(needle), "{args:?}: {err}");
    }
    for args in [&["--help"][..], &["--version"], &["share", "--help"], &["share", "split", "-h"]] {
        let text = ok(&mpc(args, b""));
        assert!(text.contains("mpc"), "{args:?}: {text}");
    }
}

/// A huge `--timeout` overflowed `Instant + Duration` in the network layer (a panic);
/// the commands now refuse it, before any network I/O.
#[test]
fn huge_timeouts_are_refused() {
    let dir = scratch("timeout");
    let set = dir.join("set.txt");
    let vector = dir.join("vector.txt");
    std::fs::write(&set, "a\nb\n").expect("write the set");
    std::fs::write(&vector, "1 2\n").expect("write the vector");
    let max = u64::MAX.to_string();
    let cases: Vec<Vec<&str>> = vec![
        vec!["psi", "--party", "a", "--connect", "127.0.0.1:9", "--set", path_str(&set), "--timeout", &max],
        vec![
            "psi",
            "--party",
            "a",
            "--listen",
            "127.0.0.1:0",
            "--set",
            path_str(&set),
            "--timeout",
            "1000001",
        ],
        vec![
            "secagg",
            "client",
            "--connect",
            "127.0.0.1:9",
            "--input",
            path_str(&vector),
            "--timeout",
            &max,
            "--insecure",
        ],
        vec![
            "secagg",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--clients",
            "3",
            "--threshold",
            "2",
            "--dim",
            "2",
            "--timeout",
            &max,
            "--insecure",
        ],
    ];
    for args in &cases {
        let err = assert_one_sentence_failure(&mpc(args, b""));
        assert!(err.contains("--timeout"), "{args:?}: {err}");
    }
}

/// `--drop ROUND:ID` naming a client that does not exist was silently ignored.
#[test]
fn secagg_simulate_refuses_unknown_client_ids() {
    let base = ["secagg", "simulate", "--clients", "3", "--threshold", "2", "--dim", "2"];
    let err = assert_one_sentence_failure(&mpc(&[&base[..], &["--drop", "0:3"]].concat(), b""));
    assert!(err.contains("no client 3"), "{err}");
    // The highest real id is still accepted, and its drop takes effect.
    let text = ok(&mpc(&[&base[..], &["--drop", "0:2"]].concat(), b""));
    assert_eq!(text, "1\n1\n");
}

/// `encrypt` accepts every i128, but `decrypt` refused i128::MIN (magnitude 2^127):
/// the value was lost.
#[test]
fn paillier_round_trips_every_i128() {
    let dir = scratch("paillier_i128");
    let (sk, pk) = (dir.join("sk.json"), dir.join("pk.json"));
    ok(&mpc(&["paillier", "keygen", "--secret-key", path_str(&sk), "--public-key", path_str(&pk)], b""));
    let values = format!("{}\n{}\n-1\n0\n", i128::MIN, i128::MAX);
    let cts = ok(&mpc(&["paillier", "encrypt", "--public-key", path_str(&pk)], values.as_bytes()));
    let plain = ok(&mpc(&["paillier", "decrypt", "--secret-key", path_str(&sk)], cts.as_bytes()));
    assert_eq!(plain, values);
    // One past the range is still refused, as one sentence.
    let sum = ok(&mpc(
        &["paillier", "sum", "--public-key", path_str(&pk)],
        cts.lines().take(1).chain(cts.lines().skip(2).take(1)).collect::<Vec<_>>().join("\n").as_bytes(),
    ));
    let err = assert_one_sentence_failure(&mpc(
        &["paillier", "decrypt", "--secret-key", path_str(&sk)],
        sum.as_bytes(),
    ));
    assert!(err.contains("does not fit"), "{err}");
}

/// `keygen --bits 4294967294` ran (practically) forever; the size is now capped.
#[test]
fn paillier_keygen_refuses_huge_sizes() {
    let dir = scratch("paillier_bits");
    let (sk, pk) = (dir.join("sk.json"), dir.join("pk.json"));
    for bits in ["16384", "4294967294"] {
        let err = assert_one_sentence_failure(&mpc(
            &[
                "paillier",
                "keygen",
                "--bits",
                bits,
                "--secret-key",
                path_str(&sk),
                "--public-key",
                path_str(&pk),
            ],
            b"",
        ));
        assert!(err.contains("at most 8192"), "{err}");
        assert!(!sk.exists() && !pk.exists());
    }
}

/// When the public key cannot be written, keygen used to leave the secret key file
/// behind, so that a corrected rerun failed with "File exists".
#[test]
fn paillier_keygen_failure_leaves_no_secret_key() {
    let dir = scratch("paillier_partial");
    let sk = dir.join("sk.json");
    let bad_pk = dir.join("missing-dir").join("pk.json");
    let err = assert_one_sentence_failure(&mpc(
        &["paillier", "keygen", "--secret-key", path_str(&sk), "--public-key", path_str(&bad_pk)],
        b"",
    ));
    assert!(err.contains("pk.json"), "{err}");
    assert!(!sk.exists(), "the secret key file was left behind");
    let pk = dir.join("pk.json");
    ok(&mpc(&["paillier", "keygen", "--secret-key", path_str(&sk), "--public-key", path_str(&pk)], b""));
    assert!(sk.exists() && pk.exists());
}

/// A path naming an endless device (`/dev/zero`) was read to the end, that is until
/// memory ran out. Regular files are still read whole, and pipes (`/dev/stdin`) still
/// work.
#[cfg(target_os = "linux")]
#[test]
fn endless_files_are_refused_not_read_forever() {
    let cases: Vec<Vec<&str>> = vec![
        vec!["compile", "/dev/zero"],
        vec!["paillier", "encrypt", "--public-key", "/dev/zero"],
        vec!["paillier", "decrypt", "--secret-key", "/dev/zero"],
        vec![
            "run",
            "examples/millionaires.mpc",
            "--party",
            "alice",
            "--listen",
            "127.0.0.1:0",
            "--input",
            "alice=1",
            "--tls-cert",
            "/dev/zero",
            "--tls-key",
            "/dev/zero",
            "--peer-cert",
            "/dev/zero",
        ],
    ];
    let millionaires = example("millionaires.mpc");
    for args in &cases {
        let args: Vec<&str> = args
            .iter()
            .map(|a| if *a == "examples/millionaires.mpc" { millionaires.as_str() } else { a })
            .collect();
        let err = assert_one_sentence_failure(&mpc_with_deadline(&args, 15));
        assert!(err.contains("/dev/zero") && err.contains("not a regular file"), "{args:?}: {err}");
    }
    // A program through a pipe still compiles, as before.
    let source = std::fs::read(&millionaires).expect("read the example");
    let piped = ok(&mpc(&["compile", "/dev/stdin"], &source));
    assert!(!piped.is_empty());
    assert_eq!(piped, ok(&mpc(&["compile", &millionaires], b"")));
}

/// `--delta 1e-320` (subnormal) made rho NaN and the error blamed "NaN"; an epsilon
/// with too many decimals or a too-large fraction part was "not a non-negative number".
#[test]
fn dp_parameter_errors_name_the_real_problem() {
    let dir = scratch("dp");
    let data = dir.join("data.txt");
    std::fs::write(&data, "1 2 3\n").expect("write data");
    let base = ["dp", "--input", path_str(&data), "--query", "count"];
    let err = assert_one_sentence_failure(&mpc(
        &[&base[..], &["--epsilon", "1", "--delta", "1e-320"]].concat(),
        b"",
    ));
    assert!(err.contains("delta") && err.contains("too small") && !err.contains("NaN"), "{err}");
    for eps in ["0.0000000000000000000000000001", "1/100000000000000000000"] {
        let err = assert_one_sentence_failure(&mpc(&[&base[..], &["--epsilon", eps]].concat(), b""));
        assert!(err.contains("at most 18 digits") && err.contains("64-bit"), "{err}");
    }
    // Still accepted: small but representable parameters.
    ok(&mpc(&[&base[..], &["--epsilon", "1", "--delta", "1e-300"]].concat(), b""));
    ok(&mpc(&[&base[..], &["--epsilon", "0.000000000000000001"]].concat(), b""));
}

/// `simulate` keeps every client's vectors in one process: 10000 clients x 10^7 values
/// (each within its own limit) asked for terabytes; now refused up front.
#[test]
fn secagg_simulate_refuses_sizes_beyond_memory() {
    let err = assert_one_sentence_failure(&mpc_with_deadline(
        &["secagg", "simulate", "--clients", "10000", "--threshold", "5001", "--dim", "10000000"],
        10,
    ));
    assert!(err.contains("at most 100000000"), "{err}");
}

/// The network layer's errors print their cause and also return it as their source, so
/// the message said it twice ("invalid socket address: invalid socket address").
#[test]
fn error_causes_are_not_repeated() {
    let dir = scratch("repeat");
    let set = dir.join("set.txt");
    std::fs::write(&set, "a\n").expect("write the set");
    let out = mpc(
        &[
            "psi",
            "--party",
            "a",
            "--connect",
            "not-an-address",
            "--insecure",
            "--set",
            path_str(&set),
            "--timeout",
            "1",
        ],
        b"",
    );
    let err = assert_one_sentence_failure(&out);
    assert_eq!(err.matches("invalid socket address").count(), 1, "{err}");
}

/// `--public-key` naming the secret key's file (`k` and `./k`) overwrote the secret key
/// with the public key and succeeded: the secret key was lost.
#[test]
fn paillier_keygen_refuses_one_file_for_both_keys() {
    let dir = scratch("paillier_same");
    let sk = dir.join("k.json");
    let pk = dir.join(".").join("k.json");
    let err = assert_one_sentence_failure(&mpc(
        &["paillier", "keygen", "--secret-key", path_str(&sk), "--public-key", path_str(&pk)],
        b"",
    ));
    assert!(err.contains("same file"), "{err}");
    assert!(!sk.exists(), "a key file was left behind");
}

/// `mpc compile p.mpc -o p.mpc` replaced the program with its circuit.
#[test]
fn compile_refuses_to_overwrite_its_source() {
    let dir = scratch("compile_same");
    let prog = dir.join("p.mpc");
    let source = std::fs::read(example("millionaires.mpc")).expect("read the example");
    std::fs::write(&prog, &source).expect("write the program");
    let alias = dir.join(".").join("p.mpc");
    let err = assert_one_sentence_failure(&mpc(&["compile", path_str(&prog), "-o", path_str(&alias)], b""));
    assert!(err.contains("is the program itself"), "{err}");
    assert_eq!(std::fs::read(&prog).expect("read the program"), source);
    // Another output file is written as before.
    let out = dir.join("p.txt");
    ok(&mpc(&["compile", path_str(&prog), "-o", path_str(&out)], b""));
    assert!(std::fs::metadata(&out).expect("the circuit file").len() > 0);
}
