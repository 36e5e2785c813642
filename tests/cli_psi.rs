//! End-to-end tests of `mpc psi`: two processes over TLS with pinned certificates
//! (rcgen) or, with `--insecure`, plain TCP print the sorted intersection (or its
//! size); a wrong pin, a missing transport choice and bad inputs fail with exit status
//! 1 and one sentence.

use std::io::Write;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

mod common;

use common::assert_one_sentence_failure;

fn mpc() -> Command {
    Command::new(env!("CARGO_BIN_EXE_mpc"))
}

fn temp_file(name: &str, contents: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mpc-cli-psi-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::File::create(&path).unwrap().write_all(contents).unwrap();
    path
}

fn free_addr() -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().to_string()
}

fn run_pair(a: &PathBuf, b: &PathBuf, extra: &[&str]) -> (Output, Output) {
    let insecure = [extra, &["--insecure"]].concat();
    run_pair_with(a, b, &insecure, &insecure)
}

/// Alice listens with `extra_a`, bob connects with `extra_b`.
fn run_pair_with(a: &PathBuf, b: &PathBuf, extra_a: &[&str], extra_b: &[&str]) -> (Output, Output) {
    let addr = free_addr();
    let alice = mpc()
        .args(["psi", "--party", "alice", "--listen", &addr, "--timeout", "20", "--set"])
        .arg(a)
        .args(extra_a)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let bob = mpc()
        .args(["psi", "--party", "bob", "--connect", &addr, "--timeout", "20", "--set"])
        .arg(b)
        .args(extra_b)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    (alice.wait_with_output().unwrap(), bob.wait_with_output().unwrap())
}

/// A self-signed certificate and its key, written as `NAME.crt` and `NAME.key`.
fn write_identity(name: &str) -> (String, String) {
    let ck = rcgen::generate_simple_self_signed(vec!["mpc-peer".to_string()]).unwrap();
    let cert = temp_file(&format!("{name}.crt"), ck.cert.pem().as_bytes());
    let key = temp_file(&format!("{name}.key"), ck.key_pair.serialize_pem().as_bytes());
    (cert.to_str().unwrap().to_string(), key.to_str().unwrap().to_string())
}

#[test]
fn both_parties_print_the_sorted_intersection() {
    let a = temp_file("a.txt", "pear\napple\nfig\napple\nkiwi\r\n".as_bytes());
    let b = temp_file("b.txt", "kiwi\nbanana\napple\nfig".as_bytes());
    let (oa, ob) = run_pair(&a, &b, &[]);
    assert!(oa.status.success(), "{}", String::from_utf8_lossy(&oa.stderr));
    assert!(ob.status.success(), "{}", String::from_utf8_lossy(&ob.stderr));
    assert_eq!(String::from_utf8(oa.stdout).unwrap(), "apple\nfig\nkiwi\n");
    assert_eq!(String::from_utf8(ob.stdout).unwrap(), "apple\nfig\nkiwi\n");

    let (oa, ob) = run_pair(&a, &b, &["--cardinality"]);
    assert_eq!(String::from_utf8(oa.stdout).unwrap(), "3\n");
    assert_eq!(String::from_utf8(ob.stdout).unwrap(), "3\n");
}

#[test]
fn bad_inputs_fail_with_one_sentence() {
    let bad = temp_file("bad.txt", b"ok\n\xff\xfe\n");
    let out = mpc()
        .args(["psi", "--party", "alice", "--listen", "127.0.0.1:1", "--insecure", "--set"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.starts_with("error: line 2 of") && err.contains("not valid UTF-8"), "{err}");
    assert_eq!(err.lines().count(), 1);

    let long = temp_file("long.txt", &vec![b'x'; 5000]);
    let out = mpc()
        .args(["psi", "--party", "alice", "--connect", "127.0.0.1:1", "--insecure", "--set"])
        .arg(&long)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8(out.stderr).unwrap().contains("longer than 4096 bytes"));

    let out = mpc()
        .args([
            "psi",
            "--party",
            "alice",
            "--connect",
            "127.0.0.1:1",
            "--insecure",
            "--set",
            "/nonexistent/set.txt",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(String::from_utf8(out.stderr).unwrap().lines().count(), 1);
}

/// Both parties pin each other's certificate: the intersection over TLS, also in the
/// one-sided mode, where only the listener (the server) learns it.
#[test]
fn tls_with_pinned_certificates() {
    let a = temp_file("tls_a.txt", b"pear\napple\nfig\n");
    let b = temp_file("tls_b.txt", b"fig\nbanana\napple\n");
    let (a_cert, a_key) = write_identity("tls_alice");
    let (b_cert, b_key) = write_identity("tls_bob");
    let tls_a = ["--tls-cert", &a_cert, "--tls-key", &a_key, "--peer-cert", &b_cert];
    let tls_b = ["--tls-cert", &b_cert, "--tls-key", &b_key, "--peer-cert", &a_cert];
    let (oa, ob) = run_pair_with(&a, &b, &tls_a, &tls_b);
    assert!(oa.status.success(), "{}", String::from_utf8_lossy(&oa.stderr));
    assert!(ob.status.success(), "{}", String::from_utf8_lossy(&ob.stderr));
    assert_eq!(String::from_utf8(oa.stdout).unwrap(), "apple\nfig\n");
    assert_eq!(String::from_utf8(ob.stdout).unwrap(), "apple\nfig\n");

    let one_a = [&tls_a[..], &["--one-sided"]].concat();
    let one_b = [&tls_b[..], &["--one-sided"]].concat();
    let (oa, ob) = run_pair_with(&a, &b, &one_a, &one_b);
    assert!(ob.status.success(), "{}", String::from_utf8_lossy(&ob.stderr));
    assert_eq!(String::from_utf8(oa.stdout).unwrap(), "apple\nfig\n");
    assert_eq!(String::from_utf8(ob.stdout).unwrap(), "");
}

/// The listener accepted whoever connected first, so anyone could probe its set with
/// chosen items. Over TLS a connector whose certificate is not the pinned one is
/// refused during the handshake, with one sentence, and learns nothing.
#[test]
fn a_wrong_pin_is_refused_with_one_sentence() {
    let a = temp_file("pin_a.txt", b"secret-1\nsecret-2\n");
    let probe = temp_file("pin_probe.txt", b"secret-1\nguess\n");
    let (a_cert, a_key) = write_identity("pin_alice");
    let (b_cert, _) = write_identity("pin_bob");
    let (m_cert, m_key) = write_identity("pin_mallory");
    // Alice expects bob; mallory connects with her own certificate (pinning alice's).
    let tls_a = ["--tls-cert", &a_cert, "--tls-key", &a_key, "--peer-cert", &b_cert];
    let tls_m = ["--tls-cert", &m_cert, "--tls-key", &m_key, "--peer-cert", &a_cert];
    let (oa, om) = run_pair_with(&a, &probe, &tls_a, &tls_m);
    let err = assert_one_sentence_failure(&oa);
    assert!(err.contains("not the pinned one"), "{err}");
    assert_one_sentence_failure(&om);
    assert!(oa.stdout.is_empty() && om.stdout.is_empty());
    // Mallory as the listener, pinning bob: bob refuses her certificate.
    let (b_cert, b_key) = write_identity("pin_bob2");
    let tls_m = ["--tls-cert", &m_cert, "--tls-key", &m_key, "--peer-cert", &b_cert];
    let tls_b = ["--tls-cert", &b_cert, "--tls-key", &b_key, "--peer-cert", &a_cert];
    let (om, ob) = run_pair_with(&probe, &a, &tls_m, &tls_b);
    let err = assert_one_sentence_failure(&ob);
    assert!(err.contains("not the pinned one"), "{err}");
    assert_one_sentence_failure(&om);
    assert!(ob.stdout.is_empty() && om.stdout.is_empty());
}

/// Without TLS options plain TCP is not chosen silently: `--insecure` must say so.
#[test]
fn no_transport_choice_is_refused_with_one_sentence() {
    let set = temp_file("choice.txt", b"a\n");
    let (cert, key) = write_identity("choice");
    for endpoint in ["--listen", "--connect"] {
        let out = mpc()
            .args(["psi", "--party", "alice", endpoint, "127.0.0.1:1", "--set"])
            .arg(&set)
            .output()
            .unwrap();
        let err = assert_one_sentence_failure(&out);
        assert!(err.contains("--insecure") && err.contains("--peer-cert"), "{err}");
        let out = mpc()
            .args(["psi", "--party", "alice", endpoint, "127.0.0.1:1", "--insecure", "--set"])
            .arg(&set)
            .args(["--tls-cert", &cert, "--tls-key", &key, "--peer-cert", &cert])
            .output()
            .unwrap();
        assert!(assert_one_sentence_failure(&out).contains("cannot be used with"));
    }
}

/// The common hello names the protocols: a PSI client that dials an `mpc run`
/// listener (or an `mpc run` party that dials a PSI listener) is refused with one
/// sentence on both sides, naming both protocols, before any message of either.
#[test]
fn psi_and_a_session_refuse_each_other_by_name() {
    let prog = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/auction.mpc");
    let set = temp_file("cross.txt", b"a\nb\n");
    let run = |endpoint: &str, addr: &str| {
        mpc()
            .args(["run", prog, "--party", "alice", endpoint, addr, "--input", "a=1", "--timeout", "20"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let psi = |endpoint: &str, addr: &str| {
        mpc()
            .args(["psi", "--party", "bob", endpoint, addr, "--insecure", "--timeout", "20", "--set"])
            .arg(&set)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    // PSI dials `mpc run --listen`.
    let addr = free_addr();
    let listener = run("--listen", &addr);
    let client = psi("--connect", &addr);
    let (ol, oc) = (listener.wait_with_output().unwrap(), client.wait_with_output().unwrap());
    let err = assert_one_sentence_failure(&oc);
    assert!(err.contains("the peer speaks the mpc session protocol, not psi"), "{err}");
    let err = assert_one_sentence_failure(&ol);
    assert!(err.contains("the peer speaks the mpc psi protocol, not session"), "{err}");
    assert!(ol.stdout.is_empty() && oc.stdout.is_empty());
    // `mpc run --connect` dials a PSI listener.
    let addr = free_addr();
    let listener = psi("--listen", &addr);
    let client = run("--connect", &addr);
    let (ol, oc) = (listener.wait_with_output().unwrap(), client.wait_with_output().unwrap());
    let err = assert_one_sentence_failure(&ol);
    assert!(err.contains("the peer speaks the mpc session protocol, not psi"), "{err}");
    let err = assert_one_sentence_failure(&oc);
    assert!(err.contains("the peer speaks the mpc psi protocol, not session"), "{err}");
}

/// `--protocol kkrt`: two processes print the exact sorted intersection (plain TCP and
/// TLS), the one-sided mode prints it on the listener only, and a set with many items
/// (duplicates, `\r\n`, empty lines) gives the same result as ECDH.
#[test]
fn kkrt_gives_the_same_intersection_as_ecdh() {
    let a: String = (0..3000).map(|i| format!("item-{}\n", i * 3)).collect::<String>() + "\r\n\nitem-0\r\n";
    let b: String = (0..2000).map(|i| format!("item-{}\n", i * 5)).collect();
    let (a, b) = (temp_file("kkrt_a.txt", a.as_bytes()), temp_file("kkrt_b.txt", b.as_bytes()));
    let want: String = {
        let mut v: Vec<String> = (0..2000)
            .map(|i| i * 5)
            .filter(|n| n % 3 == 0 && *n < 9000)
            .map(|n| format!("item-{n}"))
            .collect();
        v.sort();
        v.iter().map(|s| format!("{s}\n")).collect()
    };
    let (ea, eb) = run_pair(&a, &b, &[]);
    assert_eq!(String::from_utf8(ea.stdout).unwrap(), want);
    assert_eq!(String::from_utf8(eb.stdout).unwrap(), want);
    let (oa, ob) = run_pair(&a, &b, &["--protocol", "kkrt"]);
    assert!(oa.status.success(), "{}", String::from_utf8_lossy(&oa.stderr));
    assert!(ob.status.success(), "{}", String::from_utf8_lossy(&ob.stderr));
    assert_eq!(String::from_utf8(oa.stdout).unwrap(), want);
    assert_eq!(String::from_utf8(ob.stdout).unwrap(), want);

    let (oa, ob) = run_pair(&a, &b, &["--protocol", "kkrt", "--one-sided"]);
    assert!(ob.status.success(), "{}", String::from_utf8_lossy(&ob.stderr));
    assert_eq!(String::from_utf8(oa.stdout).unwrap(), want);
    assert_eq!(String::from_utf8(ob.stdout).unwrap(), "");

    let (a_cert, a_key) = write_identity("kkrt_alice");
    let (b_cert, b_key) = write_identity("kkrt_bob");
    let tls_a = ["--protocol", "kkrt", "--tls-cert", &a_cert, "--tls-key", &a_key, "--peer-cert", &b_cert];
    let tls_b = ["--protocol", "kkrt", "--tls-cert", &b_cert, "--tls-key", &b_key, "--peer-cert", &a_cert];
    let (oa, ob) = run_pair_with(&a, &b, &tls_a, &tls_b);
    assert!(ob.status.success(), "{}", String::from_utf8_lossy(&ob.stderr));
    assert_eq!(String::from_utf8(oa.stdout).unwrap(), want);
    assert_eq!(String::from_utf8(ob.stdout).unwrap(), want);
}

/// `--protocol kkrt --cardinality` is refused before connecting, pointing to ECDH; a
/// KKRT party and an ECDH party refuse each other naming both protocols.
#[test]
fn kkrt_refusals_are_one_sentence() {
    let set = temp_file("kkrt_r.txt", b"a\nb\n");
    let out = mpc()
        .args(["psi", "--party", "a", "--listen", "127.0.0.1:1", "--insecure", "--protocol", "kkrt"])
        .args(["--cardinality", "--set"])
        .arg(&set)
        .output()
        .unwrap();
    let err = assert_one_sentence_failure(&out);
    assert!(err.contains("--protocol ecdh"), "{err}");

    let (oa, ob) = run_pair(&set, &set, &[]);
    assert!(oa.status.success() && ob.status.success());
    let (oa, ob) = run_pair_with(&set, &set, &["--insecure", "--protocol", "kkrt"], &["--insecure"]);
    for out in [&oa, &ob] {
        let err = assert_one_sentence_failure(out);
        assert!(err.contains("kkrt") && err.contains("ecdh"), "{err}");
        assert!(out.stdout.is_empty());
    }
}
