//! `--security malicious` sessions: the same outputs as the plaintext evaluator for
//! programs with rolled loops, and a semi-honest peer refused in one sentence.

use mpc_circuits::{eval_program, expand, Program};
use mpc_net::MemoryChannel;
use mpc_runtime::{
    run_garbler_program, run_local_malicious_program, run_malicious_program, Role, SessionOptions,
};

fn program(src: &str) -> Program {
    mpc_compiler::compile_program(src, &mpc_compiler::Options::default()).0.expect("compiles")
}

const AUCTION: &str = "party alice; party bob;
fn main(a: u32 @alice, b: u32 @bob) -> (alice_wins: bool, price: u32) {
    let alice_wins = a > b;
    (alice_wins, if alice_wins { b } else { a })
}";

fn bits(v: u64, w: usize) -> Vec<bool> {
    (0..w).map(|i| (v >> i) & 1 == 1).collect()
}

#[test]
fn the_auction_under_malicious_security_matches_the_plaintext() {
    let p = program(AUCTION);
    for (a, b) in [(100u64, 150u64), (150, 100), (7, 7)] {
        let inputs = vec![bits(a, 32), bits(b, 32)];
        let got = run_local_malicious_program(&p, &inputs, 1 << 24).unwrap();
        let want = eval_program(&p, &inputs).unwrap();
        assert_eq!(got.outputs, want, "a = {a}, b = {b}");
        assert!(got.garbler.bytes_sent > 0 && got.evaluator.and_gates > 0);
    }
}

#[test]
fn a_program_with_a_rolled_loop_matches_the_plaintext() {
    // The loop rolled (forced by a zero threshold): the malicious mode expands it.
    let mut options = mpc_compiler::Options::default();
    options.limits.roll_min_work = 0;
    let p = mpc_compiler::compile_program(
        "party alice; party bob;
         fn main(xs: [u16; 64] @alice, k: u16 @bob) -> (s: u16) {
             let mut s = 0u16;
             for i in 0..64 { s = s + (xs[i] ^ k) * xs[i]; }
             (s,)
         }",
        &options,
    )
    .0
    .expect("compiles");
    assert!(
        p.code().iter().any(|i| matches!(i, mpc_circuits::Instr::Loop { .. })),
        "the loop must be rolled"
    );
    let xs: Vec<bool> = (0..64u64).flat_map(|i| bits(i * 37 + 5, 16)).collect();
    let inputs = vec![xs, bits(0x5a5a, 16)];
    let got = run_local_malicious_program(&p, &inputs, 1 << 24).unwrap();
    assert_eq!(got.outputs, eval_program(&p, &inputs).unwrap());
    assert_eq!(got.garbler.and_gates as usize, expand(&p, 1 << 24).unwrap().and_count());
}

#[test]
fn a_program_over_the_gate_limit_is_refused_in_one_sentence() {
    let p = program(AUCTION);
    let err = run_local_malicious_program(&p, &[bits(1, 32), bits(2, 32)], 10).unwrap_err();
    assert!(err.to_string().starts_with("--security malicious: "), "{err}");
}

#[test]
fn a_semi_honest_peer_is_told_the_modes_differ() {
    let p = program(AUCTION);
    let (mut ca, mut cb) = MemoryChannel::pair();
    let q = p.clone();
    let t = std::thread::spawn(move || {
        run_malicious_program(&mut cb, Role::Evaluator, &q, &[bits(1, 32)], 1 << 20)
    });
    let g = run_garbler_program(&mut ca, &p, &[bits(2, 32)], &SessionOptions::default());
    drop(ca);
    let e = t.join().unwrap();
    let msg = format!("{}", e.unwrap_err());
    assert!(msg.contains("--security malicious"), "{msg}");
    assert!(g.is_err());
}

/// Every two-party program of the compiler's corpus and of examples/, random inputs:
/// `--security malicious` in one process gives the plaintext evaluator's outputs.
#[test]
fn every_corpus_program_and_example_matches_the_plaintext() {
    use rand::{Rng, SeedableRng};
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files = Vec::new();
    for dir in [root.join("compiler/tests/programs"), root.join("examples")] {
        for e in std::fs::read_dir(&dir).expect("corpus directory").flatten() {
            if e.path().extension().is_some_and(|x| x == "mpc") {
                files.push(e.path());
            }
        }
    }
    files.sort();
    let mut rng = rand_chacha::ChaCha12Rng::seed_from_u64(3);
    let mut ran = 0;
    for f in &files {
        let src = std::fs::read_to_string(f).unwrap();
        let Some(p) = mpc_compiler::compile_program(&src, &mpc_compiler::Options::default()).0 else {
            continue; // a program the corpus expects to be refused
        };
        if mpc_runtime::check_two_party_program(&p).is_err() {
            continue;
        }
        let inputs: Vec<Vec<bool>> =
            p.inputs().iter().map(|g| (0..g.ty.width()).map(|_| rng.gen()).collect()).collect();
        let got = run_local_malicious_program(&p, &inputs, 1 << 24)
            .unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        assert_eq!(got.outputs, eval_program(&p, &inputs).unwrap(), "{}", f.display());
        ran += 1;
    }
    assert!(ran >= 35, "only {ran} programs ran");
}
