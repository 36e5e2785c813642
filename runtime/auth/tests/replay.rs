//! Byte-identical replay of whole sessions through the protocol's state machines
//! ([`mpc_auth::machine::Machine`]): with fixed seeds, two honest sessions send the
//! same bytes in both directions; and each machine, made afresh with its seed and fed
//! only its peer's recorded messages (decoded from the recorded bytes with the
//! machine's own `Expect`), sends exactly its recorded messages again, in order, and
//! ends with the same outputs. One instance and three instances in a session, and a
//! circuit without AND gates (no triples messages).

mod common;

use mpc_auth::machine::{Machine, Options, Step};
use mpc_auth::message::decode;
use mpc_auth::protocol::Outputs;
use mpc_auth::Role;
use mpc_circuits::{Builder, Circuit, PartyId, Reveal, ValueType, Word};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha12Rng;

/// A circuit with both parties' inputs, AND/XOR/INV gates and outputs to all, to the
/// garbler and to the evaluator.
fn circuit(seed: u64, gates: usize, ands: bool) -> Circuit {
    let mut rng = ChaCha12Rng::seed_from_u64(seed);
    let mut b = Builder::new(&["alice", "bob"]);
    let mut pool = b.input(PartyId(0), "a", 6).into_bits();
    pool.extend(b.input(PartyId(1), "b", 5).into_bits());
    for _ in 0..gates {
        let x = pool[rng.gen_range(0..pool.len())];
        let y = pool[rng.gen_range(0..pool.len())];
        let bit = match rng.gen_range(0..3) {
            0 => b.xor(x, y),
            1 => b.inv(x),
            _ if ands => b.and(x, y),
            _ => b.xor(x, y),
        };
        pool.push(bit);
    }
    let n = pool.len();
    let tail = |k: usize, w: usize| Word::from_bits(pool[n - k - w..n - k].to_vec());
    b.output_typed("all", ValueType::UInt(4), Reveal::All, &tail(0, 4));
    b.output_typed("to_alice", ValueType::UInt(3), Reveal::To(PartyId(0)), &tail(4, 3));
    b.output_typed("to_bob", ValueType::UInt(2), Reveal::To(PartyId(1)), &tail(7, 2));
    b.finish().expect("a valid circuit")
}

fn inputs(seed: u64, k: usize, n: usize) -> Vec<Vec<bool>> {
    let mut rng = ChaCha12Rng::seed_from_u64(seed);
    (0..k).map(|_| (0..n).map(|_| rng.gen()).collect()).collect()
}

fn machine<'c>(role: Role, c: &'c Circuit, xs: &[Vec<bool>], seed: u64) -> Machine<'c, ChaCha12Rng> {
    let options = POOLS.with(|k| k.get());
    Machine::with_options(role, c, xs, options, ChaCha12Rng::seed_from_u64(seed)).expect("a valid session")
}

thread_local! {
    /// The pool and piece sizes of this test's sessions.
    static POOLS: std::cell::Cell<Options> = std::cell::Cell::new(Options::default());
}

/// Runs `m` fed `peer`'s recorded bytes; returns what it sent (kind, bytes) and its
/// outputs.
fn replay(
    mut m: Machine<'_, ChaCha12Rng>,
    peer: &[(&'static str, Vec<u8>)],
) -> (Vec<(&'static str, Vec<u8>)>, Vec<Outputs>) {
    let mut sent = Vec::new();
    let mut peer = peer.iter();
    loop {
        match m.next_step().expect("an honest replay") {
            Step::Send(msg) => sent.push((msg.name(), msg.to_wire().into_owned())),
            Step::Recv(expect) => {
                let (name, bytes) =
                    peer.next().expect("the transcript has the message the machine waits for");
                assert_eq!(*name, expect.name(), "the recorded message is the kind the machine waits for");
                m.receive(decode(expect, bytes.clone()).expect("a recorded message decodes"))
                    .expect("accepted");
            }
            Step::Phase(_) => {}
            Step::Done => break,
        }
    }
    assert!(peer.next().is_none(), "the machine ended before the transcript did");
    (sent, m.take_outputs())
}

fn check_replay(c: &Circuit, k: usize, seed: u64) {
    let (xa, xb) = (inputs(seed, k, 6), inputs(seed + 1, k, 5));
    let session = || {
        common::pump(
            machine(Role::Garbler, c, &xa, seed ^ 0x9),
            machine(Role::Evaluator, c, &xb, seed ^ 0xe),
            None,
            None,
        )
    };
    let first = session();
    let (g_out, e_out) = (first.garbler.expect("honest garbler"), first.evaluator.expect("honest evaluator"));
    assert_eq!((g_out.len(), e_out.len()), (k, k));
    // The same seeds: the same bytes both ways.
    let second = session();
    assert_eq!(first.to_evaluator, second.to_evaluator, "garbler transcript differs between runs");
    assert_eq!(first.to_garbler, second.to_garbler, "evaluator transcript differs between runs");
    // Each side alone, fed its peer's recording: the same messages and outputs.
    let (g_sent, g_again) = replay(machine(Role::Garbler, c, &xa, seed ^ 0x9), &first.to_garbler);
    assert_eq!(g_sent, first.to_evaluator, "the replayed garbler sent other bytes");
    assert_eq!(g_again, g_out);
    let (e_sent, e_again) = replay(machine(Role::Evaluator, c, &xb, seed ^ 0xe), &first.to_evaluator);
    assert_eq!(e_sent, first.to_garbler, "the replayed evaluator sent other bytes");
    assert_eq!(e_again, e_out);
    // Another garbler seed: other bytes (the replay compares something).
    let other = common::pump(
        machine(Role::Garbler, c, &xa, seed ^ 0x9 ^ 1),
        machine(Role::Evaluator, c, &xb, seed ^ 0xe),
        None,
        None,
    );
    assert_ne!(other.to_evaluator, first.to_evaluator);
    assert_eq!(other.garbler.unwrap(), g_out, "the outputs do not depend on the seeds");
}

#[test]
fn one_instance_replays_byte_for_byte() {
    check_replay(&circuit(1, 60, true), 1, 100);
}

#[test]
fn three_instances_in_a_session_replay_byte_for_byte() {
    check_replay(&circuit(2, 40, true), 3, 200);
}

#[test]
fn a_circuit_without_and_gates_replays_byte_for_byte() {
    let c = circuit(3, 30, false);
    assert_eq!(c.and_count(), 0);
    check_replay(&c, 1, 300);
}

#[test]
fn a_session_preprocessed_in_pools_of_pieces_replays_byte_for_byte() {
    // 3 instances of about 20 AND gates in pools of 32 triples, pieces of 16: several
    // rounds of KOS batches, leaky ANDs and checks, and several pools' coin tosses and
    // bucketing.
    POOLS.with(|k| k.set(Options { pool_triples: 32, piece_triples: 16 }));
    let c = circuit(4, 60, true);
    assert!(3 * c.and_count() > 2 * 16, "{} AND gates", c.and_count());
    check_replay(&c, 3, 400);
}

#[test]
fn the_online_part_runs_in_flights_two_instances_deep() {
    // Three instances: after the preprocessing, each side's messages come in flights
    // (all of one direction, then all of the other), and the evaluator sends its
    // halves and masked inputs of instance n + 1 before its output message of n.
    let c = circuit(5, 40, true);
    let (xa, xb) = (inputs(500, 3, 6), inputs(501, 3, 5));
    let o =
        common::pump(machine(Role::Garbler, &c, &xa, 9), machine(Role::Evaluator, &c, &xb, 10), None, None);
    assert!(o.garbler.is_ok() && o.evaluator.is_ok());
    let online = |sent: &[(&'static str, Vec<u8>)]| -> Vec<&'static str> {
        let first = sent.iter().position(|(n, _)| *n == "Beaver openings").expect("an online part");
        sent[first..].iter().map(|(n, _)| *n).collect()
    };
    let (bo, im, ei) = ("Beaver openings", "input masks", "evaluator inputs");
    let (gi, tb, eo, om) = ("garbler inputs", "garbled tables", "output message", "output masks");
    assert_eq!(online(&o.to_evaluator), [bo, im, gi, tb, bo, im, om, gi, tb, bo, im, om, gi, tb, om]);
    assert_eq!(online(&o.to_garbler), [bo, im, ei, bo, im, ei, eo, bo, im, ei, eo, eo]);
}
