//! End-to-end tests of `mpc psi`: two processes over TCP print the sorted
//! intersection (or its size), and bad inputs fail with exit status 1 and one
//! sentence.

use std::io::Write;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

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
    let addr = free_addr();
    let alice = mpc()
        .args(["psi", "--party", "alice", "--listen", &addr, "--set"])
        .arg(a)
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let bob = mpc()
        .args(["psi", "--party", "bob", "--connect", &addr, "--set"])
        .arg(b)
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    (alice.wait_with_output().unwrap(), bob.wait_with_output().unwrap())
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
        .args(["psi", "--party", "alice", "--listen", "127.0.0.1:1", "--set"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.starts_with("error: line 2 of") && err.contains("not valid UTF-8"), "{err}");
    assert_eq!(err.lines().count(), 1);

    let long = temp_file("long.txt", &vec![b'x'; 5000]);
    let out = mpc()
        .args(["psi", "--party", "alice", "--connect", "127.0.0.1:1", "--set"])
        .arg(&long)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8(out.stderr).unwrap().contains("longer than 4096 bytes"));

    let out = mpc()
        .args(["psi", "--party", "alice", "--connect", "127.0.0.1:1", "--set", "/nonexistent/set.txt"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(String::from_utf8(out.stderr).unwrap().lines().count(), 1);
}
