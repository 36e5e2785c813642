//! `--security malicious` through the command line: two `mpc run` processes and
//! `mpc local` agree with `mpc eval`; a semi-honest peer is refused by both processes in
//! one sentence; a man in the middle that flips one byte of the garbler-to-evaluator
//! stream at random offsets makes the processes exit 1 or leaves the outputs correct,
//! never a wrong output.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Output;
use std::time::Duration;

mod common;
use common::{
    assert_one_sentence_failure as one_sentence_failure, example, free_port, ok as stdout_ok, spawn,
};

fn finish(child: std::process::Child) -> Output {
    common::finish(child, LIMIT)
}

const LIMIT: Duration = Duration::from_secs(90);

fn eval(prog: &str, inputs: &[&str]) -> String {
    let mut args = vec!["eval", prog];
    for i in inputs {
        args.extend(["--input", i]);
    }
    stdout_ok(&finish(spawn(&args)))
}

/// Party 0 listens on `listen`, party 1 connects to `connect`.
fn pair(
    prog: &str,
    p0: (&str, &[&str], &str),
    p1: (&str, &[&str], &str),
    listen: &str,
    connect: &str,
    timeout: &str,
) -> (Output, Output) {
    let mut a0 =
        vec!["run", prog, "--party", p0.0, "--listen", listen, "--security", p0.2, "--timeout", timeout];
    let mut a1 =
        vec!["run", prog, "--party", p1.0, "--connect", connect, "--security", p1.2, "--timeout", timeout];
    for i in p0.1 {
        a0.extend(["--input", i]);
    }
    for i in p1.1 {
        a1.extend(["--input", i]);
    }
    let (c0, c1) = (spawn(&a0), spawn(&a1));
    (finish(c0), finish(c1))
}

#[test]
fn examples_between_two_processes_match_eval() {
    for (name, p0, p1) in [
        ("auction.mpc", ("alice", "a=100"), ("bob", "b=150")),
        ("auction.mpc", ("alice", "a=200"), ("bob", "b=150")),
        ("millionaires.mpc", ("alice", "alice=1000000"), ("bob", "bob=999999")),
    ] {
        let prog = example(name);
        let want = eval(&prog, &[p0.1, p1.1]);
        let addr = format!("127.0.0.1:{}", free_port());
        let (o0, o1) =
            pair(&prog, (p0.0, &[p0.1], "malicious"), (p1.0, &[p1.1], "malicious"), &addr, &addr, "20");
        assert_eq!(stdout_ok(&o0), want, "{name}");
        assert_eq!(stdout_ok(&o1), want, "{name}");
        let local = stdout_ok(&finish(spawn(&[
            "local",
            &prog,
            "--input",
            p0.1,
            "--input",
            p1.1,
            "--security",
            "malicious",
        ])));
        assert_eq!(local, want, "{name}");
    }
}

#[test]
fn a_semi_honest_peer_is_refused_by_both() {
    let prog = example("auction.mpc");
    let addr = format!("127.0.0.1:{}", free_port());
    let (o0, o1) =
        pair(&prog, ("alice", &["a=1"], "malicious"), ("bob", &["b=2"], "semi-honest"), &addr, &addr, "20");
    let (e0, e1) = (one_sentence_failure(&o0), one_sentence_failure(&o1));
    assert!(e0.contains("--security malicious") && e1.contains("--security malicious"), "{e0}{e1}");
}

/// Forwards one connection from `front` to `back`, XORing `x` into byte `offset` of
/// the connecting party's stream... see the caller for which direction that is.
fn proxy(front: TcpListener, back: String, offset: usize, x: u8) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let Ok((client, _)) = front.accept() else { return };
        let server = loop {
            match TcpStream::connect(&back) {
                Ok(s) => break s,
                Err(_) => std::thread::sleep(Duration::from_millis(20)),
            }
        };
        let (mut c_read, mut s_write) = (client.try_clone().unwrap(), server.try_clone().unwrap());
        let (mut s_read, mut c_write) = (server, client);
        // Garbler (connecting side, party 0) to evaluator: tampered.
        let up = std::thread::spawn(move || {
            let mut buf = [0u8; 16384];
            let mut pos = 0usize;
            while let Ok(n) = c_read.read(&mut buf) {
                if n == 0 {
                    break;
                }
                if (pos..pos + n).contains(&offset) {
                    buf[offset - pos] ^= x;
                }
                pos += n;
                if s_write.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
            let _ = s_write.shutdown(std::net::Shutdown::Write);
        });
        let mut buf = [0u8; 16384];
        while let Ok(n) = s_read.read(&mut buf) {
            if n == 0 || c_write.write_all(&buf[..n]).is_err() {
                break;
            }
        }
        let _ = c_write.shutdown(std::net::Shutdown::Write);
        let _ = up.join();
    })
}

#[test]
fn a_byte_flipped_by_a_man_in_the_middle_never_gives_a_wrong_output() {
    let prog = example("auction.mpc");
    let want = eval(&prog, &["a=100", "b=150"]);
    // The garbler (alice) connects through the proxy to the evaluator (bob), so the
    // proxy's upstream direction is the garbler-to-evaluator stream. Offsets past the
    // hellos (a few hundred bytes) spread over the whole stream, whose length an
    // honest run's --stats gives.
    let stats = finish(spawn(&[
        "local",
        &prog,
        "--input",
        "a=100",
        "--input",
        "b=150",
        "--security",
        "malicious",
        "--stats",
    ]));
    let stderr = String::from_utf8_lossy(&stats.stderr).into_owned();
    let sent: usize = stderr
        .lines()
        .find(|l| l.contains("(garbler)"))
        .and_then(|l| l.split("sent ").nth(1))
        .and_then(|t| t.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no garbler stats in {stderr}"));
    assert!(sent > 10_000, "{sent}");
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let (mut failed, mut correct) = (0, 0);
    for _ in 0..16 {
        let offset = 600 + (next() % (sent as u64 - 600)) as usize;
        let x = (next() % 255 + 1) as u8;
        let back = format!("127.0.0.1:{}", free_port());
        let front = TcpListener::bind("127.0.0.1:0").unwrap();
        let front_addr = front.local_addr().unwrap().to_string();
        let mid = proxy(front, back.clone(), offset, x);
        // bob (party 1) listens on `back`; alice (party 0) connects to the proxy.
        let mut a0 =
            vec!["run", &prog, "--party", "alice", "--connect", &front_addr, "--security", "malicious"];
        a0.extend(["--timeout", "5", "--input", "a=100"]);
        let a1 = [
            "run",
            &prog,
            "--party",
            "bob",
            "--listen",
            &back,
            "--security",
            "malicious",
            "--timeout",
            "5",
            "--input",
            "b=150",
        ];
        let (c1, c0) = (spawn(&a1), spawn(&a0));
        let (o0, o1) = (finish(c0), finish(c1));
        let _ = mid.join();
        for o in [&o0, &o1] {
            if o.status.success() {
                assert_eq!(String::from_utf8_lossy(&o.stdout), want, "offset {offset}: a wrong output");
            } else {
                one_sentence_failure(o);
            }
        }
        if o0.status.success() && o1.status.success() {
            correct += 1;
        } else {
            failed += 1;
        }
    }
    assert!(failed > 0, "some flips must be caught ({correct} runs were unaffected)");
}
