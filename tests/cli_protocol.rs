//! Two real `mpc run` processes on 127.0.0.1: the auction, millionaires and AES
//! examples compared with `mpc eval`; `mpc local`; TLS with pinned self-signed
//! certificates (rcgen); and the failures of the command-line contract (a party
//! killed mid-run, random bytes to a listener, two different programs, a missing
//! input, a value too wide, nobody listening, a certificate that is not the pinned
//! one), each checked for exit status 1, one sentence on stderr and no panic, within
//! the timeout.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

mod common;
use common::{
    assert_one_sentence_failure as one_sentence_failure, example, finish, free_port, ok as stdout_ok, spawn,
};

const LIMIT: Duration = Duration::from_secs(60);

fn eval(prog: &str, inputs: &[&str], json: bool) -> String {
    let mut args = vec!["eval", prog];
    for i in inputs {
        args.extend(["--input", i]);
    }
    if json {
        args.push("--json");
    }
    stdout_ok(&finish(spawn(&args), LIMIT))
}

/// Runs the two parties (first party listening) and returns both outputs.
fn run_pair(prog: &str, p0: (&str, &[&str]), p1: (&str, &[&str]), extra: &[&str]) -> (Output, Output) {
    run_pair_progs(prog, prog, p0, p1, extra, extra)
}

fn run_pair_progs(
    prog0: &str,
    prog1: &str,
    p0: (&str, &[&str]),
    p1: (&str, &[&str]),
    extra0: &[&str],
    extra1: &[&str],
) -> (Output, Output) {
    let addr = format!("127.0.0.1:{}", free_port());
    let mut a0 = vec!["run", prog0, "--party", p0.0, "--listen", &addr, "--timeout", "20"];
    let mut a1 = vec!["run", prog1, "--party", p1.0, "--connect", &addr, "--timeout", "20"];
    for i in p0.1 {
        a0.extend(["--input", i]);
    }
    for i in p1.1 {
        a1.extend(["--input", i]);
    }
    a0.extend(extra0);
    a1.extend(extra1);
    let c0 = spawn(&a0);
    let c1 = spawn(&a1);
    (finish(c0, LIMIT), finish(c1, LIMIT))
}

#[test]
fn auction_between_two_processes_matches_eval() {
    let prog = example("auction.mpc");
    for (a, b) in [("100", "150"), ("200", "150")] {
        let (ia, ib) = (format!("a={a}"), format!("b={b}"));
        let want = eval(&prog, &[&ia, &ib], false);
        let (o0, o1) = run_pair(&prog, ("alice", &[&ia]), ("bob", &[&ib]), &[]);
        assert_eq!(stdout_ok(&o0), want);
        assert_eq!(stdout_ok(&o1), want);
        let local = stdout_ok(&finish(spawn(&["local", &prog, "--input", &ia, "--input", &ib]), LIMIT));
        assert_eq!(local, want);
    }
    let want = eval(&prog, &["a=100", "b=150"], true);
    assert_eq!(want.trim(), r#"{"alice_wins":false,"price":100}"#);
    let (o0, o1) = run_pair(&prog, ("alice", &["a=100"]), ("bob", &["b=150"]), &["--json", "--stats"]);
    assert_eq!(stdout_ok(&o0), want);
    assert_eq!(stdout_ok(&o1), want);
    let stats = String::from_utf8_lossy(&o0.stderr);
    assert!(stats.contains("bytes") && stats.contains("rounds"), "{stats}");
}

#[test]
fn millionaires_with_the_evaluator_listening() {
    let prog = example("millionaires.mpc");
    let want = eval(&prog, &["alice=1000000", "bob=999999"], false);
    assert_eq!(want, "alice_richer: true\n");
    // Roles do not depend on who listens: bob (the evaluator) listens here.
    let addr = format!("127.0.0.1:{}", free_port());
    let bob = spawn(&[
        "run",
        &prog,
        "--party",
        "bob",
        "--listen",
        &addr,
        "--input",
        "bob=999999",
        "--timeout",
        "20",
    ]);
    let alice = spawn(&[
        "run",
        &prog,
        "--party",
        "alice",
        "--connect",
        &addr,
        "--input",
        "alice=1000000",
        "--timeout",
        "20",
    ]);
    assert_eq!(stdout_ok(&finish(alice, LIMIT)), want);
    assert_eq!(stdout_ok(&finish(bob, LIMIT)), want);
}

#[test]
fn aes_only_bob_learns_the_ciphertext() {
    let prog = example("aes.mpc");
    let key = "key=0x000102030405060708090a0b0c0d0e0f";
    let block = "block=0x00112233445566778899aabbccddeeff";
    let want = eval(&prog, &[key, block], false);
    assert_eq!(want, "ciphertext: 0x69c4e0d86a7b0430d8cdb78070b4c55a\n");
    let (o0, o1) = run_pair(&prog, ("alice", &[key]), ("bob", &[block]), &[]);
    assert_eq!(stdout_ok(&o0), "", "alice learns nothing");
    assert_eq!(stdout_ok(&o1), want);
}

/// `--scheme three-halves` on both `mpc run` processes and on `mpc local` gives the
/// same ciphertext; different schemes on the two sides are refused by both in one
/// sentence.
#[test]
fn three_halves_aes_and_scheme_mismatch() {
    let prog = example("aes.mpc");
    let key = "key=0x000102030405060708090a0b0c0d0e0f";
    let block = "block=0x00112233445566778899aabbccddeeff";
    let want = "ciphertext: 0x69c4e0d86a7b0430d8cdb78070b4c55a\n";
    let th = ["--scheme", "three-halves"];
    let (o0, o1) = run_pair(&prog, ("alice", &[key]), ("bob", &[block]), &th);
    assert_eq!(stdout_ok(&o0), "");
    assert_eq!(stdout_ok(&o1), want);
    let local =
        finish(spawn(&["local", &prog, "--input", key, "--input", block, "--scheme", "three-halves"]), LIMIT);
    assert_eq!(stdout_ok(&local), want);
    let (o0, o1) = run_pair_progs(&prog, &prog, ("alice", &[key]), ("bob", &[block]), &[], &th);
    let (e0, e1) = (one_sentence_failure(&o0), one_sentence_failure(&o1));
    assert!(e0.contains("we garble with half-gates but the peer with three-halves"), "{e0}");
    assert!(e1.contains("we garble with three-halves but the peer with half-gates"), "{e1}");
    let bad =
        finish(spawn(&["local", &prog, "--input", key, "--input", block, "--scheme", "quarter"]), LIMIT);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown garbling scheme `quarter`"));
}

#[test]
fn bristol_aes_between_two_processes() {
    let prog = format!("{}/circuits/tests/vectors/bristol/aes_128.txt", env!("CARGO_MANIFEST_DIR"));
    let (k, p) = ("0=0x000102030405060708090a0b0c0d0e0f", "1=0x00112233445566778899aabbccddeeff");
    let want = eval(&prog, &[k, p], true);
    let (o0, o1) = run_pair(&prog, ("p0", &[k]), ("p1", &[p]), &["--json"]);
    assert_eq!(stdout_ok(&o0), want);
    assert_eq!(stdout_ok(&o1), want);
}

/// Compiles `examples/NAME` to `dir/NAME.txt` with `mpc compile -o`; returns the
/// circuit's path and what the compiler printed on stderr.
fn compile_to_bristol(dir: &Path, name: &str) -> (String, String) {
    let out = dir.join(format!("{name}.txt"));
    let o = finish(spawn(&["compile", &example(name), "-o", out.to_str().unwrap()]), LIMIT);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    (out.to_str().unwrap().to_string(), String::from_utf8(o.stderr).unwrap())
}

/// `mpc compile examples/aes.mpc -o aes.txt` then `mpc run aes.txt` showed bob's
/// `@bob` ciphertext to alice: the Bristol file has no reveals. The shapes sidecar
/// written beside it restores them, and the compiler warns that it must travel along.
#[test]
fn compiled_aes_keeps_the_ciphertext_from_alice() {
    let dir = temp_dir("aes_sidecar");
    let (prog, warning) = compile_to_bristol(&dir, "aes.mpc");
    assert!(warning.starts_with("warning: ") && warning.contains("aes.mpc.txt.shapes.json"), "{warning}");
    assert_eq!(warning.lines().count(), 1, "{warning}");
    let key = "key=0x000102030405060708090a0b0c0d0e0f";
    let block = "block=0x00112233445566778899aabbccddeeff";
    let (o0, o1) = run_pair(&prog, ("alice", &[key]), ("bob", &[block]), &[]);
    assert_eq!(stdout_ok(&o0), "", "alice learns nothing");
    assert_eq!(stdout_ok(&o1), "ciphertext: 0x69c4e0d86a7b0430d8cdb78070b4c55a\n");
    assert!(o0.stderr.is_empty() && o1.stderr.is_empty());

    // A party that runs the bare Bristol file (a copy without the sidecar) is warned,
    // and the hello, which digests parties and reveals, refuses the mismatch on both sides.
    let bare = dir.join("bare.txt");
    std::fs::copy(&prog, &bare).unwrap();
    let bare = bare.to_str().unwrap();
    let (o0, o1) = run_pair_progs(&prog, bare, ("alice", &[key]), ("p1", &["1=0x0"]), &[], &[]);
    let e0 = one_sentence_failure(&o0);
    assert!(e0.contains("the programs differ"), "{e0}");
    let e1 = String::from_utf8_lossy(&o1.stderr).into_owned();
    assert_eq!(o1.status.code(), Some(1), "{e1}");
    assert!(e1.starts_with("warning: no `") && e1.contains("shapes.json"), "{e1}");
    assert!(e1.lines().nth(1).is_some_and(|l| l.contains("the programs differ")), "{e1}");

    // A sidecar that does not belong to the circuit's bytes is refused, not ignored.
    let mut text = std::fs::read_to_string(&prog).unwrap();
    text.push('\n');
    std::fs::write(&prog, text).unwrap();
    let out = finish(spawn(&["local", &prog, "--input", key, "--input", block]), LIMIT);
    assert!(one_sentence_failure(&out).contains("written for another circuit"));
    std::fs::remove_dir_all(dir).ok();
}

/// In `examples/shares.mpc` alice holds `v_a` and `w_a`, bob `v_b` and `w_b`; the bare
/// Bristol file gave input k to party k % 2, so alice's `w_a` (input 1) became bob's.
#[test]
fn compiled_shares_keeps_each_input_with_its_party() {
    let dir = temp_dir("shares_sidecar");
    let (prog, warning) = compile_to_bristol(&dir, "shares.mpc");
    assert!(warning.contains("shares.mpc.txt.shapes.json"), "{warning}");
    let (alice, bob): (&[&str], &[&str]) = (&["v_a=0x0f0f", "w_a=4294967295"], &["v_b=0x00ff", "w_b=101"]);
    let want = eval(&example("shares.mpc"), &[alice, bob].concat(), false);
    assert_eq!(want, "meets: true\nmargin: 3980\n");
    assert_eq!(eval(&prog, &[alice, bob].concat(), false), want);
    let (o0, o1) = run_pair(&prog, ("alice", alice), ("bob", bob), &[]);
    assert_eq!(stdout_ok(&o0), want);
    assert_eq!(stdout_ok(&o1), want);
    // Naming the other party's input is refused before any network.
    let port = format!("127.0.0.1:{}", free_port());
    let out = finish(spawn(&["run", &prog, "--party", "bob", "--listen", &port, "--input", "w_a=1"]), LIMIT);
    assert!(one_sentence_failure(&out).contains("belongs to party alice"));
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn user_errors_exit_one_before_any_network() {
    let prog = example("auction.mpc");
    let port = format!("127.0.0.1:{}", free_port());
    let out = finish(spawn(&["run", &prog, "--party", "alice", "--listen", &port]), LIMIT);
    assert!(one_sentence_failure(&out).contains("missing input `a`"));
    let out = finish(
        spawn(&["run", &prog, "--party", "alice", "--listen", &port, "--input", "a=5000000000"]),
        LIMIT,
    );
    assert!(one_sentence_failure(&out).contains("does not fit"));
    let out = finish(spawn(&["run", &prog, "--party", "carol", "--listen", &port, "--input", "a=1"]), LIMIT);
    assert!(one_sentence_failure(&out).contains("no party `carol`"));
    let out = finish(spawn(&["run", &prog, "--party", "alice", "--listen", &port, "--input", "b=1"]), LIMIT);
    one_sentence_failure(&out);
    let out = finish(spawn(&["local", &prog, "--input", "a=1"]), LIMIT);
    assert!(one_sentence_failure(&out).contains("missing input `b`"));
    // Nobody listens: connecting gives up at the timeout.
    let out = finish(
        spawn(&["run", &prog, "--party", "bob", "--connect", &port, "--input", "b=1", "--timeout", "1"]),
        LIMIT,
    );
    assert!(one_sentence_failure(&out).contains("could not connect"));
    // Nobody connects: listening gives up at the timeout.
    let out = finish(
        spawn(&["run", &prog, "--party", "alice", "--listen", &port, "--input", "a=1", "--timeout", "1"]),
        LIMIT,
    );
    assert!(one_sentence_failure(&out).contains("no peer connected"));
}

#[test]
fn different_programs_are_refused_by_both() {
    let (o0, o1) = run_pair_progs(
        &example("auction.mpc"),
        &example("millionaires.mpc"),
        ("alice", &["a=1"]),
        ("bob", &["bob=2"]),
        &[],
        &[],
    );
    let (e0, e1) = (one_sentence_failure(&o0), one_sentence_failure(&o1));
    assert!(e0.contains("the programs differ"), "{e0}");
    assert!(e1.contains("the programs differ"), "{e1}");
}

#[test]
fn random_bytes_to_a_listener() {
    let prog = example("auction.mpc");
    let addr = format!("127.0.0.1:{}", free_port());
    let child =
        spawn(&["run", &prog, "--party", "alice", "--listen", &addr, "--input", "a=1", "--timeout", "10"]);
    let mut sock = connect_retrying(&addr);
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let junk: Vec<u8> = (0..4096)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    sock.write_all(&junk).unwrap();
    let out = finish(child, LIMIT);
    assert!(one_sentence_failure(&out).contains("not speaking the mpc protocol"));
}

fn connect_retrying(addr: &str) -> TcpStream {
    let start = Instant::now();
    loop {
        match TcpStream::connect(addr) {
            Ok(s) => return s,
            Err(e) if start.elapsed() > Duration::from_secs(20) => panic!("cannot connect to {addr}: {e}"),
            Err(_) => std::thread::sleep(Duration::from_millis(20)),
        }
    }
}

/// A circuit with `n` AND gates in a chain (nothing folds), as a Bristol file.
fn big_circuit(dir: &Path, n: usize) -> PathBuf {
    use mpc_circuits::{Builder, PartyId, Word};
    let mut b = Builder::new(&["p0", "p1"]);
    let x = b.input(PartyId(0), "0", 64);
    let y = b.input(PartyId(1), "1", 64);
    let mut acc = x.bit(0);
    for i in 0..n {
        let t = b.xor(acc, y.bit(i % 64));
        acc = b.and(t, x.bit((i * 7 + 1) % 64));
    }
    b.output("0", &Word::from_bits(vec![acc]));
    let c = b.finish().unwrap();
    let path = dir.join("big.txt");
    let text = mpc_circuits::bristol::write_fashion(&c);
    std::fs::write(&path, &text).unwrap();
    // The shapes sidecar of the default convention, written by hand (the format of
    // `src/facade/shapes.rs`), so that `mpc run` has nothing to warn about.
    use sha2::Digest;
    let side = serde_json::json!({
        "format": "mpc-shapes-v1",
        "circuit_sha256": hex::encode(sha2::Sha256::digest(text.as_bytes())),
        "parties": ["p0", "p1"],
        "inputs": [{"name": "0", "party": "p0", "type": "u64"}, {"name": "1", "party": "p1", "type": "u64"}],
        "outputs": [{"name": "0", "reveal": "all", "type": "bool"}],
    });
    std::fs::write(dir.join("big.txt.shapes.json"), side.to_string()).unwrap();
    path
}

fn temp_dir(name: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "mpc-cli-protocol-{}-{}-{name}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Forwards one connection from `front` to `back`, counting the bytes that flow
/// back towards the front (the garbler's tables) in `to_front`.
fn proxy(front: TcpListener, back: String, to_front: Arc<AtomicU64>) {
    std::thread::spawn(move || {
        let (client, _) = front.accept().unwrap();
        let server = connect_retrying(&back);
        let pump = |mut from: TcpStream, mut to: TcpStream, count: Option<Arc<AtomicU64>>| {
            std::thread::spawn(move || {
                let mut buf = vec![0u8; 64 * 1024];
                loop {
                    match from.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => {
                            if to.write_all(&buf[..n]).is_err() {
                                break;
                            }
                            if let Some(c) = &count {
                                c.fetch_add(n as u64, Ordering::Relaxed);
                            }
                        }
                    }
                }
                to.shutdown(Shutdown::Write).ok();
            })
        };
        pump(client.try_clone().unwrap(), server.try_clone().unwrap(), None);
        pump(server, client, Some(to_front));
    });
}

#[test]
fn killing_the_garbler_mid_run_fails_the_evaluator() {
    let dir = temp_dir("kill");
    let prog = big_circuit(&dir, 400_000);
    let prog = prog.to_str().unwrap();
    let garbler_addr = format!("127.0.0.1:{}", free_port());
    let front = TcpListener::bind("127.0.0.1:0").unwrap();
    let front_addr = front.local_addr().unwrap().to_string();
    let seen = Arc::new(AtomicU64::new(0));
    proxy(front, garbler_addr.clone(), Arc::clone(&seen));
    let mut garbler = spawn(&[
        "run",
        prog,
        "--party",
        "p0",
        "--listen",
        &garbler_addr,
        "--input",
        "0=1",
        "--timeout",
        "20",
    ]);
    let evaluator =
        spawn(&["run", prog, "--party", "p1", "--connect", &front_addr, "--input", "1=2", "--timeout", "20"]);
    // Kill the garbler once 1 MB of its 12.8 MB of tables went through: mid-run.
    let start = Instant::now();
    while seen.load(Ordering::Relaxed) < 1 << 20 {
        assert!(start.elapsed() < LIMIT, "the garbler never sent its tables");
        std::thread::sleep(Duration::from_millis(1));
    }
    garbler.kill().unwrap();
    garbler.wait().unwrap();
    let out = finish(evaluator, LIMIT);
    assert!(one_sentence_failure(&out).contains("closed the connection"));
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn killing_the_evaluator_mid_run_fails_the_garbler() {
    let dir = temp_dir("kill-eval");
    let prog = big_circuit(&dir, 400_000);
    let prog = prog.to_str().unwrap();
    let evaluator_addr = format!("127.0.0.1:{}", free_port());
    let front = TcpListener::bind("127.0.0.1:0").unwrap();
    let front_addr = front.local_addr().unwrap().to_string();
    let seen = Arc::new(AtomicU64::new(0));
    // Here the garbler connects through the proxy, so `seen` counts the evaluator's
    // bytes; kill the evaluator once the garbler's tables are flowing instead.
    proxy(front, evaluator_addr.clone(), Arc::clone(&seen));
    let mut evaluator = spawn(&[
        "run",
        prog,
        "--party",
        "p1",
        "--listen",
        &evaluator_addr,
        "--input",
        "1=2",
        "--timeout",
        "20",
    ]);
    let garbler =
        spawn(&["run", prog, "--party", "p0", "--connect", &front_addr, "--input", "0=1", "--timeout", "20"]);
    let start = Instant::now();
    // The evaluator sends its hello, OT offer and OT extension (about 4 KB) before
    // any table can flow; kill it as soon as they have passed, while the garbler
    // streams its 12.8 MB of tables (with the writer-thread pipeline a whole run takes
    // about as long as a fixed pause would, so there is none: the kill must land
    // mid-run on a fast machine too).
    while seen.load(Ordering::Relaxed) < 2048 {
        assert!(start.elapsed() < LIMIT, "the evaluator never spoke");
        std::thread::sleep(Duration::from_micros(200));
    }
    evaluator.kill().unwrap();
    evaluator.wait().unwrap();
    let out = finish(garbler, LIMIT);
    let err = one_sentence_failure(&out);
    assert!(err.contains("closed the connection") || err.contains("network error"), "{err}");
    std::fs::remove_dir_all(dir).ok();
}

fn write_identity(dir: &Path, name: &str) -> (String, String) {
    let ck = rcgen::generate_simple_self_signed(vec!["mpc-peer".to_string()]).unwrap();
    let cert = dir.join(format!("{name}.crt"));
    let key = dir.join(format!("{name}.key"));
    std::fs::write(&cert, ck.cert.pem()).unwrap();
    std::fs::write(&key, ck.key_pair.serialize_pem()).unwrap();
    (cert.to_str().unwrap().to_string(), key.to_str().unwrap().to_string())
}

#[test]
fn auction_over_tls_with_pinned_certificates() {
    let dir = temp_dir("tls");
    let (a_cert, a_key) = write_identity(&dir, "alice");
    let (b_cert, b_key) = write_identity(&dir, "bob");
    let (m_cert, _) = write_identity(&dir, "mallory");
    let prog = example("auction.mpc");
    let want = eval(&prog, &["a=100", "b=150"], false);
    let tls0 = ["--tls-cert", &a_cert, "--tls-key", &a_key, "--peer-cert", &b_cert];
    let tls1 = ["--tls-cert", &b_cert, "--tls-key", &b_key, "--peer-cert", &a_cert];
    let (o0, o1) = run_pair_progs(&prog, &prog, ("alice", &["a=100"]), ("bob", &["b=150"]), &tls0, &tls1);
    assert_eq!(stdout_ok(&o0), want);
    assert_eq!(stdout_ok(&o1), want);
    // Alice pins mallory's certificate: bob is refused, and both fail.
    let tls0 = ["--tls-cert", &a_cert, "--tls-key", &a_key, "--peer-cert", &m_cert];
    let (o0, o1) = run_pair_progs(&prog, &prog, ("alice", &["a=100"]), ("bob", &["b=150"]), &tls0, &tls1);
    assert!(one_sentence_failure(&o0).contains("not the pinned one"));
    one_sentence_failure(&o1);
    std::fs::remove_dir_all(dir).ok();
}

/// `[u256; 4]` of fresh random bits, as the `.mpc` literal a party would pass.
fn random_u256x4() -> String {
    use std::hash::{BuildHasher, Hasher};
    // Test-only randomness (not for secrets): the std hasher's per-process random keys.
    let word = || {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(0);
        h.finish()
    };
    let limbs: Vec<String> =
        (0..4).map(|_| format!("0x{:016x}{:016x}{:016x}{:016x}", word(), word(), word(), word())).collect();
    format!("[{}]", limbs.join(", "))
}

#[test]
fn dp_sum_between_two_processes_matches_eval_with_the_same_random_bits() {
    let prog = example("dp_sum.mpc");
    let (ra, rb) = (format!("ra={}", random_u256x4()), format!("rb={}", random_u256x4()));
    let (a, b) = ("a=[10, 20, 30, 40]", "b=[50, 60, 70, 500]");
    let want = eval(&prog, &[a, &ra, b, &rb], false);
    assert!(want.starts_with("noisy_sum: "), "{want}");
    let (o0, o1) = run_pair(&prog, ("alice", &[a, &ra]), ("bob", &[b, &rb]), &[]);
    assert_eq!(stdout_ok(&o0), want);
    assert_eq!(stdout_ok(&o1), want);
}

#[test]
fn random_inputs_are_fresh_bits_of_the_input_type() {
    let dir = temp_dir("random-input");
    let prog = dir.join("reveal.mpc");
    std::fs::write(
        &prog,
        "party alice;\nparty bob;\nfn main(r: u128 @alice, s: [u8; 3] @bob) -> (r: u128, s: [u8; 3]) { (r, s) }\n",
    )
    .expect("write program");
    let prog = prog.to_str().expect("utf-8 path");
    // Two draws of 128 bits coincide with probability 2^-128; the values parse as the type.
    let first = eval(prog, &["r=random", "s=random"], true);
    let second = eval(prog, &["r=random", "s=[1, 2, 3]"], true);
    let v1: serde_json::Value = serde_json::from_str(&first).expect("json");
    let v2: serde_json::Value = serde_json::from_str(&second).expect("json");
    assert_ne!(v1["r"], v2["r"], "{first} / {second}");
    assert_eq!(v1["s"].as_array().map(Vec::len), Some(3), "{first}");
    assert_eq!(v2["s"], serde_json::json!([1, 2, 3]));
    // Anything else spelled like it is still a value error.
    let bad = finish(spawn(&["eval", prog, "--input", "r=randomly", "--input", "s=[1, 2, 3]"]), LIMIT);
    assert!(one_sentence_failure(&bad).contains("input `r`"));
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn dp_sum_between_two_processes_with_random_inputs() {
    let prog = example("dp_sum.mpc");
    let (o0, o1) = run_pair(
        &prog,
        ("alice", &["a=[10, 20, 30, 40]", "ra=random"]),
        ("bob", &["b=[50, 60, 70, 500]", "rb=random"]),
        &[],
    );
    let (s0, s1) = (stdout_ok(&o0), stdout_ok(&o1));
    assert_eq!(s0, s1, "both parties learn the same noisy sum");
    // A u32 (the noise distribution itself is tested in the compiler's chi-square test).
    let v = s0.trim().strip_prefix("noisy_sum: ").and_then(|v| v.parse::<u32>().ok());
    assert!(v.is_some(), "{s0}");
}
