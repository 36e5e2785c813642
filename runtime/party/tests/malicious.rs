//! `--security malicious` sessions: the same outputs as the plaintext evaluator for
//! programs with rolled loops, and a semi-honest peer refused in one sentence; the
//! session's [`MaliciousMachine`] through the one driver: with fixed seeds the same
//! bytes both ways, each side replayed alone from its peer's recording, and a cheating
//! garbler played by editing one typed message (its garbled tables) between its
//! machine and the driver.

mod common;

use common::{Replay, Tap};
use mpc_auth::message::Message;
use mpc_circuits::{eval_program, expand, Circuit, Program};
use mpc_net::hello::Protocol;
use mpc_net::MemoryChannel;
use mpc_runtime::driver::drive;
use mpc_runtime::handshake::Hello;
use mpc_runtime::machine::{HelloExchange, Machine, Planner, Plans, Step, TableIo};
use mpc_runtime::{
    program_digest, run_garbler_program, run_local_malicious_program, run_malicious_program,
    MaliciousMachine, MaliciousMsg, Role, SessionError, SessionOptions,
};
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;

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

type Wires = Vec<Vec<Option<bool>>>;

/// One side's result and the bytes it sent.
type Side = (Result<Wires, SessionError>, Vec<u8>);

/// The malicious session's machine of `role` with a fixed seed.
fn machine<'c>(
    p: &Program,
    c: &'c Circuit,
    role: Role,
    x: &[bool],
    seed: u64,
) -> MaliciousMachine<'c, ChaCha20Rng> {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let hello = HelloExchange::new(
        Protocol::MaliciousSession,
        Hello::for_program(role, p, program_digest(p)),
        &mut rng,
    );
    MaliciousMachine::new(hello, role, c, vec![x.to_vec()], rng)
}

/// Both machines through the one driver on two threads; results and the bytes each
/// side sent.
fn run_pair<G, E>(mut g: G, mut e: E) -> (Side, Side)
where
    G: for<'p> Machine<'p, Output = Wires> + Send,
    E: for<'p> Machine<'p, Output = Wires>,
{
    let (a, b) = MemoryChannel::pair();
    let (mut ga, mut eb) = (Tap::new(a), Tap::new(b));
    std::thread::scope(|s| {
        let gt = s.spawn(move || {
            let out = drive(&mut ga, &mut g, None);
            drop(ga.inner);
            (out, ga.sent)
        });
        let out = drive(&mut eb, &mut e, None);
        drop(eb.inner);
        (gt.join().expect("the garbler thread does not panic"), (out, eb.sent))
    })
}

/// One instance's wires, per output group (as `run_malicious_program` groups them).
fn groups(c: &Circuit, wires: &[Option<bool>]) -> Vec<Option<Vec<bool>>> {
    let mut pos = 0;
    c.outputs()
        .iter()
        .map(|g| {
            let group = &wires[pos..pos + g.wires.len()];
            pos += g.wires.len();
            group.iter().copied().collect()
        })
        .collect()
}

#[test]
fn a_malicious_session_through_the_driver_replays_byte_for_byte() {
    let p = program(AUCTION);
    let c = expand(&p, 1 << 24).unwrap();
    let (a, b) = (bits(100, 32), bits(150, 32));
    let want = eval_program(&p, &[a.clone(), b.clone()]).unwrap();
    let session = || run_pair(machine(&p, &c, Role::Garbler, &a, 7), machine(&p, &c, Role::Evaluator, &b, 8));
    let ((g1, gs1), (e1, es1)) = session();
    let ((g2, gs2), (e2, es2)) = session();
    let (go, eo) = (g1.expect("garbler"), e1.expect("evaluator"));
    let all: Vec<Option<Vec<bool>>> = want.iter().cloned().map(Some).collect();
    assert_eq!(groups(&c, &go[0]), all, "the auction's outputs are revealed to both");
    assert_eq!(groups(&c, &eo[0]), groups(&c, &go[0]), "both learn both outputs of the auction");
    assert_eq!((g2.unwrap(), e2.unwrap()), (go.clone(), eo.clone()));
    assert!(gs1 == gs2 && es1 == es2, "same seeds, same bytes both ways");
    assert!(gs1.len() > 128 * c.and_count(), "the tables are in the transcript");
    // Each side alone, fed its peer's recording, sends the same bytes again and ends
    // with the same outputs.
    let mut ch = Replay::new(es1.clone());
    let again = drive(&mut ch, &mut machine(&p, &c, Role::Garbler, &a, 7), None).expect("garbler replay");
    assert!(again == go && ch.sent == gs1 && ch.pos == es1.len(), "the garbler's bytes again");
    let mut ch = Replay::new(gs1.clone());
    let again = drive(&mut ch, &mut machine(&p, &c, Role::Evaluator, &b, 8), None).expect("evaluator replay");
    assert!(again == eo && ch.sent == es1 && ch.pos == gs1.len(), "the evaluator's bytes again");
}

/// A machine whose garbled tables are edited on their way to the driver.
struct FlipTables<M>(M);

impl<'p, M: Machine<'p, Out = MaliciousMsg>> Machine<'p> for FlipTables<M> {
    type Out = MaliciousMsg;
    type In = M::In;
    type Output = M::Output;
    fn planner(&self) -> Planner<'p> {
        self.0.planner()
    }
    fn next_step(&mut self) -> Result<Step<MaliciousMsg, M::Output>, SessionError> {
        let mut step = self.0.next_step()?;
        if let Step::Send(MaliciousMsg::Auth(Message::Tables(t))) = &mut step {
            // The MAC half of every row of AND gate 3: whichever row is opened fails.
            for row in 0..4 {
                t[128 * 3 + 32 * row] ^= 0x10;
            }
        }
        Ok(step)
    }
    fn receive(&mut self, msg: M::In) -> Result<(), SessionError> {
        self.0.receive(msg)
    }
    fn tables(&mut self, io: TableIo<'_>, plans: Plans) -> Result<(), SessionError> {
        self.0.tables(io, plans)
    }
}

#[test]
fn a_cheating_garbler_played_through_the_driver_is_caught_by_name() {
    let p = program(AUCTION);
    let c = expand(&p, 1 << 24).unwrap();
    let (a, b) = (bits(100, 32), bits(150, 32));
    let cheat = FlipTables(machine(&p, &c, Role::Garbler, &a, 7));
    let ((g, _), (e, _)) = run_pair(cheat, machine(&p, &c, Role::Evaluator, &b, 8));
    match e {
        Err(SessionError::Check(msg)) => {
            assert_eq!(msg, "the peer's garbled table for AND gate 3 failed authentication")
        }
        other => panic!("{other:?}"),
    }
    assert!(g.is_err(), "the garbler gets no output either");
}
