//! Command-line contract on programs with loops (the program form): `eval`, `local`
//! and the streamed Bristol file of `compile -o` agree with each other and with a
//! plain computation; `compile --stats` counts the whole run and the program's size;
//! `--max-gates` refuses with one sentence; `--quiet` is accepted.

mod common;

use std::process::{Command, Output};

use common::{assert_one_sentence_failure, ok, path_str, scratch};

fn mpc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mpc")).args(args).output().expect("run mpc")
}

const LOOP: &str = "party alice;\nparty bob;\nfn main(x: u32 @alice, y: u32 @bob) -> (s: u32, t: u32) {\n    let mut s: u32 = 0;\n    let mut t: u32 = y;\n    for i in 0..40 {\n        s = s * x + y;\n        t = t + (x ^ i) * t;\n    }\n    (s, t)\n}\n";

fn plain(x: u32, y: u32) -> (u32, u32) {
    let (mut s, mut t) = (0u32, y);
    for i in 0..40u32 {
        s = s.wrapping_mul(x).wrapping_add(y);
        t = t.wrapping_add((x ^ i).wrapping_mul(t));
    }
    (s, t)
}

#[test]
fn looped_program_eval_local_and_bristol_agree() {
    let dir = scratch("loop");
    let prog = dir.join("loop.mpc");
    std::fs::write(&prog, LOOP).unwrap();
    let bristol = dir.join("loop.txt");
    ok(&mpc(&["compile", path_str(&prog), "-o", path_str(&bristol)]));
    for (x, y) in [(7u32, 3u32), (0xdead_beef, 0x1234_5678), (1, 0)] {
        let (s, t) = plain(x, y);
        let want = serde_json::json!({ "s": s, "t": t });
        let (xi, yi) = (format!("x={x}"), format!("y={y}"));
        let out = ok(&mpc(&["eval", path_str(&prog), "-i", &xi, "-i", &yi, "--json"]));
        assert_eq!(serde_json::from_str::<serde_json::Value>(out.trim()).unwrap(), want, "eval");
        let out = ok(&mpc(&["local", path_str(&prog), "-i", &xi, "-i", &yi, "--json", "--quiet"]));
        assert_eq!(serde_json::from_str::<serde_json::Value>(out.trim()).unwrap(), want, "local");
        // The streamed Bristol file with its shapes sidecar keeps the program's names.
        let out = ok(&mpc(&["eval", path_str(&bristol), "-i", &xi, "-i", &yi, "--json"]));
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(out.trim()).unwrap(),
            want,
            "the streamed Bristol file"
        );
    }
}

#[test]
fn stats_count_the_whole_run_and_max_gates_refuses() {
    let dir = scratch("stats");
    let prog = dir.join("loop.mpc");
    std::fs::write(&prog, LOOP).unwrap();
    let out = ok(&mpc(&["compile", path_str(&prog), "--stats", "--json"]));
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
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
        assert!(v.get(k).is_some(), "missing {k} in {v}");
    }
    for k in ["calls", "bodies", "body_gates", "instructions", "memory_slots", "program_size"] {
        assert!(v[k].as_u64().is_some(), "missing {k} in {v}");
    }
    let gates = v["gates"].as_u64().unwrap();
    // The Bristol file of the whole run has those gates plus one EQW per output bit
    // (and two constants when registers are passed as bits).
    let bristol = dir.join("loop.txt");
    ok(&mpc(&["compile", path_str(&prog), "-o", path_str(&bristol)]));
    let text = std::fs::read_to_string(&bristol).unwrap();
    let header: Vec<u64> = text.lines().next().unwrap().split(' ').map(|n| n.parse().unwrap()).collect();
    assert!(header[0] == gates + 64 || header[0] == gates + 66, "{header:?} vs {gates}");
    assert_eq!(text.lines().filter(|l| l.ends_with("AND")).count() as u64, v["and_gates"].as_u64().unwrap());

    let at = |n: u64| n.to_string();
    for cmd in ["eval", "local"] {
        let err = assert_one_sentence_failure(&mpc(&[
            cmd,
            path_str(&prog),
            "-i",
            "x=1",
            "-i",
            "y=2",
            "--max-gates",
            &at(gates - 1),
        ]));
        assert!(err.contains("--max-gates"), "{err}");
        ok(&mpc(&[cmd, path_str(&prog), "-i", "x=1", "-i", "y=2", "--max-gates", &at(gates)]));
    }
}

/// Loops whose trip counts multiply past 2^64: `--stats` counts saturate and are
/// printed (as decimal strings in JSON) instead of panicking on overflow, and `-o`
/// refuses the expansion in one sentence.
#[test]
fn huge_runs_are_counted_not_overflowed() {
    let dir = scratch("huge");
    let prog = dir.join("huge.mpc");
    std::fs::write(
        &prog,
        "party alice; party bob;
         fn main(a: [u64; 4] @alice, b: u64 @bob) -> (s: [u64; 4]) {
             let mut s = a;
             for _x in 0..1000000000000000000 { for _y in 0..1000000000000000000 {
                 for _z in 0..1000000000000000000 { for w in 0..4 { s[w] = s[w] * b + a[w]; } } } }
             (s,)
         }",
    )
    .unwrap();
    let out = ok(&mpc(&["compile", path_str(&prog), "--stats", "--json"]));
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["and_gates"], serde_json::json!(u128::MAX.to_string()), "{out}");
    let bristol = dir.join("huge.txt");
    let out = mpc(&["compile", path_str(&prog), "-o", path_str(&bristol)]);
    assert!(assert_one_sentence_failure(&out).contains("Bristol file holds at most"));
}
