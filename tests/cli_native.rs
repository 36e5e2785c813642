//! The `mpc paillier`, `mpc zk` and `mpc secagg` command-line contracts: round trips,
//! and tampered or mismatched inputs exiting 1 with one sentence on stderr (never a
//! panic, exit 101); `mpc secagg serve`/`client` over TLS with pinned certificates, a
//! wrong pin and a missing transport refused.
//!
//! Paillier keys: the CLI only generates keys of 2048 bits and more, so most tests use the
//! 2048-bit known-answer key of `runtime/native/tests/vectors/paillier/` written as key files,
//! and one test runs `keygen` once and reuses its key.

use std::path::PathBuf;
use std::process::Output;
use std::sync::OnceLock;

mod common;

use common::{assert_one_sentence_failure, ok, path_str, scratch};

fn mpc(args: &[&str], stdin: &[u8]) -> Output {
    common::mpc_with_stdin(args, stdin)
}

struct Keys {
    sk: PathBuf,
    pk: PathBuf,
}

/// The 2048-bit known-answer key, written in the library's versioned key format.
fn vector_keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/runtime/native/tests/vectors/paillier/paillier_kat_g_n_plus_1.json"
        ))
        .expect("read the Paillier vectors");
        let doc: serde_json::Value = serde_json::from_str(&text).expect("vector JSON");
        let v = doc["vectors"]
            .as_array()
            .expect("vector list")
            .iter()
            .find(|v| v["n_bits"] == 2048)
            .expect("a 2048-bit vector");
        let dir = scratch("vector_key");
        let keys = Keys { sk: dir.join("sk.json"), pk: dir.join("pk.json") };
        let sk = serde_json::json!({"v": 1, "p": v["p"], "q": v["q"]});
        let pk = serde_json::json!({"v": 1, "n": v["n"]});
        std::fs::write(&keys.sk, sk.to_string()).expect("write the secret key");
        std::fs::write(&keys.pk, pk.to_string()).expect("write the public key");
        keys
    })
}

/// A key made by `mpc paillier keygen` (once per test binary).
fn generated_keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let dir = scratch("generated_key");
        let keys = Keys { sk: dir.join("sk.json"), pk: dir.join("pk.json") };
        ok(&mpc(
            &["paillier", "keygen", "--secret-key", path_str(&keys.sk), "--public-key", path_str(&keys.pk)],
            b"",
        ));
        keys
    })
}

fn encrypt(keys: &Keys, values: &str) -> Vec<String> {
    let text = ok(&mpc(&["paillier", "encrypt", "--public-key", path_str(&keys.pk)], values.as_bytes()));
    text.lines().map(str::to_owned).collect()
}

fn decrypt(keys: &Keys, lines: &[String]) -> Output {
    mpc(&["paillier", "decrypt", "--secret-key", path_str(&keys.sk)], (lines.join("\n") + "\n").as_bytes())
}

const VALUES: &str =
    "5\n-7\n0\n170141183460469231731687303715884105727\n-170141183460469231731687303715884105727\n";

#[test]
fn paillier_encrypt_sum_decrypt_round_trip() {
    let keys = vector_keys();
    let cts = encrypt(keys, VALUES);
    assert_eq!(cts.len(), 5);
    // Fresh randomness: encrypting the same values twice gives different ciphertexts.
    assert_ne!(encrypt(keys, VALUES), cts);
    let plain = ok(&decrypt(keys, &cts));
    assert_eq!(plain, VALUES);
    let sum_in = cts[..3].join("\n") + "\n";
    let sum = ok(&mpc(&["paillier", "sum", "--public-key", path_str(&keys.pk)], sum_in.as_bytes()));
    assert_eq!(sum.lines().count(), 1);
    assert_eq!(ok(&decrypt(keys, &[sum.trim().to_owned()])), "-2\n");
    // The two extremes cancel.
    let sum_in = cts[3..].join("\n") + "\n";
    let sum = ok(&mpc(&["paillier", "sum", "--public-key", path_str(&keys.pk)], sum_in.as_bytes()));
    assert_eq!(ok(&decrypt(keys, &[sum.trim().to_owned()])), "0\n");
}

/// The secret key file was created with the umask's mode (`-rw-r--r--` under 022):
/// anyone on the machine could read the primes. It is now 0600 whatever the umask.
#[cfg(unix)]
#[test]
fn paillier_secret_key_file_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let keys = generated_keys();
    let mode = std::fs::metadata(&keys.sk).expect("the secret key exists").permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "secret key mode {:o}", mode & 0o777);
}

#[test]
fn paillier_keygen_then_round_trip_and_refusals() {
    let keys = generated_keys();
    let pk: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&keys.pk).unwrap()).unwrap();
    assert_eq!(pk["v"], 1);
    let n_hex = pk["n"].as_str().expect("n is a hex string");
    assert_eq!(n_hex.len(), 512, "a 2048-bit modulus is 512 hex digits");
    let cts = encrypt(keys, "41\n-1\n");
    assert_eq!(ok(&decrypt(keys, &cts)), "41\n-1\n");
    // keygen never overwrites an existing secret key.
    let out = mpc(
        &["paillier", "keygen", "--secret-key", path_str(&keys.sk), "--public-key", path_str(&keys.pk)],
        b"",
    );
    assert_one_sentence_failure(&out);
    // Keys below 2048 bits are refused.
    let dir = scratch("small_key");
    let out = mpc(
        &[
            "paillier",
            "keygen",
            "--bits",
            "1024",
            "--secret-key",
            path_str(&dir.join("sk.json")),
            "--public-key",
            path_str(&dir.join("pk.json")),
        ],
        b"",
    );
    assert_one_sentence_failure(&out);
    assert!(!dir.join("sk.json").exists());
}

#[test]
fn paillier_tampered_ciphertexts_exit_1() {
    let keys = vector_keys();
    let cts = encrypt(keys, "12\n");
    let c: serde_json::Value = serde_json::from_str(&cts[0]).unwrap();
    let c_hex = c["c"].as_str().unwrap().to_owned();
    let n_hex = {
        let pk: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&keys.pk).unwrap()).unwrap();
        pk["n"].as_str().unwrap().trim_start_matches("0x").to_owned()
    };
    let bad = [
        // not JSON, wrong version, unknown field, not hex
        "garbage".to_owned(),
        format!(r#"{{"v":2,"c":"{c_hex}"}}"#),
        format!(r#"{{"v":1,"c":"{c_hex}","x":1}}"#),
        r#"{"v":1,"c":"xyz"}"#.to_owned(),
        // 0, n (shares a factor with n), and a value above n^2 (digits appended)
        r#"{"v":1,"c":"00"}"#.to_owned(),
        format!(r#"{{"v":1,"c":"{n_hex}"}}"#),
        format!(r#"{{"v":1,"c":"{c_hex}ff"}}"#),
    ];
    for line in &bad {
        let out = decrypt(keys, &[cts[0].clone(), line.clone()]);
        assert_one_sentence_failure(&out);
        assert!(out.stdout.is_empty() || String::from_utf8_lossy(&out.stdout) == "12\n");
        let out = mpc(
            &["paillier", "sum", "--public-key", path_str(&keys.pk)],
            format!("{}\n{line}\n", cts[0]).as_bytes(),
        );
        assert_one_sentence_failure(&out);
    }
    // Encrypt: a line that is not an integer, or does not fit i128.
    for input in ["12\nabc\n", "1e5\n", "170141183460469231731687303715884105728\n"] {
        let out = mpc(&["paillier", "encrypt", "--public-key", path_str(&keys.pk)], input.as_bytes());
        assert_one_sentence_failure(&out);
    }
    // Sum of nothing.
    let out = mpc(&["paillier", "sum", "--public-key", path_str(&keys.pk)], b"\n");
    assert_one_sentence_failure(&out);
}

#[test]
fn paillier_wrong_or_tampered_keys_exit_1() {
    let keys = vector_keys();
    let cts = encrypt(keys, "3\n");
    // A public key where a secret key is expected, and the reverse.
    let swapped = Keys { sk: keys.pk.clone(), pk: keys.sk.clone() };
    assert_one_sentence_failure(&decrypt(&swapped, &cts));
    assert_one_sentence_failure(&mpc(
        &["paillier", "encrypt", "--public-key", path_str(&swapped.pk)],
        b"1\n",
    ));
    // A missing key file.
    let missing =
        Keys { sk: PathBuf::from("/nonexistent/sk.json"), pk: PathBuf::from("/nonexistent/pk.json") };
    assert_one_sentence_failure(&decrypt(&missing, &cts));
    assert_one_sentence_failure(&mpc(
        &["paillier", "encrypt", "--public-key", path_str(&missing.pk)],
        b"1\n",
    ));
    // Tampered keys: p + 2 is not prime; an even modulus; a modulus below 2048 bits.
    let dir = scratch("tampered_keys");
    let sk: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&keys.sk).unwrap()).unwrap();
    let p = sk["p"].as_str().unwrap().trim_start_matches("0x");
    let last = u8::from_str_radix(&p[p.len() - 1..], 16).unwrap();
    let p2 = format!("{}{:x}", &p[..p.len() - 1], (last + 2) % 16);
    let tampered = Keys { sk: dir.join("sk.json"), pk: dir.join("pk.json") };
    std::fs::write(&tampered.sk, serde_json::json!({"v": 1, "p": p2, "q": sk["q"]}).to_string()).unwrap();
    assert_one_sentence_failure(&decrypt(&tampered, &cts));
    for n in ["ff".repeat(256) + "fe", "ff".repeat(127) + "f1"] {
        std::fs::write(&tampered.pk, serde_json::json!({"v": 1, "n": n}).to_string()).unwrap();
        assert_one_sentence_failure(&mpc(
            &["paillier", "encrypt", "--public-key", path_str(&tampered.pk)],
            b"1\n",
        ));
    }
    // Another valid key: Paillier has no integrity, so decryption either refuses the
    // ciphertext (not below the other n^2 or not a unit) or yields an unrelated value; it must
    // never yield the plaintext, and never panic.
    let other = generated_keys();
    let out = decrypt(other, &cts);
    match out.status.code() {
        Some(0) => assert_ne!(String::from_utf8_lossy(&out.stdout), "3\n"),
        _ => {
            assert_one_sentence_failure(&out);
        }
    }
    // A ciphertext of one key summed under another: refused or unrelated, never a panic.
    let other_cts = encrypt(other, "3\n");
    let out = mpc(
        &["paillier", "sum", "--public-key", path_str(&keys.pk)],
        format!("{}\n{}\n", cts[0], other_cts[0]).as_bytes(),
    );
    assert!(matches!(out.status.code(), Some(0) | Some(1)), "{out:?}");
}

fn zk_keygen() -> (String, String) {
    let text = ok(&mpc(&["zk", "keygen"], b""));
    let mut lines = text.lines();
    let secret = lines.next().and_then(|l| l.strip_prefix("secret ")).expect("secret line").to_owned();
    let public = lines.next().and_then(|l| l.strip_prefix("public ")).expect("public line").to_owned();
    assert_eq!(secret.len(), 64);
    assert_eq!(public.len(), 64);
    (secret, public)
}

fn zk_prove(secret: &str, session: &str) -> (String, String) {
    let text = ok(&mpc(&["zk", "prove", "--session", session], format!("secret {secret}\n").as_bytes()));
    let mut public = None;
    let mut proof = None;
    for line in text.lines() {
        if let Some(p) = line.strip_prefix("public ") {
            public = Some(p.to_owned());
        } else if let Some(p) = line.strip_prefix("proof ") {
            proof = Some(p.to_owned());
        }
    }
    (public.expect("public line"), proof.expect("proof line"))
}

fn zk_verify(public: &str, proof: &str, session: &str, protocol: Option<&str>) -> Output {
    let mut args = vec!["zk", "verify", "--session", session, "--public", public, "--proof", proof];
    if let Some(p) = protocol {
        args.extend(["--protocol", p]);
    }
    mpc(&args, b"")
}

#[test]
fn zk_prove_verify_round_trip() {
    let (secret, public) = zk_keygen();
    let (public2, proof) = zk_prove(&secret, "session-1");
    assert_eq!(public2, public, "prove derives the same public point as keygen");
    assert_eq!(ok(&zk_verify(&public, &proof, "session-1", None)), "valid\n");
    // The bare hex secret (without the `secret ` prefix) is accepted too.
    let text = ok(&mpc(&["zk", "prove", "--session", "s"], format!("{secret}\n").as_bytes()));
    assert!(text.contains(&format!("public {public}")));
    // Proofs are randomised.
    let (_, proof2) = zk_prove(&secret, "session-1");
    assert_ne!(proof, proof2);
    assert_eq!(ok(&zk_verify(&public, &proof2, "session-1", None)), "valid\n");
    // A custom protocol id is bound as well.
    let text = ok(&mpc(
        &["zk", "prove", "--session", "s", "--protocol", "other/v1"],
        format!("{secret}\n").as_bytes(),
    ));
    let proof3 = text.lines().find_map(|l| l.strip_prefix("proof ")).unwrap().to_owned();
    assert_eq!(ok(&zk_verify(&public, &proof3, "s", Some("other/v1"))), "valid\n");
    assert_one_sentence_failure(&zk_verify(&public, &proof3, "s", None));
}

#[test]
fn zk_tampered_or_mismatched_inputs_exit_1() {
    let (secret, public) = zk_keygen();
    let (_, proof) = zk_prove(&secret, "session-1");
    // Wrong session, wrong protocol, another public key.
    assert_one_sentence_failure(&zk_verify(&public, &proof, "session-2", None));
    assert_one_sentence_failure(&zk_verify(&public, &proof, "session-1", Some("mpc-cli/schnorr/v2")));
    let (_, other_public) = zk_keygen();
    assert_one_sentence_failure(&zk_verify(&other_public, &proof, "session-1", None));
    // Every byte of the proof flipped in turn (both halves: commitment and response).
    let bytes = proof.len() / 2;
    for i in (0..bytes).step_by(7).chain([bytes - 1]) {
        let b = u8::from_str_radix(&proof[2 * i..2 * i + 2], 16).unwrap() ^ 0x01;
        let tampered = format!("{}{b:02x}{}", &proof[..2 * i], &proof[2 * i + 2..]);
        assert_one_sentence_failure(&zk_verify(&public, &tampered, "session-1", None));
    }
    // Malformed encodings: odd length, not hex, truncated, too long, non-canonical scalar.
    let mut non_canonical = proof[..64].to_owned();
    non_canonical.push_str(&"ff".repeat(32));
    for bad_proof in
        [&proof[1..], "zz", &proof[..proof.len() - 2], &format!("{proof}00"), non_canonical.as_str(), ""]
    {
        assert_one_sentence_failure(&zk_verify(&public, bad_proof, "session-1", None));
    }
    // Invalid public points: not hex, wrong length, not a ristretto255 encoding.
    for bad_public in ["zz", &public[2..], &"ff".repeat(32)] {
        assert_one_sentence_failure(&zk_verify(bad_public, &proof, "session-1", None));
    }
    // Invalid secrets on stdin: not hex, too short, non-canonical scalar (>= the group order).
    for bad_secret in ["xyz", "0102", &"ff".repeat(32)] {
        let out = mpc(&["zk", "prove", "--session", "s"], format!("secret {bad_secret}\n").as_bytes());
        assert_one_sentence_failure(&out);
        assert!(out.stdout.is_empty());
    }
}

// ---- `mpc secagg serve` / `client` over TLS with pinned certificates (issue #15) ----

fn free_port() -> u16 {
    // Port 0 makes the OS pick a free port; it is released right away for `mpc`.
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn spawn_mpc(args: &[&str]) -> std::process::Child {
    std::process::Command::new(env!("CARGO_BIN_EXE_mpc"))
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the mpc binary runs")
}

/// Waits for `child`, killing it after 60 s so a hang fails the test instead of CI.
fn finish(mut child: std::process::Child) -> Output {
    let start = std::time::Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if start.elapsed() > std::time::Duration::from_secs(60) {
            child.kill().ok();
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.wait_with_output().expect("output")
}

/// A self-signed certificate and key written to `dir` as NAME.crt / NAME.key.
fn identity(dir: &std::path::Path, name: &str) -> (String, String) {
    let ck = rcgen::generate_simple_self_signed(vec!["mpc-peer".to_string()]).unwrap();
    let cert = dir.join(format!("{name}.crt"));
    let key = dir.join(format!("{name}.key"));
    std::fs::write(&cert, ck.cert.pem()).unwrap();
    std::fs::write(&key, ck.key_pair.serialize_pem()).unwrap();
    (path_str(&cert).to_string(), path_str(&key).to_string())
}

/// Exit status 1 and a last stderr line `error: ...` (notes about refused
/// connections may precede it), no panic; returns that line.
#[track_caller]
fn server_failure(out: &Output) -> String {
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "stderr: {err}");
    assert!(!err.contains("panicked"), "stderr: {err}");
    let last = err.lines().last().unwrap_or("").to_string();
    assert!(last.starts_with("error: "), "stderr: {err}");
    assert!(err.lines().rev().skip(1).all(|l| l.starts_with("refused ")), "stderr: {err}");
    last
}

fn secagg_server(addr: &str, transport: &[&str], timeout: &str) -> std::process::Child {
    let mut args =
        vec!["secagg", "serve", "--listen", addr, "--clients", "3", "--threshold", "2", "--dim", "2"];
    args.extend_from_slice(&["--timeout", timeout]);
    args.extend_from_slice(transport);
    spawn_mpc(&args)
}

fn secagg_client(addr: &str, input: &str, transport: &[&str]) -> std::process::Child {
    let mut args = vec!["secagg", "client", "--connect", addr, "--input", input, "--timeout", "30"];
    args.extend_from_slice(transport);
    spawn_mpc(&args)
}

#[test]
fn secagg_runs_over_tls_with_pinned_certificates_and_over_explicit_plain_tcp() {
    let dir = scratch("secagg_tls");
    let (s_cert, s_key) = identity(&dir, "server");
    let clients: Vec<(String, String)> = (0..3).map(|i| identity(&dir, &format!("client{i}"))).collect();
    let inputs: Vec<String> = (0..3)
        .map(|i| {
            let p = dir.join(format!("x{i}.txt"));
            std::fs::write(&p, format!("{} {}\n", i + 1, 10 * (i + 1))).unwrap();
            path_str(&p).to_string()
        })
        .collect();
    // TLS: the server pins the three client certificates, each client the server's.
    let addr = format!("127.0.0.1:{}", free_port());
    let mut server_tls = vec!["--tls-cert", &s_cert, "--tls-key", &s_key];
    for (c, _) in &clients {
        server_tls.extend_from_slice(&["--peer-cert", c]);
    }
    let server = secagg_server(&addr, &server_tls, "30");
    let children: Vec<_> = (0..3)
        .map(|i| {
            let (c, k) = &clients[i];
            secagg_client(&addr, &inputs[i], &["--tls-cert", c, "--tls-key", k, "--peer-cert", &s_cert])
        })
        .collect();
    assert_eq!(ok(&finish(server)), "6\n60\n");
    for c in children {
        assert_eq!(ok(&finish(c)), "6\n60\n");
    }
    // Plain TCP, asked for by name.
    let addr = format!("127.0.0.1:{}", free_port());
    let server = secagg_server(&addr, &["--insecure"], "30");
    let children: Vec<_> = inputs.iter().map(|x| secagg_client(&addr, x, &["--insecure"])).collect();
    assert_eq!(ok(&finish(server)), "6\n60\n");
    for c in children {
        assert_eq!(ok(&finish(c)), "6\n60\n");
    }
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn secagg_refuses_a_wrong_pin_and_a_missing_transport_with_one_sentence() {
    let dir = scratch("secagg_pin");
    let (s_cert, s_key) = identity(&dir, "server");
    let (m_cert, _) = identity(&dir, "mallory");
    let (c_cert, c_key) = identity(&dir, "client");
    let input = dir.join("x.txt");
    std::fs::write(&input, "1 2\n").unwrap();
    let input = path_str(&input);
    // The client pins mallory's certificate, not the server's: refused.
    let addr = format!("127.0.0.1:{}", free_port());
    let server_tls = [
        "--tls-cert",
        &s_cert,
        "--tls-key",
        &s_key,
        "--peer-cert",
        &c_cert,
        "--peer-cert",
        &m_cert,
        "--peer-cert",
        &s_cert,
    ];
    let server = secagg_server(&addr, &server_tls, "3");
    let out = finish(secagg_client(
        &addr,
        input,
        &["--tls-cert", &c_cert, "--tls-key", &c_key, "--peer-cert", &m_cert],
    ));
    let err = assert_one_sentence_failure(&out);
    assert!(err.contains("not the pinned one"), "{err}");
    // The server never got its clients: it fails with one sentence once its timeout
    // passes, after a note per refused connection.
    let err = server_failure(&finish(server));
    assert!(err.contains("0 of 3 clients connected"), "{err}");
    // A client whose certificate the server does not pin is refused by the server.
    let addr = format!("127.0.0.1:{}", free_port());
    let server_tls = [
        "--tls-cert",
        &s_cert,
        "--tls-key",
        &s_key,
        "--peer-cert",
        &m_cert,
        "--peer-cert",
        &m_cert,
        "--peer-cert",
        &m_cert,
    ];
    let server = secagg_server(&addr, &server_tls, "3");
    let out = finish(secagg_client(
        &addr,
        input,
        &["--tls-cert", &c_cert, "--tls-key", &c_key, "--peer-cert", &s_cert],
    ));
    assert_one_sentence_failure(&out);
    let err = server_failure(&finish(server));
    assert!(err.contains("0 of 3 clients connected"), "{err}");
    // Neither TLS nor --insecure: refused before anything is opened.
    let out = mpc(&["secagg", "client", "--connect", "127.0.0.1:9", "--input", input], b"");
    assert!(assert_one_sentence_failure(&out).contains("--insecure"));
    let out = mpc(
        &["secagg", "serve", "--listen", "127.0.0.1:0", "--clients", "3", "--threshold", "2", "--dim", "2"],
        b"",
    );
    assert!(assert_one_sentence_failure(&out).contains("--insecure"));
    // Both at once is a usage error, also one sentence.
    let out = mpc(
        &[
            "secagg",
            "client",
            "--connect",
            "127.0.0.1:9",
            "--input",
            input,
            "--insecure",
            "--peer-cert",
            &s_cert,
        ],
        b"",
    );
    assert_one_sentence_failure(&out);
    // A bad input value is named by its position, never echoed (inputs are secret).
    let bad = dir.join("bad.txt");
    std::fs::write(&bad, "5 -31337\n").unwrap();
    let out =
        mpc(&["secagg", "client", "--connect", "127.0.0.1:9", "--input", path_str(&bad), "--insecure"], b"");
    let err = assert_one_sentence_failure(&out);
    assert!(err.contains("value 2") && !err.contains("31337"), "{err}");
    // A threshold of half the clients is refused (no signed survivor lists).
    let out = mpc(
        &[
            "secagg",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--clients",
            "4",
            "--threshold",
            "2",
            "--dim",
            "2",
            "--insecure",
        ],
        b"",
    );
    assert!(assert_one_sentence_failure(&out).contains("more than half"));
    std::fs::remove_dir_all(dir).ok();
}

/// `mpc dp --lower 0 --upper 2^62 --query sum`: `[2^62]` printed a noisy sum and the
/// neighbouring `[2^62, 2^62]` exited 1 ("too large for exact arithmetic") after the
/// budget was charged, so whether the command failed told the datasets apart. Both
/// neighbours are answered now; a failure that the parameters decide (the Gaussian
/// variance of a 2^62 sensitivity does not fit) comes before any output, for both.
#[test]
fn dp_sum_answers_or_refuses_neighbouring_datasets_alike() {
    let dir = scratch("dp_neighbours");
    let big = (1u64 << 62).to_string();
    let one = dir.join("one.txt");
    let two = dir.join("two.txt");
    std::fs::write(&one, format!("{big}\n")).expect("write one record");
    std::fs::write(&two, format!("{big}\n{big}\n")).expect("write two records");
    for data in [&one, &two] {
        let args = ["dp", "--input", path_str(data), "--query", "sum,mean", "--epsilon", "1"];
        let text = ok(&mpc(&[&args[..], &["--lower", "0", "--upper", &big]].concat(), b""));
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text}");
        assert!(lines[0].strip_prefix("sum: ").is_some_and(|v| v.parse::<i64>().is_ok()), "{text}");
        assert!(lines[1].starts_with("mean: "), "{text}");
    }
    let refusals: Vec<String> = [&one, &two]
        .iter()
        .map(|data| {
            let args = ["dp", "--input", path_str(data), "--query", "count,sum", "--epsilon", "1"];
            let gauss = ["--delta", "1e-6", "--lower", "0", "--upper", &big];
            let out = mpc(&[&args[..], &gauss[..]].concat(), b"");
            assert!(out.stdout.is_empty(), "{}", String::from_utf8_lossy(&out.stdout));
            assert_one_sentence_failure(&out)
        })
        .collect();
    assert_eq!(refusals[0], refusals[1]);
}

/// The statement "I know x with O = x * G" (O the identity) has the witness 0 that
/// everybody knows: `mpc zk prove` with secret 00..00 made such a proof and `verify`
/// accepted it. The identity is now refused with one sentence by both commands
/// (here with a well-formed proof of commitment O).
#[test]
fn zk_identity_public_point_is_refused() {
    let identity = "00".repeat(32);
    let forged = format!("0101{}07{}", "00".repeat(32), "00".repeat(31));
    let out = zk_verify(&identity, &forged, "session-1", None);
    assert!(assert_one_sentence_failure(&out).contains("identity"));
    let out = mpc(&["zk", "prove", "--session", "s"], format!("secret {identity}\n").as_bytes());
    assert!(assert_one_sentence_failure(&out).contains("identity"));
}

/// The common hello names the protocols: a secagg client that dials an `mpc run`
/// listener is refused with one sentence on both sides, naming both protocols.
#[test]
fn a_secagg_client_and_a_session_refuse_each_other_by_name() {
    let dir = scratch("secagg_cross");
    let input = dir.join("x.txt");
    std::fs::write(&input, "1 2\n").unwrap();
    let prog = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/auction.mpc");
    let addr = format!("127.0.0.1:{}", free_port());
    let listener =
        spawn_mpc(&["run", prog, "--party", "alice", "--listen", &addr, "--input", "a=1", "--timeout", "20"]);
    let client = secagg_client(&addr, path_str(&input), &["--insecure"]);
    let (ol, oc) = (listener.wait_with_output().unwrap(), client.wait_with_output().unwrap());
    let err = assert_one_sentence_failure(&oc);
    assert!(err.contains("the peer speaks the mpc session protocol, not secagg"), "{err}");
    let err = assert_one_sentence_failure(&ol);
    assert!(err.contains("the peer speaks the mpc secagg protocol, not session"), "{err}");
}
