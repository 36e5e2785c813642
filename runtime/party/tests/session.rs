//! Session tests over the in-memory channel: random two-party circuits through the
//! full protocol against the plaintext evaluator, output visibility per `Reveal`,
//! and the failure paths (different programs, same role, garbage, a vanished peer).

use std::time::Duration;

use mpc_circuits::eval::eval_groups;
use mpc_circuits::{Bit, Builder, Circuit, PartyId, Reveal, ValueType, Word};
use mpc_net::{Channel, MemoryChannel, NetError};
use mpc_runtime::{
    run_evaluator, run_evaluator_many, run_garbler, run_garbler_many, run_local, Scheme, SessionError,
    SessionOptions,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A random circuit: party 0 has inputs of `wa` bits, party 1 of `wb` bits; three
/// outputs revealed to all, to party 0 and to party 1.
fn random_circuit(rng: &mut ChaCha8Rng, wa: usize, wb: usize, gates: usize) -> Circuit {
    let mut b = Builder::new(&["alice", "bob"]);
    let mut pool: Vec<Bit> = Vec::new();
    if wa > 0 {
        pool.extend(b.input(PartyId(0), "a", wa).into_bits());
    }
    if wb > 0 {
        pool.extend(b.input(PartyId(1), "b", wb).into_bits());
    }
    if pool.is_empty() {
        pool.push(Bit::ONE);
    }
    for _ in 0..gates {
        let x = pool[rng.gen_range(0..pool.len())];
        let y = pool[rng.gen_range(0..pool.len())];
        let bit = match rng.gen_range(0..4) {
            0 => b.xor(x, y),
            1 => b.inv(x),
            _ => b.and(x, y),
        };
        pool.push(bit);
    }
    let mut pick = |n: usize| Word::from_bits((0..n).map(|_| pool[rng.gen_range(0..pool.len())]).collect());
    let (o1, o2, o3) = (pick(8), pick(5), pick(3));
    b.output_typed("all", ValueType::UInt(8), Reveal::All, &o1);
    b.output_typed("to_alice", ValueType::UInt(5), Reveal::To(PartyId(0)), &o2);
    b.output_typed("to_bob", ValueType::UInt(3), Reveal::To(PartyId(1)), &o3);
    b.finish().expect("the builder produces valid circuits")
}

fn random_bits(rng: &mut ChaCha8Rng, n: usize) -> Vec<bool> {
    (0..n).map(|_| rng.gen()).collect()
}

fn inputs_for(circuit: &Circuit, rng: &mut ChaCha8Rng) -> Vec<Vec<bool>> {
    circuit.inputs().iter().map(|g| random_bits(rng, g.ty.width())).collect()
}

fn own(circuit: &Circuit, all: &[Vec<bool>], party: u8) -> Vec<Vec<bool>> {
    circuit.inputs().iter().zip(all).filter(|(g, _)| g.party.0 == party).map(|(_, v)| v.clone()).collect()
}

#[test]
fn random_circuits_match_the_plaintext_evaluator() {
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    for case in 0..24 {
        let (wa, wb) = [(16, 16), (0, 9), (7, 0), (1, 1), (40, 3)][case % 5];
        let gates = rng.gen_range(1..600);
        let circuit = random_circuit(&mut rng, wa, wb, gates);
        let inputs = inputs_for(&circuit, &mut rng);
        let want = eval_groups(&circuit, &inputs).unwrap();
        for scheme in Scheme::ALL {
            let got = run_local(&circuit, &inputs, &SessionOptions { scheme, ..Default::default() }).unwrap();
            assert_eq!(got.outputs, want, "case {case} {scheme}");
            assert_eq!(got.garbler.bytes_sent, got.evaluator.bytes_received);
            assert_eq!(got.evaluator.bytes_sent, got.garbler.bytes_received);
        }
    }
}

#[test]
fn each_party_sees_only_its_outputs() {
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let circuit = random_circuit(&mut rng, 12, 12, 300);
    let inputs = inputs_for(&circuit, &mut rng);
    let want = eval_groups(&circuit, &inputs).unwrap();
    let (mut a, mut b) = MemoryChannel::pair();
    let c = &circuit;
    let (g_in, e_in) = (own(c, &inputs, 0), own(c, &inputs, 1));
    let (g, e) = std::thread::scope(|s| {
        let g = s.spawn(move || run_garbler(&mut a, c, &g_in, &SessionOptions::default()));
        let e = run_evaluator(&mut b, c, &e_in, &SessionOptions::default());
        (g.join().unwrap().unwrap(), e.unwrap())
    });
    assert_eq!(g.outputs, vec![Some(want[0].clone()), Some(want[1].clone()), None]);
    assert_eq!(e.outputs, vec![Some(want[0].clone()), None, Some(want[2].clone())]);
    assert_eq!(g.stats.and_gates, c.and_count() as u64);
}

fn pair_errors(
    gc: &Circuit,
    ec: &Circuit,
    evaluator_side: impl FnOnce(&mut MemoryChannel, &Circuit) -> Result<(), SessionError> + Send,
) -> (SessionError, SessionError) {
    let (mut a, mut b) = MemoryChannel::pair_with_timeout(Duration::from_secs(5));
    let g_in = own(gc, &vec![vec![false; 16]; gc.inputs().len()], 0);
    std::thread::scope(|s| {
        let g = s.spawn(move || run_garbler(&mut a, gc, &g_in, &SessionOptions::default()).map(|_| ()));
        let e = evaluator_side(&mut b, ec);
        drop(b);
        (g.join().unwrap().unwrap_err(), e.unwrap_err())
    })
}

/// Three-halves puts fewer bytes on the wire than half-gates for the same circuit,
/// by 32 - 24.625 bytes per AND; a scheme mismatch is refused on both sides in one
/// sentence.
#[test]
fn schemes_differ_in_bytes_and_must_agree() {
    let mut rng = ChaCha8Rng::seed_from_u64(21);
    let c = random_circuit(&mut rng, 16, 16, 2000);
    let inputs = inputs_for(&c, &mut rng);
    let sent = |scheme| {
        run_local(&c, &inputs, &SessionOptions { scheme, ..Default::default() }).unwrap().garbler.bytes_sent
    };
    let ands = c.and_count() as u64;
    assert!(ands > 100);
    let saved = sent(Scheme::HalfGates) - sent(Scheme::ThreeHalves);
    assert_eq!(saved, Scheme::HalfGates.table_bytes(ands) - Scheme::ThreeHalves.table_bytes(ands));

    let (g, e) = pair_errors(&c, &c, |ch, c| {
        let opts = SessionOptions { scheme: Scheme::ThreeHalves, ..Default::default() };
        run_evaluator(ch, c, &[vec![false; 16]], &opts).map(|_| ())
    });
    let both = "both parties must pass the same --scheme";
    assert!(
        g.to_string().contains(&format!("we garble with half-gates but the peer with three-halves; {both}")),
        "{g}"
    );
    assert!(
        e.to_string().contains(&format!("we garble with three-halves but the peer with half-gates; {both}")),
        "{e}"
    );
    assert!(matches!(g, SessionError::Mismatch(_)), "{g}");
}

#[test]
fn different_programs_are_refused_on_both_sides() {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let c1 = random_circuit(&mut rng, 16, 16, 100);
    let c2 = random_circuit(&mut rng, 16, 16, 100);
    let (g, e) = pair_errors(&c1, &c2, |ch, c| {
        run_evaluator(ch, c, &[vec![false; 16]], &SessionOptions::default()).map(|_| ())
    });
    for err in [&g, &e] {
        assert!(matches!(err, SessionError::Mismatch(m) if m.contains("different circuits")), "{err}");
    }
    // A different input width is named.
    let mut b = Builder::new(&["alice", "bob"]);
    let x = b.input(PartyId(0), "a", 16);
    let y = b.input(PartyId(1), "b", 8);
    let z = b.and(x.bit(0), y.bit(0));
    b.output_typed("all", ValueType::Bool, Reveal::All, &Word::from_bits(vec![z]));
    let c3 = b.finish().unwrap();
    let (g, e) = pair_errors(&c1, &c3, |ch, c| {
        run_evaluator(ch, c, &[vec![false; 8]], &SessionOptions::default()).map(|_| ())
    });
    assert!(g.to_string().contains("input `b` is u16 of bob here but u8 of bob at the peer"), "{g}");
    assert!(e.to_string().contains("input `b` is u8 of bob here but u16 of bob at the peer"), "{e}");
}

/// Reads until the peer hangs up, so the peer can read what we sent first.
fn drain(ch: &mut MemoryChannel) -> SessionError {
    let mut byte = [0u8; 1];
    loop {
        if let Err(e) = ch.recv_exact(&mut byte) {
            return e.into();
        }
    }
}

#[test]
fn same_role_garbage_and_vanished_peer_are_errors() {
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let c = random_circuit(&mut rng, 16, 16, 50);
    // Both sides play the garbler.
    let (g, e) = pair_errors(&c, &c, |ch, c| {
        run_garbler(ch, c, &[vec![false; 16]], &SessionOptions::default()).map(|_| ())
    });
    assert!(g.to_string().contains("both parties chose to be `alice`"), "{g}");
    assert!(e.to_string().contains("both parties chose to be `alice`"), "{e}");
    // Random bytes instead of a hello.
    let (g, _) = pair_errors(&c, &c, |ch, _| {
        let mut r = ChaCha8Rng::seed_from_u64(3);
        let junk: Vec<u8> = (0..4096).map(|_| r.gen()).collect();
        ch.send(&junk).unwrap();
        ch.flush().unwrap();
        Err(drain(ch))
    });
    assert!(
        matches!(g, SessionError::PeerMisbehaved(ref m) if m.contains("not speaking the mpc protocol")),
        "{g}"
    );
    // A correct magic and version, then an absurd hello length.
    let (g, _) = pair_errors(&c, &c, |ch, _| {
        let common = mpc_net::hello::Hello {
            protocol: mpc_net::hello::Protocol::Session,
            version: mpc_runtime::handshake::VERSION,
            session: [0; 16],
        };
        ch.send(&common.encode()).unwrap();
        ch.send(&u32::MAX.to_le_bytes()).unwrap();
        ch.flush().unwrap();
        Err(drain(ch))
    });
    assert!(matches!(g, SessionError::PeerMisbehaved(_)), "{g}");
    // The evaluator vanishes after its hello: the garbler sees the disconnect.
    let (g, _) = pair_errors(&c, &c, |ch, _| {
        let mut magic = [0u8; 8];
        ch.recv_exact(&mut magic).unwrap();
        Err(SessionError::Internal("gone".into()))
    });
    assert!(matches!(g, SessionError::Net(NetError::Closed)), "{g}");
}

#[test]
fn wrong_inputs_and_party_counts_are_refused() {
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    let c = random_circuit(&mut rng, 16, 16, 50);
    let err = run_local(&c, &[vec![false; 16]], &SessionOptions::default()).unwrap_err();
    assert!(matches!(err, SessionError::Input(_)), "{err}");
    let err = run_local(&c, &[vec![false; 16], vec![false; 3]], &SessionOptions::default()).unwrap_err();
    assert!(err.to_string().contains("input `b` needs 16 bits, got 3"), "{err}");
    let mut b = Builder::new(&["solo"]);
    let x = b.input(PartyId(0), "x", 2);
    b.output("y", &x);
    let solo = b.finish().unwrap();
    let err = run_local(&solo, &[vec![true, false]], &SessionOptions::default()).unwrap_err();
    assert!(err.to_string().contains("has 1 party"), "{err}");
}

/// Several instances in one session: each instance's outputs equal the plaintext
/// evaluator's on its own inputs, for each party's visible outputs, including
/// circuits where one party has no inputs.
#[test]
fn many_instances_in_one_session_match_the_plaintext_evaluator() {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    for (case, (wa, wb)) in [(16, 16), (0, 9), (7, 0)].into_iter().enumerate() {
        let circuit = random_circuit(&mut rng, wa, wb, 300);
        let all: Vec<Vec<Vec<bool>>> = (0..5).map(|_| inputs_for(&circuit, &mut rng)).collect();
        let g_in: Vec<_> = all.iter().map(|i| own(&circuit, i, 0)).collect();
        let e_in: Vec<_> = all.iter().map(|i| own(&circuit, i, 1)).collect();
        let (mut a, mut b) = MemoryChannel::pair_with_timeout(Duration::from_secs(10));
        // Alternate the schemes across cases.
        let scheme = Scheme::ALL[case % 2];
        let (g, e) = std::thread::scope(|s| {
            let c = &circuit;
            let opts = SessionOptions { scheme, ..Default::default() };
            let g_opts = opts.clone();
            let g = s.spawn(move || run_garbler_many(&mut a, c, &g_in, &g_opts));
            let e = run_evaluator_many(&mut b, c, &e_in, &opts);
            (g.join().unwrap().unwrap(), e.unwrap())
        });
        assert_eq!((g.outputs.len(), e.outputs.len()), (5, 5));
        assert_eq!(g.stats.and_gates, 5 * circuit.and_count() as u64);
        for (k, inputs) in all.iter().enumerate() {
            let want = eval_groups(&circuit, inputs).unwrap();
            // Output groups: 0 to all, 1 to alice (garbler), 2 to bob (evaluator).
            assert_eq!(g.outputs[k], vec![Some(want[0].clone()), Some(want[1].clone()), None], "case {case}");
            assert_eq!(e.outputs[k], vec![Some(want[0].clone()), None, Some(want[2].clone())], "case {case}");
        }
    }
}

#[test]
fn different_instance_counts_are_refused_on_both_sides() {
    let mut rng = ChaCha8Rng::seed_from_u64(12);
    let c = random_circuit(&mut rng, 16, 16, 100);
    let (g, e) = pair_errors(&c, &c, |ch, c| {
        let two = vec![vec![vec![false; 16]]; 2];
        run_evaluator_many(ch, c, &two, &SessionOptions::default()).map(|_| ())
    });
    assert!(
        g.to_string().contains("we run 1 instance(s) of the program in this session but the peer runs 2"),
        "{g}"
    );
    assert!(
        e.to_string().contains("we run 2 instance(s) of the program in this session but the peer runs 1"),
        "{e}"
    );
    // No instances at all is an input error, before anything is sent.
    let (mut a, _b) = MemoryChannel::pair_with_timeout(Duration::from_secs(1));
    let err = run_garbler_many(&mut a, &c, &[], &SessionOptions::default()).unwrap_err();
    assert!(matches!(err, SessionError::Input(_)), "{err}");
}
